// The account table shared by every front door (IPMI user slots, later the
// Redfish AccountService). IPMI v2.0 sections 22.26-22.30 define its shape:
// numbered slots, user 1 being the anonymous (null-name) user, passwords of
// up to 20 bytes kept recoverable because RAKP needs them, and per-channel
// privilege limits and payload access.
import type { PrivilegeLevel } from '../ipmi/constants.js';
import type { Clock } from './clock.js';
import { systemClock } from './clock.js';
import type { ModelEvents } from './events.js';
import type { Persistence } from './persist.js';

/** Seals secrets for storage; the store provides a keyed implementation. */
export interface SecretBox {
  seal(plain: Uint8Array): string;
  open(sealed: string): Uint8Array;
}

export const MAX_USER_NAME = 16;
export const MAX_PASSWORD = 20;
export const NO_ACCESS: PrivilegeLevel = 0xf;

export interface ChannelUserAccess {
  /** Privilege limit on this channel; 0xF = no access. */
  privilege: PrivilegeLevel;
  ipmiMessaging: boolean;
  linkAuth: boolean;
  callbackOnly: boolean;
  /** Payload access bits: bit 1 = SOL; OEM payloads 0x20-0x27 in bits 8-15. */
  payloads: number;
}

export interface User {
  readonly id: number;
  name: string;
  /** Clear password, as stored for RAKP; empty = no password. */
  password: Uint8Array;
  /** Set with the 20-byte form of Set User Password. */
  password20: boolean;
  enabled: boolean;
  channels: Map<number, ChannelUserAccess>;
}

export type PasswordCheck = 'ok' | 'wrong' | 'locked' | 'disabled' | 'unknown';

export interface LockoutPolicy {
  /** Failures that lock the user; 0 = never lock. */
  threshold: number;
  /** Window in which failures are counted, ms; 0 = never reset. */
  resetIntervalMs: number;
  /** How long a locked user stays locked, ms; 0 = until an administrator re-enables. */
  lockoutMs: number;
}

interface StoredUser {
  id: number;
  name: string;
  password?: string;
  password20: boolean;
  enabled: boolean;
  channels: [number, ChannelUserAccess][];
}

export function defaultAccess(): ChannelUserAccess {
  return { privilege: NO_ACCESS, ipmiMessaging: false, linkAuth: false, callbackOnly: false, payloads: 0 };
}

export type UserError = 'invalid-id' | 'name-taken' | 'name-too-long' | 'password-too-long' | 'fixed-name';

/**
 * An account's role, as Redfish and the web UI name it: the account's
 * privilege limit on the LAN channel (IPMI 4 = Administrator, 3 = Operator,
 * 2 or 1 = ReadOnly, no access = NoAccess).
 */
export type AccountRole = 'Administrator' | 'Operator' | 'ReadOnly' | 'NoAccess';

export const ROLE_PRIVILEGE: Record<Exclude<AccountRole, 'NoAccess'>, PrivilegeLevel> = {
  Administrator: 4,
  Operator: 3,
  ReadOnly: 2,
};

export type AuthResult = { ok: true; user: User } | { ok: false; reason: 'unknown' | 'wrong' | 'locked' | 'disabled' | 'no-access' };

/** The channel whose privilege limit is an account's role. */
export const ROLE_CHANNEL = 1;

export class UserTable {
  readonly maxUsers: number;
  readonly #users: User[] = [];
  readonly #persist: Persistence;
  readonly #box: SecretBox;
  readonly #events: ModelEvents;
  readonly #clock: Clock;
  readonly #failures = new Map<number, { count: number; first: number; lockedUntil: number | null }>();
  lockout: LockoutPolicy = { threshold: 5, resetIntervalMs: 60_000, lockoutMs: 60_000 };

