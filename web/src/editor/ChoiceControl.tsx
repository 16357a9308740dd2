import type { ChoiceControl as Control } from '../api';

interface Props {
  control: Control;
  selected: string[];
  active: boolean;
  onPick: (labelIndex: number) => void;
  onActivate: () => void;
}

/** The labels of one choice control as buttons; keys 1–9 pick while it is active. */
export function ChoiceControl({ control, selected, active, onPick, onActivate }: Props) {
  const hint = control.multiple ? 'any number' : 'one';
  const optional = control.required === false ? ', optional' : '';
  return (
    <fieldset
      className={active ? 'choice active' : 'choice'}
      onClick={onActivate}
      data-testid="control"
      data-control={control.name}
      data-active={active}
    >
      <legend>
        {control.name}{' '}
        <span className="muted">
          ({hint}
          {optional})
        </span>
      </legend>
      <div className="labels">
        {control.labels.map((label, index) => {
          const on = selected.includes(label);
          return (
            <button
              key={label}
              type="button"
              className={on ? 'label-button on' : 'label-button'}
              aria-pressed={on}
              onClick={() => onPick(index)}
              data-testid="label-button"
              data-control={control.name}
              data-label={label}
            >
              {index < 9 && <kbd>{index + 1}</kbd>}
              {label}
            </button>
          );
        })}
      </div>
    </fieldset>
  );
}
