// The editor of one task: it holds the task's one result with undo/redo, the
// media size the controls report, which control is active, and the shortcut
// legend; each control type has its own component (ControlProps), chosen by
// `control.type` and `control.media`. Region controls over one image share a
// canvas (ImageWorkspace).
import { lazy, Suspense, useCallback, useMemo, useRef, useState, type ReactNode } from 'react';
import type {
  ChoiceControl as ChoiceControlT,
  ChoiceResult,
  Control,
  InitialResult,
  Media,
  Prelabel,
  RatingControl as RatingControlT,
  RatingResult,
  ResultItem,
  SpanControl as SpanControlT,
  SpanResult,
  Task,
  TextControl as TextControlT,
  TextResult,
} from '../api';
import { AudioControl } from './audio/AudioControl';
import { ChoiceControl } from './ChoiceControl';
import type { ControlProps, Shortcut } from './controlProps';
import { useHistory } from './history';
import type { ImageControl, ImageControlProps } from './image/ImageWorkspace';
import { isTyping, useWindowListener } from './keys';
import { RatingControl } from './RatingControl';
import { firstMissing, initialResult, isImageControl, itemsOf, rescale, withItems, type Result } from './result';
import { ShortcutLegend } from './ShortcutLegend';
import { SourceView } from './SourceView';
import { SpanControl } from './text/SpanControl';
import { TextControl } from './TextControl';
import { VideoControl } from './video/VideoControl';

interface Props {
  task: Task;
  controls: Control[];
  busy: boolean;
  notice?: string;
  onSubmit: (result: ResultItem[], media: Media | undefined) => void;
  /** Without it there is no Skip (a reviewer editing a final label). */
  onSkip?: () => void;
  /** The result to start from instead of the task's own (see initialResult). */
  start?: InitialResult;
  /** The submit button's text; "Submit" by default. */
  submitLabel?: string;
}

// The canvas library is loaded with the first image task, not with every page.
const ImageWorkspace = lazy(() => import('./image/ImageWorkspace').then((m) => ({ default: m.ImageWorkspace })));

type Handlers = Pick<ControlProps, 'onChange' | 'onMedia' | 'onActivate' | 'onShortcuts'>;

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Whether a control shows its source itself (an image canvas, a text to mark, a player). */
function showsSource(control: Control): boolean {
  return isImageControl(control) || control.type === 'span' || (control.type === 'bbox' && control.media === 'video');
}

export const editorShortcuts: Shortcut[] = [
  { key: 'Enter', action: 'submit (Ctrl+Enter also while typing)' },
  { key: 'S', action: 'skip' },
  { key: 'Tab', action: 'next control (Shift+Tab previous)' },
  { key: 'Ctrl+Z', action: 'undo' },
  { key: 'Ctrl+Shift+Z', action: 'redo (also Ctrl+Y)' },
];

/** Who made the result the task starts from. */
function PrelabelNote({ prelabel }: { prelabel: Prelabel }) {
  const model = [prelabel.model_name, prelabel.model_version].filter(Boolean).join(' ') || 'a model';
  const score = typeof prelabel.score === 'number' ? ` (score ${prelabel.score})` : '';
  return (
    <p className="muted" data-testid="prelabel">
      Pre-labeled by {model}
      {score}: its regions are yours to edit.
    </p>
  );
}

