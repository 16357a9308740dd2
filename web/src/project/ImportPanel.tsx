import { useRef, useState, type FormEvent } from 'react';
import { api, ApiError, importContentType } from '../api';

type Outcome = { ok: true; imported: number } | { ok: false; message: string };

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

  const upload = async (event: FormEvent) => {
    event.preventDefault();
    const file = input.current?.files?.[0];
    if (!file) return;
    const contentType = importContentType(file.name);
    if (!contentType) {
      setOutcome({ ok: false, message: 'Choose a .json, .jsonl or .csv file.' });
      return;
    }
    setBusy(true);
    setOutcome(undefined);
    try {
      const { imported } = await api.importTasks(projectId, file, contentType);
      setOutcome({ ok: true, imported });
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
      <p className="muted">A JSON array, JSON Lines or CSV file. A bad record rejects the whole file.</p>
      <div className="row">
        <input ref={input} type="file" accept=".json,.jsonl,.ndjson,.csv" required data-testid="import-file" />
        <button type="submit" disabled={busy} data-testid="import-submit">
          {busy ? 'Uploading…' : 'Upload'}
        </button>
      </div>
      {outcome?.ok === true && (
        <p className="ok" role="status" data-testid="import-result">
          Imported {outcome.imported} tasks.
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
