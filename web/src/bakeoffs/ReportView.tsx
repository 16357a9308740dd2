// The figures of a bake-off report: the ranking with the top two's paired
// test, the accuracy/cost chart, and each candidate's controls, classes and
// worst tasks. Every text is rendered by React as text, never as HTML.
import type { BakeoffReport, CandidateReport } from '../api';
import { duration, fixed, money, withInterval } from './format';
import { TradeoffChart } from './TradeoffChart';

function CandidateDetail({ c }: { c: CandidateReport }) {
  return (
    <div className="panel" data-testid={`candidate-report-${c.id}`}>
      <h3>
        {c.rank}. {c.name}
      </h3>
      <p className="muted">
        {c.kind} · {c.labels} labels · coverage {fixed(c.coverage, 2)} · correct {c.accuracy.correct} ·{' '}
        {c.pricing.model.replace('_', ' ')} {c.pricing.rate} {c.pricing.currency}
        {c.off_version_labels > 0 && ` · ${c.off_version_labels} labels under another instructions version`}
      </p>
      <table className="table">
        <thead>
          <tr>
            <th>Control</th>
            <th>Metric</th>
            <th>Value [95% CI]</th>
          </tr>
        </thead>
        <tbody>
          {c.accuracy.controls.flatMap((k) =>
            k.figures.map((f) => (
              <tr key={`${k.control}-${f.metric}`}>
                <td>{k.control}</td>
                <td>{f.metric}</td>
                <td data-testid={`figure-${c.id}-${k.control}-${f.metric}`}>{withInterval(f)}</td>
              </tr>
            )),
          )}
        </tbody>
      </table>
      <table className="table" data-testid={`classes-${c.id}`}>
        <thead>
          <tr>
            <th>Control</th>
            <th>Class</th>
            <th className="num">Precision</th>
            <th className="num">Recall</th>
            <th className="num">F1</th>
            <th className="num">AP</th>
            <th className="num">Support</th>
          </tr>
        </thead>
        <tbody>
          {c.accuracy.controls.flatMap((k) =>
            k.classes.map((cl) => (
              <tr key={`${k.control}-${cl.label}`}>
                <td>{k.control}</td>
                <td>{cl.label}</td>
                <td className="num">{fixed(cl.precision)}</td>
                <td className="num">{fixed(cl.recall)}</td>
                <td className="num">{fixed(cl.f1)}</td>
                <td className="num">{fixed(cl.ap)}</td>
                <td className="num">{cl.support}</td>
              </tr>
            )),
          )}
        </tbody>
      </table>
      <h4>Worst tasks</h4>
      {c.worst_tasks.length === 0 ? (
        <p className="muted">Every task is right.</p>
      ) : (
        <ul data-testid={`worst-${c.id}`}>
          {c.worst_tasks.map((t) => (
            <li key={t.task_id}>
              task {t.task_id}: score {fixed(t.score, 2)}
              {t.answered ? '' : ' (not answered)'}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

export function ReportView({ report }: { report: BakeoffReport }) {
  const byId = new Map(report.candidates.map((c) => [c.id, c]));
  const ranked = report.ranking.map((id) => byId.get(id)).filter((c): c is CandidateReport => c !== undefined);
  const cmp = report.comparison;
  return (
    <div data-testid="bakeoff-report">
      <div className="panel">
        <h2>Ranking</h2>
        <table className="table" data-testid="ranking-table">
          <thead>
            <tr>
              <th>Rank</th>
              <th>Candidate</th>
              <th className="num">Score</th>
              <th>Accuracy [95% CI]</th>
              <th className="num">Labels</th>
              <th>Turnaround</th>
              <th className="num">Labels/hour</th>
              <th>Cost</th>
            </tr>
          </thead>
          <tbody>
            {ranked.map((c) => (
              <tr key={c.id} data-testid={`rank-${c.rank}`}>
                <td>{c.rank}</td>
                <td>{c.name}</td>
                <td className="num">{fixed(c.rank_score)}</td>
                <td>{withInterval(c.accuracy.score)}</td>
                <td className="num">{c.labels}</td>
                <td>{duration(c.speed.turnaround_ms)}</td>
                <td className="num">{fixed(c.speed.labels_per_hour, 1)}</td>
                <td>{money(c.cost.total, c.cost.currency)}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {cmp && (
          <p data-testid="comparison">
            {byId.get(cmp.first)?.name} − {byId.get(cmp.second)?.name} on the same {cmp.tasks} tasks:{' '}
            {withInterval(cmp.difference)}, p = {fixed(cmp.p_value, 4)}: the gap is{' '}
            <strong>{cmp.significant ? 'significant' : 'not significant'}</strong>.
          </p>
        )}
      </div>
      <div className="panel">
        <h2>Accuracy and cost</h2>
        <TradeoffChart candidates={report.candidates} />
      </div>
      {ranked.map((c) => (
        <CandidateDetail key={c.id} c={c} />
      ))}
    </div>
  );
}
