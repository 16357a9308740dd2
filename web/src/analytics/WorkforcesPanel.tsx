import type { Pricing, WorkforceRow } from '../api';
import type { AsyncState } from '../useAsync';
import { formatMoney, formatNumber } from './format';
import { FigureCells, FigureHeads } from './RowFigures';
import { TablePanel } from './TablePanel';

function pricingText(pricing: Pricing | undefined): string {
  if (!pricing) return '—';
  return `${formatMoney(pricing.rate, pricing.currency)} ${pricing.model === 'per_hour' ? 'an hour' : 'a label'}`;
}

function membersOf(row: WorkforceRow): { count: number; names?: string } {
  return Array.isArray(row.members)
    ? { count: row.members.length, names: row.members.map((m) => m.username).join(', ') }
    : { count: row.members };
}

/** Per workforce over the range (GET …/analytics/workforces). */
export function WorkforcesPanel({ workforces, csv }: { workforces: AsyncState<WorkforceRow[]>; csv: string }) {
  return (
    <TablePanel
      title="Workforces"
      testId="workforces"
      csv={csv}
      state={workforces}
      isEmpty={(rows) => rows.length === 0}
      empty="No workforce has access to this project or a member who labeled in it."
    >
      {(rows) => rows.length > 0 && <Workforces rows={rows} />}
    </TablePanel>
  );
}

function Workforces({ rows }: { rows: WorkforceRow[] }) {
  return (
    <div className="table-scroll">
      <table className="table" data-testid="workforces-table">
        <thead>
          <tr>
            <th>Workforce</th>
            <th>Kind</th>
            <th>Pricing</th>
            <th className="num">Labelers</th>
            <FigureHeads />
          </tr>
        </thead>
        <tbody>
          {rows.map((w) => {
            const members = membersOf(w);
            return (
              <tr key={w.workforce_id} data-testid="workforce-row" data-name={w.name}>
                <td>{w.name}</td>
                <td>{w.kind}</td>
                <td>{pricingText(w.pricing)}</td>
                <td className="num" title={members.names}>
                  {formatNumber(members.count, 0)}
                </td>
                <FigureCells row={w} />
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
