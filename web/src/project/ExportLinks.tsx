import { api, labelFormats, type ExportFormat } from '../api';

const formats: { format: ExportFormat; label: string; file: string }[] = [
  { format: 'json', label: 'JSON', file: 'json' },
  { format: 'jsonl', label: 'JSONL', file: 'jsonl' },
  { format: 'csv', label: 'CSV', file: 'csv' },
  ...labelFormats,
];

export function ExportLinks({ projectId }: { projectId: number }) {
  return (
    <div className="panel">
      <h2>Export</h2>
      <p className="muted">The training formats hold the labeled tasks whose controls they can express.</p>
      <div className="row">
        {formats.map(({ format, label, file }) => (
          <a
            key={format}
            className="button"
            href={api.exportUrl(projectId, format)}
            download={`project-${projectId}.${file}`}
            data-testid={`export-${format}`}
          >
            {label}
          </a>
        ))}
      </div>
    </div>
  );
}
