// Channels of the BMC (IPMI v2.0 section 6): the LAN channel that sessions
// come in on and the system interface the host uses, each with volatile and
// non-volatile access settings (22.22-22.23) and a privilege limit.
import { Channel, ChannelMedium, ChannelProtocol, type PrivilegeLevel } from '../ipmi/constants.js';
import type { ModelEvents } from './events.js';
import type { Persistence } from './persist.js';

export type AccessMode = 'disabled' | 'pre-boot' | 'always' | 'shared';

export interface ChannelAccess {
  accessMode: AccessMode;
  userLevelAuth: boolean;
  perMessageAuth: boolean;
  alerting: boolean;
  privilegeLimit: PrivilegeLevel;
}

export interface ChannelInfo {
  readonly number: number;
  readonly medium: number;
  readonly protocol: number;
  /** 0 session-less, 1 single, 2 multi, 3 session-based */
  readonly sessionSupport: 0 | 1 | 2 | 3;
  readonly name: string;
}

interface ChannelState {
  volatile: ChannelAccess;
  nonVolatile: ChannelAccess;
}

const DEFAULT_LAN_ACCESS: ChannelAccess = {
  accessMode: 'always',
  userLevelAuth: true,
  perMessageAuth: true,
  alerting: false,
  privilegeLimit: 4,
};

export class Channels {
  readonly #info = new Map<number, ChannelInfo>();
  readonly #state = new Map<number, ChannelState>();
  readonly #persist: Persistence;
  readonly #events: ModelEvents;

  constructor(persist: Persistence, events: ModelEvents) {
    this.#persist = persist;
    this.#events = events;
    this.#info.set(Channel.Lan, {
      number: Channel.Lan,
      medium: ChannelMedium.Lan8023,
      protocol: ChannelProtocol.Ipmb,
      sessionSupport: 2,
      name: 'lan',
    });
    this.#info.set(Channel.SystemInterface, {
      number: Channel.SystemInterface,
      medium: ChannelMedium.SystemInterface,
      protocol: ChannelProtocol.Kcs,
      sessionSupport: 0,
      name: 'system',
    });
    const stored = persist.load('channels') as [number, ChannelAccess][] | undefined;
    const nv = new Map(Array.isArray(stored) ? stored : []);
    for (const n of this.#info.keys()) {
      if (n === Channel.SystemInterface) continue;
      const base = { ...DEFAULT_LAN_ACCESS, ...(nv.get(n) ?? {}) };
      this.#state.set(n, { volatile: { ...base }, nonVolatile: { ...base } });
    }
  }

  info(n: number): ChannelInfo | undefined {
    return this.#info.get(n);
  }

  all(): ChannelInfo[] {
    return [...this.#info.values()];
  }

  /** Channels that carry sessions and so have access settings. */
  hasAccess(n: number): boolean {
    return this.#state.has(n);
  }

  access(n: number, which: 'volatile' | 'non-volatile' = 'volatile'): ChannelAccess | undefined {
    const s = this.#state.get(n);
    if (!s) return undefined;
    return which === 'volatile' ? s.volatile : s.nonVolatile;
  }

  setAccess(n: number, which: 'volatile' | 'non-volatile', change: Partial<ChannelAccess>): boolean {
    const s = this.#state.get(n);
    if (!s) return false;
    if (which === 'volatile') s.volatile = { ...s.volatile, ...change };
    else {
      s.nonVolatile = { ...s.nonVolatile, ...change };
      this.#persist.save(
        'channels',
        [...this.#state.entries()].map(([k, v]) => [k, v.nonVolatile]),
      );
    }
    this.#events.emit({ type: 'channel', channel: n });
    return true;
  }
}
