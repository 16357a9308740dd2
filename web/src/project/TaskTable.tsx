import { Fragment, lazy, Suspense, useState } from 'react';
import { api, taskStates, type Control, type Task, type TaskState } from '../api';
import { CursorPager, useCursors } from '../components/CursorPager';
import { DeadlineBadge } from '../components/DeadlineBadge';
import { ErrorText } from '../components/ErrorText';
import { useAsync } from '../useAsync';
import { formatCount, formatTime, lastUpdated, summarizeResult } from '../format';
import { instructionsVersionText } from '../instructions/gate';

const TaskHistoryPanel = lazy(() => import('../versions/TaskHistory').then((m) => ({ default: m.TaskHistoryPanel })));

const pageSize = 50;

/**
 * One page of a project's tasks at a time, paged by the server's cursor; the
 * cursors of the pages before the current one are kept to go back.
 */
export function TaskTable({ projectId, version, controls }: { projectId: number; version: number; controls: Control[] }) {
  const [state, setState] = useState<TaskState | ''>('');
  const [open, setOpen] = useState<number>();
  const pages = useCursors();
  const cursor = pages.cursor;
  const page = useAsync(
    () => api.listTasks(projectId, { state: state || undefined, limit: pageSize, cursor }),
    [projectId, state, cursor, version],
  );

  const filter = (value: string) => {
    setState(value as TaskState | '');
    pages.reset();
  };
  const nextCursor = page.data?.next_cursor;
  const first = pages.page * pageSize;
  const shown = page.data?.items.length ?? 0;
  const range = shown > 0 ? `${formatCount(first + 1)}–${formatCount(first + shown)}` : 'none';

  return (
    <div className="panel">
      <div className="heading">
        <h2>Tasks</h2>
        <label className="inline">
          State
          <select value={state} onChange={(e) => filter(e.target.value)} data-testid="state-filter">
            <option value="">all</option>
            {taskStates.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
      </div>
      <ErrorText error={page.error} />
      <table className={page.loading ? 'table loading' : 'table'} data-testid="task-table">
        <thead>
          <tr>
            <th className="num">ID</th>
            <th>State</th>
            <th>Label</th>
            <th>Annotator</th>
            <th>Updated</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {page.data?.items.map((task) => (
            <Fragment key={task.id}>
              <TaskRow task={task} open={open === task.id} onToggle={() => setOpen(open === task.id ? undefined : task.id)} />
              {open === task.id && (
                <tr className="history-row">
                  <td colSpan={6}>
                    <Suspense fallback={<p className="muted">Loading…</p>}>
                      <TaskHistoryPanel taskId={task.id} controls={controls} />
                    </Suspense>
                  </td>
                </tr>
              )}
            </Fragment>
          ))}
        </tbody>
      </table>
      <CursorPager pages={pages} nextCursor={nextCursor} loading={page.loading} rangeTestId="task-range">
        {range} of {page.data ? formatCount(page.data.total) : '…'}
      </CursorPager>
    </div>
  );
}

function TaskRow({ task, open, onToggle }: { task: Task; open: boolean; onToggle: () => void }) {
  return (
    <tr data-testid="task-row" data-task-id={task.id} data-state={task.state}>
      <td className="num">{task.id}</td>
      <td>
        <span className={`state state-${task.state}`}>{task.state}</span>
        {task.deadline_soon && (
          <>
            {' '}
            <DeadlineBadge deadline={task.deadline} />
          </>
        )}
      </td>
      <td>
        {task.annotations.map((a) => (
          <div key={a.id}>{summarizeResult(a)}</div>
        ))}
      </td>
      <td>
        {task.annotations.map((a) => (
          <div key={a.id}>
            {a.annotator.username}
            {a.instructions_version !== undefined && (
              <span className="muted small" data-testid="annotation-instructions-version">
                {' '}
                · {instructionsVersionText(a.instructions_version)}
              </span>
            )}
          </div>
        ))}
      </td>
      <td>{formatTime(lastUpdated(task))}</td>
      <td className="actions">
        <button type="button" className="link" onClick={onToggle} aria-expanded={open} data-testid="task-history-toggle">
          {open ? 'Hide history' : 'History'}
        </button>
      </td>
    </tr>
  );
}
