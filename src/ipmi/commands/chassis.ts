// Chassis commands (NetFn 00h, IPMI v2.0 section 28): capabilities, status,
// power control through the host's power state machine, identify, power
// restore policy, restart cause, system boot options (28.12-28.13, table
// 28-14), power-on hours and the power cycle interval.
import type { Reader } from '../../bytes/index.js';
import { Writer } from '../../bytes/index.js';
import type { BootOptions } from '../../model/boot.js';
import type { Host, RestorePolicy } from '../../model/host.js';
import type { PowerAction, RestartCause } from '../../model/power.js';
import { SensorType } from '../../model/sensors.js';
import { check, fail, invalidField, reserved } from '../app-fields.js';
import { BOOT_FLAGS_LENGTH, decodeBootFlags, encodeBootFlags } from '../chassis-boot-flags.js';
import { BMC_SA, CC, NetFn, Privilege } from '../constants.js';
import type { IpmiContext } from '../context.js';
import { SetInProgressLatch } from '../lan-set-in-progress.js';
import { command, type CommandDef } from '../registry.js';

const EMPTY = new Uint8Array(0);

const Cmd = {
  GetChassisCapabilities: 0x00,
  GetChassisStatus: 0x01,
  ChassisControl: 0x02,
  ChassisIdentify: 0x04,
  SetPowerRestorePolicy: 0x06,
  GetSystemRestartCause: 0x07,
  SetSystemBootOptions: 0x08,
  GetSystemBootOptions: 0x09,
  SetPowerCycleInterval: 0x0b,
  GetPohCounter: 0x0f,
} as const;

/** Boot option completion codes (28.12). */
const BootCC = {
  ParameterNotSupported: 0x80,
  ReadOnly: 0x82,
} as const;

function noData(r: Reader): void {
  r.end();
}

// ---- status ------------------------------------------------------------------

/*
 * Get Chassis Capabilities (28.1). Response:
 *   1  capability flags: [3] power interlock, [2] diagnostic interrupt (front
 *      panel NMI), [1] front panel lockout, [0] physical security (intrusion) sensor
 *   2  chassis FRU info device address
 *   3  chassis SDR device address
 *   4  chassis SEL device address
 *   5  chassis system management device address
 *   (6 chassis bridge device address: omitted, there is no bridge function)
 */
function encodeCapabilities(host: Host): Uint8Array {
  const intrusion = host.sensorOfType(SensorType.PhysicalSecurity) ? 0x01 : 0x00;
  return Uint8Array.of(intrusion, BMC_SA, BMC_SA, BMC_SA, BMC_SA);
}

const POLICY_BITS: Readonly<Record<RestorePolicy, number>> = { 'always-off': 0, previous: 1, 'always-on': 2 };
const POLICIES: readonly RestorePolicy[] = ['always-off', 'previous', 'always-on'];

/*
 * Get Chassis Status (28.2). Response:
 *   1  current power state: [6:5] restore policy (00b always off, 01b previous,
 *      10b always on, 11b unknown), [4] power control fault, [3] power fault,
 *      [2] interlock, [1] overload, [0] power is on
 *   2  last power event: [4] last power on entered via IPMI command,
 *      [3] power down by fault, [2] interlock, [1] overload, [0] AC failed
 *   3  misc chassis state: [6] chassis identify command and state info supported,
 *      [5:4] identify state (00b off, 01b timed on, 10b indefinite on),
 *      [3] cooling/fan fault, [2] drive fault, [1] front panel lockout active,
 *      [0] chassis intrusion active
 *   4  front panel button capabilities: [7:4] disable allowed (standby,
 *      diagnostic interrupt, reset, power off), [3:0] disabled; none here
 */
function encodeChassisStatus(host: Host): Uint8Array {
  const power = (POLICY_BITS[host.restorePolicy] << 5) | (host.power === 'on' ? 0x01 : 0);
  const lastEvent = host.restartCause === 'chassis-control' ? 0x10 : 0;
  const id = host.identify;
  const identify = !id.on ? 0 : id.forced ? 2 : 1;
  const intrusion = (host.sensorOfType(SensorType.PhysicalSecurity)?.states ?? 0) & 0x01;
  let fanFault = 0;
  for (const s of host.sensors.values()) {
    if (s.def.type !== SensorType.Fan || !s.isThreshold) continue;
    for (const t of s.asserted) if (t === 'lc' || t === 'lnr' || t === 'uc' || t === 'unr') fanFault = 0x08;
  }
  return Uint8Array.of(power, lastEvent, 0x40 | (identify << 4) | fanFault | intrusion, 0x00);
}

