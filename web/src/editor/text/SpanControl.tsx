// Named entities over a text: select characters with the mouse, then press a
// label key (1–9) or click a label. The text is rendered as React text nodes
// only (never HTML), cut into segments at span boundaries; a span's label is
// drawn by CSS generated content, which is not part of the text, so a DOM
// range over the container counts exactly the task's UTF-16 units.
import { useEffect, useMemo, useRef, useState } from 'react';
import type { SpanControl as Control, SpanResult } from '../../api';
import { AttributesEditor } from '../AttributesEditor';
import { labelColor } from '../colors';
import type { ControlProps } from '../controlProps';
import { digitIndex, labelShortcuts, useControlKeys } from '../keys';
import { LabelButtons } from '../LabelButtons';
import { codePointBoundaries, domOffset, toCodePoint, toUtf16 } from './offsets';

interface Segment {
  start: number;
  end: number;
  /** Indexes (into items) of the spans covering the segment. */
  covering: number[];
  /** Labels of the spans that end with this segment. */
  ending: string[];
}

function segmentsOf(length: number, ranges: { start: number; end: number; label: string }[]): Segment[] {
  const cuts = new Set([0, length]);
  for (const r of ranges) {
    cuts.add(r.start);
    cuts.add(r.end);
  }
  const sorted = [...cuts].filter((c) => c >= 0 && c <= length).sort((a, b) => a - b);
  const segments: Segment[] = [];
  for (let i = 0; i + 1 < sorted.length; i++) {
    const start = sorted[i]!;
    const end = sorted[i + 1]!;
    const covering: number[] = [];
    const ending: string[] = [];
    ranges.forEach((r, index) => {
      if (r.start <= start && end <= r.end) {
        covering.push(index);
        if (r.end === end) ending.push(r.label);
      }
    });
    segments.push({ start, end, covering, ending });
  }
  return segments;
}

/** The UTF-16 range of the page's selection inside `container`, if it is there and not empty. */
function selectedRange(container: HTMLElement): { start: number; end: number } | null {
  const selection = window.getSelection();
  if (!selection || selection.rangeCount === 0 || selection.isCollapsed) return null;
  const range = selection.getRangeAt(0);
  if (!container.contains(range.startContainer) || !container.contains(range.endContainer)) return null;
  const start = domOffset(container, range.startContainer, range.startOffset);
  const end = domOffset(container, range.endContainer, range.endOffset);
  return end > start ? { start, end } : null;
}

