// Automation (docs/automation.md): the project's ML backends (add, test,
// enable, run predictions), their jobs' progress and last errors, and what
// pre-labels save: acceptance per model version, time per task with and
// without a pre-label, and each model's accuracy against accepted labels by
// day (the learning curve); and the project's built-in models: the learner
// with the queue order, and the span pre-labeler. Everything a backend says
// is shown as text.
import { useEffect, useState, type FormEvent } from 'react';
import { api, type MlBackend, type MlProtocol, type PredictionJob } from '../api';
import { formatNumber, formatPercent } from '../analytics/format';
import { SeriesChart } from '../analytics/SeriesChart';
import { ErrorText, withField } from '../components/ErrorText';
import { LearnerSettings, SpanPrelabelerSettings } from '../project/AutomationSettings';
import { Link, paths } from '../router';
import { useAction } from '../useAction';
import { useAsync } from '../useAsync';

/** How often the job list refreshes while a job runs. */
const kPollMs = 1500;

function BackendForm({ projectId, onAdded }: { projectId: number; onAdded: () => void }) {
  const [name, setName] = useState('');
  const [url, setUrl] = useState('http://');
  const [protocol, setProtocol] = useState<MlProtocol>('plumb');
  const [auth, setAuth] = useState('');
  const [onImport, setOnImport] = useState(true);
  const [train, setTrain] = useState(false);
  const add = useAction();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const ok = await add.run(() =>
      api.createMlBackend(projectId, {
        ...(name ? { name } : {}),
        ...(protocol === 'builtin_learner' ? {} : { url }),
        protocol,
        on_import: onImport,
        train,
        ...(auth ? { auth_header: auth } : {}),
      }),
    );
    if (ok) {
      setName('');
      setUrl('http://');
      setAuth('');
      onAdded();
    }
  };
  return (
    <form onSubmit={submit} className="stack" data-testid="backend-form">
      <div className="row">
        <label>
          Name{' '}
          <input
            value={name}
            onChange={(e) => setName(e.target.value)}
            data-testid="backend-name"
            placeholder={protocol === 'builtin_learner' ? 'plumb-active-learner' : undefined}
            required={protocol !== 'builtin_learner'}
          />
        </label>
        {protocol !== 'builtin_learner' && (
          <label>
            URL <input value={url} onChange={(e) => setUrl(e.target.value)} data-testid="backend-url" size={40} required />
          </label>
        )}
        <label>
          Protocol{' '}
          <select value={protocol} onChange={(e) => setProtocol(e.target.value as MlProtocol)} data-testid="backend-protocol">
            <option value="plumb">Plumb</option>
            <option value="label_studio">Label Studio</option>
            <option value="builtin_learner">Built-in active learner</option>
          </select>
        </label>
        <label>
          Authorization <input value={auth} onChange={(e) => setAuth(e.target.value)} placeholder="optional" />
        </label>
      </div>
      <div className="row">
        <label>
          <input type="checkbox" checked={onImport} onChange={(e) => setOnImport(e.target.checked)} /> predict on import
        </label>
        <label>
          <input type="checkbox" checked={train} onChange={(e) => setTrain(e.target.checked)} /> send accepted labels
        </label>
        <button type="submit" className="primary" disabled={add.busy} data-testid="add-backend">
          Add backend
        </button>
      </div>
      <ErrorText error={withField(add.error)} testId="backend-error" />
    </form>
  );
}

const protocolNames: Record<MlProtocol, string> = {
  plumb: 'Plumb',
  label_studio: 'Label Studio',
  builtin_learner: 'Built-in learner',
  span_prelabeler: 'Span pre-labeler',
};

