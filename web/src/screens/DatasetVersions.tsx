// A project's dataset versions (docs/datasets.md): immutable snapshots of the
// final labels, created with a name and a note, exported as JSON, JSONL or
// CSV, and compared two at a time.
import { useEffect, useState, type FormEvent } from 'react';
import { api, type DatasetVersion } from '../api';
import { ErrorText, withField } from '../components/ErrorText';
import { formatCount, formatTime } from '../format';
import { useAction } from '../useAction';
import { useAsync } from '../useAsync';
import { VersionDiffPanel } from '../versions/VersionDiff';
import { ProjectNav } from '../versions/ProjectNav';

const namePattern = /^[A-Za-z0-9._-]{1,64}$/;
const formats = ['json', 'jsonl', 'csv'] as const;

function CreateVersion({ projectId, onCreated }: { projectId: number; onCreated: (v: DatasetVersion) => void }) {
  const [name, setName] = useState('');
  const [note, setNote] = useState('');
  const create = useAction();
  const valid = namePattern.test(name);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!valid) return;
    await create.run(async () => {
      const version = await api.createDatasetVersion(projectId, name, note.trim() || undefined);
      setName('');
      setNote('');
      onCreated(version);
    });
  };

  return (
    <form className="panel" onSubmit={(e) => void submit(e)} data-testid="create-version">
      <h2>New version</h2>
      <p className="muted">A snapshot of every task's final label as it is now; it never changes afterwards.</p>
      <div className="row">
        <label className="inline">
          Name
          <input
            value={name}
            onChange={(e) => setName(e.target.value)}
            placeholder="e.g. v1.0"
            maxLength={64}
            aria-invalid={name !== '' && !valid}
            data-testid="version-name"
          />
        </label>
        <label className="inline grow">
          Note
          <input value={note} onChange={(e) => setNote(e.target.value)} placeholder="optional" data-testid="version-note" />
        </label>
        <button type="submit" className="primary" disabled={!valid || create.busy} data-testid="version-create">
          Create
        </button>
      </div>
      {name !== '' && !valid && (
        <p className="error">A name is 1 to 64 letters, digits, dots, dashes and underscores.</p>
      )}
      <ErrorText error={withField(create.error)} testId="version-error" />
    </form>
  );
}

export function DatasetVersions({ projectId }: { projectId: number }) {
  const project = useAsync(() => api.getProject(projectId), [projectId]);
  const versions = useAsync(() => api.datasetVersions(projectId), [projectId]);
  const [created, setCreated] = useState<DatasetVersion>();
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const items = versions.data ?? [];
  const newest = items[0]?.name;

  // The two newest are compared unless the user picks others.
  useEffect(() => {
    if (!newest) return;
    setTo(newest);
    setFrom(items[1]?.name ?? '');
  }, [newest]);

  return (
    <section className="versions-screen" data-testid="versions-screen">
      <ProjectNav projectId={projectId} projectName={project.data?.name} current="versions" />
      <h1>Dataset versions{project.data ? ` — ${project.data.name}` : ''}</h1>
      <ErrorText error={project.error} />
      <CreateVersion
        projectId={projectId}
        onCreated={(v) => {
          setCreated(v);
          versions.reload();
        }}
      />
      {created && (
        <p className="ok" data-testid="version-created">
          Created {created.name}: {formatCount(created.tasks)} {created.tasks === 1 ? 'task' : 'tasks'}.
        </p>
      )}
      <div className="panel">
        <h2>Versions</h2>
        <ErrorText error={versions.error} />
        {!versions.data && !versions.error && <p className="muted">Loading…</p>}
        {versions.data && items.length === 0 && (
          <p className="muted" data-testid="versions-empty">
            No version yet.
          </p>
        )}
        {items.length > 0 && (
          <div className="table-scroll">
            <table className={versions.loading ? 'table loading' : 'table'} data-testid="versions-table">
              <thead>
                <tr>
                  <th>Name</th>
                  <th>Note</th>
                  <th className="num">Tasks</th>
                  <th>Hash</th>
                  <th>By</th>
                  <th>Created</th>
                  <th>Export</th>
                </tr>
              </thead>
              <tbody>
                {items.map((v) => (
                  <tr key={v.id} data-testid="version-row" data-name={v.name} data-tasks={v.tasks}>
                    <td>
                      <strong>{v.name}</strong>
                    </td>
                    <td className="wrap">{v.note || <span className="muted">—</span>}</td>
                    <td className="num">{formatCount(v.tasks)}</td>
                    <td className="mono" title={v.hash}>
                      {v.hash.slice(0, 12)}
                    </td>
                    <td>{v.created_by?.username ?? '—'}</td>
                    <td>{formatTime(v.created_at)}</td>
                    <td className="actions">
                      {formats.map((f) => (
                        <a
                          key={f}
                          className="button"
                          href={api.datasetExportUrl(projectId, v.name, f)}
                          download={`${v.name}.${f}`}
                          data-testid={`version-export-${f}`}
                        >
                          {f.toUpperCase()}
                        </a>
                      ))}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </div>
      {items.length > 1 && (
        <VersionDiffPanel projectId={projectId} names={items.map((v) => v.name)} from={from} to={to} onFrom={setFrom} onTo={setTo} />
      )}
    </section>
  );
}
