// PEF commands, NetFn Sensor/Event 04h (IPMI v2.0 section 30, privileges per
// appendix G): capabilities, the postpone timer, the PEF configuration
// parameters of table 30-6 over the host's Pef model, and the last processed
// event ids. Alerting is not implemented, so Alert Immediate and PET
// Acknowledge are not registered (C1h) and the alert parameters answer 80h.
import { Writer } from '../../bytes/index.js';
import { NO_RECORD, PEF_FILTER_COUNT, PEF_FILTER_SIZE, PEF_SUPPORTED_ACTIONS, type Pef, type PefRefusal } from '../../model/pef.js';
import { check, fail, invalidField, reserved } from '../app-fields.js';
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
} as const;

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

interface Parameter {
  /** Bytes of Set data after the selector; undefined when read-only. */
  readonly length?: number;
  get(pef: Pef, set: number, ctx: IpmiContext): Uint8Array;
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
 *   8  number of alert policy entries (read-only): 0, no alerting
 *   11 number of alert strings (read-only): 0
 * Parameters 4 (alert startup delay), 9 (alert policy table), 10 (system
 * GUID for PET) and 12-13 (alert string keys and strings) belong to
 * alerting and answer 80h.
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
  [8, { get: () => Uint8Array.of(0) }],
  [11, { get: () => Uint8Array.of(0) }],
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
      const data = new Uint8Array(r.bytes(def.length));
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
      r.u8();
      r.end();
      return { revisionOnly: (b1 & 0x80) !== 0, selector: b1 & 0x7f, set };
    },
    handle(req, ctx) {
      if (req.revisionOnly) return Uint8Array.of(PARAMETER_REVISION);
      const data = parameter(req.selector).get(ctx.host.pef, req.set, ctx);
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
];
