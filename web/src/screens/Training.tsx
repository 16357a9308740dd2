// Training and qualification (docs/training.md). Every member sees their own
// standing and can practice (the normal editor, then the expert's answer
// beside theirs) and take the qualification test (no feedback until the
// end). Managers also set the practice set and the qualification and
// ongoing-check settings, and see every labeler and workforce.
import { useEffect, useRef, useState } from 'react';
import {
  api,
  type Media,
  type PracticeFeedback,
  type Project,
  type QualificationAttempt,
  type ResultItem,
  type TrainingSettings,
  type TrainingStatus,
  type TrainingTask,
  type User,
} from '../api';
import { ErrorText, withField } from '../components/ErrorText';
import { isTyping, useWindowListener } from '../editor/keys';
import { TaskEditor } from '../editor/TaskEditor';
import { formatTime } from '../format';
import { InstructionsPanelLater } from '../instructions/Later';
import { canManage } from '../session';
import { FeedbackView } from '../training/FeedbackView';
import { useAction } from '../useAction';
import { useAsync } from '../useAsync';
import { ProjectNav } from '../versions/ProjectNav';

type Mode = 'home' | 'practice' | 'test';

const pct = (x: number | null | undefined) => (x === null || x === undefined ? '—' : `${Math.round(x * 100)} %`);

function duration(ms: number | null): string {
  if (ms === null) return '—';
  const minutes = Math.round(ms / 60000);
  if (minutes < 120) return `${minutes} min`;
  return `${Math.round(minutes / 60)} h`;
}

export function Training({ projectId, user }: { projectId: number; user: User }) {
  const project = useAsync(() => api.getProject(projectId), [projectId]);
  const [mode, setMode] = useState<Mode>('home');
  const [generation, setGeneration] = useState(0);
  const status = useAsync(() => api.trainingStatus(projectId), [projectId, generation, mode]);
  const home = () => {
    setMode('home');
    setGeneration((g) => g + 1);
  };
  return (
    <section className="training-screen" data-testid="training-screen">
      {canManage(user) && <ProjectNav projectId={projectId} projectName={project.data?.name} current="training" />}
      <h1>Training{project.data ? ` · ${project.data.name}` : ''}</h1>
      <ErrorText error={project.error ?? status.error} />
      {project.data && mode === 'practice' && <PracticeSession project={project.data} onDone={home} />}
      {project.data && mode === 'test' && <TestSession project={project.data} onDone={home} />}
      {mode === 'home' && status.data && <MyStanding status={status.data} onMode={setMode} />}
      {mode === 'home' && project.data && canManage(user) && <ManagerPanels project={project.data} />}
    </section>
  );
}

/** The caller's own standing, and why they get no real tasks if they do not. */
export function MyStanding({ status, onMode }: { status: TrainingStatus; onMode: (m: Mode) => void }) {
  const why =
    status.reason === 'paused'
      ? 'You are paused from this project: your accuracy on checked tasks fell below the threshold. A manager can resume you.'
      : status.reason === 'requalify'
        ? 'The instructions changed since you passed: pass the qualification test again to get tasks.'
        : status.reason === 'not_qualified'
          ? 'This project gives real tasks only to labelers who passed its qualification test.'
          : status.required
            ? 'You are qualified for this project.'
            : 'This project requires no qualification test.';
  return (
    <div className="panel" data-testid="my-training">
      <h2>Your training</h2>
      <p data-testid="training-reason">{why}</p>
      <p className="muted">
        Practice: {status.practice.done} done, {pct(status.practice.accuracy)} correct · Tests: {status.tests.taken} taken
        {status.tests.best_score !== null && `, best ${pct(status.tests.best_score)}`}
      </p>
      {status.retry_at && (
        <p data-testid="retry-at">
          You can retake the test from {formatTime(status.retry_at)}
          {status.practice_to_retry > 0 && `, or after ${status.practice_to_retry} more practice tasks`}.
        </p>
      )}
      <div className="row">
        <button type="button" onClick={() => onMode('practice')} data-testid="start-practice">
          Practice
        </button>
        {status.required && (status.can_start || status.open_attempt) && (
          <button type="button" className="primary" onClick={() => onMode('test')} data-testid="start-test">
            {status.open_attempt ? 'Continue the qualification test' : 'Take the qualification test'}
          </button>
        )}
      </div>
    </div>
  );
}

function useSubmitKeys(onEnter: () => void) {
  useWindowListener('keydown', (event: KeyboardEvent) => {
    if (event.ctrlKey || event.metaKey || event.altKey || isTyping(event.target) || event.repeat) return;
    if (event.key === 'Enter' || event.key.toLowerCase() === 'n') {
      event.preventDefault();
      onEnter();
    }
  });
}

