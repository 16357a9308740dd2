import type { ControlDraft } from './controlDraft';

interface Props {
  index: number;
  draft: ControlDraft;
  error?: string;
  onChange: (draft: ControlDraft) => void;
  onRemove?: () => void;
}

/** The fields of one choice control in the create-project form. */
export function ControlForm({ index, draft, error, onChange, onRemove }: Props) {
  const set = (patch: Partial<ControlDraft>) => onChange({ ...draft, ...patch });
  return (
    <fieldset className={error ? 'control-form invalid' : 'control-form'} data-testid="control-form">
      <legend>Choice control {index + 1}</legend>
      <div className="row">
        <label>
          Name
          <input
            required
            pattern="[A-Za-z0-9_\-]{1,64}"
            placeholder="sentiment"
            value={draft.name}
            onChange={(e) => set({ name: e.target.value })}
          />
        </label>
        <label>
          Source field
          <input
            required
            placeholder="text or image"
            value={draft.source}
            onChange={(e) => set({ source: e.target.value })}
          />
        </label>
      </div>
      <div className="row">
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
        <label className="inline">
          <input type="checkbox" checked={draft.required} onChange={(e) => set({ required: e.target.checked })} />
          Required
        </label>
      </div>
      <label>
        Labels (one per line, or comma separated)
        <textarea
          required
          rows={4}
          placeholder={'positive\nnegative\nneutral'}
          value={draft.labels}
          onChange={(e) => set({ labels: e.target.value })}
        />
      </label>
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
