// The Sensor Data Record repository of one host (IPMI v2.0 sections 33, 35
// and 43): records derived from the host's sensor definitions — a Full
// Sensor Record (43.1) per threshold sensor, a Compact Sensor Record (43.2)
// per discrete sensor, a FRU Device Locator (43.8) for FRU 0 and a
// Management Controller Device Locator (43.9) for the BMC. Record ids are
// 1..N in that order and never change while the BMC runs. The layout of each
// host's repository is cached; the bytes of a sensor record are built on
// every read, so thresholds, hysteresis and masks are the sensor's current
// ones. Get SDR (33.12) and Get Device SDR (35.3) share `readSdr`.
import { Writer, type Reader } from '../bytes/index.js';
import type { Bmc } from '../model/bmc.js';
import type { Host } from '../model/host.js';
import { ASSERT_OFFSET, THRESHOLD_NAMES, UnitCode, toRaw, type Conversion, type Sensor, type ThresholdName } from '../model/sensors.js';
import { BMC_SA, CC } from './constants.js';
import { IpmiError } from './errors.js';

export const SDR_VERSION = 0x51;

/** SDR record type codes (section 43). */
export const SdrRecordType = {
  FullSensor: 0x01,
  CompactSensor: 0x02,
  FruDeviceLocator: 0x11,
  McDeviceLocator: 0x12,
} as const;

/** Record ids with fixed meaning in Get SDR / Get Device SDR requests (33.12). */
export const SdrRecordId = { First: 0x0000, Last: 0xffff } as const;

/**
 * Bit of each threshold in the readable/settable masks of the full sensor
 * record (43.1 bytes 19-20) and in Set/Get Sensor Thresholds (35.8, 35.9).
 */
export const THRESHOLD_BIT: Readonly<Record<ThresholdName, number>> = { lnc: 0, lc: 1, lnr: 2, unc: 3, uc: 4, unr: 5 };

/** Largest response data a read command returns (Get SDR, Read FRU Data); one-byte count fields bound it. */
export const MAX_RESPONSE_DATA = 0xff;

/** Entity of the BMC in its device locator record: 06h System Management Module (table 43-13). */
const BMC_ENTITY = { id: 0x06, instance: 0x01 } as const;
/** 10h = FRU inventory device behind a management controller (table 43-12). */
const FRU_DEVICE_TYPE = 0x10;

/**
 * Linear conversion factors as the full sensor record (43.1 bytes 25-30) and
 * Get Sensor Reading Factors (35.5) carry them:
 *   [M 7:0][M 9:8 in 7:6 | tolerance 5:0][B 7:0][B 9:8 in 7:6 | accuracy 5:0]
 *   [accuracy 9:6 in 7:4 | accuracy exp 3:2 | sensor direction 1:0][R exp 7:4 | B exp 3:0]
 * M and B are 10-bit two's complement, the exponents 4-bit two's complement.
 * Tolerance, accuracy and direction are reported as 0 (unspecified).
 */
export function encodeFactors(c: Conversion): number[] {
  const m = c.m & 0x3ff;
  const b = c.b & 0x3ff;
  return [m & 0xff, (m >> 8) << 6, b & 0xff, (b >> 8) << 6, 0x00, ((c.rExp & 0x0f) << 4) | (c.bExp & 0x0f)];
}

/** ID string: type/length byte 11b = 8-bit ASCII + Latin 1, then at most 16 bytes (43.15). */
function idString(w: Writer, s: string): void {
  const b = Buffer.from(s, 'latin1').subarray(0, 16);
  w.u8(0xc0 | b.length).bytes(b);
}

/** Writes the 5-byte header; the length byte is patched by `finish`. */
function header(w: Writer, id: number, type: number): void {
  w.u16le(id).u8(SDR_VERSION).u8(type).u8(0);
}

function finish(w: Writer): Uint8Array {
  w.setU8(4, w.length - 5);
  return new Uint8Array(w.finish());
}

/** Event mask bits (offsets) the sensor's defined thresholds generate, assertion and deassertion alike. */
function thresholdEventMask(s: Sensor): number {
  let mask = 0;
  for (const n of THRESHOLD_NAMES) if (s.def.thresholds[n] !== undefined) mask |= 1 << ASSERT_OFFSET[n];
  return mask;
}

/** Readable thresholds: those with a value now. */
export function readableMask(s: Sensor): number {
  let mask = 0;
  for (const n of THRESHOLD_NAMES) if (s.thresholdsRaw[n] !== undefined) mask |= 1 << THRESHOLD_BIT[n];
  return mask;
}

