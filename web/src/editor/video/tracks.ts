// The pure logic of video boxes: a bbox control over a video holds one result
// item per keyframe of a track (docs/api.md, "bbox on video"). Here are the
// frame/time arithmetic, linear interpolation between keyframes, `outside`,
// and every keyframe edit the video control makes, as functions from a list
// of items to a new list. Geometry is in pixels of the video's natural size.
import type { Attributes, BboxResult } from '../../api';

export interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface Point {
  x: number;
  y: number;
}

/** The keyframes of one track, in frame order. */
export interface Track {
  id: string;
  label: string;
  keyframes: BboxResult[];
}

/** What a track shows on one frame. */
export interface FrameBox {
  box: Box;
  /** The keyframe on exactly this frame, if there is one. */
  keyframe: BboxResult | null;
  /** False where an `outside` keyframe hides the object. */
  visible: boolean;
}

/** The frame shown at `time` seconds: frame f covers [f/fps, (f+1)/fps). */
export function frameAtTime(time: number, fps: number, frames: number): number {
  const frame = Math.floor(time * fps + 1e-6);
  return clampFrame(frame, frames);
}

/** The time to seek to for frame f: its middle, so rounding never lands on a neighbour. */
export function seekTime(frame: number, fps: number): number {
  return (frame + 0.5) / fps;
}

/** The frame count of a video: its duration in whole frames, at least 1. */
export function frameCount(duration: number, fps: number): number {
  return Math.max(1, Math.round(duration * fps));
}

export function clampFrame(frame: number, frames: number): number {
  return Math.max(0, Math.min(Math.max(0, frames - 1), frame));
}

/** fps from a task's data (`fps`, a positive number or numeric string up to 1000), else 25. */
export function fpsOf(data: Record<string, unknown>): number {
  const value = typeof data.fps === 'string' ? Number(data.fps) : data.fps;
  return typeof value === 'number' && Number.isFinite(value) && value > 0 && value <= 1000 ? value : 25;
}

/** Tracks in order of first appearance in `items`, each with its keyframes sorted by frame. */
export function tracksOf(items: BboxResult[]): Track[] {
  const byId = new Map<string, Track>();
  for (const item of items) {
    const id = item.track ?? '';
    let track = byId.get(id);
    if (!track) {
      track = { id, label: item.label, keyframes: [] };
      byId.set(id, track);
    }
    track.keyframes.push(item);
  }
  for (const track of byId.values()) track.keyframes.sort((a, b) => (a.frame ?? 0) - (b.frame ?? 0));
  return [...byId.values()];
}

function boxOf(item: BboxResult): Box {
  return { x: item.x, y: item.y, w: item.w, h: item.h };
}

/** The box a fraction t ∈ [0, 1] of the way from a to b, each coordinate linearly. */
export function lerpBox(a: Box, b: Box, t: number): Box {
  const lerp = (p: number, q: number) => p + (q - p) * t;
  return { x: lerp(a.x, b.x), y: lerp(a.y, b.y), w: lerp(a.w, b.w), h: lerp(a.h, b.h) };
}

/**
 * What a track shows on `frame`: nothing before its first keyframe; on a
 * keyframe, that box; between two keyframes, the linear interpolation of
 * theirs; after the last keyframe, the last box. An `outside` keyframe hides
 * the object from its frame until the next keyframe.
 */
export function boxAt(keyframes: BboxResult[], frame: number): FrameBox | null {
  let before: BboxResult | null = null;
  let after: BboxResult | null = null;
  for (const k of keyframes) {
    const f = k.frame ?? 0;
    if (f <= frame) before = k;
    else {
      after = k;
      break;
    }
  }
  if (!before) return null;
  const visible = !before.outside;
  if ((before.frame ?? 0) === frame) return { box: boxOf(before), keyframe: before, visible };
  if (!after) return { box: boxOf(before), keyframe: null, visible };
  const from = before.frame ?? 0;
  const t = (frame - from) / ((after.frame ?? 0) - from);
  return { box: lerpBox(boxOf(before), boxOf(after), t), keyframe: null, visible };
}

/** Keeps items grouped by track (in order of first appearance), each track's keyframes by frame. */
export function sortItems(items: BboxResult[]): BboxResult[] {
  return tracksOf(items).flatMap((t) => t.keyframes);
}

/** A track id no item uses: t1, t2, … */
export function newTrackId(items: BboxResult[]): string {
  const taken = new Set(items.map((i) => i.track));
  let n = 1;
  while (taken.has(`t${n}`)) n++;
  return `t${n}`;
}

/** Rounds to 1/100 pixel: finer than any screen shows, and stable in exports. */
function round(value: number): number {
  return Math.round(value * 100) / 100;
}

/** The box clipped to [0, width] × [0, height], at least `min` pixels on each side. */
export function clampBox(box: Box, width: number, height: number, min = 1): Box {
  const w = Math.min(Math.max(box.w, min), width);
  const h = Math.min(Math.max(box.h, min), height);
  const x = Math.min(Math.max(box.x, 0), width - w);
  const y = Math.min(Math.max(box.y, 0), height - h);
  return { x: round(x), y: round(y), w: round(w), h: round(h) };
}

/** The box spanned by two corners in any order. */
export function boxFromCorners(a: Point, b: Point): Box {
  return { x: Math.min(a.x, b.x), y: Math.min(a.y, b.y), w: Math.abs(b.x - a.x), h: Math.abs(b.y - a.y) };
}

