// The editor of a `bbox` control over a video: tracks of boxes with keyframes,
// linearly interpolated in between (the arithmetic is in tracks.ts). The video
// plays in a <video> element; boxes are positioned over it in percentages of
// the natural size, so they follow any display size, and pointer positions are
// converted back to natural pixels. Every edit is one onChange call.
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import type { PointerEvent as ReactPointerEvent } from 'react';
import type { BboxControl, BboxResult } from '../../api';
import type { ControlProps, Shortcut } from '../controlProps';
import { labelColor } from '../colors';
import { digitIndex, labelShortcuts, useControlKeys } from '../keys';
import { AttributesEditor } from '../AttributesEditor';
import { ControlFrame, LabelButtons } from '../LabelButtons';
import {
  adjacentKeyframe,
  boxAt,
  boxFromCorners,
  clampBox,
  clampFrame,
  deleteKeyframe,
  deleteTrack,
  fpsOf,
  frameAtTime,
  frameCount,
  hiddenRanges,
  moveBox,
  newTrackId,
  relabelTrack,
  resizeBox,
  seekTime,
  setKeyframe,
  setTrackAttributes,
  toMediaPoint,
  toggleOutside,
  tracksOf,
} from './tracks';
import type { Box, Corner, Point, Track } from './tracks';
import './media.css';
import './video.css';

interface VideoMeta {
  width: number;
  height: number;
  frames: number;
}

type Drag =
  | { kind: 'draw'; from: Point; to: Point; startX: number; startY: number; moved: boolean }
  | { kind: 'move'; track: string; origin: Box; from: Point; to: Point; moved: boolean }
  | { kind: 'resize'; track: string; origin: Box; corner: Corner; to: Point; moved: boolean };

const corners: Corner[] = ['nw', 'ne', 'sw', 'se'];
// Drags shorter than this many screen pixels are clicks.
const clickSlop = 4;

function percent(value: number, of: number): string {
  return `${(value / of) * 100}%`;
}

function fixed(value: number): string {
  return String(Math.round(value * 100) / 100);
}

const videoShortcuts: Shortcut[] = [
  { key: 'Space', action: 'play / pause' },
  { key: 'ArrowRight', action: 'next frame (Shift: 10 frames; also .)' },
  { key: 'ArrowLeft', action: 'previous frame (Shift: 10 frames; also ,)' },
  { key: 'Home', action: 'first frame' },
  { key: 'End', action: 'last frame' },
  { key: ']', action: 'next keyframe of the selected track' },
  { key: '[', action: 'previous keyframe of the selected track' },
  { key: 'k', action: 'keyframe the selected track on this frame' },
  { key: 'o', action: 'toggle outside: the object leaves / re-enters the view here' },
  { key: 'Delete', action: 'delete the keyframe on this frame (Shift: the whole track)' },
  { key: 'Escape', action: 'deselect: the next box drawn starts a new track' },
];

