// The region controls over one image (bbox, polygon, keypoint) in one Konva
// canvas. Regions are kept and drawn in pixels of the image's natural size;
// the stage's scale and offset (zoom and pan) map them to the screen, so the
// result needs no conversion and thousands of regions stay one canvas.
// Each control is a tool: the active control draws, with its current label.
import type Konva from 'konva';
import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState, type RefObject } from 'react';
import { Circle, Image as KonvaImage, Layer, Line, Rect, Stage, Transformer } from 'react-konva';
import type {
  Attributes,
  BboxControl,
  BboxResult,
  KeypointControl,
  KeypointResult,
  PolygonControl,
  PolygonResult,
} from '../../api';
import { AttributesEditor } from '../AttributesEditor';
import { labelColor } from '../colors';
import type { ControlProps, Shortcut } from '../controlProps';
import { digitIndex, useControlKeys, useWindowListener } from '../keys';
import { LabelButtons } from '../LabelButtons';
import { BboxRegion } from './BboxRegion';
import { clampBox, clampPoint, round, type Point, type Size } from './geometry';
import { KeypointRegion } from './KeypointRegion';
import { PolygonRegion } from './PolygonRegion';

export type ImageControl = BboxControl | PolygonControl | KeypointControl;
export type ImageItem = BboxResult | PolygonResult | KeypointResult;
export type ImageControlProps = ControlProps<ImageControl, ImageItem>;

interface View {
  scale: number;
  x: number;
  y: number;
}

type Draft =
  | { kind: 'bbox'; control: string; from: Point; to: Point }
  | { kind: 'polygon'; control: string; points: Point[]; cursor: Point | null };

const toolKeys: Record<ImageControl['type'], string> = { bbox: 'b', polygon: 'p', keypoint: 'k' };
const toolNames: Record<ImageControl['type'], string> = { bbox: 'box', polygon: 'polygon', keypoint: 'point' };
// Regions listed beside the canvas; the canvas shows them all.
const kListed = 200;
// How close (screen pixels) a click must be to a polygon's first point to close it.
const kCloseRadius = 8;
const unknownSize: Size = { width: 1, height: 1 };
// Up to this many regions each shows its label on the canvas; beyond, only the selected one
// does (text is the costliest thing to draw; colours and the list still tell labels apart).
const kLabelledRegions = 400;
// Transformer props are constants: a new value would redraw the layer of every region.
const rotationSnaps = [0, 90, 180, 270];
type TransformBox = Parameters<NonNullable<Konva.TransformerConfig['boundBoxFunc']>>[0];
function keepSize(old: TransformBox, next: TransformBox): TransformBox {
  return Math.abs(next.width) < 2 || Math.abs(next.height) < 2 ? old : next;
}

const workspaceShortcuts: Shortcut[] = [
  { key: 'Delete', action: 'delete the selected region (also Backspace)' },
  { key: 'Escape', action: 'cancel drawing / deselect' },
  { key: ']', action: 'select the next region of the tool ([ the previous)' },
  { key: 'Enter', action: 'close the polygon being drawn' },
  { key: '+', action: 'zoom in (also the wheel)' },
  { key: '-', action: 'zoom out' },
  { key: '0', action: 'fit the image' },
  { key: 'Space', action: 'hold and drag to pan (or the middle button)' },
  { key: 'ArrowLeft', action: 'nudge the selected region (Shift: 10 px; all arrows)' },
];

function regionKey(control: string, id: string | undefined): string {
  return `${control}/${id ?? ''}`;
}

/** The image element of a URL, or an error once it failed to load. */
function useImage(src: string): { image?: HTMLImageElement; error?: string } {
  const [state, setState] = useState<{ image?: HTMLImageElement; error?: string }>({});
  useEffect(() => {
    const image = new window.Image();
    let live = true;
    image.onload = () => live && setState({ image });
    image.onerror = () => live && setState({ error: `Could not load the image ${src}` });
    image.src = src;
    return () => {
      live = false;
    };
  }, [src]);
  return state;
}

function useWidth(): [RefObject<HTMLDivElement | null>, number] {
  const ref = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(0);
  useLayoutEffect(() => {
    const node = ref.current;
    if (!node) return;
    setWidth(node.clientWidth);
    const observer = new ResizeObserver(() => setWidth(node.clientWidth));
    observer.observe(node);
    return () => observer.disconnect();
  }, []);
  return [ref, width];
}

