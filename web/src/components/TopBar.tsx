import type { User } from '../api';
import { Link, paths } from '../router';
import { canManage } from '../session';

export function TopBar({ user, onLogout }: { user: User; onLogout: () => void }) {
  return (
    <header className="topbar">
      <Link to={paths.projects()} className="brand">
        Plumb
      </Link>
      {canManage(user) && (
        <Link to={paths.workforces()} data-testid="nav-workforces">
          Workforces
        </Link>
      )}
      <span className="spacer" />
      <span className="who" data-testid="current-user">
        {user.username} <span className="muted">({user.role})</span>
      </span>
      <button type="button" onClick={onLogout} data-testid="logout">
        Log out
      </button>
    </header>
  );
}
