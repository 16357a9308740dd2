// A small history router: the server answers every non-API GET with
// index.html, so plain paths work on reload and in bookmarks.
import { useSyncExternalStore, type AnchorHTMLAttributes, type MouseEvent } from 'react';

export type Route =
  | { name: 'login' }
  | { name: 'projects' }
  | { name: 'new-project' }
  | { name: 'project'; id: number }
  | { name: 'label'; id: number }
  | { name: 'review'; id: number }
  | { name: 'quality'; id: number }
  | { name: 'gallery'; id: number }
  | { name: 'disagreements'; id: number }
  | { name: 'instructions'; id: number }
  | { name: 'versions'; id: number }
  | { name: 'automation'; id: number }
  | { name: 'bakeoffs'; id: number }
  | { name: 'bakeoff'; id: number; bakeoffId: number }
  | { name: 'golden'; id: number }
  | { name: 'training'; id: number }
  | { name: 'workforces' }
  | { name: 'audit' }
  | { name: 'not-found' };

/** The screens under /projects/:id/ (the regular expression below lists the same). */
type ProjectScreen =
  | 'label'
  | 'review'
  | 'quality'
  | 'gallery'
  | 'disagreements'
  | 'instructions'
  | 'versions'
  | 'automation'
  | 'bakeoffs'
  | 'golden'
  | 'training';

export function matchRoute(path: string): Route {
  if (path === '/' || path === '/projects' || path === '/projects/') return { name: 'projects' };
  if (path === '/login') return { name: 'login' };
  if (path === '/projects/new') return { name: 'new-project' };
  if (path === '/workforces' || path === '/workforces/') return { name: 'workforces' };
  if (path === '/audit' || path === '/audit/') return { name: 'audit' };
  const bakeoff = /^\/projects\/(\d+)\/bakeoffs\/(\d+)\/?$/.exec(path);
  if (bakeoff) return { name: 'bakeoff', id: Number(bakeoff[1]), bakeoffId: Number(bakeoff[2]) };
  const project = /^\/projects\/(\d+)(?:\/(label|review|quality|gallery|disagreements|instructions|versions|automation|bakeoffs|golden|training))?\/?$/.exec(path);
  if (project) {
    const id = Number(project[1]);
    const screen = project[2] as ProjectScreen | undefined;
    return screen ? { name: screen, id } : { name: 'project', id };
  }
  return { name: 'not-found' };
}

export const paths = {
  projects: () => '/',
  login: () => '/login',
  newProject: () => '/projects/new',
  project: (id: number) => `/projects/${id}`,
  label: (id: number) => `/projects/${id}/label`,
  review: (id: number) => `/projects/${id}/review`,
  quality: (id: number) => `/projects/${id}/quality`,
  gallery: (id: number) => `/projects/${id}/gallery`,
  disagreements: (id: number) => `/projects/${id}/disagreements`,
  instructions: (id: number) => `/projects/${id}/instructions`,
  versions: (id: number) => `/projects/${id}/versions`,
  automation: (id: number) => `/projects/${id}/automation`,
  bakeoffs: (id: number) => `/projects/${id}/bakeoffs`,
  bakeoff: (id: number, bakeoffId: number) => `/projects/${id}/bakeoffs/${bakeoffId}`,
  /** Where an expert labels tasks as golden answers. */
  golden: (id: number) => `/projects/${id}/golden`,
  /** Practice, qualification and (for managers) the training settings and overview. */
  training: (id: number) => `/projects/${id}/training`,
  workforces: () => '/workforces',
  /** The audit log, of one project when `project` is given. */
  audit: (project?: number) => (project === undefined ? '/audit' : `/audit?project=${project}`),
};

export function navigate(to: string, options: { replace?: boolean } = {}): void {
  if (to === window.location.pathname) return;
  if (options.replace) window.history.replaceState(null, '', to);
  else window.history.pushState(null, '', to);
  window.dispatchEvent(new PopStateEvent('popstate'));
}

function subscribe(onChange: () => void): () => void {
  window.addEventListener('popstate', onChange);
  return () => window.removeEventListener('popstate', onChange);
}

export function usePath(): string {
  return useSyncExternalStore(subscribe, () => window.location.pathname);
}

type LinkProps = AnchorHTMLAttributes<HTMLAnchorElement> & { to: string };

export function Link({ to, onClick, ...rest }: LinkProps) {
  const follow = (event: MouseEvent<HTMLAnchorElement>) => {
    onClick?.(event);
    const modified = event.metaKey || event.ctrlKey || event.shiftKey || event.altKey;
    if (event.defaultPrevented || modified || event.button !== 0) return;
    event.preventDefault();
    navigate(to);
  };
  return <a href={to} onClick={follow} {...rest} />;
}
