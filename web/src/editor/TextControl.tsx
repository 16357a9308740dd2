import { useEffect, useRef } from 'react';
import type { TextControl as Control, TextResult } from '../api';
import type { ControlProps } from './controlProps';
import { ControlFrame } from './LabelButtons';

/** Counts code points, as the server's max_length does. */
function codePoints(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

/**
 * Free text (a transcription, a caption). Keys typed into it are text, never
 * shortcuts; Escape leaves it so the editor's keys work again, Ctrl+Enter
 * submits. Typing in a row is one undo step.
 */
export function TextControl({
  control,
  items,
  active,
  onChange,
  onActivate,
  onShortcuts,
}: ControlProps<Control, TextResult>) {
  const value = items[0]?.value ?? '';
  const max = control.max_length ?? 100000;
  const length = codePoints(value);
  useEffect(() => {
    onShortcuts([
      { key: 'Escape', action: 'leave the text box' },
      { key: 'Ctrl+Enter', action: 'submit while typing' },
    ]);
  }, [onShortcuts]);
  // Becoming active (by Tab) puts the caret in the box; Escape leaves it.
  const input = useRef<HTMLTextAreaElement>(null);
  useEffect(() => {
    if (active) input.current?.focus({ preventScroll: true });
  }, [active]);
  return (
    <ControlFrame
      name={control.name}
      active={active}
      hint={`(${control.required === false ? 'optional' : 'required'})`}
    >
      <textarea
        aria-label={control.name}
        className="free-text"
        rows={4}
        value={value}
        onFocus={onActivate}
        ref={input}
        onKeyDown={(e) => {
          if (e.key === 'Escape') e.currentTarget.blur();
        }}
        onChange={(e) => {
          const text = e.target.value;
          onChange(text ? [{ control: control.name, type: 'text', value: text }] : []);
        }}
        data-testid="text-input"
      />
      <span className={length > max ? 'error' : 'muted'}>
        {length} / {max}
      </span>
    </ControlFrame>
  );
}
