import type { Control, Task } from '../api';
import { ChoiceControl } from './ChoiceControl';
import type { Selection } from './selection';
import { SourceView } from './SourceView';

interface Props {
  task: Task;
  controls: Control[];
  selection: Selection;
  active: number;
  busy: boolean;
  notice?: string;
  onPick: (control: number, label: number) => void;
  onActivate: (control: number) => void;
  onSubmit: () => void;
  onSkip: () => void;
}

/** A task's source fields, each shown once, and one widget per control. */
export function TaskEditor(props: Props) {
  const { task, controls, selection, active, busy, notice } = props;
  const sources = [...new Set(controls.map((c) => c.source))];
  return (
    <div className="editor" data-testid="task" data-task-id={task.id}>
      <div className="sources">
        {sources.map((field) => (
          <SourceView key={field} field={field} value={task.data[field]} />
        ))}
      </div>
      <div className="controls">
        {controls.map((control, index) => (
          <ChoiceControl
            key={control.name}
            control={control}
            selected={selection[control.name] ?? []}
            active={index === active}
            onPick={(label) => props.onPick(index, label)}
            onActivate={() => props.onActivate(index)}
          />
        ))}
        {notice && (
          <p className="error" role="alert" data-testid="notice">
            {notice}
          </p>
        )}
        <div className="row">
          <button type="button" className="primary" disabled={busy} onClick={props.onSubmit} data-testid="submit">
            Submit <kbd>Enter</kbd>
          </button>
          <button type="button" disabled={busy} onClick={props.onSkip} data-testid="skip">
            Skip <kbd>S</kbd>
          </button>
        </div>
        <p className="muted keys">
          1–9 pick a label
          {controls.length > 1 && ' · Tab / Shift+Tab switch control'} · Enter submit · S skip
        </p>
      </div>
    </div>
  );
}
