// The sample gallery (docs/analytics.md, "Sample gallery"): a reproducible
// random draw of a project's labels, each drawn on its media, filtered by
// labeler, workforce, class and time, with "Send to review" on each.
import { useEffect, useState, type FormEvent } from 'react';
import { api, type Control, type Sample } from '../api';
import { AnalyticsNav } from '../analytics/AnalyticsNav';
import { formatNumber } from '../analytics/format';
import { apiRange, randomSeed, useDayRange, useQueryParam, writeParams } from '../analytics/range';
import { labelerChoices, Picker, plainChoices, workforceChoices } from '../analytics/Picker';
import { RangePicker } from '../analytics/RangePicker';
import { SampleView } from '../analytics/SampleView';
import { SendToReview } from '../analytics/SendToReview';
import { ErrorText } from '../components/ErrorText';
import { formatTime } from '../format';
import { useAsync } from '../useAsync';

const sizes = [12, 24, 48, 96, 200];
// The server takes a whole number; up to 15 digits it survives a JavaScript number unchanged.
const seedPattern = /^\d{1,15}$/;

function annotatorName(sample: Sample): string {
  const a = sample.annotation;
  return a.annotator?.username ?? a.username ?? (a.user_id !== undefined ? `#${a.user_id}` : '—');
}

export function Gallery({ projectId }: { projectId: number }) {
  const project = useAsync(() => api.getProject(projectId), [projectId]);
  const [range, setRange] = useDayRange(7);
  const [user, setUser] = useQueryParam('user');
  const [workforce, setWorkforce] = useQueryParam('workforce');
  const [label, setLabel] = useQueryParam('label');
  const [size, setSize] = useQueryParam('size');
  const [seed, setSeed] = useQueryParam('seed');
  const [draft, setDraft] = useState(seed);
  const q = apiRange(range);

  const labelers = useAsync(() => api.analyticsLabelers(projectId, q), [projectId, q.from, q.to]);
  const workforces = useAsync(() => api.analyticsWorkforces(projectId, q), [projectId, q.from, q.to]);
  const samples = useAsync(
    () =>
      api.samples(projectId, {
        ...q,
        seed: seed || undefined,
        size: size ? Number(size) : undefined,
        user: user ? Number(user) : undefined,
        workforce: workforce ? Number(workforce) : undefined,
        label: label || undefined,
      }),
    [projectId, q.from, q.to, seed, size, user, workforce, label],
  );

  // Without a seed the server draws one; it goes into the address so that a reload shows the same sample.
  const drawn = samples.data ? String(samples.data.seed) : undefined;
  useEffect(() => {
    if (drawn === undefined) return;
    setDraft(drawn);
    if (!seed) writeParams({ seed: drawn });
  }, [drawn, seed]);

  const controls: Control[] = project.data?.schema.controls ?? [];
  const classes = [...new Set(controls.flatMap((c) => ('labels' in c ? c.labels : [])))];
  const applySeed = (event: FormEvent) => {
    event.preventDefault();
    setSeed(draft.trim());
  };
  const items = samples.data?.items ?? [];

  return (
    <section className="analytics" data-testid="gallery">
      <AnalyticsNav projectId={projectId} projectName={project.data?.name} current="gallery" range={range} />
      <h1>Sample gallery{project.data ? ` — ${project.data.name}` : ''}</h1>
      <ErrorText error={project.error} />
      <RangePicker range={range} onChange={setRange} />
      <form className="row filters" onSubmit={applySeed}>
        <Picker label="Labeler" value={user} onChange={setUser} choices={labelerChoices(labelers.data)} none="anyone" testId="gallery-user" />
        <Picker label="Workforce" value={workforce} onChange={setWorkforce} choices={workforceChoices(workforces.data)} none="any" testId="gallery-workforce" />
        <Picker label="Class" value={label} onChange={setLabel} choices={plainChoices(classes)} none="any" testId="gallery-label" />
        <Picker label="Size" value={size || '24'} onChange={setSize} choices={plainChoices(sizes)} testId="gallery-size" />
        <label className="inline">
          Seed
          <input
            className="seed"
            inputMode="numeric"
            pattern="\d{1,15}"
            title="a whole number of up to 15 digits"
            value={draft}
            onChange={(e) => setDraft(e.target.value)}
            data-testid="gallery-seed"
          />
        </label>
        <button type="submit" disabled={draft.trim() === seed || !seedPattern.test(draft.trim())} data-testid="gallery-draw">
          Draw
        </button>
        <button type="button" onClick={() => setSeed(randomSeed())} data-testid="gallery-reshuffle">
          Reshuffle
        </button>
      </form>
      <ErrorText error={samples.error ?? labelers.error} />
      {!samples.data && !samples.error && <p className="muted">Loading…</p>}
      {samples.data && (
        <p className="muted" data-testid="gallery-count">
          {formatNumber(items.length, 0)} of {formatNumber(samples.data.total, 0)} matching labels · seed {String(samples.data.seed)}
        </p>
      )}
      {samples.data && items.length === 0 && (
        <p className="muted" data-testid="gallery-empty">
          No label matches these filters.
        </p>
      )}
      <div className={samples.loading && samples.data ? 'gallery loading' : 'gallery'}>
        {items.map((sample) => (
          <article
            key={sample.annotation.id}
            className="card sample-card"
            data-testid="sample-card"
            data-task-id={sample.task.id}
            data-username={annotatorName(sample)}
          >
            <header className="sample-head">
              <strong>Task {sample.task.id}</strong>
              <span>{annotatorName(sample)}</span>
              <span className={`state state-${sample.task.state}`}>{sample.task.state}</span>
            </header>
            <SampleView task={sample.task} controls={controls} result={sample.annotation.result ?? []} media={sample.annotation.media} />
            <footer className="sample-foot">
              <span className="muted small">
                {sample.annotation.updated_at || sample.annotation.created_at
                  ? formatTime((sample.annotation.updated_at ?? sample.annotation.created_at)!)
                  : ''}
              </span>
              <SendToReview projectId={projectId} taskId={sample.task.id} />
            </footer>
          </article>
        ))}
      </div>
    </section>
  );
}
