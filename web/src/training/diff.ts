// What a practice answer got right and wrong against the expert answer, item
// by item, for the feedback view (docs/training.md). The server's grade is
// the figure that counts; this only marks the items: regions are matched
// one to one by label at an IoU of 0.5 (polygons by their bounding boxes,
// keypoints within 10 pixels), spans by exact (start, end, label), choice
// values and texts by equality.
import type { ResultItem } from '../api';

export type Mark = 'match' | 'extra' | 'missed';

export interface MarkedItem {
  item: ResultItem;
  mark: Mark;
  /** "yours" or "expert". */
  side: 'yours' | 'expert';
}

export interface ControlDiff {
  control: string;
  type: ResultItem['type'];
  items: MarkedItem[];
}

interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

function boxOf(item: ResultItem): Box | null {
  if (item.type === 'bbox') return { x: item.x, y: item.y, w: item.w, h: item.h };
  if (item.type === 'polygon' && item.points.length > 0) {
    const xs = item.points.map((p) => p[0]);
    const ys = item.points.map((p) => p[1]);
    const x = Math.min(...xs);
    const y = Math.min(...ys);
    return { x, y, w: Math.max(...xs) - x, h: Math.max(...ys) - y };
  }
  return null;
}

export function iou(a: Box, b: Box): number {
  const w = Math.min(a.x + a.w, b.x + b.w) - Math.max(a.x, b.x);
  const h = Math.min(a.y + a.h, b.y + b.h) - Math.max(a.y, b.y);
  if (w <= 0 || h <= 0) return 0;
  const inter = w * h;
  return inter / (a.w * a.h + b.w * b.h - inter);
}

function labelOf(item: ResultItem): string {
  return 'label' in item ? item.label : '';
}

/** Whether two items of one control are the same answer. */
function same(a: ResultItem, b: ResultItem): boolean {
  if (a.type !== b.type) return false;
  switch (a.type) {
    case 'choice':
      return JSON.stringify([...a.values].sort()) === JSON.stringify([...(b as typeof a).values].sort());
    case 'text':
    case 'rating':
      return a.value === (b as typeof a).value;
    case 'span':
      return a.start === (b as typeof a).start && a.end === (b as typeof a).end && a.label === labelOf(b);
    case 'keypoint':
      return a.label === labelOf(b) && Math.hypot(a.x - (b as typeof a).x, a.y - (b as typeof a).y) <= 10;
    default: {
      const ba = boxOf(a);
      const bb = boxOf(b);
      return ba !== null && bb !== null && labelOf(a) === labelOf(b) && iou(ba, bb) >= 0.5;
    }
  }
}

/** Each control's items of both answers, marked; controls in the order they first appear. */
export function diffResults(yours: ResultItem[], expert: ResultItem[]): ControlDiff[] {
  const controls: string[] = [];
  for (const item of [...expert, ...yours]) if (!controls.includes(item.control)) controls.push(item.control);
  return controls.map((control) => {
    const mine = yours.filter((i) => i.control === control);
    const theirs = expert.filter((i) => i.control === control);
    const used = new Set<number>();
    const items: MarkedItem[] = [];
    for (const item of mine) {
      const j = theirs.findIndex((e, k) => !used.has(k) && same(item, e));
      if (j >= 0) used.add(j);
      items.push({ item, side: 'yours', mark: j >= 0 ? 'match' : 'extra' });
    }
    theirs.forEach((item, k) => items.push({ item, side: 'expert', mark: used.has(k) ? 'match' : 'missed' }));
    const type = (theirs[0] ?? mine[0])!.type;
    return { control, type, items };
  });
}

/** A short text for an item that is not drawn (a choice, a text, a rating). */
export function describe(item: ResultItem): string {
  switch (item.type) {
    case 'choice':
      return item.values.join(', ') || '(none)';
    case 'text':
      return item.value;
    case 'rating':
      return String(item.value);
    case 'span':
      return `${item.label}: ${item.text ?? `${item.start}–${item.end}`}`;
    default:
      return item.label;
  }
}