// ---- control -------------------------------------------------------------------

/*
 * Chassis Control (28.3). Request: 1 [7:4] reserved, [3:0] control:
 *   0 power down, 1 power up, 2 power cycle, 3 hard reset,
 *   4 pulse diagnostic interrupt, 5 soft shutdown via ACPI overtemperature emulation.
 */
const CONTROL_ACTIONS: readonly PowerAction[] = ['off', 'on', 'cycle', 'reset', 'diag', 'soft'];


/*
 * Get System Restart Cause (28.11). Response:
 *   1  [3:0] restart cause (table 28-11)
 *   2  channel number the cause came in on
 */
const RESTART_CAUSE: Readonly<Record<RestartCause, number>> = {
  unknown: 0x0,
  'chassis-control': 0x1,
  'reset-button': 0x2,
  'power-button': 0x3,
  watchdog: 0x4,
  oem: 0x5,
  'policy-always-on': 0x6,
  'policy-previous': 0x7,
  'pef-reset': 0x8,
  'pef-cycle': 0x9,
  'soft-reset': 0xa,
  'rtc-wakeup': 0xb,
};

// ---- boot options ------------------------------------------------------------------

/*
 * Set System Boot Options (28.12). Request:
 *   1    [7] 1 = mark parameter invalid/locked, 0 = valid/unlocked; [6:0] parameter selector
 *   2:N  parameter data (table 28-14)
 * Completion codes: 80h parameter not supported, 81h "set in progress" while
 * not "set complete", 82h read-only parameter.
 *
 * Get System Boot Options (28.13). Request:
 *   1  [7] reserved, [6:0] parameter selector
 *   2  set selector (the mailbox block for parameter 7)
 *   3  block selector
 * Response:
 *   1    parameter version: [3:0] = 1
 *   2    [7] 1 = parameter invalid/locked, [6:0] parameter selector
 *   3:N  parameter data
 *
 * Parameters (table 28-14):
 *   0  set in progress (1 byte)
 *   1  service partition selector (1)
 *   2  service partition scan (1): [1] request BIOS scan, [0] partition discovered
 *   3  boot flag valid bit clearing (1): [4] PEF, [3] 60 s timeout, [2] watchdog,
 *      [1] pushbutton/soft reset, [0] power button / wake event
 *   4  boot info acknowledge (2): write mask, then data ([4] OEM, [3] SMS,
 *      [2] OS/service partition, [1] OS loader, [0] BIOS/POST)
 *   5  boot flags (5), see chassis-boot-flags.ts
 *   6  boot initiator info (9): [3:0] channel, session ID (4), timestamp (4)
 *   7  boot initiator mailbox: block selector, then up to 16 bytes (block 0
 *      starts with a 3-byte IANA enterprise number)
 */
const BOOT_PARAMETER_VERSION = 0x01;
const MAILBOX_BLOCKS = 5;
const MAILBOX_BLOCK_SIZE = 16;

interface BootParameter {
  /** Data length for Set, or [min, max]. */
  readonly length: number | readonly [number, number];
  get(host: Host, set: number): Uint8Array;
  set(data: Uint8Array, host: Host): void;
}

const bootProgress = new SetInProgressLatch();

function opts(host: Host, change: Partial<BootOptions>): void {
  host.setBootOptions(change);
}

