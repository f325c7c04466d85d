// LAN sessions (IPMI v2.0 sections 6.12, 13.14-13.23 and 22.15-22.20): the
// session state machine as one transition table and a pure step function,
// the inbound sequence-number window, and the per-endpoint session table with
// its limits, idle timeout and handle allocation. Keys are zeroed on close.
import { randomBytes } from 'node:crypto';
import { Channel, type PrivilegeLevel } from '../ipmi/constants.js';
import type { SessionDirectory, SessionPort, SessionSummary } from '../ipmi/context.js';
import type { AuthAlgo, ConfidentialityAlgo, IntegrityAlgo } from './algorithms.js';

export type SessionState = 'challenged' | 'opened' | 'rakp2-sent' | 'active' | 'closed';
export type SessionEvent = 'activate' | 'rakp1' | 'rakp3-ok' | 'fail' | 'close' | 'timeout';

/**
 * v1.5: challenged --activate--> active.
 * RMCP+: opened --rakp1--> rakp2-sent --rakp3-ok--> active (a repeated RAKP 1 restarts the exchange).
 * Every state but closed closes on fail, close and timeout.
 */
export const SESSION_TRANSITIONS: Readonly<Record<SessionState, Readonly<Partial<Record<SessionEvent, SessionState>>>>> = {
  challenged: { activate: 'active', fail: 'closed', close: 'closed', timeout: 'closed' },
  opened: { rakp1: 'rakp2-sent', fail: 'closed', close: 'closed', timeout: 'closed' },
  'rakp2-sent': { rakp1: 'rakp2-sent', 'rakp3-ok': 'active', fail: 'closed', close: 'closed', timeout: 'closed' },
  active: { close: 'closed', timeout: 'closed' },
  closed: {},
};

/** The next state, or undefined when the event is not allowed in this state. */
export function stepSession(state: SessionState, event: SessionEvent): SessionState | undefined {
  return SESSION_TRANSITIONS[state][event];
}

/**
 * Sliding window over inbound session sequence numbers (6.12.13): numbers up
 * to `ahead` above the highest seen are accepted and move the window;
 * numbers up to `behind` below it are accepted once each; everything else,
 * and 0, is a replay or out of window.
 */
export class SequenceWindow {
  #high: number;
  /** Bit k set: sequence number high-1-k has been received. */
  #seen = 0;
  readonly #behind: number;
  readonly #ahead: number;

  constructor(opts: { start?: number; behind: number; ahead: number }) {
    this.#high = (opts.start ?? 0) >>> 0;
    this.#behind = Math.min(opts.behind, 32);
    this.#ahead = opts.ahead;
  }

  get highest(): number {
    return this.#high;
  }