/** The box moved by (dx, dy), kept inside the media without changing its size. */
export function moveBox(box: Box, dx: number, dy: number, width: number, height: number): Box {
  return clampBox({ ...box, x: box.x + dx, y: box.y + dy }, width, height);
}

export type Corner = 'nw' | 'ne' | 'sw' | 'se';

/** The box resized by dragging `corner` to `to`; the opposite corner stays. */
export function resizeBox(box: Box, corner: Corner, to: Point): Box {
  const fixed: Point = {
    x: corner === 'nw' || corner === 'sw' ? box.x + box.w : box.x,
    y: corner === 'nw' || corner === 'ne' ? box.y + box.h : box.y,
  };
  return boxFromCorners(fixed, to);
}

/**
 * Converts a point on screen to media pixels, given where the media is drawn
 * (`rect`, e.g. getBoundingClientRect of the overlay) and its natural size.
 * The result is clamped to the media.
 */
export function toMediaPoint(
  clientX: number,
  clientY: number,
  rect: { left: number; top: number; width: number; height: number },
  width: number,
  height: number,
): Point {
  const x = ((clientX - rect.left) / rect.width) * width;
  const y = ((clientY - rect.top) / rect.height) * height;
  return { x: Math.max(0, Math.min(width, x)), y: Math.max(0, Math.min(height, y)) };
}

function isAt(item: BboxResult, track: string, frame: number): boolean {
  return item.track === track && (item.frame ?? 0) === frame;
}

/**
 * Sets the keyframe of `track` on `frame` to `box` (replacing one already
 * there, keeping its id and attributes), visible. A new track needs `label`;
 * an existing track keeps its own, and a new keyframe gets its attributes.
 */
export function setKeyframe(
  items: BboxResult[],
  control: string,
  track: string,
  frame: number,
  box: Box,
  label: string,
): BboxResult[] {
  const sibling = items.find((i) => i.track === track);
  const existingLabel = sibling?.label ?? label;
  const old = items.find((i) => isAt(i, track, frame));
  const next: BboxResult = {
    ...(old ?? (sibling?.attributes ? { attributes: sibling.attributes } : {})),
    control,
    type: 'bbox',
    track,
    frame,
    label: existingLabel,
    x: box.x,
    y: box.y,
    w: box.w,
    h: box.h,
    rotation: old?.rotation ?? 0,
  };
  delete next.outside;
  const rest = items.filter((i) => !isAt(i, track, frame));
  return sortItems([...rest, next]);
}

export function deleteKeyframe(items: BboxResult[], track: string, frame: number): BboxResult[] {
  return items.filter((i) => !isAt(i, track, frame));
}

export function deleteTrack(items: BboxResult[], track: string): BboxResult[] {
  return items.filter((i) => i.track !== track);
}

/** Gives every keyframe of `track` the attributes (none: an empty object), as attributes of the object. */
export function setTrackAttributes(items: BboxResult[], track: string, values: Attributes): BboxResult[] {
  return items.map((i) => {
    if (i.track !== track) return i;
    const next: BboxResult = { ...i, attributes: values };
    if (Object.keys(values).length === 0) delete next.attributes;
    return next;
  });
}

/** Gives every keyframe of `track` the label (a track keeps one label). */
export function relabelTrack(items: BboxResult[], track: string, label: string): BboxResult[] {
  return items.map((i) => (i.track === track ? { ...i, label } : i));
}

/**
 * Toggles whether the object of `track` is outside the view from `frame` on:
 * flips the keyframe there, or adds one with the box the track shows there
 * and the opposite visibility. Before the track's first keyframe there is
 * nothing to hide, and the items come back unchanged.
 */
export function toggleOutside(items: BboxResult[], track: string, frame: number): BboxResult[] {
  const keyframes = tracksOf(items).find((t) => t.id === track)?.keyframes ?? [];
  const shown = boxAt(keyframes, frame);
  if (!shown) return items;
  if (shown.keyframe) {
    return items.map((i) => {
      if (!isAt(i, track, frame)) return i;
      const flipped: BboxResult = { ...i };
      if (i.outside) delete flipped.outside;
      else flipped.outside = true;
      return flipped;
    });
  }
  const template = keyframes[0]!;
  const added: BboxResult = {
    control: template.control,
    type: 'bbox',
    track,
    frame,
    label: template.label,
    ...shown.box,
    rotation: 0,
  };
  if (template.attributes) added.attributes = template.attributes;
  if (shown.visible) added.outside = true;
  return sortItems([...items, added]);
}

/** The nearest keyframe frame of `keyframes` before (dir -1) or after (dir +1) `frame`, if any. */
export function adjacentKeyframe(keyframes: BboxResult[], frame: number, dir: -1 | 1): number | null {
  const frames = keyframes.map((k) => k.frame ?? 0);
  const candidates = dir < 0 ? frames.filter((f) => f < frame) : frames.filter((f) => f > frame);
  if (candidates.length === 0) return null;
  return dir < 0 ? Math.max(...candidates) : Math.min(...candidates);
}

/** Frame ranges [from, to) where an `outside` keyframe hides the track; `to` is the next keyframe or `frames`. */
export function hiddenRanges(keyframes: BboxResult[], frames: number): [number, number][] {
  const ranges: [number, number][] = [];
  keyframes.forEach((k, index) => {
    if (!k.outside) return;
    const next = keyframes[index + 1];
    ranges.push([k.frame ?? 0, next ? (next.frame ?? 0) : frames]);
  });
  return ranges;
}
