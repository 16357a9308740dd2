// The line diff of two instructions versions, with jsdiff (the `diff`
// package): the body as it is, and the examples written out one field a line,
// so that a changed title or a swapped image shows as one changed line.
import { diffLines } from 'diff';
import type { InstructionsExample } from '../api';

export type LineKind = 'added' | 'removed' | 'same';

export interface DiffLine {
  kind: LineKind;
  text: string;
}

/** A run of unchanged lines left out of the view. */
export interface DiffGap {
  kind: 'gap';
  count: number;
}

function splitLines(value: string): string[] {
  const lines = value.split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** Every line of `from` and `to`, marked added, removed or the same. */
export function lineDiff(from: string, to: string): DiffLine[] {
  // A last line without its newline would differ from the same line with one.
  const ended = (text: string) => (text === '' || text.endsWith('\n') ? text : `${text}\n`);
  const out: DiffLine[] = [];
  for (const part of diffLines(ended(from), ended(to))) {
    const kind: LineKind = part.added ? 'added' : part.removed ? 'removed' : 'same';
    for (const text of splitLines(part.value)) out.push({ kind, text });
  }
  return out;
}

/** The lines with unchanged runs longer than twice `context` cut down to `context` lines around each change. */
export function withContext(lines: DiffLine[], context = 3): (DiffLine | DiffGap)[] {
  const out: (DiffLine | DiffGap)[] = [];
  let i = 0;
  while (i < lines.length) {
    if (lines[i]!.kind !== 'same') {
      out.push(lines[i]!);
      i += 1;
      continue;
    }
    let j = i;
    while (j < lines.length && lines[j]!.kind === 'same') j += 1;
    const run = lines.slice(i, j);
    const head = i === 0 ? 0 : context;
    const tail = j === lines.length ? 0 : context;
    if (run.length > head + tail + 1) {
      out.push(...run.slice(0, head), { kind: 'gap', count: run.length - head - tail }, ...run.slice(run.length - tail));
    } else {
      out.push(...run);
    }
    i = j;
  }
  return out;
}

/** The examples as text, one field a line, for the diff. */
export function examplesText(examples: InstructionsExample[]): string {
  return examples
    .map((e, index) => {
      const lines = [`#${index + 1} ${e.kind === 'example' ? 'example' : 'counter-example'}: ${e.title}`];
      for (const line of splitLines(e.text ?? '')) lines.push(`  ${line}`);
      lines.push(`  image: ${e.image ?? 'none'}`);
      lines.push(`  task: ${e.task_id ?? 'none'}`);
      return lines.join('\n');
    })
    .join('\n');
}

export function hasChanges(lines: DiffLine[]): boolean {
  return lines.some((l) => l.kind !== 'same');
}
