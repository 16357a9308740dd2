// The form that starts a bake-off: a name, a golden set, and its candidates
// (workforces with access to the project, and vendors with a file format
// and pricing).
import { useState, type FormEvent } from 'react';
import {
  api,
  type Bakeoff,
  type BakeoffFormat,
  type CandidatePricingModel,
  type GoldenSet,
  type NewCandidate,
  type Workforce,
} from '../api';
import { ErrorText, withField } from '../components/ErrorText';
import { useAction } from '../useAction';

const formats: BakeoffFormat[] = ['json', 'csv', 'coco', 'label_studio'];
const pricingModels: CandidatePricingModel[] = ['per_label', 'per_hour', 'quote'];

interface VendorDraft {
  name: string;
  format: BakeoffFormat;
  model: CandidatePricingModel;
  rate: string;
  currency: string;
}

const emptyVendor: VendorDraft = { name: '', format: 'json', model: 'per_label', rate: '0', currency: 'USD' };

export function CreateBakeoff({
  projectId,
  sets,
  workforces,
  onCreated,
}: {
  projectId: number;
  sets: GoldenSet[];
  workforces: Workforce[];
  onCreated: (b: Bakeoff) => void;
}) {
  const [name, setName] = useState('');
  const [setId, setSetId] = useState<number>();
  const [teams, setTeams] = useState<number[]>([]);
  const [vendors, setVendors] = useState<VendorDraft[]>([]);
  const create = useAction();
  const goldenSetId = setId ?? sets[0]?.id;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (goldenSetId === undefined) return;
    const candidates: NewCandidate[] = [
      ...teams.map((id) => ({ kind: 'workforce' as const, workforce_id: id })),
      ...vendors.map((v) => ({
        kind: 'vendor' as const,
        name: v.name,
        format: v.format,
        pricing: { model: v.model, rate: Number(v.rate), currency: v.currency },
      })),
    ];
    await create.run(async () => {
      const b = await api.createBakeoff(projectId, { name, golden_set_id: goldenSetId, candidates });
      setName('');
      setTeams([]);
      setVendors([]);
      onCreated(b);
    });
  };

  const updateVendor = (i: number, patch: Partial<VendorDraft>) =>
    setVendors((list) => list.map((v, j) => (j === i ? { ...v, ...patch } : v)));

  return (
    <form className="panel" onSubmit={(e) => void submit(e)} data-testid="create-bakeoff">
      <h2>New bake-off</h2>
      <p className="muted">
        The golden set goes to every candidate without its answers. Workforce members get its tasks first, as
        ordinary tasks; vendors get a file and send one back.
      </p>
      <div className="row">
        <label className="inline grow">
          Name
          <input value={name} onChange={(e) => setName(e.target.value)} maxLength={200} data-testid="bakeoff-name" />
        </label>
        <label className="inline">
          Golden set
          <select
            value={goldenSetId ?? ''}
            onChange={(e) => setSetId(Number(e.target.value))}
            data-testid="bakeoff-golden-set"
          >
            {sets.map((s) => (
              <option key={s.id} value={s.id}>
                {s.name} v{s.version} ({s.tasks} tasks)
              </option>
            ))}
          </select>
        </label>
      </div>
      <fieldset>
        <legend>Workforces</legend>
        {workforces.length === 0 && <p className="muted">No workforce has access to this project.</p>}
        {workforces.map((w) => (
          <label key={w.id} className="inline">
            <input
              type="checkbox"
              checked={teams.includes(w.id)}
              onChange={(e) => setTeams((t) => (e.target.checked ? [...t, w.id] : t.filter((x) => x !== w.id)))}
              data-testid={`bakeoff-workforce-${w.id}`}
            />
            {w.name} ({w.kind}, {w.pricing.rate} {w.pricing.currency} {w.pricing.model.replace('_', ' ')})
          </label>
        ))}
      </fieldset>
      <fieldset>
        <legend>Vendors</legend>
        {vendors.map((v, i) => (
          <div className="row" key={i} data-testid={`bakeoff-vendor-${i}`}>
            <input
              placeholder="vendor name"
              value={v.name}
              onChange={(e) => updateVendor(i, { name: e.target.value })}
              data-testid={`vendor-name-${i}`}
            />
            <select value={v.format} onChange={(e) => updateVendor(i, { format: e.target.value as BakeoffFormat })} data-testid={`vendor-format-${i}`}>
              {formats.map((f) => (
                <option key={f}>{f}</option>
              ))}
            </select>
            <select value={v.model} onChange={(e) => updateVendor(i, { model: e.target.value as CandidatePricingModel })} data-testid={`vendor-model-${i}`}>
              {pricingModels.map((m) => (
                <option key={m}>{m}</option>
              ))}
            </select>
            <input type="number" min="0" step="any" value={v.rate} onChange={(e) => updateVendor(i, { rate: e.target.value })} aria-label="rate" data-testid={`vendor-rate-${i}`} />
            <input value={v.currency} maxLength={3} onChange={(e) => updateVendor(i, { currency: e.target.value.toUpperCase() })} aria-label="currency" />
            <button type="button" onClick={() => setVendors((list) => list.filter((_, j) => j !== i))}>
              Remove
            </button>
          </div>
        ))}
        <button type="button" onClick={() => setVendors((list) => [...list, { ...emptyVendor }])} data-testid="add-vendor">
          Add a vendor
        </button>
      </fieldset>
      <button
        type="submit"
        className="primary"
        disabled={create.busy || !name || goldenSetId === undefined || teams.length + vendors.length === 0}
        data-testid="bakeoff-create"
      >
        Start the bake-off
      </button>
      <ErrorText error={withField(create.error)} testId="bakeoff-error" />
    </form>
  );
}
