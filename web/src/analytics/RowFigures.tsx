// The figures every analytics row has (docs/analytics.md), as table cells, so
// the labelers' and the workforces' tables read the same.
import type { AnalyticsRow } from '../api';
import { costs, dataValue, formatInterval, formatMoney, formatNumber, formatPercent, formatSeconds } from './format';

export function FigureHeads() {
  return (
    <>
      <th className="num">Labels</th>
      <th className="num">Labels/h</th>
      <th className="num">Median active</th>
      <th className="num">Golden accuracy</th>
      <th className="num">Agreement</th>
      <th className="num">Rejected</th>
      <th className="num">Cost</th>
      <th className="num">Cost/label</th>
      <th className="num">Cost/accepted</th>
    </>
  );
}

/** `unpriced`: the row's labels cost nothing known, so its cost reads "—". */
export function FigureCells({ row, unpriced = false }: { row: AnalyticsRow; unpriced?: boolean }) {
  const cost = unpriced ? undefined : costs(row.cost)[0];
  return (
    <>
      <td className="num">{formatNumber(row.labels, 0)}</td>
      <td className="num">{formatNumber(row.labels_per_hour)}</td>
      <td className="num">{formatSeconds(row.median_active_seconds)}</td>
      <td className="num" data-testid="golden-accuracy" data-value={dataValue(row.golden.accuracy)}>
        {formatPercent(row.golden.accuracy)}
        <div className="muted small">
          {formatInterval(row.golden.low, row.golden.high)} · {row.golden.correct}/{row.golden.graded}
        </div>
      </td>
      <td className="num" data-testid="agreement" data-value={dataValue(row.agreement.mean)}>
        {formatPercent(row.agreement.mean)}
      </td>
      <td className="num" title={`${row.rejected} of ${row.reviewed} reviewed`} data-value={dataValue(row.rejection_rate)}>
        {formatPercent(row.rejection_rate)}
      </td>
      <td className="num">{formatMoney(cost?.total, cost?.currency)}</td>
      <td className="num">{formatMoney(cost?.per_label, cost?.currency)}</td>
      <td className="num">{formatMoney(cost?.per_accepted_label, cost?.currency)}</td>
    </>
  );
}
