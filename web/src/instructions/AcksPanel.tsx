// Who has read which version: every member and workforce member of the
// project with the newest version they acknowledged.
import { api } from '../api';
import { ErrorText } from '../components/ErrorText';
import { formatTime } from '../format';
import { useAsync } from '../useAsync';

export function AcksPanel({ projectId, version }: { projectId: number; version: number }) {
  const acks = useAsync(() => api.instructionsAcks(projectId), [projectId, version]);
  const current = acks.data?.current ?? 0;
  const items = acks.data?.items ?? [];
  const upToDate = items.filter((a) => current > 0 && a.acknowledged >= current).length;
  return (
    <div className="panel" data-testid="instructions-acks">
      <div className="heading">
        <h2>Acknowledgments</h2>
        <button type="button" onClick={acks.reload} disabled={acks.loading}>
          Refresh
        </button>
      </div>
      <ErrorText error={acks.error} />
      {!acks.data && !acks.error && <p className="muted">Loading…</p>}
      {acks.data && (
        <p className="muted" data-testid="acks-summary">
          {current === 0
            ? 'No instructions yet: nothing to acknowledge.'
            : `${upToDate} of ${items.length} have read version ${current}.`}
        </p>
      )}
      {items.length > 0 && (
        <table className={acks.loading ? 'table loading' : 'table'}>
          <thead>
            <tr>
              <th>Member</th>
              <th className="num">Read version</th>
              <th>When</th>
              <th>State</th>
            </tr>
          </thead>
          <tbody>
            {items.map((a) => {
              const state = a.acknowledged === 0 ? 'never' : a.acknowledged >= current ? 'current' : 'outdated';
              return (
                <tr key={a.user_id} data-testid="ack-row" data-username={a.username} data-acknowledged={a.acknowledged}>
                  <td>{a.username}</td>
                  <td className="num">{a.acknowledged || '—'}</td>
                  <td>{a.at ? formatTime(a.at) : '—'}</td>
                  <td>
                    <span className={`badge ack-${state}`}>
                      {state === 'current' ? 'up to date' : state === 'never' ? 'not read' : `behind (${current})`}
                    </span>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </div>
  );
}
