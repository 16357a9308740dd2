// Workforces (docs/workflow.md): internal teams and external vendors, with
// their pricing and members. Project access is granted on the project screen.
import { useState, type FormEvent } from 'react';
import { api, type PricingModel, type User, type Workforce, type WorkforceKind } from '../api';
import { ErrorText, withField } from '../components/ErrorText';
import { PickToAdd } from '../components/PickToAdd';
import { Link, paths } from '../router';
import { useAction } from '../useAction';
import { useAsync } from '../useAsync';

export function formatPricing({ pricing }: Workforce): string {
  if (!pricing) return '—';
  const unit = pricing.model === 'per_hour' ? 'hour' : 'label';
  return `${pricing.rate} ${pricing.currency} per ${unit}`;
}

export function Workforces() {
  const workforces = useAsync(() => api.listWorkforces(), []);
  const users = useAsync(() => api.listUsers(), []);
  const [open, setOpen] = useState<number>();

  return (
    <section>
      <p>
        <Link to={paths.projects()}>← Projects</Link>
      </p>
      <h1>Workforces</h1>
      <ErrorText error={workforces.error} />
      <CreateWorkforce
        onCreated={(w) => {
          workforces.reload();
          setOpen(w.id);
        }}
      />
      {workforces.data && workforces.data.length === 0 && <p className="muted">No workforces yet.</p>}
      {workforces.data && workforces.data.length > 0 && (
        <table className="table" data-testid="workforce-table">
          <thead>
            <tr>
              <th>Name</th>
              <th>Kind</th>
              <th>Pricing</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {workforces.data.map((w) => (
              <tr key={w.id} data-testid="workforce-row" data-workforce-name={w.name}>
                <td>{w.name}</td>
                <td>{w.kind}</td>
                <td>{formatPricing(w)}</td>
                <td className="actions">
                  <button type="button" onClick={() => setOpen(open === w.id ? undefined : w.id)}>
                    {open === w.id ? 'Close' : 'Members'}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {open !== undefined && <WorkforceMembers key={open} id={open} users={users.data?.items ?? []} />}
    </section>
  );
}

function CreateWorkforce({ onCreated }: { onCreated: (w: Workforce) => void }) {
  const [name, setName] = useState('');
  const [kind, setKind] = useState<WorkforceKind>('internal');
  const [model, setModel] = useState<PricingModel>('per_label');
  const [rate, setRate] = useState('0');
  const [currency, setCurrency] = useState('USD');
  const creating = useAction();

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    await creating.run(async () => {
      const created = await api.createWorkforce({
        name: name.trim(),
        kind,
        pricing: { model, rate: Number(rate), currency: currency.trim().toUpperCase() },
      });
      setName('');
      onCreated(created);
    });
  };

  return (
    <form className="panel form" onSubmit={submit} data-testid="create-workforce">
      <h2>New workforce</h2>
      <div className="row">
        <label>
          Name
          <input required value={name} onChange={(e) => setName(e.target.value)} data-testid="workforce-name" />
        </label>
        <label>
          Kind
          <select value={kind} onChange={(e) => setKind(e.target.value as WorkforceKind)} data-testid="workforce-kind">
            <option value="internal">internal team</option>
            <option value="vendor">vendor</option>
          </select>
        </label>
        <label>
          Pricing
          <select value={model} onChange={(e) => setModel(e.target.value as PricingModel)} data-testid="workforce-model">
            <option value="per_label">per label</option>
            <option value="per_hour">per hour</option>
          </select>
        </label>
        <label>
          Rate
          <input
            type="number"
            min={0}
            step="any"
            required
            value={rate}
            onChange={(e) => setRate(e.target.value)}
            data-testid="workforce-rate"
          />
        </label>
        <label>
          Currency
          <input
            required
            maxLength={3}
            value={currency}
            onChange={(e) => setCurrency(e.target.value)}
            data-testid="workforce-currency"
          />
        </label>
      </div>
      <ErrorText error={withField(creating.error)} />
      <button type="submit" className="primary" disabled={creating.busy} data-testid="workforce-create">
        Create workforce
      </button>
    </form>
  );
}

function WorkforceMembers({ id, users }: { id: number; users: User[] }) {
  const workforce = useAsync(() => api.getWorkforce(id), [id]);
  const changing = useAction();
  const w = workforce.data;
  const memberIds = new Set(w?.members?.map((m) => m.id));
  const candidates = users.filter((u) => !memberIds.has(u.id));

  const change = async (call: () => Promise<unknown>) => {
    const done = await changing.run(call);
    if (done) workforce.reload();
    return done;
  };

  return (
    <div className="panel" data-testid="workforce-members">
      <h2>{w ? w.name : 'Workforce'} · members</h2>
      <ErrorText error={workforce.error ?? changing.error} />
      {w && (
        <>
          {w.members && w.members.length > 0 ? (
            <ul className="plain-list">
              {w.members.map((m) => (
                <li key={m.id} data-testid="workforce-member" data-username={m.username}>
                  {m.username} <span className="muted">({m.role})</span>{' '}
                  <button type="button" className="link" onClick={() => void change(() => api.removeWorkforceMember(id, m.id))}>
                    Remove
                  </button>
                </li>
              ))}
            </ul>
          ) : (
            <p className="muted">No members yet.</p>
          )}
          <PickToAdd
            options={candidates.map((u) => ({ id: u.id, text: `${u.username} (${u.role})` }))}
            placeholder="Choose a user…"
            action="Add member"
            label="User to add"
            testId="workforce-add-member"
            onAdd={(userId) => change(() => api.addWorkforceMember(id, userId))}
          />
          {w.projects && w.projects.length > 0 && (
            <p className="muted">
              Labels in:{' '}
              {w.projects.map((p, i) => (
                <span key={p.id}>
                  {i > 0 && ', '}
                  <Link to={paths.project(p.id)}>{p.name}</Link>
                </span>
              ))}
            </p>
          )}
        </>
      )}
    </div>
  );
}
