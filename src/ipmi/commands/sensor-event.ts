// Sensor/Event commands, NetFn 04h (IPMI v2.0 sections 29 and 35, privileges
// per appendix G): event receiver, Platform Event Message, the device SDR
// commands over the host's SDR repository, and the per-sensor commands —
// reading factors, hysteresis, thresholds, event enables, re-arm, event
// status, reading and type. An unknown sensor number answers CBh.
import { Writer, type Reader } from '../../bytes/index.js';
import { byteToRaw, THRESHOLD_NAMES, type Sensor } from '../../model/sensors.js';
import { CC, Channel, NetFn, Privilege, REMOTE_CONSOLE_SWID } from '../constants.js';
import type { IpmiContext } from '../context.js';
import { IpmiError } from '../errors.js';
import { command } from '../registry.js';
import { decodeGetSdr, encodeFactors, readableMask, readSdr, sdrRepository, settableMask, THRESHOLD_BIT } from '../sdr.js';

const EMPTY = new Uint8Array(0);

/** The request of every command that takes only a sensor number. */
function decodeSensorNumber(r: Reader): { sensor: number } {
  const sensor = r.u8();
  r.end();
  return { sensor };
}

function sensorOf(ctx: IpmiContext, num: number): Sensor {
  const s = ctx.host.sensors.get(num);
  if (!s) throw new IpmiError(CC.NotPresent, undefined, `no sensor 0x${num.toString(16)}`);
  return s;
}

function thresholdSensorOf(ctx: IpmiContext, num: number): Sensor {
  const s = sensorOf(ctx, num);
  if (!s.isThreshold) throw new IpmiError(CC.IllegalForSensorOrRecord);
  return s;
}

/** A threshold sensor whose device is fitted: thresholds of an absent device read as not present. */
function presentThresholdSensorOf(ctx: IpmiContext, num: number): Sensor {
  const s = thresholdSensorOf(ctx, num);
  if (!s.present) throw new IpmiError(CC.NotPresent, undefined, 'device absent');
  return s;
}

/** Bits 15:0 of the event offsets a sensor can use: 12 for thresholds, 15 for discrete states. */
function offsetMask(s: Sensor): number {
  return s.isThreshold ? 0x0fff : 0x7fff;
}

/** Assertion status bits of a sensor: asserted thresholds' offsets, or the discrete states. */
/** Reading flags (35.14 byte 2, 35.13 byte 1): 7 event messages enabled, 6 scanning enabled, 5 unavailable. */
function readingFlags(s: Sensor): number {
  return (s.enables.allEvents ? 0x80 : 0) | (s.enables.scanning ? 0x40 : 0) | (s.raw === null ? 0x20 : 0);
}

/**
 * Set Event Receiver (29.1)
 * request:  [event receiver slave address (7:1), FFh = disable message generation][7:2 reserved, 1:0 LUN]
 * response: —
 */
const setEventReceiver = command({
  netFn: NetFn.SensorEvent,
  cmd: 0x00,
  name: 'Set Event Receiver',
  privilege: Privilege.Administrator,
  section: 'IPMI 2.0 29.1',
  decode(r) {
    const address = r.u8();
    const lun = r.u8() & 0x03;
    r.end();
    return { address, lun };
  },
  handle(req, ctx) {
    ctx.host.eventReceiver = { address: req.address, lun: req.address === 0xff ? 0 : req.lun };
    return EMPTY;
  },
});

/**
 * Get Event Receiver (29.2)
 * request:  —
 * response: [event receiver slave address, FFh = disabled][LUN 1:0]
 */
const getEventReceiver = command({
  netFn: NetFn.SensorEvent,
  cmd: 0x01,
  name: 'Get Event Receiver',
  privilege: Privilege.User,
  section: 'IPMI 2.0 29.2',
  decode(r) {
    r.end();
  },
  handle(_req, ctx) {
    const e = ctx.host.eventReceiver;
    return Uint8Array.of(e.address, e.lun & 0x03);
  },
});

