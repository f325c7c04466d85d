// What a stream sees of its WebSocket (RFC 6455): send a text or binary
// message, close with a code, how much is queued unsent, and pausing the
// client's messages (backpressure both ways).
// The ws socket is adapted to it in index.ts; tests use FakePeer.
import type { Bmc } from '../model/bmc.js';
import type { Clock, TimerHandle } from '../model/clock.js';
import type { Host } from '../model/host.js';
import type { RedfishPrivilege } from '../redfish/privileges.js';
import type { Principal, RedfishSession } from '../redfish/sessions.js';
import { CloseCode, StreamError } from './auth.js';

export interface Peer {
  /** A string is sent as a text message, bytes as a binary message. */
  send(data: string | Uint8Array): void;
  close(code: number, reason: string): void;
  /** Bytes queued in the socket and not yet written. */
  readonly bufferedAmount: number;
  /** Stops reading client messages (backpressure toward the client), until resume(). */
  pause?(): void;
  resume?(): void;
}

/** One message from the client. */
export interface Incoming {
  readonly binary: boolean;
  readonly data: Uint8Array;
}

/** An open stream, as the hub drives it. */
export interface StreamHandle {
  message?(m: Incoming): void;
  /** The socket closed (either side): release everything. */
  close(): void;
}

/** What a stream is opened with, after authentication. */
export interface StreamContext {
  readonly bmc: Bmc;
  readonly clock: Clock;
  readonly principal: Principal;
  readonly session: RedfishSession;
  readonly query: URLSearchParams;
  /** Current privileges of the session's account (they may change while open). */
  privileges(): ReadonlySet<RedfishPrivilege>;
  /** Marks user activity on the session (console input), as a Redfish request would. */
  touch(): void;
}

/** A WebSocket endpoint: its path, the privilege to open it, and how it opens. */
export interface StreamDef {
  readonly path: string;
  readonly privilege: RedfishPrivilege;
  /** Validates (throwing StreamError), then starts the stream on the peer. */
  open(ctx: StreamContext, peer: Peer): StreamHandle;
}

/**
 * A stream definition that allows at most `max` open streams at once; one
 * more is closed with 4429 (`name` names the stream in the reason).
 */
export function cappedStream(opts: {
  path: string;
  privilege: RedfishPrivilege;
  max: number;
  name: string;
  open: (ctx: StreamContext, peer: Peer) => StreamHandle;
}): StreamDef {
  let open = 0;
  return {
    path: opts.path,
    privilege: opts.privilege,
    open(ctx, peer) {
      if (open >= opts.max) throw new StreamError(CloseCode.TooMany, `Too many ${opts.name} streams`);
      const h = opts.open(ctx, peer);
      open++;
      let closed = false;
      return {
        ...(h.message ? { message: (m: Incoming) => h.message?.(m) } : {}),
        close() {
          if (closed) return;
          closed = true;
          open--;
          h.close();
        },
      };
    },
  };
}

/**
 * A stream of one host (`host=` / `system=`, see hostFrom) that allows at
 * most `maxPerHost` open streams on each host; one more is closed with 4429
 * ("Too many <name> sessions on this host"). `params` are the query
 * parameters it takes besides host and system.
 */
export function perHostStream(opts: {
  path: string;
  privilege: RedfishPrivilege;
  maxPerHost: number;
  name: string;
  params?: readonly string[];
  systemIdOf: (bmc: Bmc, h: Host) => string;
  open: (ctx: StreamContext, peer: Peer, host: Host) => StreamHandle;
}): StreamDef {
  const open = new Map<number, number>();
  return {
    path: opts.path,
    privilege: opts.privilege,
    open(ctx, peer) {
      onlyParams(ctx.query, ['host', 'system', ...(opts.params ?? [])]);
      const host = hostFrom(ctx.bmc, ctx.query, (h) => opts.systemIdOf(ctx.bmc, h));
      const n = open.get(host.index) ?? 0;
      if (n >= opts.maxPerHost) throw new StreamError(CloseCode.TooMany, `Too many ${opts.name} sessions on this host`);
      const h = opts.open(ctx, peer, host);
      open.set(host.index, n + 1);
      let closed = false;
      return {
        ...(h.message ? { message: (m: Incoming) => h.message?.(m) } : {}),
        close() {
          if (closed) return;
          closed = true;
          open.set(host.index, (open.get(host.index) ?? 1) - 1);
          h.close();
        },
      };
    },
  };
}

/**
 * The wait of a stream whose client is slow: polls every `pollMs` until
 * `slow()` is false, then calls `resume` once. One wait at a time (asking
 * again while waiting changes nothing); `cancel` ends it for good.
 */
export function drainWaiter(clock: Clock, pollMs: number, slow: () => boolean, resume: () => void): { wait(): void; cancel(): void } {
  let timer: TimerHandle | undefined;
  let cancelled = false;
  const poll = (): void => {
    timer = undefined;
    if (cancelled) return;
    if (slow()) timer = clock.setTimeout(poll, pollMs);
    else resume();
  };
  return {
    wait() {
      if (timer || cancelled) return;
      timer = clock.setTimeout(poll, pollMs);
    },
    cancel() {
      cancelled = true;
      timer?.cancel();
      timer = undefined;
    },
  };
}

/** Rejects query parameters a stream does not know (4400). */
export function onlyParams(query: URLSearchParams, allowed: readonly string[]): void {
  for (const k of query.keys()) {
    if (!allowed.includes(k)) throw new StreamError(CloseCode.BadRequest, `Unknown query parameter ${k.slice(0, 40)}`);
  }
}

/**
 * The host a stream names: `host=<index>` or `system=<SystemId>` (one of
 * them; neither = the first host). Unknown: 4404.
 */
export function hostFrom(bmc: Bmc, query: URLSearchParams, systemIdOf: (h: Host) => string): Host {
  const idx = query.get('host');
  const sys = query.get('system');
  if (idx !== null && sys !== null) throw new StreamError(CloseCode.BadRequest, 'Give host or system, not both');
  if (sys !== null) {
    const h = bmc.hosts.find((x) => systemIdOf(x) === sys);
    if (!h) throw new StreamError(CloseCode.UnknownHost, 'Unknown system');
    return h;
  }
  if (idx === null) {
    const h = bmc.hosts[0];
    if (!h) throw new StreamError(CloseCode.UnknownHost, 'Unknown host');
    return h;
  }
  if (!/^\d{1,4}$/.test(idx)) throw new StreamError(CloseCode.UnknownHost, 'Unknown host');
  const h = bmc.host(Number(idx));
  if (!h) throw new StreamError(CloseCode.UnknownHost, 'Unknown host');
  return h;
}

/** A decimal integer query value within [min, max], or the default; else 4400. */
export function intParam(query: URLSearchParams, name: string, dflt: number, min: number, max: number): number {
  const v = query.get(name);
  if (v === null) return dflt;
  if (!/^\d{1,15}$/.test(v)) throw new StreamError(CloseCode.BadRequest, `Bad ${name}`);
  const n = Number(v);
  if (n < min || n > max) throw new StreamError(CloseCode.BadRequest, `Bad ${name}`);
  return n;
}
