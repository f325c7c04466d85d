// Storage commands, NetFn 0Ah (IPMI v2.0 sections 31 SEL, 33 SDR repository
// and 34 FRU inventory; privileges per appendix G): FRU area info, read and
// write over the host's FRU devices; the SDR repository of ../sdr.ts; and
// the System Event Log — info, allocation, reservation, entries, add,
// delete, clear, SEL time and its UTC offset.
import { Writer } from '../../bytes/index.js';
import type { FruDevice } from '../../model/fru.js';
import type { EventLog, SelRecord } from '../../model/sel.js';
import { CC, NetFn, Privilege } from '../constants.js';
import type { IpmiContext } from '../context.js';
import { IpmiError } from '../errors.js';
import { command } from '../registry.js';
import { decodeGetSdr, MAX_RESPONSE_DATA, readSdr, SDR_VERSION, sdrRepository } from '../sdr.js';

const EMPTY = new Uint8Array(0);
const SEL_VERSION = 0x51;
const SEL_RECORD_SIZE = 16;
/** SDR allocation unit in bytes (Get SDR Repository Allocation Info). */
const SDR_ALLOCATION_UNIT = 16;

/** Command-specific completion codes of the SEL commands (31.6, 31.8). */
export const SelCC = { EraseInProgress: 0x81 } as const;

function fruOf(ctx: IpmiContext, id: number): FruDevice {
  const fru = ctx.host.frus.get(id);
  if (!fru) throw new IpmiError(CC.NotPresent, undefined, `no FRU ${id}`);
  return fru;
}

// ---- FRU (section 34) ------------------------------------------------------

/**
 * Get FRU Inventory Area Info (34.1)
 * request:  [FRU device id]
 * response: [area size LS][area size MS][bit 0: 0 = byte access, 1 = word access]
 */
const getFruInventoryAreaInfo = command({
  netFn: NetFn.Storage,
  cmd: 0x10,
  name: 'Get FRU Inventory Area Info',
  privilege: Privilege.User,
  section: 'IPMI 2.0 34.1',
  decode(r) {
    const id = r.u8();
    r.end();
    return { id };
  },
  handle(req, ctx) {
    const fru = fruOf(ctx, req.id);
    return new Writer(3).u16le(fru.size).u8(0x00).finish();
  },
});

/**
 * Read FRU Data (34.2)
 * request:  [FRU device id][offset LS][offset MS][count to read]
 * response: [count returned][data]
 * The count returned is capped by the end of the area and by what one
 * response holds; an offset at or past the end is C9h.
 */
const readFruData = command({
  netFn: NetFn.Storage,
  cmd: 0x11,
  name: 'Read FRU Data',
  privilege: Privilege.User,
  section: 'IPMI 2.0 34.2',
  decode(r) {
    const id = r.u8();
    const offset = r.u16le();
    const count = r.u8();
    r.end();
    return { id, offset, count };
  },
  handle(req, ctx) {
    const fru = fruOf(ctx, req.id);
    if (req.offset >= fru.size) throw new IpmiError(CC.ParameterOutOfRange);
    const data = fru.read(req.offset, Math.min(req.count, MAX_RESPONSE_DATA - 1));
    return new Writer(1 + data.length).u8(data.length).bytes(data).finish();
  },
});

/**
 * Write FRU Data (34.3)
 * request:  [FRU device id][offset LS][offset MS][data, 1 byte or more]
 * response: [count written]
 * Bytes past the end of the area are not written (the count says so); an
 * offset at or past the end is C9h.
 */
const writeFruData = command({
  netFn: NetFn.Storage,
  cmd: 0x12,
  name: 'Write FRU Data',
  privilege: Privilege.Operator,
  section: 'IPMI 2.0 34.3',
  decode(r) {
    const id = r.u8();
    const offset = r.u16le();
    const data = r.bytes(Math.max(1, r.remaining));
    r.end();
    return { id, offset, data };
  },
  handle(req, ctx) {
    const fru = fruOf(ctx, req.id);
    if (req.offset >= fru.size) throw new IpmiError(CC.ParameterOutOfRange);
    const n = fru.write(req.offset, req.data);
    return Uint8Array.of(n & 0xff);
  },
});

// ---- SDR repository (section 33) --------------------------------------------

/**
 * Get SDR Repository Info (33.9)
 * response: [SDR version 51h][record count LS, MS][free space bytes LS, MS]
 *           [most recent addition timestamp, 4 bytes][most recent erase timestamp, 4 bytes]
 *           [operation support: 7 overflow, 6:5 update modes (00b unspecified), 3 delete,
 *            2 partial add, 1 reserve, 0 get allocation info]
 * The repository is derived from the sensor definitions and cannot be
 * modified over IPMI: no free space, no update mode, no add or delete; both
 * timestamps are the BMC start, when the repository was built.
 */
