// A version of a project's instructions as labelers read it: the body, then
// the examples next to the counter-examples, each with its image and, when it
// links a task, that task with its correct label.
import { instructionsImageUrl, type Control, type ExampleTask, type InstructionsExample, type InstructionsVersion } from '../api';
import { SourceView } from '../editor/SourceView';
import { formatTime } from '../format';
import { ResultView } from '../review/ResultView';
import { Markdown } from './Markdown';

/** The label of a linked task as a result and its media size, whatever shape the server sent. */
export function exampleLabel(linked: ExampleTask | undefined) {
  const label = linked?.label;
  if (!label) return null;
  return Array.isArray(label) ? { result: label, media: null } : { result: label.result ?? [], media: label.media ?? null };
}

function LinkedTask({ linked, taskId, controls }: { linked?: ExampleTask; taskId: number; controls: Control[] }) {
  if (!linked) return <p className="muted small">Task {taskId} (not found in this project)</p>;
  const label = exampleLabel(linked);
  const sources = [...new Set(controls.map((c) => c.source))];
  return (
    <div className="example-task" data-testid="example-task" data-task-id={taskId}>
      <p className="muted small">Task {taskId}</p>
      <div className="sources">
        {sources.map((field) => (
          <SourceView key={field} field={field} value={linked.task.data[field]} />
        ))}
      </div>
      {label ? (
        <>
          <p className="muted small">Correct label</p>
            <ResultView task={linked.task} controls={controls} result={label.result} media={label.media} />
        </>
      ) : (
        <p className="muted small">This task has no correct label yet.</p>
      )}
    </div>
  );
}

function ExampleCard({ example, tasks, controls }: {
  example: InstructionsExample;
  tasks?: Record<string, ExampleTask>;
  controls: Control[];
}) {
  return (
    <article className={`card example example-${example.kind}`} data-testid="example" data-kind={example.kind}>
      <h4>
        <span className="example-mark" aria-hidden="true">
          {example.kind === 'example' ? '✓' : '✗'}
        </span>{' '}
        {example.title}
      </h4>
      {example.image && (
        <img className="example-image" src={instructionsImageUrl(example.image)} alt={example.title} loading="lazy" />
      )}
      {example.text && <Markdown source={example.text} />}
      {example.task_id !== null && example.task_id !== undefined && (
        <LinkedTask linked={tasks?.[String(example.task_id)]} taskId={example.task_id} controls={controls} />
      )}
    </article>
  );
}

export function InstructionsView({ version, controls, header = true }: {
  version: InstructionsVersion;
  controls: Control[];
  header?: boolean;
}) {
  const examples = version.examples.filter((e) => e.kind === 'example');
  const counter = version.examples.filter((e) => e.kind === 'counter_example');
  return (
    <div className="instructions" data-testid="instructions-view" data-version={version.version}>
      {header && (
        <p className="muted small" data-testid="instructions-meta">
          Version {version.version}
          {version.author && <> · {version.author.username}</>} · {formatTime(version.created_at)}
          {version.note && <> · {version.note}</>}
        </p>
      )}
      <Markdown source={version.body} className="instructions-body" testId="instructions-body" />
      {version.examples.length > 0 && (
        <div className="examples">
          <section className="example-column" data-testid="examples">
            <h3>Examples</h3>
            {examples.length === 0 && <p className="muted">None.</p>}
            {examples.map((e, i) => (
              <ExampleCard key={i} example={e} tasks={version.tasks} controls={controls} />
            ))}
          </section>
          <section className="example-column" data-testid="counter-examples">
            <h3>Counter-examples</h3>
            {counter.length === 0 && <p className="muted">None.</p>}
            {counter.map((e, i) => (
              <ExampleCard key={i} example={e} tasks={version.tasks} controls={controls} />
            ))}
          </section>
        </div>
      )}
    </div>
  );
}