export function settableMask(s: Sensor): number {
  let mask = 0;
  for (const n of s.settable) mask |= 1 << THRESHOLD_BIT[n];
  return mask;
}

/**
 * Full Sensor Record, type 01h (43.1), for a threshold sensor:
 *   1-5   record id (LS first), SDR version 51h, type 01h, length of the rest
 *   6     sensor owner id 20h         7  owner LUN (channel 7:4, LUN 1:0) = 00h
 *   8     sensor number               9  entity id     10 entity instance (bit 7 = 0 physical)
 *   11    initialization: 6 init scanning, 5 init events, 1 events enabled, 0 scanning enabled
 *   12    capabilities: 6 auto re-arm, 5:4 hysteresis access, 3:2 threshold access, 1:0 event control 00b
 *   13    sensor type                 14 event/reading type 01h
 *   15-16 assertion event mask 11:0 | lower threshold reading mask 14:12 (LNR, LC, LNC comparison returned)
 *   17-18 deassertion event mask 11:0 | upper threshold reading mask 14:12 (UNR, UC, UNC)
 *   19    readable thresholds (5 UNR .. 0 LNC)   20 settable thresholds (same bits)
 *   21    units 1: 7:6 analog data format (00b unsigned, 10b 2's complement), 5:3 rate, 2:1 modifier, 0 percentage
 *   22    base unit                   23 modifier unit
 *   24    linearization 00h (linear)
 *   25-30 M, tolerance, B, accuracy, direction, R exp, B exp (encodeFactors)
 *   31    analog characteristic flags: 2 normal min, 1 normal max, 0 nominal reading specified
 *   32    nominal reading  33 normal maximum  34 normal minimum  35 sensor maximum  36 sensor minimum
 *   37-42 UNR, UC, UNC, LNR, LC, LNC thresholds (counts)
 *   43    positive-going hysteresis   44 negative-going hysteresis
 *   45-46 reserved                    47 OEM
 *   48    ID string type/length       49:64 ID string
 */
export function encodeFullSensorRecord(id: number, s: Sensor): Uint8Array {
  const d = s.def;
  const c = d.conversion;
  const w = new Writer(64);
  header(w, id, SdrRecordType.FullSensor);
  w.u8(BMC_SA).u8(0x00).u8(d.number).u8(d.entity.id).u8(d.entity.instance & 0x7f);
  w.u8(0x63);
  const readable = readableMask(s);
  const settable = settableMask(s);
  const thresholdAccess = settable !== 0 ? 0b10 : readable !== 0 ? 0b01 : 0b00;
  w.u8(0x40 | (0b10 << 4) | (thresholdAccess << 2) | 0b00);
  w.u8(d.type).u8(d.eventReadingType);
  const events = thresholdEventMask(s);
  // Comparison status bits: LNC, LC, LNR in 12..14 of the assertion word; UNC, UC, UNR in the deassertion word.
  const lower = readable & 0x07;
  const upper = (readable >> 3) & 0x07;
  w.u16le(events | (lower << 12));
  w.u16le(events | (upper << 12));
  w.u8(readable).u8(settable);
  const percent = d.unit === 'percent';
  w.u8((c.signed ? 0x80 : 0x00) | (percent ? 0x01 : 0x00));
  w.u8(UnitCode[d.unit] ?? 0).u8(0x00);
  w.u8(0x00);
  w.bytes(encodeFactors(c));
  const nominal = d.nominal === undefined ? undefined : toRaw(d.nominal, c);
  const normalMax = d.thresholds.unc === undefined ? undefined : toRaw(d.thresholds.unc, c);
  const normalMin = d.thresholds.lnc === undefined ? undefined : toRaw(d.thresholds.lnc, c);
  w.u8((nominal !== undefined ? 0x01 : 0) | (normalMax !== undefined ? 0x02 : 0) | (normalMin !== undefined ? 0x04 : 0));
  w.u8(nominal ?? 0).u8(normalMax ?? 0).u8(normalMin ?? 0);
  w.u8(c.signed ? 0x7f : 0xff).u8(c.signed ? 0x80 : 0x00);
  for (const n of ['unr', 'uc', 'unc', 'lnr', 'lc', 'lnc'] as const) w.u8(s.thresholdsRaw[n] ?? 0);
  w.u8(s.hysteresis.positive).u8(s.hysteresis.negative);
  w.u16le(0).u8(0x00);
  idString(w, d.name);
  return finish(w);
}

