import { api, type ExportFormat } from '../api';

const formats: ExportFormat[] = ['json', 'jsonl', 'csv'];

export function ExportLinks({ projectId }: { projectId: number }) {
  return (
    <div className="panel">
      <h2>Export</h2>
      <div className="row">
        {formats.map((format) => (
          <a
            key={format}
            className="button"
            href={api.exportUrl(projectId, format)}
            download={`project-${projectId}.${format}`}
            data-testid={`export-${format}`}
          >
            {format.toUpperCase()}
          </a>
        ))}
      </div>
    </div>
  );
}
