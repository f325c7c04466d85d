// The System Event Log of one host (IPMI v2.0 sections 31 and 32): 16-byte
// records with 16-bit ids, a reservation that delete and clear require, a
// fixed capacity with an overflow flag, and the BMC's SEL clock with its
// offset and UTC offset. Records stay in the IPMI format because that is the
// log's canonical form; Redfish renders them as LogEntry resources.
import type { Clock } from './clock.js';
import type { ModelEvents } from './events.js';
import type { Persistence } from './persist.js';

/** A record as stored: id and the 14 bytes after it (type, then 13 bytes). */
export interface SelRecord {
  readonly id: number;
  readonly type: number;
  /** Bytes 3..15 of the record (13 bytes; for type 0x02 timestamp first). */
  readonly body: Uint8Array;
}

/** A decoded system event record (type 0x02), section 32.1. */
export interface SystemEvent {
  timestamp: number;
  generatorId: number;
  evmRev: number;
  sensorType: number;
  sensorNumber: number;
  /** Bit 7 = deassertion; bits 6:0 event/reading type. */
  eventDirType: number;
  eventData: [number, number, number];
}

export type SelError = 'full' | 'reservation' | 'not-found' | 'erase-in-progress';

export type OverflowPolicy = 'stop' | 'wrap';

interface Stored {
  nextId: number;
  overflow: boolean;
  lastAdd: number;
  lastErase: number;
  records: [number, number, string][];
}

const TIMESTAMP_UNSPECIFIED = 0xffffffff;

export function encodeSystemEvent(e: SystemEvent): Uint8Array {
  const b = new Uint8Array(13);
  b[0] = e.timestamp & 0xff;
  b[1] = (e.timestamp >>> 8) & 0xff;
  b[2] = (e.timestamp >>> 16) & 0xff;
  b[3] = (e.timestamp >>> 24) & 0xff;
  b[4] = e.generatorId & 0xff;
  b[5] = (e.generatorId >>> 8) & 0xff;
  b[6] = e.evmRev;
  b[7] = e.sensorType;
  b[8] = e.sensorNumber;
  b[9] = e.eventDirType;
  b[10] = e.eventData[0];
  b[11] = e.eventData[1];
  b[12] = e.eventData[2];
  return b;
}

export function decodeSystemEvent(r: SelRecord): SystemEvent | undefined {
  if (r.type !== 0x02 || r.body.length !== 13) return undefined;
  const b = r.body;
  return {
    timestamp: (b[0]! | (b[1]! << 8) | (b[2]! << 16) | (b[3]! << 24)) >>> 0,
    generatorId: b[4]! | (b[5]! << 8),
    evmRev: b[6]!,
    sensorType: b[7]!,
    sensorNumber: b[8]!,
    eventDirType: b[9]!,
    eventData: [b[10]!, b[11]!, b[12]!],
  };
}

/** Record types that carry a timestamp the BMC fills in (system and timestamped OEM). */
export function isTimestamped(type: number): boolean {
  return type < 0xe0;
}

export class EventLog {
  readonly capacity: number;
  overflowPolicy: OverflowPolicy;
  readonly #records = new Map<number, SelRecord>();
  #nextId = 1;
  #overflow = false;
  #lastAdd = TIMESTAMP_UNSPECIFIED;
  #lastErase = TIMESTAMP_UNSPECIFIED;
  #reservation = 0;
  #reservationSeq = 0;
  /** SEL clock: seconds = (clock.now() + offsetMs) / 1000. */
  #timeOffsetMs = 0;
  /** Minutes from UTC, or 0x7FF when unspecified (IPMI v2.0 31.11a). */
  #utcOffset = 0x7ff;
  readonly #host: number;
  readonly #clock: Clock;
  readonly #persist: Persistence;
  readonly #events: ModelEvents;

  constructor(opts: {
    host: number;
    capacity: number;
    overflowPolicy?: OverflowPolicy;
    clock: Clock;
    persist: Persistence;
    events: ModelEvents;
  }) {
    this.capacity = opts.capacity;
    this.overflowPolicy = opts.overflowPolicy ?? 'stop';
    this.#host = opts.host;
    this.#clock = opts.clock;
    this.#persist = opts.persist;
    this.#events = opts.events;
    const s = opts.persist.load('sel') as Stored | undefined;
    if (s && Array.isArray(s.records)) {
      this.#nextId = s.nextId;
      this.#overflow = s.overflow;
      this.#lastAdd = s.lastAdd;
      this.#lastErase = s.lastErase;
      for (const [id, type, hex] of s.records) this.#records.set(id, { id, type, body: Buffer.from(hex, 'hex') });
    }
    const t = opts.persist.load('sel-time') as { offsetMs: number; utcOffset: number } | undefined;
    if (t) {
      this.#timeOffsetMs = t.offsetMs;
      this.#utcOffset = t.utcOffset;
    }
  }

