import { useState } from 'react';
import type { Attribute, Attributes } from '../api';

interface Props {
  attributes: Attribute[];
  values: Attributes | undefined;
  onChange: (values: Attributes) => void;
}

function withValue(values: Attributes | undefined, name: string, value: boolean | string | undefined): Attributes {
  const next = { ...values };
  if (value === undefined) delete next[name];
  else next[name] = value;
  return next;
}

/** A string attribute is committed when the field is left or Enter is pressed: one undo step per edit. */
function StringAttribute({ value, onCommit }: { value: string; onCommit: (value: string) => void }) {
  const [draft, setDraft] = useState(value);
  const [shown, setShown] = useState(value);
  if (shown !== value) {
    setShown(value);
    setDraft(value);
  }
  return (
    <input
      value={draft}
      maxLength={1000}
      onChange={(e) => setDraft(e.target.value)}
      onBlur={() => draft !== value && onCommit(draft)}
      onKeyDown={(e) => {
        if (e.key === 'Enter' || e.key === 'Escape') e.currentTarget.blur();
      }}
    />
  );
}

/** The per-region attributes a control declares (boolean, enum, string) for the selected region. */
export function AttributesEditor({ attributes, values, onChange }: Props) {
  if (attributes.length === 0) return null;
  return (
    <div className="attributes" data-testid="attributes">
      {attributes.map((attribute) => {
        const value = values?.[attribute.name];
        switch (attribute.type) {
          case 'boolean':
            return (
              <label key={attribute.name} className="inline">
                <input
                  type="checkbox"
                  checked={value === true}
                  onChange={(e) => onChange(withValue(values, attribute.name, e.target.checked))}
                  data-testid="attribute"
                  data-attribute={attribute.name}
                />
                {attribute.name}
              </label>
            );
          case 'enum':
            return (
              <label key={attribute.name}>
                {attribute.name}
                <select
                  value={typeof value === 'string' ? value : ''}
                  onChange={(e) => onChange(withValue(values, attribute.name, e.target.value || undefined))}
                  data-testid="attribute"
                  data-attribute={attribute.name}
                >
                  <option value="">(unset)</option>
                  {(attribute.values ?? []).map((v) => (
                    <option key={v} value={v}>
                      {v}
                    </option>
                  ))}
                </select>
              </label>
            );
          case 'string':
            return (
              <label key={attribute.name}>
                {attribute.name}
                <StringAttribute
                  value={typeof value === 'string' ? value : ''}
                  onCommit={(v) => onChange(withValue(values, attribute.name, v === '' ? undefined : v))}
                />
              </label>
            );
          default:
            return null;
        }
      })}
    </div>
  );
}
