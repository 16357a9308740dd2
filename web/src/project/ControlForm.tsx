import {
  controlTypes,
  hasAttributes,
  hasLabels,
  mediaChoices,
  withType,
  type ControlDraft,
  type ControlType,
} from './controlDraft';

interface Props {
  index: number;
  draft: ControlDraft;
  error?: string;
  onChange: (draft: ControlDraft) => void;
  onRemove?: () => void;
}

/** The fields of one control in the create-project form: its type, then that type's options. */
export function ControlForm({ index, draft, error, onChange, onRemove }: Props) {
  const set = (patch: Partial<ControlDraft>) => onChange({ ...draft, ...patch });
  const media = mediaChoices(draft.type);
  return (
    <fieldset
      className={error ? 'control-form invalid' : 'control-form'}
      data-testid="control-form"
      data-type={draft.type}
    >
      <legend>Control {index + 1}</legend>
      <div className="row">
        <label>
          Type
          <select
            value={draft.type}
            onChange={(e) => onChange(withType(draft, e.target.value as ControlType))}
            data-testid="control-type"
          >
            {controlTypes.map(({ type, title }) => (
              <option key={type} value={type}>
                {title}
              </option>
            ))}
          </select>
        </label>
        <label>
          Name
          <input
            required
            pattern="[A-Za-z0-9_\-]{1,64}"
            placeholder="sentiment"
            value={draft.name}
            onChange={(e) => set({ name: e.target.value })}
            data-testid="control-name"
          />
        </label>
        <label>
          Source field
          <input
            required
            placeholder="text or image"
            value={draft.source}
            onChange={(e) => set({ source: e.target.value })}
            data-testid="control-source"
          />
        </label>
      </div>
      <div className="row">
        {draft.type === 'choice' && (
          <>
            <label className="inline">
              <input
                type="radio"
                name={`kind-${draft.key}`}
                checked={!draft.multiple}
                onChange={() => set({ multiple: false })}
              />
              Single choice
            </label>
            <label className="inline">
              <input
                type="radio"
                name={`kind-${draft.key}`}
                checked={draft.multiple}
                onChange={() => set({ multiple: true })}
              />
              Multiple choice
            </label>
          </>
        )}
        {media.length > 0 && (
          <label className="inline">
            Media
            <select value={draft.media} onChange={(e) => set({ media: e.target.value })} data-testid="control-media">
              {media.map((m) => (
                <option key={m} value={m}>
                  {m}
                </option>
              ))}
            </select>
          </label>
        )}
        {draft.type === 'span' && (
          <label className="inline">
            <input type="checkbox" checked={draft.overlap} onChange={(e) => set({ overlap: e.target.checked })} />
            Spans may overlap
          </label>
        )}
        {draft.type === 'rating' && (
          <label className="inline">
            Highest rating
            <input
              type="number"
              min={1}
              max={100}
              value={draft.max}
              onChange={(e) => set({ max: e.target.valueAsNumber || 1 })}
              data-testid="control-max"
            />
          </label>
        )}
        {draft.type === 'text' && (
          <label className="inline">
            At most (characters)
            <input
              type="number"
              min={1}
              max={100000}
              value={draft.maxLength}
              onChange={(e) => set({ maxLength: e.target.valueAsNumber || 1 })}
              data-testid="control-max-length"
            />
          </label>
        )}
        <label className="inline">
          <input type="checkbox" checked={draft.required} onChange={(e) => set({ required: e.target.checked })} />
          Required
        </label>
      </div>
      {hasLabels(draft.type) && (
        <label>
          Labels (one per line, or comma separated)
          <textarea
            required
            rows={4}
            placeholder={'positive\nnegative\nneutral'}
            value={draft.labels}
            onChange={(e) => set({ labels: e.target.value })}
            data-testid="control-labels"
          />
        </label>
      )}
      {hasAttributes(draft.type) && (
        <label>
          Region attributes (optional, one per line: <code>occluded: boolean</code>,{' '}
          <code>pose: enum: front, side</code>, <code>note: string</code>)
          <textarea
            rows={3}
            value={draft.attributes}
            onChange={(e) => set({ attributes: e.target.value })}
            data-testid="control-attributes"
          />
        </label>
      )}
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {onRemove && (
        <button type="button" className="link" onClick={onRemove}>
          Remove this control
        </button>
      )}
    </fieldset>
  );
}
