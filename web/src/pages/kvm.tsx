// The graphical console (KVM over IP) card of the Remote control page: noVNC
// in the browser, talking RFB to the host's VNC server through /ws/kvm
// (docs/STREAMS.md "KVM"). The page opens the WebSocket itself, with the
// session token in the subprotocol list, and hands it to noVNC. noVNC is
// loaded on demand, when the user connects, so the other pages do not carry
// it. Whether the host has a display at all comes from the ComputerSystem's
// Redfish GraphicalConsole.ServiceEnabled.
import type RFB from '@novnc/novnc';
import { useEffect, useRef, useState } from 'preact/hooks';
import { api } from '../api';
import type { HostChoice } from '../app';

type Json = Record<string, any>;
type State = 'checking' | 'unsupported' | 'idle' | 'loading' | 'connecting' | 'connected' | 'closed';

const STATE_TEXT: Readonly<Record<State, string>> = {
  checking: 'Checking…',
  unsupported: 'Not available',
  idle: 'Not connected',
  loading: 'Loading the viewer…',
  connecting: 'Connecting…',
  connected: 'Connected',
  closed: 'Disconnected',
};

/** What a close code of /ws/kvm means to the user (docs/STREAMS.md "Close codes"). */
function closeText(code: number, reason: string): string {
  switch (code) {
    case 4401:
      return 'Your session has ended. Sign in again to use the graphical console.';
    case 4403:
      return 'Your account may not use the graphical console (it needs the Operator or Administrator role).';
    case 4404:
      return 'This host does not exist.';
    case 4429:
      return 'Too many graphical consoles are open on this host. Close one and try again.';
    case 4503:
      if (/no graphical console/i.test(reason)) return 'This host has no graphical console.';
      if (/off/i.test(reason)) return 'The host is off: no display. Power it on, then connect.';
      if (/closed the connection/i.test(reason)) return 'The display closed the connection (the virtual machine stopped or restarted). Connect again.';
      return `The host's display is not available${reason ? ` (${reason})` : ''}.`;
    case 1001:
      return 'The BMC is shutting down.';
    case 1000:
      return 'Disconnected.';
    default:
      return `The connection was lost${code ? ` (code ${code})` : ''}.`;
  }
}

let novnc: Promise<typeof import('@novnc/novnc')> | undefined;
function loadNoVnc(): Promise<typeof import('@novnc/novnc')> {
  novnc ??= import('@novnc/novnc');
  novnc.catch(() => (novnc = undefined));
  return novnc;
}

