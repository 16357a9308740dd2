// The date range of the analytics screens and the filters kept in the
// address's query string, so that a reload, a bookmark or a link from one
// screen to another keeps them. Days are UTC calendar days, as the server
// counts them; the screens show `to` inclusive and send the day after it,
// since the API's `to` is exclusive.
import { useCallback, useState } from 'react';
import type { DateRange } from '../api';

/** Inclusive UTC days, `YYYY-MM-DD`. */
export interface DayRange {
  from: string;
  to: string;
}

const dayPattern = /^\d{4}-\d{2}-\d{2}$/;
const dayMs = 86_400_000;

export function isDay(value: string | null | undefined): value is string {
  return typeof value === 'string' && dayPattern.test(value) && !Number.isNaN(Date.parse(`${value}T00:00:00Z`));
}

export function addDays(day: string, n: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + n * dayMs).toISOString().slice(0, 10);
}

export function today(): string {
  return new Date().toISOString().slice(0, 10);
}

/** The `days` days up to and including today. */
export function lastDays(days: number): DayRange {
  const to = today();
  return { from: addDays(to, -(days - 1)), to };
}

/** The range as the API takes it: `to` exclusive. */
export function apiRange(range: DayRange): DateRange {
  return { from: range.from, to: addDays(range.to, 1) };
}

function readParam(key: string): string | null {
  return new URLSearchParams(window.location.search).get(key);
}

/** Sets (or, with '' or undefined, removes) query parameters without adding a history entry. */
export function writeParams(params: Record<string, string | number | undefined>): void {
  const search = new URLSearchParams(window.location.search);
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined || value === '') search.delete(key);
    else search.set(key, String(value));
  }
  const text = search.toString();
  window.history.replaceState(null, '', `${window.location.pathname}${text ? `?${text}` : ''}`);
}

/** A filter kept in the query string under `key`; '' when absent. */
export function useQueryParam(key: string): [string, (value: string) => void] {
  const [value, setValue] = useState(() => readParam(key) ?? '');
  const set = useCallback(
    (next: string) => {
      setValue(next);
      writeParams({ [key]: next });
    },
    [key],
  );
  return [value, set];
}

/** The range in the query string (`from`, `to`), else the last `defaultDays` days. */
export function useDayRange(defaultDays: number): [DayRange, (range: DayRange) => void] {
  const [range, setRange] = useState<DayRange>(() => {
    const from = readParam('from');
    const to = readParam('to');
    return isDay(from) && isDay(to) && from <= to ? { from, to } : lastDays(defaultDays);
  });
  const set = useCallback((next: DayRange) => {
    setRange(next);
    writeParams({ from: next.from, to: next.to });
  }, []);
  return [range, set];
}

/** The query string of the current range, for links between the analytics screens. */
export function rangeSearch(range: DayRange): string {
  return `?${new URLSearchParams({ from: range.from, to: range.to }).toString()}`;
}

/** A fresh seed for the sample gallery's draw. */
export function randomSeed(): string {
  return String(crypto.getRandomValues(new Uint32Array(1))[0]!);
}
