// Span offsets are Unicode code points in results and UTF-16 units in the
// browser (JavaScript strings, DOM ranges). These convert at that edge.

/** For each code point boundary 0..n, its UTF-16 offset (n = the number of code points). */
export function codePointBoundaries(text: string): number[] {
  const boundaries = [0];
  let u16 = 0;
  for (const ch of text) {
    u16 += ch.length;
    boundaries.push(u16);
  }
  return boundaries;
}

/** The code point offset of a UTF-16 offset; one inside a surrogate pair rounds up to the pair's end. */
export function toCodePoint(boundaries: number[], u16: number): number {
  let lo = 0;
  let hi = boundaries.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (boundaries[mid]! < u16) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The UTF-16 offset of a code point offset (clamped to the text). */
export function toUtf16(boundaries: number[], codePoint: number): number {
  const last = boundaries.length - 1;
  return boundaries[Math.max(0, Math.min(last, codePoint))]!;
}

/** The UTF-16 offset of a DOM point (node, offset) within `container`, counting only its text. */
export function domOffset(container: Node, node: Node, offset: number): number {
  const range = document.createRange();
  range.selectNodeContents(container);
  range.setEnd(node, offset);
  return range.toString().length;
}
