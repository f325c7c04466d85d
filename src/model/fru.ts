// FRU inventory (IPMI Platform Management FRU Information Storage Definition
// v1.0 rev 1.3): the chassis, board and product info areas of a FRU device,
// kept as the binary image real hardware stores in its EEPROM (so Read/Write
// FRU Data act on bytes) and parsed into fields for every other front door.
import { checksum8, checksum8Valid } from '../bytes/index.js';
import type { ModelEvents } from './events.js';
import type { Persistence } from './persist.js';

export interface FruChassis {
  type: number;
  partNumber: string;
  serial: string;
  extra: string[];
}

export interface FruBoard {
  /** Minutes since 1996-01-01 00:00 UTC; 0 = unspecified. */
  mfgMinutes: number;
  manufacturer: string;
  product: string;
  serial: string;
  partNumber: string;
  fileId: string;
  extra: string[];
}

export interface FruProduct {
  manufacturer: string;
  name: string;
  partNumber: string;
  version: string;
  serial: string;
  assetTag: string;
  fileId: string;
  extra: string[];
}

export interface FruInfo {
  chassis?: FruChassis;
  board?: FruBoard;
  product?: FruProduct;
}

export const FRU_EPOCH_MS = Date.UTC(1996, 0, 1);

function field(w: number[], s: string): void {
  // A one-byte 8-bit field would read as the end marker 0xC1: pad it.
  const b = Buffer.from(s.length === 1 ? s + ' ' : s, 'latin1').subarray(0, 63);
  w.push(0xc0 | b.length, ...b);
}

function finishArea(w: number[]): number[] {
  w.push(0xc1);
  while ((w.length + 1) % 8 !== 0) w.push(0);
  w[1] = (w.length + 1) / 8;
  w.push(checksum8(w));
  return w;
}

export function encodeFru(info: FruInfo, size: number): Uint8Array {
  const areas: { index: number; bytes: number[] }[] = [];
  if (info.chassis) {
    const c = info.chassis;
    const w = [0x01, 0, c.type];
    field(w, c.partNumber);
    field(w, c.serial);
    for (const e of c.extra) field(w, e);
    areas.push({ index: 2, bytes: finishArea(w) });
  }
  if (info.board) {
    const b = info.board;
    const w = [0x01, 0, 0x00, b.mfgMinutes & 0xff, (b.mfgMinutes >>> 8) & 0xff, (b.mfgMinutes >>> 16) & 0xff];
    for (const s of [b.manufacturer, b.product, b.serial, b.partNumber, b.fileId, ...b.extra]) field(w, s);
    areas.push({ index: 3, bytes: finishArea(w) });
  }
  if (info.product) {
    const p = info.product;
    const w = [0x01, 0, 0x00];
    for (const s of [p.manufacturer, p.name, p.partNumber, p.version, p.serial, p.assetTag, p.fileId, ...p.extra]) field(w, s);
    areas.push({ index: 4, bytes: finishArea(w) });
  }
  const header = [0x01, 0, 0, 0, 0, 0, 0, 0];
  const body: number[] = [];
  let offset = 8;
  for (const a of areas) {
    header[a.index] = offset / 8;
    body.push(...a.bytes);
    offset += a.bytes.length;
  }
  header[7] = checksum8(header.slice(0, 7));
  const image = new Uint8Array(Math.max(size, offset));
  image.set(header, 0);
  image.set(body, 8);
  return image;
}

function readFields(b: Uint8Array, at: number, end: number): string[] | undefined {
  const out: string[] = [];
  let p = at;
  while (p < end) {
    const tl = b[p]!;
    if (tl === 0xc1) return out;
    const len = tl & 0x3f;
    const type = tl >> 6;
    if (p + 1 + len > end) return undefined;
    const data = b.subarray(p + 1, p + 1 + len);
    out.push(type === 0 ? Buffer.from(data).toString('hex') : Buffer.from(data).toString('latin1'));
    p += 1 + len;
  }
  return undefined;
}

