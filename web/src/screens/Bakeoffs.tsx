// A project's bake-offs (docs/bakeoffs.md): its golden sets, the history of
// its bake-offs (kept, to repeat on the same or a new set and watch providers
// drift), and the form that starts one.
import { useState, type FormEvent } from 'react';
import { api } from '../api';
import { CreateBakeoff } from '../bakeoffs/CreateBakeoff';
import { ErrorText, withField } from '../components/ErrorText';
import { formatTime } from '../format';
import { Link, navigate, paths } from '../router';
import { useAction } from '../useAction';
import { useAsync } from '../useAsync';
import { ProjectNav } from '../versions/ProjectNav';

function NewGoldenSet({ projectId, onCreated }: { projectId: number; onCreated: () => void }) {
  const [name, setName] = useState('');
  const create = useAction();
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    await create.run(async () => {
      await api.createGoldenSet(projectId, name);
      setName('');
      onCreated();
    });
  };
  return (
    <form className="row" onSubmit={(e) => void submit(e)} data-testid="create-golden-set">
      <input placeholder="golden set name" value={name} onChange={(e) => setName(e.target.value)} maxLength={200} data-testid="golden-set-name" />
      <button type="submit" disabled={!name || create.busy} data-testid="golden-set-create">
        Freeze the golden tasks as a set
      </button>
      <ErrorText error={withField(create.error)} testId="golden-set-error" />
    </form>
  );
}

export function Bakeoffs({ projectId }: { projectId: number }) {
  const project = useAsync(() => api.getProject(projectId), [projectId]);
  const sets = useAsync(() => api.goldenSets(projectId), [projectId]);
  const bakeoffs = useAsync(() => api.bakeoffs(projectId), [projectId]);
  const workforces = useAsync(() => api.projectWorkforces(projectId), [projectId]);

  return (
    <section className="bakeoffs-screen" data-testid="bakeoffs-screen">
      <ProjectNav projectId={projectId} projectName={project.data?.name} current="bakeoffs" />
      <h1>Bake-offs{project.data ? ` — ${project.data.name}` : ''}</h1>
      <div className="panel">
        <h2>Golden sets</h2>
        <p className="muted">
          A golden set freezes the project's golden tasks with their expert answers as a new version.{' '}
          <Link to={paths.golden(projectId)}>Label golden tasks</Link>
        </p>
        <ErrorText error={sets.error} />
        <ul data-testid="golden-sets">
          {(sets.data ?? []).map((s) => (
            <li key={s.id}>
              {s.name} v{s.version}: {s.tasks} tasks, {formatTime(s.created_at)}
            </li>
          ))}
        </ul>
        <NewGoldenSet projectId={projectId} onCreated={sets.reload} />
      </div>
      {sets.data && sets.data.length > 0 && (
        <CreateBakeoff
          projectId={projectId}
          sets={sets.data}
          workforces={workforces.data ?? []}
          onCreated={(b) => navigate(paths.bakeoff(projectId, b.id))}
        />
      )}
      <div className="panel">
        <h2>History</h2>
        <ErrorText error={bakeoffs.error} />
        {bakeoffs.data && bakeoffs.data.length === 0 && <p className="muted">No bake-off yet.</p>}
        {bakeoffs.data && bakeoffs.data.length > 0 && (
          <table className="table" data-testid="bakeoffs-table">
            <thead>
              <tr>
                <th>Name</th>
                <th>Golden set</th>
                <th>Candidates</th>
                <th>State</th>
                <th>Started</th>
              </tr>
            </thead>
            <tbody>
              {bakeoffs.data.map((b) => (
                <tr key={b.id}>
                  <td>
                    <Link to={paths.bakeoff(projectId, b.id)} data-testid={`open-bakeoff-${b.id}`}>
                      {b.name}
                    </Link>
                  </td>
                  <td>
                    {b.golden_set.name} v{b.golden_set.version}
                  </td>
                  <td>{b.candidates.map((c) => `${c.name} (${c.labels}/${c.tasks})`).join(', ')}</td>
                  <td>{b.state}</td>
                  <td>{formatTime(b.created_at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </div>
    </section>
  );
}
