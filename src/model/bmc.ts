// One BMC: its identity, accounts, channels, LAN and SOL settings, security
// policy, and the chassis of hosts it manages. Many Bmc instances can live in
// one process (a rack of emulated servers); nothing here is global.
import { Channel } from '../ipmi/constants.js';
import type { HostLink } from '../backends/link.js';
import { AuditLog } from './audit.js';
import { Channels } from './channels.js';
import type { ConsoleBuffer } from './console.js';
import type { Clock } from './clock.js';
import { ModelEvents } from './events.js';
import { FirmwareInventory, type FirmwareTimings } from './firmware.js';
import { Host, type HostSpec } from './host.js';
import { defaultLanConfig, LanSettings } from './lan.js';
import { PetAlerter, udpSender } from './alerts.js';
import type { Logger } from '../log.js';
import { NtpSettings } from './ntp.js';
import { scoped, type Persistence } from './persist.js';
import type { SecurityPolicy } from './security.js';
import { TaskList } from './tasks.js';
import { UserTable, type SecretBox } from './users.js';

export interface DeviceIdentity {
  deviceId: number;
  deviceRevision: number;
  firmwareMajor: number;
  /** BCD-encoded on the wire; kept as a plain number 0..99. */
  firmwareMinor: number;
  manufacturerId: number;
  productId: number;
  auxFirmware: [number, number, number, number];
  /** Device GUID (Get Device GUID), 16 bytes in wire order. */
  guid: Uint8Array;
  firmwareVersion: string;
}

export interface SolSettings {
  enabled: boolean;
  /** Minimum privilege to activate SOL. */
  privilege: number;
  forceEncryption: boolean;
  forceAuthentication: boolean;
  /** Character accumulate interval, 5 ms units. */
  accumulateInterval: number;
  sendThreshold: number;
  retryCount: number;
  /** Retry interval, 10 ms units. */
  retryInterval: number;
  /** Bit rate code (IPMI table 26-5): 6 = 9600 ... 0xA = 115200; 0 = serial settings. */
  volatileBitRate: number;
  nonVolatileBitRate: number;
  payloadPort: number;
  /**
   * A second activation from another session takes the SOL over (the holder
   * is told "SOL deactivating") instead of being refused with "already
   * active on another session".
   */
  takeover: boolean;
}

export function defaultSolSettings(port: number): SolSettings {
  return {
    enabled: true,
    privilege: 3,
    forceEncryption: true,
    forceAuthentication: true,
    accumulateInterval: 12,
    sendThreshold: 96,
    retryCount: 7,
    retryInterval: 50,
    volatileBitRate: 0x0a,
    nonVolatileBitRate: 0x0a,
    payloadPort: port,
    takeover: false,
  };
}

export interface BmcSpec {
  readonly name: string;
  readonly device: DeviceIdentity;
  readonly maxUsers: number;
  readonly mac: string;
  readonly hosts: readonly HostSpec[];
  readonly security: SecurityPolicy;
  readonly ipmiPort: number;
  /** SOL settings the platform profile gives; what is set at run time overrides them. */
  readonly sol?: Partial<SolSettings>;
}

export class Bmc {
  readonly name: string;
  readonly events = new ModelEvents();
  readonly clock: Clock;
  readonly device: DeviceIdentity;
  readonly users: UserTable;
  readonly channels: Channels;
  readonly lan: LanSettings;
  readonly security: SecurityPolicy;
  readonly hosts: readonly Host[];
  readonly startedAt: number;
  /** Seals secrets other parts of the model keep at rest (passwords, credentials). */
  readonly secrets: SecretBox;
  /** Who changed what through the front doors (bounded, persisted). */
  readonly audit: AuditLog;
  readonly ntp: NtpSettings;
  /** Firmware inventory and updates (BMC, BIOS per host, CPLD, PSU). */
  readonly firmware: FirmwareInventory;
  /** Long-running operations (firmware updates), bounded. */
  readonly tasks: TaskList;
  #sol: SolSettings;
  /** The SOL settings changed at run time: the persisted document. */
  #solChanged: Partial<SolSettings>;
  #mcIdString: string;
  readonly #persist: Persistence;
  readonly #alerts: { close(): void }[];

