// Image geometry in pixels of the natural size: clamping regions inside the
// image (the server refuses a corner outside it) and rounding for submit.
import type { BboxResult } from '../../api';

export interface Size {
  width: number;
  height: number;
}

export interface Point {
  x: number;
  y: number;
}

/** Rounds to 1/100 pixel: finer than any screen, and stable in JSON. */
export function round(value: number): number {
  return Math.round(value * 100) / 100;
}

export function clampPoint(p: Point, size: Size): Point {
  return {
    x: round(Math.min(size.width, Math.max(0, p.x))),
    y: round(Math.min(size.height, Math.max(0, p.y))),
  };
}

/** The four corners of a box rotated clockwise by `rotation` degrees around (x, y). */
export function corners(box: Pick<BboxResult, 'x' | 'y' | 'w' | 'h' | 'rotation'>): Point[] {
  const t = ((box.rotation ?? 0) * Math.PI) / 180;
  const cos = Math.cos(t);
  const sin = Math.sin(t);
  const at = (u: number, v: number) => ({ x: box.x + u * cos - v * sin, y: box.y + u * sin + v * cos });
  return [at(0, 0), at(box.w, 0), at(box.w, box.h), at(0, box.h)];
}

/** Normalizes degrees into [0, 360). */
export function normalizeRotation(degrees: number): number {
  const r = round(((degrees % 360) + 360) % 360);
  return r >= 360 ? 0 : r;
}

/**
 * The box moved (and, if larger than the image, shrunk) so that all four
 * corners are inside the image.
 */
export function clampBox<B extends Pick<BboxResult, 'x' | 'y' | 'w' | 'h' | 'rotation'>>(box: B, size: Size): B {
  let next = { ...box, rotation: normalizeRotation(box.rotation ?? 0) };
  if (next.rotation === 0) {
    next.w = Math.min(next.w, size.width);
    next.h = Math.min(next.h, size.height);
  }
  const cs = corners(next);
  const minX = Math.min(...cs.map((c) => c.x));
  const maxX = Math.max(...cs.map((c) => c.x));
  const minY = Math.min(...cs.map((c) => c.y));
  const maxY = Math.max(...cs.map((c) => c.y));
  const dx = minX < 0 ? -minX : maxX > size.width ? size.width - maxX : 0;
  const dy = minY < 0 ? -minY : maxY > size.height ? size.height - maxY : 0;
  next = { ...next, x: next.x + dx, y: next.y + dy };
  // Rounding must not push a corner back out by a hundredth.
  const rounded = { ...next, x: round(next.x), y: round(next.y), w: round(next.w), h: round(next.h) };
  const out = corners(rounded).some((c) => c.x < 0 || c.y < 0 || c.x > size.width || c.y > size.height);
  if (out) {
    rounded.w = Math.floor(next.w * 100 - 1) / 100;
    rounded.h = Math.floor(next.h * 100 - 1) / 100;
    rounded.x = Math.ceil(next.x * 100) / 100;
    rounded.y = Math.ceil(next.y * 100) / 100;
  }
  return rounded;
}
