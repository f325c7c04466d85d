// Sign-in: a Redfish session (POST SessionService/Sessions).
import { useState } from 'preact/hooks';
import { api, ApiError, type Session } from '../api';

export function Login(props: { notice?: string | undefined; onLogin: (s: Session) => void }) {
  const [user, setUser] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      props.onLogin(await api.login(user, password));
    } catch (err) {
      setError(err instanceof ApiError && err.info.status === 401 ? 'The user name or password is not correct.' : 'Sign-in failed. Try again.');
    } finally {
      setBusy(false);
    }
  };
  return (
    <div class="login">
      <form class="card login-card" onSubmit={submit} aria-labelledby="login-title">
        <h1 id="login-title">tsbmc</h1>
        <p class="muted">Baseboard management controller</p>
        {props.notice && <p class="notice" role="status">{props.notice}</p>}
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        <label>
          User name
          <input name="username" autocomplete="username" value={user} onInput={(e) => setUser((e.target as HTMLInputElement).value)} required />
        </label>
        <label>
          Password
          <input name="password" type="password" autocomplete="current-password" value={password} onInput={(e) => setPassword((e.target as HTMLInputElement).value)} required />
        </label>
        <button type="submit" class="primary" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </div>
  );
}
