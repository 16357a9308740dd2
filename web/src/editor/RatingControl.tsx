import { useEffect } from 'react';
import type { RatingControl as Control, RatingResult } from '../api';
import type { ControlProps } from './controlProps';
import { digitIndex, useControlKeys } from './keys';
import { ControlFrame } from './LabelButtons';

/** A rating 1..max as star buttons; keys 1–9 (up to max) rate while it is active, 0 clears. */
export function RatingControl({
  control,
  items,
  active,
  onChange,
  onActivate,
  onShortcuts,
}: ControlProps<Control, RatingResult>) {
  const max = control.max ?? 5;
  const value = items[0]?.value ?? 0;
  const rate = (n: number) =>
    onChange(n === value || n === 0 ? [] : [{ control: control.name, type: 'rating', value: n }]);

  useEffect(() => {
    const keys = Math.min(max, 9);
    onShortcuts([
      { key: keys > 1 ? `1–${keys}` : '1', action: 'rate (again: clear)' },
      { key: 'ArrowRight', action: 'one more' },
      { key: 'ArrowLeft', action: 'one less' },
      { key: '0', action: 'clear' },
    ]);
  }, [max, onShortcuts]);
  useControlKeys(active, (event) => {
    const index = digitIndex(event);
    if (index >= 0 && index < max) rate(index + 1);
    else if (event.key === '0') rate(0);
    else if (event.key === 'ArrowRight') rate(Math.min(max, value + 1));
    else if (event.key === 'ArrowLeft') rate(Math.max(0, value - 1));
    else return;
    event.preventDefault();
  });

  return (
    <ControlFrame
      name={control.name}
      active={active}
      onActivate={onActivate}
      hint={`(1–${max}${control.required === false ? ', optional' : ''})`}
      value={value}
    >
      <div className="labels stars" role="radiogroup" aria-label={control.name}>
        {Array.from({ length: max }, (_, i) => i + 1).map((n) => (
          <button
            key={n}
            type="button"
            role="radio"
            aria-checked={n === value}
            aria-label={`${n} of ${max}`}
            className={n <= value ? 'star on' : 'star'}
            onClick={() => rate(n)}
            data-testid="rating-button"
            data-value={n}
          >
            {n <= value ? '★' : '☆'}
          </button>
        ))}
        <span className="muted">{value ? `${value} / ${max}` : 'not rated'}</span>
      </div>
    </ControlFrame>
  );
}
