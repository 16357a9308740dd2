// The diff of two dataset versions: how many tasks were added, removed,
// relabeled or left alone, the classes gained and lost, and the task ids.
import type { DatasetDiff } from '../api';
import { api } from '../api';
import { Picker, plainChoices } from '../analytics/Picker';
import { ErrorText } from '../components/ErrorText';
import { formatCount } from '../format';
import { useAsync } from '../useAsync';

/** A list of task ids; the server sends at most 1,000 of each kind. */
function IdList({ title, ids, total, testId }: { title: string; ids: number[]; total: number; testId: string }) {
  return (
    <div className="id-list" data-testid={testId} data-count={ids.length}>
      <h4>
        {title} ({formatCount(total)})
      </h4>
      {ids.length === 0 ? (
        <p className="muted">None.</p>
      ) : (
        <p className="mono wrap">
          {ids.join(', ')}
          {total > ids.length && ` … (the first ${formatCount(ids.length)} of ${formatCount(total)})`}
        </p>
      )}
    </div>
  );
}

function DiffFigures({ diff }: { diff: DatasetDiff }) {
  const cards: [string, number][] = [
    ['added', diff.added],
    ['removed', diff.removed],
    ['relabeled', diff.relabeled],
    ['unchanged', diff.unchanged],
  ];
  return (
    <>
      <div className="stat-cards">
        {cards.map(([name, value]) => (
          <div key={name} className="stat-card" data-testid={`diff-${name}`} data-value={value}>
            <div className="stat-title">{name}</div>
            <div className="stat-value">{formatCount(value)}</div>
          </div>
        ))}
      </div>
      <h3>Per class</h3>
      {diff.classes.length === 0 ? (
        <p className="muted">No class gained or lost a label.</p>
      ) : (
        <table className="table" data-testid="diff-classes">
          <thead>
            <tr>
              <th>Class</th>
              <th className="num">Gained</th>
              <th className="num">Lost</th>
              <th className="num">Net</th>
            </tr>
          </thead>
          <tbody>
            {diff.classes.map((c) => (
              <tr key={c.class} data-testid="diff-class" data-class={c.class}>
                <td>{c.class}</td>
                <td className="num diff-plus">{c.added > 0 ? `+${formatCount(c.added)}` : '0'}</td>
                <td className="num diff-minus">{c.removed > 0 ? `−${formatCount(c.removed)}` : '0'}</td>
                <td className="num">{c.added - c.removed > 0 ? '+' : ''}{formatCount(c.added - c.removed)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h3>Tasks</h3>
      <IdList title="Added" ids={diff.tasks.added} total={diff.added} testId="diff-added-ids" />
      <IdList title="Removed" ids={diff.tasks.removed} total={diff.removed} testId="diff-removed-ids" />
      <IdList title="Relabeled" ids={diff.tasks.relabeled} total={diff.relabeled} testId="diff-relabeled-ids" />
    </>
  );
}

export function VersionDiffPanel({ projectId, names, from, to, onFrom, onTo }: {
  projectId: number;
  names: string[];
  from: string;
  to: string;
  onFrom: (name: string) => void;
  onTo: (name: string) => void;
}) {
  const ready = from !== '' && to !== '' && from !== to;
  const diff = useAsync(
    () => (ready ? api.datasetDiff(projectId, from, to) : Promise.resolve(undefined)),
    [projectId, from, to],
  );
  return (
    <div className="panel" data-testid="version-diff">
      <div className="heading">
        <h2>Compare</h2>
        <div className="row">
          <Picker label="From" value={from} onChange={onFrom} choices={plainChoices(names)} none="—" testId="diff-from" />
          <Picker label="To" value={to} onChange={onTo} choices={plainChoices(names)} none="—" testId="diff-to" />
        </div>
      </div>
      {!ready && <p className="muted">Pick two different versions.</p>}
      <ErrorText error={diff.error} />
      {ready && !diff.data && !diff.error && <p className="muted">Loading…</p>}
      {ready && diff.data && (
        <div className={diff.loading ? 'loading' : undefined}>
          <DiffFigures diff={diff.data} />
        </div>
      )}
    </div>
  );
}
