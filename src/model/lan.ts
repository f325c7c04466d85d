// LAN settings of the BMC's network channel: what IPMI's LAN Configuration
// Parameters (IPMI v2.0 table 23-4) read and write, typed. Addresses are what
// was configured; a hardware backend applies them to the real interface.
import type { PrivilegeLevel } from '../ipmi/constants.js';
import type { ModelEvents } from './events.js';
import type { Persistence } from './persist.js';

/** Authentication types enabled per privilege level, as bit masks (bit0 none, bit1 MD2, bit2 MD5, bit4 password, bit5 OEM). */
export interface AuthEnables {
  callback: number;
  user: number;
  operator: number;
  admin: number;
  oem: number;
}

export interface LanDestination {
  type: number;
  ackTimeout: number;
  retries: number;
  gatewaySelector: number;
  ip: string;
  mac: string;
  /** Parameter 25: 0 no VLAN tag, 1 802.1q tag. */
  vlanTagFormat: number;
  vlanTag: number;
}

export interface LanConfig {
  authEnables: AuthEnables;
  ipSource: 'static' | 'dhcp' | 'bios' | 'other' | 'unspecified';
  ip: string;
  netmask: string;
  mac: string;
  gateway: string;
  gatewayMac: string;
  backupGateway: string;
  backupGatewayMac: string;
  ttl: number;
  ipFlags: number;
  tos: number;
  arpResponses: boolean;
  gratuitousArp: boolean;
  /** Gratuitous ARP interval in 500 ms units. */
  gratuitousArpInterval: number;
  community: string;
  vlanEnabled: boolean;
  vlanId: number;
  vlanPriority: number;
  /**
   * RMCP+ cipher suites offered, in entry order; the maximum privilege each
   * may be used at (0 = entry disabled).
   */
  cipherSuites: { id: number; maxPrivilege: PrivilegeLevel | 0 }[];
  badPassword: { generateEvent: boolean; threshold: number; resetIntervalS: number; lockoutS: number };
  destinations: LanDestination[];
}

/** Suites implemented by the RMCP+ layer; 0 appears only when configured. */
export const SUPPORTED_CIPHER_SUITES = [0, 1, 2, 3, 17] as const;

export function defaultLanConfig(opts: { mac: string; allowCipher0: boolean }): LanConfig {
  const suites: LanConfig['cipherSuites'] = [
    { id: 1, maxPrivilege: 4 },
    { id: 2, maxPrivilege: 4 },
    { id: 3, maxPrivilege: 4 },
    { id: 17, maxPrivilege: 4 },
  ];
  if (opts.allowCipher0) suites.unshift({ id: 0, maxPrivilege: 4 });
  return {
    authEnables: { callback: 0x04, user: 0x04, operator: 0x04, admin: 0x04, oem: 0x00 },
    ipSource: 'static',
    ip: '127.0.0.1',
    netmask: '255.0.0.0',
    mac: opts.mac,
    gateway: '0.0.0.0',
    gatewayMac: '00:00:00:00:00:00',
    backupGateway: '0.0.0.0',
    backupGatewayMac: '00:00:00:00:00:00',
    ttl: 0x40,
    ipFlags: 0x40,
    tos: 0x10,
    arpResponses: true,
    gratuitousArp: false,
    gratuitousArpInterval: 4,
    community: 'public',
    vlanEnabled: false,
    vlanId: 0,
    vlanPriority: 0,
    cipherSuites: suites,
    badPassword: { generateEvent: true, threshold: 5, resetIntervalS: 60, lockoutS: 60 },
    destinations: Array.from({ length: 4 }, () => ({
      type: 0,
      ackTimeout: 3,
      retries: 0,
      gatewaySelector: 0,
      ip: '0.0.0.0',
      mac: '00:00:00:00:00:00',
      vlanTagFormat: 0,
      vlanTag: 0,
    })),
  };
}

/** The LAN settings of one channel, persisted as a whole on every change. */
export class LanSettings {
  readonly channel: number;
  #config: LanConfig;
  readonly #persist: Persistence;
  readonly #events: ModelEvents;

  constructor(opts: { channel: number; defaults: LanConfig; persist: Persistence; events: ModelEvents }) {
    this.channel = opts.channel;
    this.#persist = opts.persist;
    this.#events = opts.events;
    const stored = opts.persist.load(`lan/${opts.channel}`) as Partial<LanConfig> | undefined;
    this.#config = { ...opts.defaults, ...(stored && typeof stored === 'object' ? stored : {}) };
  }

  get config(): Readonly<LanConfig> {
    return this.#config;
  }

  /** Applies a change; `parameter` names the IPMI parameter for subscribers (0 = several). */
  update(change: Partial<LanConfig>, parameter = 0): void {
    this.#config = { ...this.#config, ...change };
    this.#persist.save(`lan/${this.channel}`, this.#config);
    this.#events.emit({ type: 'lan', channel: this.channel, parameter });
  }

  /** The maximum privilege a cipher suite may be used at, or undefined if not offered. */
  suitePrivilege(id: number): PrivilegeLevel | undefined {
    const e = this.#config.cipherSuites.find((s) => s.id === id);
    return e && e.maxPrivilege !== 0 ? e.maxPrivilege : undefined;
  }
}
