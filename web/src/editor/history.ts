import { useCallback, useReducer } from 'react';

interface State<T> {
  past: T[];
  present: T;
  future: T[];
  /** Edits with the same key in a row are one undo step (typing into a text control). */
  mergeKey?: string;
}

type Update<T> = T | ((previous: T) => T);

type Action<T> =
  | { kind: 'set'; value: Update<T>; mergeKey?: string }
  | { kind: 'replace'; value: Update<T> }
  | { kind: 'undo' }
  | { kind: 'redo' };

// Undo steps kept; older ones are dropped so a long session stays small.
const kMaxSteps = 500;

function apply<T>(update: Update<T>, previous: T): T {
  return typeof update === 'function' ? (update as (previous: T) => T)(previous) : update;
}

function reduce<T>(state: State<T>, action: Action<T>): State<T> {
  switch (action.kind) {
    case 'set': {
      const value = apply(action.value, state.present);
      if (value === state.present) return state;
      if (action.mergeKey !== undefined && action.mergeKey === state.mergeKey) {
        return { ...state, present: value, future: [] };
      }
      const past = [...state.past, state.present].slice(-kMaxSteps);
      return { past, present: value, future: [], mergeKey: action.mergeKey };
    }
    case 'replace':
      return { ...state, present: apply(action.value, state.present), mergeKey: undefined };
    case 'undo': {
      const previous = state.past[state.past.length - 1];
      if (previous === undefined) return state;
      return { past: state.past.slice(0, -1), present: previous, future: [state.present, ...state.future] };
    }
    case 'redo': {
      const [next, ...rest] = state.future;
      if (next === undefined) return state;
      return { past: [...state.past, state.present], present: next, future: rest };
    }
  }
}

export interface History<T> {
  value: T;
  canUndo: boolean;
  canRedo: boolean;
  /** A new undo step (merged into the previous one when both carry the same mergeKey). */
  set: (value: Update<T>, mergeKey?: string) => void;
  /** Changes the current value without an undo step (e.g. rescaling a pre-label to the loaded image). */
  replace: (value: Update<T>) => void;
  undo: () => void;
  redo: () => void;
}

/** A value with linear undo/redo. */
export function useHistory<T>(initial: () => T): History<T> {
  const [state, dispatch] = useReducer(reduce<T>, undefined, () => ({ past: [], present: initial(), future: [] }));
  const set = useCallback((value: Update<T>, mergeKey?: string) => dispatch({ kind: 'set', value, mergeKey }), []);
  const replace = useCallback((value: Update<T>) => dispatch({ kind: 'replace', value }), []);
  const undo = useCallback(() => dispatch({ kind: 'undo' }), []);
  const redo = useCallback(() => dispatch({ kind: 'redo' }), []);
  return {
    value: state.present,
    canUndo: state.past.length > 0,
    canRedo: state.future.length > 0,
    set,
    replace,
    undo,
    redo,
  };
}
