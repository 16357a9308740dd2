import type { Shortcut } from './controlProps';

interface Props {
  editor: Shortcut[];
  controls: { control: string; active: boolean; shortcuts: Shortcut[] }[];
}

function Keys({ list }: { list: Shortcut[] }) {
  return (
    <ul className="legend-keys">
      {list.map((s) => (
        <li key={`${s.key}:${s.action}`} data-testid="shortcut" data-key={s.key}>
          <kbd>{s.key}</kbd> {s.action}
        </li>
      ))}
    </ul>
  );
}

/** Every key of the editor and of each control; the active control's keys are marked. */
export function ShortcutLegend({ editor, controls }: Props) {
  return (
    <div className="legend" data-testid="legend">
      <h3>Keys</h3>
      <Keys list={editor} />
      {controls
        .filter((c) => c.shortcuts.length > 0)
        .map((c) => (
          <div
            key={c.control}
            className={c.active ? 'legend-control active' : 'legend-control'}
            data-control={c.control}
          >
            <h4>
              {c.control}
              {c.active && <span className="muted"> (active)</span>}
            </h4>
            <Keys list={c.shortcuts} />
          </div>
        ))}
    </div>
  );
}