/**
 * Platform Event Message (29.3, SEL record format 32.1)
 * request (system interface): [generator id (software id)][EvMRev][sensor type][sensor #]
 *                             [7 deassertion | 6:0 event type][event data 1][event data 2][event data 3]
 * request (other channels):   the same without the generator id byte
 * response: —
 * Event data 2 and 3 are optional (FFh when absent). The logged generator id
 * is byte 1 = the requester: the software id sent over the system interface,
 * or 81h (remote console software id 40h) for a LAN requester; byte 2 =
 * channel number in 7:4 (0 for the system interface) and LUN 00b. The event
 * is logged only while System Event Logging is enabled; a full SEL drops it
 * (the log's overflow flag records that) and the message is still accepted.
 * Platform Event Filtering then sees the event (section 17).
 */
const platformEventMessage = command({
  netFn: NetFn.SensorEvent,
  cmd: 0x02,
  name: 'Platform Event Message',
  privilege: Privilege.Operator,
  section: 'IPMI 2.0 29.3',
  decode(r, ctx) {
    const system = ctx.channel === Channel.SystemInterface;
    const generator = system ? r.u8() : REMOTE_CONSOLE_SWID;
    const evmRev = r.u8();
    const sensorType = r.u8();
    const sensorNumber = r.u8();
    const eventDirType = r.u8();
    const d1 = r.u8();
    const d2 = r.optU8() ?? 0xff;
    const d3 = r.optU8() ?? 0xff;
    r.end();
    const channel = system ? 0 : ctx.channel & 0x0f;
    return { generatorId: (generator & 0xff) | (channel << 12), evmRev, sensorType, sensorNumber, eventDirType, eventData: [d1, d2, d3] as [number, number, number] };
  },
  handle(req, ctx) {
    ctx.host.platformEvent(req);
    return EMPTY;
  },
});

/**
 * Get Device SDR Info (35.2)
 * request:  [optional: bit 0 = 1 get SDR count, 0 get sensor count]
 * response: [count][7 dynamic population (0 = static), 3:0 LUNs with sensors][population change indicator, 4 bytes LS first]
 */
const getDeviceSdrInfo = command({
  netFn: NetFn.SensorEvent,
  cmd: 0x20,
  name: 'Get Device SDR Info',
  privilege: Privilege.User,
  section: 'IPMI 2.0 35.2',
  decode(r) {
    const op = r.optU8() ?? 0;
    r.end();
    return { sdrCount: (op & 0x01) !== 0 };
  },
  handle(req, ctx) {
    const repo = sdrRepository(ctx.bmc, ctx.host);
    return new Writer(6)
      .u8(req.sdrCount ? repo.count : repo.sensorCount)
      .u8(0x01)
      .u32le(repo.builtAt)
      .finish();
  },
});

/**
 * Get Device SDR (35.3): the layout of Get SDR (see readSdr in ../sdr.ts).
 * The device SDRs are the BMC's repository records, so both views agree.
 */
const getDeviceSdr = command({
  netFn: NetFn.SensorEvent,
  cmd: 0x21,
  name: 'Get Device SDR',
  privilege: Privilege.User,
  section: 'IPMI 2.0 35.3',
  decode: decodeGetSdr,
  handle(req, ctx) {
    return readSdr(sdrRepository(ctx.bmc, ctx.host), req);
  },
});

/**
 * Reserve Device SDR Repository (35.4)
 * request:  —
 * response: [reservation id LS, MS]
 * Shares the reservation of Reserve SDR Repository: one record set, one reservation.
 */
const reserveDeviceSdrRepository = command({
  netFn: NetFn.SensorEvent,
  cmd: 0x22,
  name: 'Reserve Device SDR Repository',
  privilege: Privilege.User,
  section: 'IPMI 2.0 35.4',
  decode(r) {
    r.end();
  },
  handle(_req, ctx) {
    return new Writer(2).u16le(sdrRepository(ctx.bmc, ctx.host).reserve()).finish();
  },
});

/**
 * Get Sensor Reading Factors (35.5)
 * request:  [sensor number][reading byte]
 * response: [next reading][M LS][M MS | tolerance][B LS][B MS | accuracy LS][accuracy MS | exp | direction][R exp | B exp]
 * The sensors are linear, so one set of factors holds for every reading;
 * next reading is FFh.
 */
