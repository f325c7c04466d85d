// DCMI commands, NetFn 2Ch with group extension DCh (DCMI v1.5 section 6,
// privileges per its command table): capabilities discovery, power reading
// and power limit, asset tag (the FRU product area's asset tag), sensor
// discovery and temperature readings over the SDR repository, and the
// management controller identifier string. Every request and response
// starts with the group extension byte DCh; errors a handler raises carry
// it too, so clients that check it first see a DCMI response.
import { Writer, type Reader } from '../../bytes/index.js';
import type { FruInfo, FruProduct } from '../../model/fru.js';
import type { Host } from '../../model/host.js';
import { SensorType, type Sensor } from '../../model/sensors.js';
import { CC, DCMI_GROUP_EXTENSION, NetFn, Privilege } from '../constants.js';
import { IpmiError } from '../errors.js';
import { command } from '../registry.js';
import { sdrRepository } from '../sdr.js';

const GROUP = Uint8Array.of(DCMI_GROUP_EXTENSION);

/** DCMI command-specific completion codes (DCMI v1.5 section 6, as ipmitool and FreeIPMI name them). */
export const DcmiCC = {
  NoActivePowerLimit: 0x80,
  ParameterNotSupported: 0x80,
  PowerLimitOutOfRange: 0x84,
  CorrectionTimeOutOfRange: 0x85,
  StatisticsPeriodOutOfRange: 0x89,
} as const;

/** DCMI specification conformance 1.5, parameter revision 02h. */
const CONFORMANCE = [0x01, 0x05, 0x02] as const;

/** Rolling average periods offered by Enhanced System Power Statistics: 7:6 unit (s, min, h, d), 5:0 count. */
const ROLLING_AVERAGE_PERIODS = [0x05, 0x0f, 0x1e, 0x41, 0x43, 0x47, 0x4f, 0x5e, 0x81] as const;

/** Longest asset tag and identifier string (DCMI 6.4.2, 6.4.6). */
const ASSET_TAG_MAX = 63;
const MC_ID_MAX = 64;
/** Bytes per Get/Set Asset Tag or identifier string chunk. */
const CHUNK_MAX = 16;
/** Records / readings per Get DCMI Sensor Info or Get Temperature Readings response. */
const PER_RESPONSE = 8;

function fail(cc: number, detail?: string): never {
  throw new IpmiError(cc, GROUP, detail);
}

/** Reads and checks the group extension byte. */
function group(r: Reader): void {
  if (r.u8() !== DCMI_GROUP_EXTENSION) fail(CC.InvalidDataField, 'not the DCMI group');
}

function respond(build: (w: Writer) => void): Uint8Array {
  const w = new Writer(32).u8(DCMI_GROUP_EXTENSION);
  build(w);
  return w.finish();
}

function periodSeconds(code: number): number {
  const unit = [1, 60, 3600, 86400][code >> 6]!;
  return (code & 0x3f) * unit;
}

/** DCMI entity ids (40h inlet, 41h CPU, 42h baseboard) and the IPMI ones they stand for (table 43-13). */
const DCMI_ENTITY: Readonly<Record<number, number>> = { 0x40: 0x37, 0x41: 0x03, 0x42: 0x07, 0x37: 0x37, 0x03: 0x03, 0x07: 0x07 };

/** Temperature sensors of an entity, ordered by instance. */
function temperatureSensors(host: Host, entityId: number): Sensor[] {
  const ipmiEntity = DCMI_ENTITY[entityId];
  if (ipmiEntity === undefined) fail(CC.InvalidDataField, 'entity not a DCMI temperature entity');
  return [...host.sensors.values()]
    .filter((s) => s.def.type === SensorType.Temperature && s.def.entity.id === ipmiEntity)
    .sort((a, b) => a.def.entity.instance - b.def.entity.instance);
}

/**
 * The sensors a Get DCMI Sensor Info / Get Temperature Readings request
 * names: one instance, or (instance 0) up to 8 from `start` on.
 */
function selectInstances(all: Sensor[], instance: number, start: number): Sensor[] {
  if (instance !== 0) return all.filter((s) => s.def.entity.instance === instance).slice(0, 1);
  return all.filter((s) => s.def.entity.instance >= start).slice(0, PER_RESPONSE);
}

