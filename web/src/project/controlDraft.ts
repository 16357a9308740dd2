import type { ChoiceControl } from '../api';

/** A choice control as typed into the create-project form. */
export interface ControlDraft {
  key: number;
  name: string;
  source: string;
  multiple: boolean;
  required: boolean;
  labels: string;
}

let nextKey = 1;

export function emptyControl(): ControlDraft {
  return { key: nextKey++, name: '', source: '', multiple: false, required: true, labels: '' };
}

/** Labels one per line; a single line may separate them with commas instead. */
export function parseLabels(text: string): string[] {
  const parts = text.includes('\n') ? text.split('\n') : text.split(',');
  return parts.map((label) => label.trim()).filter((label) => label !== '');
}

export function toControl(draft: ControlDraft): ChoiceControl {
  return {
    name: draft.name.trim(),
    type: 'choice',
    source: draft.source.trim(),
    labels: parseLabels(draft.labels),
    multiple: draft.multiple,
    required: draft.required,
  };
}

/** Where a server error's `field` points in the form. */
export type FieldTarget =
  | { kind: 'name' }
  | { kind: 'overlap' }
  | { kind: 'control'; index: number; detail: string }
  | { kind: 'form' };

export function fieldTarget(field: string | undefined): FieldTarget {
  if (field === 'name') return { kind: 'name' };
  if (field?.startsWith('settings')) return { kind: 'overlap' };
  const control = /^schema\.controls\[(\d+)\]\.?(.*)$/.exec(field ?? '');
  if (control) return { kind: 'control', index: Number(control[1]), detail: control[2] ?? '' };
  return { kind: 'form' };
}