  constructor(opts: { maxUsers: number; persist: Persistence; box: SecretBox; events: ModelEvents; clock?: Clock }) {
    if (opts.maxUsers < 2 || opts.maxUsers > 63) throw new RangeError('maxUsers must be 2..63');
    this.maxUsers = opts.maxUsers;
    this.#persist = opts.persist;
    this.#box = opts.box;
    this.#events = opts.events;
    this.#clock = opts.clock ?? systemClock;
    for (let id = 1; id <= this.maxUsers; id++) {
      this.#users.push({ id, name: '', password: new Uint8Array(0), password20: false, enabled: false, channels: new Map() });
    }
    const stored = this.#persist.load('users') as StoredUser[] | undefined;
    if (Array.isArray(stored)) {
      for (const s of stored) {
        const u = this.#users[s.id - 1];
        if (!u) continue;
        u.name = s.name;
        u.password = s.password ? this.#box.open(s.password) : new Uint8Array(0);
        u.password20 = s.password20;
        u.enabled = s.enabled;
        u.channels = new Map(s.channels);
      }
    }
  }

  /** True when no user has ever been configured (first start). */
  get empty(): boolean {
    return this.#users.every((u) => u.name === '' && u.password.length === 0 && !u.enabled);
  }

  get(id: number): User | undefined {
    return this.#users[id - 1];
  }

  all(): readonly User[] {
    return this.#users;
  }

  /** Looks a user up by name (exact, case-sensitive, as RAKP requires). Empty name = user 1. */
  byName(name: string): User | undefined {
    if (name === '') return this.#users[0];
    return this.#users.find((u) => u.id !== 1 && u.name === name);
  }

  access(id: number, channel: number): ChannelUserAccess {
    return this.get(id)?.channels.get(channel) ?? defaultAccess();
  }

