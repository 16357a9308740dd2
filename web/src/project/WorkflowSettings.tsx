// The project's workflow settings (docs/workflow.md, "Workflow settings"),
// saved with PATCH /projects/{id} {settings}. Only the changed keys are sent;
// a refused value is shown at its field with the field's name.
import { useState, type FormEvent } from 'react';
import { api, ApiError, type ConsensusMethod, type Project, type Settings } from '../api';
import { ErrorText, withField } from '../components/ErrorText';
import { useAction } from '../useAction';

/** The settings of this form; the automation ones are on the Automation screen. */
type Workflow = Omit<Settings, 'queue_order' | 'uncertainty' | 'learner_control'>;
type Key = keyof Workflow;

/** The defaults of docs/workflow.md, for a server that does not send a key. */
const defaults: Required<Workflow> = {
  overlap: 1,
  lease_seconds: 600,
  review_share: 0,
  golden_rate: 0,
  consensus: 'majority',
  agreement_threshold: 0,
  iou_threshold: 0.5,
  deadline_warning_seconds: 3600,
};

interface NumberField {
  key: Exclude<Key, 'consensus'>;
  label: string;
  min: number;
  max?: number;
  step: number;
}

const numberFields: NumberField[] = [
  { key: 'overlap', label: 'Overlap (distinct people per task)', min: 1, max: 100, step: 1 },
  { key: 'lease_seconds', label: 'Lease (seconds a handed-out task stays reserved)', min: 10, max: 86400, step: 1 },
  { key: 'review_share', label: 'Review share (% of completed tasks sampled for review)', min: 0, max: 100, step: 1 },
  { key: 'golden_rate', label: 'Golden rate (share 0–1 of an annotator’s tasks that are golden)', min: 0, max: 1, step: 0.01 },
  { key: 'agreement_threshold', label: 'Agreement threshold (0–1; below it a task is adjudicated, 0 never)', min: 0, max: 1, step: 0.01 },
  { key: 'iou_threshold', label: 'IoU threshold (0.05–1; regions of different annotators that match)', min: 0.05, max: 1, step: 0.01 },
  { key: 'deadline_warning_seconds', label: 'Deadline warning (seconds before a deadline a task is flagged)', min: 0, step: 1 },
];

const consensusMethods: { value: ConsensusMethod; label: string }[] = [
  { value: 'majority', label: 'Majority vote' },
  { value: 'dawid_skene', label: 'Dawid–Skene' },
];

function current(settings: Settings): Required<Workflow> {
  const all: Required<Workflow> & Partial<Settings> = { ...defaults, ...settings };
  delete all.queue_order;
  delete all.uncertainty;
  delete all.learner_control;
  return all;
}

/** The settings key an error's `field` names, e.g. "settings.review_share" → "review_share". */
function fieldKey(field: string | undefined): string | undefined {
  return field?.replace(/^settings\./, '');
}

export function WorkflowSettings({ project, onSaved }: { project: Project; onSaved: (project: Project) => void }) {
  const saved = current(project.settings);
  const [draft, setDraft] = useState<Required<Workflow>>(saved);
  // Number inputs keep what was typed, so "0." can be typed on the way to "0.5".
  const [text, setText] = useState<Record<string, string>>(() =>
    Object.fromEntries(numberFields.map((f) => [f.key, String(saved[f.key])])),
  );
  const saving = useAction();
  const [done, setDone] = useState(false);

  const changed = (Object.keys(draft) as Key[]).filter((k) => draft[k] !== saved[k]);

  const setNumber = (key: NumberField['key'], value: string) => {
    setText((t) => ({ ...t, [key]: value }));
    const n = Number(value);
    if (value.trim() !== '' && Number.isFinite(n)) setDraft((d) => ({ ...d, [key]: n }));
    setDone(false);
  };

  const save = async (event: FormEvent) => {
    event.preventDefault();
    if (changed.length === 0) return;
    setDone(false);
    const settings = Object.fromEntries(changed.map((k) => [k, draft[k]])) as Partial<Settings>;
    await saving.run(async () => {
      onSaved(await api.updateProject(project.id, { settings }));
      setDone(true);
    });
  };

  const error = saving.error;

  const errorKey = error instanceof ApiError ? fieldKey(error.field) : undefined;
  const fieldError = (key: Key, label: string) =>
    error && errorKey === key ? `${label.split(' (')[0]} (${key}): ${error.message}` : undefined;
  const placed = errorKey !== undefined && errorKey in defaults;

  return (
    <form className="panel form workflow-settings" onSubmit={save} data-testid="workflow-settings">
      <h2>Workflow</h2>
      <div className="settings-grid">
        {numberFields.map((f) => (
          <div key={f.key} className={errorKey === f.key ? 'invalid' : undefined}>
            <label>
              {f.label}
              <input
                type="number"
                min={f.min}
                max={f.max}
                step={f.step}
                value={text[f.key] ?? ''}
                onChange={(e) => setNumber(f.key, e.target.value)}
                aria-invalid={errorKey === f.key}
                data-testid={`setting-${f.key}`}
              />
            </label>
            <ErrorText error={fieldError(f.key, f.label)} testId={`setting-error-${f.key}`} />
          </div>
        ))}
        <div className={errorKey === 'consensus' ? 'invalid' : undefined}>
          <label>
            Consensus (how choice controls are reconciled)
            <select
              value={draft.consensus}
              onChange={(e) => {
                setDraft((d) => ({ ...d, consensus: e.target.value as ConsensusMethod }));
                setDone(false);
              }}
              data-testid="setting-consensus"
            >
              {consensusMethods.map((m) => (
                <option key={m.value} value={m.value}>
                  {m.label}
                </option>
              ))}
            </select>
          </label>
          <ErrorText error={fieldError('consensus', 'Consensus')} testId="setting-error-consensus" />
        </div>
      </div>
      {!placed && <ErrorText error={withField(error)} />}
      <div className="row">
        <button type="submit" className="primary" disabled={saving.busy || changed.length === 0} data-testid="save-settings">
          Save workflow settings
        </button>
        {done && (
          <span className="ok" data-testid="settings-saved">
            Saved.
          </span>
        )}
      </div>
    </form>
  );
}
