// Placeholder until the video editor lands: shows the video with the browser's player.
import type { ControlProps } from '../controlProps';

export function VideoControl({ control, task }: ControlProps) {
  const src = task.data[control.source];
  return (
    <div className="choice" data-testid="control" data-control={control.name}>
      <strong>{control.name}</strong>
      {typeof src === 'string' && <video controls src={src} />}
    </div>
  );
}
