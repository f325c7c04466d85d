// The BMC's NTP client settings (Redfish ManagerNetworkProtocol.NTP): whether
// it is enabled and the servers it would ask. Kept and persisted as set; the
// BMC clock itself is the SEL clock, which NTP does not drive yet.
import type { ModelEvents } from './events.js';
import type { Persistence } from './persist.js';

export interface NtpConfig {
  readonly enabled: boolean;
  readonly servers: readonly string[];
}

export const MAX_NTP_SERVERS = 4;

export class NtpSettings {
  #config: NtpConfig = { enabled: false, servers: [] };
  readonly #persist: Persistence;
  readonly #events: ModelEvents;

  constructor(opts: { persist: Persistence; events: ModelEvents }) {
    this.#persist = opts.persist;
    this.#events = opts.events;
    const s = opts.persist.load('ntp') as Partial<NtpConfig> | undefined;
    if (s && typeof s === 'object') {
      this.#config = {
        enabled: s.enabled === true,
        servers: Array.isArray(s.servers) ? s.servers.filter((x): x is string => typeof x === 'string').slice(0, MAX_NTP_SERVERS) : [],
      };
    }
  }

  get config(): NtpConfig {
    return this.#config;
  }

  update(change: Partial<NtpConfig>): void {
    this.#config = { ...this.#config, ...change, servers: [...(change.servers ?? this.#config.servers)] };
    this.#persist.save('ntp', this.#config);
    this.#events.emit({ type: 'bmc', what: 'ntp' });
  }
}
