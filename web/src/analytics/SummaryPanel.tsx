import type { ReactNode } from 'react';
import type { AnalyticsSummary } from '../api';
import type { AsyncState } from '../useAsync';
import {
  costs,
  dataValue,
  formatCoefficient,
  formatInterval,
  formatMoney,
  formatNumber,
  formatPercent,
  formatSeconds,
} from './format';
import { TablePanel } from './TablePanel';

function Card({ title, value, raw, detail, testId }: {
  title: string;
  value: string;
  raw?: number | null;
  detail?: ReactNode;
  testId: string;
}) {
  return (
    <div className="stat-card" data-testid={testId} data-value={dataValue(raw)}>
      <div className="stat-title">{title}</div>
      <div className="stat-value">{value}</div>
      {detail && <div className="stat-detail muted">{detail}</div>}
    </div>
  );
}

/** The project's figures over the range (GET …/analytics/summary) and the agreement between labelers per control. */
export function SummaryPanel({ summary, csv }: { summary: AsyncState<AnalyticsSummary>; csv: string }) {
  return (
    <TablePanel title="Summary" testId="summary" csv={csv} state={summary} isEmpty={(s) => s.totals.labels === 0} empty="No labels in this range.">
      {(s) => <Summary summary={s} />}
    </TablePanel>
  );
}

function Summary({ summary: s }: { summary: AnalyticsSummary }) {
  const t = s.totals;
  return (
    <>
      <div className="stat-cards">
        <Card title="Labels" value={formatNumber(t.labels, 0)} raw={t.labels} detail={`${formatNumber(t.revisions, 0)} revisions`} testId="summary-labels" />
        <Card title="Labels per hour" value={formatNumber(t.labels_per_hour)} raw={t.labels_per_hour} detail={`${formatNumber(t.active_hours, 2)} active hours`} testId="summary-labels-per-hour" />
        <Card title="Median active time" value={formatSeconds(t.median_active_seconds)} raw={t.median_active_seconds} testId="summary-active" />
        <Card title="Tasks done" value={formatNumber(t.tasks_done, 0)} raw={t.tasks_done} testId="summary-done" />
        <Card title="Median turnaround" value={formatSeconds(t.median_turnaround_seconds)} raw={t.median_turnaround_seconds} detail="import to done" testId="summary-turnaround" />
        <Card
          title="Golden accuracy"
          value={formatPercent(t.golden.accuracy)}
          raw={t.golden.accuracy}
          detail={`95 % ${formatInterval(t.golden.low, t.golden.high)} · ${formatNumber(t.golden.correct, 0)} of ${formatNumber(t.golden.graded, 0)}`}
          testId="summary-golden"
        />
        <Card title="Agreement with consensus" value={formatPercent(t.agreement.mean)} raw={t.agreement.mean} detail={`${formatNumber(t.agreement.compared, 0)} compared`} testId="summary-agreement" />
        <Card
          title="Rejection rate"
          value={formatPercent(t.rejection_rate)}
          raw={t.rejection_rate}
          detail={`${formatNumber(t.rejected, 0)} of ${formatNumber(t.reviewed, 0)} reviewed`}
          testId="summary-rejection"
        />
        {costs(t.cost).length === 0 && <Card title="Cost" value="—" detail="no priced labels" testId="summary-cost" />}
        {costs(t.cost).map((c) => (
          <Card
            key={c.currency ?? ''}
            title={`Cost${c.currency ? ` (${c.currency})` : ''}`}
            value={formatMoney(c.total, c.currency)}
            raw={c.total}
            detail={`${formatMoney(c.per_label, c.currency)} a label · ${formatMoney(c.per_accepted_label, c.currency)} an accepted label`}
            testId="summary-cost"
          />
        ))}
      </div>
      <h3>Agreement between labelers</h3>
      {s.agreement.length === 0 ? (
        <p className="muted">No single-choice control.</p>
      ) : (
        <table className="table" data-testid="control-agreement">
          <thead>
            <tr>
              <th>Control</th>
              <th>Labels</th>
              <th className="num">Tasks</th>
              <th className="num">Fleiss κ</th>
              <th className="num">Krippendorff α</th>
            </tr>
          </thead>
          <tbody>
            {s.agreement.map((a) => (
              <tr key={a.control} data-testid="control-agreement-row" data-control={a.control}>
                <td>{a.control}</td>
                <td>{a.labels.join(', ')}</td>
                <td className="num">{formatNumber(a.items, 0)}</td>
                <td className="num" data-value={dataValue(a.fleiss_kappa)}>{formatCoefficient(a.fleiss_kappa)}</td>
                <td className="num" data-value={dataValue(a.krippendorff_alpha)}>{formatCoefficient(a.krippendorff_alpha)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
