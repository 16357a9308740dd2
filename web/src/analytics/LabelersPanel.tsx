import { useState } from 'react';
import type { LabelerRow, WorkforceRow } from '../api';
import type { AsyncState } from '../useAsync';
import { dataValue, formatCoefficient } from './format';
import { Picker } from './Picker';
import { FigureCells, FigureHeads } from './RowFigures';
import { TablePanel } from './TablePanel';
import { SeriesChart } from './SeriesChart';

interface Metric {
  title: string;
  value: (row: LabelerRow) => number | null;
  percent: boolean;
}

/** The figures the per-labeler chart can show. */
const metrics: Record<string, Metric> = {
  golden: { title: 'Golden accuracy', value: (r) => r.golden.accuracy, percent: true },
  labels_per_hour: { title: 'Labels per hour', value: (r) => r.labels_per_hour, percent: false },
  labels: { title: 'Labels', value: (r) => r.labels, percent: false },
  agreement: { title: 'Agreement with consensus', value: (r) => r.agreement.mean, percent: true },
  rejection_rate: { title: 'Rejection rate', value: (r) => r.rejection_rate, percent: true },
};

/** The single-choice controls that some labeler has a κ for, in the order first met. */
function kappaControls(rows: LabelerRow[]): string[] {
  return [...new Set(rows.flatMap((r) => (r.kappa ?? []).map((k) => k.control)))];
}

/** Per labeler over the range (GET …/analytics/labelers), with a bar chart of one figure. */
export function LabelersPanel({ labelers, workforces, csv }: {
  labelers: AsyncState<LabelerRow[]>;
  workforces: WorkforceRow[];
  csv: string;
}) {
  return (
    <TablePanel
      title="Labelers"
      testId="labelers"
      csv={csv}
      state={labelers}
      isEmpty={(rows) => rows.length === 0}
      empty="Nobody labeled in this range."
    >
      {(rows) => rows.length > 0 && <Labelers rows={rows} workforces={workforces} />}
    </TablePanel>
  );
}

function Labelers({ rows, workforces }: { rows: LabelerRow[]; workforces: WorkforceRow[] }) {
  const [metric, setMetric] = useState('golden');
  const chosen = metrics[metric] ?? metrics.golden!;
  const controls = kappaControls(rows);
  const workforceName = (row: LabelerRow) => {
    if (row.workforce_id === null || row.workforce_id === undefined) return row.unpriced ? 'unpriced' : '—';
    return workforces.find((w) => w.workforce_id === row.workforce_id)?.name ?? `#${row.workforce_id}`;
  };
  return (
    <>
      <div className="table-scroll">
        <table className="table" data-testid="labelers-table">
          <thead>
            <tr>
              <th>Labeler</th>
              <th>Workforce</th>
              <FigureHeads />
              {controls.map((c) => (
                <th key={c} className="num" title={`Cohen's κ of ${c} against the final labels`}>
                  κ {controls.length > 1 ? c : ''}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.user_id} data-testid="labeler-row" data-username={r.username} data-user-id={r.user_id}>
                <td>{r.username}</td>
                <td>{workforceName(r)}</td>
                <FigureCells row={r} unpriced={r.unpriced} />
                {controls.map((c) => {
                  const kappa = r.kappa?.find((k) => k.control === c)?.kappa;
                  return (
                    <td key={c} className="num" data-testid="kappa" data-control={c} data-value={dataValue(kappa)}>
                      {formatCoefficient(kappa)}
                    </td>
                  );
                })}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <div className="chart-head row">
        <h3>Per labeler</h3>
        <Picker
          label="Figure"
          value={metric}
          onChange={setMetric}
          choices={Object.entries(metrics).map(([key, m]) => ({ value: key, label: m.title }))}
          testId="labeler-metric"
        />
      </div>
      <SeriesChart
        kind="bar"
        labels={rows.map((r) => r.username)}
        series={[{ name: chosen.title, values: rows.map(chosen.value) }]}
        percent={chosen.percent}
        title={`${chosen.title} per labeler`}
        testId="labeler-chart"
      />
    </>
  );
}
