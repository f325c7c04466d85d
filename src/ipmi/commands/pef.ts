// PEF commands, NetFn Sensor/Event 04h (IPMI v2.0 section 30, privileges per
// appendix G): capabilities, the postpone timer, the PEF configuration
// parameters of table 30-6 over the host's Pef model, and the last processed
// event ids; the alert policy table and alert strings, Alert Immediate and
// PET Acknowledge (30.7, 30.8) over the host's alerter.
import { Writer } from '../../bytes/index.js';
import {
  alertStringText,
  NO_RECORD,
  PEF_ALERT_STRING_BLOCK,
  PEF_ALERT_STRING_COUNT,
  PEF_ALERT_STRING_SIZE,
  PEF_FILTER_COUNT,
  PEF_FILTER_SIZE,
  PEF_POLICY_COUNT,
  PEF_POLICY_SIZE,
  PEF_SUPPORTED_ACTIONS,
  type Pef,
  type PefRefusal,
} from '../../model/pef.js';
import { check, fail, invalidField, reserved, resolveChannel } from '../app-fields.js';
import { CC, NetFn, Privilege } from '../constants.js';
import type { IpmiContext } from '../context.js';
import { SetInProgressLatch } from '../lan-set-in-progress.js';
import { command, type CommandDef } from '../registry.js';

const EMPTY = new Uint8Array(0);
/** PEF version 1.5 as IPMI v2.0 reports it (30.1). */
const PEF_VERSION = 0x51;
const PARAMETER_REVISION = 0x11;

/** Completion codes of the PEF configuration commands (30.3, 30.4). */
export const PefCC = { NotSupported: 0x80, SetInProgress: 0x81, ReadOnly: 0x82 } as const;

const Cmd = {
  GetPefCapabilities: 0x10,
  ArmPefPostponeTimer: 0x11,
  SetPefConfigurationParameters: 0x12,
  GetPefConfigurationParameters: 0x13,
  SetLastProcessedEventId: 0x14,
  GetLastProcessedEventId: 0x15,
  AlertImmediate: 0x16,
  PetAcknowledge: 0x17,
} as const;

/** Completion codes of Alert Immediate (30.7). */
const AlertImmediateCC = { AlreadyInProgress: 0x81 } as const;
/** The system event that Alert Immediate sends when the request carries none: BMC, no sensor. */
const GENERATOR_BMC = 0x20;

/** "Set in progress" (parameter 0) of each host's PEF configuration: volatile. */
const latch = new SetInProgressLatch();

function refused(r: PefRefusal | undefined): void {
  if (r) invalidField(`PEF configuration: ${r}`);
}

/** A filter number (set selector) of parameters 6 and 7: [7] reserved, [6:0] 1..N. */
function filterNumber(set: number): number {
  reserved(set, 0x80, 'filter selector');
  if (set === 0 || set > PEF_FILTER_COUNT) fail(CC.ParameterOutOfRange, `filter ${set}`);
  return set;
}

/** An alert policy entry number (parameter 9): [7] reserved, [6:0] 1..N. */
function policyNumber(set: number): number {
  reserved(set, 0x80, 'policy entry selector');
  if (set === 0 || set > PEF_POLICY_COUNT) fail(CC.ParameterOutOfRange, `policy entry ${set}`);
  return set;
}

/** An alert string selector (parameters 12, 13): [7] reserved, [6:0] 0 volatile, 1..N. */
function stringNumber(set: number): number {
  reserved(set, 0x80, 'string selector');
  if (set > PEF_ALERT_STRING_COUNT) fail(CC.ParameterOutOfRange, `alert string ${set}`);
  return set;
}

const BLOCKS = PEF_ALERT_STRING_SIZE / PEF_ALERT_STRING_BLOCK;

function blockNumber(block: number): number {
  if (block === 0 || block > BLOCKS) fail(CC.ParameterOutOfRange, `alert string block ${block}`);
  return block;
}

interface Parameter {
  /** Bytes of Set data after the selector; undefined when read-only. */
  readonly length?: number;
  /** Fewer Set bytes allowed down to this (parameter 13's last block). */
  readonly minLength?: number;
  get(pef: Pef, set: number, ctx: IpmiContext, block: number): Uint8Array;
  set?(pef: Pef, data: Uint8Array, ctx: IpmiContext): void;
}

