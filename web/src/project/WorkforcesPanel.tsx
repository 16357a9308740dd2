import { api } from '../api';
import { ErrorText } from '../components/ErrorText';
import { PickToAdd } from '../components/PickToAdd';
import { Link, paths } from '../router';
import { formatPricing } from '../screens/Workforces';
import { useAction } from '../useAction';
import { useAsync } from '../useAsync';

/** The workforces whose members may label this project: grant and revoke. */
export function WorkforcesPanel({ projectId }: { projectId: number }) {
  const granted = useAsync(() => api.projectWorkforces(projectId), [projectId]);
  const all = useAsync(() => api.listWorkforces(), []);
  const change = useAction();

  const grantedIds = new Set(granted.data?.map((w) => w.id));
  const candidates = all.data?.filter((w) => !grantedIds.has(w.id)) ?? [];

  const run = async (call: () => Promise<unknown>) => {
    const done = await change.run(call);
    if (done) granted.reload();
    return done;
  };

  return (
    <div className="panel" data-testid="project-workforces">
      <h2>Workforces</h2>
      <ErrorText error={granted.error ?? all.error ?? change.error} />
      {granted.data && granted.data.length === 0 && <p className="muted">No workforce has access.</p>}
      {granted.data && granted.data.length > 0 && (
        <ul className="plain-list">
          {granted.data.map((w) => (
            <li key={w.id} data-testid="project-workforce" data-workforce-name={w.name}>
              {w.name} <span className="muted">({w.kind}, {formatPricing(w)})</span>{' '}
              <button
                type="button"
                className="link"
                onClick={() => void run(() => api.revokeWorkforce(projectId, w.id))}
                data-testid="revoke-workforce"
              >
                Revoke
              </button>
            </li>
          ))}
        </ul>
      )}
      <PickToAdd
        options={candidates.map((w) => ({ id: w.id, text: `${w.name} (${w.kind})` }))}
        placeholder="Choose a workforce…"
        action="Grant access"
        label="Workforce to grant access"
        testId="grant-workforce"
        onAdd={(id) => run(() => api.grantWorkforce(projectId, id))}
      />
      <p className="muted">
        <Link to={paths.workforces()}>Manage workforces</Link>
      </p>
    </div>
  );
}
