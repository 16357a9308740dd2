import { api, type User } from '../api';
import { ErrorText } from '../components/ErrorText';
import { formatCount } from '../format';
import { navigate, paths } from '../router';
import { canManage, canReview } from '../session';
import { useAsync } from '../useAsync';

export function ProjectsList({ user }: { user: User }) {
  const projects = useAsync(() => api.listProjects(), []);
  const manager = canManage(user);
  const reviewer = canReview(user);
  const items = projects.data?.items;

  return (
    <section>
      <div className="heading">
        <h1>Projects</h1>
        {manager && (
          <button type="button" className="primary" onClick={() => navigate(paths.newProject())}>
            New project
          </button>
        )}
      </div>
      <ErrorText error={projects.error} />
      {items && items.length === 0 && <p className="muted">No projects yet.</p>}
      {items && items.length > 0 && (
        <table className="table">
          <thead>
            <tr>
              <th>Name</th>
              <th className="num">Total</th>
              <th className="num">New</th>
              <th className="num">Annotating</th>
              <th className="num">Done</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {items.map((p) => (
              <tr key={p.id} data-testid="project-row" data-project-name={p.name}>
                <td>{p.name}</td>
                <td className="num">{formatCount(p.counts.total)}</td>
                <td className="num">{formatCount(p.counts.new)}</td>
                <td className="num">{formatCount(p.counts.annotating)}</td>
                <td className="num">{formatCount(p.counts.done)}</td>
                <td className="actions">
                  <button type="button" className="primary" onClick={() => navigate(paths.label(p.id))}>
                    Label
                  </button>
                  <button type="button" onClick={() => navigate(paths.training(p.id))} data-testid="train-project">
                    Training
                  </button>
                  {reviewer && (
                    <button type="button" onClick={() => navigate(paths.review(p.id))} data-testid="review-project">
                      Review
                    </button>
                  )}
                  {manager && (
                    <button type="button" onClick={() => navigate(paths.project(p.id))}>
                      Open
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
