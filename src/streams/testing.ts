// Test fixtures for the stream unit tests: a peer that records what a
// stream sent, and a stream context for a user of the test BMC.
import type { Bmc } from '../model/bmc.js';
import type { ManualClock } from '../model/clock.js';
import type { SessionStore } from '../redfish/sessions.js';
import { currentPrivileges } from './auth.js';
import type { Peer, StreamContext } from './peer.js';

export class FakePeer implements Peer {
  readonly sent: (string | Uint8Array)[] = [];
  closed: { code: number; reason: string } | undefined;
  bufferedAmount = 0;

  send(data: string | Uint8Array): void {
    if (this.closed) throw new Error('send after close');
    this.sent.push(typeof data === 'string' ? data : data.slice());
  }

  close(code: number, reason: string): void {
    this.closed ??= { code, reason };
  }

  /** The text messages parsed as JSON. */
  json(): { type: string; [k: string]: unknown }[] {
    return this.sent.filter((m): m is string => typeof m === 'string').map((m) => JSON.parse(m) as { type: string });
  }

  /** The binary messages concatenated. */
  bytes(): Buffer {
    return Buffer.concat(this.sent.filter((m): m is Uint8Array => typeof m !== 'string'));
  }

  clear(): void {
    this.sent.length = 0;
  }
}

/** Adds a ReadOnly account "reader"/"readpass" in slot 4. */
export function addReadOnly(bmc: Bmc): number {
  bmc.users.setName(4, 'reader');
  bmc.users.setPassword(4, Buffer.from('readpass'), false);
  bmc.users.setAccess(4, 1, { privilege: 2, ipmiMessaging: true, linkAuth: true, payloads: 0x02 });
  bmc.users.setEnabled(4, true);
  return 4;
}

/** A context for a new session of `userId` with the given query string. */
export function streamContext(bmc: Bmc, clock: ManualClock, sessions: SessionStore, userId: number, query = ''): StreamContext & { touches: number } {
  const session = sessions.create(userId, bmc.users.get(userId)?.name ?? '', '127.0.0.1');
  if (!session) throw new Error('no session');
  const principal = sessions.principal(userId, session);
  if (!principal) throw new Error('no principal');
  const ctx = {
    bmc,
    clock,
    principal,
    session,
    query: new URLSearchParams(query),
    privileges: () => currentPrivileges(sessions, session),
    touches: 0,
    touch: () => {
      ctx.touches++;
    },
  };
  return ctx;
}
