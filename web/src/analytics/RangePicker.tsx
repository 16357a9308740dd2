import { useState } from 'react';
import { isDay, lastDays, type DayRange } from './range';

const presets = [7, 30, 90];

/** From and to (both inclusive, UTC days) with presets for the last 7, 30 and 90 days. */
export function RangePicker({ range, onChange }: { range: DayRange; onChange: (range: DayRange) => void }) {
  const [draft, setDraft] = useState(range);
  const [shown, setShown] = useState(range);
  if (shown !== range) {
    // The range changed from outside (a preset): the inputs follow it.
    setShown(range);
    setDraft(range);
  }
  const invalid = !isDay(draft.from) || !isDay(draft.to) || draft.from > draft.to;

  const edit = (next: DayRange) => {
    setDraft(next);
    if (isDay(next.from) && isDay(next.to) && next.from <= next.to) onChange(next);
  };

  return (
    <div className="range-picker row" data-testid="range-picker">
      <label className="inline">
        From
        <input type="date" value={draft.from} onChange={(e) => edit({ ...draft, from: e.target.value })} data-testid="range-from" />
      </label>
      <label className="inline">
        To
        <input type="date" value={draft.to} onChange={(e) => edit({ ...draft, to: e.target.value })} data-testid="range-to" />
      </label>
      {presets.map((days) => (
        <button key={days} type="button" onClick={() => onChange(lastDays(days))}>
          {days} days
        </button>
      ))}
      <span className="muted">UTC days, both included</span>
      {invalid && <span className="error">The range needs two dates, the first not after the second.</span>}
    </div>
  );
}
