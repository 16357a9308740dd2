import { memo } from 'react';
import { Circle } from 'react-konva';
import type { KeypointResult } from '../../api';
import { clampPoint } from './geometry';
import { RegionLabel } from './RegionLabel';
import { shapeProps, type RegionProps } from './regionProps';

/** One labeled point, dragged to move. */
export const KeypointRegion = memo(function KeypointRegion(props: RegionProps<KeypointResult>) {
  const { item, color, selected, scale, image, onEdit } = props;
  return (
    <>
      <Circle
        {...shapeProps(props)}
        x={item.x}
        y={item.y}
        radius={(selected ? 7 : 5) / scale}
        fill={color}
        stroke={selected ? '#fff' : '#000'}
        strokeWidth={1}
        onDragEnd={(e) => {
          const p = clampPoint({ x: e.target.x(), y: e.target.y() }, image);
          e.target.position(p);
          onEdit(item, { ...item, ...p });
        }}
      />
      {props.labelled && (
        <RegionLabel text={item.label} x={item.x} y={item.y} dx={7} dy={-6} scale={scale} color={color} />
      )}
    </>
  );
});