function PracticeSession({ project, onDone }: { project: Project; onDone: () => void }) {
  const [task, setTask] = useState<TrainingTask | null | undefined>(undefined);
  const [feedback, setFeedback] = useState<PracticeFeedback>();
  const [reading, setReading] = useState<string | undefined>();
  const action = useAction();
  const shownAt = useRef(performance.now());

  const load = async () => {
    setFeedback(undefined);
    setReading(undefined);
    setTask(undefined);
    await action.run(async () => {
      setTask(await api.practiceNext(project.id));
      shownAt.current = performance.now();
    });
  };
  useEffect(() => {
    void load();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [project.id]);

  const submit = async (result: ResultItem[], media: Media | undefined) => {
    if (!task) return;
    const leadTime = Math.round(performance.now() - shownAt.current);
    await action.run(async () => {
      setFeedback(
        await api.practiceAnswer(project.id, {
          task_id: task.task.id,
          result,
          lead_time_ms: leadTime,
          ...(media ? { media } : {}),
        }),
      );
    });
  };
  useSubmitKeys(() => {
    if (feedback && !action.busy) void load();
  });

  return (
    <div data-testid="practice-session">
      <div className="heading">
        <h2>
          Practice{task?.item ? ` · task ${task.item.position + 1} of ${task.item.total}` : ''}
          {task?.item && task.item.round > 1 ? ` (round ${task.item.round})` : ''}
        </h2>
        <button type="button" onClick={onDone} data-testid="end-practice">
          End practice
        </button>
      </div>
      <ErrorText error={withField(action.error)} testId="practice-error" />
      {task === null && <p data-testid="practice-none">This project has no practice tasks yet.</p>}
      {task && !feedback && (
        <TaskEditor
          key={task.task.id}
          task={task.task}
          controls={project.schema.controls}
          busy={action.busy}
          submitLabel="Check my answer"
          onSubmit={(result, media) => void submit(result, media)}
        />
      )}
      {task && feedback && (
        <>
          <FeedbackView projectId={project.id} task={task.task} controls={project.schema.controls} feedback={feedback}
                        onReadInstructions={(anchor) => setReading(anchor ?? '')} />
          {reading !== undefined && (
            <InstructionsPanelLater projectId={project.id} controls={project.schema.controls}
                                    anchor={reading || undefined} onClose={() => setReading(undefined)} />
          )}
          <button type="button" className="primary" onClick={() => void load()} data-testid="next-practice">
            Next practice task <kbd>N</kbd>
          </button>
        </>
      )}
    </div>
  );
}

function TestSession({ project, onDone }: { project: Project; onDone: () => void }) {
  const [attempt, setAttempt] = useState<QualificationAttempt>();
  const [task, setTask] = useState<TrainingTask | null | undefined>(undefined);
  const action = useAction();
  const shownAt = useRef(performance.now());

  const next = async (a: QualificationAttempt) => {
    setTask(undefined);
    if (a.state !== 'open') {
      setTask(null);
      return;
    }
    setTask(await api.qualificationNext(project.id, a.id));
    shownAt.current = performance.now();
  };
  useEffect(() => {
    void action.run(async () => {
      const a = await api.startQualification(project.id);
      setAttempt(a);
      await next(a);
    });
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [project.id]);

  const submit = async (result: ResultItem[], media: Media | undefined) => {
    if (!task || !attempt) return;
    const leadTime = Math.round(performance.now() - shownAt.current);
    await action.run(async () => {
      const a = await api.qualificationAnswer(project.id, attempt.id, {
        task_id: task.task.id,
        result,
        lead_time_ms: leadTime,
        ...(media ? { media } : {}),
      });
      setAttempt(a);
      await next(a);
    });
  };

  return (
    <div data-testid="test-session">
      <div className="heading">
        <h2>
          Qualification test{attempt ? ` · ${attempt.answered} of ${attempt.tasks} answered` : ''}
        </h2>
        <button type="button" onClick={onDone} data-testid="end-test">
          Back
        </button>
      </div>
      <p className="muted">No answers are shown during the test; your score comes at the end.</p>
      <ErrorText error={withField(action.error)} testId="test-error" />
      {task && (
        <TaskEditor
          key={task.task.id}
          task={task.task}
          controls={project.schema.controls}
          busy={action.busy}
          submitLabel="Submit answer"
          onSubmit={(result, media) => void submit(result, media)}
        />
      )}
      {task === null && attempt && attempt.state !== 'open' && (
        <div className="panel" data-testid="test-result" data-state={attempt.state}>
          <h2>{attempt.state === 'passed' ? 'Passed' : 'Not passed'}</h2>
          <p>
            Your score: {pct(attempt.score)} (pass mark {pct(attempt.pass_mark)}).
          </p>
        </div>
      )}
    </div>
  );
}

const settingFields: { key: keyof TrainingSettings; label: string; step: string; scale?: number }[] = [
  { key: 'qualification_pass_mark', label: 'Pass mark (%)', step: '1', scale: 100 },
  { key: 'qualification_retry_seconds', label: 'Wait before a retry (hours)', step: '0.5', scale: 1 / 3600 },
  { key: 'qualification_retry_practice', label: 'Or after this many practice tasks (0: never)', step: '1' },
  { key: 'qualification_min_version', label: 'Passes count from instructions version', step: '1' },
  { key: 'pause_threshold', label: 'Pause below golden accuracy (%, 0: off)', step: '1', scale: 100 },
  { key: 'pause_window', label: 'Over the last golden tasks', step: '1' },
];

function SettingsPanel({ project }: { project: Project }) {
  const settings = useAsync(() => api.trainingSettings(project.id), [project.id]);
  const sets = useAsync(() => api.goldenSets(project.id), [project.id]);
  const [draft, setDraft] = useState<Partial<TrainingSettings>>({});
  const save = useAction();
  const [saved, setSaved] = useState(false);
  const value = { ...settings.data, ...draft } as TrainingSettings;
  const change = (patch: Partial<TrainingSettings>) => {
    setSaved(false);
    setDraft((d) => ({ ...d, ...patch }));
  };
  const onSave = async () => {
    if (await save.run(() => api.saveTrainingSettings(project.id, draft))) {
      setDraft({});
      setSaved(true);
      settings.reload();
    }
  };
  if (!settings.data) return <ErrorText error={settings.error} />;
  return (
    <div className="panel" data-testid="training-settings">
      <h2>Qualification and ongoing checks</h2>
      <label>
        Qualification test (a golden set){' '}
        <select
          value={value.qualification_set_id}
          onChange={(e) => change({ qualification_set_id: Number(e.target.value) })}
          data-testid="qualification-set"
        >
          <option value={0}>none: every member gets tasks</option>
          {(sets.data ?? []).map((s) => (
            <option key={s.id} value={s.id}>
              {s.name} v{s.version} ({s.tasks} tasks)
            </option>
          ))}
        </select>
      </label>
      {settingFields.map(({ key, label, step, scale = 1 }) => (
        <label key={key}>
          {label}{' '}
          <input
            type="number"
            step={step}
            value={Math.round(Number(value[key]) * scale * 100) / 100}
            onChange={(e) => change({ [key]: Number(e.target.value) / scale })}
            data-testid={`setting-${key}`}
          />
        </label>
      ))}
      <label>
        <input
          type="checkbox"
          checked={value.requalify_on_new_instructions}
          onChange={(e) => change({ requalify_on_new_instructions: e.target.checked })}
          data-testid="setting-requalify"
        />{' '}
        A new instructions version requires passing again
      </label>
      <ErrorText error={withField(save.error)} testId="training-settings-error" />
      <button type="button" className="primary" disabled={save.busy} onClick={() => void onSave()} data-testid="save-training-settings">
        Save
      </button>
      {saved && <span className="muted"> Saved.</span>}
    </div>
  );
}

interface DraftItem {
  task_id: number;
  explanation: string;
  anchor: string;
}

function PracticeSetPanel({ project }: { project: Project }) {
  const current = useAsync(() => api.practiceSet(project.id), [project.id]);
  const tasks = useAsync(() => api.listTasks(project.id, { limit: 1000 }), [project.id]);
  const [items, setItems] = useState<DraftItem[] | undefined>();
  const save = useAction();
  const [saved, setSaved] = useState(false);
  useEffect(() => {
    if (current.data && items === undefined) {
      setItems(current.data.map((i) => ({ task_id: i.task_id, explanation: i.explanation, anchor: i.anchor })));
    }
  }, [current.data, items]);
  const golden = (tasks.data?.items ?? []).filter((t) => (t as { golden?: boolean }).golden);
  const chosen = items ?? [];
  const toggle = (taskId: number, on: boolean) => {
    setSaved(false);
    setItems(on ? [...chosen, { task_id: taskId, explanation: '', anchor: '' }] : chosen.filter((i) => i.task_id !== taskId));
  };
  const edit = (taskId: number, patch: Partial<DraftItem>) => {
    setSaved(false);
    setItems(chosen.map((i) => (i.task_id === taskId ? { ...i, ...patch } : i)));
  };
  const onSave = async () => {
    if (await save.run(() => api.savePracticeSet(project.id, chosen))) setSaved(true);
  };
  return (
    <div className="panel" data-testid="practice-set">
      <h2>Practice set</h2>
      <p className="muted">
        Golden tasks labelers practice on; after each answer they see the expert answer, your explanation and the part of
        the instructions the anchor names (a heading in lower case with dashes: "Tone of voice" is tone-of-voice).
      </p>
      <ErrorText error={current.error ?? tasks.error} />
      {tasks.data && golden.length === 0 && <p>The project has no golden tasks yet.</p>}
      <table>
        <tbody>
          {golden.map((t) => {
            const item = chosen.find((i) => i.task_id === t.id);
            return (
              <tr key={t.id} data-testid="practice-candidate" data-task-id={t.id}>
                <td>
                  <label>
                    <input
                      type="checkbox"
                      checked={Boolean(item)}
                      onChange={(e) => toggle(t.id, e.target.checked)}
                      data-testid="practice-pick"
                    />{' '}
                    Task {t.id}
                  </label>
                </td>
                <td className="muted small">{JSON.stringify(t.data).slice(0, 80)}</td>
                <td>
                  {item && (
                    <>
                      <textarea
                        placeholder="Explanation shown after a practice answer"
                        value={item.explanation}
                        onChange={(e) => edit(t.id, { explanation: e.target.value })}
                        data-testid="practice-explanation"
                      />
                      <input
                        placeholder="instructions anchor"
                        value={item.anchor}
                        onChange={(e) => edit(t.id, { anchor: e.target.value })}
                        data-testid="practice-anchor"
                      />
                    </>
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <ErrorText error={withField(save.error)} testId="practice-set-error" />
      <button type="button" className="primary" disabled={save.busy} onClick={() => void onSave()} data-testid="save-practice-set">
        Save practice set ({chosen.length})
      </button>
      {saved && <span className="muted"> Saved.</span>}
    </div>
  );
}

function OverviewPanel({ project }: { project: Project }) {
  const [generation, setGeneration] = useState(0);
  const overview = useAsync(() => api.trainingOverview(project.id), [project.id, generation]);
  const unpause = useAction();
  const resume = async (userId: number) => {
    if (await unpause.run(() => api.unpauseLabeler(project.id, userId))) setGeneration((g) => g + 1);
  };
  const o = overview.data;
  return (
    <div className="panel" data-testid="training-overview">
      <h2>Labelers</h2>
      <ErrorText error={overview.error ?? unpause.error} />
      {o && (
        <table>
          <thead>
            <tr>
              <th>Labeler</th>
              <th className="num">Practice</th>
              <th className="num">Practice correct</th>
              <th className="num">Tests</th>
              <th className="num">Best score</th>
              <th>Status</th>
              <th className="num">Time to qualify</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {o.labelers.map((l) => (
              <tr key={l.user_id} data-testid="training-labeler" data-username={l.username ?? ''}>
                <td>{l.username}</td>
                <td className="num">{l.practice_done}</td>
                <td className="num">{pct(l.practice_accuracy)}</td>
                <td className="num">{l.tests_taken}</td>
                <td className="num">{pct(l.best_score)}</td>
                <td data-testid="training-labeler-status">
                  {l.paused
                    ? `paused (wrong: ${(l.pause?.wrong_tasks ?? []).map((w) => `task ${w.task_id}`).join(', ')})`
                    : l.qualified
                      ? 'qualified'
                      : l.passed
                        ? 'must requalify'
                        : 'not qualified'}
                </td>
                <td className="num">{duration(l.time_to_qualify_ms)}</td>
                <td>
                  {l.paused && (
                    <button type="button" onClick={() => void resume(l.user_id)} data-testid="unpause">
                      Resume
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {o && o.workforces.length > 0 && (
        <>
          <h2>Workforces</h2>
          <table data-testid="training-workforces">
            <thead>
              <tr>
                <th>Workforce</th>
                <th className="num">Labelers</th>
                <th className="num">Practiced</th>
                <th className="num">Practice correct</th>
                <th className="num">Tests</th>
                <th className="num">Mean best score</th>
                <th className="num">Qualified</th>
                <th className="num">Paused</th>
                <th className="num">Mean time to qualify</th>
              </tr>
            </thead>
            <tbody>
              {o.workforces.map((w) => (
                <tr key={w.workforce_id} data-testid="training-workforce">
                  <td>{w.name}</td>
                  <td className="num">{w.labelers}</td>
                  <td className="num">{w.practiced}</td>
                  <td className="num">{pct(w.practice_accuracy)}</td>
                  <td className="num">{w.tests_taken}</td>
                  <td className="num">{pct(w.mean_best_score)}</td>
                  <td className="num">{w.qualified}</td>
                  <td className="num">{w.paused}</td>
                  <td className="num">{duration(w.mean_time_to_qualify_ms)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </div>
  );
}

function ManagerPanels({ project }: { project: Project }) {
  return (
    <>
      <SettingsPanel project={project} />
      <PracticeSetPanel project={project} />
      <OverviewPanel project={project} />
    </>
  );
}