function decodeSensorQuery(r: Reader): { sensorType: number; entityId: number; instance: number; start: number } {
  group(r);
  const sensorType = r.u8();
  const entityId = r.u8();
  const instance = r.u8();
  const start = r.u8();
  r.end();
  return { sensorType, entityId, instance, start };
}

/**
 * Get DCMI Capabilities Info (DCMI 6.1.1)
 * request:  [DCh][parameter selector]
 * response: [DCh][conformance major 01h][minor 05h][parameter revision 02h][parameter data]
 * parameters (revision 02h):
 *   1 supported capabilities: [reserved][0 power management][0 in-band system interface,
 *     1 serial TMODE, 2 out-of-band secondary LAN]
 *   2 mandatory platform attributes: [SEL entries 7:0][3:0 entries 11:8, 5 record-level flush
 *     on rollover, 6 entire flush on rollover, 7 automatic rollover][reserved][reserved]
 *     [temperature sampling frequency, seconds]
 *   3 optional platform attributes: [power management device slave address 7:1]
 *     [7:4 channel, 3:0 device revision]
 *   4 manageability access attributes: [primary LAN channel][secondary LAN channel, FFh none]
 *     [serial channel, FFh none]
 *   5 enhanced system power statistics: [number of rolling average periods][one byte each]
 * Unknown parameter: 80h (parameter not supported).
 */
const getDcmiCapabilitiesInfo = command({
  netFn: NetFn.GroupExtension,
  cmd: 0x01,
  name: 'Get DCMI Capabilities Info',
  privilege: Privilege.User,
  section: 'DCMI 1.5 6.1.1',
  decode(r) {
    group(r);
    const parameter = r.u8();
    r.end();
    return { parameter };
  },
  handle(req, ctx) {
    const sel = ctx.host.sel;
    let data: number[];
    switch (req.parameter) {
      case 1:
        data = [0x00, 0x01, 0x00];
        break;
      case 2: {
        const entries = Math.min(sel.capacity, 0x0fff);
        const wrap = sel.overflowPolicy === 'wrap';
        data = [entries & 0xff, ((entries >> 8) & 0x0f) | (wrap ? 0xa0 : 0), 0x00, 0x00, 0x01];
        break;
      }
      case 3:
        data = [0x20, ctx.bmc.device.deviceRevision & 0x0f];
        break;
      case 4:
        data = [ctx.bmc.lan.channel, 0xff, 0xff];
        break;
      case 5:
        data = [ROLLING_AVERAGE_PERIODS.length, ...ROLLING_AVERAGE_PERIODS];
        break;
      default:
        fail(DcmiCC.ParameterNotSupported, 'unknown capability parameter');
    }
    return respond((w) => w.bytes(CONFORMANCE).bytes(data));
  },
});

/**
 * Get Power Reading (DCMI 6.6.1)
 * request:  [DCh][mode: 01h system power statistics, 02h enhanced][mode attributes:
 *           00h, or the rolling average period for mode 02h][reserved 00h]
 * response: [DCh][current watts LS, MS][minimum][maximum][average]
 *           [IPMI timestamp, 4 bytes][statistics reporting period ms, 4 bytes]
 *           [power reading state: 6 power measurement active]
 * Mode 01h covers every sample the BMC holds; mode 02h the period asked for,
 * which must be one that parameter 5 offers (CCh otherwise).
 */
const getPowerReading = command({
  netFn: NetFn.GroupExtension,
  cmd: 0x02,
  name: 'Get Power Reading',
  privilege: Privilege.User,
  section: 'DCMI 1.5 6.6.1',
  decode(r) {
    group(r);
    const mode = r.u8();
    const attributes = r.u8();
    r.u8();
    r.end();
    return { mode, attributes };
  },
  handle(req, ctx) {
    let periodS = 0;
    if (req.mode === 0x02) {
      if (!(ROLLING_AVERAGE_PERIODS as readonly number[]).includes(req.attributes)) fail(CC.InvalidDataField, 'period not offered');
      periodS = periodSeconds(req.attributes);
    } else if (req.mode !== 0x01) {
      fail(CC.InvalidDataField, 'unknown mode');
    }
    const p = ctx.host.powerStats(periodS);
    const watts = (v: number): number => Math.max(0, Math.min(0xffff, Math.round(v)));
    return respond((w) =>
      w
        .u16le(watts(p.current))
        .u16le(watts(p.min))
        .u16le(watts(p.max))
        .u16le(watts(p.average))
        .u32le(ctx.host.sel.time())
        .u32le(Math.max(0, Math.min(0xffffffff, Math.round(p.periodMs))))
        .u8(0x40),
    );
  },
});

