// How the bake-off screens show their figures.
import type { Estimate } from '../api';

export function fixed(value: number | null | undefined, digits = 3): string {
  return typeof value === 'number' && Number.isFinite(value) ? value.toFixed(digits) : '—';
}

/** "0.912 [0.870, 0.950]" */
export function withInterval(e: Estimate | undefined): string {
  if (!e || e.estimate === null) return '—';
  return `${fixed(e.estimate)} [${fixed(e.low)}, ${fixed(e.high)}]`;
}

export function duration(ms: number | null | undefined): string {
  if (typeof ms !== 'number') return '—';
  const s = ms / 1000;
  if (s < 3600) return `${Math.round(s / 60)} min`;
  if (s < 172800) return `${(s / 3600).toFixed(1)} h`;
  return `${(s / 86400).toFixed(1)} days`;
}

export function money(value: number | null | undefined, currency: string): string {
  return typeof value === 'number' ? `${value.toFixed(2)} ${currency}` : '—';
}
