// The reviewer's queue: one task at a time from POST /projects/:id/review/next,
// every annotator's annotation side by side with the label consensus proposes,
// and the decisions of docs/workflow.md (accept, reject with a comment, fix;
// in adjudication resolve with one annotation or an edited label).
import { lazy, Suspense, useCallback, useEffect, useRef, useState } from 'react';
import {
  api,
  ApiError,
  type Media,
  type NewReview,
  type Project,
  type ResultItem,
  type ReviewItem,
  type ReviewStage,
} from '../api';
import { DeadlineBadge } from '../components/DeadlineBadge';
import { ErrorText, withField } from '../components/ErrorText';
import { isTyping, useWindowListener } from '../editor/keys';
import { isImageControl } from '../editor/result';
import { SourceView } from '../editor/SourceView';
import { TaskEditor } from '../editor/TaskEditor';
import { ResultView } from '../review/ResultView';
import { Link, paths } from '../router';
import { useAsync } from '../useAsync';
import { instructionsVersionText, isInstructionsGate } from '../instructions/gate';
import { InstructionsGateLater } from '../instructions/Later';

const TaskHistoryPanel = lazy(() => import('../versions/TaskHistory').then((m) => ({ default: m.TaskHistoryPanel })));

type View =
  | { kind: 'loading' }
  | { kind: 'instructions'; version?: number }
  | { kind: 'item'; item: ReviewItem }
  | { kind: 'empty' }
  | { kind: 'expired'; message: string }
  | { kind: 'failed'; message: string };

const methodNames: Record<string, string> = {
  majority: 'majority vote',
  dawid_skene: 'Dawid–Skene',
  review_fix: 'fixed by a reviewer',
  single: 'single annotation',
};

export function methodName(method: string): string {
  return methodNames[method] ?? method;
}

export function formatAgreement(agreement: number): string {
  return `${Math.round(agreement * 100)}%`;
}

export function ReviewQueue({ projectId }: { projectId: number }) {
  const project = useAsync(() => api.getProject(projectId), [projectId]);
  if (project.error) return <ErrorText error={project.error} />;
  if (!project.data) return <p className="muted">Loading…</p>;
  return <ReviewSession key={project.data.id} project={project.data} />;
}

