import type { ReactNode } from 'react';
import { labelColor } from './colors';

interface Props {
  labels: string[];
  isOn: (label: string) => boolean;
  onPick: (index: number) => void;
  /** data-testid of each button. */
  testId: string;
  control?: string;
  /** Border in the label's colour, as its regions are drawn. */
  colored?: boolean;
  /** Keep the page's text selection, which a press on a button would otherwise clear. */
  keepSelection?: boolean;
}

/** A control's labels as buttons, each with its key 1–9. */
export function LabelButtons({ labels, isOn, onPick, testId, control, colored, keepSelection }: Props) {
  return (
    <div className="labels">
      {labels.map((label, index) => {
        const on = isOn(label);
        return (
          <button
            key={label}
            type="button"
            className={on ? 'label-button on' : 'label-button'}
            aria-pressed={on}
            style={colored ? { borderColor: labelColor(labels, label) } : undefined}
            onMouseDown={keepSelection ? (e) => e.preventDefault() : undefined}
            onClick={() => onPick(index)}
            data-testid={testId}
            data-control={control}
            data-label={label}
          >
            {index < 9 && <kbd>{index + 1}</kbd>}
            {label}
          </button>
        );
      })}
    </div>
  );
}

interface FrameProps {
  name: string;
  active: boolean;
  onActivate?: () => void;
  /** After the name in the legend, e.g. "(one, optional)". */
  hint: ReactNode;
  value?: string | number;
  children: ReactNode;
}

/** The box of a control in the side column; highlighted while it is active. */
export function ControlFrame({ name, active, onActivate, hint, value, children }: FrameProps) {
  return (
    <fieldset
      className={active ? 'choice active' : 'choice'}
      onClick={onActivate}
      data-testid="control"
      data-control={name}
      data-active={active}
      data-value={value}
    >
      <legend>
        {name} <span className="muted">{hint}</span>
      </legend>
      {children}
    </fieldset>
  );
}