/**
 * Get Power Limit (DCMI 6.6.2)
 * request:  [DCh][reserved 2 bytes]
 * response: [DCh][reserved 2 bytes][exception actions][power limit watts LS, MS]
 *           [correction time limit ms, 4 bytes][reserved 2 bytes][statistics sampling period s LS, MS]
 * While no limit is active the completion code is 80h ("no active set power
 * limit") and the data still carries the stored settings, as ipmitool and
 * FreeIPMI expect.
 */
const getPowerLimit = command({
  netFn: NetFn.GroupExtension,
  cmd: 0x03,
  name: 'Get Power Limit',
  privilege: Privilege.User,
  section: 'DCMI 1.5 6.6.2',
  decode(r) {
    group(r);
    r.u16le();
    r.end();
  },
  handle(_req, ctx) {
    const l = ctx.host.powerLimit;
    const data = respond((w) =>
      w.u16le(0).u8(l.exceptionAction).u16le(l.limitWatts).u32le(l.correctionMs).u16le(0).u16le(l.samplingSeconds),
    );
    if (!l.active) throw new IpmiError(DcmiCC.NoActivePowerLimit, data, 'no active power limit');
    return data;
  },
});

/**
 * Set Power Limit (DCMI 6.6.3)
 * request:  [DCh][reserved 3 bytes][exception actions: 00h none, 01h hard power off and log,
 *           02h-10h OEM, 11h log only][power limit watts LS, MS][correction time ms, 4 bytes]
 *           [reserved 2 bytes][statistics sampling period s LS, MS]
 * response: [DCh]
 * Exception action 12h and above: CCh. Correction time 0: 85h. Sampling
 * period 0: 89h. The limit keeps its active/inactive state.
 */
const setPowerLimit = command({
  netFn: NetFn.GroupExtension,
  cmd: 0x04,
  name: 'Set Power Limit',
  privilege: Privilege.Operator,
  section: 'DCMI 1.5 6.6.3',
  decode(r) {
    group(r);
    r.skip(3);
    const exceptionAction = r.u8();
    const limitWatts = r.u16le();
    const correctionMs = r.u32le();
    r.skip(2);
    const samplingSeconds = r.u16le();
    r.end();
    return { exceptionAction, limitWatts, correctionMs, samplingSeconds };
  },
  handle(req, ctx) {
    if (req.exceptionAction > 0x11) fail(CC.InvalidDataField, 'exception action');
    if (req.correctionMs === 0) fail(DcmiCC.CorrectionTimeOutOfRange);
    if (req.samplingSeconds === 0) fail(DcmiCC.StatisticsPeriodOutOfRange);
    ctx.host.setPowerLimit({ ...req, active: ctx.host.powerLimit.active });
    return GROUP;
  },
});

/**
 * Activate/Deactivate Power Limit (DCMI 6.6.4)
 * request:  [DCh][00h deactivate, 01h activate][reserved 2 bytes]
 * response: [DCh]
 */
const activatePowerLimit = command({
  netFn: NetFn.GroupExtension,
  cmd: 0x05,
  name: 'Activate/Deactivate Power Limit',
  privilege: Privilege.Operator,
  section: 'DCMI 1.5 6.6.4',
  decode(r) {
    group(r);
    const activate = r.u8();
    r.u16le();
    r.end();
    return { activate };
  },
  handle(req, ctx) {
    if (req.activate > 1) fail(CC.InvalidDataField);
    ctx.host.setPowerLimit({ ...ctx.host.powerLimit, active: req.activate === 1 });
    return GROUP;
  },
});

function assetTag(host: Host): string {
  return (host.frus.get(0)?.info.product?.assetTag ?? '').slice(0, ASSET_TAG_MAX);
}