/**
 * Compact Sensor Record, type 02h (43.2), for a discrete sensor:
 *   1-5   header                      6 owner id 20h   7 owner LUN 00h   8 sensor number
 *   9     entity id                   10 entity instance
 *   11    initialization (as 43.1)    12 capabilities: 6 auto re-arm, no hysteresis, no thresholds, 1:0 00b
 *   13    sensor type                 14 event/reading type
 *   15-16 assertion event mask        17-18 deassertion event mask   19-20 discrete reading mask
 *   21    units 1 (7:6 reserved 00b)  22 base unit   23 modifier unit
 *   24    record sharing: 7:6 direction, 5:4 id instance modifier type, 3:0 share count (1)
 *   25    7 entity instance sharing, 6:0 id instance modifier offset
 *   26    positive hysteresis         27 negative hysteresis
 *   28-30 reserved                    31 OEM
 *   32    ID string type/length       33:48 ID string
 */
export function encodeCompactSensorRecord(id: number, s: Sensor): Uint8Array {
  const d = s.def;
  const mask = (d.discreteMask ?? 0) & 0x7fff;
  const w = new Writer(48);
  header(w, id, SdrRecordType.CompactSensor);
  w.u8(BMC_SA).u8(0x00).u8(d.number).u8(d.entity.id).u8(d.entity.instance & 0x7f);
  w.u8(0x63).u8(0x40);
  w.u8(d.type).u8(d.eventReadingType);
  w.u16le(mask).u16le(mask).u16le(mask);
  w.u8(d.unit === 'percent' ? 0x01 : 0x00).u8(UnitCode[d.unit] ?? 0).u8(0x00);
  w.u8(0x01).u8(0x00);
  w.u8(0).u8(0);
  w.u8(0).u8(0).u8(0).u8(0x00);
  idString(w, d.name);
  return finish(w);
}

/**
 * FRU Device Locator, type 11h (43.8), for a logical FRU behind the BMC:
 *   1-5 header   6 device access address (7:1 controller slave address)   7 FRU device id
 *   8   7 logical FRU device, 4:3 access LUN, 2:0 private bus    9 channel number 7:4
 *   10  reserved  11 device type  12 device type modifier  13 FRU entity id  14 FRU entity instance
 *   15  OEM       16 ID string type/length   17:32 ID string
 */
export function encodeFruDeviceLocator(id: number, fru: { id: number; name: string }, entity: { id: number; instance: number }): Uint8Array {
  const w = new Writer(32);
  header(w, id, SdrRecordType.FruDeviceLocator);
  w.u8(BMC_SA).u8(fru.id).u8(0x80).u8(0x00).u8(0x00);
  w.u8(FRU_DEVICE_TYPE).u8(0x00).u8(entity.id).u8(entity.instance & 0x7f).u8(0x00);
  idString(w, fru.name);
  return finish(w);
}

/**
 * Management Controller Device Locator, type 12h (43.9):
 *   1-5 header   6 device slave address (7:1)   7 channel number 3:0
 *   8   power state notification 7:5 / global initialization 1:0 (00b: enable event messages)
 *   9   device capabilities: 7 chassis, 6 bridge, 5 IPMB event generator, 4 IPMB event receiver,
 *       3 FRU inventory, 2 SEL, 1 SDR repository, 0 sensor device
 *   10-12 reserved   13 entity id   14 entity instance   15 OEM
 *   16  ID string type/length   17:32 ID string
 */
export function encodeMcDeviceLocator(id: number, name: string): Uint8Array {
  const w = new Writer(32);
  header(w, id, SdrRecordType.McDeviceLocator);
  w.u8(BMC_SA).u8(0x00).u8(0x00).u8(0x9f);
  w.u8(0).u8(0).u8(0);
  w.u8(BMC_ENTITY.id).u8(BMC_ENTITY.instance).u8(0x00);
  idString(w, name);
  return finish(w);
}

interface Entry {
  readonly id: number;
  readonly type: number;
  /** Sensor number for sensor records. */
  readonly sensor?: number;
  build(): Uint8Array;
}

/** One host's repository: the record list, its reservation and its timestamps. */
export class SdrRepository {
  readonly #entries: Entry[] = [];
  readonly #bySensor = new Map<number, number>();
  #reservation = 0;
  /** Seconds since the epoch when the repository last changed (the host's sensor set did). */
  readonly builtAt: number;