export function TaskEditor({ task, controls, busy, notice, onSubmit, onSkip, start, submitLabel = 'Submit' }: Props) {
  const initial = useMemo(() => initialResult(task, controls, start), [task, controls, start]);
  const history = useHistory<Result>(() => initial.result);
  const [active, setActive] = useState(0);
  const [media, setMedia] = useState<Media>({});
  const [shortcuts, setShortcuts] = useState<Record<string, Shortcut[]>>({});
  const [missing, setMissing] = useState<string>();
  const rescaled = useRef(false);

  // One set of callbacks per control for the life of the task, so that a
  // control's effects that depend on them do not run on every render.
  const handlers = useMemo(() => {
    const map = new Map<string, Handlers>();
    controls.forEach((control, index) => {
      map.set(control.name, {
        onChange: (items) => {
          history.set(
            (result) => withItems(controls, result, control.name, items),
            control.type === 'text' ? control.name : undefined,
          );
          setMissing(undefined);
        },
        onMedia: (reported) => {
          setMedia((m) => (sameJson({ ...m, ...reported }, m) ? m : { ...m, ...reported }));
          const from = initial.media;
          if (from && reported.width && reported.height && !rescaled.current) {
            rescaled.current = true;
            history.replace((result) => rescale(result, controls, from, reported));
          }
        },
        onActivate: () => setActive(index),
        onShortcuts: (list) =>
          setShortcuts((s) => (sameJson(s[control.name], list) ? s : { ...s, [control.name]: list })),
      });
    });
    return map;
  }, [controls, history.set, history.replace, initial.media]);

  const result = history.value;

  const submit = () => {
    if (busy) return;
    const lacking = firstMissing(controls, result);
    if (lacking) {
      setMissing(
        `Answer “${lacking.name}” first (${lacking.type === 'choice' ? 'choose a label' : 'it is required'}).`,
      );
      setActive(controls.indexOf(lacking));
      return;
    }
    onSubmit(result, Object.keys(media).length ? media : undefined);
  };

  const onKey = (event: KeyboardEvent) => {
    const mod = event.ctrlKey || event.metaKey;
    const key = event.key.toLowerCase();
    if (mod && event.key === 'Enter') {
      event.preventDefault();
      if (!event.repeat) submit();
      return;
    }
    if (isTyping(event.target)) return;
    if (mod && !event.altKey && (key === 'z' || key === 'y')) {
      event.preventDefault();
      if (key === 'y' || event.shiftKey) history.redo();
      else history.undo();
      return;
    }
    if (event.defaultPrevented || mod || event.altKey) return;
    if (event.key === 'Tab' && controls.length > 1) {
      event.preventDefault();
      const step = event.shiftKey ? -1 : 1;
      setActive((a) => (a + step + controls.length) % controls.length);
    } else if (event.key === 'Enter') {
      event.preventDefault();
      if (!event.repeat) submit();
    } else if (key === 's' && !event.shiftKey && onSkip) {
      event.preventDefault();
      if (!event.repeat && !busy) onSkip();
    }
  };
  useWindowListener('keydown', onKey);

  const propsOf = useCallback(
    <C extends Control, I extends ResultItem>(control: C, index: number): ControlProps<C, I> => {
      const props: ControlProps = {
        control,
        task,
        items: itemsOf(result, control.name),
        active: index === active,
        ...handlers.get(control.name)!,
      };
      // The items of a control are of its type: withItems and initialResult keep them so.
      return props as unknown as ControlProps<C, I>;
    },
    [task, result, active, handlers],
  );

  // The main column: media controls in schema order (image controls of one
  // source together, at the first of them), then the sources no control shows.
  const main: ReactNode[] = [];
  const side: ReactNode[] = [];
  const placedImages = new Set<string>();
  controls.forEach((control, index) => {
    const key = control.name;
    if (isImageControl(control)) {
      if (placedImages.has(control.source)) return;
      placedImages.add(control.source);
      const group: ImageControlProps[] = [];
      controls.forEach((c, i) => {
        if (isImageControl(c) && c.source === control.source) group.push(propsOf(c as ImageControl, i));
      });
      main.push(
        <Suspense key={`image:${control.source}`} fallback={<p className="muted">Loading the image editor…</p>}>
          <ImageWorkspace controls={group} />
        </Suspense>,
      );
      return;
    }
    switch (control.type) {
      case 'bbox':
        main.push(<VideoControl key={key} {...propsOf(control, index)} />);
        return;
      case 'span':
        if (control.media === 'audio') main.push(<AudioControl key={key} {...propsOf(control, index)} />);
        else main.push(<SpanControl key={key} {...propsOf<SpanControlT, SpanResult>(control, index)} />);
        return;
      case 'choice':
        side.push(<ChoiceControl key={key} {...propsOf<ChoiceControlT, ChoiceResult>(control, index)} />);
        return;
      case 'text':
        side.push(<TextControl key={key} {...propsOf<TextControlT, TextResult>(control, index)} />);
        return;
      case 'rating':
        side.push(<RatingControl key={key} {...propsOf<RatingControlT, RatingResult>(control, index)} />);
        return;
      default:
        return;
    }
  });
  const shown = new Set(controls.filter(showsSource).map((c) => c.source));
  const plainSources = [...new Set(controls.map((c) => c.source))].filter((field) => !shown.has(field));

  const legend = controls.map((c, index) => ({
    control: c.name,
    active: index === active,
    shortcuts: shortcuts[c.name] ?? [],
  }));
  const message = missing ?? notice;

  return (
    <div className="editor" data-testid="task" data-task-id={task.id}>
      <div className="sources">
        {main}
        {plainSources.map((field) => (
          <SourceView key={field} field={field} value={task.data[field]} />
        ))}
      </div>
      <div className="controls">
        {task.prelabel && !start && !task.previous_result && <PrelabelNote prelabel={task.prelabel} />}
        {side}
        {message && (
          <p className="error" role="alert" data-testid="notice">
            {message}
          </p>
        )}
        <div className="row">
          <button type="button" className="primary" disabled={busy} onClick={submit} data-testid="submit">
            {submitLabel} <kbd>Enter</kbd>
          </button>
          {onSkip && (
            <button type="button" disabled={busy} onClick={onSkip} data-testid="skip">
              Skip <kbd>S</kbd>
            </button>
          )}
          <button
            type="button"
            disabled={!history.canUndo}
            onClick={history.undo}
            data-testid="undo"
            title="Undo (Ctrl+Z)"
          >
            Undo
          </button>
          <button
            type="button"
            disabled={!history.canRedo}
            onClick={history.redo}
            data-testid="redo"
            title="Redo (Ctrl+Shift+Z)"
          >
            Redo
          </button>
        </div>
        <ShortcutLegend
          editor={onSkip ? editorShortcuts : editorShortcuts.filter((s) => s.key !== 'S')}
          controls={legend}
        />
      </div>
    </div>
  );
}