const getSdrRepositoryInfo = command({
  netFn: NetFn.Storage,
  cmd: 0x20,
  name: 'Get SDR Repository Info',
  privilege: Privilege.User,
  section: 'IPMI 2.0 33.9',
  decode(r) {
    r.end();
  },
  handle(_req, ctx) {
    const repo = sdrRepository(ctx.bmc, ctx.host);
    return new Writer(14)
      .u8(SDR_VERSION)
      .u16le(repo.count)
      .u16le(0)
      .u32le(repo.builtAt)
      .u32le(repo.builtAt)
      .u8(0x03)
      .finish();
  },
});

/**
 * Get SDR Repository Allocation Info (33.10)
 * response: [possible allocation units LS, MS][allocation unit size bytes LS, MS]
 *           [free allocation units LS, MS][largest free block in units LS, MS][maximum record size in units]
 */
const getSdrRepositoryAllocationInfo = command({
  netFn: NetFn.Storage,
  cmd: 0x21,
  name: 'Get SDR Repository Allocation Info',
  privilege: Privilege.User,
  section: 'IPMI 2.0 33.10',
  decode(r) {
    r.end();
  },
  handle(_req, ctx) {
    const repo = sdrRepository(ctx.bmc, ctx.host);
    const units = Math.ceil(repo.usedBytes / SDR_ALLOCATION_UNIT);
    // The largest record: a full sensor record with a 16-byte ID string (64 bytes).
    const maxRecordUnits = Math.ceil(64 / SDR_ALLOCATION_UNIT);
    return new Writer(9).u16le(units).u16le(SDR_ALLOCATION_UNIT).u16le(0).u16le(0).u8(maxRecordUnits).finish();
  },
});

/**
 * Reserve SDR Repository (33.11)
 * response: [reservation id LS, MS]
 */
const reserveSdrRepository = command({
  netFn: NetFn.Storage,
  cmd: 0x22,
  name: 'Reserve SDR Repository',
  privilege: Privilege.User,
  section: 'IPMI 2.0 33.11',
  decode(r) {
    r.end();
  },
  handle(_req, ctx) {
    return new Writer(2).u16le(sdrRepository(ctx.bmc, ctx.host).reserve()).finish();
  },
});

/**
 * Get SDR (33.12)
 * request:  [reservation id LS, MS][record id LS, MS][offset into record][bytes to read, FFh = entire record]
 * response: [next record id LS, MS][record data]
 * (details in readSdr, ../sdr.ts)
 */
const getSdr = command({
  netFn: NetFn.Storage,
  cmd: 0x23,
  name: 'Get SDR',
  privilege: Privilege.User,
  section: 'IPMI 2.0 33.12',
  decode: decodeGetSdr,
  handle(req, ctx) {
    return readSdr(sdrRepository(ctx.bmc, ctx.host), req);
  },
});

// ---- SEL (section 31) ------------------------------------------------------

/** A SEL record as it goes on the wire: [record id LS, MS][record type][13 bytes] (32.1). */
function selRecordBytes(r: SelRecord): Uint8Array {
  return new Writer(SEL_RECORD_SIZE).u16le(r.id).u8(r.type).bytes(r.body).finish();
}

/** Record by id with 0000h = first and FFFFh = last (31.5). */
function selRecord(sel: EventLog, id: number): SelRecord | undefined {
  if (id === 0x0000) return sel.first();
  if (id === 0xffff) return sel.last();
  return sel.get(id);
}

function requireSelReservation(sel: EventLog, id: number): void {
  if (!sel.checkReservation(id)) throw new IpmiError(CC.ReservationCancelled);
}

/**
 * Get SEL Info (31.2)
 * response: [SEL version 51h][entries LS, MS][free space bytes LS, MS]
 *           [most recent addition timestamp, 4 bytes][most recent erase timestamp, 4 bytes]
 *           [operation support: 7 overflow, 3 delete, 2 partial add, 1 reserve, 0 get allocation info]
 */
