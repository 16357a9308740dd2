import type { LabelerRow, WorkforceRow } from '../api';

/** One option of a Picker; options of the same `group` are shown together under its name. */
export interface Choice {
  value: string;
  label: string;
  group?: string;
}

function Options({ choices }: { choices: Choice[] }) {
  return choices.map((c) => (
    <option key={c.value} value={c.value}>
      {c.label}
    </option>
  ));
}

/** A labeled select of the analytics filters; `none` names the empty choice (no filter), when there is one. */
export function Picker({ label, value, onChange, choices, none, testId }: {
  label: string;
  value: string;
  onChange: (value: string) => void;
  choices: Choice[];
  none?: string;
  testId?: string;
}) {
  const groups = [...new Set(choices.map((c) => c.group))];
  return (
    <label className="inline">
      {label}
      <select value={value} onChange={(e) => onChange(e.target.value)} data-testid={testId}>
        {none !== undefined && <option value="">{none}</option>}
        {groups.map((group) =>
          group === undefined ? (
            <Options key="" choices={choices.filter((c) => c.group === undefined)} />
          ) : (
            <optgroup key={group} label={group}>
              <Options choices={choices.filter((c) => c.group === group)} />
            </optgroup>
          ),
        )}
      </select>
    </label>
  );
}

/** The choices of a list of strings, each its own label. */
export function plainChoices(values: (string | number)[]): Choice[] {
  return values.map((v) => ({ value: String(v), label: String(v) }));
}

export function labelerChoices(labelers: LabelerRow[] | undefined): Choice[] {
  return (labelers ?? []).map((l) => ({ value: String(l.user_id), label: l.username }));
}

export function workforceChoices(workforces: WorkforceRow[] | undefined): Choice[] {
  return (workforces ?? []).map((w) => ({ value: String(w.workforce_id), label: w.name }));
}