  constructor(opts: {
    spec: BmcSpec;
    clock: Clock;
    persist: Persistence;
    box: SecretBox;
    links: readonly HostLink[];
    /** Console buffers the backends write into, by host; created when absent. */
    consoles?: readonly ConsoleBuffer[];
    /** Step durations of firmware updates (tests shorten them). */
    firmwareTimings?: FirmwareTimings;
    /** Where alert delivery failures are logged (warn). */
    log?: Logger;
  }) {
    const { spec } = opts;
    this.name = spec.name;
    this.clock = opts.clock;
    this.startedAt = opts.clock.now();
    this.secrets = opts.box;
    this.device = spec.device;
    this.#persist = opts.persist;
    const stored = (opts.persist.load('security') as Partial<SecurityPolicy> & { kgHex?: string }) ?? {};
    this.security = { ...spec.security };
    if (typeof stored.kgHex === 'string') this.security.kg = new Uint8Array(Buffer.from(stored.kgHex, 'hex'));
    this.users = new UserTable({ maxUsers: spec.maxUsers, persist: opts.persist, box: opts.box, events: this.events, clock: opts.clock });
    this.channels = new Channels(opts.persist, this.events);
    this.lan = new LanSettings({
      channel: Channel.Lan,
      defaults: defaultLanConfig({ mac: spec.mac, allowCipher0: spec.security.allowCipher0 }),
      persist: opts.persist,
      events: this.events,
    });
    this.audit = new AuditLog({ clock: opts.clock, persist: opts.persist });
    this.ntp = new NtpSettings({ persist: opts.persist, events: this.events });
    this.#applyLockoutPolicy();
    this.events.on('lan', () => this.#applyLockoutPolicy());
    // defaults, then the profile, then what was set at run time
    this.#solChanged = (opts.persist.load('sol') as Partial<SolSettings> | undefined) ?? {};
    this.#sol = { ...defaultSolSettings(spec.ipmiPort), ...spec.sol, ...this.#solChanged };
    this.#mcIdString = (opts.persist.load('mc-id') as string | undefined) ?? spec.name;
    this.hosts = spec.hosts.map((h, i) => {
      const link = opts.links[i];
      if (!link) throw new Error(`no backend for host ${h.index}`);
      const console = opts.consoles?.[i];
      return new Host({
        spec: h,
        link,
        events: this.events,
        clock: opts.clock,
        persist: scoped(opts.persist, `host/${h.index}`),
        ...(console ? { console } : {}),
      });
    });
    // alerts of every host go out as PETs to the LAN channel's destinations
    const udp = udpSender();
    this.#alerts = [udp];
    for (const h of this.hosts) {
      const alerter = new PetAlerter({
        lan: this.lan,
        clock: opts.clock,
        source: () => ({ guid: h.spec.systemGuid, manufacturerId: this.device.manufacturerId, systemId: this.device.productId }),
        entityOf: (n) => {
          const e = h.sensors.get(n)?.def.entity;
          return { entity: e?.id ?? 0, entityInstance: e?.instance ?? 0 };
        },
        send: udp.send,
        ...(opts.log ? { log: opts.log } : {}),
      });
      h.pef.setAlerter(alerter);
      this.#alerts.push(alerter);
    }
    this.tasks = new TaskList({ clock: opts.clock });
    this.firmware = new FirmwareInventory({
      spec: { bmcVersion: spec.device.firmwareVersion, hosts: this.hosts.map((h) => ({ index: h.index, biosVersion: h.inventory.biosVersion })) },
      device: this.device,
      clock: opts.clock,
      persist: opts.persist,
      events: this.events,
      ...(opts.firmwareTimings ? { timings: opts.firmwareTimings } : {}),
    });
  }

  host(index: number): Host | undefined {
    return this.hosts.find((h) => h.index === index);
  }

  get sol(): Readonly<SolSettings> {
    return this.#sol;
  }

  setSol(change: Partial<SolSettings>): void {
    this.#sol = { ...this.#sol, ...change };
    // only what was changed is kept, so a later profile edit still reaches the rest
    this.#solChanged = { ...this.#solChanged, ...change };
    this.#persist.save('sol', this.#solChanged);
    this.events.emit({ type: 'sol-config', channel: Channel.Lan });
  }

  /** DCMI management controller identifier string. */
  get mcIdString(): string {
    return this.#mcIdString;
  }

  setMcIdString(s: string): void {
    this.#mcIdString = s;
    this.#persist.save('mc-id', s);
    this.events.emit({ type: 'bmc', what: 'mc-id' });
  }

  setKg(kg: Uint8Array): void {
    this.security.kg = new Uint8Array(kg);
    this.#persist.save('security', { kgHex: Buffer.from(kg).toString('hex') });
    this.events.emit({ type: 'bmc', what: 'kg' });
  }

  /** Seconds since the BMC started. */
  uptimeSeconds(): number {
    return Math.floor((this.clock.now() - this.startedAt) / 1000);
  }

  #applyLockoutPolicy(): void {
    const b = this.lan.config.badPassword;
    this.users.lockout = { threshold: b.threshold, resetIntervalMs: b.resetIntervalS * 1000, lockoutMs: b.lockoutS * 1000 };
  }

  async close(): Promise<void> {
    for (const a of this.#alerts) a.close();
    await Promise.all(this.hosts.map((h) => h.close()));
  }
}
