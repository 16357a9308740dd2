import type Konva from 'konva';
import type { ImageItem } from './ImageWorkspace';
import type { Size } from './geometry';

/** What each region shape gets from the workspace; the callbacks are stable. */
export interface RegionProps<I extends ImageItem> {
  item: I;
  /** The Konva node id: control and region id. */
  nodeId: string;
  color: string;
  selected: boolean;
  /** Screen pixels per image pixel, for handles that keep their screen size. */
  scale: number;
  draggable: boolean;
  /** Whether its label is drawn beside it. */
  labelled: boolean;
  /** Whether the region takes the pointer; when not, a press on it draws with the active tool. */
  listening: boolean;
  image: Size;
  /** `pressed`: by a mouse press, which goes on as a drag of the region. */
  onSelect: (item: ImageItem, pressed?: boolean) => void;
  onEdit: (before: ImageItem, after: ImageItem) => void;
}

/** The Konva attributes every region shape shares: identity, outline, fill, and a press that selects it. */
export function shapeProps<I extends ImageItem>(props: RegionProps<I>) {
  const { item, nodeId, color, selected, draggable, listening, onSelect } = props;
  return {
    id: nodeId,
    name: 'region',
    stroke: color,
    strokeWidth: selected ? 3 : 2,
    strokeScaleEnabled: false,
    fill: `${color}${selected ? '44' : '22'}`,
    draggable,
    listening,
    perfectDrawEnabled: false,
    onMouseDown: (e: Konva.KonvaEventObject<MouseEvent>) => {
      if (e.evt.button !== 0) return;
      // The stage would start drawing: this press is the region's.
      e.cancelBubble = true;
      onSelect(item, true);
    },
  };
}
