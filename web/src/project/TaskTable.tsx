import { useState } from 'react';
import { api, taskStates, type Task, type TaskState } from '../api';
import { DeadlineBadge } from '../components/DeadlineBadge';
import { ErrorText } from '../components/ErrorText';
import { useAsync } from '../useAsync';
import { formatCount, formatTime, lastUpdated, summarizeResult } from '../format';

const pageSize = 50;

/**
 * One page of a project's tasks at a time, paged by the server's cursor; the
 * cursors of the pages before the current one are kept to go back.
 */
export function TaskTable({ projectId, version }: { projectId: number; version: number }) {
  const [state, setState] = useState<TaskState | ''>('');
  const [cursors, setCursors] = useState<string[]>([]);
  const cursor = cursors[cursors.length - 1];
  const page = useAsync(
    () => api.listTasks(projectId, { state: state || undefined, limit: pageSize, cursor }),
    [projectId, state, cursor, version],
  );

  const filter = (value: string) => {
    setState(value as TaskState | '');
    setCursors([]);
  };
  const nextCursor = page.data?.next_cursor;
  const first = cursors.length * pageSize;
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
          </tr>
        </thead>
        <tbody>
          {page.data?.items.map((task) => <TaskRow key={task.id} task={task} />)}
        </tbody>
      </table>
      <div className="pager">
        <span className="muted" data-testid="task-range">
          {range} of {page.data ? formatCount(page.data.total) : '…'}
        </span>
        <button type="button" disabled={cursors.length === 0} onClick={() => setCursors((c) => c.slice(0, -1))}>
          Previous page
        </button>
        <button
          type="button"
          disabled={!nextCursor || page.loading}
          onClick={() => nextCursor && setCursors((c) => [...c, nextCursor])}
        >
          Next page
        </button>
      </div>
    </div>
  );
}

function TaskRow({ task }: { task: Task }) {
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
          <div key={a.id}>{a.annotator.username}</div>
        ))}
      </td>
      <td>{formatTime(lastUpdated(task))}</td>
    </tr>
  );
}
