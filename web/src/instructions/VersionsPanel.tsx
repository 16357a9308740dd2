// The versions of a project's instructions, newest first: any one shown as
// labelers read it, and the line diff of any two (body and examples).
import { useEffect, useState } from 'react';
import { api, type Control, type InstructionsVersionSummary } from '../api';
import { ErrorText } from '../components/ErrorText';
import { formatTime } from '../format';
import { useAsync } from '../useAsync';
import { examplesText, hasChanges, lineDiff } from './diff';
import { DiffView } from './DiffView';
import { InstructionsView } from './InstructionsView';

function VersionDiff({ projectId, from, to }: { projectId: number; from: number; to: number }) {
  const pair = useAsync(
    () => Promise.all([api.instructionsVersion(projectId, from), api.instructionsVersion(projectId, to)]),
    [projectId, from, to],
  );
  if (pair.error) return <ErrorText error={pair.error} />;
  if (!pair.data) return <p className="muted">Loading…</p>;
  const [a, b] = pair.data;
  const body = lineDiff(a.body, b.body);
  const examples = lineDiff(examplesText(a.examples), examplesText(b.examples));
  const note = (a.note ?? '') !== (b.note ?? '');
  return (
    <div className={pair.loading ? 'version-diff loading' : 'version-diff'} data-testid="instructions-diff" data-from={from} data-to={to}>
      <h3>
        Version {from} → version {to}
      </h3>
      {b.note && note && <p className="muted">Note of version {to}: {b.note}</p>}
      <h4>Text</h4>
      {hasChanges(body) ? <DiffView lines={body} testId="diff-body" /> : <p className="muted">No change.</p>}
      <h4>Examples</h4>
      {hasChanges(examples) ? <DiffView lines={examples} testId="diff-examples" /> : <p className="muted">No change.</p>}
    </div>
  );
}

export function VersionsPanel({ projectId, controls, versions, error }: {
  projectId: number;
  controls: Control[];
  versions: InstructionsVersionSummary[] | undefined;
  error?: Error;
}) {
  const newest = versions?.[0]?.version;
  const [from, setFrom] = useState<number>();
  const [to, setTo] = useState<number>();
  const [viewed, setViewed] = useState<number>();

  // A new version becomes the right side of the diff, the one before it the left.
  useEffect(() => {
    if (newest === undefined) return;
    setTo(newest);
    setFrom(newest > 1 ? (versions?.[1]?.version ?? newest - 1) : undefined);
  }, [newest]);

  const sides = [
    { side: 'from', pick: setFrom, picked: from },
    { side: 'to', pick: setTo, picked: to },
  ];

  const shown = useAsync(
    () => (viewed === undefined ? Promise.resolve(undefined) : api.instructionsVersion(projectId, viewed)),
    [projectId, viewed],
  );

  return (
    <div className="panel" data-testid="instructions-versions">
      <h2>Versions</h2>
      <ErrorText error={error} />
      {!versions && !error && <p className="muted">Loading…</p>}
      {versions && versions.length === 0 && <p className="muted">No version yet: the first save makes version 1.</p>}
      {versions && versions.length > 0 && (
        <table className="table">
          <thead>
            <tr>
              <th className="num">Version</th>
              <th>Note</th>
              <th>Author</th>
              <th>Saved</th>
              <th title="the left side of the diff">From</th>
              <th title="the right side of the diff">To</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {versions.map((v) => (
              <tr key={v.version} data-testid="instructions-version-row" data-version={v.version}>
                <td className="num">{v.version}</td>
                <td>{v.note || <span className="muted">—</span>}</td>
                <td>{v.author?.username ?? '—'}</td>
                <td>{formatTime(v.created_at)}</td>
                {sides.map(({ side, pick, picked }) => (
                  <td key={side}>
                    <input
                      type="radio"
                      name={`diff-${side}`}
                      checked={picked === v.version}
                      onChange={() => pick(v.version)}
                      aria-label={`Diff ${side} version ${v.version}`}
                      data-testid={`diff-${side}`}
                    />
                  </td>
                ))}
                <td className="actions">
                  <button
                    type="button"
                    className="link"
                    onClick={() => setViewed(viewed === v.version ? undefined : v.version)}
                    data-testid="view-version"
                  >
                    {viewed === v.version ? 'Hide' : 'Show'}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {viewed !== undefined && (
        <div className="card version-shown">
          <ErrorText error={shown.error} />
          {shown.data && <InstructionsView version={shown.data} controls={controls} />}
        </div>
      )}
      {from !== undefined && to !== undefined && from !== to && <VersionDiff projectId={projectId} from={from} to={to} />}
      {versions && versions.length > 1 && (from === undefined || from === to) && (
        <p className="muted">Pick two different versions for their diff.</p>
      )}
    </div>
  );
}