export function VideoControl(props: ControlProps<BboxControl, BboxResult>) {
  const { control, task, items, onChange, active, onActivate } = props;
  const source = task.data[control.source];
  const src = typeof source === 'string' ? source : '';
  const fps = fpsOf(task.data);
  const labels = control.labels;

  const videoRef = useRef<HTMLVideoElement>(null);
  const overlayRef = useRef<HTMLDivElement>(null);
  const [meta, setMeta] = useState<VideoMeta | null>(null);
  const [loadError, setLoadError] = useState('');
  const [frame, setFrame] = useState(0);
  const [playing, setPlaying] = useState(false);
  const [selected, setSelected] = useState<string | null>(null);
  const [labelIndex, setLabelIndex] = useState(0);
  const [drag, setDrag] = useState<Drag | null>(null);

  const tracks = useMemo(() => tracksOf(items), [items]);
  const selectedTrack = tracks.find((t) => t.id === selected) ?? null;
  const label = labels[labelIndex] ?? labels[0] ?? '';
  const frames = meta?.frames ?? 1;

  // The editor's callbacks may be new functions on every render: report
  // through refs, once per change of what is reported.
  const onMediaRef = useRef(props.onMedia);
  const onShortcutsRef = useRef(props.onShortcuts);
  useLayoutEffect(() => {
    onMediaRef.current = props.onMedia;
    onShortcutsRef.current = props.onShortcuts;
  });

  const labelKey = labels.join('\n');
  useEffect(() => {
    onShortcutsRef.current([...labelShortcuts(labelKey.split('\n')), ...videoShortcuts]);
  }, [labelKey]);

  useEffect(() => {
    if (!meta) return;
    onMediaRef.current({ width: meta.width, height: meta.height, frames: meta.frames, fps });
  }, [meta, fps]);

  // A new source starts from scratch (and may have loaded before this ran).
  const shownSrc = useRef(src);
  useEffect(() => {
    if (shownSrc.current === src) return;
    shownSrc.current = src;
    setMeta(null);
    setLoadError('');
    setFrame(0);
    setPlaying(false);
    setSelected(null);
    if ((videoRef.current?.readyState ?? 0) >= HTMLMediaElement.HAVE_METADATA) readMeta();
  });

  // A browser seeks only in a video whose server answers range requests; from
  // one that does not, the whole file is fetched once and played from memory.
  const [blobSrc, setBlobSrc] = useState<{ for: string; url: string } | null>(null);
  const playableSrc = blobSrc?.for === src ? blobSrc.url : src;
  const fetching = useRef('');
  useEffect(
    () => () => {
      if (blobSrc) URL.revokeObjectURL(blobSrc.url);
    },
    [blobSrc],
  );

  function fetchWhole(video: HTMLVideoElement) {
    const seekable = video.seekable.length > 0 && video.seekable.end(video.seekable.length - 1) > 0;
    if (seekable || blobSrc?.for === src || fetching.current === src || !src) return;
    fetching.current = src;
    const wanted = src;
    fetch(wanted, { credentials: 'same-origin' })
      .then((response) => {
        if (!response.ok) throw new Error(`${response.status}`);
        return response.blob();
      })
      .then((blob) => {
        if (shownSrc.current === wanted) setBlobSrc({ for: wanted, url: URL.createObjectURL(blob) });
      })
      .catch(() => setLoadError(`The video ${wanted} cannot be seeked, and fetching it whole failed.`));
  }

  function readMeta() {
    const video = videoRef.current;
    if (!video || !video.videoWidth || !Number.isFinite(video.duration) || video.duration <= 0) return;
    fetchWhole(video);
    // A reloaded source (fetched whole) starts at 0: stay on the frame shown.
    if (video.paused && frameAtTime(video.currentTime, fps, frames) !== frame) video.currentTime = seekTime(frame, fps);
    const next = { width: video.videoWidth, height: video.videoHeight, frames: frameCount(video.duration, fps) };
    setMeta((old) =>
      old && old.width === next.width && old.height === next.height && old.frames === next.frames ? old : next,
    );
  }

  // While playing, follow the video's clock frame by frame.
  useEffect(() => {
    if (!playing) return;
    let handle = 0;
    const tick = () => {
      const video = videoRef.current;
      if (video) setFrame(frameAtTime(video.currentTime, fps, frames));
      handle = requestAnimationFrame(tick);
    };
    handle = requestAnimationFrame(tick);
    return () => cancelAnimationFrame(handle);
  }, [playing, fps, frames]);

  function seek(target: number) {
    const video = videoRef.current;
    const f = clampFrame(target, frames);
    if (video) {
      if (!video.paused) video.pause();
      video.currentTime = seekTime(f, fps);
    }
    setFrame(f);
  }

  function togglePlay() {
    const video = videoRef.current;
    if (!video || !meta) return;
    if (!video.paused) {
      video.pause();
      return;
    }
    if (frame >= frames - 1) video.currentTime = seekTime(0, fps);
    void video.play().catch(() => setPlaying(false));
  }

  function onPaused() {
    setPlaying(false);
    const video = videoRef.current;
    if (!video) return;
    // Land in the middle of the frame on screen, so a step from here is exact.
    const f = frameAtTime(video.currentTime, fps, frames);
    setFrame(f);
    if (!video.ended) video.currentTime = seekTime(f, fps);
  }

  function change(next: BboxResult[]) {
    onChange(next);
  }

  function pickLabel(index: number) {
    const name = labels[index];
    if (name === undefined) return;
    setLabelIndex(index);
    if (selectedTrack && selectedTrack.label !== name) change(relabelTrack(items, selectedTrack.id, name));
  }

  function keyframeHere() {
    if (!selectedTrack || !meta) return;
    const shown = boxAt(selectedTrack.keyframes, frame);
    if (!shown || shown.keyframe) return;
    change(setKeyframe(items, control.name, selectedTrack.id, frame, shown.box, selectedTrack.label));
  }

  function deleteHere() {
    if (!selectedTrack) return;
    if (!selectedTrack.keyframes.some((k) => (k.frame ?? 0) === frame)) return;
    change(deleteKeyframe(items, selectedTrack.id, frame));
  }

  function deleteSelectedTrack() {
    if (!selectedTrack) return;
    change(deleteTrack(items, selectedTrack.id));
    setSelected(null);
  }

  function toggleOutsideHere() {
    if (!selectedTrack) return;
    const next = toggleOutside(items, selectedTrack.id, frame);
    if (next !== items) change(next);
  }

  function jumpKeyframe(dir: -1 | 1) {
    const keyframes = selectedTrack ? selectedTrack.keyframes : tracks.flatMap((t) => t.keyframes);
    const target = adjacentKeyframe(keyframes, frame, dir);
    if (target !== null) seek(target);
  }

  useControlKeys(active, (event) => {
    const digit = digitIndex(event);
    if (digit >= 0) {
      if (digit >= labels.length) return;
      pickLabel(digit);
      event.preventDefault();
      return;
    }
    const step = event.shiftKey ? 10 : 1;
    switch (event.key) {
      case ' ':
        togglePlay();
        break;
      case 'ArrowRight':
      case '.':
      case '>':
        seek(frame + step);
        break;
      case 'ArrowLeft':
      case ',':
      case '<':
        seek(frame - step);
        break;
      case 'Home':
        seek(0);
        break;
      case 'End':
        seek(frames - 1);
        break;
      case ']':
        jumpKeyframe(1);
        break;
      case '[':
        jumpKeyframe(-1);
        break;
      case 'k':
      case 'K':
        keyframeHere();
        break;
      case 'o':
      case 'O':
        toggleOutsideHere();
        break;
      case 'Delete':
      case 'Backspace':
        if (event.shiftKey) deleteSelectedTrack();
        else deleteHere();
        break;
      case 'Escape':
        if (!selectedTrack) return;
        setSelected(null);
        break;
      default:
        return;
    }
    event.preventDefault();
  });

  // ---- pointer: draw, move, resize

  function pointAt(event: { clientX: number; clientY: number }): Point | null {
    const overlay = overlayRef.current;
    if (!overlay || !meta) return null;
    return toMediaPoint(event.clientX, event.clientY, overlay.getBoundingClientRect(), meta.width, meta.height);
  }

  function startDrag(event: ReactPointerEvent, next: Drag) {
    onActivate();
    const video = videoRef.current;
    if (video && !video.paused) video.pause();
    overlayRef.current?.setPointerCapture(event.pointerId);
    event.preventDefault();
    setDrag(next);
  }

  function onOverlayDown(event: ReactPointerEvent) {
    if (event.button !== 0) return;
    const p = pointAt(event);
    if (!p) return;
    startDrag(event, { kind: 'draw', from: p, to: p, startX: event.clientX, startY: event.clientY, moved: false });
  }

  function onBoxDown(event: ReactPointerEvent, track: Track, box: Box) {
    if (event.button !== 0) return;
    event.stopPropagation();
    const p = pointAt(event);
    if (!p) return;
    setSelected(track.id);
    const labelAt = labels.indexOf(track.label);
    if (labelAt >= 0) setLabelIndex(labelAt);
    startDrag(event, { kind: 'move', track: track.id, origin: box, from: p, to: p, moved: false });
  }

  function onHandleDown(event: ReactPointerEvent, track: Track, box: Box, corner: Corner) {
    if (event.button !== 0) return;
    event.stopPropagation();
    const p = pointAt(event);
    if (!p) return;
    startDrag(event, { kind: 'resize', track: track.id, origin: box, corner, to: p, moved: false });
  }

  function onOverlayMove(event: ReactPointerEvent) {
    if (!drag) return;
    const p = pointAt(event);
    if (!p) return;
    if (drag.kind === 'draw') {
      const far =
        Math.abs(event.clientX - drag.startX) >= clickSlop || Math.abs(event.clientY - drag.startY) >= clickSlop;
      setDrag({ ...drag, to: p, moved: drag.moved || far });
    } else {
      setDrag({ ...drag, to: p, moved: true });
    }
  }

  function dragBox(d: Drag): Box | null {
    if (!meta) return null;
    switch (d.kind) {
      case 'draw':
        return clampBox(boxFromCorners(d.from, d.to), meta.width, meta.height);
      case 'move':
        return moveBox(d.origin, d.to.x - d.from.x, d.to.y - d.from.y, meta.width, meta.height);
      case 'resize':
        return clampBox(resizeBox(d.origin, d.corner, d.to), meta.width, meta.height);
    }
  }

  function onOverlayUp(event: ReactPointerEvent) {
    if (!drag) return;
    overlayRef.current?.releasePointerCapture(event.pointerId);
    const d = drag;
    setDrag(null);
    const box = dragBox(d);
    if (!box) return;
    if (d.kind === 'draw') {
      if (!d.moved) {
        setSelected(null);
        return;
      }
      if (selectedTrack) {
        change(setKeyframe(items, control.name, selectedTrack.id, frame, box, selectedTrack.label));
      } else {
        const id = newTrackId(items);
        change(setKeyframe(items, control.name, id, frame, box, label));
        setSelected(id);
      }
      return;
    }
    if (!d.moved) return;
    const track = tracks.find((t) => t.id === d.track);
    if (track) change(setKeyframe(items, control.name, track.id, frame, box, track.label));
  }

  // ---- rendering

  const preview = drag ? dragBox(drag) : null;
  const drawing = drag?.kind === 'draw' && drag.moved ? preview : null;
  const editing = drag && drag.kind !== 'draw' && drag.moved ? drag.track : null;

  function renderBox(track: Track) {
    if (!meta) return null;
    const shown = boxAt(track.keyframes, frame);
    const isSelected = track.id === selected;
    const override = editing === track.id ? preview : null;
    if (!shown && !override) return null;
    const box = override ?? shown!.box;
    const isKeyframe = override !== null || shown?.keyframe !== null;
    const hidden = !override && !shown!.visible;
    if (hidden && !isSelected) return null;
    const colour = labelColor(labels, track.label);
    const classes = ['video-box', isKeyframe ? 'keyframe' : 'interpolated'];
    if (isSelected) classes.push('selected');
    if (hidden) classes.push('outside');
    return (
      <div
        key={track.id}
        className={classes.join(' ')}
        style={{
          left: percent(box.x, meta.width),
          top: percent(box.y, meta.height),
          width: percent(box.w, meta.width),
          height: percent(box.h, meta.height),
          borderColor: colour,
        }}
        onPointerDown={(e) => onBoxDown(e, track, box)}
        data-testid="video-box"
        data-track={track.id}
        data-label={track.label}
        data-kind={isKeyframe ? 'keyframe' : 'interpolated'}
        data-outside={hidden}
        data-selected={isSelected}
        data-x={fixed(box.x)}
        data-y={fixed(box.y)}
        data-w={fixed(box.w)}
        data-h={fixed(box.h)}
      >
        <span className="video-box-label" style={{ background: colour }}>
          {track.id} · {track.label}
          {hidden ? ' (outside)' : ''}
        </span>
        {isSelected &&
          !hidden &&
          corners.map((corner) => (
            <span
              key={corner}
              className={`video-handle ${corner}`}
              style={{ borderColor: colour }}
              onPointerDown={(e) => onHandleDown(e, track, box, corner)}
              data-testid="video-handle"
              data-corner={corner}
            />
          ))}
      </div>
    );
  }

  const here = selectedTrack ? boxAt(selectedTrack.keyframes, frame) : null;
  const time = frame / fps;

  return (
    <ControlFrame name={control.name} active={active} onActivate={onActivate} hint="(video boxes)">
      <div className="media-control">
        <LabelButtons labels={labels} isOn={(l) => l === label} onPick={pickLabel} testId="video-label" colored />

        <div className="video-stage" data-testid="video-stage" data-frame={frame} data-frames={meta?.frames ?? ''}>
          <video
            ref={videoRef}
            src={playableSrc}
            preload="auto"
            muted
            playsInline
            onLoadedMetadata={readMeta}
            onDurationChange={readMeta}
            onPlay={() => setPlaying(true)}
            onPause={onPaused}
            onError={() => setLoadError(`The video ${src} could not be loaded.`)}
            data-testid="task-video"
            data-url={src}
            data-source={control.source}
          />
          <div
            ref={overlayRef}
            className={meta ? 'video-overlay' : 'video-overlay loading'}
            onPointerDown={onOverlayDown}
            onPointerMove={onOverlayMove}
            onPointerUp={onOverlayUp}
            onPointerCancel={() => setDrag(null)}
            data-testid="video-overlay"
          >
            {tracks.map(renderBox)}
            {drawing && meta && (
              <div
                className="video-box drawing"
                style={{
                  left: percent(drawing.x, meta.width),
                  top: percent(drawing.y, meta.height),
                  width: percent(drawing.w, meta.width),
                  height: percent(drawing.h, meta.height),
                }}
              />
            )}
          </div>
        </div>
        {loadError && (
          <p className="error" role="alert">
            {loadError}
          </p>
        )}

        <div className="media-transport">
          <button type="button" onClick={togglePlay} disabled={!meta} data-testid="video-play">
            {playing ? 'Pause' : 'Play'} <kbd>Space</kbd>
          </button>
          <button type="button" onClick={() => seek(frame - 1)} disabled={!meta} aria-label="previous frame">
            ◀ <kbd>←</kbd>
          </button>
          <button type="button" onClick={() => seek(frame + 1)} disabled={!meta} aria-label="next frame">
            <kbd>→</kbd> ▶
          </button>
          <span className="media-clock" data-testid="frame-counter" data-frame={frame}>
            frame {frame} / {meta ? meta.frames - 1 : '…'} · {time.toFixed(2)} s · {fps} fps
          </span>
        </div>
        <input
          type="range"
          className="video-scrubber"
          min={0}
          max={Math.max(0, frames - 1)}
          value={frame}
          disabled={!meta}
          onChange={(e) => seek(Number(e.target.value))}
          aria-label="frame"
        />

        <div className="video-selection muted" data-testid="video-selection">
          {selectedTrack ? (
            <>
              <span>
                <strong>{selectedTrack.id}</strong> · {selectedTrack.label} ·{' '}
                {here?.keyframe ? 'keyframe on this frame' : here ? 'interpolated here' : 'not started yet'}
                {here && !here.visible ? ' · outside' : ''} — drawing sets its box on this frame
              </span>
              <span className="row">
                <button type="button" onClick={keyframeHere} disabled={!here || here.keyframe !== null}>
                  Keyframe <kbd>K</kbd>
                </button>
                <button type="button" onClick={toggleOutsideHere} disabled={!here}>
                  {here && !here.visible ? 'Back in view' : 'Outside'} <kbd>O</kbd>
                </button>
                <button type="button" onClick={deleteHere} disabled={!here?.keyframe}>
                  Delete keyframe <kbd>Del</kbd>
                </button>
                <button type="button" onClick={deleteSelectedTrack} data-testid="delete-track">
                  Delete track <kbd>Shift+Del</kbd>
                </button>
              </span>
            </>
          ) : (
            <span>Drag on the video to start a new track labeled “{label}”; click a box to select its track.</span>
          )}
        </div>
        {selectedTrack && (
          <AttributesEditor
            attributes={control.attributes ?? []}
            values={selectedTrack.keyframes[0]?.attributes}
            onChange={(values) => change(setTrackAttributes(items, selectedTrack.id, values))}
          />
        )}

        {tracks.length > 0 && (
          <ul className="media-list video-tracks" data-testid="track-list">
            {tracks.map((track) => (
              <li
                key={track.id}
                className={track.id === selected ? 'selected' : undefined}
                data-testid="track"
                data-track={track.id}
                onClick={() => setSelected(track.id)}
              >
                <span className="media-swatch" style={{ background: labelColor(labels, track.label) }} />
                <span className="media-name">
                  {track.id} · {track.label}
                </span>
                <span className="muted">
                  {track.keyframes.length} keyframe{track.keyframes.length === 1 ? '' : 's'}
                </span>
                <span className="video-timeline" aria-hidden="true">
                  {hiddenRanges(track.keyframes, frames).map(([from, to]) => (
                    <span
                      key={from}
                      className="video-timeline-hidden"
                      style={{ left: percent(from, frames), width: percent(to - from, frames) }}
                    />
                  ))}
                  {track.keyframes.map((k) => (
                    <span
                      key={k.frame}
                      className={k.outside ? 'video-tick outside' : 'video-tick'}
                      style={{ left: percent((k.frame ?? 0) + 0.5, frames) }}
                      title={`frame ${k.frame}`}
                      onClick={(e) => {
                        e.stopPropagation();
                        setSelected(track.id);
                        seek(k.frame ?? 0);
                      }}
                    />
                  ))}
                  <span className="video-timeline-now" style={{ left: percent(frame + 0.5, frames) }} />
                </span>
              </li>
            ))}
          </ul>
        )}
      </div>
    </ControlFrame>
  );
}