const getSelInfo = command({
  netFn: NetFn.Storage,
  cmd: 0x40,
  name: 'Get SEL Info',
  privilege: Privilege.User,
  section: 'IPMI 2.0 31.2',
  decode(r) {
    r.end();
  },
  handle(_req, ctx) {
    const sel = ctx.host.sel;
    return new Writer(14)
      .u8(SEL_VERSION)
      .u16le(sel.count)
      .u16le(Math.min(0xfffe, sel.free * SEL_RECORD_SIZE))
      .u32le(sel.lastAddTime)
      .u32le(sel.lastEraseTime)
      .u8((sel.overflow ? 0x80 : 0) | 0x08 | 0x02 | 0x01)
      .finish();
  },
});

/**
 * Get SEL Allocation Info (31.3)
 * response: [possible allocation units LS, MS][allocation unit size LS, MS]
 *           [free units LS, MS][largest free block LS, MS][maximum record size in units]
 */
const getSelAllocationInfo = command({
  netFn: NetFn.Storage,
  cmd: 0x41,
  name: 'Get SEL Allocation Info',
  privilege: Privilege.User,
  section: 'IPMI 2.0 31.3',
  decode(r) {
    r.end();
  },
  handle(_req, ctx) {
    const sel = ctx.host.sel;
    return new Writer(9).u16le(sel.capacity).u16le(SEL_RECORD_SIZE).u16le(sel.free).u16le(sel.free).u8(1).finish();
  },
});

/**
 * Reserve SEL (31.4)
 * response: [reservation id LS, MS]
 */
const reserveSel = command({
  netFn: NetFn.Storage,
  cmd: 0x42,
  name: 'Reserve SEL',
  privilege: Privilege.User,
  section: 'IPMI 2.0 31.4',
  decode(r) {
    r.end();
  },
  handle(_req, ctx) {
    return new Writer(2).u16le(ctx.host.sel.reserve()).finish();
  },
});

/**
 * Get SEL Entry (31.5)
 * request:  [reservation id LS, MS (only for partial reads)][record id LS, MS: 0000h first, FFFFh last]
 *           [offset into record][bytes to read, FFh = entire record]
 * response: [next record id LS, MS (FFFFh after the last)][record data]
 * A partial read (offset not 0) needs the current reservation (C5h); an
 * unknown id or an empty log is CBh; an offset past the record is C9h.
 */
const getSelEntry = command({
  netFn: NetFn.Storage,
  cmd: 0x43,
  name: 'Get SEL Entry',
  privilege: Privilege.User,
  section: 'IPMI 2.0 31.5',
  decode(r) {
    const reservation = r.u16le();
    const id = r.u16le();
    const offset = r.u8();
    const count = r.u8();
    r.end();
    return { reservation, id, offset, count };
  },
  handle(req, ctx) {
    const sel = ctx.host.sel;
    if (req.offset !== 0) requireSelReservation(sel, req.reservation);
    const rec = selRecord(sel, req.id);
    if (!rec) throw new IpmiError(CC.NotPresent);
    if (req.offset > SEL_RECORD_SIZE) throw new IpmiError(CC.ParameterOutOfRange);
    const bytes = selRecordBytes(rec);
    const end = req.count === 0xff ? SEL_RECORD_SIZE : Math.min(SEL_RECORD_SIZE, req.offset + req.count);
    const body = bytes.subarray(req.offset, end);
    return new Writer(2 + body.length).u16le(sel.nextAfter(rec.id)).bytes(body).finish();
  },
});

/**
 * Add SEL Entry (31.6)
 * request:  [16-byte record: id (ignored) LS, MS][record type][13 bytes]
 * response: [record id LS, MS]
 * The BMC stamps the time into timestamped record types. A full log that
 * does not wrap answers C4h (out of space).
 */
const addSelEntry = command({
  netFn: NetFn.Storage,
  cmd: 0x44,
  name: 'Add SEL Entry',
  privilege: Privilege.Operator,
  section: 'IPMI 2.0 31.6',
  decode(r) {
    r.u16le();
    const type = r.u8();
    const body = new Uint8Array(r.bytes(13));
    r.end();
    return { type, body };
  },
  handle(req, ctx) {
    const id = ctx.host.sel.add(req.type, req.body);
    if (id === 'full') throw new IpmiError(CC.OutOfSpace);
    if (typeof id !== 'number') throw new IpmiError(SelCC.EraseInProgress);
    return new Writer(2).u16le(id).finish();
  },
});

/**
 * Delete SEL Entry (31.8)
 * request:  [reservation id LS, MS][record id LS, MS: 0000h first, FFFFh last]
 * response: [deleted record id LS, MS]
 */
