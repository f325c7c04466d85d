// Counters of one LAN endpoint (IPMI v2.0 section 13 transport), read by the
// CLI and by tests: packets dropped by reason, sessions, authentication
// failures. Plain numbers; no secrets.

export const DROP_REASONS = [
  'malformed',
  'oversized',
  'unsupported',
  'no-session',
  'wrong-state',
  'sequence',
  'integrity-required',
  'integrity',
  'decrypt',
  'checksum',
  'auth-type',
  'session-less-command',
  'channel-disabled',
  'internal',
] as const;

export type DropReason = (typeof DROP_REASONS)[number];

export class LanStats {
  packetsIn = 0;
  packetsOut = 0;
  readonly dropped: Record<DropReason, number> = Object.fromEntries(DROP_REASONS.map((r) => [r, 0])) as Record<DropReason, number>;
  sessionsOpened = 0;
  sessionsClosed = 0;
  sessionsTimedOut = 0;
  authFailures = 0;
  commands = 0;

  get droppedTotal(): number {
    let n = 0;
    for (const r of DROP_REASONS) n += this.dropped[r];
    return n;
  }

  snapshot(): Record<string, unknown> {
    return {
      packetsIn: this.packetsIn,
      packetsOut: this.packetsOut,
      dropped: { ...this.dropped },
      sessionsOpened: this.sessionsOpened,
      sessionsClosed: this.sessionsClosed,
      sessionsTimedOut: this.sessionsTimedOut,
      authFailures: this.authFailures,
      commands: this.commands,
    };
  }
}
