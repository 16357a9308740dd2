import { useCallback, useState } from 'react';

export interface Action {
  /** The last run's error, until the next run starts. */
  error: Error | undefined;
  busy: boolean;
  /** Runs `action`; resolves to whether it succeeded (its error is kept in `error`). */
  run: (action: () => Promise<unknown>) => Promise<boolean>;
}

/** A call the user starts (a form's submit, a button), with its busy flag and its error. */
export function useAction(): Action {
  const [error, setError] = useState<Error>();
  const [busy, setBusy] = useState(false);
  const run = useCallback(async (action: () => Promise<unknown>) => {
    setBusy(true);
    setError(undefined);
    try {
      await action();
      return true;
    } catch (e) {
      setError(e instanceof Error ? e : new Error(String(e)));
      return false;
    } finally {
      setBusy(false);
    }
  }, []);
  return { error, busy, run };
}