const EMPTY_PRODUCT: FruProduct = { manufacturer: '', name: '', partNumber: '', version: '', serial: '', assetTag: '', fileId: '', extra: [] };

/** Reads a chunk of a string: offset + count within `max`, count at most 16 (C9h otherwise). */
function readChunk(value: string, offset: number, count: number, max: number): Uint8Array {
  if (count > CHUNK_MAX || offset + count > max) fail(CC.ParameterOutOfRange);
  const b = Buffer.from(value, 'latin1');
  if (offset > b.length) fail(CC.ParameterOutOfRange);
  const data = b.subarray(offset, Math.min(b.length, offset + count));
  return respond((w) => w.u8(b.length).bytes(data));
}

function decodeChunkRead(r: Reader): { offset: number; count: number } {
  group(r);
  const offset = r.u8();
  const count = r.u8();
  r.end();
  return { offset, count };
}

function decodeChunkWrite(r: Reader): { offset: number; data: Uint8Array } {
  group(r);
  const offset = r.u8();
  const count = r.u8();
  const data = new Uint8Array(r.bytes(count));
  r.end();
  return { offset, data };
}

/**
 * Get Asset Tag (DCMI 6.4.2)
 * request:  [DCh][offset to read][number of bytes to read, at most 16]
 * response: [DCh][total asset tag length][data]
 * The tag is the FRU product area's asset tag (8-bit ASCII, so completion
 * code 00h). Reads past the end return what exists.
 */
const getAssetTag = command({
  netFn: NetFn.GroupExtension,
  cmd: 0x06,
  name: 'Get Asset Tag',
  privilege: Privilege.User,
  section: 'DCMI 1.5 6.4.2',
  decode: decodeChunkRead,
  handle(req, ctx) {
    return readChunk(assetTag(ctx.host), req.offset, req.count, ASSET_TAG_MAX + 1);
  },
});

/**
 * Set Asset Tag (DCMI 6.4.3)
 * request:  [DCh][offset to write][number of bytes to write, at most 16][data]
 * response: [DCh][total asset tag length]
 * The tag is cut at the offset and the data appended, so a client writing
 * 16-byte chunks in order sets the whole tag. Offset past the current tag,
 * or past 63 bytes: C9h.
 */
const setAssetTag = command({
  netFn: NetFn.GroupExtension,
  cmd: 0x08,
  name: 'Set Asset Tag',
  privilege: Privilege.Operator,
  section: 'DCMI 1.5 6.4.3',
  decode: decodeChunkWrite,
  handle(req, ctx) {
    const fru = ctx.host.frus.get(0);
    if (!fru) fail(CC.NotPresent);
    const current = Buffer.from(assetTag(ctx.host), 'latin1');
    if (req.data.length > CHUNK_MAX || req.offset > current.length || req.offset + req.data.length > ASSET_TAG_MAX) {
      fail(CC.ParameterOutOfRange);
    }
    const tag = Buffer.concat([current.subarray(0, req.offset), req.data]).toString('latin1');
    fru.update((info: FruInfo) => ({ ...info, product: { ...(info.product ?? EMPTY_PRODUCT), assetTag: tag } }));
    return respond((w) => w.u8(Buffer.from(tag, 'latin1').length));
  },
});

/**
 * Get DCMI Sensor Info (DCMI 6.5.2)
 * request:  [DCh][sensor type 01h][entity id: 40h/37h inlet, 41h/03h CPU, 42h/07h baseboard]
 *           [entity instance, 00h = all][entity instance start]
 * response: [DCh][total instances][records in this response, at most 8][record ids LS, MS ...]
 */
const getDcmiSensorInfo = command({
  netFn: NetFn.GroupExtension,
  cmd: 0x07,
  name: 'Get DCMI Sensor Info',
  privilege: Privilege.Operator,
  section: 'DCMI 1.5 6.5.2',
  decode: decodeSensorQuery,
  handle(req, ctx) {
    if (req.sensorType !== SensorType.Temperature) fail(CC.InvalidDataField, 'not a temperature sensor type');
    const all = temperatureSensors(ctx.host, req.entityId);
    const repo = sdrRepository(ctx.bmc, ctx.host);
    const ids = selectInstances(all, req.instance, req.start).map((s) => repo.recordIdOfSensor(s.def.number) ?? 0);
    return respond((w) => {
      w.u8(all.length).u8(ids.length);
      for (const id of ids) w.u16le(id);
    });
  },
});

