// Redfish sessions (DSP0266 13.3): a login creates a session whose
// X-Auth-Token authenticates later requests without hashing a password per
// request; sessions expire after SessionTimeout of inactivity. Requests may
// instead carry HTTP Basic credentials, checked against the shared account
// table (with its lockout).
import { randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { Bmc } from '../model/bmc.js';
import type { AccountRole } from '../model/users.js';
import { ROLE_PRIVILEGES, type RedfishPrivilege } from './privileges.js';

export interface RedfishSession {
  readonly id: string;
  readonly token: string;
  readonly userId: number;
  readonly userName: string;
  readonly created: number;
  lastUsed: number;
  readonly clientAddress: string;
  readonly context?: string;
}

/** Who is making a request. */
export interface Principal {
  readonly userId: number;
  readonly userName: string;
  readonly role: Exclude<AccountRole, 'NoAccess'>;
  readonly privileges: ReadonlySet<RedfishPrivilege>;
  readonly session?: RedfishSession;
}

export const DEFAULT_SESSION_TIMEOUT_S = 1800;
export const MAX_SESSIONS = 64;

/** Each role's privileges as a set, made once: a principal is built per request. */
const ROLE_PRIVILEGE_SETS: Readonly<Record<Principal['role'], ReadonlySet<RedfishPrivilege>>> = {
  Administrator: new Set(ROLE_PRIVILEGES.Administrator),
  Operator: new Set(ROLE_PRIVILEGES.Operator),
  ReadOnly: new Set(ROLE_PRIVILEGES.ReadOnly),
};

export class SessionStore {
  readonly #bmc: Bmc;
  /** Sessions by token, with the token's bytes for the constant-time compare. */
  readonly #byToken = new Map<string, { readonly session: RedfishSession; readonly token: Buffer }>();
  readonly #byId = new Map<string, RedfishSession>();
  timeoutS = DEFAULT_SESSION_TIMEOUT_S;

  constructor(bmc: Bmc) {
    this.#bmc = bmc;
  }

  get size(): number {
    return this.#byId.size;
  }

  list(): RedfishSession[] {
    this.sweep();
    return [...this.#byId.values()];
  }

  get(id: string): RedfishSession | undefined {
    this.sweep();
    return this.#byId.get(id);
  }

  create(userId: number, userName: string, clientAddress: string, context?: string): RedfishSession | undefined {
    this.sweep();
    if (this.#byId.size >= MAX_SESSIONS) return undefined;
    const s: RedfishSession = {
      id: randomUUID().replace(/-/g, '').slice(0, 20),
      token: randomBytes(24).toString('base64url'),
      userId,
      userName,
      created: this.#bmc.clock.now(),
      lastUsed: this.#bmc.clock.monotonic(),
      clientAddress,
      ...(context !== undefined ? { context } : {}),
    };
    this.#byToken.set(s.token, { session: s, token: Buffer.from(s.token) });
    this.#byId.set(s.id, s);
    return s;
  }

  delete(id: string): boolean {
    const s = this.#byId.get(id);
    if (!s) return false;
    this.#byId.delete(id);
    this.#byToken.delete(s.token);
    return true;
  }

  /** Ends every session of an account (deleted, disabled or its password changed). */
  deleteForUser(userId: number, except?: string): void {
    for (const s of [...this.#byId.values()]) if (s.userId === userId && s.id !== except) this.delete(s.id);
  }

  /** The session a token names, refreshed, or undefined (unknown or expired). */
  byToken(token: string): RedfishSession | undefined {
    const entry = this.#byToken.get(token);
    if (!entry) return undefined;
    // the map lookup already matched; compare again in constant time for form
    const given = Buffer.from(token);
    if (given.length !== entry.token.length || !timingSafeEqual(entry.token, given)) return undefined;
    const s = entry.session;
    const now = this.#bmc.clock.monotonic();
    if (now - s.lastUsed > this.timeoutS * 1000) {
      this.delete(s.id);
      return undefined;
    }
    s.lastUsed = now;
    return s;
  }

  sweep(): void {
    const now = this.#bmc.clock.monotonic();
    for (const s of [...this.#byId.values()]) if (now - s.lastUsed > this.timeoutS * 1000) this.delete(s.id);
  }

  /** The principal for an account in good standing, or undefined. */
  principal(userId: number, session?: RedfishSession): Principal | undefined {
    const users = this.#bmc.users;
    const u = users.get(userId);
    if (!u || !u.enabled) return undefined;
    const role = users.roleOf(userId);
    if (role === 'NoAccess') return undefined;
    return session ? { userId, userName: u.name, role, privileges: ROLE_PRIVILEGE_SETS[role], session } : { userId, userName: u.name, role, privileges: ROLE_PRIVILEGE_SETS[role] };
  }
}
