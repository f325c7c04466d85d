// Test fixtures: a small BMC over in-memory persistence and a stub backend
// that records what the model asked of it. Used by unit tests only.
import type { BootChoice, HostLink, HostReports } from '../backends/link.js';
import { ManualClock } from './clock.js';
import { Bmc, type BmcSpec } from './bmc.js';
import type { HostSpec } from './host.js';
import { MemoryPersistence, type Persistence } from './persist.js';
import { defaultSecurityPolicy } from './security.js';
import { EventReadingType, SensorType, type SensorDef } from './sensors.js';
import type { SecretBox } from './users.js';

export class StubLink implements HostLink {
  readonly kind = 'stub';
  readonly calls: string[] = [];
  reports: HostReports | undefined;
  readings = new Map<number, number | null>();
  powerWatts = 100;
  lastBoot: BootChoice | undefined;
  /** The power cap the model handed down (null: none). */
  powerCap: number | null = null;

  attach(r: HostReports): void {
    this.reports = r;
  }
  powerOn(): void {
    this.calls.push('on');
    this.lastBoot = this.reports?.takeBootChoice();
  }
  powerOff(): void {
    this.calls.push('off');
  }
  reset(): void {
    this.calls.push('reset');
    this.lastBoot = this.reports?.takeBootChoice();
  }
  diagnosticInterrupt(): void {
    this.calls.push('nmi');
  }
  softOff(): void {
    this.calls.push('soft');
  }
  setPowerCap(watts: number | null): void {
    this.powerCap = watts;
  }
  sample(): { readings: ReadonlyMap<number, number | null>; powerWatts: number } {
    return { readings: this.readings, powerWatts: this.powerWatts };
  }
  async close(): Promise<void> {}
}

export const plainBox: SecretBox = {
  seal: (b) => Buffer.from(b).toString('base64'),
  open: (s) => new Uint8Array(Buffer.from(s, 'base64')),
};

export const testSensors: SensorDef[] = [
  {
    number: 0x01,
    name: 'CPU Temp',
    type: SensorType.Temperature,
    eventReadingType: EventReadingType.Threshold,
    unit: 'degrees C',
    entity: { id: 0x03, instance: 1 },
    present: true,
    conversion: { m: 1, b: 0, bExp: 0, rExp: 0, signed: true },
    thresholds: { unc: 87, uc: 92, unr: 92, lnc: 0, lc: 0, lnr: 0 },
    hysteresis: { positive: 2, negative: 2 },
    nominal: 40,
  },
  {
    number: 0x30,
    name: '12V',
    type: SensorType.Voltage,
    eventReadingType: EventReadingType.Threshold,
    unit: 'Volts',
    entity: { id: 0x07, instance: 1 },
    present: true,
    conversion: { m: 63, b: 0, bExp: 0, rExp: -3, signed: false },
    thresholds: { lnr: 10.173, lc: 10.299, lnc: 10.74, unc: 12.945, uc: 13.26, unr: 13.386 },
    hysteresis: { positive: 2, negative: 2 },
    nominal: 12,
  },
  {
    number: 0x41,
    name: 'FAN3',
    type: SensorType.Fan,
    eventReadingType: EventReadingType.Threshold,
    unit: 'RPM',
    entity: { id: 0x1d, instance: 3 },
    present: false,
    conversion: { m: 100, b: 0, bExp: 0, rExp: 0, signed: false },
    thresholds: { lnr: 100, lc: 200, lnc: 300, unc: 1600, uc: 1700, unr: 1800 },
    hysteresis: { positive: 1, negative: 1 },
    nominal: 0,
  },
  {
    number: 0xaa,
    name: 'Chassis Intru',
    type: SensorType.PhysicalSecurity,
    eventReadingType: EventReadingType.SensorSpecific,
    unit: 'unspecified',
    entity: { id: 0x17, instance: 1 },
    present: true,
    conversion: { m: 1, b: 0, bExp: 0, rExp: 0, signed: false },
    thresholds: {},
    hysteresis: { positive: 0, negative: 0 },
    discreteMask: 0x0001,
  },
];

export function testHostSpec(index = 0): HostSpec {
  return {
    index,
    name: `host${index}`,
    sensors: testSensors,
    fru: {
      chassis: { type: 0x17, partNumber: 'CSE-TEST', serial: 'C0001', extra: [] },
      board: { mfgMinutes: 14_000_000, manufacturer: 'tsbmc', product: 'Test Board', serial: 'B0001', partNumber: 'TB-1', fileId: '', extra: [] },
      product: { manufacturer: 'tsbmc', name: 'Test Server', partNumber: 'TS-1', version: '1.0', serial: 'S0001', assetTag: '', fileId: '', extra: [] },
    },
    fruSize: 512,
    selCapacity: 64,
    selOverflow: 'stop',
    powerCycleIntervalMs: 1000,
    softOffTimeoutMs: 5000,
    systemGuid: new Uint8Array(16).fill(0x11),
    defaultRestorePolicy: 'always-off',
  };
}

export function testBmcSpec(hosts = 1): BmcSpec {
  return {
    name: 'test-bmc',
    device: {
      deviceId: 0x20,
      deviceRevision: 1,
      firmwareMajor: 1,
      firmwareMinor: 2,
      manufacturerId: 0xc0ffee & 0xfffff,
      productId: 0x0001,
      auxFirmware: [0, 0, 0, 0],
      guid: new Uint8Array(16).fill(0x22),
      firmwareVersion: '1.2.0',
    },
    maxUsers: 15,
    mac: '02:00:00:00:00:01',
    hosts: Array.from({ length: hosts }, (_, i) => testHostSpec(i)),
    security: defaultSecurityPolicy(),
    ipmiPort: 623,
  };
}

/** A BMC with an administrator "admin"/"password" in slot 2 and an operator in slot 3. */
export function makeTestBmc(opts: { hosts?: number; persist?: Persistence; clock?: ManualClock } = {}): {
  bmc: Bmc;
  links: StubLink[];
  clock: ManualClock;
  persist: Persistence;
} {
  const clock = opts.clock ?? new ManualClock();
  const persist = opts.persist ?? new MemoryPersistence();
  const spec = testBmcSpec(opts.hosts ?? 1);
  const links = spec.hosts.map(() => new StubLink());
  const bmc = new Bmc({ spec, clock, persist, box: plainBox, links });
  if (bmc.users.empty) {
    bmc.users.setName(2, 'admin');
    bmc.users.setPassword(2, Buffer.from('password'), false);
    bmc.users.setAccess(2, 1, { privilege: 4, ipmiMessaging: true, linkAuth: true, payloads: 0x02 });
    bmc.users.setEnabled(2, true);
    bmc.users.setName(3, 'operator');
    bmc.users.setPassword(3, Buffer.from('operpass'), false);
    bmc.users.setAccess(3, 1, { privilege: 3, ipmiMessaging: true, linkAuth: true, payloads: 0x02 });
    bmc.users.setEnabled(3, true);
  }
  return { bmc, links, clock, persist };
}
