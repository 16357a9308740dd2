import { useCallback, useEffect, useLayoutEffect, useRef, useState } from 'react';
import { api, ApiError, newIdempotencyKey, type Lease, type Progress, type Project, type Task } from '../api';
import { ErrorText } from '../components/ErrorText';
import { firstMissing, pick, toResult, type Selection } from '../editor/selection';
import { TaskEditor } from '../editor/TaskEditor';
import { formatCount } from '../format';
import { Link, paths } from '../router';
import { useAsync } from '../useAsync';

type View =
  | { kind: 'loading' }
  | { kind: 'task'; task: Task; lease: Lease }
  | { kind: 'empty' }
  | { kind: 'expired'; message: string }
  | { kind: 'failed'; message: string };

/** One submission; a retry of the same result reuses its key so the server stores it once. */
interface Attempt {
  key: string;
  signature: string;
  leadTimeMs: number;
}

export function Labeling({ projectId }: { projectId: number }) {
  const project = useAsync(() => api.getProject(projectId), [projectId]);
  if (project.error) return <ErrorText error={project.error} />;
  if (!project.data) return <p className="muted">Loading…</p>;
  return <LabelingSession key={project.data.id} project={project.data} />;
}

function progressLine({ done, total, mine }: Progress): string {
  return `${formatCount(done)} of ${formatCount(total)} done · you labeled ${formatCount(mine)}`;
}

function isTyping(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  return target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName);
}

