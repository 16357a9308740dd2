import { useState, type FormEvent } from 'react';
import { api, webhookEvents, type Webhook, type WebhookEvent } from '../api';
import { ErrorText, withField } from '../components/ErrorText';
import { formatTime } from '../format';
import { useAction } from '../useAction';
import { useAsync } from '../useAsync';

/**
 * The project's webhooks: create one (its signing secret is shown once, right
 * after), list and delete them, and read each one's delivery log.
 */
export function WebhooksPanel({ projectId }: { projectId: number }) {
  const hooks = useAsync(() => api.listWebhooks(projectId), [projectId]);
  const [url, setUrl] = useState('');
  const [events, setEvents] = useState<WebhookEvent[]>(['task.completed']);
  const [created, setCreated] = useState<{ webhook: Webhook; secret: string }>();
  const [log, setLog] = useState<number>();
  const action = useAction();

  const toggle = (event: WebhookEvent, on: boolean) =>
    setEvents((list) => (on ? [...list, event] : list.filter((e) => e !== event)));

  const create = async (event: FormEvent) => {
    event.preventDefault();
    setCreated(undefined);
    await action.run(async () => {
      setCreated(await api.createWebhook(projectId, url.trim(), webhookEvents.filter((e) => events.includes(e))));
      setUrl('');
      hooks.reload();
    });
  };

  const remove = (id: number) =>
    action.run(async () => {
      await api.deleteWebhook(id);
      if (log === id) setLog(undefined);
      if (created?.webhook.id === id) setCreated(undefined);
      hooks.reload();
    });

  return (
    <div className="panel" data-testid="webhooks">
      <h2>Webhooks</h2>
      <form className="form" onSubmit={create} data-testid="create-webhook">
        <label>
          URL
          <input
            type="url"
            required
            placeholder="https://example.com/plumb-hook"
            value={url}
            onChange={(e) => setUrl(e.target.value)}
            data-testid="webhook-url"
          />
        </label>
        <fieldset className="row plain-fieldset">
          <legend>Events</legend>
          {webhookEvents.map((e) => (
            <label key={e} className="inline">
              <input
                type="checkbox"
                checked={events.includes(e)}
                onChange={(change) => toggle(e, change.target.checked)}
                data-testid={`webhook-event-${e}`}
              />
              {e}
            </label>
          ))}
        </fieldset>
        <ErrorText error={withField(action.error)} />
        <button type="submit" className="primary" disabled={action.busy || events.length === 0} data-testid="webhook-create">
          Add webhook
        </button>
      </form>
      {created && (
        <div className="secret" role="status" data-testid="webhook-secret">
          <p>
            Signing secret of the webhook to <span className="mono">{created.webhook.url}</span>, shown only now:
          </p>
          <code className="mono" data-testid="webhook-secret-value">
            {created.secret}
          </code>
          <p className="muted">
            Each delivery carries <span className="mono">X-Plumb-Signature: sha256=…</span>, the HMAC-SHA256 of the
            body with this secret.
          </p>
        </div>
      )}
      <ErrorText error={hooks.error} />
      {hooks.data && hooks.data.length === 0 && <p className="muted">No webhooks yet.</p>}
      {hooks.data && hooks.data.length > 0 && (
        <table className="table" data-testid="webhook-table">
          <thead>
            <tr>
              <th>URL</th>
              <th>Events</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {hooks.data.map((h) => (
              <tr key={h.id} data-testid="webhook-row" data-webhook-id={h.id}>
                <td className="mono wrap">{h.url}</td>
                <td>{h.events.join(', ')}</td>
                <td className="actions">
                  <button type="button" onClick={() => setLog(log === h.id ? undefined : h.id)} data-testid="webhook-log">
                    {log === h.id ? 'Hide deliveries' : 'Deliveries'}
                  </button>
                  <button type="button" onClick={() => void remove(h.id)} data-testid="webhook-delete">
                    Delete
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {log !== undefined && <DeliveryLog key={log} webhookId={log} />}
    </div>
  );
}

function DeliveryLog({ webhookId }: { webhookId: number }) {
  const deliveries = useAsync(() => api.deliveries(webhookId), [webhookId]);
  return (
    <div className="delivery-log" data-testid="delivery-log">
      <div className="heading">
        <h3>Deliveries</h3>
        <button type="button" onClick={deliveries.reload}>
          Refresh
        </button>
      </div>
      <ErrorText error={deliveries.error} />
      {deliveries.data && deliveries.data.length === 0 && <p className="muted">Nothing delivered yet.</p>}
      {deliveries.data && deliveries.data.length > 0 && (
        <table className="table">
          <thead>
            <tr>
              <th className="num">ID</th>
              <th>Event</th>
              <th>State</th>
              <th className="num">Attempts</th>
              <th>Last status</th>
              <th>Next attempt</th>
              <th>Delivered</th>
            </tr>
          </thead>
          <tbody>
            {deliveries.data.map((d) => (
              <tr key={d.id} data-testid="delivery-row" data-state={d.state}>
                <td className="num">{d.id}</td>
                <td>{d.event}</td>
                <td>
                  <span className={`state delivery-${d.state}`}>{d.state}</span>
                </td>
                <td className="num">{d.attempts}</td>
                <td className="wrap">
                  {d.last_status ?? ''}
                  {d.last_error && <span className="error"> {d.last_error}</span>}
                </td>
                <td>{d.next_attempt_at ? formatTime(d.next_attempt_at) : '—'}</td>
                <td>{d.delivered_at ? formatTime(d.delivered_at) : '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
