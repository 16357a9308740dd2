// The editor of a `span` control over an audio: labeled time segments on a
// waveform (wavesurfer.js and its regions plugin). The result items are the
// truth: after every change the plugin's regions are rebuilt from them, and a
// drag on the waveform (create, move, resize) becomes one onChange call once
// it ends. The fitting rules (no overlap unless the control allows it) are in
// segments.ts.
import { useEffect, useLayoutEffect, useRef, useState } from 'react';
import WaveSurfer from 'wavesurfer.js';
import RegionsPlugin from 'wavesurfer.js/dist/plugins/regions.esm.js';
import type { Region } from 'wavesurfer.js/dist/plugins/regions.esm.js';
import type { SpanControl, SpanResult } from '../../api';
import type { ControlProps, Shortcut } from '../controlProps';
import { labelColor } from '../colors';
import { digitIndex, labelShortcuts, useControlKeys } from '../keys';
import { AttributesEditor } from '../AttributesEditor';
import { ControlFrame, LabelButtons } from '../LabelButtons';
import {
  fitSegment,
  formatTime,
  newSegment,
  segmentAt,
  timeOrder,
  withAttributes,
  withLabel,
  withTimes,
  without,
} from './segments';
import type { Edit, Segment } from './segments';
import '../video/media.css';
import './audio.css';

type Regions = ReturnType<typeof RegionsPlugin.create>;

const regionPrefix = 'seg-';
const regionLabelStyle = { display: 'inline-block', padding: '0 0.3rem', fontSize: '0.75rem', pointerEvents: 'none' };

const audioShortcuts: Shortcut[] = [
  { key: 'Space', action: 'play / pause' },
  { key: 'p', action: 'play the selected segment' },
  { key: 'm', action: 'mark a start at the cursor; again: a segment from the mark to the cursor' },
  { key: ']', action: 'select the next segment' },
  { key: '[', action: 'select the previous segment' },
  { key: 'ArrowRight', action: 'forward 0.5 s (Shift: 0.05 s)' },
  { key: 'ArrowLeft', action: 'back 0.5 s (Shift: 0.05 s)' },
  { key: 'Delete', action: 'delete the selected segment' },
  { key: 'Escape', action: 'deselect, drop the mark' },
  { key: '+', action: 'zoom in (also =)' },
  { key: '-', action: 'zoom out' },
  { key: '0', action: 'fit the whole audio' },
];

// Zoom steps double the pixels per second, up to this many.
const maxPxPerSec = 4000;

/** The label's colour (the same in every control) at `alpha`. */
function colourOf(labels: string[], label: string, alpha: number): string {
  const hex = labelColor(labels, label);
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
  return `rgba(${r}, ${g}, ${b}, ${alpha})`;
}

