import { Link, paths } from '../router';
import { rangeSearch, type DayRange } from './range';

type Screen = 'quality' | 'gallery' | 'disagreements';

const screens: { screen: Screen; title: string }[] = [
  { screen: 'quality', title: 'Quality' },
  { screen: 'gallery', title: 'Sample gallery' },
  { screen: 'disagreements', title: 'Disagreements' },
];

/** The way back to the project and between the three analytics screens, keeping the date range. */
export function AnalyticsNav({ projectId, projectName, current, range }: {
  projectId: number;
  projectName?: string;
  current: Screen;
  range?: DayRange;
}) {
  const search = range ? rangeSearch(range) : '';
  return (
    <nav className="analytics-nav row" data-testid="analytics-nav">
      <Link to={paths.project(projectId)}>← {projectName ?? 'Project'}</Link>
      {screens.map(({ screen, title }) =>
        screen === current ? (
          <strong key={screen} aria-current="page">
            {title}
          </strong>
        ) : (
          <Link key={screen} to={`${paths[screen](projectId)}${search}`} data-testid={`nav-${screen}`}>
            {title}
          </Link>
        ),
      )}
    </nav>
  );
}
