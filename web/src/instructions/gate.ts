// Small helpers of the instructions that the labeling, review and history
// views share without loading the Markdown renderer.
import { ApiError } from '../api';

/** Whether an error from `next` is the instructions gate (docs/instructions.md, Gating). */
export function isInstructionsGate(error: unknown): error is ApiError {
  return error instanceof ApiError && error.status === 409 && error.code === 'instructions_not_acknowledged';
}

/** Under which instructions a label was made, e.g. "instructions v2"; 0 is none. */
export function instructionsVersionText(version: number): string {
  return version > 0 ? `instructions v${version}` : 'no instructions';
}
