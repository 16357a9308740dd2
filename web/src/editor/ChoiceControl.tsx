import { useEffect } from 'react';
import type { ChoiceControl as Control, ChoiceResult } from '../api';
import type { ControlProps } from './controlProps';
import { digitIndex, labelShortcuts, useControlKeys } from './keys';
import { ControlFrame, LabelButtons } from './LabelButtons';

/** The labels of one choice control as buttons; keys 1–9 pick while it is active. */
export function ChoiceControl({
  control,
  items,
  active,
  onChange,
  onActivate,
  onShortcuts,
}: ControlProps<Control, ChoiceResult>) {
  const selected = items[0]?.values ?? [];
  const pick = (index: number) => {
    const label = control.labels[index];
    if (label === undefined) return;
    let values: string[];
    if (!control.multiple) values = [label];
    else {
      const on = !selected.includes(label);
      values = control.labels.filter((l) => (l === label ? on : selected.includes(l)));
    }
    onChange(values.length ? [{ control: control.name, type: 'choice', values }] : []);
  };

  useEffect(() => {
    onShortcuts(labelShortcuts(control.labels, control.multiple ? 'toggle' : 'choose'));
  }, [control, onShortcuts]);
  useControlKeys(active, (event) => {
    const index = digitIndex(event);
    if (index < 0 || index >= control.labels.length) return;
    event.preventDefault();
    pick(index);
  });

  const hint = control.multiple ? 'any number' : 'one';
  const optional = control.required === false ? ', optional' : '';
  return (
    <ControlFrame name={control.name} active={active} onActivate={onActivate} hint={`(${hint}${optional})`}>
      <LabelButtons
        labels={control.labels}
        isOn={(label) => selected.includes(label)}
        onPick={pick}
        testId="label-button"
        control={control.name}
      />
    </ControlFrame>
  );
}