  constructor(bmc: Bmc, host: Host) {
    this.builtAt = Math.floor(host.sensorSetChangedAt / 1000);
    let id = 1;
    for (const s of host.sensors.values()) {
      const rid = id++;
      const full = s.isThreshold;
      this.#entries.push({
        id: rid,
        type: full ? SdrRecordType.FullSensor : SdrRecordType.CompactSensor,
        sensor: s.def.number,
        build: () => (full ? encodeFullSensorRecord(rid, s) : encodeCompactSensorRecord(rid, s)),
      });
      this.#bySensor.set(s.def.number, rid);
    }
    const fru = host.frus.get(0);
    if (fru) {
      const rid = id++;
      this.#entries.push({
        id: rid,
        type: SdrRecordType.FruDeviceLocator,
        build: () => encodeFruDeviceLocator(rid, { id: fru.id, name: 'Builtin FRU' }, { id: 0x07, instance: 0x01 }),
      });
    }
    const rid = id++;
    const name = bmc.name;
    this.#entries.push({ id: rid, type: SdrRecordType.McDeviceLocator, build: () => encodeMcDeviceLocator(rid, name) });
  }

  get count(): number {
    return this.#entries.length;
  }

  /** Number of sensor records (Get Device SDR Info with operation 0). */
  get sensorCount(): number {
    return this.#bySensor.size;
  }

  /** Bytes of the whole repository, for the allocation figures. */
  get usedBytes(): number {
    let n = 0;
    for (const e of this.#entries) n += e.build().length;
    return n;
  }

  /** Record id of a sensor's record. */
  recordIdOfSensor(sensor: number): number | undefined {
    return this.#bySensor.get(sensor);
  }

  /** A record by id; 0000h is the first record and FFFFh the last. */
  record(id: number): { id: number; next: number; bytes: Uint8Array } | undefined {
    const i =
      id === SdrRecordId.First ? 0 : id === SdrRecordId.Last ? this.#entries.length - 1 : this.#entries.findIndex((e) => e.id === id);
    const e = i >= 0 ? this.#entries[i] : undefined;
    if (!e) return undefined;
    const next = this.#entries[i + 1]?.id ?? SdrRecordId.Last;
    return { id: e.id, next, bytes: e.build() };
  }

  reserve(): number {
    this.#reservation = (this.#reservation % 0xffff) + 1;
    return this.#reservation;
  }

  checkReservation(id: number): boolean {
    return id !== 0 && id === this.#reservation;
  }
}

const repositories = new WeakMap<Host, SdrRepository>();

/** The cached repository of a host. */
export function sdrRepository(bmc: Bmc, host: Host): SdrRepository {
  let repo = repositories.get(host);
  if (!repo) {
    repo = new SdrRepository(bmc, host);
    repositories.set(host, repo);
  }
  return repo;
}

export interface GetSdrRequest {
  readonly reservation: number;
  readonly recordId: number;
  readonly offset: number;
  /** FFh = the whole record from offset. */
  readonly count: number;
}

/**
 * The common body of Get SDR (33.12) and Get Device SDR (35.3):
 *   request:  [reservation id LS, MS][record id LS, MS][offset into record][bytes to read, FFh = all]
 *   response: [next record id LS, MS][record bytes]
 * A reservation is needed only when offset is not 0 (C5h if it is stale);
 * an unknown id is CBh; an offset past the record C9h; a count the response
 * cannot hold CAh. A read past the end returns the bytes that exist.
 */
export function readSdr(repo: SdrRepository, req: GetSdrRequest): Uint8Array {
  if (req.offset !== 0 && !repo.checkReservation(req.reservation)) throw new IpmiError(CC.ReservationCancelled);
  const rec = repo.record(req.recordId);
  if (!rec) throw new IpmiError(CC.NotPresent);
  if (req.count !== 0xff && req.count > MAX_RESPONSE_DATA - 2) throw new IpmiError(CC.CannotReturnBytes);
  if (req.offset > rec.bytes.length) throw new IpmiError(CC.ParameterOutOfRange);
  const end = req.count === 0xff ? rec.bytes.length : Math.min(rec.bytes.length, req.offset + req.count);
  const body = rec.bytes.subarray(req.offset, end);
  if (body.length + 2 > MAX_RESPONSE_DATA) throw new IpmiError(CC.CannotReturnBytes);
  return new Writer(2 + body.length).u16le(rec.next).bytes(body).finish();
}

export function decodeGetSdr(r: Reader): GetSdrRequest {
  const reservation = r.u16le();
  const recordId = r.u16le();
  const offset = r.u8();
  const count = r.u8();
  r.end();
  return { reservation, recordId, offset, count };
}
