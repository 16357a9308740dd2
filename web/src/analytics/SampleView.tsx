// One sampled label drawn on its media, read only: an image with its boxes,
// polygons and keypoints (the review view's ResultView draws them), a text
// with its spans highlighted, and every control's values as chips. Task data
// and labels go into the page as React text nodes only, never as markup.
import { useEffect, useState } from 'react';
import type { Control, Media, ResultItem, SpanResult, Task } from '../api';
import { labelColor } from '../editor/colors';
import { isImageControl, itemsOf } from '../editor/result';
import { isImageValue } from '../editor/SourceView';
import { codePointBoundaries, toUtf16 } from '../editor/text/offsets';
import { describeItem, ResultView } from '../review/ResultView';

function labelsOf(control: Control | undefined): string[] {
  return control && 'labels' in control ? control.labels : [];
}

/** The natural size of an image once it has loaded. */
function useNaturalSize(src: string, known: Media | null | undefined): Media | undefined {
  const [size, setSize] = useState<Media>();
  const needed = !(known?.width && known.height);
  useEffect(() => {
    if (!needed) return;
    let current = true;
    const image = new Image();
    image.onload = () => current && setSize({ width: image.naturalWidth, height: image.naturalHeight });
    image.src = src;
    return () => {
      current = false;
    };
  }, [src, needed]);
  return needed ? size : known!;
}

function SampleImage({ src, task, controls, result, media }: {
  src: string;
  task: Task;
  controls: Control[];
  result: ResultItem[];
  media: Media | null | undefined;
}) {
  const size = useNaturalSize(src, media);
  if (controls.length === 0 || !size) return <img className="sample-img" src={src} alt={`Task ${task.id}`} />;
  return <ResultView task={task} controls={controls} result={result} media={size} />;
}

interface Piece {
  text: string;
  /** The innermost span covering the piece, if any. */
  span?: { label: string; control: string };
  /** Labels of the spans that end with this piece. */
  ending: string[];
}

/** The text cut at span boundaries (UTF-16 offsets of the code point offsets the result holds). */
function piecesOf(text: string, spans: SpanResult[]): Piece[] {
  const boundaries = codePointBoundaries(text);
  const ranges = spans
    .map((s) => ({ start: toUtf16(boundaries, s.start), end: toUtf16(boundaries, s.end), label: s.label, control: s.control }))
    .filter((r) => r.end > r.start);
  const cuts = [...new Set([0, text.length, ...ranges.flatMap((r) => [r.start, r.end])])].sort((a, b) => a - b);
  return cuts.slice(1).map((end, i) => {
    const start = cuts[i]!;
    const covering = ranges.filter((r) => r.start <= start && end <= r.end);
    const innermost = covering.reduce<(typeof covering)[number] | undefined>(
      (best, r) => (!best || r.end - r.start < best.end - best.start ? r : best),
      undefined,
    );
    return { text: text.slice(start, end), span: innermost, ending: covering.filter((r) => r.end === end).map((r) => r.label) };
  });
}

function HighlightedText({ text, spans, controls }: { text: string; spans: SpanResult[]; controls: Control[] }) {
  return (
    <div className="sample-text" data-testid="sample-text">
      {piecesOf(text, spans).map((piece, index) => {
        if (!piece.span) return piece.text;
        const color = labelColor(labelsOf(controls.find((c) => c.name === piece.span!.control)), piece.span.label);
        return (
          <mark
            key={index}
            className="span-mark sample-span"
            style={{ borderColor: color, background: `${color}22` }}
            data-end-labels={piece.ending.length ? piece.ending.join(', ') : undefined}
            data-label={piece.span.label}
          >
            {piece.text}
          </mark>
        );
      })}
    </div>
  );
}

/** A control's items as chips: choice values, a rating, a text, or region labels with their counts. */
function Chips({ control, items }: { control: Control; items: ResultItem[] }) {
  const chips: { text: string; color?: string }[] = [];
  const counts = new Map<string, number>();
  for (const item of items) {
    if (item.type === 'choice') chips.push(...item.values.map((v) => ({ text: v, color: labelColor(labelsOf(control), v) })));
    else if (item.type === 'rating' || item.type === 'text') chips.push({ text: describeItem(item, control) });
    else counts.set(item.label, (counts.get(item.label) ?? 0) + 1);
  }
  for (const [label, n] of counts) chips.push({ text: n > 1 ? `${label} ×${n}` : label, color: labelColor(labelsOf(control), label) });
  return (
    <div className="sample-control" data-control={control.name}>
      <span className="muted">{control.name}</span>
      {chips.length === 0 && <span className="muted">—</span>}
      {chips.map((chip, index) => (
        <span key={index} className="chip" style={chip.color ? { borderColor: chip.color } : undefined} data-testid="sample-chip">
          {chip.text}
        </span>
      ))}
    </div>
  );
}

export function SampleView({ task, controls, result, media }: {
  task: Task;
  controls: Control[];
  result: ResultItem[];
  media?: Media | null;
}) {
  const sources = [...new Set(controls.map((c) => c.source))];
  return (
    <div className="sample-view">
      {sources.map((source) => {
        const value = task.data[source];
        const over = controls.filter((c) => c.source === source);
        if (typeof value === 'string' && isImageValue(value)) {
          const image = over.filter(isImageControl);
          const items = result.filter((item) => image.some((c) => c.name === item.control));
          return <SampleImage key={source} src={value} task={task} controls={image} result={items} media={media} />;
        }
        if (over.some((c) => c.type === 'span' && c.media === 'audio') && typeof value === 'string') {
          return <audio key={source} className="sample-audio" src={value} controls preload="none" />;
        }
        if (over.some((c) => c.type === 'bbox' && c.media === 'video') && typeof value === 'string') {
          return <video key={source} className="sample-video" src={value} controls muted preload="metadata" />;
        }
        const text = typeof value === 'string' ? value : JSON.stringify(value ?? null);
        const textSpans = over.filter((c) => c.type === 'span' && c.media !== 'audio');
        const spans = result.filter(
          (item): item is SpanResult => item.type === 'span' && textSpans.some((c) => c.name === item.control),
        );
        return <HighlightedText key={source} text={text} spans={spans} controls={controls} />;
      })}
      <div className="sample-chips">
        {controls.map((control) => (
          <Chips key={control.name} control={control} items={itemsOf(result, control.name)} />
        ))}
      </div>
    </div>
  );
}
