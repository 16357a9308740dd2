import { api } from '../api';
import { ErrorText } from '../components/ErrorText';
import { PickToAdd } from '../components/PickToAdd';
import { useAction } from '../useAction';
import { useAsync } from '../useAsync';

/** Who may label this project; admins and managers see every project anyway. */
export function MembersPanel({ projectId }: { projectId: number }) {
  const members = useAsync(() => api.listMembers(projectId), [projectId]);
  const users = useAsync(() => api.listUsers(), []);
  const adding = useAction();

  const memberIds = new Set(members.data?.items.map((m) => m.id));
  const candidates = users.data?.items.filter((u) => !memberIds.has(u.id)) ?? [];

  const add = async (userId: number) => {
    const added = await adding.run(() => api.addMember(projectId, userId));
    if (added) members.reload();
    return added;
  };

  return (
    <div className="panel">
      <h2>Members</h2>
      <ErrorText error={members.error ?? users.error ?? adding.error} />
      <p>
        {members.data?.items.length
          ? members.data.items.map((m) => `${m.username} (${m.role})`).join(', ')
          : 'No members yet.'}
      </p>
      <PickToAdd
        options={candidates.map((u) => ({ id: u.id, text: `${u.username} (${u.role})` }))}
        placeholder="Choose a user…"
        action="Add member"
        label="User to add"
        onAdd={add}
      />
    </div>
  );
}
