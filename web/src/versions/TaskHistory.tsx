// A task's label history (docs/datasets.md, Label history): every revision of
// every annotation, oldest first, with who made it, when, how and why, and the
// instructions version in force; then the reviews and the final label.
import type { Control, HistoryRevision, ResultItem, UserRef } from '../api';
import { api } from '../api';
import { ErrorText } from '../components/ErrorText';
import { formatTime } from '../format';
import { instructionsVersionText } from '../instructions/gate';
import { describeItem } from '../review/ResultView';
import { methodName } from '../screens/ReviewQueue';
import { useAsync } from '../useAsync';

const sourceNames: Record<string, string> = {
  human: 'labeler',
  import: 'import',
  review_fix: 'review fix',
  adjudication: 'adjudication',
};

const reasonNames: Record<string, string> = {
  first: 'first',
  edit: 'edited',
  rework: 'rework',
  instructions: 'instructions changed',
  review_fix: 'fixed in review',
  adjudication: 'adjudicated',
};

const decisionNames: Record<string, string> = {
  instructions_rework: 'sent back: instructions changed',
};

/** A user as the server names one: a reference, a username, or (decided_by) an id. */
function who(user: UserRef | string | number | null | undefined): string {
  if (user === null || user === undefined || user === '') return '—';
  if (typeof user === 'number') return `user #${user}`;
  return typeof user === 'string' ? user : user.username;
}

/** A result as lines of text, each named by its control. */
function ResultLines({ result, controls }: { result: ResultItem[]; controls: Control[] }) {
  if (result.length === 0) return <span className="muted">(empty)</span>;
  return (
    <ul className="plain-list history-result">
      {result.map((item, index) => (
        <li key={index}>
          <span className="muted">{item.control}:</span>{' '}
          {describeItem(item, controls.find((c) => c.name === item.control))}
        </li>
      ))}
    </ul>
  );
}

function RevisionRow({ revision, controls }: { revision: HistoryRevision; controls: Control[] }) {
  return (
    <tr
      data-testid="history-revision"
      data-annotation-id={revision.annotation_id}
      data-revision={revision.revision}
      data-instructions-version={revision.instructions_version}
    >
      <td className="num">{revision.annotation_id}</td>
      <td className="num">{revision.revision}</td>
      <td>{who(revision.annotator)}</td>
      <td>{formatTime(revision.created_at)}</td>
      <td>{sourceNames[revision.source] ?? revision.source}</td>
      <td>
        {!revision.reason || revision.reason === 'first' ? (
          <span className="muted">first</span>
        ) : (
          (reasonNames[revision.reason] ?? revision.reason)
        )}
        {revision.comment && <div className="small rework-comment">{revision.comment}</div>}
      </td>
      <td data-testid="history-instructions-version">
        {typeof revision.instructions_version === 'number' ? instructionsVersionText(revision.instructions_version) : '—'}
      </td>
      <td>
        <ResultLines result={revision.result} controls={controls} />
      </td>
    </tr>
  );
}

export function TaskHistoryPanel({ taskId, controls }: { taskId: number; controls: Control[] }) {
  const history = useAsync(() => api.taskHistory(taskId), [taskId]);
  const h = history.data;
  const revisions = h?.items ?? h?.revisions ?? [];
  const reviews = h?.reviews ?? [];
  return (
    <div className="panel task-history" data-testid="task-history" data-task-id={taskId}>
      <h3>History of task {taskId}</h3>
      <ErrorText error={history.error} />
      {history.loading && !h && <p className="muted">Loading…</p>}
      {h && (
        <>
          {revisions.length === 0 ? (
            <p className="muted">No annotation yet.</p>
          ) : (
            <div className="table-scroll">
              <table className="table">
                <thead>
                  <tr>
                    <th className="num">Annotation</th>
                    <th className="num">Revision</th>
                    <th>By</th>
                    <th>When</th>
                    <th>Source</th>
                    <th>Why</th>
                    <th>Instructions</th>
                    <th>Label</th>
                  </tr>
                </thead>
                <tbody>
                  {revisions.map((r) => (
                    <RevisionRow key={`${r.annotation_id}:${r.revision}`} revision={r} controls={controls} />
                  ))}
                </tbody>
              </table>
            </div>
          )}
          <h4>Reviews</h4>
          {reviews.length === 0 ? (
            <p className="muted">Not reviewed.</p>
          ) : (
            <ul className="plain-list" data-testid="history-reviews">
              {reviews.map((r, i) => (
                <li key={i} data-testid="history-review" data-decision={r.decision}>
                  <strong>{decisionNames[r.decision] ?? r.decision}</strong> by {who(r.reviewer)} · {formatTime(r.created_at)}
                  {r.comment && <div className="small rework-comment">{r.comment}</div>}
                </li>
              ))}
            </ul>
          )}
          <h4>Final label</h4>
          {h.final ? (
            <div data-testid="history-final" data-method={h.final.method}>
              <p className="muted small">
                {methodName(h.final.method)}
                {h.final.decided_by && <> · {who(h.final.decided_by)}</>} · {formatTime(h.final.updated_at)}
              </p>
              <ResultLines result={h.final.result} controls={controls} />
            </div>
          ) : (
            <p className="muted">No final label yet.</p>
          )}
        </>
      )}
    </div>
  );
}