  /** Count of enabled users and of users with fixed names (Get User Access bytes 2-3). */
  counts(): { enabled: number; fixedNames: number } {
    return { enabled: this.#users.filter((u) => u.enabled).length, fixedNames: 1 };
  }

  setName(id: number, name: string): UserError | undefined {
    const u = this.get(id);
    if (!u) return 'invalid-id';
    if (id === 1) return 'fixed-name';
    if (Buffer.byteLength(name, 'latin1') > MAX_USER_NAME) return 'name-too-long';
    if (name !== '' && this.#users.some((o) => o.id !== id && o.name === name)) return 'name-taken';
    u.name = name;
    this.#commit(id);
    return undefined;
  }

  setPassword(id: number, password: Uint8Array, twenty: boolean): UserError | undefined {
    const u = this.get(id);
    if (!u) return 'invalid-id';
    if (password.length > MAX_PASSWORD) return 'password-too-long';
    let end = password.length;
    while (end > 0 && password[end - 1] === 0) end--;
    u.password = password.slice(0, end);
    u.password20 = twenty;
    this.#failures.delete(id);
    this.#commit(id);
    return undefined;
  }

  setEnabled(id: number, enabled: boolean): UserError | undefined {
    const u = this.get(id);
    if (!u) return 'invalid-id';
    u.enabled = enabled;
    if (enabled) this.#failures.delete(id);
    this.#commit(id);
    return undefined;
  }

  setAccess(id: number, channel: number, change: Partial<ChannelUserAccess>): UserError | undefined {
    const u = this.get(id);
    if (!u) return 'invalid-id';
    u.channels.set(channel, { ...this.access(id, channel), ...change });
    this.#commit(id);
    return undefined;
  }

  /**
   * Password test for Set User Password's test operation: compares as the
   * stored size form requires (IPMI v2.0 22.30).
   */
  testPassword(id: number, candidate: Uint8Array, twenty: boolean): 'ok' | 'wrong' | 'size' {
    const u = this.get(id);
    if (!u) return 'wrong';
    if (u.password.length > 0 && u.password20 !== twenty && u.password.length > 16) return 'size';
    return equalPadded(u.password, candidate, twenty ? 20 : 16) ? 'ok' : 'wrong';
  }

  roleOf(id: number): AccountRole {
    const p = this.access(id, ROLE_CHANNEL).privilege;
    if (p === 4 || p === 5) return 'Administrator';
    if (p === 3) return 'Operator';
    if (p === 1 || p === 2) return 'ReadOnly';
    return 'NoAccess';
  }

  /** Gives an account a role: its LAN privilege limit, with IPMI messaging on. */
  setRole(id: number, role: AccountRole): UserError | undefined {
    if (role === 'NoAccess') return this.setAccess(id, ROLE_CHANNEL, { privilege: NO_ACCESS, ipmiMessaging: false });
    return this.setAccess(id, ROLE_CHANNEL, { privilege: ROLE_PRIVILEGE[role], ipmiMessaging: true, linkAuth: true });
  }

  /**
   * Checks a name and password (for front doors that receive the password,
   * such as Redfish), counting failures toward lockout. Constant-time compare.
   */
  authenticate(name: string, password: Uint8Array): AuthResult {
    const u = name === '' ? undefined : this.byName(name);
    if (!u) return { ok: false, reason: 'unknown' };
    if (this.isLocked(u.id)) return { ok: false, reason: 'locked' };
    const size = Math.max(u.password.length, password.length, 1);
    if (!equalPadded(u.password, password, Math.min(MAX_PASSWORD, size)) || password.length > MAX_PASSWORD || password.length === 0) {
      this.recordFailure(u.id);
      return { ok: false, reason: 'wrong' };
    }
    if (!u.enabled) return { ok: false, reason: 'disabled' };
    if (this.roleOf(u.id) === 'NoAccess') return { ok: false, reason: 'no-access' };
    this.recordSuccess(u.id);
    return { ok: true, user: u };
  }

  /** The first free slot for a new account (slots 3 and up; 1 is anonymous, 2 the administrator). */
  freeSlot(): number | undefined {
    return this.#users.find((u) => u.id >= 3 && u.name === '' && !u.enabled)?.id;
  }

  /** Clears a slot (account deleted). */
  clear(id: number): UserError | undefined {
    const u = this.get(id);
    if (!u) return 'invalid-id';
    if (id === 1) return 'fixed-name';
    u.name = '';
    u.password = new Uint8Array(0);
    u.password20 = false;
    u.enabled = false;
    u.channels = new Map();
    this.#failures.delete(id);
    this.#commit(id);
    return undefined;
  }

  /** The key a session derives from: the password padded with zeros to 20 bytes. */
  key(id: number, size: 16 | 20 = 20): Buffer {
    const out = Buffer.alloc(size);
    const u = this.get(id);
    if (u) out.set(u.password.subarray(0, size));
    return out;
  }

  isLocked(id: number): boolean {
    const f = this.#failures.get(id);
    if (!f || f.lockedUntil === null) return false;
    if (f.lockedUntil > 0 && this.#clock.monotonic() >= f.lockedUntil) {
      this.#failures.delete(id);
      return false;
    }
    return true;
  }

  /** Records a failed authentication; returns true when this locked the user. */
  recordFailure(id: number): boolean {
    const p = this.lockout;
    if (p.threshold === 0) return false;
    const now = this.#clock.monotonic();
    let f = this.#failures.get(id);
    if (!f || (p.resetIntervalMs > 0 && now - f.first > p.resetIntervalMs && f.lockedUntil === null)) {
      f = { count: 0, first: now, lockedUntil: null };
      this.#failures.set(id, f);
    }
    f.count++;
    if (f.count >= p.threshold && f.lockedUntil === null) {
      f.lockedUntil = p.lockoutMs > 0 ? now + p.lockoutMs : 0;
      return true;
    }
    return false;
  }

  recordSuccess(id: number): void {
    this.#failures.delete(id);
  }

  /** Clears a lockout and the failure count (an administrator's unlock). */
  unlock(id: number): void {
    this.#failures.delete(id);
  }

  #commit(id: number): void {
    const stored: StoredUser[] = this.#users
      .filter((u) => u.name !== '' || u.password.length > 0 || u.enabled || u.channels.size > 0)
      .map((u) => ({
        id: u.id,
        name: u.name,
        ...(u.password.length ? { password: this.#box.seal(u.password) } : {}),
        password20: u.password20,
        enabled: u.enabled,
        channels: [...u.channels.entries()],
      }));
    this.#persist.save('users', stored);
    this.#events.emit({ type: 'users', userId: id });
  }
}

function equalPadded(stored: Uint8Array, candidate: Uint8Array, size: number): boolean {
  const a = Buffer.alloc(size);
  a.set(stored.subarray(0, size));
  const b = Buffer.alloc(size);
  b.set(candidate.subarray(0, size));
  let diff = 0;
  for (let i = 0; i < size; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}