function area(b: Uint8Array, offset8: number): { start: number; end: number } | undefined {
  if (offset8 === 0) return undefined;
  const start = offset8 * 8;
  if (start + 2 > b.length) return undefined;
  const end = start + b[start + 1]! * 8;
  if (end > b.length || end <= start || !checksum8Valid(b, start, end)) return undefined;
  return { start, end };
}

/** Parses the areas it can; a damaged area is left out rather than failing the whole image. */
export function decodeFru(b: Uint8Array): FruInfo {
  const info: FruInfo = {};
  if (b.length < 8 || b[0] !== 0x01 || !checksum8Valid(b, 0, 8)) return info;
  const c = area(b, b[2]!);
  if (c) {
    const f = readFields(b, c.start + 3, c.end);
    if (f) info.chassis = { type: b[c.start + 2]!, partNumber: f[0] ?? '', serial: f[1] ?? '', extra: f.slice(2) };
  }
  const bd = area(b, b[3]!);
  if (bd) {
    const f = readFields(b, bd.start + 6, bd.end);
    if (f) {
      info.board = {
        mfgMinutes: b[bd.start + 3]! | (b[bd.start + 4]! << 8) | (b[bd.start + 5]! << 16),
        manufacturer: f[0] ?? '',
        product: f[1] ?? '',
        serial: f[2] ?? '',
        partNumber: f[3] ?? '',
        fileId: f[4] ?? '',
        extra: f.slice(5),
      };
    }
  }
  const pr = area(b, b[4]!);
  if (pr) {
    const f = readFields(b, pr.start + 3, pr.end);
    if (f) {
      info.product = {
        manufacturer: f[0] ?? '',
        name: f[1] ?? '',
        partNumber: f[2] ?? '',
        version: f[3] ?? '',
        serial: f[4] ?? '',
        assetTag: f[5] ?? '',
        fileId: f[6] ?? '',
        extra: f.slice(7),
      };
    }
  }
  return info;
}

/** One FRU device: its image, writable, persisted on every write. */
export class FruDevice {
  readonly id: number;
  readonly name: string;
  #image: Uint8Array;
  #info: FruInfo;
  readonly #host: number;
  readonly #persist: Persistence;
  readonly #events: ModelEvents;

  constructor(opts: { id: number; name: string; host: number; defaults: FruInfo; size: number; persist: Persistence; events: ModelEvents }) {
    this.id = opts.id;
    this.name = opts.name;
    this.#host = opts.host;
    this.#persist = opts.persist;
    this.#events = opts.events;
    const stored = opts.persist.load(`fru/${opts.id}`) as string | undefined;
    this.#image = typeof stored === 'string' ? new Uint8Array(Buffer.from(stored, 'hex')) : encodeFru(opts.defaults, opts.size);
    this.#info = decodeFru(this.#image);
  }

  get size(): number {
    return this.#image.length;
  }

  get info(): Readonly<FruInfo> {
    return this.#info;
  }

  read(offset: number, count: number): Uint8Array {
    return this.#image.slice(offset, Math.min(this.#image.length, offset + count));
  }

  /** Writes bytes at an offset; returns how many were written. */
  write(offset: number, data: Uint8Array): number {
    const n = Math.max(0, Math.min(data.length, this.#image.length - offset));
    this.#image.set(data.subarray(0, n), offset);
    this.#info = decodeFru(this.#image);
    this.#persist.save(`fru/${this.id}`, Buffer.from(this.#image).toString('hex'));
    this.#events.emit({ type: 'fru', host: this.#host, fruId: this.id });
    return n;
  }

  /** Replaces fields (e.g. the asset tag from Redfish) and rewrites the image. */
  update(change: (info: FruInfo) => FruInfo): void {
    const image = encodeFru(change(structuredClone(this.#info)), this.#image.length);
    this.#image = new Uint8Array(this.#image.length >= image.length ? this.#image.length : image.length);
    this.#image.set(image);
    this.#info = decodeFru(this.#image);
    this.#persist.save(`fru/${this.id}`, Buffer.from(this.#image).toString('hex'));
    this.#events.emit({ type: 'fru', host: this.#host, fruId: this.id });
  }
}