  /** Records seq and returns true if it is new and inside the window. */
  accept(seq: number): boolean {
    seq >>>= 0;
    if (seq === 0) return false;
    const up = (seq - this.#high) >>> 0;
    if (up >= 1 && up <= this.#ahead) {
      this.#seen = up >= 32 ? (up === 32 ? 0x80000000 : 0) : ((this.#seen << up) | (1 << (up - 1))) >>> 0;
      this.#high = seq;
      return true;
    }
    const back = (this.#high - seq) >>> 0;
    if (back >= 1 && back <= this.#behind) {
      const bit = (1 << (back - 1)) >>> 0;
      if (this.#seen & bit) return false;
      this.#seen = (this.#seen | bit) >>> 0;
      return true;
    }
    return false;
  }
}

export interface SessionKeys {
  readonly sik: Buffer;
  readonly k1: Buffer;
  readonly k2: Buffer;
}

/** One session of a LAN endpoint, from its first setup message to close. */
export class Session implements SessionPort {
  readonly id: number;
  readonly handle: number;
  readonly protocol: 0 | 1;
  readonly channel = Channel.Lan;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly remoteMac = undefined;
  #state: SessionState;
  userId = 0;
  userName: Uint8Array = new Uint8Array(0);
  /** Remote console session id (RMCP+); 0 for v1.5. */
  consoleSessionId = 0;
  /** v1.5 auth type in use; 6 for RMCP+. */
  authType: number;
  cipherSuite: number | undefined;
  auth: AuthAlgo | undefined;
  integrity: IntegrityAlgo | undefined;
  confidentiality: ConfidentialityAlgo | undefined;
  #maxPrivilege: PrivilegeLevel = 1;
  #privilege: PrivilegeLevel = 1;
  /** RAKP inputs kept between messages 1 and 3. */
  consoleRandom: Uint8Array = new Uint8Array(16);
  bmcRandom: Uint8Array = new Uint8Array(16);
  role = 0;
  /** v1.5 challenge string, and the 16-byte password key while the session lives. */
  challenge: Uint8Array = new Uint8Array(16);
  password16: Buffer = Buffer.alloc(16);
  #keys: SessionKeys | undefined;
  /** Inbound windows: authenticated and (RMCP+) unauthenticated packets. */
  inbound: SequenceWindow;
  inboundPlain: SequenceWindow;
  /** Next outbound sequence numbers. */
  outSeq = 1;
  outSeqPlain = 1;
  lastActivity: number;
  /** Set by Close Session on the calling session: close once the reply is sent. */
  closeAfterReply = false;

  constructor(opts: {
    id: number;
    handle: number;
    protocol: 0 | 1;
    state: SessionState;
    remoteAddress: string;
    remotePort: number;
    now: number;
  }) {
    this.id = opts.id;
    this.handle = opts.handle;
    this.protocol = opts.protocol;
    this.#state = opts.state;
    this.remoteAddress = opts.remoteAddress;
    this.remotePort = opts.remotePort;
    this.lastActivity = opts.now;
    this.authType = opts.protocol === 1 ? 6 : 0;
    const behind = opts.protocol === 1 ? 16 : 8;
    this.inbound = new SequenceWindow({ behind, ahead: behind });
    this.inboundPlain = new SequenceWindow({ behind, ahead: behind });
  }

  get state(): SessionState {
    return this.#state;
  }

  /** Applies an event; false (state unchanged) if the table does not allow it. */
  step(event: SessionEvent): boolean {
    const next = stepSession(this.#state, event);
    if (next === undefined) return false;
    this.#state = next;
    if (next === 'closed') this.zero();
    return true;
  }

  get active(): boolean {
    return this.#state === 'active';
  }

  get privilege(): PrivilegeLevel {
    return this.#privilege;
  }

  get maxPrivilege(): PrivilegeLevel {
    return this.#maxPrivilege;
  }

  /** Fixes the maximum at activation; the operating level starts at User or the maximum if lower (22.18). */
  establish(max: PrivilegeLevel): void {
    this.#maxPrivilege = max;
    this.#privilege = (max < 2 ? max : 2) as PrivilegeLevel;
  }

  setPrivilege(level: PrivilegeLevel): void {
    if (level < 1 || level > this.#maxPrivilege) throw new RangeError('privilege above the session maximum');
    this.#privilege = level;
  }

  get keys(): SessionKeys | undefined {
    return this.#keys;
  }

  setKeys(keys: SessionKeys): void {
    this.#keys = keys;
  }

  summary(): SessionSummary {
    return {
      handle: this.handle,
      id: this.id,
      userId: this.userId,
      privilege: this.#privilege,
      channel: this.channel,
      protocol: this.protocol,
      remoteAddress: this.remoteAddress,
      remotePort: this.remotePort,
    };
  }

  /** Overwrites every secret this session holds. */
  zero(): void {
    if (this.#keys) {
      this.#keys.sik.fill(0);
      this.#keys.k1.fill(0);
      this.#keys.k2.fill(0);
      this.#keys = undefined;
    }
    this.password16.fill(0);
    this.challenge.fill(0);
    this.bmcRandom.fill(0);
  }
}

export interface SessionLimits {
  /** Sessions overall (pending and active). */
  maxSessions(): number;
  maxSessionsPerUser(): number;
  /** Idle time after which an active session is closed. */
  idleTimeoutMs(): number;
}

/** Pending (not yet active) sessions live at most this long. */
export const SETUP_TIMEOUT_MS = 5_000;

export type CloseReason = 'closed' | 'timeout' | 'failed' | 'replaced' | 'shutdown';

/** The sessions of one LAN endpoint; it is also the SessionDirectory of the session commands. */
export class SessionTable implements SessionDirectory {
  readonly #byId = new Map<number, Session>();
  readonly #limits: SessionLimits;
  readonly #onClose: (s: Session, reason: CloseReason, from: SessionState) => void;
  #nextHandle = 1;

  constructor(limits: SessionLimits, onClose: (s: Session, reason: CloseReason, from: SessionState) => void = () => {}) {
    this.#limits = limits;
    this.#onClose = onClose;
  }

  get capacity(): number {
    return Math.min(63, this.#limits.maxSessions());
  }

  get size(): number {
    return this.#byId.size;
  }

  get(id: number): Session | undefined {
    return this.#byId.get(id >>> 0);
  }

  /** A new pending session, or undefined when the table is full. */
  create(opts: { protocol: 0 | 1; state: SessionState; remoteAddress: string; remotePort: number; now: number }): Session | undefined {
    if (this.#byId.size >= this.#limits.maxSessions()) return undefined;
    let id = 0;
    while (id === 0 || this.#byId.has(id)) id = randomBytes(4).readUInt32LE(0);
    const handle = this.#allocHandle();
    if (handle === undefined) return undefined;
    const s = new Session({ ...opts, id, handle });
    this.#byId.set(id, s);
    return s;
  }

  #allocHandle(): number | undefined {
    const used = new Set<number>();
    for (const s of this.#byId.values()) used.add(s.handle);
    for (let i = 0; i < 255; i++) {
      const h = ((this.#nextHandle - 1 + i) % 255) + 1;
      if (!used.has(h)) {
        this.#nextHandle = (h % 255) + 1;
        return h;
      }
    }
    return undefined;
  }

  /** Sessions (pending or active) bound to a user, other than `except`. */
  countForUser(userId: number, except?: Session): number {
    let n = 0;
    for (const s of this.#byId.values()) if (s !== except && s.userId === userId && s.state !== 'closed') n++;
    return n;
  }

  /** Whether a user may bind one more session. */
  userHasRoom(userId: number, except?: Session): boolean {
    return this.countForUser(userId, except) < this.#limits.maxSessionsPerUser();
  }

  end(s: Session, reason: CloseReason): void {
    if (this.#byId.get(s.id) !== s) return;
    this.#byId.delete(s.id);
    const from = s.state;
    s.step(reason === 'timeout' ? 'timeout' : reason === 'failed' ? 'fail' : 'close');
    s.zero();
    this.#onClose(s, reason, from);
  }

  /** Closes idle active sessions and stale pending ones. */
  sweep(now: number): void {
    const idle = this.#limits.idleTimeoutMs();
    for (const s of [...this.#byId.values()]) {
      const limit = s.active ? idle : Math.min(idle, SETUP_TIMEOUT_MS);
      if (now - s.lastActivity >= limit) this.end(s, 'timeout');
    }
  }

  closeAll(): void {
    for (const s of [...this.#byId.values()]) this.end(s, 'shutdown');
  }

  activeSessions(): Session[] {
    return [...this.#byId.values()].filter((s) => s.active).sort((a, b) => a.handle - b.handle);
  }

  // SessionDirectory

  list(): readonly SessionSummary[] {
    return this.activeSessions().map((s) => s.summary());
  }

  close(by: { id?: number; handle?: number }): boolean {
    const s = this.#find(by);
    if (!s) return false;
    this.end(s, 'closed');
    return true;
  }

  #find(by: { id?: number; handle?: number }): Session | undefined {
    if (by.id) {
      const s = this.#byId.get(by.id >>> 0);
      return s?.active ? s : undefined;
    }
    if (by.handle !== undefined) return this.activeSessions().find((s) => s.handle === by.handle);
    return undefined;
  }

  /** The directory a request in `caller` sees: closing the caller is deferred until its reply is sent. */
  viewFor(caller: Session | undefined): SessionDirectory {
    return {
      capacity: this.capacity,
      list: () => this.list(),
      close: (by) => {
        const s = this.#find(by);
        if (!s) return false;
        if (s === caller) s.closeAfterReply = true;
        else this.end(s, 'closed');
        return true;
      },
    };
  }
}
