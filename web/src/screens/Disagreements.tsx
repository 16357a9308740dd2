// The disagreement queue (docs/analytics.md): predictions ranked by how far
// they are from the final label, highest first, paged by the server's cursor,
// with "Send to review" per row and for the top K.
import { useState, type FormEvent } from 'react';
import { api, type Disagreement } from '../api';
import { AnalyticsNav } from '../analytics/AnalyticsNav';
import { formatNumber } from '../analytics/format';
import { Picker, plainChoices } from '../analytics/Picker';
import { useQueryParam } from '../analytics/range';
import { SendToReview } from '../analytics/SendToReview';
import { ErrorText } from '../components/ErrorText';
import { useAction } from '../useAction';
import { useAsync } from '../useAsync';

const pageSizes = [25, 50, 100];

function ScoreBar({ score }: { score: number }) {
  const share = Math.max(0, Math.min(1, score));
  return (
    <span className="score" title={score.toFixed(3)}>
      <span className="score-bar">
        <span className="score-fill" style={{ width: `${share * 100}%` }} />
      </span>
      <span className="score-value">{score.toFixed(2)}</span>
    </span>
  );
}

/** The filters as the list and the top-K call take them. */
interface Filters {
  model?: string;
  label?: string;
  min_score?: number;
}

export function Disagreements({ projectId }: { projectId: number }) {
  const project = useAsync(() => api.getProject(projectId), [projectId]);
  const [model, setModel] = useQueryParam('model');
  const [label, setLabel] = useQueryParam('label');
  const [minScore, setMinScore] = useQueryParam('min_score');
  const [limit, setLimit] = useQueryParam('limit');
  const [modelDraft, setModelDraft] = useState(model);
  const [cursors, setCursors] = useState<string[]>([]);
  const [version, setVersion] = useState(0);
  const [k, setK] = useState('10');
  const [topOutcome, setTopOutcome] = useState<{ sent: number; task_ids: number[] }>();
  const top = useAction();

  const pageSize = Number(limit) || 50;
  const cursor = cursors[cursors.length - 1];
  const filters: Filters = {
    model: model || undefined,
    label: label || undefined,
    min_score: minScore !== '' && Number.isFinite(Number(minScore)) ? Number(minScore) : undefined,
  };
  const page = useAsync(
    () => api.disagreements(projectId, { ...filters, limit: pageSize, cursor }),
    [projectId, model, label, minScore, pageSize, cursor, version],
  );

  const refilter = (set: (value: string) => void) => (value: string) => {
    set(value);
    setCursors([]);
  };
  const applyModel = (event: FormEvent) => {
    event.preventDefault();
    refilter(setModel)(modelDraft.trim());
  };
  const sendTop = async () => {
    setTopOutcome(undefined);
    await top.run(async () => {
      const reply = await api.sendTopDisagreements(projectId, { k: Number(k), ...filters });
      setTopOutcome(reply);
      setVersion((v) => v + 1);
    });
  };

  const classes = [...new Set((project.data?.schema.controls ?? []).flatMap((c) => ('labels' in c ? c.labels : [])))];
  const items = page.data?.items ?? [];
  const first = cursors.length * pageSize;
  const nextCursor = page.data?.next_cursor;
  const kValid = Number.isInteger(Number(k)) && Number(k) >= 1 && Number(k) <= 1000;

  return (
    <section className="analytics" data-testid="disagreements">
      <AnalyticsNav projectId={projectId} projectName={project.data?.name} current="disagreements" />
      <h1>Disagreements{project.data ? ` — ${project.data.name}` : ''}</h1>
      <p className="muted">
        Each prediction of a task with a final label, scored from 0 (the model agrees) to 1 (it disagrees
        entirely); the highest first.
      </p>
      <ErrorText error={project.error} />
      <form className="row filters" onSubmit={applyModel}>
        <label className="inline">
          Model
          <input value={modelDraft} onChange={(e) => setModelDraft(e.target.value)} placeholder="any" data-testid="disagreement-model" />
        </label>
        <button type="submit" disabled={modelDraft.trim() === model}>
          Filter
        </button>
        <Picker label="Class" value={label} onChange={refilter(setLabel)} choices={plainChoices(classes)} none="any" testId="disagreement-label" />
        <label className="inline">
          Score at least
          <input
            type="number"
            min={0}
            max={1}
            step={0.05}
            value={minScore}
            onChange={(e) => refilter(setMinScore)(e.target.value)}
            className="narrow-number"
            data-testid="disagreement-min-score"
          />
        </label>
        <Picker label="Per page" value={String(pageSize)} onChange={refilter(setLimit)} choices={plainChoices(pageSizes)} />
      </form>
      <div className="panel row top-k">
        <label className="inline">
          Top
          <input
            type="number"
            min={1}
            max={1000}
            value={k}
            onChange={(e) => setK(e.target.value)}
            className="narrow-number"
            data-testid="top-k"
          />
        </label>
        <button type="button" className="primary" disabled={!kValid || top.busy} onClick={sendTop} data-testid="send-top-k">
          Send top {kValid ? k : 'K'} to review
        </button>
        <span className="muted">the done tasks among the first K of this list, with these filters</span>
        {topOutcome && (
          <span className="ok" data-testid="top-k-sent">
            Sent {formatNumber(topOutcome.sent, 0)} {topOutcome.sent === 1 ? 'task' : 'tasks'} to review
            {topOutcome.task_ids.length > 0 && ` (${topOutcome.task_ids.slice(0, 20).join(', ')}${topOutcome.task_ids.length > 20 ? ', …' : ''})`}
          </span>
        )}
        <ErrorText error={top.error} />
      </div>
      <ErrorText error={page.error} />
      {!page.data && !page.error && <p className="muted">Loading…</p>}
      {page.data && page.data.total === 0 && (
        <p className="muted" data-testid="disagreements-empty">
          No prediction matches: predictions are scored once their task has a final label.
        </p>
      )}
      {items.length > 0 && (
        <div className="table-scroll">
          <table className={page.loading ? 'table loading' : 'table'} data-testid="disagreement-table">
            <thead>
              <tr>
                <th className="num">#</th>
                <th className="num">Task</th>
                <th>Score</th>
                <th>Model</th>
                <th>Per control</th>
                <th>Final label</th>
                <th>State</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {items.map((d, i) => (
                <DisagreementRow key={d.prediction_id} projectId={projectId} rank={first + i + 1} item={d} />
              ))}
            </tbody>
          </table>
        </div>
      )}
      {page.data && page.data.total > 0 && (
        <div className="pager">
          <span className="muted" data-testid="disagreement-range">
            {items.length > 0 ? `${formatNumber(first + 1, 0)}–${formatNumber(first + items.length, 0)}` : 'none'} of{' '}
            {formatNumber(page.data.total, 0)}
          </span>
          <button type="button" disabled={cursors.length === 0} onClick={() => setCursors((c) => c.slice(0, -1))}>
            Previous page
          </button>
          <button
            type="button"
            disabled={!nextCursor || page.loading}
            onClick={() => nextCursor && setCursors((c) => [...c, nextCursor])}
            data-testid="disagreement-next"
          >
            Next page
          </button>
        </div>
      )}
    </section>
  );
}

function DisagreementRow({ projectId, rank, item }: { projectId: number; rank: number; item: Disagreement }) {
  const [sent, setSent] = useState(false);
  const state = sent ? 'reviewing' : item.state;
  return (
    <tr data-testid="disagreement-row" data-task-id={item.task_id} data-score={item.score} data-state={state}>
      <td className="num">{rank}</td>
      <td className="num">{item.task_id}</td>
      <td>
        <ScoreBar score={item.score} />
      </td>
      <td>
        {item.model_name}
        {item.model_version && <span className="muted"> {item.model_version}</span>}
      </td>
      <td>
        {item.controls.map((c) => (
          <div key={c.control} className="small">
            {c.control} <span className="mono">{c.score.toFixed(2)}</span>
          </div>
        ))}
      </td>
      <td>
        {item.labels.length === 0 && <span className="muted">—</span>}
        {item.labels.map((l) => (
          <span key={l} className="chip">
            {l}
          </span>
        ))}
      </td>
      <td>
        <span className={`state state-${state}`}>{state}</span>
      </td>
      <td className="actions">
        <SendToReview projectId={projectId} taskId={item.task_id} onSent={() => setSent(true)} />
      </td>
    </tr>
  );
}
