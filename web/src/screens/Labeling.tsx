import { useCallback, useEffect, useRef, useState } from 'react';
import {
  api,
  ApiError,
  newIdempotencyKey,
  type Lease,
  type Media,
  type Progress,
  type Project,
  type QueueRule,
  type ResultItem,
  type ReviewNote,
  type Task,
} from '../api';
import { DeadlineBadge } from '../components/DeadlineBadge';
import { ErrorText } from '../components/ErrorText';
import { isTyping, useWindowListener } from '../editor/keys';
import { TaskEditor } from '../editor/TaskEditor';
import { formatCount } from '../format';
import { Link, paths } from '../router';
import { useAsync } from '../useAsync';
import { isInstructionsGate } from '../instructions/gate';
import { InstructionsGateLater, InstructionsPanelLater } from '../instructions/Later';

type View =
  | { kind: 'loading' }
  | { kind: 'instructions'; version?: number }
  | { kind: 'training'; code: string; message: string }
  | { kind: 'task'; task: Task; lease: Lease; rule?: QueueRule; review?: ReviewNote }
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

/** What a reviewer said about the caller's earlier labels of a task sent back for rework. */
function ReworkNote({ review }: { review?: ReviewNote }) {
  const reviewer = typeof review?.reviewer === 'string' ? review.reviewer : review?.reviewer?.username;
  return (
    <div className="rework" role="note" data-testid="rework">
      <h2>Sent back for rework{reviewer ? ` by ${reviewer}` : ''}</h2>
      {review?.comment && (
        <p className="rework-comment" data-testid="rework-comment">
          {review.comment}
        </p>
      )}
      <p className="muted">The editor starts from your earlier labels; change them and submit again.</p>
    </div>
  );
}

function LabelingSession({ project }: { project: Project }) {
  const controls = project.schema.controls;
  const [view, setView] = useState<View>({ kind: 'loading' });
  const [progress, setProgress] = useState<Progress>();
  const [notice, setNotice] = useState<string>();
  const [busy, setBusy] = useState(false);
  const [reading, setReading] = useState(false);
  const [acknowledged, setAcknowledged] = useState(0);
  const instructions = useAsync(() => api.instructions(project.id).catch(() => null), [project.id, acknowledged]);
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
      const reason = next.reason as Error;
      if (isInstructionsGate(reason)) {
        setReading(false);
        setView({ kind: 'instructions', version: reason.version });
      } else if (reason instanceof ApiError && (reason.code === 'not_qualified' || reason.code === 'labeler_paused')) {
        setView({ kind: 'training', code: reason.code, message: reason.message });
      } else {
        setView({ kind: 'failed', message: reason.message });
      }
      return;
    }
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
    } else if (error instanceof ApiError && error.field && !error.message.includes(error.field)) {
      // A refused result names the item, e.g. result[2].points[1].
      setNotice(`${error.field}: ${error.message}`);
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

  // The editor checks required controls; this sends what it hands over.
  const submit = async (result: ResultItem[], media: Media | undefined) => {
    if (view.kind !== 'task' || inFlight.current) return;
    setNotice(undefined);
    const signature = JSON.stringify({ result, media });
    if (attempt.current?.signature !== signature) {
      const leadTimeMs = Math.round(performance.now() - shownAt.current);
      attempt.current = { key: newIdempotencyKey(), signature, leadTimeMs };
    }
    const { key, leadTimeMs } = attempt.current;
    const { task, lease } = view;
    // The pre-label the editor started from, so the acceptance statistics
    // can tell it was kept, edited or discarded (docs/automation.md).
    const prelabelId = !task.previous_result ? task.prelabel?.id : undefined;
    const annotation = {
      result,
      lease_id: lease.id,
      lead_time_ms: leadTimeMs,
      ...(media ? { media } : {}),
      ...(prelabelId !== undefined ? { prelabel_id: prelabelId } : {}),
    };
    await send(() => api.submitAnnotation(task.id, annotation, key), 'Enter');
  };

  const skip = async () => {
    if (view.kind !== 'task') return;
    const { task, lease } = view;
    await send(() => api.skip(task.id, lease.id), 'S');
  };

  // The editor has its own keys while a task is shown; these are for the
  // screens in between.
  const hasInstructions = Boolean(instructions.data?.current);
  const onKey = (event: KeyboardEvent) => {
    if (event.ctrlKey || event.metaKey || event.altKey || isTyping(event.target)) return;
    if (event.key.toLowerCase() === 'i' && hasInstructions && view.kind !== 'instructions' && !event.defaultPrevented) {
      event.preventDefault();
      if (!event.repeat) setReading((r) => !r);
      return;
    }
    if ((view.kind === 'expired' || view.kind === 'failed') && event.key === 'Enter') {
      event.preventDefault();
      if (!event.repeat) void loadNext();
    }
  };

  useWindowListener('keydown', onKey);

  return (
    <section className="labeling">
      <div className="heading">
        <h1>{project.name}</h1>
        <span className="progress" data-testid="progress">
          {progress && progressLine(progress)}
        </span>
        {hasInstructions && view.kind !== 'instructions' && (
          <button
            type="button"
            onClick={() => setReading((r) => !r)}
            aria-pressed={reading}
            data-testid="open-instructions"
          >
            Instructions{instructions.data?.current ? ` (version ${instructions.data.current})` : ''} <kbd>I</kbd>
          </button>
        )}
      </div>
      {reading && view.kind !== 'instructions' && (
        <InstructionsPanelLater projectId={project.id} controls={controls} onClose={() => setReading(false)} />
      )}
      {view.kind === 'instructions' && (
        <InstructionsGateLater
          projectId={project.id}
          version={view.version}
          controls={controls}
          onAcknowledged={() => {
            setAcknowledged((n) => n + 1);
            void loadNext();
          }}
        />
      )}
      {view.kind === 'loading' && <p className="muted">Loading the next task…</p>}
      {view.kind === 'task' && (view.rule === 'rework' || view.review) && <ReworkNote review={view.review} />}
      {view.kind === 'task' && view.task.deadline_soon && (
        <p>
          <DeadlineBadge deadline={view.task.deadline} />
        </p>
      )}
      {view.kind === 'task' && (
        <TaskEditor
          key={view.task.id}
          task={view.task}
          controls={controls}
          busy={busy}
          notice={notice}
          onSubmit={(result, media) => void submit(result, media)}
          onSkip={() => void skip()}
        />
      )}
      {view.kind === 'training' && (
        <div className="panel" role="note" data-testid="training-gate" data-code={view.code}>
          <h2>{view.code === 'labeler_paused' ? 'You are paused from this project' : 'Qualify first'}</h2>
          <p>{view.message}</p>
          <p>
            <Link to={paths.training(project.id)} className="button primary" data-testid="open-training">
              {view.code === 'labeler_paused' ? 'See why' : 'Practice and take the qualification test'}
            </Link>
          </p>
        </div>
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
