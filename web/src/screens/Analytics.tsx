// The three analytics screens, loaded on first use: they bring Chart.js,
// which the labeling and review views never need.
import { lazy, Suspense } from 'react';

const Quality = lazy(() => import('./Quality').then((m) => ({ default: m.Quality })));
const Gallery = lazy(() => import('./Gallery').then((m) => ({ default: m.Gallery })));
const Disagreements = lazy(() => import('./Disagreements').then((m) => ({ default: m.Disagreements })));

export type AnalyticsScreenName = 'quality' | 'gallery' | 'disagreements';

export function AnalyticsScreen({ screen, projectId }: { screen: AnalyticsScreenName; projectId: number }) {
  return (
    <Suspense fallback={<p className="muted">Loading…</p>}>
      {screen === 'quality' && <Quality projectId={projectId} />}
      {screen === 'gallery' && <Gallery projectId={projectId} />}
      {screen === 'disagreements' && <Disagreements projectId={projectId} />}
    </Suspense>
  );
}
