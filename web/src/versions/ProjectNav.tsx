import { Link, paths } from '../router';

type Screen = 'instructions' | 'versions' | 'bakeoffs' | 'golden' | 'training' | 'audit';

const screens: { screen: Screen; title: string; to: (id: number) => string }[] = [
  { screen: 'instructions', title: 'Instructions', to: paths.instructions },
  { screen: 'versions', title: 'Dataset versions', to: paths.versions },
  { screen: 'bakeoffs', title: 'Bake-offs', to: paths.bakeoffs },
  { screen: 'golden', title: 'Golden tasks', to: paths.golden },
  { screen: 'training', title: 'Training', to: paths.training },
  { screen: 'audit', title: 'Audit log', to: (id) => paths.audit(id) },
];

/** The way back to the project and between its instructions, dataset versions and audit log. */
export function ProjectNav({ projectId, projectName, current }: { projectId: number; projectName?: string; current: Screen }) {
  return (
    <nav className="analytics-nav row" data-testid="project-nav">
      <Link to={paths.project(projectId)}>← {projectName ?? 'Project'}</Link>
      {screens.map(({ screen, title, to }) =>
        screen === current ? (
          <strong key={screen} aria-current="page">
            {title}
          </strong>
        ) : (
          <Link key={screen} to={to(projectId)} data-testid={`nav-${screen}`}>
            {title}
          </Link>
        ),
      )}
    </nav>
  );
}