const deleteSelEntry = command({
  netFn: NetFn.Storage,
  cmd: 0x46,
  name: 'Delete SEL Entry',
  privilege: Privilege.Operator,
  section: 'IPMI 2.0 31.8',
  decode(r) {
    const reservation = r.u16le();
    const id = r.u16le();
    r.end();
    return { reservation, id };
  },
  handle(req, ctx) {
    const sel = ctx.host.sel;
    requireSelReservation(sel, req.reservation);
    const rec = selRecord(sel, req.id);
    if (!rec || !sel.delete(rec.id)) throw new IpmiError(CC.NotPresent);
    return new Writer(2).u16le(rec.id).finish();
  },
});

/**
 * Clear SEL (31.9)
 * request:  [reservation id LS, MS]['C' 43h]['L' 4Ch]['R' 52h][AAh initiate erase, 00h get erasure status]
 * response: [3:0 erasure progress: 0h in progress, 1h completed]
 * Erasure is immediate, so both operations report "completed".
 */
const clearSel = command({
  netFn: NetFn.Storage,
  cmd: 0x47,
  name: 'Clear SEL',
  privilege: Privilege.Operator,
  section: 'IPMI 2.0 31.9',
  decode(r) {
    const reservation = r.u16le();
    const clr = [...r.bytes(3)];
    const op = r.u8();
    r.end();
    return { reservation, clr, op };
  },
  handle(req, ctx) {
    const sel = ctx.host.sel;
    if (req.clr[0] !== 0x43 || req.clr[1] !== 0x4c || req.clr[2] !== 0x52) throw new IpmiError(CC.InvalidDataField);
    if (req.op !== 0xaa && req.op !== 0x00) throw new IpmiError(CC.InvalidDataField);
    requireSelReservation(sel, req.reservation);
    if (req.op === 0xaa) sel.clear();
    return Uint8Array.of(0x01);
  },
});

/**
 * Get SEL Time (31.10)
 * response: [present timestamp, 4 bytes LS first]
 */
const getSelTime = command({
  netFn: NetFn.Storage,
  cmd: 0x48,
  name: 'Get SEL Time',
  privilege: Privilege.User,
  section: 'IPMI 2.0 31.10',
  decode(r) {
    r.end();
  },
  handle(_req, ctx) {
    return new Writer(4).u32le(ctx.host.sel.time()).finish();
  },
});

/**
 * Set SEL Time (31.11)
 * request:  [time, 4 bytes LS first]
 * response: —
 */
const setSelTime = command({
  netFn: NetFn.Storage,
  cmd: 0x49,
  name: 'Set SEL Time',
  privilege: Privilege.Operator,
  section: 'IPMI 2.0 31.11',
  decode(r) {
    const seconds = r.u32le();
    r.end();
    return { seconds };
  },
  handle(req, ctx) {
    ctx.host.sel.setTime(req.seconds);
    return EMPTY;
  },
});

/**
 * Get SEL Time UTC Offset (31.11a)
 * response: [offset in minutes, signed 16-bit LS first; 07FFh = unspecified]
 */
const getSelTimeUtcOffset = command({
  netFn: NetFn.Storage,
  cmd: 0x5c,
  name: 'Get SEL Time UTC Offset',
  privilege: Privilege.User,
  section: 'IPMI 2.0 31.11a',
  decode(r) {
    r.end();
  },
  handle(_req, ctx) {
    return new Writer(2).u16le(ctx.host.sel.utcOffset & 0xffff).finish();
  },
});

/**
 * Set SEL Time UTC Offset (31.11b)
 * request:  [offset in minutes, signed 16-bit LS first: -1440..1440 or 07FFh unspecified]
 * response: —
 */
const setSelTimeUtcOffset = command({
  netFn: NetFn.Storage,
  cmd: 0x5d,
  name: 'Set SEL Time UTC Offset',
  privilege: Privilege.Operator,
  section: 'IPMI 2.0 31.11b',
  decode(r) {
    const v = r.u16le();
    r.end();
    return { minutes: v & 0x8000 ? v - 0x10000 : v };
  },
  handle(req, ctx) {
    if (!ctx.host.sel.setUtcOffset(req.minutes)) throw new IpmiError(CC.ParameterOutOfRange);
    return EMPTY;
  },
});

export const storageCommands = [
  getFruInventoryAreaInfo,
  readFruData,
  writeFruData,
  getSdrRepositoryInfo,
  getSdrRepositoryAllocationInfo,
  reserveSdrRepository,
  getSdr,
  getSelInfo,
  getSelAllocationInfo,
  reserveSel,
  getSelEntry,
  addSelEntry,
  deleteSelEntry,
  clearSel,
  getSelTime,
  setSelTime,
  getSelTimeUtcOffset,
  setSelTimeUtcOffset,
] as const;
