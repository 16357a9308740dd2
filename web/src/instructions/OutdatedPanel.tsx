// Tasks labeled under an older version than the current one, and sending them
// back to their annotators as a rework.
import { useState } from 'react';
import { api } from '../api';
import { ErrorText } from '../components/ErrorText';
import { formatCount } from '../format';
import { useAction } from '../useAction';
import { useAsync } from '../useAsync';

const shownIds = 50;

export function OutdatedPanel({ projectId, current }: { projectId: number; current: number }) {
  const [generation, setGeneration] = useState(0);
  const outdated = useAsync(() => api.outdatedTasks(projectId, { limit: shownIds }), [projectId, current, generation]);
  const rework = useAction();
  const [sent, setSent] = useState<number>();
  const total = outdated.data?.total ?? 0;

  const sendBack = async () => {
    setSent(undefined);
    await rework.run(async () => {
      const reply = await api.reworkOutdated(projectId, {});
      setSent(reply.sent);
      setGeneration((g) => g + 1);
    });
  };

  return (
    <div className="panel" data-testid="instructions-outdated">
      <h2>Labeled under older instructions</h2>
      <ErrorText error={outdated.error} />
      {!outdated.data && !outdated.error && <p className="muted">Loading…</p>}
      {outdated.data && total === 0 && <p className="muted">No done or reviewing task was labeled under a version before {current}.</p>}
      {outdated.data && total > 0 && (
        <>
          <p data-testid="outdated-total">
            {formatCount(total)} {total === 1 ? 'task was' : 'tasks were'} labeled under a version before {current}:{' '}
            <span className="mono">
              {outdated.data.items.map((t) => t.id).join(', ')}
              {total > outdated.data.items.length ? ', …' : ''}
            </span>
          </p>
          <button type="button" disabled={rework.busy} onClick={() => void sendBack()} data-testid="rework-outdated">
            Send {total === 1 ? 'it' : `all ${formatCount(total)}`} back for rework
          </button>
        </>
      )}
      {sent !== undefined && (
        <p className="ok" data-testid="rework-sent">
          Sent {formatCount(sent)} {sent === 1 ? 'task' : 'tasks'} back to their annotators.
        </p>
      )}
      <ErrorText error={rework.error} />
    </div>
  );
}
