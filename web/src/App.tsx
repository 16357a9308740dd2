import { lazy, Suspense, useEffect, useState, type ReactNode } from 'react';
import { api, setUnauthenticatedHandler, type User } from './api';
import { TopBar } from './components/TopBar';
import { matchRoute, navigate, paths, usePath, type Route } from './router';
import { AnalyticsScreen } from './screens/Analytics';
import { CreateProject } from './screens/CreateProject';
import { Labeling } from './screens/Labeling';
import { Login } from './screens/Login';
import { ProjectPage } from './screens/ProjectPage';
import { ProjectsList } from './screens/ProjectsList';
import { ReviewQueue } from './screens/ReviewQueue';
import { Workforces } from './screens/Workforces';
import { canManage, canReview } from './session';

// The manager's screens of instructions, dataset versions and the audit log,
// loaded on first use (the editor brings the diff library).
const Instructions = lazy(() => import('./screens/Instructions').then((m) => ({ default: m.Instructions })));
const DatasetVersions = lazy(() => import('./screens/DatasetVersions').then((m) => ({ default: m.DatasetVersions })));
const Automation = lazy(() => import('./screens/Automation').then((m) => ({ default: m.Automation })));
const Bakeoffs = lazy(() => import('./screens/Bakeoffs').then((m) => ({ default: m.Bakeoffs })));
const BakeoffScreen = lazy(() => import('./screens/Bakeoff').then((m) => ({ default: m.BakeoffScreen })));
const Training = lazy(() => import('./screens/Training').then((m) => ({ default: m.Training })));
const GoldenLabeling = lazy(() => import('./screens/GoldenLabeling').then((m) => ({ default: m.GoldenLabeling })));
const Audit = lazy(() => import('./screens/Audit').then((m) => ({ default: m.Audit })));

function Later({ children }: { children: ReactNode }) {
  return <Suspense fallback={<p className="muted">Loading…</p>}>{children}</Suspense>;
}

/** undefined while the session is being checked, null when logged out. */
type Session = User | null | undefined;

export function App() {
  const route = matchRoute(usePath());
  const [user, setUser] = useState<Session>(undefined);

  useEffect(() => {
    setUnauthenticatedHandler(() => setUser(null));
    api.me().then(setUser, () => setUser(null));
  }, []);

  useEffect(() => {
    if (user === null && route.name !== 'login') navigate(paths.login(), { replace: true });
    if (user && route.name === 'login') navigate(paths.projects(), { replace: true });
  }, [user, route.name]);

  if (user === undefined) return <p className="page muted">Loading…</p>;

  if (user === null) {
    return (
      <Login
        onLogin={(u) => {
          setUser(u);
          navigate(paths.projects());
        }}
      />
    );
  }

  const logout = () => {
    api.logout().catch(() => undefined).finally(() => {
      setUser(null);
      navigate(paths.login());
    });
  };

  return (
    <>
      <TopBar user={user} onLogout={logout} />
      <main className="page">
        <Screen route={route} user={user} />
      </main>
    </>
  );
}

function Screen({ route, user }: { route: Route; user: User }) {
  switch (route.name) {
    case 'login':
    case 'projects':
      return <ProjectsList user={user} />;
    case 'label':
      return <Labeling projectId={route.id} />;
    case 'new-project':
      return canManage(user) ? <CreateProject /> : <Forbidden />;
    case 'project':
      return canManage(user) ? <ProjectPage projectId={route.id} /> : <Forbidden />;
    case 'review':
      return canReview(user) ? <ReviewQueue projectId={route.id} /> : <Forbidden who="reviewers, managers and admins" />;
    case 'quality':
    case 'gallery':
    case 'disagreements':
      return canManage(user) ? <AnalyticsScreen screen={route.name} projectId={route.id} /> : <Forbidden />;
    case 'instructions':
      return canManage(user) ? <Later><Instructions projectId={route.id} /></Later> : <Forbidden />;
    case 'versions':
      return canManage(user) ? <Later><DatasetVersions projectId={route.id} /></Later> : <Forbidden />;
    case 'automation':
      return canManage(user) ? <Later><Automation projectId={route.id} /></Later> : <Forbidden />;
    case 'bakeoffs':
      return canManage(user) ? <Later><Bakeoffs projectId={route.id} /></Later> : <Forbidden />;
    case 'bakeoff':
      return canManage(user) ? <Later><BakeoffScreen projectId={route.id} bakeoffId={route.bakeoffId} /></Later> : <Forbidden />;
    case 'golden':
      return canManage(user) ? <Later><GoldenLabeling projectId={route.id} /></Later> : <Forbidden />;
    case 'training':
      return <Later><Training projectId={route.id} user={user} /></Later>;
    case 'audit':
      return canManage(user) ? <Later><Audit /></Later> : <Forbidden />;
    case 'workforces':
      return canManage(user) ? <Workforces /> : <Forbidden />;
    case 'not-found':
      return <p>There is no page at this address.</p>;
  }
}

function Forbidden({ who = 'managers and admins' }: { who?: string }) {
  return <p>Only {who} can open this page.</p>;
}