function ReviewSession({ project }: { project: Project }) {
  const controls = project.schema.controls;
  const [stage, setStage] = useState<ReviewStage | ''>('');
  const [view, setView] = useState<View>({ kind: 'loading' });
  const [editing, setEditing] = useState(false);
  const [showHistory, setShowHistory] = useState(false);
  const [comment, setComment] = useState('');
  const [notice, setNotice] = useState<string>();
  const [busy, setBusy] = useState(false);
  const commentBox = useRef<HTMLTextAreaElement>(null);
  const inFlight = useRef(false);
  const loads = useRef(0);

  const loadNext = useCallback(async () => {
    const load = ++loads.current;
    setView({ kind: 'loading' });
    setEditing(false);
    setShowHistory(false);
    setComment('');
    setNotice(undefined);
    try {
      const item = await api.nextReview(project.id, stage || undefined);
      if (load !== loads.current) return;
      setView(item ? { kind: 'item', item } : { kind: 'empty' });
    } catch (e) {
      if (load !== loads.current) return;
      if (isInstructionsGate(e)) setView({ kind: 'instructions', version: e.version });
      else setView({ kind: 'failed', message: (e as Error).message });
    }
  }, [project.id, stage]);

  useEffect(() => {
    void loadNext();
  }, [loadNext]);

  // The ref is set at once, so a second key press before the next render
  // cannot send the decision twice.
  const decide = async (decision: Omit<NewReview, 'lease_id'>) => {
    if (view.kind !== 'item' || inFlight.current) return;
    const { task, lease } = view.item;
    inFlight.current = true;
    setBusy(true);
    setNotice(undefined);
    try {
      await api.review(task.id, { lease_id: lease.id, ...decision });
    } catch (e) {
      if (e instanceof ApiError && e.status === 409) setView({ kind: 'expired', message: e.message });
      else {
        const message = withField(e as Error);
        setNotice(typeof message === 'string' ? message : message?.message);
      }
      return;
    } finally {
      inFlight.current = false;
      setBusy(false);
    }
    await loadNext();
  };

  const reject = () => {
    if (!comment.trim()) {
      setNotice('Say what to change: a rejection needs a comment for the annotators.');
      commentBox.current?.focus();
      return;
    }
    void decide({ decision: 'reject', comment: comment.trim() });
  };

  const item = view.kind === 'item' ? view.item : undefined;
  const adjudicating = item?.stage === 'adjudication';

  const submitEdit = (result: ResultItem[], media: Media | undefined) => {
    void decide({ decision: adjudicating ? 'resolve' : 'fix', result, ...(media ? { media } : {}) });
  };

  const onKey = (event: KeyboardEvent) => {
    if (event.ctrlKey || event.metaKey || event.altKey || isTyping(event.target) || event.defaultPrevented) return;
    if ((view.kind === 'expired' || view.kind === 'failed') && event.key === 'Enter') {
      event.preventDefault();
      if (!event.repeat) void loadNext();
      return;
    }
    if (!item || editing || event.repeat) return;
    const key = event.key.toLowerCase();
    if (key === 'a' && !adjudicating) {
      event.preventDefault();
      void decide({ decision: 'accept' });
    } else if (key === 'r') {
      event.preventDefault();
      commentBox.current?.focus();
    } else if (key === 'e') {
      event.preventDefault();
      setEditing(true);
    } else if (adjudicating && /^[1-9]$/.test(event.key)) {
      const chosen = item.annotations[Number(event.key) - 1];
      if (chosen) {
        event.preventDefault();
        void decide({ decision: 'resolve', annotation_id: chosen.annotation_id });
      }
    }
  };
  useWindowListener('keydown', onKey);

  // Sources an image overlay does not show are shown once, above the annotations.
  const drawn = new Set(controls.filter(isImageControl).map((c) => c.source));
  const sources = [...new Set(controls.map((c) => c.source))].filter(
    (field) => !drawn.has(field) || !item?.annotations.some((a) => a.media?.width),
  );

  return (
    <section className="labeling review">
      <p>
        <Link to={paths.projects()}>← Projects</Link>
      </p>
      <div className="heading">
        <h1>Review · {project.name}</h1>
        <label className="inline">
          Queue
          <select
            value={stage}
            onChange={(e) => setStage(e.target.value as ReviewStage | '')}
            data-testid="review-stage"
          >
            <option value="">adjudication first, then review</option>
            <option value="review">review</option>
            <option value="adjudication">adjudication</option>
          </select>
        </label>
      </div>
      {view.kind === 'loading' && <p className="muted">Loading the next task…</p>}
      {view.kind === 'instructions' && (
        <InstructionsGateLater
          projectId={project.id}
          version={view.version}
          controls={controls}
          onAcknowledged={() => void loadNext()}
        />
      )}
      {item && (
        <div data-testid="review-task" data-task-id={item.task.id} data-stage={item.stage}>
          <p>
            <span className={`state state-${item.stage === 'adjudication' ? 'adjudicating' : 'reviewing'}`}>
              {item.stage}
            </span>{' '}
            Task {item.task.id} {item.task.deadline_soon && <DeadlineBadge deadline={item.task.deadline} />}{' '}
            <button
              type="button"
              className="link"
              onClick={() => setShowHistory((s) => !s)}
              aria-expanded={showHistory}
              data-testid="review-history"
            >
              {showHistory ? 'Hide history' : 'History'}
            </button>
          </p>
          {showHistory && (
            <Suspense fallback={<p className="muted">Loading…</p>}>
              <TaskHistoryPanel taskId={item.task.id} controls={controls} />
            </Suspense>
          )}
          {editing ? (
            <>
              <p className="muted">
                {adjudicating
                  ? 'Edit the final label, then resolve the task with it.'
                  : 'Fix the final label; your version becomes the task’s label.'}{' '}
                <button type="button" className="link" onClick={() => setEditing(false)} data-testid="cancel-edit">
                  Back to the annotations
                </button>
              </p>
              <TaskEditor
                key={`edit:${item.task.id}`}
                task={item.task}
                controls={controls}
                busy={busy}
                notice={notice}
                start={item.final ?? item.annotations[0] ?? undefined}
                submitLabel={adjudicating ? 'Resolve' : 'Submit fix'}
                onSubmit={submitEdit}
              />
            </>
          ) : (
            <>
              <div className="sources">
                {sources.map((field) => (
                  <SourceView key={field} field={field} value={item.task.data[field]} />
                ))}
              </div>
              <div className="compare">
                {item.annotations.map((a, index) => (
                  <div
                    key={a.annotation_id}
                    className="panel"
                    data-testid="review-annotation"
                    data-annotation-id={a.annotation_id}
                    data-username={a.username}
                  >
                    <div className="heading">
                      <h2>
                        {a.username}
                        {a.instructions_version !== undefined && (
                          <span className="muted small" data-testid="annotation-instructions-version">
                            {' '}
                            {instructionsVersionText(a.instructions_version)}
                          </span>
                        )}
                      </h2>
                      {adjudicating && (
                        <button
                          type="button"
                          disabled={busy}
                          onClick={() => void decide({ decision: 'resolve', annotation_id: a.annotation_id })}
                          data-testid="use-annotation"
                        >
                          Use this one {index < 9 && <kbd>{index + 1}</kbd>}
                        </button>
                      )}
                    </div>
                    <ResultView task={item.task} controls={controls} result={a.result} media={a.media} />
                  </div>
                ))}
                <div className="panel final" data-testid="review-final">
                  <h2>Proposed label</h2>
                  {item.final ? (
                    <>
                      <p className="muted" data-testid="final-method">
                        {methodName(item.final.method)} · agreement{' '}
                        <span data-testid="final-agreement">{formatAgreement(item.final.agreement)}</span>
                      </p>
                      <ResultView task={item.task} controls={controls} result={item.final.result} media={item.final.media} />
                    </>
                  ) : (
                    <p className="muted">Consensus proposes no label.</p>
                  )}
                </div>
              </div>
              <div className="panel decisions">
                <div className="row">
                  {!adjudicating && (
                    <button
                      type="button"
                      className="primary"
                      disabled={busy}
                      onClick={() => void decide({ decision: 'accept' })}
                      data-testid="review-accept"
                    >
                      Accept <kbd>A</kbd>
                    </button>
                  )}
                  <button type="button" disabled={busy} onClick={() => setEditing(true)} data-testid="review-edit">
                    {adjudicating ? 'Edit and resolve' : 'Fix'} <kbd>E</kbd>
                  </button>
                </div>
                <label>
                  Comment for the annotators (required to reject)
                  <textarea
                    ref={commentBox}
                    rows={3}
                    value={comment}
                    onChange={(e) => setComment(e.target.value)}
                    onKeyDown={(e) => {
                      if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
                        e.preventDefault();
                        reject();
                      } else if (e.key === 'Escape') {
                        e.currentTarget.blur();
                      }
                    }}
                    data-testid="review-comment"
                  />
                </label>
                <div className="row">
                  <button type="button" disabled={busy} onClick={reject} data-testid="review-reject">
                    Reject <kbd>R</kbd>
                  </button>
                  <span className="muted">R goes to the comment, Ctrl+Enter there rejects.</span>
                </div>
                <ErrorText error={notice} testId="review-notice" />
              </div>
            </>
          )}
        </div>
      )}
      {view.kind === 'empty' && (
        <div className="panel" data-testid="review-empty">
          <h2>Nothing to review</h2>
          <p>
            No task waits for {stage === '' ? 'review or adjudication' : stage} in this project.{' '}
            <Link to={paths.projects()}>Back to projects</Link>
          </p>
          <button type="button" onClick={() => void loadNext()}>
            Look again
          </button>
        </div>
      )}
      {(view.kind === 'expired' || view.kind === 'failed') && (
        <div className="panel" role="alert" data-testid={view.kind === 'expired' ? 'lease-expired' : 'load-failed'}>
          <p className="error">{view.message}</p>
          {view.kind === 'expired' && <p>This task is no longer held for you; your decision was not saved.</p>}
          <button type="button" className="primary" onClick={() => void loadNext()} data-testid="next-task">
            Get the next task <kbd>Enter</kbd>
          </button>
        </div>
      )}
    </section>
  );
}
