// One bake-off: its candidates (a vendor's file to send and its returned
// file to import), the ranking weights, and the report with its HTML and JSON
// exports.
import { useEffect, useState } from 'react';
import { api, type BakeoffCandidate, type BakeoffFormat, type BakeoffWeights } from '../api';
import { ReportView } from '../bakeoffs/ReportView';
import { ErrorText, withField } from '../components/ErrorText';
import { formatTime } from '../format';
import { Link, paths } from '../router';
import { useAction } from '../useAction';
import { useAsync } from '../useAsync';
import { ProjectNav } from '../versions/ProjectNav';

function VendorFiles({
  projectId,
  bakeoffId,
  candidate,
  closed,
  onImported,
}: {
  projectId: number;
  bakeoffId: number;
  candidate: BakeoffCandidate;
  closed: boolean;
  onImported: () => void;
}) {
  const format = (candidate.format ?? 'json') as BakeoffFormat;
  const upload = useAction();
  const [outcome, setOutcome] = useState<string>();
  const onFile = async (file: File | undefined) => {
    if (!file) return;
    setOutcome(undefined);
    await upload.run(async () => {
      const r = await api.importCandidate(projectId, bakeoffId, candidate.id, file, format);
      setOutcome(`Imported ${r.imported} labels (${r.missing} tasks unanswered).`);
      onImported();
    });
  };
  return (
    <div className="row">
      <a className="button" href={api.candidateExportUrl(projectId, bakeoffId, candidate.id, format)} data-testid={`export-${candidate.id}`}>
        Download the tasks ({format})
      </a>
      {!closed && (
        <label className="button">
          Import the returned file
          <input
            type="file"
            hidden
            accept={format === 'csv' ? '.csv,text/csv' : '.json,application/json'}
            onChange={(e) => void onFile(e.target.files?.[0])}
            data-testid={`import-${candidate.id}`}
          />
        </label>
      )}
      {outcome && (
        <span className="ok" data-testid={`imported-${candidate.id}`}>
          {outcome}
        </span>
      )}
      <ErrorText error={withField(upload.error)} testId={`import-error-${candidate.id}`} />
    </div>
  );
}

export function BakeoffScreen({ projectId, bakeoffId }: { projectId: number; bakeoffId: number }) {
  const project = useAsync(() => api.getProject(projectId), [projectId]);
  const bakeoff = useAsync(() => api.bakeoff(projectId, bakeoffId), [projectId, bakeoffId]);
  const [weights, setWeights] = useState<BakeoffWeights>();
  const [generation, setGeneration] = useState(0);
  const report = useAsync(() => api.bakeoffReport(projectId, bakeoffId, weights), [projectId, bakeoffId, weights, generation]);
  const save = useAction();
  const b = bakeoff.data;

  useEffect(() => {
    if (b && !weights) setWeights(b.weights);
  }, [b]);

  const refresh = () => {
    bakeoff.reload();
    setGeneration((g) => g + 1);
  };
  const setWeight = (key: keyof BakeoffWeights, value: number) =>
    setWeights((w) => (w ? { ...w, [key]: value } : w));

  return (
    <section className="bakeoff-screen" data-testid="bakeoff-screen">
      <ProjectNav projectId={projectId} projectName={project.data?.name} current="bakeoffs" />
      <ErrorText error={bakeoff.error} />
      {b && (
        <>
          <h1 data-testid="bakeoff-title">Bake-off: {b.name}</h1>
          <p className="muted">
            Golden set {b.golden_set.name} v{b.golden_set.version} ({b.golden_set.tasks} tasks) ·{' '}
            {b.instructions_version > 0 ? `instructions v${b.instructions_version}` : 'no instructions'} · {b.state} · started {formatTime(b.created_at)} ·{' '}
            <Link to={paths.bakeoffs(projectId)}>all bake-offs</Link>
          </p>
          <div className="panel">
            <h2>Candidates</h2>
            <table className="table" data-testid="candidates-table">
              <thead>
                <tr>
                  <th>Candidate</th>
                  <th>Kind</th>
                  <th className="num">Labels</th>
                  <th>Sent</th>
                  <th>Returned</th>
                  <th>Files</th>
                </tr>
              </thead>
              <tbody>
                {b.candidates.map((c) => (
                  <tr key={c.id} data-testid={`candidate-${c.id}`}>
                    <td>{c.name}</td>
                    <td>{c.kind}</td>
                    <td className="num" data-testid={`labels-${c.id}`}>
                      {c.labels} / {c.tasks}
                    </td>
                    <td>{c.sent_at ? formatTime(c.sent_at) : '—'}</td>
                    <td>{c.returned_at ? formatTime(c.returned_at) : '—'}</td>
                    <td>
                      {c.kind === 'vendor' ? (
                        <VendorFiles projectId={projectId} bakeoffId={b.id} candidate={c} closed={b.state === 'closed'} onImported={refresh} />
                      ) : (
                        <span className="muted">labels in Plumb</span>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <div className="panel">
            <h2>Weights</h2>
            {weights && (
              <div className="row" data-testid="weights">
                {(['accuracy', 'speed', 'cost'] as const).map((key) => (
                  <label key={key} className="inline">
                    {key} {weights[key]}
                    <input
                      type="range"
                      min={0}
                      max={100}
                      value={weights[key]}
                      onChange={(e) => setWeight(key, Number(e.target.value))}
                      data-testid={`weight-${key}`}
                    />
                  </label>
                ))}
                <button
                  type="button"
                  disabled={save.busy || weights.accuracy + weights.speed + weights.cost === 0}
                  onClick={() => void save.run(async () => {
                    await api.updateBakeoff(projectId, b.id, { weights });
                    bakeoff.reload();
                  })}
                  data-testid="save-weights"
                >
                  Keep these weights
                </button>
              </div>
            )}
            <ErrorText error={withField(save.error)} />
            <div className="row">
              <a className="button" href={api.bakeoffReportUrl(projectId, b.id, 'html', weights)} data-testid="report-html">
                Download the report (HTML)
              </a>
              <a className="button" href={api.bakeoffReportUrl(projectId, b.id, 'json', weights)} data-testid="report-json">
                Download the report (JSON)
              </a>
              <button type="button" onClick={refresh} data-testid="refresh-report">
                Refresh
              </button>
              {b.state === 'open' && (
                <button
                  type="button"
                  onClick={() => void save.run(async () => {
                    await api.updateBakeoff(projectId, b.id, { state: 'closed' });
                    refresh();
                  })}
                  data-testid="close-bakeoff"
                >
                  Close the bake-off
                </button>
              )}
            </div>
          </div>
        </>
      )}
      <ErrorText error={report.error} />
      {report.data && <ReportView report={report.data} />}
    </section>
  );
}