const getSensorReadingFactors = command({
  netFn: NetFn.SensorEvent,
  cmd: 0x23,
  name: 'Get Sensor Reading Factors',
  privilege: Privilege.User,
  section: 'IPMI 2.0 35.5',
  decode(r) {
    const sensor = r.u8();
    const reading = r.u8();
    r.end();
    return { sensor, reading };
  },
  handle(req, ctx) {
    const s = thresholdSensorOf(ctx, req.sensor);
    return Uint8Array.of(0xff, ...encodeFactors(s.def.conversion));
  },
});

/**
 * Set Sensor Hysteresis (35.6)
 * request:  [sensor number][hysteresis mask, FFh][positive-going hysteresis][negative-going hysteresis]
 * response: —
 */
const setSensorHysteresis = command({
  netFn: NetFn.SensorEvent,
  cmd: 0x24,
  name: 'Set Sensor Hysteresis',
  privilege: Privilege.Operator,
  section: 'IPMI 2.0 35.6',
  decode(r) {
    const sensor = r.u8();
    r.u8();
    const positive = r.u8();
    const negative = r.u8();
    r.end();
    return { sensor, positive, negative };
  },
  handle(req, ctx) {
    const s = thresholdSensorOf(ctx, req.sensor);
    s.hysteresis = { positive: req.positive, negative: req.negative };
    ctx.host.sensorConfigChanged(s);
    return EMPTY;
  },
});

/**
 * Get Sensor Hysteresis (35.7)
 * request:  [sensor number][hysteresis mask, FFh]
 * response: [positive-going hysteresis][negative-going hysteresis]
 */
const getSensorHysteresis = command({
  netFn: NetFn.SensorEvent,
  cmd: 0x25,
  name: 'Get Sensor Hysteresis',
  privilege: Privilege.User,
  section: 'IPMI 2.0 35.7',
  decode(r) {
    const sensor = r.u8();
    r.u8();
    r.end();
    return { sensor };
  },
  handle(req, ctx) {
    const s = thresholdSensorOf(ctx, req.sensor);
    return Uint8Array.of(s.hysteresis.positive & 0xff, s.hysteresis.negative & 0xff);
  },
});

/**
 * Set Sensor Thresholds (35.8)
 * request:  [sensor number][set mask: 5 UNR, 4 UC, 3 UNC, 2 LNR, 1 LC, 0 LNC]
 *           [LNC][LC][LNR][UNC][UC][UNR] (counts)
 * response: —
 * A threshold outside the sensor's settable mask, or a reserved mask bit, is CCh.
 */
const setSensorThresholds = command({
  netFn: NetFn.SensorEvent,
  cmd: 0x26,
  name: 'Set Sensor Thresholds',
  privilege: Privilege.Operator,
  section: 'IPMI 2.0 35.8',
  decode(r) {
    const sensor = r.u8();
    const mask = r.u8();
    const values = [...r.bytes(6)];
    r.end();
    return { sensor, mask, values };
  },
  handle(req, ctx) {
    const s = presentThresholdSensorOf(ctx, req.sensor);
    if ((req.mask & ~settableMask(s)) !== 0) throw new IpmiError(CC.InvalidDataField, undefined, 'threshold not settable');
    const next = { ...s.thresholdsRaw };
    THRESHOLD_NAMES.forEach((n, i) => {
      if (req.mask & (1 << THRESHOLD_BIT[n])) next[n] = byteToRaw(req.values[i]!, s.def.conversion);
    });
    s.thresholdsRaw = next;
    ctx.host.sensorConfigChanged(s);
    return EMPTY;
  },
});

/**
 * Get Sensor Thresholds (35.9)
 * request:  [sensor number]
 * response: [readable mask: 5 UNR .. 0 LNC][LNC][LC][LNR][UNC][UC][UNR] (unreadable ones 00h)
 */
const getSensorThresholds = command({
  netFn: NetFn.SensorEvent,
  cmd: 0x27,
  name: 'Get Sensor Thresholds',
  privilege: Privilege.User,
  section: 'IPMI 2.0 35.9',
  decode: decodeSensorNumber,
  handle(req, ctx) {
    const s = presentThresholdSensorOf(ctx, req.sensor);
    return Uint8Array.of(readableMask(s), ...THRESHOLD_NAMES.map((n) => (s.thresholdsRaw[n] ?? 0) & 0xff));
  },
});

