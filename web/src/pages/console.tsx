// Remote control: the host's serial console in the browser, an xterm.js
// terminal over /ws/console (docs/STREAMS.md "Console"): binary frames both
// ways, JSON control messages (ready, gap, error). Resumes after a drop with
// since=<next offset>, so nothing is shown twice or skipped silently. The
// terminal library is loaded on demand to keep the main bundle small. Below
// it, the graphical console (kvm.tsx).
import type { Terminal } from '@xterm/xterm';
import { useEffect, useRef, useState } from 'preact/hooks';
import { api } from '../api';
import type { PageProps } from './index';
import './console.css';

type Json = Record<string, any>;
type Link = 'loading' | 'connecting' | 'connected' | 'reconnecting' | 'closed';

/** Close codes after which reconnecting cannot help (docs/STREAMS.md "Close codes"). */
const FINAL: Readonly<Record<number, string>> = {
  4400: 'The console refused the request.',
  4401: 'Your session has ended. Sign in again to use the console.',
  4403: 'Your account may no longer open the console.',
  4404: 'This host has no console.',
};

const LINK_TEXT: Readonly<Record<Link, string>> = {
  loading: 'Loading the terminal…',
  connecting: 'Connecting…',
  connected: 'Connected',
  reconnecting: 'Connection lost, reconnecting…',
  closed: 'Disconnected',
};

const encoder = new TextEncoder();

/** Loads xterm.js and its style sheet once, when a console is first shown. */
let xterm: Promise<typeof import('@xterm/xterm')> | undefined;
function loadXterm(): Promise<typeof import('@xterm/xterm')> {
  xterm ??= Promise.all([
    import('@xterm/xterm'),
    // @ts-expect-error -- a style sheet: Vite loads it with the chunk; it has no type declarations
    import('@xterm/xterm/css/xterm.css'),
  ]).then(([m]) => m);
  return xterm;
}

/**
 * xterm.js writes its theme and cell metrics into <style> elements, which the
 * UI's Content-Security-Policy (style-src 'self') refuses. Each one is taken
 * out of the document as soon as it appears (so the browser stops refusing
 * every update) and its rules go in as a constructed style sheet (CSSOM,
 * which the policy allows), kept in step as xterm rewrites the element.
 * Returns the undo.
 */
function adoptStyles(root: HTMLElement): () => void {
  const sheets = new Map<HTMLStyleElement, { sheet: CSSStyleSheet; text: string }>();
  const sync = () => {
    for (const el of root.querySelectorAll('style')) {
      el.remove();
      sheets.set(el, { sheet: new CSSStyleSheet(), text: '\0' });
      observer.observe(el, { subtree: true, childList: true, characterData: true });
    }
    for (const [el, v] of sheets) {
      const text = el.textContent ?? '';
      if (v.text === text) continue;
      v.sheet.replaceSync(text);
      v.text = text;
    }
    const mine = new Set([...sheets.values()].map((v) => v.sheet));
    const others = document.adoptedStyleSheets.filter((x) => !mine.has(x));
    if (others.length + mine.size !== document.adoptedStyleSheets.length) document.adoptedStyleSheets = [...others, ...mine];
  };
  const observer = new MutationObserver(sync);
  observer.observe(root, { subtree: true, childList: true });
  sync();
  return () => {
    observer.disconnect();
    const mine = new Set([...sheets.values()].map((v) => v.sheet));
    sheets.clear();
    document.adoptedStyleSheets = document.adoptedStyleSheets.filter((x) => !mine.has(x));
  };
}

/** Fits the terminal to its box: the cell size comes from the rendered screen. */
function fit(term: Terminal, box: HTMLElement): void {
  const screen = box.querySelector<HTMLElement>('.xterm-screen');
  if (!screen || term.cols === 0 || term.rows === 0) return;
  const r = screen.getBoundingClientRect();
  const cellW = r.width / term.cols;
  const cellH = r.height / term.rows;
  if (!(cellW > 0 && cellH > 0)) return;
  const style = getComputedStyle(box);
  const padX = parseFloat(style.paddingLeft) + parseFloat(style.paddingRight);
  const padY = parseFloat(style.paddingTop) + parseFloat(style.paddingBottom);
  // leave room for the scroll bar of the scrollback
  const cols = Math.max(20, Math.floor((box.clientWidth - padX - 14) / cellW));
  const rows = Math.max(6, Math.floor((box.clientHeight - padY) / cellH));
  if (cols !== term.cols || rows !== term.rows) term.resize(cols, rows);
}