const BOOT_PARAMETERS: ReadonlyMap<number, BootParameter> = new Map<number, BootParameter>([
  [
    0,
    {
      length: 1,
      get: (host) => Uint8Array.of(bootProgress.get(host)),
      set: (d, host) => bootProgress.write(host, d[0]!),
    },
  ],
  [
    1,
    {
      length: 1,
      get: (host) => Uint8Array.of(host.boot.servicePartitionSelector),
      set: (d, host) => opts(host, { servicePartitionSelector: d[0]! }),
    },
  ],
  [
    2,
    {
      length: 1,
      get: (host) => Uint8Array.of(host.boot.servicePartitionScan & 0x03),
      set: (d, host) => {
        reserved(d[0]!, 0xfc, 'service partition scan');
        opts(host, { servicePartitionScan: d[0]! });
      },
    },
  ],
  [
    3,
    {
      length: 1,
      get: (host) => Uint8Array.of(host.boot.validBitClearing & 0x1f),
      set: (d, host) => {
        reserved(d[0]!, 0xe0, 'valid bit clearing');
        opts(host, { validBitClearing: d[0]! });
      },
    },
  ],
  [
    4,
    {
      length: 2,
      get: (host) => Uint8Array.of(0x00, host.boot.bootInfoAck & 0x1f),
      set: (d, host) => {
        // Initiators write FFh to the data byte, so bits 7:5 are masked rather than refused.
        const mask = d[0]! & 0x1f;
        opts(host, { bootInfoAck: (host.boot.bootInfoAck & ~mask) | (d[1]! & mask) });
      },
    },
  ],
  [
    5,
    {
      length: BOOT_FLAGS_LENGTH,
      get: (host) => encodeBootFlags(host.boot.override),
      set: (d, host) => {
        const next = decodeBootFlags(d, host.boot.override);
        if (typeof next === 'string') invalidField(next);
        host.setBootOverride(next, { timeout: true });
      },
    },
  ],
  [
    6,
    {
      length: 9,
      get: (host) => Uint8Array.from(host.boot.initiatorInfo.slice(0, 9)),
      set: (d, host) => {
        reserved(d[0]!, 0xf0, 'boot initiator channel');
        opts(host, { initiatorInfo: [...d] });
      },
    },
  ],
  [
    7,
    {
      length: [2, 1 + MAILBOX_BLOCK_SIZE],
      get: (host, block) => {
        if (block >= MAILBOX_BLOCKS) fail(CC.ParameterOutOfRange, 'mailbox block');
        const out = new Uint8Array(1 + MAILBOX_BLOCK_SIZE);
        out[0] = block;
        out.set((host.boot.mailbox[block] ?? []).slice(0, MAILBOX_BLOCK_SIZE), 1);
        return out;
      },
      set: (d, host) => {
        const block = d[0]!;
        if (block >= MAILBOX_BLOCKS) fail(CC.ParameterOutOfRange, 'mailbox block');
        const data = new Array<number>(MAILBOX_BLOCK_SIZE).fill(0);
        d.subarray(1).forEach((b, i) => (data[i] = b));
        opts(host, { mailbox: { ...host.boot.mailbox, [block]: data } });
      },
    },
  ],
]);

interface SetBootOptionRequest {
  parameter: number;
  invalid: boolean;
  def: BootParameter;
  data: Uint8Array;
}

function decodeSetBootOption(r: Reader): SetBootOptionRequest {
  const b1 = r.u8();
  const parameter = b1 & 0x7f;
  const def = BOOT_PARAMETERS.get(parameter);
  if (!def) fail(BootCC.ParameterNotSupported, `boot parameter ${parameter}`);
  let data: Uint8Array;
  if (typeof def.length === 'number') data = r.bytes(def.length);
  else {
    const [min, max] = def.length;
    data = r.bytes(Math.min(Math.max(r.remaining, min), max));
  }
  r.end();
  return { parameter, invalid: (b1 & 0x80) !== 0, def, data: new Uint8Array(data) };
}

function decodeGetBootOption(r: Reader): { parameter: number; set: number; block: number } {
  const p = r.u8();
  const set = r.u8();
  const block = r.u8();
  r.end();
  reserved(p, 0x80, 'parameter selector');
  return { parameter: p, set, block };
}

// ---- definitions -------------------------------------------------------------------

const C = NetFn.Chassis;