function LabelingSession({ project }: { project: Project }) {
  const controls = project.schema.controls;
  const [view, setView] = useState<View>({ kind: 'loading' });
  const [progress, setProgress] = useState<Progress>();
  const [selection, setSelection] = useState<Selection>({});
  const [active, setActive] = useState(0);
  const [notice, setNotice] = useState<string>();
  const [busy, setBusy] = useState(false);
  const shownAt = useRef(0);
  const attempt = useRef<Attempt | null>(null);
  const loads = useRef(0);
  const inFlight = useRef(false);

  const loadNext = useCallback(async () => {
    const load = ++loads.current;
    setView({ kind: 'loading' });
    setNotice(undefined);
    const [next, counts] = await Promise.allSettled([api.next(project.id), api.progress(project.id)]);
    if (load !== loads.current) return;
    if (counts.status === 'fulfilled') setProgress(counts.value);
    if (next.status === 'rejected') {
      setView({ kind: 'failed', message: (next.reason as Error).message });
      return;
    }
    setSelection({});
    setActive(0);
    attempt.current = null;
    setView(next.value ? { kind: 'task', ...next.value } : { kind: 'empty' });
  }, [project.id]);

  useEffect(() => {
    void loadNext();
  }, [loadNext]);

  const taskId = view.kind === 'task' ? view.task.id : undefined;
  useEffect(() => {
    if (taskId !== undefined) shownAt.current = performance.now();
  }, [taskId]);

  const failed = (error: unknown, retryKey: string) => {
    if (error instanceof ApiError && error.status === 409) {
      setView({ kind: 'expired', message: error.message });
    } else if (error instanceof ApiError && error.code === 'network') {
      setNotice(`${error.message} Press ${retryKey} to try again.`);
    } else {
      setNotice(error instanceof Error ? error.message : String(error));
    }
  };

  // The ref, unlike `busy`, is set at once, so a second key press that arrives
  // before the next render cannot send the request twice.
  const send = async (request: () => Promise<unknown>, retryKey: string) => {
    if (inFlight.current) return;
    inFlight.current = true;
    setBusy(true);
    try {
      await request();
    } catch (e) {
      failed(e, retryKey);
      return;
    } finally {
      inFlight.current = false;
      setBusy(false);
    }
    await loadNext();
  };

  const choose = (controlIndex: number, labelIndex: number) => {
    const control = controls[controlIndex];
    const label = control?.labels[labelIndex];
    if (!control || label === undefined) return;
    setSelection((s) => pick(s, control, label));
    setActive(controlIndex);
    setNotice(undefined);
  };

  const submit = async () => {
    if (view.kind !== 'task' || inFlight.current) return;
    const missing = firstMissing(controls, selection);
    if (missing) {
      setNotice(`Choose ${missing.multiple ? 'at least one label' : 'a label'} for “${missing.name}”.`);
      setActive(controls.indexOf(missing));
      return;
    }
    const result = toResult(controls, selection);
    const signature = JSON.stringify(result);
    if (attempt.current?.signature !== signature) {
      const leadTimeMs = Math.round(performance.now() - shownAt.current);
      attempt.current = { key: newIdempotencyKey(), signature, leadTimeMs };
    }
    const { key, leadTimeMs } = attempt.current;
    const { task, lease } = view;
    const annotation = { result, lease_id: lease.id, lead_time_ms: leadTimeMs };
    await send(() => api.submitAnnotation(task.id, annotation, key), 'Enter');
  };

  const skip = async () => {
    if (view.kind !== 'task') return;
    const { task, lease } = view;
    await send(() => api.skip(task.id, lease.id), 'S');
  };

  const onKey = (event: KeyboardEvent) => {
    if (event.ctrlKey || event.metaKey || event.altKey || isTyping(event.target)) return;
    if (view.kind === 'expired' || view.kind === 'failed') {
      if (event.key === 'Enter') {
        event.preventDefault();
        if (!event.repeat) void loadNext();
      }
      return;
    }
    if (view.kind !== 'task') return;
    if (/^[1-9]$/.test(event.key)) {
      event.preventDefault();
      if (!busy) choose(active, Number(event.key) - 1);
    } else if (event.key === 'Tab' && controls.length > 1) {
      event.preventDefault();
      const step = event.shiftKey ? -1 : 1;
      setActive((a) => (a + step + controls.length) % controls.length);
    } else if (event.key === 'Enter') {
      event.preventDefault();
      if (!event.repeat) void submit();
    } else if (event.key === 's' || event.key === 'S') {
      event.preventDefault();
      if (!event.repeat) void skip();
    }
  };

  // One window listener that always calls the handler of the latest render;
  // a layout effect updates it before the new task is painted.
  const keyHandler = useRef(onKey);
  useLayoutEffect(() => {
    keyHandler.current = onKey;
  });
  useEffect(() => {
    const listener = (event: KeyboardEvent) => keyHandler.current(event);
    window.addEventListener('keydown', listener);
    return () => window.removeEventListener('keydown', listener);
  }, []);

  return (
    <section className="labeling">
      <div className="heading">
        <h1>{project.name}</h1>
        <span className="progress" data-testid="progress">
          {progress && progressLine(progress)}
        </span>
      </div>
      {view.kind === 'loading' && <p className="muted">Loading the next task…</p>}
      {view.kind === 'task' && (
        <TaskEditor
          key={view.task.id}
          task={view.task}
          controls={controls}
          selection={selection}
          active={active}
          busy={busy}
          notice={notice}
          onPick={choose}
          onActivate={setActive}
          onSubmit={() => void submit()}
          onSkip={() => void skip()}
        />
      )}
      {view.kind === 'empty' && (
        <div className="panel" data-testid="nothing-left">
          <h2>No more tasks</h2>
          <p>
            Nothing is left for you in this project. <Link to={paths.projects()}>Back to projects</Link>
          </p>
        </div>
      )}
      {(view.kind === 'expired' || view.kind === 'failed') && (
        <div className="panel" role="alert" data-testid={view.kind === 'expired' ? 'lease-expired' : 'load-failed'}>
          <p className="error">{view.message}</p>
          {view.kind === 'expired' && (
            <p>This task is no longer held for you; your labels for it were not saved.</p>
          )}
          <button type="button" className="primary" onClick={() => void loadNext()} data-testid="next-task">
            Get the next task <kbd>Enter</kbd>
          </button>
        </div>
      )}
    </section>
  );
}
