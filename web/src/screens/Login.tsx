import { useState, type FormEvent } from 'react';
import { api, type User } from '../api';
import { ErrorText } from '../components/ErrorText';

export function Login({ onLogin }: { onLogin: (user: User) => void }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<Error>();
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const { user } = await api.login(username, password);
      onLogin(user);
    } catch (e) {
      setError(e as Error);
      setBusy(false);
    }
  };

  return (
    <main className="login">
      <form className="card" onSubmit={submit}>
        <h1>Plumb</h1>
        <label>
          Username
          <input
            name="username"
            autoComplete="username"
            autoFocus
            required
            value={username}
            onChange={(e) => setUsername(e.target.value)}
            data-testid="login-username"
          />
        </label>
        <label>
          Password
          <input
            name="password"
            type="password"
            autoComplete="current-password"
            required
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            data-testid="login-password"
          />
        </label>
        <ErrorText error={error} testId="login-error" />
        <button type="submit" className="primary" disabled={busy} data-testid="login-submit">
          Log in
        </button>
      </form>
    </main>
  );
}
