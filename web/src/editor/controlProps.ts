// The contract between the editor (TaskEditor: one result, undo/redo, the
// shortcut legend, submit) and the component of each control type. A control
// component renders its control's items over the task's source and reports
// every change as a whole new list of its items; the editor keeps the history,
// so one onChange call is one undo step.
import type { Control, Media, ResultItem, Task } from '../api';

/** A key a control handles while it is active, shown in the editor's legend. */
export interface Shortcut {
  /** As KeyboardEvent.key, e.g. "1", "b", "Delete", "ArrowRight". */
  key: string;
  /** What the key does, e.g. "label car", "next frame". */
  action: string;
}

export interface ControlProps<C extends Control = Control, I extends ResultItem = ResultItem> {
  control: C;
  task: Task;
  /** This control's items of the current result, in result order. */
  items: I[];
  /** Replaces this control's items; the editor records one undo step. */
  onChange: (items: I[]) => void;
  /**
   * Reports the natural size of the source media once it has loaded (image:
   * width/height; video: width/height/frames/fps; audio: duration). The
   * editor submits it as the annotation's `media`.
   */
  onMedia: (media: Media) => void;
  /** Whether the keyboard belongs to this control (Tab switches controls). */
  active: boolean;
  onActivate: () => void;
  /** Declares the keys this control handles while active, for the legend. */
  onShortcuts: (shortcuts: Shortcut[]) => void;
}
