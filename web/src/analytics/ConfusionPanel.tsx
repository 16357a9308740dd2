import { useState } from 'react';
import { api, type Control, type LabelerRow } from '../api';
import { ErrorText } from '../components/ErrorText';
import { useAsync } from '../useAsync';
import { CsvLink } from './CsvLink';
import { formatNumber, formatPercent } from './format';
import { labelerChoices, Picker, plainChoices } from './Picker';
import { apiRange, type DayRange } from './range';

/**
 * A confusion matrix as a heat-map table: a row per consensus (true) label, a
 * column per given label; each cell is shaded by its share of the row.
 */
function HeatMap({ labels, matrix, probabilities, testId }: {
  labels: string[];
  matrix: number[][];
  /** Cells are probabilities (Dawid–Skene) rather than counts. */
  probabilities: boolean;
  testId: string;
}) {
  return (
    <div className="table-scroll">
      <table className="table heat-map" data-testid={testId}>
        <thead>
          <tr>
            <th>consensus ↓ · given →</th>
            {labels.map((l) => (
              <th key={l} className="num">
                {l}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {labels.map((t, i) => {
            const row = matrix[i] ?? [];
            const sum = row.reduce((a, b) => a + b, 0);
            return (
              <tr key={t}>
                <th>{t}</th>
                {labels.map((g, j) => {
                  const value = row[j] ?? 0;
                  const share = probabilities ? value : sum > 0 ? value / sum : 0;
                  return (
                    <td
                      key={g}
                      className={i === j ? 'num diagonal' : 'num'}
                      style={{ background: `rgba(47, 111, 222, ${(share * 0.85).toFixed(3)})`, color: share > 0.55 ? '#fff' : undefined }}
                      title={`consensus ${t}, given ${g}: ${probabilities ? formatPercent(value) : `${value} (${formatPercent(share)} of the row)`}`}
                      data-value={value}
                    >
                      {probabilities ? formatPercent(value) : formatNumber(value, 0)}
                    </td>
                  );
                })}
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

function isSingleChoice(control: Control): boolean {
  return control.type === 'choice' && !control.multiple;
}

/** Observed confusion (GET …/analytics/confusion) of everyone or one labeler, and that labeler's Dawid–Skene matrix. */
export function ConfusionPanel({ projectId, range, controls, labelers }: {
  projectId: number;
  range: DayRange;
  controls: Control[];
  labelers: LabelerRow[];
}) {
  const choices = controls.filter(isSingleChoice);
  const [control, setControl] = useState(choices[0]?.name ?? '');
  const [user, setUser] = useState('');
  const q = { ...apiRange(range), control: control || undefined, user: user ? Number(user) : undefined };
  const confusion = useAsync(
    () => (choices.length > 0 ? api.analyticsConfusion(projectId, q) : Promise.resolve(null)),
    [projectId, range.from, range.to, control, user, choices.length],
  );
  const c = confusion.data;
  const ds = c?.dawid_skene;
  const selected = labelers.find((l) => String(l.user_id) === user);
  const dsMatrix = user ? ds?.labelers.find((l) => String(l.user_id) === user) : undefined;
  const observedTotal = c?.observed.flat().reduce((a, b) => a + b, 0) ?? 0;

  return (
    <div className="panel" data-testid="confusion">
      <div className="heading">
        <h2>Confusion</h2>
        {choices.length > 0 && <CsvLink href={api.analyticsCsvUrl(projectId, 'confusion', q)} testId="confusion-csv" />}
      </div>
      {choices.length === 0 ? (
        <p className="muted">The project has no single-choice control.</p>
      ) : (
        <>
          <div className="row">
            <Picker label="Control" value={control} onChange={setControl} choices={plainChoices(choices.map((ch) => ch.name))} testId="confusion-control" />
            <Picker label="Labeler" value={user} onChange={setUser} choices={labelerChoices(labelers)} none="everyone" testId="confusion-user" />
          </div>
          <ErrorText error={confusion.error} />
          {!c && !confusion.error && <p className="muted">Loading…</p>}
          {c && (
            <div className={confusion.loading ? 'confusion-grid loading' : 'confusion-grid'}>
              <div>
                <h3>Observed{selected ? ` — ${selected.username}` : ''}</h3>
                {observedTotal === 0 ? (
                  <p className="muted">No task with 2+ labels completed in this range.</p>
                ) : (
                  <HeatMap labels={c.labels} matrix={c.observed} probabilities={false} testId="confusion-observed" />
                )}
              </div>
              <div>
                <h3>Dawid–Skene{selected ? ` — ${selected.username}` : ''}</h3>
                {!ds && <p className="muted">Not fitted yet: no done task with 2+ votes.</p>}
                {ds && !user && <p className="muted">Pick a labeler to see their matrix.</p>}
                {ds && user && !dsMatrix && <p className="muted">This labeler is not in the fit.</p>}
                {dsMatrix && (
                  <>
                    <HeatMap labels={c.labels} matrix={dsMatrix.matrix} probabilities testId="confusion-dawid-skene" />
                    <p className="muted small">Fitted over {formatNumber(ds!.fitted_tasks, 0)} done tasks.</p>
                  </>
                )}
              </div>
            </div>
          )}
        </>
      )}
    </div>
  );
}
