import { useState } from 'react';
import { api, type DayRow, type LabelerRow, type WorkforceRow } from '../api';
import { ErrorText } from '../components/ErrorText';
import { useAsync } from '../useAsync';
import { CsvLink } from './CsvLink';
import { costs } from './format';
import { labelerChoices, Picker, workforceChoices } from './Picker';
import { apiRange, type DayRange } from './range';
import { SeriesChart, type Series } from './SeriesChart';

type View = 'volume' | 'quality' | 'cost';

const views: { view: View; title: string }[] = [
  { view: 'volume', title: 'Labels and tasks done' },
  { view: 'quality', title: 'Golden accuracy and agreement' },
  { view: 'cost', title: 'Cost' },
];

/** The series of one view: counts, shares, or one total per currency met. */
function seriesOf(view: View, days: DayRow[]): Series[] {
  switch (view) {
    case 'volume':
      return [
        { name: 'Labels', values: days.map((d) => d.labels) },
        { name: 'Tasks done', values: days.map((d) => d.tasks_done) },
      ];
    case 'quality':
      return [
        { name: 'Golden accuracy', values: days.map((d) => d.golden.accuracy) },
        { name: 'Agreement with consensus', values: days.map((d) => d.agreement.mean) },
      ];
    case 'cost': {
      const currencies = [...new Set(days.flatMap((d) => costs(d.cost).map((c) => c.currency ?? '')))];
      return currencies.map((currency) => ({
        name: currency ? `Cost (${currency})` : 'Cost',
        values: days.map((d) => costs(d.cost).find((c) => (c.currency ?? '') === currency)?.total ?? 0),
      }));
    }
  }
}

/** One row per UTC day of the range (GET …/analytics/timeseries), for everyone, a labeler or a workforce. */
export function TimeseriesPanel({ projectId, range, labelers, workforces }: {
  projectId: number;
  range: DayRange;
  labelers: LabelerRow[];
  workforces: WorkforceRow[];
}) {
  const [who, setWho] = useState('');
  const [view, setView] = useState<View>('volume');
  const [kind, id] = who.split(':');
  const filter = { user: kind === 'user' ? Number(id) : undefined, workforce: kind === 'workforce' ? Number(id) : undefined };
  const days = useAsync(
    () => api.analyticsTimeseries(projectId, { ...apiRange(range), ...filter }),
    [projectId, range.from, range.to, who],
  );
  const rows = days.data ?? [];
  const series = seriesOf(view, rows);
  const title = views.find((v) => v.view === view)!.title;

  return (
    <div className="panel" data-testid="timeseries">
      <div className="heading">
        <h2>Per day</h2>
        <CsvLink href={api.analyticsCsvUrl(projectId, 'timeseries', { ...apiRange(range), ...filter })} testId="timeseries-csv" />
      </div>
      <div className="row">
        <Picker
          label="Who"
          value={who}
          onChange={setWho}
          choices={[
            ...labelerChoices(labelers).map((c) => ({ ...c, value: `user:${c.value}`, group: 'Labelers' })),
            ...workforceChoices(workforces).map((c) => ({ ...c, value: `workforce:${c.value}`, group: 'Workforces' })),
          ]}
          none="everyone"
          testId="timeseries-who"
        />
        <Picker
          label="Show"
          value={view}
          onChange={(v) => setView(v as View)}
          choices={views.map((v) => ({ value: v.view, label: v.title }))}
          testId="timeseries-view"
        />
      </div>
      <ErrorText error={days.error} />
      {!days.data && !days.error && <p className="muted">Loading…</p>}
      {days.data && series.length === 0 && <p className="muted">No priced labels in this range.</p>}
      {days.data && series.length > 0 && (
        <SeriesChart
          kind={view === 'quality' ? 'line' : 'bar'}
          labels={rows.map((d) => d.day)}
          series={series}
          percent={view === 'quality'}
          title={`${title} per day`}
          testId="timeseries-chart"
        />
      )}
    </div>
  );
}
