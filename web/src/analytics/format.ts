// How the analytics figures read. A figure the server sends as null (a ratio
// whose denominator is 0) reads "—", never 0.
import type { Cost } from '../api';

export const none = '—';

type Figure = number | null | undefined;

function known(value: Figure): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

/** A count or a rate, with at most `digits` decimals. */
export function formatNumber(value: Figure, digits = 1): string {
  return known(value) ? value.toLocaleString(undefined, { maximumFractionDigits: digits }) : none;
}

/** A share in [0, 1] as a percentage, e.g. 0.9 → "90.0%". */
export function formatPercent(value: Figure, digits = 1): string {
  return known(value) ? `${(value * 100).toFixed(digits)}%` : none;
}

/** A 95 % interval of a share, e.g. "69.9–97.2%". */
export function formatInterval(low: Figure, high: Figure): string {
  return known(low) && known(high) ? `${(low * 100).toFixed(1)}–${(high * 100).toFixed(1)}%` : none;
}

/** κ or α, which may be negative. */
export function formatCoefficient(value: Figure): string {
  return known(value) ? value.toFixed(3) : none;
}

/** A duration in seconds, e.g. "41.2 s", "3 min 5 s", "2 h 10 min", "3 d 4 h". */
export function formatSeconds(value: Figure): string {
  if (!known(value)) return none;
  if (value < 60) return `${value.toFixed(1)} s`;
  const s = Math.round(value);
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
  return `${Math.floor(s / 86400)} d ${Math.floor((s % 86400) / 3600)} h`;
}

/** An amount in a currency; small amounts (a cost per label) keep more decimals. */
export function formatMoney(value: Figure, currency: string | null | undefined): string {
  if (!known(value)) return none;
  const digits = Math.abs(value) > 0 && Math.abs(value) < 1 ? 4 : 2;
  const amount = value.toLocaleString(undefined, { minimumFractionDigits: 2, maximumFractionDigits: digits });
  return currency ? `${amount} ${currency}` : amount;
}

/** A row's cost as a list, one per currency (a row has one, the summary a list, an unpriced row none). */
export function costs(cost: Cost | Cost[] | null | undefined): Cost[] {
  if (!cost) return [];
  return Array.isArray(cost) ? cost : [cost];
}

/** The value of a figure for a data attribute: the number as sent, or "" for null. */
export function dataValue(value: Figure): string {
  return known(value) ? String(value) : '';
}