/*
 * PEF configuration parameters (table 30-6):
 *   0  set in progress (volatile): [1:0] 00b complete, 01b in progress, 10b commit write
 *   1  PEF control: [3] startup delay enable, [2] alert startup delay enable (not
 *      supported), [1] event messages for PEF actions, [0] PEF enable
 *   2  action global control: [5] diagnostic interrupt, [4] OEM, [3] power cycle,
 *      [2] reset, [1] power off, [0] alert — only the supported actions may be set
 *   3  PEF startup delay, seconds
 *   5  number of event filters (read-only): [6:0]
 *   6  event filter table: [7] reserved, [6:0] filter number; 20 bytes (table 17-2)
 *   7  event filter table data 1: filter number; filter configuration byte
 *   8  number of alert policy entries (read-only): [6:0] 16
 *   9  alert policy table: [7] reserved, [6:0] entry number; 3 bytes:
 *      [7:4] policy number, [3] enabled, [2:0] policy type; [7:4] channel,
 *      [3:0] destination selector; alert string key ([7] event-specific, [6:0])
 *   11 number of alert strings (read-only): [6:0] non-volatile strings (4)
 *   12 alert string keys: string selector ([6:0], 0 = volatile); [6:0] filter
 *      number; [6:0] string set
 *   13 alert strings: string selector; block selector (1-based); up to 16
 *      bytes of the string, NUL terminated when it ends
 * Parameters 4 (alert startup delay) and 10 (system GUID for PET: the PET
 * carries the host's system GUID) answer 80h.
 */
const PARAMETERS: ReadonlyMap<number, Parameter> = new Map<number, Parameter>([
  [
    0,
    {
      length: 1,
      get: (pef) => Uint8Array.of(latch.get(pef)),
      set: (pef, d) => latch.write(pef, d[0]!),
    },
  ],
  [1, { length: 1, get: (pef) => Uint8Array.of(pef.config.control), set: (pef, d) => refused(pef.setControl(d[0]!)) }],
  [2, { length: 1, get: (pef) => Uint8Array.of(pef.config.actionControl), set: (pef, d) => refused(pef.setActionControl(d[0]!)) }],
  [3, { length: 1, get: (pef) => Uint8Array.of(pef.config.startupDelayS), set: (pef, d) => pef.setStartupDelay(d[0]!) }],
  [5, { get: () => Uint8Array.of(PEF_FILTER_COUNT) }],
  [
    6,
    {
      length: 1 + PEF_FILTER_SIZE,
      get: (pef, set) => {
        const n = filterNumber(set);
        return new Writer(1 + PEF_FILTER_SIZE).u8(n).bytes(pef.filter(n)!).finish();
      },
      set: (pef, d) => refused(pef.setFilter(filterNumber(d[0]!), d.subarray(1))),
    },
  ],
  [
    7,
    {
      length: 2,
      get: (pef, set) => {
        const n = filterNumber(set);
        return Uint8Array.of(n, pef.filter(n)![0]!);
      },
      set: (pef, d) => refused(pef.setFilterConfig(filterNumber(d[0]!), d[1]!)),
    },
  ],
  [8, { get: () => Uint8Array.of(PEF_POLICY_COUNT) }],
  [
    9,
    {
      length: 1 + PEF_POLICY_SIZE,
      get: (pef, set) => {
        const n = policyNumber(set);
        return new Writer(1 + PEF_POLICY_SIZE).u8(n).bytes(pef.policy(n)!).finish();
      },
      set: (pef, d) => refused(pef.setPolicy(policyNumber(d[0]!), d.subarray(1))),
    },
  ],
  [11, { get: () => Uint8Array.of(PEF_ALERT_STRING_COUNT) }],
  [
    12,
    {
      length: 3,
      get: (pef, set) => {
        const n = stringNumber(set);
        const [filter, group] = pef.config.stringKeys[n]!;
        return Uint8Array.of(n, filter, group);
      },
      set: (pef, d) => refused(pef.setStringKey(stringNumber(d[0]!), d[1]!, d[2]!)),
    },
  ],
  [
    13,
    {
      length: 2 + PEF_ALERT_STRING_BLOCK,
      minLength: 3,
      get: (pef, set, _ctx, block) => {
        const n = stringNumber(set);
        const b = blockNumber(block);
        const at = (b - 1) * PEF_ALERT_STRING_BLOCK;
        return new Writer(2 + PEF_ALERT_STRING_BLOCK).u8(n).u8(b).bytes(pef.config.strings[n]!.subarray(at, at + PEF_ALERT_STRING_BLOCK)).finish();
      },
      set: (pef, d) => refused(pef.setStringBlock(stringNumber(d[0]!), blockNumber(d[1]!), d.subarray(2))),
    },
  ],
]);

function parameter(selector: number): Parameter {
  const def = PARAMETERS.get(selector);
  if (!def) fail(PefCC.NotSupported, `PEF parameter ${selector}`);
  return def;
}

