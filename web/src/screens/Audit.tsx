// The audit log (docs/datasets.md, Audit log): administrative actions, newest
// first, of every project for an admin and of their projects for a manager,
// filtered by project and paged with the server's cursor.
import { api, type AuditEntry } from '../api';
import { Picker } from '../analytics/Picker';
import { useQueryParam } from '../analytics/range';
import { CursorPager, useCursors } from '../components/CursorPager';
import { ErrorText } from '../components/ErrorText';
import { formatTime } from '../format';
import { Link, paths } from '../router';
import { useAsync } from '../useAsync';

const pageSize = 50;

/** Details as one line of `key: value` pairs; nested values as JSON text. */
function detailsText(details: unknown): string {
  if (details === null || details === undefined) return '';
  if (typeof details !== 'object') return String(details);
  return Object.entries(details as Record<string, unknown>)
    .map(([key, value]) => `${key}: ${typeof value === 'string' ? value : JSON.stringify(value)}`)
    .join(' · ');
}

function AuditRow({ entry, projectName }: { entry: AuditEntry; projectName?: string }) {
  return (
    <tr data-testid="audit-row" data-action={entry.action} data-id={entry.id}>
      <td className="nowrap">{formatTime(entry.at)}</td>
      <td>{entry.user?.username ?? <span className="muted">system</span>}</td>
      <td>
        <span className="mono">{entry.action}</span>
      </td>
      <td>
        {entry.project_id !== null && entry.project_id !== undefined ? (
          <Link to={paths.project(entry.project_id)}>{projectName ?? `#${entry.project_id}`}</Link>
        ) : (
          <span className="muted">—</span>
        )}
      </td>
      <td className="wrap">{entry.target !== null && entry.target !== undefined ? String(entry.target) : '—'}</td>
      <td className="wrap small">{detailsText(entry.details)}</td>
    </tr>
  );
}

export function Audit() {
  const [project, setProject] = useQueryParam('project');
  const pages = useCursors();
  const cursor = pages.cursor;
  const projects = useAsync(() => api.listProjects(), []);
  const projectId = /^\d+$/.test(project) ? Number(project) : undefined;
  const page = useAsync(() => api.audit({ project: projectId, limit: pageSize, cursor }), [projectId, cursor]);
  const names = new Map((projects.data?.items ?? []).map((p) => [p.id, p.name]));
  const items = page.data?.items ?? [];
  const nextCursor = page.data?.next_cursor;
  const first = pages.page * pageSize;

  const choose = (value: string) => {
    setProject(value);
    pages.reset();
  };

  return (
    <section className="audit" data-testid="audit-screen">
      <p>
        {projectId !== undefined ? (
          <Link to={paths.project(projectId)}>← {names.get(projectId) ?? 'Project'}</Link>
        ) : (
          <Link to={paths.projects()}>← Projects</Link>
        )}
      </p>
      <div className="heading">
        <h1>Audit log</h1>
        <Picker
          label="Project"
          value={project}
          onChange={choose}
          choices={(projects.data?.items ?? []).map((p) => ({ value: String(p.id), label: p.name }))}
          none="all"
          testId="audit-project"
        />
      </div>
      <p className="muted">Who did what, newest first. Managers see the entries of their projects.</p>
      <ErrorText error={page.error} />
      {!page.data && !page.error && <p className="muted">Loading…</p>}
      {page.data && items.length === 0 && pages.page === 0 && (
        <p className="muted" data-testid="audit-empty">
          Nothing logged yet.
        </p>
      )}
      {items.length > 0 && (
        <div className="table-scroll">
          <table className={page.loading ? 'table loading' : 'table'} data-testid="audit-table">
            <thead>
              <tr>
                <th>When</th>
                <th>Who</th>
                <th>Action</th>
                <th>Project</th>
                <th>Target</th>
                <th>Details</th>
              </tr>
            </thead>
            <tbody>
              {items.map((e) => (
                <AuditRow
                  key={e.id}
                  entry={e}
                  projectName={e.project_id !== null ? names.get(e.project_id) : undefined}
                />
              ))}
            </tbody>
          </table>
        </div>
      )}
      {page.data && (items.length > 0 || pages.page > 0) && (
        <CursorPager pages={pages} nextCursor={nextCursor} loading={page.loading} rangeTestId="audit-range" nextTestId="audit-next">
          {items.length > 0 ? `${first + 1}–${first + items.length}` : 'none'}
        </CursorPager>
      )}
    </section>
  );
}
