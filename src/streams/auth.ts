// WebSocket stream authentication and authorization: a Redfish session
// token (DSP0266 13.3.4) carried in X-Auth-Token (non-browser clients) or,
// for browsers, which cannot set headers on a WebSocket, as a
// Sec-WebSocket-Protocol entry `x-auth-token.<token>` offered next to the
// application protocol `tsbmc.v1` (RFC 6455 4.1, 11.3.4). Only sessions
// authenticate a stream (no Basic): a stream lives as long as its session.
// The close codes are the application range of RFC 6455 7.4.2, 4000 plus
// the HTTP status they stand for, since a browser cannot see the status of
// a refused handshake.
import type { RedfishPrivilege } from '../redfish/privileges.js';
import type { Principal, RedfishSession, SessionStore } from '../redfish/sessions.js';

/** The subprotocol the server selects; a browser must offer it with the token entry. */
export const APP_PROTOCOL = 'tsbmc.v1';
/** Prefix of the Sec-WebSocket-Protocol entry that carries the session token. */
export const TOKEN_PROTOCOL_PREFIX = 'x-auth-token.';

/** Close codes (RFC 6455 7.4: 1000-1011 protocol, 4000-4999 application). */
export const CloseCode = {
  Normal: 1000,
  GoingAway: 1001,
  BadRequest: 4400,
  Unauthorized: 4401,
  Forbidden: 4403,
  UnknownHost: 4404,
  TooMany: 4429,
  Unavailable: 4503,
} as const;
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];

/** A refusal of a stream: closes the socket with `code` and `reason` (at most 123 bytes). */
export class StreamError extends Error {
  override readonly name = 'StreamError';
  constructor(
    readonly code: CloseCode,
    readonly reason: string,
  ) {
    super(reason);
  }
}

type Headers = Readonly<Record<string, string | string[] | undefined>>;

function first(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

/** The Sec-WebSocket-Protocol entries a client offered, in order. */
export function offeredProtocols(headers: Headers): string[] {
  const raw = headers['sec-websocket-protocol'];
  const all = Array.isArray(raw) ? raw.join(',') : (raw ?? '');
  return all
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '');
}

/** The session token of an upgrade request: X-Auth-Token first, else the subprotocol entry. */
export function tokenFrom(headers: Headers): string | undefined {
  const h = first(headers['x-auth-token'])?.trim();
  if (h) return h;
  for (const p of offeredProtocols(headers)) {
    if (p.startsWith(TOKEN_PROTOCOL_PREFIX) && p.length > TOKEN_PROTOCOL_PREFIX.length) return p.slice(TOKEN_PROTOCOL_PREFIX.length);
  }
  return undefined;
}

/** ws `handleProtocols`: select the application protocol, never echo the token entry. */
export function selectProtocol(offered: ReadonlySet<string>): string | false {
  return offered.has(APP_PROTOCOL) ? APP_PROTOCOL : false;
}

export interface StreamAuth {
  readonly principal: Principal;
  readonly session: RedfishSession;
}

/**
 * Who opens a stream: the session the token names (refreshed, as any
 * request with it is) and its account's current privileges; a stream
 * needs at least `need`. Throws StreamError 4401 / 4403.
 */
export function authorize(sessions: SessionStore, token: string | undefined, need: RedfishPrivilege): StreamAuth {
  if (token === undefined || token.length > 256) throw new StreamError(CloseCode.Unauthorized, 'Unauthorized');
  const session = sessions.byToken(token);
  const principal = session ? sessions.principal(session.userId, session) : undefined;
  if (!session || !principal) throw new StreamError(CloseCode.Unauthorized, 'Unauthorized');
  if (!principal.privileges.has(need)) throw new StreamError(CloseCode.Forbidden, `Forbidden: requires ${need}`);
  return { principal, session };
}

/**
 * Re-checks an open stream's session (the periodic sweep): undefined while
 * it is still good, else why the stream must close (logout or expiry:
 * 4401; the account lost the privilege: 4403). Does not refresh the session.
 */
export function recheck(sessions: SessionStore, session: RedfishSession, need: RedfishPrivilege): StreamError | undefined {
  if (sessions.get(session.id) !== session) return new StreamError(CloseCode.Unauthorized, 'Session ended');
  const principal = sessions.principal(session.userId, session);
  if (!principal) return new StreamError(CloseCode.Unauthorized, 'Session ended');
  if (!principal.privileges.has(need)) return new StreamError(CloseCode.Forbidden, `Forbidden: requires ${need}`);
  return undefined;
}

/** The current privileges of a session's account (console input is checked per frame). */
export function currentPrivileges(sessions: SessionStore, session: RedfishSession): ReadonlySet<RedfishPrivilege> {
  return sessions.principal(session.userId, session)?.privileges ?? new Set();
}
