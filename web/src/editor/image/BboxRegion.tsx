import type Konva from 'konva';
import { memo } from 'react';
import { Rect } from 'react-konva';
import type { BboxResult } from '../../api';
import { clampBox, round } from './geometry';
import { RegionLabel } from './RegionLabel';
import { shapeProps, type RegionProps } from './regionProps';

/** One box; the workspace's transformer resizes and rotates the selected one. */
export const BboxRegion = memo(function BboxRegion(props: RegionProps<BboxResult>) {
  const { item, color, scale, image, onEdit } = props;
  const commit = (node: Konva.Node) => {
    const next = clampBox(
      {
        ...item,
        x: round(node.x()),
        y: round(node.y()),
        w: round(node.width() * node.scaleX()),
        h: round(node.height() * node.scaleY()),
        rotation: node.rotation(),
      },
      image,
    );
    node.setAttrs({
      x: next.x,
      y: next.y,
      width: next.w,
      height: next.h,
      rotation: next.rotation ?? 0,
      scaleX: 1,
      scaleY: 1,
    });
    onEdit(item, next);
  };
  return (
    <>
      <Rect
        {...shapeProps(props)}
        x={item.x}
        y={item.y}
        width={item.w}
        height={item.h}
        rotation={item.rotation ?? 0}
        onDragEnd={(e) => commit(e.target)}
        onTransformEnd={(e) => commit(e.target)}
      />
      {props.labelled && (
        <RegionLabel
          text={item.label}
          x={item.x}
          y={item.y}
          dx={0}
          dy={-14}
          scale={scale}
          color={color}
          rotation={item.rotation}
        />
      )}
    </>
  );
});