function BackendRow({ backend, projectId, onChange }: { backend: MlBackend; projectId: number; onChange: () => void }) {
  const act = useAction();
  const run = (f: () => Promise<unknown>) => act.run(f).then((ok) => ok && onChange());
  return (
    <tr data-testid={`backend-${backend.name}`}>
      <td>{backend.name}</td>
      <td>
        <code>{backend.url}</code>
      </td>
      <td>{protocolNames[backend.protocol]}</td>
      <td data-testid="backend-health" className={backend.health === 'error' ? 'error' : undefined}>
        {backend.health}
        {backend.model_version ? ` · ${backend.model_version}` : ''}
      </td>
      <td data-testid="backend-last-error">{backend.last_error}</td>
      <td className="row">
        <button type="button" onClick={() => run(() => api.testMlBackend(backend.id))} disabled={act.busy}>
          Test
        </button>
        <button
          type="button"
          onClick={() => run(() => api.updateMlBackend(backend.id, { enabled: !backend.enabled }))}
          disabled={act.busy}
          data-testid="toggle-backend"
        >
          {backend.enabled ? 'Disable' : 'Enable'}
        </button>
        <button
          type="button"
          onClick={() => run(() => api.startPrediction(projectId, backend.id, { only_missing: true }))}
          disabled={act.busy || !backend.enabled}
          data-testid="predict-missing"
        >
          Predict missing
        </button>
        <button type="button" onClick={() => run(() => api.deleteMlBackend(backend.id))} disabled={act.busy}>
          Delete
        </button>
        <ErrorText error={act.error} />
      </td>
    </tr>
  );
}