/**
 * Set Sensor Event Enable (35.10)
 * request:  [sensor number][7 all event messages enabled, 6 scanning enabled,
 *           5:4 00b keep / 01b enable selected / 10b disable selected / 11b reserved]
 *           [optional: assertion 7:0][assertion 14:8][deassertion 7:0][deassertion 14:8]
 * response: —
 */
const setSensorEventEnable = command({
  netFn: NetFn.SensorEvent,
  cmd: 0x28,
  name: 'Set Sensor Event Enable',
  privilege: Privilege.Operator,
  section: 'IPMI 2.0 35.10',
  decode(r) {
    const sensor = r.u8();
    const flags = r.u8();
    const a0 = r.optU8() ?? 0;
    const a1 = r.optU8() ?? 0;
    const d0 = r.optU8() ?? 0;
    const d1 = r.optU8() ?? 0;
    r.end();
    return { sensor, flags, assertion: a0 | (a1 << 8), deassertion: d0 | (d1 << 8) };
  },
  handle(req, ctx) {
    const s = sensorOf(ctx, req.sensor);
    const op = (req.flags >> 4) & 0x03;
    if (op === 0b11) throw new IpmiError(CC.InvalidDataField);
    const mask = offsetMask(s);
    const e = { ...s.enables, allEvents: (req.flags & 0x80) !== 0, scanning: (req.flags & 0x40) !== 0 };
    if (op === 0b01) {
      e.assertion = (e.assertion | req.assertion) & mask;
      e.deassertion = (e.deassertion | req.deassertion) & mask;
    } else if (op === 0b10) {
      e.assertion &= ~req.assertion & mask;
      e.deassertion &= ~req.deassertion & mask;
    }
    s.enables = e;
    ctx.host.sensorConfigChanged(s);
    return EMPTY;
  },
});

/**
 * Get Sensor Event Enable (35.11)
 * request:  [sensor number]
 * response: [7 all event messages enabled, 6 scanning enabled][assertion 7:0][assertion 14:8]
 *           [deassertion 7:0][deassertion 14:8]
 */
const getSensorEventEnable = command({
  netFn: NetFn.SensorEvent,
  cmd: 0x29,
  name: 'Get Sensor Event Enable',
  privilege: Privilege.User,
  section: 'IPMI 2.0 35.11',
  decode: decodeSensorNumber,
  handle(req, ctx) {
    const s = sensorOf(ctx, req.sensor);
    const e = s.enables;
    return new Writer(5)
      .u8((e.allEvents ? 0x80 : 0) | (e.scanning ? 0x40 : 0))
      .u16le(e.assertion & 0x7fff)
      .u16le(e.deassertion & 0x7fff)
      .finish();
  },
});

/**
 * Re-arm Sensor Events (35.12)
 * request:  [sensor number][7: 0 re-arm all event status, 1 re-arm selected]
 *           [optional: assertion 7:0][assertion 14:8][deassertion 7:0][deassertion 14:8]
 * response: —
 * Re-arming forgets the selected event status; conditions that still hold
 * generate their events again.
 */
const rearmSensorEvents = command({
  netFn: NetFn.SensorEvent,
  cmd: 0x2a,
  name: 'Re-arm Sensor Events',
  privilege: Privilege.Operator,
  section: 'IPMI 2.0 35.12',
  decode(r) {
    const sensor = r.u8();
    const selected = (r.u8() & 0x80) !== 0;
    const b = [r.optU8() ?? 0, r.optU8() ?? 0, r.optU8() ?? 0, r.optU8() ?? 0];
    r.end();
    const mask = selected ? { assertion: b[0]! | (b[1]! << 8), deassertion: b[2]! | (b[3]! << 8) } : undefined;
    return { sensor, mask };
  },
  handle(req, ctx) {
    ctx.host.rearm(sensorOf(ctx, req.sensor), req.mask);
    return EMPTY;
  },
});

