import { useState } from 'react';

interface Props {
  /** What may be added, as value (an id) and text. */
  options: { id: number; text: string }[];
  placeholder: string;
  /** The button's text, e.g. "Add member". */
  action: string;
  label: string;
  testId?: string;
  /** Resolves to whether the addition succeeded; the choice is cleared when it did. */
  onAdd: (id: number) => Promise<boolean>;
}

/** A list to choose one item from and a button to add it; nothing when there is nothing to add. */
export function PickToAdd({ options, placeholder, action, label, testId, onAdd }: Props) {
  const [choice, setChoice] = useState('');
  if (options.length === 0) return null;
  const add = async () => {
    if (choice && (await onAdd(Number(choice)))) setChoice('');
  };
  return (
    <div className="row">
      <select
        value={choice}
        onChange={(e) => setChoice(e.target.value)}
        aria-label={label}
        data-testid={testId && `${testId}-choice`}
      >
        <option value="">{placeholder}</option>
        {options.map((o) => (
          <option key={o.id} value={o.id}>
            {o.text}
          </option>
        ))}
      </select>
      <button type="button" onClick={() => void add()} disabled={!choice} data-testid={testId}>
        {action}
      </button>
    </div>
  );
}