export const pefCommands: readonly CommandDef<unknown>[] = [
  /**
   * Get PEF Capabilities (30.1)
   * request:  —
   * response: [PEF version 51h][action support: [5] diagnostic interrupt, [4] OEM,
   *           [3] power cycle, [2] reset, [1] power down, [0] alert][number of event filters]
   */
  command({
    netFn: NetFn.SensorEvent,
    cmd: Cmd.GetPefCapabilities,
    name: 'Get PEF Capabilities',
    privilege: Privilege.User,
    section: 'IPMI 2.0 30.1',
    decode(r) {
      r.end();
    },
    handle: () => Uint8Array.of(PEF_VERSION, PEF_SUPPORTED_ACTIONS, PEF_FILTER_COUNT),
  }),
  /**
   * Arm PEF Postpone Timer (30.2)
   * request:  [00h disable the timer, 01h-FDh arm for that many seconds,
   *            FEh temporary PEF disable, FFh get the present countdown]
   * response: [present countdown: 00h off, FEh temporarily disabled, else seconds]
   */
  command({
    netFn: NetFn.SensorEvent,
    cmd: Cmd.ArmPefPostponeTimer,
    name: 'Arm PEF Postpone Timer',
    privilege: Privilege.Administrator,
    section: 'IPMI 2.0 30.2',
    decode(r) {
      const timeout = r.u8();
      r.end();
      return { timeout };
    },
    handle(req, ctx) {
      const pef = ctx.host.pef;
      return Uint8Array.of(req.timeout === 0xff ? pef.postponeCountdown : pef.armPostpone(req.timeout));
    },
  }),
  /**
   * Set PEF Configuration Parameters (30.3)
   * request:  [[7] reserved, [6:0] parameter selector][parameter data]
   * response: —
   * Completion codes: 80h parameter not supported, 81h set in progress while
   * not "set complete", 82h write to a read-only parameter.
   */
  command({
    netFn: NetFn.SensorEvent,
    cmd: Cmd.SetPefConfigurationParameters,
    name: 'Set PEF Configuration Parameters',
    privilege: Privilege.Administrator,
    section: 'IPMI 2.0 30.3',
    decode(r) {
      const selector = r.u8();
      reserved(selector, 0x80, 'parameter selector');
      const def = parameter(selector);
      if (def.length === undefined || !def.set) fail(PefCC.ReadOnly, `PEF parameter ${selector} is read-only`);
      const data = new Uint8Array(def.minLength !== undefined ? r.rest() : r.bytes(def.length));
      if (def.minLength !== undefined && (data.length < def.minLength || data.length > def.length)) fail(CC.RequestLengthInvalid, `PEF parameter ${selector} length`);
      r.end();
      return { def, data };
    },
    handle(req, ctx) {
      req.def.set!(ctx.host.pef, req.data, ctx);
      return EMPTY;
    },
  }),
  /**
   * Get PEF Configuration Parameters (30.4)
   * request:  [[7] 1 = parameter revision only, [6:0] parameter selector][set selector][block selector]
   * response: [parameter revision 11h][parameter data, absent for revision only]
   */
  command({
    netFn: NetFn.SensorEvent,
    cmd: Cmd.GetPefConfigurationParameters,
    name: 'Get PEF Configuration Parameters',
    privilege: Privilege.Operator,
    section: 'IPMI 2.0 30.4',
    decode(r) {
      const b1 = r.u8();
      const set = r.u8();
      const block = r.u8();
      r.end();
      return { revisionOnly: (b1 & 0x80) !== 0, selector: b1 & 0x7f, set, block };
    },
    handle(req, ctx) {
      if (req.revisionOnly) return Uint8Array.of(PARAMETER_REVISION);
      const data = parameter(req.selector).get(ctx.host.pef, req.set, ctx, req.block);
      return new Writer(1 + data.length).u8(PARAMETER_REVISION).bytes(data).finish();
    },
  }),
  /**
   * Set Last Processed Event ID (30.5)
   * request:  [[7:1] reserved, [0] 0 = last record processed by software, 1 = by the BMC][record id LS, MS]
   * response: —
   */
  command({
    netFn: NetFn.SensorEvent,
    cmd: Cmd.SetLastProcessedEventId,
    name: 'Set Last Processed Event ID',
    privilege: Privilege.Administrator,
    section: 'IPMI 2.0 30.5',
    decode(r) {
      const which = r.u8();
      const id = r.u16le();
      r.end();
      check((which & 0xfe) === 0, 'reserved bits in byte 1');
      return { which: (which & 1) === 1 ? ('bmc' as const) : ('software' as const), id };
    },
    handle(req, ctx) {
      ctx.host.pef.setLastProcessed(req.which, req.id);
      return EMPTY;
    },
  }),
  /**
   * Get Last Processed Event ID (30.6)
   * request:  —
   * response: [most recent addition timestamp, 4 bytes LS first][last SEL record id (FFFFh: empty)]
   *           [last software-processed record id][last BMC-processed record id]
   *           (0000h: processed but not logged; FFFFh: none)
   */
  command({
    netFn: NetFn.SensorEvent,
    cmd: Cmd.GetLastProcessedEventId,
    name: 'Get Last Processed Event ID',
    privilege: Privilege.Administrator,
    section: 'IPMI 2.0 30.6',
    decode(r) {
      r.end();
    },
    handle(_req, ctx) {
      const sel = ctx.host.sel;
      const last = sel.last();
      const p = ctx.host.pef.lastProcessed;
      return new Writer(10)
        .u32le(sel.lastAddTime)
        .u16le(last ? last.id : NO_RECORD)
        .u16le(p.software)
        .u16le(p.bmc)
        .finish();
    },
  }),
  /**
   * Alert Immediate (30.7)
   * request:  [[3:0] channel][[7:6] operation: 00b initiate, 01b get status,
   *           10b clear status; [3:0] destination selector]
   *           [optional: [7] send the alert string, [6:0] string selector]
   *           [optional, 8 bytes: generator id, EvM rev, sensor type, sensor
   *           number, event dir/type, event data 1-3: the event the PET carries]
   * response: [alert immediate status, for get status: 00h none, 01h normal
   *           end, 03h failed (no acknowledge), FFh in progress]
   * Completion codes: 81h an Alert Immediate is already in progress.
   */
  command({
    netFn: NetFn.SensorEvent,
    cmd: Cmd.AlertImmediate,
    name: 'Alert Immediate',
    privilege: Privilege.Administrator,
    section: 'IPMI 2.0 30.7',
    decode(r) {
      const b1 = r.u8();
      const b2 = r.u8();
      reserved(b1, 0xf0, 'channel');
      reserved(b2, 0x30, 'destination');
      const operation = b2 >> 6;
      check(operation !== 3, 'operation');
      const str = r.remaining > 0 ? r.u8() : 0;
      let event: { generatorId: number; evmRev: number; sensorType: number; sensorNumber: number; eventDirType: number; eventData: [number, number, number] } | undefined;
      if (r.remaining > 0) {
        const g = r.u8();
        event = { generatorId: g, evmRev: r.u8(), sensorType: r.u8(), sensorNumber: r.u8(), eventDirType: r.u8(), eventData: [r.u8(), r.u8(), r.u8()] };
      }
      r.end();
      return { channel: b1 & 0x0f, destination: b2 & 0x0f, operation, sendString: (str & 0x80) !== 0, string: str & 0x7f, event };
    },
    handle(req, ctx) {
      const pef = ctx.host.pef;
      const alerter = pef.alerter;
      if (!alerter) fail(CC.InvalidCommand, 'no alerting');
      const channel = resolveChannel(req.channel, ctx);
      if (req.operation === 1) return Uint8Array.of(alerter.immediateStatus);
      if (req.operation === 2) {
        alerter.clearImmediateStatus();
        return EMPTY;
      }
      if (!alerter.hasDestination(channel, req.destination)) invalidField(`destination ${req.destination}`);
      if (req.sendString && req.string > PEF_ALERT_STRING_COUNT) invalidField(`alert string ${req.string}`);
      if (alerter.immediateStatus === 0xff) fail(AlertImmediateCC.AlreadyInProgress, 'alert immediate in progress');
      const text = req.sendString ? alertStringText(pef.config.strings[req.string]!) : '';
      alerter.immediate({
        channel,
        destination: req.destination,
        event: req.event ?? { generatorId: GENERATOR_BMC, evmRev: 0x04, sensorType: 0, sensorNumber: 0xff, eventDirType: 0, eventData: [0, 0xff, 0xff] },
        severity: 0,
        ...(text !== '' ? { alertString: text } : {}),
      });
      return EMPTY;
    },
  }),
  /**
   * PET Acknowledge (30.8)
   * request:  [sequence number, 2 bytes LS first][local timestamp, 4 bytes LS first]
   *           [event source type][sensor device][sensor number][event data 1-3]
   * response: —
   * The fields are those of the trap; an acknowledgement that names no alert
   * waiting for one (a repeat, a late one) is accepted and changes nothing.
   */
  command({
    netFn: NetFn.SensorEvent,
    cmd: Cmd.PetAcknowledge,
    name: 'PET Acknowledge',
    privilege: Privilege.Administrator,
    section: 'IPMI 2.0 30.8',
    decode(r) {
      const sequence = r.u16le();
      const timestamp = r.u32le();
      const sourceType = r.u8();
      const device = r.u8();
      const sensor = r.u8();
      const data = [r.u8(), r.u8(), r.u8()];
      r.end();
      return { sequence, timestamp, sourceType, device, sensor, data };
    },
    handle(req, ctx) {
      ctx.host.pef.alerter?.acknowledge(req.sequence, req.timestamp, req.sourceType, req.device, req.sensor, req.data);
      return EMPTY;
    },
  }),
];
