// Placeholder until the audio editor lands: shows the audio with the browser's player.
import type { ControlProps } from '../controlProps';

export function AudioControl({ control, task }: ControlProps) {
  const src = task.data[control.source];
  return (
    <div className="choice" data-testid="control" data-control={control.name}>
      <strong>{control.name}</strong>
      {typeof src === 'string' && <audio controls src={src} />}
    </div>
  );
}