export function KvmCard({ host }: { host: HostChoice | undefined }) {
  const box = useRef<HTMLDivElement>(null);
  const rfb = useRef<RFB | undefined>();
  /** Sessions the user ended (no reason to show). */
  const byUser = useRef(new WeakSet<RFB>());
  const [state, setState] = useState<State>('checking');
  const [why, setWhy] = useState<string | undefined>();
  const [powerOff, setPowerOff] = useState(false);
  const [scale, setScale] = useState(true);
  const [name, setName] = useState<string | undefined>();
  const canUse = api.session?.role !== 'ReadOnly';
  const systemId = host?.id;
  const path = host?.path;

  // whether the host has a display: the system's GraphicalConsole
  useEffect(() => {
    if (!path) return;
    let gone = false;
    setState('checking');
    setWhy(undefined);
    api
      .get(path)
      .then((s: Json) => {
        if (gone) return;
        setPowerOff(s.PowerState === 'Off');
        setState(s.GraphicalConsole?.ServiceEnabled === true ? 'idle' : 'unsupported');
      })
      .catch(() => {
        if (!gone) setState('unsupported');
      });
    return () => {
      gone = true;
    };
  }, [path]);

  // leaving the page (or the host) ends the session
  useEffect(() => () => disconnect(), [systemId]);

  function disconnect(): void {
    const r = rfb.current;
    rfb.current = undefined;
    if (r) byUser.current.add(r);
    r?.disconnect();
  }

  async function connect(): Promise<void> {
    const el = box.current;
    if (!el || !systemId || rfb.current) return;
    setWhy(undefined);
    setName(undefined);
    setState('loading');
    let RFBClass: typeof RFB;
    try {
      RFBClass = (await loadNoVnc()).default;
    } catch {
      setState('closed');
      setWhy('The viewer could not be loaded. Reload the page to try again.');
      return;
    }
    setState('connecting');
    const ws = api.stream(`/ws/kvm?${new URLSearchParams({ system: systemId }).toString()}`);
    let closed: CloseEvent | undefined;
    ws.addEventListener('close', (e) => (closed = e));
    const r = new RFBClass(el, ws, { shared: true });
    rfb.current = r;
    r.scaleViewport = scale;
    r.resizeSession = false;
    r.focusOnClick = true;
    r.background = '#0d1117';
    const canvas = el.querySelector('canvas');
    if (canvas) {
      // reachable with the keyboard; Shift+Tab leaves it (see onKeyDown)
      canvas.tabIndex = 0;
      canvas.setAttribute('aria-label', `Screen of ${systemId}: keyboard and mouse go to the host`);
      canvas.setAttribute('aria-describedby', 'kvm-hint');
      canvas.setAttribute('data-testid', 'kvm-canvas');
    }
    r.addEventListener('connect', () => {
      if (rfb.current !== r) return;
      setState('connected');
      setPowerOff(false);
    });
    r.addEventListener('desktopname', (e) => setName((e as CustomEvent<{ name: string }>).detail.name));
    r.addEventListener('securityfailure', (e) => setWhy(`The display refused the connection: ${(e as CustomEvent<{ reason?: string }>).detail.reason ?? 'security failure'}.`));
    r.addEventListener('disconnect', () => {
      if (rfb.current === r) rfb.current = undefined;
      setState('closed');
      // noVNC reports only clean or not; the close code says why
      const c = closed;
      if (c && !byUser.current.has(r)) setWhy((w) => w ?? closeText(c.code, c.reason));
      if (c?.code === 4503 && /off/i.test(c.reason)) setPowerOff(true);
      if (c?.code === 4401) void api.get('/redfish/v1/SessionService').catch(() => undefined);
    });
  }

  const toggleScale = (on: boolean) => {
    setScale(on);
    if (rfb.current) rfb.current.scaleViewport = on;
  };

  /** Shift+Tab leaves the screen (noVNC passes every other key to the host); keys count as activity. */
  const onKeyDown = (e: KeyboardEvent) => {
    dispatchEvent(new KeyboardEvent('keydown'));
    if (e.key === 'Tab' && e.shiftKey) e.stopPropagation();
  };

  const live = state === 'connecting' || state === 'connected' || state === 'loading';
  const pill = state === 'connected' ? 'ok' : state === 'connecting' || state === 'loading' ? 'warn' : 'off';
  return (
    <section class="card" aria-labelledby="c-kvm">
      <div class="console-head">
        <h2 id="c-kvm">Graphical console (KVM)</h2>
        <span class={`pill ${pill}`} role="status" data-testid="kvm-status">
          {STATE_TEXT[state]}
        </span>
        {name && state === 'connected' && <span class="muted">{name}</span>}
      </div>
      {state === 'unsupported' ? (
        <p class="muted" data-testid="kvm-unsupported">
          This host has no graphical console: it is reached through its serial console only. (A QEMU host with <code>vnc</code> enabled has one.)
        </p>
      ) : !canUse ? (
        <p class="notice" data-testid="kvm-needs-operator">
          The graphical console sends keyboard and mouse input to the host, so it needs the Operator or Administrator role; your role is{' '}
          {api.session?.role ?? 'ReadOnly'}.
        </p>
      ) : (
        <>
          {why && (
            <p class={state === 'closed' ? 'error' : 'notice'} role="status" data-testid="kvm-why">
              {why}
            </p>
          )}
          {!why && powerOff && !live && <p class="muted">The host is off: its screen is available once it is powered on.</p>}
          <div
            ref={box}
            class={`kvm-screen${live ? '' : ' kvm-idle'}`}
            role="application"
            aria-label={`Graphical console of ${systemId ?? 'the host'}`}
            aria-roledescription="remote screen"
            data-testid="kvm-screen"
            onKeyDownCapture={onKeyDown}
          />
          <p class="muted console-hint" id="kvm-hint">
            Click the screen to type. Keys go to the host; Shift+Tab leaves the screen.
          </p>
          <div class="actions" role="group" aria-label="KVM actions">
            {live ? (
              <button onClick={disconnect}>Disconnect</button>
            ) : (
              <button class="primary" onClick={() => void connect()} disabled={state === 'checking'}>
                Connect
              </button>
            )}
            <button onClick={() => rfb.current?.sendCtrlAltDel()} disabled={state !== 'connected'}>
              Send Ctrl+Alt+Del
            </button>
            <label class="kvm-scale">
              <input type="checkbox" checked={scale} onChange={(e) => toggleScale((e.target as HTMLInputElement).checked)} /> Scale to fit
            </label>
          </div>
        </>
      )}
    </section>
  );
}
