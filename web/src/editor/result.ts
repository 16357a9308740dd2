// The editor's result: every control's items, in schema order. Geometry is in
// pixels of the media's natural size and span offsets in code points, i.e. the
// submitted format itself; controls convert to screen coordinates and UTF-16.
import type { Control, InitialResult, Media, ResultItem, Task } from '../api';

export type Result = ResultItem[];

/** Region controls over an image (all of one schema share one canvas per source). */
export function isImageControl(control: Control): boolean {
  return (
    control.type === 'polygon' ||
    control.type === 'keypoint' ||
    (control.type === 'bbox' && (control.media ?? 'image') === 'image')
  );
}

export function isRegionControl(control: Control): boolean {
  return ['bbox', 'polygon', 'keypoint', 'span'].includes(control.type);
}

/** Replaces the items of one control, keeping the result in schema order. */
export function withItems(controls: Control[], result: Result, control: string, items: ResultItem[]): Result {
  return controls.flatMap((c) => (c.name === control ? items : result.filter((item) => item.control === c.name)));
}

export function itemsOf(result: Result, control: string): ResultItem[] {
  return result.filter((item) => item.control === control);
}

/** Whether a control must be answered: the schema's `required`, else the default of its type. */
export function isRequired(control: Control): boolean {
  return control.required ?? !isRegionControl(control);
}

/** The first required control without an item, if any. */
export function firstMissing(controls: Control[], result: Result): Control | undefined {
  return controls.find((c) => isRequired(c) && !result.some((item) => item.control === c.name));
}

/** A fresh region id that no item of `result` has. */
export function newId(result: Result): string {
  const taken = new Set(result.map((item) => ('id' in item ? item.id : undefined)));
  let n = result.length + 1;
  while (taken.has(`r${n}`)) n++;
  return `r${n}`;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The result a task starts from: `start` when given (a reviewer fixing the
 * final label), else the caller's `previous_result` (a task sent back for
 * rework), else its `prelabel`, else an `initial_result` in its data (a list
 * of items or `{result, media}`), else nothing. Items of unknown controls are
 * dropped; every region gets an id, so it can be selected.
 */
export function initialResult(task: Task, controls: Control[], start?: InitialResult): InitialResult {
  let source: unknown = start ?? task.previous_result ?? task.prelabel ?? task.data.initial_result;
  if (Array.isArray(source)) source = { result: source };
  if (!isObject(source) || !Array.isArray(source.result)) return { result: [] };
  const media = isObject(source.media) ? (source.media as Media) : undefined;
  const byName = new Map(controls.map((c) => [c.name, c]));
  const items = (source.result as unknown[]).filter(
    (item): item is ResultItem => isObject(item) && typeof item.control === 'string' && byName.has(item.control),
  );
  const result: Result = [];
  for (const item of items) {
    const control = byName.get(item.control)!;
    const typed = { ...item, type: control.type } as ResultItem;
    if (isRegionControl(control) && !(typed as { id?: string }).id) {
      (typed as { id?: string }).id = newId([...items, ...result]);
    }
    // A text span is submitted with the characters it covers; a pre-label may leave them out.
    const source = task.data[control.source];
    if (typed.type === 'span' && control.type === 'span' && control.media !== 'audio' && typeof source === 'string') {
      typed.text = [...source].slice(typed.start, typed.end).join('');
    }
    result.push(typed);
  }
  const ordered = controls.flatMap((c) => result.filter((item) => item.control === c.name));
  return { result: ordered, media };
}

/** Scales image geometry made for `from` to the natural size `to`. */
export function rescale(result: Result, controls: Control[], from: Media, to: Media): Result {
  if (!from.width || !from.height || !to.width || !to.height) return result;
  const sx = to.width / from.width;
  const sy = to.height / from.height;
  if (sx === 1 && sy === 1) return result;
  const image = new Set(controls.filter(isImageControl).map((c) => c.name));
  return result.map((item) => {
    if (!image.has(item.control)) return item;
    switch (item.type) {
      case 'bbox':
        return { ...item, x: item.x * sx, y: item.y * sy, w: item.w * sx, h: item.h * sy };
      case 'keypoint':
        return { ...item, x: item.x * sx, y: item.y * sy };
      case 'polygon':
        return { ...item, points: item.points.map(([x, y]) => [x * sx, y * sy] as [number, number]) };
      default:
        return item;
    }
  });
}
