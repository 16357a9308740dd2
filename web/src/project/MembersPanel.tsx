import { useState } from 'react';
import { api } from '../api';
import { ErrorText } from '../components/ErrorText';
import { useAsync } from '../useAsync';

/** Who may label this project; admins and managers see every project anyway. */
export function MembersPanel({ projectId }: { projectId: number }) {
  const members = useAsync(() => api.listMembers(projectId), [projectId]);
  const users = useAsync(() => api.listUsers(), []);
  const [choice, setChoice] = useState('');
  const [error, setError] = useState<Error>();

  const memberIds = new Set(members.data?.items.map((m) => m.id));
  const candidates = users.data?.items.filter((u) => !memberIds.has(u.id)) ?? [];

  const add = async () => {
    if (!choice) return;
    setError(undefined);
    try {
      await api.addMember(projectId, Number(choice));
      setChoice('');
      members.reload();
    } catch (e) {
      setError(e as Error);
    }
  };

  return (
    <div className="panel">
      <h2>Members</h2>
      <ErrorText error={members.error ?? users.error ?? error} />
      <p>
        {members.data?.items.length
          ? members.data.items.map((m) => `${m.username} (${m.role})`).join(', ')
          : 'No members yet.'}
      </p>
      {candidates.length > 0 && (
        <div className="row">
          <select value={choice} onChange={(e) => setChoice(e.target.value)} aria-label="User to add">
            <option value="">Choose a user…</option>
            {candidates.map((u) => (
              <option key={u.id} value={u.id}>
                {u.username} ({u.role})
              </option>
            ))}
          </select>
          <button type="button" onClick={add} disabled={!choice}>
            Add member
          </button>
        </div>
      )}
    </div>
  );
}
