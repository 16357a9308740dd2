import type { ChoiceControl, ResultItem } from '../api';

/** The labels picked so far, by control name. */
export type Selection = Record<string, string[]>;

/** Picks a label: a single choice replaces, a multiple choice toggles. */
export function pick(selection: Selection, control: ChoiceControl, label: string): Selection {
  const current = selection[control.name] ?? [];
  if (!control.multiple) return { ...selection, [control.name]: [label] };
  const on = !current.includes(label);
  const values = control.labels.filter((l) => (l === label ? on : current.includes(l)));
  return { ...selection, [control.name]: values };
}

/** The first required control without a value, if any. Controls are required unless they say otherwise. */
export function firstMissing(controls: ChoiceControl[], selection: Selection): ChoiceControl | undefined {
  return controls.find((c) => c.required !== false && !selection[c.name]?.length);
}

export function toResult(controls: ChoiceControl[], selection: Selection): ResultItem[] {
  return controls.flatMap((c) => {
    const values = selection[c.name] ?? [];
    return values.length ? [{ control: c.name, type: 'choice' as const, values }] : [];
  });
}
