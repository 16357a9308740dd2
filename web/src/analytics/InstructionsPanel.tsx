import type { InstructionsVersionRow } from '../api';
import type { AsyncState } from '../useAsync';
import { formatInterval, formatNumber, formatPercent } from './format';
import { TablePanel } from './TablePanel';

/**
 * Golden accuracy and agreement by the instructions version the labels were
 * made under (GET …/analytics/instructions): did a new version help?
 */
export function InstructionsPanel({ rows, csv }: { rows: AsyncState<InstructionsVersionRow[]>; csv: string }) {
  return (
    <TablePanel
      title="By instructions version"
      testId="instructions-versions"
      csv={csv}
      state={rows}
      isEmpty={(r) => r.length === 0}
      empty="No labels in this range."
    >
      {(r) =>
        r.length > 0 && (
          <div className="table-scroll">
            <table className="table" data-testid="instructions-versions-table">
              <thead>
                <tr>
                  <th>Instructions</th>
                  <th className="num">Labels</th>
                  <th className="num">Golden graded</th>
                  <th className="num">Golden accuracy</th>
                  <th className="num">95% interval</th>
                  <th className="num">Agreement</th>
                </tr>
              </thead>
              <tbody>
                {r.map((v) => (
                  <tr key={v.version} data-testid="instructions-version-row" data-version={v.version}>
                    <td>{v.version === 0 ? 'none' : `version ${v.version}`}</td>
                    <td className="num">{formatNumber(v.labels, 0)}</td>
                    <td className="num">{formatNumber(v.golden.graded, 0)}</td>
                    <td className="num" data-testid="instructions-version-accuracy">
                      {formatPercent(v.golden.accuracy)}
                    </td>
                    <td className="num">{formatInterval(v.golden.low, v.golden.high)}</td>
                    <td className="num" title={`${v.agreement.compared} compared with the final label`}>
                      {formatPercent(v.agreement.mean)}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )
      }
    </TablePanel>
  );
}