  get count(): number {
    return this.#records.size;
  }

  get free(): number {
    return Math.max(0, this.capacity - this.#records.size);
  }

  get overflow(): boolean {
    return this.#overflow;
  }

  get lastAddTime(): number {
    return this.#lastAdd;
  }

  get lastEraseTime(): number {
    return this.#lastErase;
  }

  /** The SEL clock in seconds since the epoch. */
  time(): number {
    return Math.floor((this.#clock.now() + this.#timeOffsetMs) / 1000);
  }

  setTime(seconds: number): void {
    this.#timeOffsetMs = seconds * 1000 - this.#clock.now();
    this.#saveTime();
  }

  get utcOffset(): number {
    return this.#utcOffset;
  }

  setUtcOffset(minutes: number): boolean {
    if (minutes !== 0x7ff && (minutes < -1440 || minutes > 1440)) return false;
    this.#utcOffset = minutes;
    this.#saveTime();
    return true;
  }

  reserve(): number {
    this.#reservationSeq = (this.#reservationSeq % 0xffff) + 1;
    this.#reservation = this.#reservationSeq;
    return this.#reservation;
  }

  checkReservation(id: number): boolean {
    return id !== 0 && id === this.#reservation;
  }

  /** Records in id order. */
  list(): SelRecord[] {
    return [...this.#records.values()];
  }

  get(id: number): SelRecord | undefined {
    return this.#records.get(id);
  }

  first(): SelRecord | undefined {
    return this.#records.values().next().value;
  }

  last(): SelRecord | undefined {
    let last: SelRecord | undefined;
    for (const r of this.#records.values()) last = r;
    return last;
  }

  /** The id following `id` in the log, or 0xFFFF after the last one. */
  nextAfter(id: number): number {
    let found = false;
    for (const r of this.#records.keys()) {
      if (found) return r;
      if (r === id) found = true;
    }
    return 0xffff;
  }

  /**
   * Adds a record; the BMC stamps the time into timestamped types. Returns
   * the new id, or 'full' when the log is full and does not wrap.
   */
  add(type: number, body: Uint8Array): number | SelError {
    if (body.length !== 13) throw new RangeError('SEL record body must be 13 bytes');
    if (this.#records.size >= this.capacity) {
      if (this.overflowPolicy === 'stop') {
        if (!this.#overflow) {
          this.#overflow = true;
          this.#save();
        }
        return 'full';
      }
      const oldest = this.#records.keys().next().value as number;
      this.#records.delete(oldest);
      this.#overflow = true;
    }
    const now = this.time();
    const b = new Uint8Array(body);
    if (isTimestamped(type)) {
      b[0] = now & 0xff;
      b[1] = (now >>> 8) & 0xff;
      b[2] = (now >>> 16) & 0xff;
      b[3] = (now >>> 24) & 0xff;
    }
    const id = this.#allocateId();
    this.#records.set(id, { id, type, body: b });
    this.#lastAdd = now;
    this.#save();
    this.#events.emit({ type: 'sel-added', host: this.#host, recordId: id });
    return id;
  }

  /** Adds a system event record (type 0x02). */
  addSystemEvent(e: Omit<SystemEvent, 'timestamp'>): number | SelError {
    return this.add(0x02, encodeSystemEvent({ ...e, timestamp: 0 }));
  }

  // A delete or a clear cancels the reservation (IPMI v2.0 31.4).
  delete(id: number): boolean {
    if (!this.#records.delete(id)) return false;
    this.#reservation = 0;
    this.#lastErase = this.time();
    this.#save();
    this.#events.emit({ type: 'sel-deleted', host: this.#host, recordId: id });
    return true;
  }

  clear(): void {
    this.#records.clear();
    this.#reservation = 0;
    this.#overflow = false;
    this.#lastErase = this.time();
    this.#save();
    this.#events.emit({ type: 'sel-cleared', host: this.#host });
  }

  #allocateId(): number {
    // Ids 0x0000 and 0xFFFF are reserved (first/last record).
    for (let i = 0; i < 0xfffe; i++) {
      const id = this.#nextId;
      this.#nextId = id >= 0xfffe ? 1 : id + 1;
      if (!this.#records.has(id)) return id;
    }
    throw new Error('no free SEL record id');
  }

  #save(): void {
    const s: Stored = {
      nextId: this.#nextId,
      overflow: this.#overflow,
      lastAdd: this.#lastAdd,
      lastErase: this.#lastErase,
      records: [...this.#records.values()].map((r) => [r.id, r.type, Buffer.from(r.body).toString('hex')]),
    };
    this.#persist.save('sel', s);
  }

  #saveTime(): void {
    this.#persist.save('sel-time', { offsetMs: this.#timeOffsetMs, utcOffset: this.#utcOffset });
  }
}
