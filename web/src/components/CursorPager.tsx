import { useCallback, useState, type ReactNode } from 'react';

/**
 * The pages of a list paged by the server's cursor: the cursors of the pages
 * before the current one are kept to go back.
 */
export function useCursors() {
  const [cursors, setCursors] = useState<string[]>([]);
  return {
    /** The current page's cursor, undefined on the first page. */
    cursor: cursors[cursors.length - 1],
    /** How many pages come before the current one. */
    page: cursors.length,
    previous: useCallback(() => setCursors((c) => c.slice(0, -1)), []),
    next: useCallback((cursor: string) => setCursors((c) => [...c, cursor]), []),
    reset: useCallback(() => setCursors([]), []),
  };
}

/** Previous page / Next page under a paged table, with what is shown. */
export function CursorPager({ pages, nextCursor, loading, children, rangeTestId, nextTestId }: {
  pages: ReturnType<typeof useCursors>;
  nextCursor: string | null | undefined;
  loading: boolean;
  /** What is shown, e.g. "51–100 of 230". */
  children: ReactNode;
  rangeTestId?: string;
  nextTestId?: string;
}) {
  return (
    <div className="pager">
      <span className="muted" data-testid={rangeTestId}>
        {children}
      </span>
      <button type="button" disabled={pages.page === 0} onClick={pages.previous}>
        Previous page
      </button>
      <button
        type="button"
        disabled={!nextCursor || loading}
        onClick={() => nextCursor && pages.next(nextCursor)}
        data-testid={nextTestId}
      >
        Next page
      </button>
    </div>
  );
}
