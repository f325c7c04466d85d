// The shell of the BMC console: sign-in, navigation, the host picker and the
// idle timeout. Pages come from pages/index.ts; each reads and acts through
// Redfish and the WebSocket streams only.
import { useEffect, useState } from 'preact/hooks';
import { api, type Session } from './api';
import { PAGES, type PageProps } from './pages/index';
import { Login } from './pages/login';

const IDLE_MS = 15 * 60 * 1000;

function routeFromHash(): string {
  const h = location.hash.replace(/^#\/?/, '');
  return PAGES.some((p) => p.id === h) ? h : 'dashboard';
}

export interface HostChoice {
  id: string;
  path: string;
  chassis: string;
}

export function App() {
  const [session, setSession] = useState<Session | undefined>(api.session);
  const [route, setRoute] = useState(routeFromHash());
  const [hosts, setHosts] = useState<HostChoice[]>([]);
  const [host, setHost] = useState<HostChoice | undefined>();
  const [notice, setNotice] = useState<string | undefined>();

  useEffect(() => {
    api.onExpired = () => {
      setSession(undefined);
      setNotice('Your session has expired. Please sign in again.');
    };
    const onHash = () => setRoute(routeFromHash());
    addEventListener('hashchange', onHash);
    return () => removeEventListener('hashchange', onHash);
  }, []);

  // sign out after a quiet period, as a console left open should
  useEffect(() => {
    if (!session) return;
    let timer = setTimeout(expire, IDLE_MS);
    function expire() {
      void api.logout();
      setSession(undefined);
      setNotice('You were signed out after 15 minutes without activity.');
    }
    const bump = () => {
      clearTimeout(timer);
      timer = setTimeout(expire, IDLE_MS);
    };
    for (const e of ['click', 'keydown', 'pointermove']) addEventListener(e, bump, { passive: true });
    return () => {
      clearTimeout(timer);
      for (const e of ['click', 'keydown', 'pointermove']) removeEventListener(e, bump);
    };
  }, [session]);

  useEffect(() => {
    if (!session) return;
    api
      .get('/redfish/v1/Systems?$expand=.')
      .then((c) => {
        const list = (c.Members as Record<string, any>[]).map((s) => ({
          id: s.Id as string,
          path: s['@odata.id'] as string,
          chassis: (s.Links?.Chassis?.[0]?.['@odata.id'] as string | undefined) ?? '/redfish/v1/Chassis/chassis',
        }));
        setHosts(list);
        setHost((h) => list.find((x) => x.id === h?.id) ?? list[0]);
      })
      .catch(() => undefined);
  }, [session]);

  if (!session) {
    return (
      <Login
        notice={notice}
        onLogin={(s) => {
          setNotice(undefined);
          setSession(s);
        }}
      />
    );
  }

  const page = PAGES.find((p) => p.id === route) ?? PAGES[0]!;
  const props: PageProps = { host, hosts };
  const Page = page.component;
  return (
    <div class="shell">
      <header class="topbar">
        <a class="brand" href="#/dashboard">
          tsbmc
        </a>
        {hosts.length > 1 && (
          <label class="host-picker">
            <span>Host</span>
            <select value={host?.id} onChange={(e) => setHost(hosts.find((h) => h.id === (e.target as HTMLSelectElement).value))}>
              {hosts.map((h) => (
                <option value={h.id}>{h.id}</option>
              ))}
            </select>
          </label>
        )}
        <span class="who" title={`Role: ${session.role}`}>
          {session.user} · {session.role}
        </span>
        <button
          class="link"
          onClick={() => {
            void api.logout();
            setSession(undefined);
          }}
        >
          Sign out
        </button>
      </header>
      <nav class="sidebar" aria-label="Sections">
        {PAGES.map((p) => (
          <a href={`#/${p.id}`} class={p.id === page.id ? 'active' : ''} aria-current={p.id === page.id ? 'page' : undefined}>
            {p.title}
          </a>
        ))}
      </nav>
      <main class="content" id="main">
        <h1>{page.title}</h1>
        {host ? <Page {...props} /> : <p class="muted">Loading…</p>}
      </main>
    </div>
  );
}