export function RemoteControl({ host }: PageProps) {
  const box = useRef<HTMLDivElement>(null);
  const sender = useRef<{ send: (data: string | Uint8Array) => boolean; clear: () => void } | undefined>();
  const [link, setLink] = useState<Link>('loading');
  const [input, setInput] = useState<boolean | undefined>();
  const [alert, setAlert] = useState<string | undefined>();
  const [closedWhy, setClosedWhy] = useState<string | undefined>();
  const [attempt, setAttempt] = useState(0);
  const systemId = host?.id;
  const [kvm, setKvm] = useState<typeof import('./kvm')>();

  // the graphical console card (and, once connecting, noVNC) load with this page only
  useEffect(() => {
    let gone = false;
    void import('./kvm').then((m) => {
      if (!gone) setKvm(m);
    });
    return () => {
      gone = true;
    };
  }, []);

  useEffect(() => {
    const el = box.current;
    if (!el || !systemId) return;
    let disposed = false;
    let term: Terminal | undefined;
    let ws: WebSocket | undefined;
    let retry: ReturnType<typeof setTimeout> | undefined;
    let observer: ResizeObserver | undefined;
    const unadopt = adoptStyles(el);
    /** Offset of the next console byte this page needs; undefined before the first ready. */
    let next: number | undefined;
    let canType = false;
    let failures = 0;
    setLink('loading');
    setInput(undefined);
    setAlert(undefined);
    setClosedWhy(undefined);

    const note = (text: string) => term?.write(`\r\n\x1b[33m[${text}]\x1b[0m\r\n`);

    const connect = () => {
      if (disposed) return;
      const q = new URLSearchParams({ system: systemId });
      const since = next;
      if (since !== undefined) q.set('since', String(since));
      const s = api.stream(`/ws/console?${q.toString()}`);
      ws = s;
      s.binaryType = 'arraybuffer';
      s.onmessage = (m) => {
        if (typeof m.data !== 'string') {
          const bytes = new Uint8Array(m.data as ArrayBuffer);
          if (next !== undefined) next += bytes.length;
          term?.write(bytes);
          return;
        }
        let c: Json;
        try {
          c = JSON.parse(m.data) as Json;
        } catch {
          return;
        }
        if (c.type === 'ready') {
          if (since !== undefined && Number(c.offset) < since) {
            // offsets only grow while the BMC runs: it restarted, so its history starts again
            note('The BMC restarted; its console history starts again');
            next = undefined;
            connect();
            s.close(1000);
            return;
          }
          if (typeof c.lost === 'number' && c.lost > 0) note(`${c.lost} bytes of output were lost while disconnected`);
          next = Number(c.offset);
          canType = c.input === true;
          failures = 0;
          setInput(canType);
          setLink('connected');
          setClosedWhy(undefined);
        } else if (c.type === 'gap') {
          note(`${Number(c.lost)} bytes of output were lost`);
          next = Number(c.offset);
        } else if (c.type === 'error') {
          setAlert(typeof c.message === 'string' && c.message ? c.message : String(c.error));
        }
      };
      s.onclose = (e) => {
        if (disposed || ws !== s) return;
        const final = FINAL[e.code];
        if (final) {
          setLink('closed');
          setClosedWhy(final);
          // let the shell notice an ended session (its Redfish request gets 401)
          if (e.code === 4401) void api.get('/redfish/v1/SessionService').catch(() => undefined);
          return;
        }
        failures++;
        setLink('reconnecting');
        setClosedWhy(e.code === 4429 ? 'Too many consoles are open on this host (at most 4); retrying.' : undefined);
        retry = setTimeout(connect, Math.min(10_000, 1000 * 2 ** Math.min(failures - 1, 4)));
      };
    };

    void loadXterm().then(({ Terminal }) => {
      if (disposed) return;
      term = new Terminal({
        convertEol: false,
        cursorBlink: true,
        fontFamily: 'ui-monospace, SFMono-Regular, Menlo, Consolas, "DejaVu Sans Mono", monospace',
        fontSize: 14,
        scrollback: 5000,
        theme: { background: '#0d1117', foreground: '#e6edf3', cursor: '#e6edf3' },
      });
      term.open(el);
      if (term.textarea) term.textarea.setAttribute('aria-label', `Serial console input of ${systemId}`);
      // Tab belongs to the host (completion); Shift+Tab leaves the terminal
      term.attachCustomKeyEventHandler((e) => !(e.key === 'Tab' && e.shiftKey));
      term.onData((data) => {
        // xterm stops its key events; tell the shell's idle timer that someone is typing
        dispatchEvent(new KeyboardEvent('keydown'));
        if (!canType) {
          setAlert('Your role can watch this console but not type on it.');
          return;
        }
        if (ws?.readyState === WebSocket.OPEN) ws.send(encoder.encode(data));
      });
      const t = term;
      fit(t, el);
      observer = new ResizeObserver(() => fit(t, el));
      observer.observe(el);
      sender.current = {
        send: (data) => {
          if (ws?.readyState !== WebSocket.OPEN) return false;
          ws.send(data);
          return true;
        },
        clear: () => t.clear(),
      };
      setLink('connecting');
      connect();
    }, () => {
      if (disposed) return;
      setLink('closed');
      setClosedWhy('The terminal could not be loaded. Reload the page to try again.');
    });

    return () => {
      disposed = true;
      sender.current = undefined;
      if (retry) clearTimeout(retry);
      observer?.disconnect();
      ws?.close(1000);
      term?.dispose();
      unadopt();
    };
  }, [systemId, attempt]);

  const sendBreak = () => {
    if (!sender.current?.send(JSON.stringify({ type: 'break' }))) setAlert('The console is not connected.');
  };

  return (
    <div class="console-page">
      <section class="card" aria-labelledby="c-serial">
        <div class="console-head">
          <h2 id="c-serial">Serial console</h2>
          <span class={`pill ${link === 'connected' ? 'ok' : link === 'reconnecting' ? 'warn' : 'off'}`} role="status" data-testid="console-link">
            {LINK_TEXT[link]}
          </span>
        </div>
        {input === false && (
          <p class="notice console-watch" data-testid="console-watch-only">
            Watching only: your role ({api.session?.role ?? 'ReadOnly'}) can see the console but not type on it. Operators and administrators can type.
          </p>
        )}
        {closedWhy && (
          <p class={link === 'closed' ? 'error' : 'notice'} role="status">
            {closedWhy}
          </p>
        )}
        <div role="alert" class="error console-alert">
          {alert && (
            <>
              {alert}{' '}
              <button class="link" onClick={() => setAlert(undefined)}>
                Dismiss
              </button>
            </>
          )}
        </div>
        <div ref={box} class="console-term" role="region" aria-label={`Serial console of ${systemId ?? 'the host'}`} data-testid="console-terminal" />
        <p class="muted console-hint">Click the terminal to type. Tab goes to the host; Shift+Tab leaves the terminal.</p>
        <div class="actions" role="group" aria-label="Console actions">
          {input && (
            <button onClick={sendBreak} disabled={link !== 'connected'}>
              Send serial break
            </button>
          )}
          <button onClick={() => sender.current?.clear()} disabled={link === 'loading'}>
            Clear screen
          </button>
          {link === 'closed' && <button onClick={() => setAttempt((n) => n + 1)}>Reconnect</button>}
        </div>
      </section>
      {kvm ? (
        <kvm.KvmCard host={host} />
      ) : (
        <section class="card" aria-labelledby="c-kvm">
          <h2 id="c-kvm">Graphical console (KVM)</h2>
          <p class="muted">Loading…</p>
        </section>
      )}
    </div>
  );
}
