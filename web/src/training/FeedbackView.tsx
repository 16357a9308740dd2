// After a practice answer: the labeler's answer beside the expert's, with
// regions of both drawn over the image, text spans highlighted in the text,
// and every item marked as matched, extra (only yours) or missed (only the
// expert's); then the explanation and a link to the instructions. All text
// is rendered as text.
import type { Control, PracticeFeedback, SpanResult, Task } from '../api';
import { describe, diffResults, type ControlDiff, type MarkedItem } from './diff';

const markText = { match: 'matches', extra: 'only yours', missed: 'missed' } as const;

function ItemList({ diff, side }: { diff: ControlDiff; side: 'yours' | 'expert' }) {
  const items = diff.items.filter((i) => i.side === side);
  if (items.length === 0) return <span className="muted">(nothing)</span>;
  return (
    <ul className="feedback-items">
      {items.map((m, k) => (
        <li key={k} className={`mark-${m.mark}`} data-testid={`feedback-${side}-item`} data-mark={m.mark}>
          {describe(m.item)} <span className="muted">({markText[m.mark]})</span>
        </li>
      ))}
    </ul>
  );
}

/** Regions of both answers over the image: the expert's dashed, the labeler's solid; misses in red. */
function RegionOverlay({ src, width, height, items }: { src: string; width: number; height: number; items: MarkedItem[] }) {
  const color = (m: MarkedItem) => (m.mark === 'match' ? '#2a7' : m.side === 'yours' ? '#d33' : '#e80');
  return (
    <svg className="feedback-overlay" viewBox={`0 0 ${width} ${height}`} data-testid="feedback-overlay" role="img"
         aria-label="your regions and the expert's over the image">
      <image href={src} x={0} y={0} width={width} height={height} />
      {items.map((m, k) => {
        const stroke = color(m);
        const dash = m.side === 'expert' ? '6 4' : undefined;
        const common = { stroke, strokeWidth: Math.max(2, width / 300), fill: 'none', strokeDasharray: dash,
                         'data-side': m.side, 'data-mark': m.mark, 'data-testid': 'overlay-region' };
        const item = m.item;
        if (item.type === 'bbox') return <rect key={k} x={item.x} y={item.y} width={item.w} height={item.h} {...common} />;
        if (item.type === 'polygon') {
          return <polygon key={k} points={item.points.map((p) => p.join(',')).join(' ')} {...common} />;
        }
        if (item.type === 'keypoint') return <circle key={k} cx={item.x} cy={item.y} r={Math.max(4, width / 150)} {...common} />;
        return null;
      })}
    </svg>
  );
}

/** The text with the expert's spans underlined and the labeler's highlighted, by code point. */
function SpanText({ text, items }: { text: string; items: MarkedItem[] }) {
  const chars = Array.from(text);
  const spans = items.filter((m) => m.item.type === 'span') as (MarkedItem & { item: SpanResult })[];
  const cls = (i: number) => {
    const over = spans.filter((m) => m.item.start <= i && i < m.item.end);
    return over.map((m) => `${m.side}-${m.mark}`).join(' ');
  };
  const runs: { text: string; cls: string }[] = [];
  chars.forEach((ch, i) => {
    const c = cls(i);
    const last = runs[runs.length - 1];
    if (last && last.cls === c) last.text += ch;
    else runs.push({ text: ch, cls: c });
  });
  return (
    <p className="feedback-text" data-testid="feedback-text">
      {runs.map((r, k) =>
        r.cls ? (
          <mark key={k} className={r.cls} data-marks={r.cls}>
            {r.text}
          </mark>
        ) : (
          <span key={k}>{r.text}</span>
        ),
      )}
    </p>
  );
}

function sourceOf(task: Task, controls: Control[], name: string): { control?: Control; value?: string } {
  const control = controls.find((c) => c.name === name);
  const value = control ? (task.data as Record<string, unknown>)[control.source] : undefined;
  return { control, value: typeof value === 'string' ? value : undefined };
}

export function FeedbackView({ task, controls, feedback, onReadInstructions }: {
  projectId: number;
  task: Task;
  controls: Control[];
  feedback: PracticeFeedback;
  /** Opens the instructions at the explanation's anchor (null: at the top). */
  onReadInstructions: (anchor: string | null) => void;
}) {
  const diffs = diffResults(feedback.answer.result, feedback.expert.result);
  const media = feedback.expert.media ?? feedback.answer.media;
  const scoreOf = (control: string) => feedback.controls.find((c) => c.control === control)?.score;
  return (
    <div className="panel feedback" data-testid="practice-feedback">
      <h2 data-testid="feedback-verdict">
        {feedback.answer.correct ? 'Correct' : 'Not quite'} — score {Math.round(feedback.answer.score * 100)} %
      </h2>
      {diffs.map((diff) => {
        const { control, value } = sourceOf(task, controls, diff.control);
        const score = scoreOf(diff.control);
        const regions = ['bbox', 'polygon', 'keypoint'].includes(diff.type);
        return (
          <section key={diff.control} className="feedback-control" data-testid="feedback-control" data-control={diff.control}>
            <h3>
              {diff.control}
              {score !== undefined && <span className="muted"> · {Math.round(score * 100)} %</span>}
            </h3>
            {regions && value && media?.width && media?.height && (
              <RegionOverlay src={value} width={media.width} height={media.height} items={diff.items} />
            )}
            {diff.type === 'span' && value !== undefined && control?.type === 'span' && (
              <SpanText text={value} items={diff.items} />
            )}
            <div className="feedback-columns">
              <div>
                <h4>Your answer</h4>
                <ItemList diff={diff} side="yours" />
              </div>
              <div>
                <h4>Expert answer</h4>
                <ItemList diff={diff} side="expert" />
              </div>
            </div>
          </section>
        );
      })}
      {feedback.explanation && (
        <div className="feedback-explanation" data-testid="feedback-explanation">
          <h3>Why</h3>
          <p>{feedback.explanation}</p>
        </div>
      )}
      {feedback.instructions.url && (
        <p>
          <button type="button" onClick={() => onReadInstructions(feedback.instructions.anchor)} data-testid="feedback-instructions">
            Read this in the instructions{feedback.instructions.anchor ? ` (${feedback.instructions.anchor})` : ''}
          </button>
        </p>
      )}
    </div>
  );
}