/**
 * Get Sensor Event Status (35.13)
 * request:  [sensor number]
 * response: [7 all event messages enabled, 6 scanning enabled, 5 reading/state unavailable]
 *           [assertion status 7:0][14:8][deassertion status 7:0][14:8]
 * The status is what the sensor latched since it was last re-armed.
 */
const getSensorEventStatus = command({
  netFn: NetFn.SensorEvent,
  cmd: 0x2b,
  name: 'Get Sensor Event Status',
  privilege: Privilege.User,
  section: 'IPMI 2.0 35.13',
  decode: decodeSensorNumber,
  handle(req, ctx) {
    const s = sensorOf(ctx, req.sensor);
    const unavailable = s.isThreshold ? s.raw === null : !s.present;
    const flags = (readingFlags(s) & 0xc0) | (unavailable ? 0x20 : 0);
    const l = s.latched;
    return new Writer(5).u8(flags).u16le(unavailable ? 0 : l.assertion & 0x7fff).u16le(unavailable ? 0 : l.deassertion & 0x7fff).finish();
  },
});

/**
 * Get Sensor Reading (35.14)
 * request:  [sensor number]
 * response: [reading][7 event messages enabled, 6 scanning enabled, 5 reading unavailable]
 *   threshold: [7:6 reserved 11b, 5 >= UNR, 4 >= UC, 3 >= UNC, 2 <= LNR, 1 <= LC, 0 <= LNC][80h]
 *   discrete:  [states 7:0][7 reserved 1b, states 14:8]
 */
const getSensorReading = command({
  netFn: NetFn.SensorEvent,
  cmd: 0x2d,
  name: 'Get Sensor Reading',
  privilege: Privilege.User,
  section: 'IPMI 2.0 35.14',
  decode: decodeSensorNumber,
  handle(req, ctx) {
    const s = sensorOf(ctx, req.sensor);
    // An absent device (empty DIMM slot, unpopulated fan header) answers
    // "requested sensor not present", as real boards do; clients print na.
    if (!s.present) throw new IpmiError(CC.NotPresent);
    if (!s.isThreshold) {
      const states = s.states;
      const flags = (readingFlags(s) & 0xc0) | (s.present ? 0 : 0x20);
      return Uint8Array.of(0x00, flags, states & 0xff, 0x80 | ((states >> 8) & 0x7f));
    }
    const raw = s.raw;
    let status = 0;
    if (raw !== null) {
      const t = s.thresholdsRaw;
      if (t.lnc !== undefined && raw <= t.lnc) status |= 0x01;
      if (t.lc !== undefined && raw <= t.lc) status |= 0x02;
      if (t.lnr !== undefined && raw <= t.lnr) status |= 0x04;
      if (t.unc !== undefined && raw >= t.unc) status |= 0x08;
      if (t.uc !== undefined && raw >= t.uc) status |= 0x10;
      if (t.unr !== undefined && raw >= t.unr) status |= 0x20;
    }
    return Uint8Array.of(raw === null ? 0x00 : raw & 0xff, readingFlags(s), 0xc0 | status, 0x80);
  },
});

/**
 * Get Sensor Type (35.16)
 * request:  [sensor number]
 * response: [sensor type][7 reserved, 6:0 event/reading type code]
 */
const getSensorType = command({
  netFn: NetFn.SensorEvent,
  cmd: 0x2f,
  name: 'Get Sensor Type',
  privilege: Privilege.User,
  section: 'IPMI 2.0 35.16',
  decode: decodeSensorNumber,
  handle(req, ctx) {
    const s = sensorOf(ctx, req.sensor);
    return Uint8Array.of(s.def.type, s.def.eventReadingType & 0x7f);
  },
});

export const sensorEventCommands = [
  setEventReceiver,
  getEventReceiver,
  platformEventMessage,
  getDeviceSdrInfo,
  getDeviceSdr,
  reserveDeviceSdrRepository,
  getSensorReadingFactors,
  setSensorHysteresis,
  getSensorHysteresis,
  setSensorThresholds,
  getSensorThresholds,
  setSensorEventEnable,
  getSensorEventEnable,
  rearmSensorEvents,
  getSensorEventStatus,
  getSensorReading,
  getSensorType,
] as const;
