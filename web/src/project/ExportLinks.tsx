import { api, type ExportFormat } from '../api';

// Label names as people know the formats; file names as the server names them.
const formats: { format: ExportFormat; label: string; file: string }[] = [
  { format: 'json', label: 'JSON', file: 'json' },
  { format: 'jsonl', label: 'JSONL', file: 'jsonl' },
  { format: 'csv', label: 'CSV', file: 'csv' },
  { format: 'label_studio', label: 'Label Studio', file: 'label_studio.json' },
  { format: 'coco', label: 'COCO', file: 'coco.json' },
  { format: 'yolo', label: 'YOLO', file: 'yolo.zip' },
  { format: 'voc', label: 'Pascal VOC', file: 'voc.zip' },
  { format: 'conll', label: 'CoNLL', file: 'conll' },
  { format: 'spacy', label: 'spaCy', file: 'spacy.jsonl' },
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
