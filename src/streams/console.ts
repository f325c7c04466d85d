// /ws/console: a host's serial console, both ways (docs/STREAMS.md
// "Console"). Console bytes travel as binary messages; control as JSON
// text messages. On connect the client gets the retained history (from
// `since`, an absolute ConsoleBuffer offset, to resume exactly), then live
// output. The shared ConsoleBuffer (src/model/console.ts, the one SOL reads
// too) is the only backlog: a slow client is sent nothing until it drains,
// then catches up from its offset, with a gap message for what the ring
// dropped meanwhile. Input needs ConfigureComponents; a ReadOnly user
// watches only.
import type { Clock } from '../model/clock.js';
import { MAX_WEB_CONSOLES_PER_HOST } from '../model/console.js';
import type { Host } from '../model/host.js';
import { systemId } from '../redfish/ids.js';
import { drainWaiter, intParam, perHostStream, type Incoming, type Peer, type StreamContext, type StreamDef, type StreamHandle } from './peer.js';

export const CONSOLE_PATH = '/ws/console';
/** Above this many unsent bytes the client is slow: stop sending, catch up later. */
export const CONSOLE_BUFFER_LIMIT = 256 * 1024;
export const CONSOLE_RESUME_POLL_MS = 50;
export const MAX_CONSOLES_PER_HOST = MAX_WEB_CONSOLES_PER_HOST;
/** Largest console message sent at once (history is split). */
export const CONSOLE_CHUNK = 16 * 1024;
/** Largest input message accepted (bytes). */
export const CONSOLE_INPUT_LIMIT = 4096;
export const INPUT_PRIVILEGE = 'ConfigureComponents';

export type ConsoleControl =
  | { type: 'ready'; host: number; systemId: string; offset: number; lost: number; end: number; input: boolean }
  | { type: 'gap'; offset: number; lost: number }
  | { type: 'error'; error: 'InsufficientPrivilege' | 'NoConsole' | 'BadMessage' | 'TooLarge'; message: string };

/** A client's text message, decoded; undefined for anything else. */
export function parseControl(text: string): { type: 'input'; data: Uint8Array } | { type: 'break' } | undefined {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
  const o = v as Record<string, unknown>;
  if (o.type === 'input' && typeof o.data === 'string' && Object.keys(o).length === 2) return { type: 'input', data: new TextEncoder().encode(o.data) };
  if (o.type === 'break' && Object.keys(o).length === 1) return { type: 'break' };
  return undefined;
}

/** Opens the console of one host on a peer. */
export function openConsoleStream(ctx: StreamContext, peer: Peer, host: Host, clock: Clock = ctx.clock): StreamHandle {
  const buf = host.console;
  const since = ctx.query.has('since') ? intParam(ctx.query, 'since', 0, 0, Number.MAX_SAFE_INTEGER) : undefined;
  const start = buf.since(since ?? buf.start);
  /** Offset of the next byte this client needs. */
  let next = start.offset;
  let paused = false;
  let closed = false;
  const control = (m: ConsoleControl): void => peer.send(JSON.stringify(m));
  const slow = (): boolean => peer.bufferedAmount > CONSOLE_BUFFER_LIMIT;
  const sendData = (data: Uint8Array): void => {
    for (let i = 0; i < data.length; i += CONSOLE_CHUNK) peer.send(data.subarray(i, i + CONSOLE_CHUNK));
  };

  const catchUp = (): void => {
    const c = buf.since(next);
    if (c.lost > 0) control({ type: 'gap', offset: c.offset, lost: c.lost });
    sendData(c.data);
    next = c.next;
    paused = false;
  };
  const drained = drainWaiter(clock, CONSOLE_RESUME_POLL_MS, slow, () => catchUp());
  const pause = (): void => {
    paused = true;
    drained.wait();
  };

  control({
    type: 'ready',
    host: host.index,
    systemId: systemId(ctx.bmc, host),
    offset: start.offset,
    lost: start.lost,
    end: start.next,
    input: ctx.privileges().has(INPUT_PRIVILEGE),
  });
  sendData(start.data);
  next = start.next;
  const off = buf.subscribe((data, offset) => {
    if (closed || paused) return;
    if (slow()) return pause();
    if (offset !== next) return catchUp();
    peer.send(data);
    next = offset + data.length;
  });

  const input = (bytes: Uint8Array | 'break'): void => {
    if (!ctx.privileges().has(INPUT_PRIVILEGE)) {
      control({ type: 'error', error: 'InsufficientPrivilege', message: `Console input requires ${INPUT_PRIVILEGE}` });
      return;
    }
    const con = host.link.console;
    if (!con) {
      control({ type: 'error', error: 'NoConsole', message: 'The host has no console backend' });
      return;
    }
    ctx.touch();
    if (bytes === 'break') con.sendBreak?.();
    else if (bytes.length > 0) con.write(bytes);
  };

  return {
    message(m: Incoming) {
      if (closed) return;
      if (m.data.length > CONSOLE_INPUT_LIMIT) {
        control({ type: 'error', error: 'TooLarge', message: `Input messages are limited to ${CONSOLE_INPUT_LIMIT} bytes` });
        return;
      }
      if (m.binary) return input(m.data);
      const c = parseControl(Buffer.from(m.data).toString('utf8'));
      if (!c) {
        control({ type: 'error', error: 'BadMessage', message: 'Expected {"type":"input","data":"..."} or {"type":"break"}' });
        return;
      }
      input(c.type === 'break' ? 'break' : c.data);
    },
    close() {
      closed = true;
      off();
      drained.cancel();
    },
  };
}

/** The /ws/console endpoint: Login to watch, at most `maxPerHost` per host (4429). */
export function consoleStream(opts: { maxPerHost?: number } = {}): StreamDef {
  return perHostStream({
    path: CONSOLE_PATH,
    privilege: 'Login',
    maxPerHost: opts.maxPerHost ?? MAX_CONSOLES_PER_HOST,
    name: 'console',
    params: ['since'],
    systemIdOf: systemId,
    open: (ctx, peer, host) => openConsoleStream(ctx, peer, host),
  });
}
