// Keyboard plumbing shared by the editor and its controls. A control handles
// its keys with a `keydown` listener on `document` while it is active and calls
// preventDefault() on every key it handles; the editor listens on `window`,
// which the event reaches later, and ignores a key a control has handled. So a
// control may take Enter (e.g. to close a polygon) before it means "submit".
import { useEffect, useLayoutEffect, useRef } from 'react';

/** Whether a key event comes from a field the user types in: its keys are text, not shortcuts. */
export function isTyping(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  return target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName);
}

/**
 * Calls `handler` (the latest one) for every keydown on `document` while
 * `enabled`, except keys typed into a text field, keys with Ctrl/Meta/Alt and
 * keys something earlier has already handled.
 */
export function useControlKeys(enabled: boolean, handler: (event: KeyboardEvent) => void): void {
  const latest = useRef(handler);
  useLayoutEffect(() => {
    latest.current = handler;
  });
  useEffect(() => {
    if (!enabled) return;
    const listener = (event: KeyboardEvent) => {
      if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
      if (isTyping(event.target)) return;
      latest.current(event);
    };
    document.addEventListener('keydown', listener);
    return () => document.removeEventListener('keydown', listener);
  }, [enabled]);
}

/** Keys 1–9 as a label index, or -1. */
export function digitIndex(event: KeyboardEvent): number {
  return /^[1-9]$/.test(event.key) ? Number(event.key) - 1 : -1;
}

/** The shortcuts of label keys 1–9 for a label list. */
export function labelShortcuts(labels: string[], verb = 'label'): { key: string; action: string }[] {
  return labels.slice(0, 9).map((label, index) => ({ key: String(index + 1), action: `${verb} ${label}` }));
}

/** Calls the latest `handler` for every `type` event on window, for the component's lifetime. */
export function useWindowListener<K extends keyof WindowEventMap>(
  type: K,
  handler: (event: WindowEventMap[K]) => void,
): void {
  const latest = useRef(handler);
  useLayoutEffect(() => {
    latest.current = handler;
  });
  useEffect(() => {
    const listener = (event: WindowEventMap[K]) => latest.current(event);
    window.addEventListener(type, listener);
    return () => window.removeEventListener(type, listener);
  }, [type]);
}
