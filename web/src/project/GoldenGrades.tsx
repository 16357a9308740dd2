import { api } from '../api';
import { ErrorText } from '../components/ErrorText';
import { formatCount } from '../format';
import { useAsync } from '../useAsync';

function percent(share: number): string {
  return `${Math.round(share * 100)}%`;
}

/** How each labeler did on the project's golden tasks (GET /projects/{id}/golden/grades). */
export function GoldenGrades({ projectId, version }: { projectId: number; version: number }) {
  const grades = useAsync(() => api.goldenGrades(projectId), [projectId, version]);
  const labelers = grades.data?.labelers ?? [];
  return (
    <div className="panel" data-testid="golden-grades">
      <h2>Golden tasks</h2>
      <ErrorText error={grades.error} />
      {grades.data && labelers.length === 0 && <p className="muted">No golden task has been graded yet.</p>}
      {labelers.length > 0 && (
        <table className="table">
          <thead>
            <tr>
              <th>Labeler</th>
              <th className="num">Graded</th>
              <th className="num">Correct</th>
              <th className="num">Accuracy</th>
              <th className="num">Mean score</th>
            </tr>
          </thead>
          <tbody>
            {labelers.map((l) => (
              <tr key={l.user_id} data-testid="grade-row" data-username={l.username}>
                <td>{l.username}</td>
                <td className="num">{formatCount(l.graded)}</td>
                <td className="num">{formatCount(l.correct)}</td>
                <td className="num">{percent(l.accuracy)}</td>
                <td className="num">{l.mean_score.toFixed(2)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