function fitView(size: Size, width: number, height: number): View {
  const scale = Math.min(width / size.width, height / size.height);
  return { scale, x: (width - size.width * scale) / 2, y: (height - size.height * scale) / 2 };
}

export function ImageWorkspace({ controls }: { controls: ImageControlProps[] }) {
  const first = controls[0]!;
  const raw = first.task.data[first.control.source];
  const src = typeof raw === 'string' ? raw : '';
  const { image, error } = useImage(src);
  // One object per image: the memoized region shapes compare it by identity.
  const natural = useMemo<Size | null>(
    () => (image ? { width: image.naturalWidth, height: image.naturalHeight } : null),
    [image],
  );
  const [box, width] = useWidth();
  const height = natural ? Math.round(Math.max(320, Math.min(640, (width * natural.height) / natural.width))) : 320;

  const [view, setView] = useState<View>({ scale: 1, x: 0, y: 0 });
  const [labelIndex, setLabelIndex] = useState<Record<string, number>>({});
  const [selected, setSelected] = useState<string | null>(null);
  const [draft, setDraft] = useState<Draft | null>(null);
  const [space, setSpace] = useState(false);
  const pan = useRef<{ from: Point; view: View } | null>(null);
  const stage = useRef<Konva.Stage>(null);
  const transformer = useRef<Konva.Transformer>(null);

  const activeIndex = controls.findIndex((c) => c.active);
  const active = activeIndex >= 0 ? controls[activeIndex] : undefined;
  const byName = useMemo(() => new Map(controls.map((c) => [c.control.name, c])), [controls]);

  // Latest props for the stable callbacks the memoized region shapes get.
  const latest = useRef(controls);
  useLayoutEffect(() => {
    latest.current = controls;
  });

  // Report the natural size once the image has loaded.
  useEffect(() => {
    if (!image) return;
    for (const c of latest.current) c.onMedia({ width: image.naturalWidth, height: image.naturalHeight });
  }, [image]);

  // Fit the image whenever it loads or the canvas changes size.
  useEffect(() => {
    if (natural && width > 0) setView(fitView(natural, width, height));
  }, [natural, width, height]);

  useEffect(() => {
    const firstOfType = new Set<string>();
    controls.forEach((c, index) => {
      const list: Shortcut[] = [];
      if (!firstOfType.has(c.control.type)) {
        firstOfType.add(c.control.type);
        list.push({ key: toolKeys[c.control.type], action: `${toolNames[c.control.type]} tool (${c.control.name})` });
      }
      c.control.labels.slice(0, 9).forEach((label, i) => list.push({ key: String(i + 1), action: `label ${label}` }));
      if (index === 0) list.push(...workspaceShortcuts);
      c.onShortcuts(list);
    });
  }, [controls]);

  const currentLabel = (c: ImageControlProps): string =>
    c.control.labels[labelIndex[c.control.name] ?? 0] ?? c.control.labels[0] ?? '';

  const allItems = controls.flatMap((c) => c.items);
  const selectedItem = allItems.find((item) => regionKey(item.control, item.id) === selected);
  const selectedControl = selectedItem ? byName.get(selectedItem.control) : undefined;

  const nextId = () => {
    const taken = new Set(latest.current.flatMap((c) => c.items.map((item) => item.id)));
    let n = taken.size + 1;
    while (taken.has(`r${n}`)) n++;
    return `r${n}`;
  };

  const add = (c: ImageControlProps, item: ImageItem) => {
    c.onChange([...c.items, item]);
    setSelected(regionKey(item.control, item.id));
  };

  // A press on an unselected region selects it, which moves it to the top layer as a new
  // node: that node takes over the drag the press began.
  const pressed = useRef<string | null>(null);
  const onSelect = useCallback((item: ImageItem, byPress?: boolean) => {
    const key = regionKey(item.control, item.id);
    pressed.current = byPress ? key : null;
    setSelected(key);
    setDraft(null);
    latest.current.find((c) => c.control.name === item.control)?.onActivate();
  }, []);

  const onEdit = useCallback((before: ImageItem, after: ImageItem) => {
    const c = latest.current.find((x) => x.control.name === before.control);
    // A click on a region ends a zero-length drag: no change, no undo step.
    if (!c || JSON.stringify(before) === JSON.stringify(after)) return;
    c.onChange(c.items.map((item) => (item.id === before.id ? after : item)));
  }, []);

  const replaceSelected = (change: (item: ImageItem) => ImageItem) => {
    if (!selectedItem || !selectedControl) return;
    onEdit(selectedItem, change(selectedItem));
  };

  const removeSelected = () => {
    if (!selectedItem || !selectedControl) return;
    selectedControl.onChange(selectedControl.items.filter((item) => item.id !== selectedItem.id));
    setSelected(null);
  };

  const closePolygon = () => {
    if (draft?.kind !== 'polygon' || draft.points.length < 3) return;
    const c = byName.get(draft.control);
    if (c) {
      add(c, {
        control: c.control.name,
        type: 'polygon',
        id: nextId(),
        label: currentLabel(c),
        points: draft.points.map((p) => [p.x, p.y] as [number, number]),
      });
    }
    setDraft(null);
  };

  const zoom = (factor: number, around?: Point) => {
    setView((v) => {
      const scale = Math.min(64, Math.max(0.02, v.scale * factor));
      const p = around ?? { x: width / 2, y: height / 2 };
      const ix = (p.x - v.x) / v.scale;
      const iy = (p.y - v.y) / v.scale;
      return { scale, x: p.x - ix * scale, y: p.y - iy * scale };
    });
  };

  const pickLabel = (c: ImageControlProps, index: number) => {
    if (index >= c.control.labels.length) return;
    setLabelIndex((l) => ({ ...l, [c.control.name]: index }));
    const label = c.control.labels[index]!;
    if (selectedItem && selectedItem.control === c.control.name && selectedItem.label !== label) {
      onEdit(selectedItem, { ...selectedItem, label });
    }
  };

  const anyActive = active !== undefined;
  // The tool keys work whichever control is active (no other control of an image
  // schema uses them); the others only while a tool is active.
  useControlKeys(true, (event) => {
    const key = event.key;
    const tool = controls.find((c) => toolKeys[c.control.type] === key.toLowerCase() && !event.shiftKey);
    if (tool) {
      setDraft(null);
      tool.onActivate();
      event.preventDefault();
      return;
    }
    if (!active) return;
    const digit = digitIndex(event);
    if (digit >= 0) pickLabel(active, digit);
    else if (key === 'Enter') {
      // Taken only while a polygon is being drawn; otherwise Enter submits.
      if (draft?.kind !== 'polygon') return;
      closePolygon();
    } else if ((key === ']' || key === '[') && !draft) {
      // Cycle through the active tool's regions.
      const list = active.items;
      if (list.length === 0) return;
      const at = list.findIndex((item) => regionKey(item.control, item.id) === selected);
      const step = key === ']' ? 1 : -1;
      const next = list[at < 0 ? (step > 0 ? 0 : list.length - 1) : (at + step + list.length) % list.length]!;
      setSelected(regionKey(next.control, next.id));
    } else if (key === 'Escape') {
      if (draft) setDraft(null);
      else setSelected(null);
    } else if (key === 'Backspace' && draft?.kind === 'polygon') {
      setDraft({ ...draft, points: draft.points.slice(0, -1) });
    } else if ((key === 'Delete' || key === 'Backspace') && selectedItem) removeSelected();
    else if (key === '+' || key === '=') zoom(1.25);
    else if (key === '-' || key === '_') zoom(0.8);
    else if (key === '0' && natural) setView(fitView(natural, width, height));
    else if (key.startsWith('Arrow') && selectedItem && natural) {
      const step = event.shiftKey ? 10 : 1;
      const dx = key === 'ArrowLeft' ? -step : key === 'ArrowRight' ? step : 0;
      const dy = key === 'ArrowUp' ? -step : key === 'ArrowDown' ? step : 0;
      replaceSelected((item) => moved(item, dx, dy, natural));
    } else if (key === ' ') {
      setSpace(true);
    } else return;
    event.preventDefault();
  });
  useWindowListener('keyup', (event) => event.key === ' ' && setSpace(false));
  useWindowListener('blur', () => setSpace(false));

  // A newly selected region is scrolled into the list's view.
  const list = useRef<HTMLUListElement>(null);
  useEffect(() => {
    const node = list.current?.querySelector('[data-selected="true"]');
    if (node && list.current) {
      const top = (node as HTMLElement).offsetTop - list.current.offsetTop;
      if (top < list.current.scrollTop || top > list.current.scrollTop + list.current.clientHeight - 20) {
        list.current.scrollTop = top;
      }
    }
  }, [selected]);

  // The transformer follows the selected box (looked up only when the selection or the box changes).
  useEffect(() => {
    const key = selectedItem ? regionKey(selectedItem.control, selectedItem.id) : null;
    const node = key ? stage.current?.findOne((n: Konva.Node) => n.id() === key) : undefined;
    if (node && pressed.current === key && !node.isDragging() && node.draggable()) node.startDrag();
    pressed.current = null;
    const tr = transformer.current;
    if (!tr) return;
    tr.nodes(node && selectedItem?.type === 'bbox' ? [node] : []);
    tr.getLayer()?.batchDraw();
  }, [selectedItem]);

  const pointer = (): Point | null => stage.current?.getRelativePointerPosition() ?? null;

  const onMouseDown = (e: Konva.KonvaEventObject<MouseEvent>) => {
    if (!natural) return;
    // A press on the canvas while another control is active picks up the first tool.
    const tool = active ?? first;
    if (!active) tool.onActivate();
    if (e.evt.button === 1 || (e.evt.button === 0 && space)) {
      e.evt.preventDefault();
      pan.current = { from: { x: e.evt.clientX, y: e.evt.clientY }, view };
      return;
    }
    if (e.evt.button !== 0) return;
    const p = pointer();
    if (!p) return;
    const at = clampPoint(p, natural);
    if (draft?.kind === 'polygon') {
      const start = draft.points[0]!;
      const near = Math.hypot(start.x - at.x, start.y - at.y) * view.scale <= kCloseRadius;
      if (near && draft.points.length >= 3) closePolygon();
      else setDraft({ ...draft, points: [...draft.points, at] });
      return;
    }
    // A press on a region selected it (the shape stopped the event); this one is on the image.
    const onRegion = e.target !== e.target.getStage();
    if (onRegion) return;
    setSelected(null);
    const c = tool;
    switch (c.control.type) {
      case 'bbox':
        setDraft({ kind: 'bbox', control: c.control.name, from: at, to: at });
        break;
      case 'polygon':
        setDraft({ kind: 'polygon', control: c.control.name, points: [at], cursor: at });
        break;
      case 'keypoint':
        add(c, { control: c.control.name, type: 'keypoint', id: nextId(), label: currentLabel(c), x: at.x, y: at.y });
        break;
    }
  };

  const onMouseMove = (e: Konva.KonvaEventObject<MouseEvent>) => {
    if (pan.current) {
      const { from, view: start } = pan.current;
      setView({ ...start, x: start.x + e.evt.clientX - from.x, y: start.y + e.evt.clientY - from.y });
      return;
    }
    if (!draft || !natural) return;
    const p = pointer();
    if (!p) return;
    const at = clampPoint(p, natural);
    if (draft.kind === 'bbox') setDraft({ ...draft, to: at });
    else setDraft({ ...draft, cursor: at });
  };

  const finishBox = () => {
    if (draft?.kind !== 'bbox') return;
    setDraft(null);
    const c = byName.get(draft.control);
    if (!c || !natural) return;
    const x = Math.min(draft.from.x, draft.to.x);
    const y = Math.min(draft.from.y, draft.to.y);
    const w = round(Math.abs(draft.to.x - draft.from.x));
    const h = round(Math.abs(draft.to.y - draft.from.y));
    // A click without a drag (under 3 screen pixels) draws nothing.
    if (w * view.scale < 3 || h * view.scale < 3) return;
    const item: BboxResult = clampBox(
      { control: c.control.name, type: 'bbox', id: nextId(), label: currentLabel(c), x, y, w, h, rotation: 0 },
      natural,
    );
    add(c, item);
  };

  const onMouseUp = () => {
    pan.current = null;
    finishBox();
  };
  // A drag that ends outside the canvas still ends.
  useWindowListener('mouseup', onMouseUp);

  const onWheel = (e: Konva.KonvaEventObject<WheelEvent>) => {
    e.evt.preventDefault();
    const p = stage.current?.getPointerPosition() ?? undefined;
    zoom(Math.pow(1.0015, -e.evt.deltaY), p);
  };

  // While panning or drawing a polygon, presses go to the stage, not to regions.
  const regionsListen = !space && draft?.kind !== 'polygon';
  const tool = active ? toolNames[active.control.type] : 'none';
  const cursor = space || pan.current ? 'grab' : active ? 'crosshair' : 'default';
  const labelled = allItems.length <= kLabelledRegions;
  // The first kListed regions, and the selected one wherever it is.
  const listed = allItems.slice(0, kListed);
  if (selectedItem && !listed.includes(selectedItem)) listed.push(selectedItem);

  /** A region's shape; the selected one is drawn on the top layer only (`top`). */
  const renderRegion = (c: ImageControlProps, item: ImageItem, top: boolean) => {
    const key = regionKey(item.control, item.id);
    const isSelected = key === selected;
    if (isSelected !== top) return null;
    const common = {
      nodeId: key,
      color: labelColor(c.control.labels, item.label),
      selected: isSelected,
      // Unlabelled boxes and polygons do not depend on the zoom: a constant keeps them
      // memoized while zooming through thousands of them.
      scale: labelled || isSelected || item.type === 'keypoint' ? view.scale : 1,
      // Only the active tool's regions take the pointer, so a point can be set inside a box.
      draggable: c.active || !anyActive,
      listening: c.active || !anyActive,
      labelled: labelled || isSelected,
      image: natural ?? unknownSize,
      onSelect,
      onEdit,
    };
    switch (item.type) {
      case 'bbox':
        return <BboxRegion key={key} item={item} {...common} />;
      case 'polygon':
        return <PolygonRegion key={key} item={item} {...common} />;
      case 'keypoint':
        return <KeypointRegion key={key} item={item} {...common} />;
    }
  };

  return (
    <div
      className="image-workspace"
      data-testid="image-workspace"
      data-source={first.control.source}
      data-active={anyActive}
    >
      <div className="image-toolbar">
        <div className="labels" role="toolbar" aria-label="Tools">
          {controls.map((c) => (
            <button
              key={c.control.name}
              type="button"
              className={c.active ? 'label-button on' : 'label-button'}
              aria-pressed={c.active}
              onClick={() => {
                setDraft(null);
                c.onActivate();
              }}
              data-testid="tool"
              data-control={c.control.name}
              data-tool={c.control.type}
            >
              <kbd>{toolKeys[c.control.type]}</kbd>
              {toolNames[c.control.type]}: {c.control.name}
            </button>
          ))}
          <span className="spacer" />
          <button type="button" onClick={() => zoom(0.8)} aria-label="Zoom out">
            −
          </button>
          <span className="muted" data-testid="zoom">
            {Math.round(view.scale * 100)}%
          </span>
          <button type="button" onClick={() => zoom(1.25)} aria-label="Zoom in">
            +
          </button>
          <button type="button" onClick={() => natural && setView(fitView(natural, width, height))}>
            Fit <kbd>0</kbd>
          </button>
        </div>
        {active && (
          <div data-testid="image-labels" data-control={active.control.name}>
            <LabelButtons
              labels={active.control.labels}
              isOn={(label) => currentLabel(active) === label}
              onPick={(index) => pickLabel(active, index)}
              testId="region-label"
              colored
            />
          </div>
        )}
      </div>
      <div className="image-main">
        <div
          ref={box}
          className="image-canvas"
          style={{ height, cursor }}
          data-testid="image-canvas"
          data-tool={tool}
          data-scale={view.scale}
          data-offset-x={view.x}
          data-offset-y={view.y}
          data-natural-width={natural?.width}
          data-natural-height={natural?.height}
          onContextMenu={(e) => e.preventDefault()}
        >
          {error && <p className="error">{error}</p>}
          {width > 0 && (
            <Stage
              ref={stage}
              width={width}
              height={height}
              scaleX={view.scale}
              scaleY={view.scale}
              x={view.x}
              y={view.y}
              onMouseDown={onMouseDown}
              onMouseMove={onMouseMove}
              onWheel={onWheel}
            >
              <Layer listening={false}>{image && <KonvaImage image={image} x={0} y={0} />}</Layer>
              {/* The selected region lives on a layer of its own, with the transformer: moving
                  or resizing it redraws that layer only, not the thousands of others. */}
              <Layer listening={regionsListen}>
                {controls.map((c) => c.items.map((item) => renderRegion(c, item, false)))}
              </Layer>
              <Layer listening={regionsListen}>
                {selectedItem && selectedControl && renderRegion(selectedControl, selectedItem, true)}
                <Transformer
                  ref={transformer}
                  keepRatio={false}
                  ignoreStroke
                  flipEnabled={false}
                  rotateEnabled
                  rotationSnaps={rotationSnaps}
                  boundBoxFunc={keepSize}
                />
              </Layer>
              <Layer listening={false}>
                {draft?.kind === 'bbox' && (
                  <Rect
                    x={Math.min(draft.from.x, draft.to.x)}
                    y={Math.min(draft.from.y, draft.to.y)}
                    width={Math.abs(draft.to.x - draft.from.x)}
                    height={Math.abs(draft.to.y - draft.from.y)}
                    stroke="#2f6fde"
                    dash={[6, 4]}
                    strokeWidth={2}
                    strokeScaleEnabled={false}
                  />
                )}
                {draft?.kind === 'polygon' && (
                  <>
                    <Line
                      points={[...draft.points, ...(draft.cursor ? [draft.cursor] : [])].flatMap((p) => [p.x, p.y])}
                      stroke="#2f6fde"
                      dash={[6, 4]}
                      strokeWidth={2}
                      strokeScaleEnabled={false}
                    />
                    {draft.points.map((p, i) => (
                      <Circle
                        key={i}
                        x={p.x}
                        y={p.y}
                        radius={(i === 0 ? kCloseRadius : 3) / view.scale}
                        stroke="#2f6fde"
                        strokeWidth={1.5}
                        strokeScaleEnabled={false}
                        fill={i === 0 ? '#2f6fde33' : '#2f6fde'}
                      />
                    ))}
                  </>
                )}
              </Layer>
            </Stage>
          )}
        </div>
        <aside className="image-side">
          <h3>
            Regions <span className="muted">({allItems.length})</span>
          </h3>
          <ul ref={list} className="region-list" data-testid="region-list">
            {listed.map((item) => {
              const key = regionKey(item.control, item.id);
              const c = byName.get(item.control);
              return (
                <li
                  key={key}
                  className={key === selected ? 'selected' : undefined}
                  data-testid="region"
                  data-id={item.id}
                  data-control={item.control}
                  data-type={item.type}
                  data-label={item.label}
                  data-selected={key === selected}
                  data-geometry={JSON.stringify(geometryOf(item))}
                >
                  <button type="button" className="link" onClick={() => onSelect(item)}>
                    <span className="swatch" style={{ background: labelColor(c?.control.labels ?? [], item.label) }} />
                    {item.label}{' '}
                    <span className="muted">
                      {toolNames[item.type]} {item.id}
                    </span>
                  </button>
                </li>
              );
            })}
          </ul>
          {allItems.length > kListed && <p className="muted">… and {allItems.length - kListed} more on the canvas</p>}
          {selectedItem && selectedControl && (
            <div className="region-detail" data-testid="region-detail">
              <h3>
                {toolNames[selectedItem.type]} {selectedItem.id}
              </h3>
              <label>
                Label
                <select
                  value={selectedItem.label}
                  onChange={(e) => replaceSelected((item) => ({ ...item, label: e.target.value }))}
                  data-testid="region-label-select"
                >
                  {selectedControl.control.labels.map((label) => (
                    <option key={label} value={label}>
                      {label}
                    </option>
                  ))}
                </select>
              </label>
              <AttributesEditor
                attributes={selectedControl.control.attributes ?? []}
                values={selectedItem.attributes}
                onChange={(attributes: Attributes) => replaceSelected((item) => ({ ...item, attributes }))}
              />
              <button type="button" onClick={removeSelected} data-testid="delete-region">
                Delete <kbd>Del</kbd>
              </button>
            </div>
          )}
        </aside>
      </div>
    </div>
  );
}

/** A region moved by (dx, dy) image pixels, kept inside the image. */
function moved(item: ImageItem, dx: number, dy: number, size: Size): ImageItem {
  switch (item.type) {
    case 'bbox':
      return clampBox({ ...item, x: item.x + dx, y: item.y + dy }, size);
    case 'keypoint':
      return { ...item, ...clampPoint({ x: item.x + dx, y: item.y + dy }, size) };
    case 'polygon': {
      const xs = item.points.map(([x]) => x);
      const ys = item.points.map(([, y]) => y);
      const mx = Math.max(-Math.min(...xs), Math.min(dx, size.width - Math.max(...xs)));
      const my = Math.max(-Math.min(...ys), Math.min(dy, size.height - Math.max(...ys)));
      return { ...item, points: item.points.map(([x, y]) => [round(x + mx), round(y + my)] as [number, number]) };
    }
  }
}

/** A region's geometry alone, for the region list's data attribute (read by the browser tests). */
function geometryOf(item: ImageItem): unknown {
  switch (item.type) {
    case 'bbox':
      return [item.x, item.y, item.w, item.h, item.rotation ?? 0];
    case 'keypoint':
      return [item.x, item.y];
    case 'polygon':
      return item.points;
  }
}
