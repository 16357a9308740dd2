import type Konva from 'konva';
import { memo, useRef } from 'react';
import { Circle, Group, Line } from 'react-konva';
import type { PolygonResult } from '../../api';
import { clampPoint } from './geometry';
import { RegionLabel } from './RegionLabel';
import { shapeProps, type RegionProps } from './regionProps';

/** One closed polygon: drag it to move; when selected, drag a vertex handle to reshape it. */
export const PolygonRegion = memo(function PolygonRegion(props: RegionProps<PolygonResult>) {
  const { item, color, selected, scale, draggable, listening, image, onEdit } = props;
  const flat = item.points.flat();
  const line = useRef<Konva.Line>(null);
  const first = item.points[0] ?? [0, 0];
  return (
    <Group listening={listening}>
      <Line
        ref={line}
        {...shapeProps(props)}
        points={flat}
        closed
        onDragEnd={(e) => {
          const dx = e.target.x();
          const dy = e.target.y();
          e.target.position({ x: 0, y: 0 });
          // Moved as a whole, and kept whole inside the image.
          const xs = item.points.map(([x]) => x + dx);
          const ys = item.points.map(([, y]) => y + dy);
          const sx = Math.min(0, image.width - Math.max(...xs)) - Math.min(0, Math.min(...xs));
          const sy = Math.min(0, image.height - Math.max(...ys)) - Math.min(0, Math.min(...ys));
          const points = item.points.map(([x, y]) => {
            const p = clampPoint({ x: x + dx + sx, y: y + dy + sy }, image);
            return [p.x, p.y] as [number, number];
          });
          onEdit(item, { ...item, points });
        }}
      />
      {props.labelled && (
        <RegionLabel text={item.label} x={first[0]} y={first[1]} dx={0} dy={-14} scale={scale} color={color} />
      )}
      {selected &&
        item.points.map(([x, y], index) => (
          <Circle
            key={index}
            name="vertex"
            x={x}
            y={y}
            radius={5 / scale}
            fill="#fff"
            stroke={color}
            strokeWidth={2}
            strokeScaleEnabled={false}
            draggable={draggable}
            onMouseDown={(e) => {
              e.cancelBubble = true;
            }}
            onDragMove={(e) => {
              // The outline follows the handle while it moves; the result changes on release.
              const p = clampPoint({ x: e.target.x(), y: e.target.y() }, image);
              line.current?.points(item.points.flatMap((q, i) => (i === index ? [p.x, p.y] : q)));
            }}
            onDragEnd={(e) => {
              const p = clampPoint({ x: e.target.x(), y: e.target.y() }, image);
              e.target.position(p);
              const points = item.points.map((q, i) => (i === index ? ([p.x, p.y] as [number, number]) : q));
              onEdit(item, { ...item, points });
            }}
          />
        ))}
    </Group>
  );
});