export function AudioControl(props: ControlProps<SpanControl, SpanResult>) {
  const { control, task, items, onChange, active, onActivate } = props;
  const source = task.data[control.source];
  const src = typeof source === 'string' ? source : '';
  const labels = control.labels;
  const overlap = control.overlap ?? false;

  const containerRef = useRef<HTMLDivElement>(null);
  const waveRef = useRef<WaveSurfer | null>(null);
  const regionsRef = useRef<Regions | null>(null);
  const syncing = useRef(false);
  const [duration, setDuration] = useState(0);
  const [time, setTime] = useState(0);
  // The cursor while paused. During quick seeks the media element's late
  // events can carry an older time, so what the keys did is kept here.
  const cursor = useRef(0);
  const [playing, setPlaying] = useState(false);
  const [selected, setSelected] = useState(-1);
  const [labelIndex, setLabelIndex] = useState(0);
  const [mark, setMark] = useState<number | null>(null);
  const [notice, setNotice] = useState('');
  const [loadError, setLoadError] = useState('');
  // Bumped to rebuild the regions when a drag was refused and items did not change.
  const [redraw, setRedraw] = useState(0);
  // Pixels per second of the waveform; 0 fits the whole audio in the view.
  const [zoom, setZoom] = useState(0);

  const label = labels[labelIndex] ?? labels[0] ?? '';
  const current = selected >= 0 && selected < items.length ? selected : -1;

  const latest = useRef({ items, label, overlap, duration, onChange });
  // The editor's callbacks may be new functions on every render; the
  // wavesurfer callbacks and the reporting effects read the latest ones here.
  const onMediaRef = useRef(props.onMedia);
  const onShortcutsRef = useRef(props.onShortcuts);
  const onActivateRef = useRef(onActivate);
  useLayoutEffect(() => {
    latest.current = { items, label, overlap, duration, onChange };
    onMediaRef.current = props.onMedia;
    onShortcutsRef.current = props.onShortcuts;
    onActivateRef.current = onActivate;
  });

  const labelKey = labels.join('\n');
  useEffect(() => {
    onShortcutsRef.current([...labelShortcuts(labelKey.split('\n')), ...audioShortcuts]);
  }, [labelKey]);

  useEffect(() => {
    if (duration > 0) onMediaRef.current({ duration });
  }, [duration]);

  /** Applies a fitted change, or says why it was refused and puts the regions back. */
  function commit(index: number | null, segment: Segment, edit: Edit): boolean {
    const { items: now, overlap: mayOverlap, duration: length, label: active, onChange: report } = latest.current;
    const others = now.filter((_, i) => i !== index);
    const fitted = fitSegment(others, segment, edit, mayOverlap, length);
    if (!fitted) {
      setNotice(
        edit === 'move' || edit === 'create'
          ? `Segments of ${control.name} may not overlap.`
          : 'A segment must be at least 20 ms long.',
      );
      setRedraw((n) => n + 1);
      return false;
    }
    setNotice('');
    if (index === null) {
      report([...now, newSegment(control.name, active, fitted)]);
      setSelected(now.length);
    } else {
      const old = now[index];
      if (old && old.start === fitted.start && old.end === fitted.end) setRedraw((n) => n + 1);
      else report(withTimes(now, index, fitted));
    }
    return true;
  }
  const commitRef = useRef(commit);
  useLayoutEffect(() => {
    commitRef.current = commit;
  });

  // One wavesurfer per source.
  useEffect(() => {
    const container = containerRef.current;
    if (!container || !src) return;
    setDuration(0);
    setTime(0);
    cursor.current = 0;
    setPlaying(false);
    setSelected(-1);
    setMark(null);
    setZoom(0);
    setLoadError('');
    const regions = RegionsPlugin.create();
    const wave = WaveSurfer.create({
      container,
      url: src,
      height: 128,
      waveColor: '#9aa5b1',
      progressColor: '#5b6b7c',
      cursorColor: '#b42318',
      cursorWidth: 2,
      normalize: true,
      plugins: [regions],
    });
    waveRef.current = wave;
    regionsRef.current = regions;
    wave.on('ready', (d) => setDuration(d));
    const follow = (t: number) => {
      cursor.current = t;
      setTime(t);
    };
    wave.on('timeupdate', (t) => {
      if (wave.isPlaying()) follow(t);
    });
    wave.on('interaction', follow);
    wave.on('play', () => setPlaying(true));
    wave.on('pause', () => {
      setPlaying(false);
      follow(wave.getCurrentTime());
    });
    wave.on('finish', () => {
      setPlaying(false);
      follow(wave.getDuration());
    });
    wave.on('error', (e) => setLoadError(`The audio ${src} could not be loaded (${e.message}).`));
    regions.enableDragSelection({ color: 'rgba(47, 111, 222, 0.25)' });
    // The plugin starts a dragged region 5 px wide, so its far end lands past
    // the pointer: the segment is taken from where the drag began and ended.
    const pointer = { down: NaN, last: NaN };
    const timeAt = (clientX: number) => {
      const rect = wave.getWrapper().getBoundingClientRect();
      return rect.width > 0 ? ((clientX - rect.left) / rect.width) * wave.getDuration() : NaN;
    };
    const onDown = (e: PointerEvent) => {
      pointer.down = timeAt(e.clientX);
      pointer.last = pointer.down;
    };
    const onMove = (e: PointerEvent) => {
      pointer.last = timeAt(e.clientX);
    };
    container.addEventListener('pointerdown', onDown, true);
    window.addEventListener('pointermove', onMove, true);
    window.addEventListener('pointerup', onMove, true);
    regions.on('region-created', (region: Region) => {
      if (syncing.current) return;
      // A drag on the waveform made it: it becomes an item (or is refused),
      // and the regions are rebuilt from the items either way.
      region.remove();
      onActivateRef.current();
      const dragged = Number.isFinite(pointer.down) && Number.isFinite(pointer.last);
      const segment = dragged
        ? { start: Math.min(pointer.down, pointer.last), end: Math.max(pointer.down, pointer.last) }
        : { start: region.start, end: region.end };
      commitRef.current(null, segment, 'create');
    });
    regions.on('region-updated', (region: Region, side?: 'start' | 'end') => {
      const index = Number(region.id.slice(regionPrefix.length));
      if (!region.id.startsWith(regionPrefix) || !Number.isInteger(index)) return;
      onActivateRef.current();
      setSelected(index);
      commitRef.current(index, { start: region.start, end: region.end }, side ?? 'move');
    });
    regions.on('region-clicked', (region: Region) => {
      const index = Number(region.id.slice(regionPrefix.length));
      if (Number.isInteger(index)) setSelected(index);
      onActivateRef.current();
    });
    return () => {
      container.removeEventListener('pointerdown', onDown, true);
      window.removeEventListener('pointermove', onMove, true);
      window.removeEventListener('pointerup', onMove, true);
      wave.destroy();
      waveRef.current = null;
      regionsRef.current = null;
    };
  }, [src]);

  // The regions mirror the items.
  useEffect(() => {
    const regions = regionsRef.current;
    if (!regions || duration <= 0) return;
    syncing.current = true;
    try {
      regions.clearRegions();
      items.forEach((item, index) => {
        const isSelected = index === current;
        const content = document.createElement('span');
        // The regions live in wavesurfer's shadow root, out of reach of the
        // stylesheet: style inline. The label goes in as text, never as HTML.
        content.textContent = item.label;
        Object.assign(content.style, regionLabelStyle);
        const region = regions.addRegion({
          id: `${regionPrefix}${index}`,
          start: item.start,
          end: item.end,
          color: colourOf(labels, item.label, isSelected ? 0.32 : 0.16),
          content,
          minLength: 0.02,
        });
        const element = region.element;
        if (element) {
          element.dataset.testid = 'audio-region';
          element.dataset.index = String(index);
          element.dataset.label = item.label;
          element.dataset.start = String(item.start);
          element.dataset.end = String(item.end);
          element.dataset.selected = String(isSelected);
          if (isSelected) element.style.outline = `2px solid ${colourOf(labels, item.label, 1)}`;
        }
      });
    } finally {
      syncing.current = false;
    }
  }, [items, current, duration, redraw, labels]);

  function pickLabel(index: number) {
    const name = labels[index];
    if (name === undefined) return;
    setLabelIndex(index);
    const item = items[current];
    if (item && item.label !== name) onChange(withLabel(items, current, name));
  }

  function playSegment(index: number) {
    const wave = waveRef.current;
    const item = items[index];
    if (!wave || !item) return;
    setSelected(index);
    void wave.play(item.start, item.end).catch(() => setPlaying(false));
  }

  function togglePlay() {
    const wave = waveRef.current;
    if (!wave || duration <= 0) return;
    if (wave.isPlaying()) wave.pause();
    else void wave.play().catch(() => setPlaying(false));
  }

  useEffect(() => {
    const wave = waveRef.current;
    // As an option, not wave.zoom(): a re-render on resize keeps it.
    if (wave && duration > 0) wave.setOptions({ minPxPerSec: zoom });
  }, [zoom, duration]);

  function zoomBy(factor: number) {
    const width = containerRef.current?.clientWidth ?? 0;
    if (duration <= 0 || width <= 0) return;
    const fit = width / duration;
    const next = Math.min(maxPxPerSec, (zoom || fit) * factor);
    setZoom(next <= fit * 1.001 ? 0 : next);
  }

  function moveCursor(t: number) {
    cursor.current = t;
    setTime(t);
    waveRef.current?.setTime(t);
  }

  function cursorNow(): number {
    const wave = waveRef.current;
    return wave?.isPlaying() ? wave.getCurrentTime() : cursor.current;
  }

  function seekBy(seconds: number) {
    const wave = waveRef.current;
    if (!wave || duration <= 0) return;
    moveCursor(Math.max(0, Math.min(duration, cursorNow() + seconds)));
  }

  function deleteSelected() {
    if (current < 0) return;
    onChange(without(items, current));
    setSelected(-1);
  }

  function selectAdjacent(dir: -1 | 1) {
    if (items.length === 0) return;
    const order = timeOrder(items);
    const at = order.indexOf(current);
    const next = at < 0 ? (dir > 0 ? 0 : order.length - 1) : Math.max(0, Math.min(order.length - 1, at + dir));
    const index = order[next]!;
    setSelected(index);
    moveCursor(items[index]!.start);
  }

  function markHere() {
    const wave = waveRef.current;
    if (!wave || duration <= 0) return;
    const now = cursorNow();
    if (mark === null) {
      setMark(now);
      return;
    }
    setMark(null);
    commit(null, { start: Math.min(mark, now), end: Math.max(mark, now) }, 'create');
  }

  useControlKeys(active, (event) => {
    const digit = digitIndex(event);
    if (digit >= 0) {
      if (digit >= labels.length) return;
      pickLabel(digit);
      event.preventDefault();
      return;
    }
    switch (event.key) {
      case ' ':
        togglePlay();
        break;
      case 'p':
      case 'P': {
        const index = current >= 0 ? current : segmentAt(items, cursorNow());
        if (index < 0) return;
        playSegment(index);
        break;
      }
      case 'm':
      case 'M':
        markHere();
        break;
      case ']':
        selectAdjacent(1);
        break;
      case '[':
        selectAdjacent(-1);
        break;
      case 'ArrowRight':
        seekBy(event.shiftKey ? 0.05 : 0.5);
        break;
      case 'ArrowLeft':
        seekBy(event.shiftKey ? -0.05 : -0.5);
        break;
      case 'Delete':
      case 'Backspace':
        if (current < 0) return;
        deleteSelected();
        break;
      case '+':
      case '=':
        zoomBy(2);
        break;
      case '-':
        zoomBy(0.5);
        break;
      case '0':
        setZoom(0);
        break;
      case 'Escape':
        if (current < 0 && mark === null) return;
        setSelected(-1);
        setMark(null);
        break;
      default:
        return;
    }
    event.preventDefault();
  });

  const order = timeOrder(items);
  const hint = overlap ? '(audio segments, may overlap)' : '(audio segments)';

  return (
    <ControlFrame name={control.name} active={active} onActivate={onActivate} hint={hint}>
      <div className="media-control">
        <LabelButtons labels={labels} isOn={(l) => l === label} onPick={pickLabel} testId="audio-label" colored />

        <div
          className="audio-wave"
          ref={containerRef}
          data-testid="audio-wave"
          data-source={control.source}
          data-duration={duration}
          data-time={time}
          data-playing={playing}
        />
        {loadError && (
          <p className="error" role="alert">
            {loadError}
          </p>
        )}
        {notice && (
          <p className="error" role="status" data-testid="audio-notice">
            {notice}
          </p>
        )}

        <div className="media-transport">
          <button type="button" onClick={togglePlay} disabled={duration <= 0} data-testid="audio-play">
            {playing ? 'Pause' : 'Play'} <kbd>Space</kbd>
          </button>
          <button
            type="button"
            onClick={() => playSegment(current)}
            disabled={current < 0 || duration <= 0}
            data-testid="audio-play-segment"
          >
            Play segment <kbd>P</kbd>
          </button>
          <button type="button" onClick={markHere} disabled={duration <= 0}>
            {mark === null ? 'Mark start' : `End segment (from ${formatTime(mark)})`} <kbd>M</kbd>
          </button>
          <button type="button" onClick={() => zoomBy(2)} disabled={duration <= 0} aria-label="zoom in">
            + <kbd>+</kbd>
          </button>
          <button type="button" onClick={() => zoomBy(0.5)} disabled={zoom === 0} aria-label="zoom out">
            − <kbd>-</kbd>
          </button>
          <span className="media-clock" data-testid="audio-clock">
            {formatTime(time)} / {duration > 0 ? formatTime(duration) : '…'}
          </span>
        </div>
        <p className="muted audio-hint">
          Drag on the waveform to mark a segment labeled “{label}”; drag a segment to move it, its edges to
          resize it; click the waveform to move the cursor.
        </p>
        {current >= 0 && (
          <AttributesEditor
            attributes={control.attributes ?? []}
            values={items[current]?.attributes}
            onChange={(values) => onChange(withAttributes(items, current, values))}
          />
        )}

        {items.length > 0 && (
          <ol className="media-list audio-segments" data-testid="segment-list">
            {order.map((index) => {
              const item = items[index]!;
              return (
                <li
                  key={index}
                  className={index === current ? 'selected' : undefined}
                  onClick={() => {
                    setSelected(index);
                    moveCursor(item.start);
                  }}
                  data-testid="segment"
                  data-index={index}
                  data-label={item.label}
                  data-start={item.start}
                  data-end={item.end}
                  data-selected={index === current}
                >
                  <span className="media-swatch" style={{ background: colourOf(labels, item.label, 0.8) }} />
                  <span className="media-name">{item.label}</span>
                  <span>
                    {formatTime(item.start)} – {formatTime(item.end)}
                  </span>
                  <button
                    type="button"
                    onClick={(e) => {
                      e.stopPropagation();
                      playSegment(index);
                    }}
                    aria-label={`play segment ${item.label} ${formatTime(item.start)}`}
                  >
                    ▶
                  </button>
                  <button
                    type="button"
                    onClick={(e) => {
                      e.stopPropagation();
                      onChange(without(items, index));
                      setSelected(-1);
                    }}
                    aria-label={`delete segment ${item.label} ${formatTime(item.start)}`}
                  >
                    ✕
                  </button>
                </li>
              );
            })}
          </ol>
        )}
      </div>
    </ControlFrame>
  );
}
