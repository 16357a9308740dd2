import { useRef, useState, type FormEvent } from 'react';
import { api, ApiError, importContentType, labelFormats, type ImportOutcome, type LabelFormat } from '../api';

type Outcome = ({ ok: true } & ImportOutcome) | { ok: false; message: string };

// "" imports plain tasks, the format then picked by the file's extension.
const formats: { format: LabelFormat | ''; label: string; accept: string }[] = [
  { format: '', label: 'Tasks (JSON, JSONL, CSV)', accept: '.json,.jsonl,.ndjson,.csv' },
  ...labelFormats,
];

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  if (error instanceof ApiError && error.line !== undefined && !/\bline\b/i.test(error.message)) {
    return `line ${error.line}: ${error.message}`;
  }
  return error.message;
}

/** Uploads a JSON, JSONL or CSV file of tasks; an import is all or nothing. */
export function ImportPanel({ projectId, onImported }: { projectId: number; onImported: () => void }) {
  const input = useRef<HTMLInputElement>(null);
  const [outcome, setOutcome] = useState<Outcome>();
  const [busy, setBusy] = useState(false);
  const [format, setFormat] = useState<LabelFormat | ''>('');
  const chosen = formats.find((f) => f.format === format) ?? formats[0]!;

  const upload = async (event: FormEvent) => {
    event.preventDefault();
    const file = input.current?.files?.[0];
    if (!file) return;
    // With a label format the server reads the body by ?format=, whatever its type.
    const contentType = format ? 'application/octet-stream' : importContentType(file.name);
    if (!contentType) {
      setOutcome({ ok: false, message: 'Choose a .json, .jsonl or .csv file, or pick its format.' });
      return;
    }
    setBusy(true);
    setOutcome(undefined);
    try {
      const result = await api.importTasks(projectId, file, contentType, format || undefined);
      setOutcome({ ok: true, ...result });
      if (input.current) input.current.value = '';
      onImported();
    } catch (e) {
      setOutcome({ ok: false, message: describe(e) });
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="panel" onSubmit={upload}>
      <h2>Import tasks</h2>
      <p className="muted">
        Tasks, or tasks with their labels and predictions in a labeling format. A bad record rejects the
        whole file.
      </p>
      <div className="row">
        <select
          value={format}
          onChange={(e) => setFormat(e.target.value as LabelFormat | '')}
          aria-label="Format"
          data-testid="import-format"
        >
          {formats.map((f) => (
            <option key={f.format} value={f.format}>
              {f.label}
            </option>
          ))}
        </select>
        <input ref={input} type="file" accept={chosen.accept} required data-testid="import-file" />
        <button type="submit" disabled={busy} data-testid="import-submit">
          {busy ? 'Uploading…' : 'Upload'}
        </button>
      </div>
      {outcome?.ok === true && (
        <p className="ok" role="status" data-testid="import-result">
          Imported {outcome.imported} tasks
          {outcome.annotations ? `, ${outcome.annotations} with labels` : ''}
          {outcome.predictions ? `, ${outcome.predictions} predictions` : ''}
          {outcome.dropped_annotations ? ` (${outcome.dropped_annotations} extra annotations left out)` : ''}.
        </p>
      )}
      {outcome?.ok === false && (
        <p className="error" role="alert" data-testid="import-error">
          {outcome.message}
        </p>
      )}
    </form>
  );
}