export function SpanControl(props: ControlProps<Control, SpanResult>) {
  const { control, task, items, active, onChange, onActivate, onShortcuts } = props;
  const raw = task.data[control.source];
  const text = typeof raw === 'string' ? raw : '';
  const boundaries = useMemo(() => codePointBoundaries(text), [text]);
  const container = useRef<HTMLDivElement>(null);
  const [pending, setPending] = useState<{ start: number; end: number } | null>(null);
  const [selectedId, setSelectedId] = useState<string>();
  const [message, setMessage] = useState<string>();

  const ranges = useMemo(
    () =>
      items.map((item) => ({
        start: toUtf16(boundaries, item.start),
        end: toUtf16(boundaries, item.end),
        label: item.label,
      })),
    [items, boundaries],
  );
  const segments = useMemo(() => segmentsOf(text.length, ranges), [text.length, ranges]);
  const selected = items.find((item) => item.id === selectedId);

  useEffect(() => {
    onShortcuts([
      ...labelShortcuts(control.labels, 'mark the selected text as'),
      { key: 'Delete', action: 'remove the selected span (also Backspace)' },
      { key: 'Escape', action: 'clear the selection' },
    ]);
  }, [control, onShortcuts]);

  useEffect(() => {
    const update = () => {
      if (!container.current) return;
      const range = selectedRange(container.current);
      setPending((p) => (p?.start === range?.start && p?.end === range?.end ? p : range));
    };
    document.addEventListener('selectionchange', update);
    return () => document.removeEventListener('selectionchange', update);
  }, []);

  const nextId = () => {
    const taken = new Set(items.map((item) => item.id));
    let n = items.length + 1;
    while (taken.has(`${control.name}-${n}`)) n++;
    return `${control.name}-${n}`;
  };

  const applyLabel = (index: number) => {
    const label = control.labels[index];
    if (label === undefined) return;
    const range = container.current ? selectedRange(container.current) : null;
    if (range) {
      const start = toCodePoint(boundaries, range.start);
      const end = toCodePoint(boundaries, range.end);
      if (end <= start) return;
      const clash = !control.overlap && items.some((item) => item.start < end && start < item.end);
      if (clash) {
        setMessage(`Spans of “${control.name}” may not overlap.`);
        return;
      }
      const covered = text.slice(toUtf16(boundaries, start), toUtf16(boundaries, end));
      const id = nextId();
      const span: SpanResult = { control: control.name, type: 'span', id, label, start, end, text: covered };
      const next = [...items, span].sort((a, b) => a.start - b.start || a.end - b.end);
      onChange(next);
      setSelectedId(id);
      setMessage(undefined);
      window.getSelection()?.removeAllRanges();
      setPending(null);
    } else if (selected) {
      onChange(items.map((item) => (item === selected ? { ...item, label } : item)));
    }
  };

  const remove = (id: string | undefined) => {
    if (id === undefined) return;
    onChange(items.filter((item) => item.id !== id));
    setSelectedId(undefined);
  };

  useControlKeys(active, (event) => {
    const index = digitIndex(event);
    if (index >= 0 && index < control.labels.length) applyLabel(index);
    else if ((event.key === 'Delete' || event.key === 'Backspace') && selected) remove(selected.id);
    else if (event.key === 'Escape') {
      window.getSelection()?.removeAllRanges();
      setSelectedId(undefined);
    } else return;
    event.preventDefault();
  });

  const clickSegment = (segment: Segment) => {
    if (window.getSelection()?.isCollapsed === false) return;
    if (segment.covering.length === 0) {
      setSelectedId(undefined);
      return;
    }
    // The shortest span under the pointer: the innermost of nested ones.
    const innermost = segment.covering.reduce((best, i) => {
      const a = items[i]!;
      const b = items[best]!;
      return a.end - a.start < b.end - b.start ? i : best;
    });
    setSelectedId(items[innermost]!.id);
  };

  return (
    <div
      className={active ? 'span-control choice active' : 'span-control choice'}
      data-testid="control"
      data-control={control.name}
      data-active={active}
      onMouseUp={onActivate}
    >
      <div className="heading">
        <strong>{control.name}</strong>
        <span className="muted">select text, then a label key{control.overlap ? ' · spans may overlap' : ''}</span>
      </div>
      <LabelButtons
        labels={control.labels}
        isOn={(label) => selected?.label === label}
        onPick={applyLabel}
        testId="span-label"
        colored
        keepSelection
      />
      <div
        ref={container}
        className="source source-text span-text"
        data-testid="task-text"
        data-source={control.source}
      >
        {segments.map((segment) => {
          const chunk = text.slice(segment.start, segment.end);
          if (segment.covering.length === 0) {
            return (
              <span key={segment.start} onClick={() => clickSegment(segment)}>
                {chunk}
              </span>
            );
          }
          const top = items[segment.covering[segment.covering.length - 1]!]!;
          const isSelected = segment.covering.some((i) => items[i]!.id === selectedId);
          return (
            <span
              key={segment.start}
              className={isSelected ? 'span-mark selected' : 'span-mark'}
              style={{
                backgroundColor: `${labelColor(control.labels, top.label)}${segment.covering.length > 1 ? '55' : '33'}`,
                borderBottomColor: labelColor(control.labels, top.label),
              }}
              data-end-labels={segment.ending.length ? segment.ending.join(' ') : undefined}
              onClick={() => clickSegment(segment)}
            >
              {chunk}
            </span>
          );
        })}
      </div>
      {pending && (
        <p className="muted" data-testid="pending-selection">
          Selected: “{text.slice(pending.start, pending.end)}” — press 1–{Math.min(9, control.labels.length)}
        </p>
      )}
      {message && (
        <p className="error" role="alert">
          {message}
        </p>
      )}
      <ul className="region-list" data-testid="span-list">
        {items.map((item) => (
          <li
            key={item.id ?? `${item.start}-${item.end}`}
            className={item.id === selectedId ? 'selected' : undefined}
            data-testid="span"
            data-label={item.label}
            data-start={item.start}
            data-end={item.end}
          >
            <button type="button" className="link" onClick={() => setSelectedId(item.id)}>
              <span className="swatch" style={{ background: labelColor(control.labels, item.label) }} />
              {item.label}: “{item.text ?? ''}”{' '}
              <span className="muted">
                [{item.start}, {item.end})
              </span>
            </button>
            <button type="button" className="link" aria-label="Remove" onClick={() => remove(item.id)}>
              ✕
            </button>
          </li>
        ))}
      </ul>
      {selected && control.attributes && control.attributes.length > 0 && (
        <AttributesEditor
          attributes={control.attributes}
          values={selected.attributes}
          onChange={(attributes) => onChange(items.map((item) => (item === selected ? { ...item, attributes } : item)))}
        />
      )}
    </div>
  );
}