export const chassisCommands: readonly CommandDef<unknown>[] = [
  command({
    netFn: C,
    cmd: Cmd.GetChassisCapabilities,
    name: 'Get Chassis Capabilities',
    privilege: Privilege.User,
    section: 'IPMI 2.0 28.1',
    decode: noData,
    handle: (_req, ctx) => encodeCapabilities(ctx.host),
  }),
  command({
    netFn: C,
    cmd: Cmd.GetChassisStatus,
    name: 'Get Chassis Status',
    privilege: Privilege.User,
    section: 'IPMI 2.0 28.2',
    decode: noData,
    handle: (_req, ctx) => encodeChassisStatus(ctx.host),
  }),
  command({
    netFn: C,
    cmd: Cmd.ChassisControl,
    name: 'Chassis Control',
    privilege: Privilege.Operator,
    section: 'IPMI 2.0 28.3',
    decode: (r) => {
      const v = r.u8();
      r.end();
      reserved(v, 0xf0, 'chassis control');
      const action = CONTROL_ACTIONS[v];
      if (action === undefined) invalidField('chassis control');
      return action;
    },
    handle: (action, ctx: IpmiContext) => {
      const refusal = ctx.host.request(action, 'chassis-control', ctx.channel);
      if (refusal === 'not-in-present-state') fail(CC.NotSupportedInPresentState, `power ${action} while ${ctx.host.power}`);
      return EMPTY;
    },
  }),
  /*
   * Chassis Identify (28.5). Request (all optional):
   *   1  identify interval, seconds; 0 = off; absent = 15 s
   *   2  [7:1] reserved, [0] 1 = force identify on indefinitely
   */
  command({
    netFn: C,
    cmd: Cmd.ChassisIdentify,
    name: 'Chassis Identify',
    privilege: Privilege.Operator,
    section: 'IPMI 2.0 28.5',
    decode: (r): { seconds: number } | 'force-on' => {
      const interval = r.optU8();
      const force = r.optU8();
      r.end();
      if (force !== undefined) {
        reserved(force, 0xfe, 'force identify');
        if (force & 0x01) return 'force-on';
      }
      return { seconds: interval ?? 15 };
    },
    handle: (mode, ctx) => {
      ctx.host.setIdentify(mode);
      return EMPTY;
    },
  }),
  /*
   * Set Power Restore Policy (28.8). Request: 1 [7:3] reserved, [2:0] policy:
   * 000b always off, 001b previous, 010b always on, 011b no change (query).
   * Response: 1 supported policies: [2] always on, [1] previous, [0] always off.
   */
  command({
    netFn: C,
    cmd: Cmd.SetPowerRestorePolicy,
    name: 'Set Power Restore Policy',
    privilege: Privilege.Operator,
    section: 'IPMI 2.0 28.8',
    decode: (r) => {
      const v = r.u8();
      r.end();
      reserved(v, 0xf8, 'power restore policy');
      check(v <= 3, 'power restore policy');
      return v === 3 ? undefined : POLICIES[v];
    },
    handle: (policy, ctx) => {
      if (policy) ctx.host.setRestorePolicy(policy);
      return Uint8Array.of(0x07);
    },
  }),
  command({
    netFn: C,
    cmd: Cmd.GetSystemRestartCause,
    name: 'Get System Restart Cause',
    privilege: Privilege.User,
    section: 'IPMI 2.0 28.11',
    decode: noData,
    handle: (_req, ctx) => {
      const cause = ctx.host.restartCause;
      return Uint8Array.of(RESTART_CAUSE[cause], ctx.host.restartChannel & 0x0f);
    },
  }),
  command({
    netFn: C,
    cmd: Cmd.SetSystemBootOptions,
    name: 'Set System Boot Options',
    privilege: Privilege.Operator,
    section: 'IPMI 2.0 28.12',
    decode: decodeSetBootOption,
    handle: (req, ctx) => {
      req.def.set(req.data, ctx.host);
      const locked = ctx.host.boot.lockedParameters.filter((p) => p !== req.parameter);
      if (req.invalid) locked.push(req.parameter);
      if (locked.length !== ctx.host.boot.lockedParameters.length || req.invalid) ctx.host.setBootOptions({ lockedParameters: locked.sort((a, b) => a - b) });
      return EMPTY;
    },
  }),
  command({
    netFn: C,
    cmd: Cmd.GetSystemBootOptions,
    name: 'Get System Boot Options',
    privilege: Privilege.Operator,
    section: 'IPMI 2.0 28.13',
    decode: decodeGetBootOption,
    handle: (req, ctx) => {
      const def = BOOT_PARAMETERS.get(req.parameter);
      if (!def) fail(BootCC.ParameterNotSupported, `boot parameter ${req.parameter}`);
      const invalid = ctx.host.boot.lockedParameters.includes(req.parameter) ? 0x80 : 0;
      return new Writer(32).u8(BOOT_PARAMETER_VERSION).u8(invalid | req.parameter).bytes(def.get(ctx.host, req.set)).finish();
    },
  }),
  /*
   * Set Power Cycle Interval (28.9). Request: 1 interval, seconds.
   */
  command({
    netFn: C,
    cmd: Cmd.SetPowerCycleInterval,
    name: 'Set Power Cycle Interval',
    privilege: Privilege.Administrator,
    section: 'IPMI 2.0 28.9',
    decode: (r) => {
      const s = r.u8();
      r.end();
      return s;
    },
    handle: (s, ctx) => {
      ctx.host.powerCycleIntervalS = s;
      return EMPTY;
    },
  }),
  /*
   * Get POH Counter (28.14). Response: 1 minutes per count; 2:5 counter, LS byte first.
   */
  command({
    netFn: C,
    cmd: Cmd.GetPohCounter,
    name: 'Get POH Counter',
    privilege: Privilege.User,
    section: 'IPMI 2.0 28.14',
    decode: noData,
    handle: (_req, ctx) => new Writer(5).u8(60).u32le(Math.floor(ctx.host.powerOnMinutes() / 60)).finish(),
  }),
];