function JobsTable({ jobs, backends, onCancel }: { jobs: PredictionJob[]; backends: MlBackend[]; onCancel: (id: number) => void }) {
  if (jobs.length === 0) return <p className="muted">No prediction jobs yet.</p>;
  const name = (id: number) => backends.find((b) => b.id === id)?.name ?? `#${id}`;
  return (
    <table data-testid="jobs">
      <thead>
        <tr>
          <th>Job</th>
          <th>Backend</th>
          <th>Trigger</th>
          <th>State</th>
          <th>Progress</th>
          <th>Predicted</th>
          <th>Failed</th>
          <th>Last error</th>
          <th />
        </tr>
      </thead>
      <tbody>
        {jobs.map((j) => (
          <tr key={j.id} data-testid={`job-${j.id}`}>
            <td>{j.id}</td>
            <td>{name(j.backend_id)}</td>
            <td>{j.trigger}</td>
            <td data-testid="job-state">{j.state}</td>
            <td>
              <progress max={Math.max(j.total, 1)} value={Math.min(j.processed, Math.max(j.total, 1))} /> {j.processed}/{j.total}
            </td>
            <td>{j.predicted}</td>
            <td>{j.failed}</td>
            <td className="error">{j.last_error}</td>
            <td>
              {(j.state === 'queued' || j.state === 'running') && (
                <button type="button" onClick={() => onCancel(j.id)}>
                  Cancel
                </button>
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Stats({ projectId, version }: { projectId: number; version: number }) {
  const stats = useAsync(() => api.automationStats(projectId), [projectId, version]);
  if (stats.error) return <ErrorText error={stats.error} />;
  const s = stats.data;
  if (!s) return <p className="muted">Loading…</p>;
  const ms = (v: number | null) => (v === null ? '—' : `${formatNumber(v / 1000, 1)} s`);
  const days = [...new Set(s.accuracy.flatMap((m) => m.points.map((p) => p.day)))].sort();
  const series = s.accuracy.map((m) => ({
    name: [m.model_name, m.model_version].filter(Boolean).join(' '),
    values: days.map((d) => m.points.find((p) => p.day === d)?.cumulative_accuracy ?? null),
  }));
  return (
    <section className="stack" data-testid="automation-stats">
      <h2>What pre-labels save</h2>
      <table data-testid="acceptance">
        <thead>
          <tr>
            <th>Model</th>
            <th>Version</th>
            <th>Pre-labeled</th>
            <th>Unchanged</th>
            <th>Edited</th>
            <th>Discarded</th>
            <th>Accepted unchanged</th>
            <th>Time per task</th>
          </tr>
        </thead>
        <tbody>
          {s.models.map((m) => (
            <tr key={`${m.model_name}@${m.model_version}`} data-testid={`acceptance-${m.model_name}`}>
              <td>{m.model_name}</td>
              <td>{m.model_version}</td>
              <td>{m.prelabeled}</td>
              <td data-testid="unchanged">{m.unchanged}</td>
              <td data-testid="edited">{m.edited}</td>
              <td data-testid="discarded">{m.discarded}</td>
              <td>{m.unchanged_share === null ? '—' : formatPercent(m.unchanged_share)}</td>
              <td>{ms(m.mean_time_ms)}</td>
            </tr>
          ))}
          {s.models.length === 0 && (
            <tr>
              <td colSpan={8} className="muted">
                No labels started from a pre-label in this range.
              </td>
            </tr>
          )}
        </tbody>
      </table>
      <p data-testid="time-per-task">
        Time per task: {ms(s.time_per_task.with_prelabel.mean_ms)} with a pre-label ({s.time_per_task.with_prelabel.labels} labels),{' '}
        {ms(s.time_per_task.without_prelabel.mean_ms)} without ({s.time_per_task.without_prelabel.labels} labels).
      </p>
      <h3>Learning curve: accuracy against accepted labels</h3>
      {days.length === 0 ? (
        <p className="muted">No accepted labels with a prediction yet.</p>
      ) : (
        <SeriesChart kind="line" labels={days} series={series} percent title="Cumulative accuracy by day" testId="learning-curve" />
      )}
    </section>
  );
}

export function Automation({ projectId }: { projectId: number }) {
  const project = useAsync(() => api.getProject(projectId), [projectId]);
  const [version, setVersion] = useState(0);
  const backends = useAsync(() => api.listMlBackends(projectId), [projectId, version]);
  const jobs = useAsync(() => api.listPredictionJobs(projectId), [projectId, version]);
  const running = (jobs.data?.items ?? []).some((j) => j.state === 'queued' || j.state === 'running');
  const checking = (backends.data?.items ?? []).some((b) => b.enabled && b.health === 'unknown');
  useEffect(() => {
    if (!running && !checking) return;
    const timer = window.setTimeout(() => setVersion((v) => v + 1), kPollMs);
    return () => window.clearTimeout(timer);
  }, [running, checking, version]);
  const refresh = () => setVersion((v) => v + 1);
  return (
    <div className="stack" data-testid="automation">
      <nav className="row">
        <Link to={paths.project(projectId)}>← {project.data?.name ?? 'Project'}</Link>
      </nav>
      <h1>Automation</h1>
      <ErrorText error={project.error} />
      {project.data && (
        <section className="stack">
          <LearnerSettings project={project.data} onSaved={refresh} />
          <SpanPrelabelerSettings project={project.data} onSaved={refresh} />
        </section>
      )}
      <section className="stack">
        <h2>ML backends</h2>
        <ErrorText error={backends.error} />
        <table data-testid="backends">
          <thead>
            <tr>
              <th>Name</th>
              <th>URL</th>
              <th>Protocol</th>
              <th>Health</th>
              <th>Last error</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {(backends.data?.items ?? []).map((b) => (
              <BackendRow key={b.id} backend={b} projectId={projectId} onChange={refresh} />
            ))}
          </tbody>
        </table>
        <BackendForm projectId={projectId} onAdded={refresh} />
      </section>
      <section className="stack">
        <h2>Prediction jobs</h2>
        <ErrorText error={jobs.error} />
        <JobsTable
          jobs={jobs.data?.items ?? []}
          backends={backends.data?.items ?? []}
          onCancel={(id) => void api.cancelPredictionJob(id).then(refresh)}
        />
      </section>
      <Stats projectId={projectId} version={version} />
    </div>
  );
}
