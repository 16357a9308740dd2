// A result shown read-only: per control of the schema its items as text, and
// the regions of image controls drawn over the image. Everything an annotator
// typed (labels, free text, attribute values) goes into the page as text nodes
// or SVG text, never as markup.
import type { Attributes, Control, Media, ResultItem, Task } from '../api';
import { isImageValue } from '../editor/SourceView';
import { labelColor } from '../editor/colors';
import { isImageControl, itemsOf } from '../editor/result';

function round(n: number): number {
  return Math.round(n * 10) / 10;
}

function attributesText(attributes: Attributes | undefined): string {
  if (!attributes) return '';
  const parts = Object.entries(attributes).map(([k, v]) => (v === true ? k : v === false ? `not ${k}` : `${k}=${v}`));
  return parts.length ? ` [${parts.join(', ')}]` : '';
}

/** One item as a line of text, e.g. `car (10, 20, 30×40)` or `PER “Ada” 0–3`. */
export function describeItem(item: ResultItem, control?: Control): string {
  switch (item.type) {
    case 'choice':
      return item.values.join(', ') || '(none)';
    case 'text':
      return item.value;
    case 'rating':
      return `${item.value} of ${control?.type === 'rating' ? (control.max ?? 5) : '?'}`;
    case 'bbox': {
      const at = item.frame !== undefined ? `${item.track ?? ''} frame ${item.frame}${item.outside ? ' outside' : ''}: ` : '';
      const turn = item.rotation ? ` ↻${round(item.rotation)}°` : '';
      return `${at}${item.label} (${round(item.x)}, ${round(item.y)}, ${round(item.w)}×${round(item.h)}${turn})${attributesText(item.attributes)}`;
    }
    case 'polygon':
      return `${item.label} (${item.points.length} points)${attributesText(item.attributes)}`;
    case 'keypoint':
      return `${item.label} (${round(item.x)}, ${round(item.y)})${attributesText(item.attributes)}`;
    case 'span': {
      const audio = control?.type === 'span' && control.media === 'audio';
      const range = audio ? `${item.start}–${item.end} s` : `${item.start}–${item.end}`;
      const text = item.text !== undefined ? ` “${item.text}”` : '';
      return `${item.label}${text} ${range}${attributesText(item.attributes)}`;
    }
  }
}

/** The regions of the image controls over one image source, drawn in the image's pixels. */
function ImageRegions({ src, items, media, labelsOf }: {
  src: string;
  items: ResultItem[];
  media: Media;
  labelsOf: (control: string) => string[];
}) {
  const { width = 0, height = 0 } = media;
  const stroke = Math.max(1, Math.min(width, height) / 200);
  const color = (item: { control: string; label: string }) => labelColor(labelsOf(item.control), item.label);
  return (
    <svg className="result-image" viewBox={`0 0 ${width} ${height}`} data-testid="result-image">
      <image href={src} x={0} y={0} width={width} height={height} />
      {items.map((item, index) => {
        switch (item.type) {
          case 'bbox':
            return (
              <g key={index} transform={`rotate(${item.rotation ?? 0} ${item.x} ${item.y})`}>
                <rect x={item.x} y={item.y} width={item.w} height={item.h} fill="none" stroke={color(item)} strokeWidth={stroke} />
                <text x={item.x} y={item.y - stroke} fill={color(item)} fontSize={stroke * 8}>{item.label}</text>
              </g>
            );
          case 'polygon':
            return (
              <polygon
                key={index}
                points={item.points.map(([x, y]) => `${x},${y}`).join(' ')}
                fill="none"
                stroke={color(item)}
                strokeWidth={stroke}
              />
            );
          case 'keypoint':
            return <circle key={index} cx={item.x} cy={item.y} r={stroke * 3} fill={color(item)} />;
          default:
            return null;
        }
      })}
    </svg>
  );
}

interface Props {
  task: Task;
  controls: Control[];
  result: ResultItem[];
  media?: Media | null;
}

export function ResultView({ task, controls, result, media }: Props) {
  const labelsOf = (name: string) => {
    const control = controls.find((c) => c.name === name);
    return control && 'labels' in control ? control.labels : [];
  };
  // Regions over an image are drawn when the size they were made for is known.
  const images = [...new Set(controls.filter(isImageControl).map((c) => c.source))].filter((source) => {
    const value = task.data[source];
    return typeof value === 'string' && isImageValue(value) && media?.width && media.height;
  });
  return (
    <div className="result-view" data-testid="result-view">
      {images.map((source) => (
        <ImageRegions
          key={source}
          src={task.data[source] as string}
          media={media!}
          labelsOf={labelsOf}
          items={result.filter((item) => controls.some((c) => c.name === item.control && c.source === source && isImageControl(c)))}
        />
      ))}
      <dl>
        {controls.map((control) => {
          const items = itemsOf(result, control.name);
          return (
            <div key={control.name} className="result-control" data-control={control.name}>
              <dt>{control.name}</dt>
              {items.length === 0 && <dd className="muted">—</dd>}
              {items.map((item, index) => (
                <dd key={index} data-testid="result-item">
                  {describeItem(item, control)}
                </dd>
              ))}
            </div>
          );
        })}
      </dl>
    </div>
  );
}
