const imageExtension = /\.(png|jpe?g|gif|webp|svg)$/i;

/** Whether a task's source value is shown as an image rather than as text. */
export function isImageValue(value: string): boolean {
  if (value.startsWith('data:image/') || value.startsWith('/media/')) return true;
  const path = value.split(/[?#]/, 1)[0] ?? '';
  return imageExtension.test(path);
}

/**
 * One data field of a task. Text goes into the page only as a React text node,
 * so markup in it is shown literally and never interpreted.
 */
export function SourceView({ field, value }: { field: string; value: unknown }) {
  if (typeof value === 'string' && isImageValue(value)) {
    return (
      <figure className="source source-image">
        <img src={value} alt={`Task ${field}`} data-testid="task-image" data-source={field} />
      </figure>
    );
  }
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return (
    <div className="source source-text" data-testid="task-text" data-source={field}>
      {text}
    </div>
  );
}
