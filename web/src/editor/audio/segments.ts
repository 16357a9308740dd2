// The pure logic of audio segments: a span control over an audio holds one
// result item per labeled time segment, `start`/`end` in seconds
// (docs/api.md, "span on audio"). Here are the edits the audio control makes
// and the rule that keeps segments of a control apart unless it allows
// overlap: touching (one ends where the next starts) is not overlapping.
import type { Attributes, SpanResult } from '../../api';

export interface Segment {
  start: number;
  end: number;
}

/** How a segment came to be where it is; decides how it is fitted between the others. */
export type Edit = 'create' | 'move' | 'start' | 'end';

/** The shortest segment kept, in seconds; a shorter drag is a click. */
export const minLength = 0.02;

/** Rounds to milliseconds: finer than anyone marks by ear, and stable in exports. */
export function roundTime(seconds: number): number {
  return Math.round(seconds * 1000) / 1000;
}

export function overlaps(a: Segment, b: Segment): boolean {
  return a.start < b.end && b.start < a.end;
}

/**
 * Where `segment` may go among `others` (the control's other segments),
 * clamped to [0, duration] and rounded to milliseconds, or null when it
 * cannot go there. With `overlap` allowed, only the clamping applies.
 * Otherwise: a resized side stops at the neighbour it runs into; a created
 * segment is cut to the free gap its start lies in (null when its start is
 * inside another segment); a moved segment that lands on another is refused.
 */
export function fitSegment(
  others: Segment[],
  segment: Segment,
  edit: Edit,
  overlap: boolean,
  duration: number,
): Segment | null {
  let start = Math.max(0, Math.min(segment.start, segment.end));
  let end = Math.max(segment.start, segment.end);
  if (duration > 0) end = Math.min(end, duration);
  if (!overlap) {
    if (edit === 'move') {
      if (others.some((o) => overlaps(o, { start, end }))) return null;
    } else if (edit === 'start') {
      // The end stays: the start stops at the end of the nearest segment before it.
      start = Math.max(start, ...others.filter((o) => o.end <= end).map((o) => o.end));
    } else {
      // The start stays: the end stops at the start of the nearest segment after it.
      if (edit === 'create' && others.some((o) => o.start <= start && start < o.end)) return null;
      end = Math.min(end, ...others.filter((o) => o.start >= start).map((o) => o.start));
    }
  }
  start = roundTime(start);
  end = roundTime(end);
  // Rounding must not carry the end past the media's end.
  if (duration > 0 && end > duration) end = Math.floor(duration * 1000) / 1000;
  if (end - start < minLength) return null;
  return { start, end };
}

/** The item for a new segment. */
export function newSegment(control: string, label: string, segment: Segment): SpanResult {
  return { control, type: 'span', label, start: segment.start, end: segment.end };
}

/** The items with item `index` given new times (keeping its label, id and attributes). */
export function withTimes(items: SpanResult[], index: number, segment: Segment): SpanResult[] {
  return items.map((item, i) => (i === index ? { ...item, start: segment.start, end: segment.end } : item));
}

export function withLabel(items: SpanResult[], index: number, label: string): SpanResult[] {
  return items.map((item, i) => (i === index ? { ...item, label } : item));
}

export function withAttributes(items: SpanResult[], index: number, values: Attributes): SpanResult[] {
  return items.map((item, i) => {
    if (i !== index) return item;
    const next: SpanResult = { ...item, attributes: values };
    if (Object.keys(values).length === 0) delete next.attributes;
    return next;
  });
}

export function without(items: SpanResult[], index: number): SpanResult[] {
  return items.filter((_, i) => i !== index);
}

/** Item indexes in time order (by start, then end). */
export function timeOrder(items: SpanResult[]): number[] {
  return items
    .map((_, i) => i)
    .sort((a, b) => items[a]!.start - items[b]!.start || items[a]!.end - items[b]!.end);
}

/** The index of the segment playing at `time` (the latest-starting one when several do), or -1. */
export function segmentAt(items: SpanResult[], time: number): number {
  let found = -1;
  items.forEach((item, i) => {
    if (item.start <= time && time < item.end && (found < 0 || item.start >= items[found]!.start)) found = i;
  });
  return found;
}

/** Seconds as m:ss.mmm. */
export function formatTime(seconds: number): string {
  const m = Math.floor(seconds / 60);
  const s = seconds - m * 60;
  return `${m}:${s.toFixed(3).padStart(6, '0')}`;
}
