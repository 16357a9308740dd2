import type { ReactNode } from 'react';
import { ErrorText } from '../components/ErrorText';
import type { AsyncState } from '../useAsync';
import { CsvLink } from './CsvLink';

/**
 * A panel of one analytics call: its title and "Download CSV" link, then its
 * error, "Loading…" until the first answer, `empty` when the answer has
 * nothing, else `children` with the answer (dimmed while a new one loads).
 */
export function TablePanel<T>({ title, testId, csv, state, isEmpty, empty, children }: {
  title: string;
  testId: string;
  csv: string;
  state: AsyncState<T>;
  isEmpty: (data: T) => boolean;
  empty: string;
  children: (data: T) => ReactNode;
}) {
  const data = state.data;
  return (
    <div className={state.loading && data !== undefined ? 'panel loading' : 'panel'} data-testid={testId}>
      <div className="heading">
        <h2>{title}</h2>
        <CsvLink href={csv} testId={`${testId}-csv`} />
      </div>
      <ErrorText error={state.error} />
      {data === undefined && !state.error && <p className="muted">Loading…</p>}
      {data !== undefined && isEmpty(data) && (
        <p className="muted" data-testid={`${testId}-empty`}>
          {empty}
        </p>
      )}
      {data !== undefined && children(data)}
    </div>
  );
}
