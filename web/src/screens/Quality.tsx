// The manager's quality dashboard of one project (docs/analytics.md): the
// summary, labelers, workforces, instructions versions, days and confusion
// over one date range.
import { api } from '../api';
import { AnalyticsNav } from '../analytics/AnalyticsNav';
import { ConfusionPanel } from '../analytics/ConfusionPanel';
import { InstructionsPanel } from '../analytics/InstructionsPanel';
import { LabelersPanel } from '../analytics/LabelersPanel';
import { apiRange, useDayRange } from '../analytics/range';
import { RangePicker } from '../analytics/RangePicker';
import { SummaryPanel } from '../analytics/SummaryPanel';
import { TimeseriesPanel } from '../analytics/TimeseriesPanel';
import { WorkforcesPanel } from '../analytics/WorkforcesPanel';
import { ErrorText } from '../components/ErrorText';
import { useAsync } from '../useAsync';

export function Quality({ projectId }: { projectId: number }) {
  const project = useAsync(() => api.getProject(projectId), [projectId]);
  const [range, setRange] = useDayRange(30);
  const q = apiRange(range);
  const deps = [projectId, q.from, q.to];
  const summary = useAsync(() => api.analyticsSummary(projectId, q), deps);
  const labelers = useAsync(() => api.analyticsLabelers(projectId, q), deps);
  const workforces = useAsync(() => api.analyticsWorkforces(projectId, q), deps);
  const byInstructions = useAsync(() => api.analyticsInstructions(projectId, q), deps);
  const csv = (table: 'summary' | 'labelers' | 'workforces' | 'instructions') => api.analyticsCsvUrl(projectId, table, { ...q });

  return (
    <section className="analytics" data-testid="quality">
      <AnalyticsNav projectId={projectId} projectName={project.data?.name} current="quality" range={range} />
      <div className="heading">
        <h1>Quality{project.data ? ` — ${project.data.name}` : ''}</h1>
      </div>
      <ErrorText error={project.error} />
      <RangePicker range={range} onChange={setRange} />
      <SummaryPanel summary={summary} csv={csv('summary')} />
      <LabelersPanel labelers={labelers} workforces={workforces.data ?? []} csv={csv('labelers')} />
      <WorkforcesPanel workforces={workforces} csv={csv('workforces')} />
      <InstructionsPanel rows={byInstructions} csv={csv('instructions')} />
      <TimeseriesPanel projectId={projectId} range={range} labelers={labelers.data ?? []} workforces={workforces.data ?? []} />
      {project.data && (
        <ConfusionPanel projectId={projectId} range={range} controls={project.data.schema.controls} labelers={labelers.data ?? []} />
      )}
    </section>
  );
}
