import { api, type Batch } from '../api';
import { ErrorText } from '../components/ErrorText';
import { formatCount, formatTime } from '../format';
import { useAsync } from '../useAsync';

function Progress({ batch }: { batch: Batch }) {
  const share = batch.total > 0 ? batch.done / batch.total : 0;
  return (
    <span className="batch-progress" title={`${Math.round(share * 100)}%`}>
      <progress max={Math.max(batch.total, 1)} value={batch.done} />{' '}
      {formatCount(batch.done)} / {formatCount(batch.total)}
    </span>
  );
}

/** The batches sent to this project (POST /projects/{id}/batches) and how far each has come. */
export function BatchesPanel({ projectId, version }: { projectId: number; version: number }) {
  const batches = useAsync(() => api.listBatches(projectId), [projectId, version]);
  return (
    <div className="panel" data-testid="batches">
      <div className="heading">
        <h2>Batches</h2>
        <button type="button" onClick={batches.reload}>
          Refresh
        </button>
      </div>
      <ErrorText error={batches.error} />
      {batches.data && batches.data.length === 0 && <p className="muted">No batches yet.</p>}
      {batches.data && batches.data.length > 0 && (
        <table className="table">
          <thead>
            <tr>
              <th className="num">ID</th>
              <th>Name</th>
              <th>State</th>
              <th>Progress</th>
              <th>Deadline</th>
              <th>Created</th>
              <th>Completed</th>
            </tr>
          </thead>
          <tbody>
            {batches.data.map((b) => (
              <tr key={b.id} data-testid="batch-row" data-batch-id={b.id} data-state={b.state}>
                <td className="num">{b.id}</td>
                <td>{b.name ?? ''}</td>
                <td>
                  <span className={`state state-${b.state === 'done' ? 'done' : 'annotating'}`}>{b.state}</span>
                </td>
                <td>
                  <Progress batch={b} />
                </td>
                <td>{b.deadline ? formatTime(b.deadline) : '—'}</td>
                <td>{formatTime(b.created_at)}</td>
                <td>{b.completed_at ? formatTime(b.completed_at) : '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
