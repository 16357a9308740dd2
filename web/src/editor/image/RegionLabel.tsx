import { Text } from 'react-konva';

interface Props {
  text: string;
  /** Image pixels of the label's top-left corner before the screen offset (dx, dy). */
  x: number;
  y: number;
  dx: number;
  dy: number;
  scale: number;
  color: string;
  rotation?: number;
}

/** A region's label, 12 screen pixels high at any zoom, offset by (dx, dy) screen pixels. */
export function RegionLabel({ text, x, y, dx, dy, scale, color, rotation }: Props) {
  return (
    <Text
      x={x + dx / scale}
      y={y + dy / scale}
      rotation={rotation ?? 0}
      text={text}
      fontSize={12 / scale}
      fill={color}
      listening={false}
      perfectDrawEnabled={false}
    />
  );
}