/**
 * Get Temperature Readings (DCMI 6.7.3)
 * request:  [DCh][sensor type 01h][entity id][entity instance, 00h = all][entity instance start]
 * response: [DCh][total instances][readings in this response, at most 8]
 *           then per reading: [7 sign (1 = negative), 6:0 degrees C][entity instance]
 * Sensors without a reading now are left out of the response.
 */
const getTemperatureReadings = command({
  netFn: NetFn.GroupExtension,
  cmd: 0x10,
  name: 'Get Temperature Readings',
  privilege: Privilege.User,
  section: 'DCMI 1.5 6.7.3',
  decode: decodeSensorQuery,
  handle(req, ctx) {
    if (req.sensorType !== SensorType.Temperature) fail(CC.InvalidDataField, 'not a temperature sensor type');
    const all = temperatureSensors(ctx.host, req.entityId);
    const readings: [number, number][] = [];
    for (const s of selectInstances(all, req.instance, req.start)) {
      const v = s.value;
      if (v === null) continue;
      const magnitude = Math.min(127, Math.round(Math.abs(v)));
      readings.push([(v < 0 && magnitude > 0 ? 0x80 : 0) | magnitude, s.def.entity.instance & 0xff]);
    }
    return respond((w) => {
      w.u8(all.length).u8(readings.length);
      for (const [t, i] of readings) w.u8(t).u8(i);
    });
  },
});

/**
 * Get Management Controller Identifier String (DCMI 6.4.6.1)
 * request:  [DCh][offset to read][number of bytes to read, at most 16]
 * response: [DCh][total length, without the terminating NUL][data]
 */
const getMcIdString = command({
  netFn: NetFn.GroupExtension,
  cmd: 0x09,
  name: 'Get Management Controller Identifier String',
  privilege: Privilege.User,
  section: 'DCMI 1.5 6.4.6.1',
  decode: decodeChunkRead,
  handle(req, ctx) {
    return readChunk(ctx.bmc.mcIdString.slice(0, MC_ID_MAX - 1), req.offset, req.count, MC_ID_MAX);
  },
});

/**
 * Set Management Controller Identifier String (DCMI 6.4.6.2)
 * request:  [DCh][offset to write][number of bytes to write, at most 16][data, NUL-terminated in the last chunk]
 * response: [DCh][total length written (offset + count)]
 * The string is cut at the offset and the data (up to a NUL) appended, so
 * chunks written in order build the whole string (at most 63 characters
 * and the NUL). Offset past the current string, or past 64 bytes: C9h.
 */
const setMcIdString = command({
  netFn: NetFn.GroupExtension,
  cmd: 0x0a,
  name: 'Set Management Controller Identifier String',
  privilege: Privilege.Administrator,
  section: 'DCMI 1.5 6.4.6.2',
  decode: decodeChunkWrite,
  handle(req, ctx) {
    const current = Buffer.from(ctx.bmc.mcIdString, 'latin1');
    const end = req.offset + req.data.length;
    if (req.data.length > CHUNK_MAX || req.offset > current.length || end > MC_ID_MAX) fail(CC.ParameterOutOfRange);
    const nul = req.data.indexOf(0);
    const chunk = nul >= 0 ? req.data.subarray(0, nul) : req.data;
    if (nul < 0 && end === MC_ID_MAX) fail(CC.ParameterOutOfRange, 'no room for the terminating NUL');
    ctx.bmc.setMcIdString(Buffer.concat([current.subarray(0, req.offset), chunk]).toString('latin1'));
    return respond((w) => w.u8(end));
  },
});

export const dcmiCommands = [
  getDcmiCapabilitiesInfo,
  getPowerReading,
  getPowerLimit,
  setPowerLimit,
  activatePowerLimit,
  getAssetTag,
  setAssetTag,
  getDcmiSensorInfo,
  getTemperatureReadings,
  getMcIdString,
  setMcIdString,
] as const;

