// A bounded history of one host's sensor readings, for charts and the
// Redfish TelemetryService. Two tiers of fixed-size rings: every scan for the
// last hour (fine), and one average per minute for the last seven days
// (coarse). Values are kept as 16-bit integers (a threshold sensor's reading
// is an 8-bit count, IPMI v2.0 36.3; the coarse tier keeps hundredths of a
// count), all channels of a scan share one timestamp, and ring memory is
// allocated in chunks as it fills, so a host costs at most about 1 MiB
// (34 channels) and a BMC that ran for ten minutes far less. History is
// derived state: it is not persisted.

/** One point of a series: time (ms since the epoch) and value. */
export interface HistoryPoint {
  readonly t: number;
  readonly v: number;
}

export interface HistoryChannel {
  /** Key the caller names the channel by (a sensor number, or POWER_CHANNEL). */
  readonly key: number;
  /** Converts a stored integer (or, for averages, a fractional one) to engineering units. */
  readonly toValue: (stored: number) => number;
}

export interface HistoryOptions {
  readonly channels: readonly HistoryChannel[];
  /** Slots of the fine tier (one per record call). Default 3600: an hour at one scan a second. */
  readonly fineSlots?: number;
  /** Slots of the coarse tier. Default 10080: seven days of minutes. */
  readonly coarseSlots?: number;
  /** Period the coarse tier averages over, ms. Default 60 000. */
  readonly coarseMs?: number;
  /** Ring slots allocated at once. Default 512. */
  readonly chunkSlots?: number;
}

/** The key of the host's power draw channel (sensor numbers are 0-255). */
export const POWER_CHANNEL = 0x100;

/** The most buckets one query returns; a smaller step is widened to fit. */
export const MAX_BUCKETS = 2000;

const NONE = -0x8000;
const INT16_MAX = 0x7fff;

/** A ring of (time, one int16 per channel) rows, allocated in chunks as it fills. */
class Ring {
  readonly slots: number;
  readonly #width: number;
  readonly #chunk: number;
  readonly #times: (Float64Array | undefined)[];
  readonly #values: (Int16Array | undefined)[];
  #next = 0;
  #count = 0;

  constructor(slots: number, width: number, chunk: number) {
    this.slots = slots;
    this.#width = width;
    this.#chunk = Math.min(chunk, slots);
    const chunks = Math.ceil(slots / this.#chunk);
    this.#times = new Array<Float64Array | undefined>(chunks).fill(undefined);
    this.#values = new Array<Int16Array | undefined>(chunks).fill(undefined);
  }

  get count(): number {
    return this.#count;
  }

  /** Bytes of the chunks allocated so far. */
  get bytes(): number {
    let n = 0;
    for (let i = 0; i < this.#times.length; i++) if (this.#times[i]) n += this.#times[i]!.byteLength + this.#values[i]!.byteLength;
    return n;
  }

  push(t: number, row: ArrayLike<number>): void {
    const slot = this.#next;
    const c = Math.floor(slot / this.#chunk);
    const size = Math.min(this.#chunk, this.slots - c * this.#chunk);
    const times = (this.#times[c] ??= new Float64Array(size));
    const values = (this.#values[c] ??= new Int16Array(size * this.#width));
    const i = slot - c * this.#chunk;
    times[i] = t;
    values.set(row, i * this.#width);
    this.#next = (slot + 1) % this.slots;
    if (this.#count < this.slots) this.#count++;
  }

  /** The row at age `k` (0 = oldest), as time and a reader of channel `ch`. */
  time(k: number): number {
    const [c, i] = this.#at(k);
    return this.#times[c]![i]!;
  }

  value(k: number, ch: number): number {
    const [c, i] = this.#at(k);
    return this.#values[c]![i * this.#width + ch]!;
  }

  #at(k: number): [number, number] {
    const slot = (this.#next - this.#count + k + this.slots) % this.slots;
    const c = Math.floor(slot / this.#chunk);
    return [c, slot - c * this.#chunk];
  }
}

/** Both tiers of one host's history. */
export class SensorHistory {
  readonly channels: readonly HistoryChannel[];
  readonly coarseMs: number;
  readonly #index = new Map<number, number>();
  readonly #fine: Ring;
  readonly #coarse: Ring;
  /** The coarse period being accumulated: its number, and per channel a sum and count. */
  #period: number | undefined;
  readonly #sum: Float64Array;
  readonly #n: Uint32Array;
  readonly #row: Int16Array;

  constructor(opts: HistoryOptions) {
    this.channels = opts.channels;
    opts.channels.forEach((c, i) => this.#index.set(c.key, i));
    const width = Math.max(1, opts.channels.length);
    const chunk = opts.chunkSlots ?? 512;
    this.#fine = new Ring(Math.max(1, opts.fineSlots ?? 3600), width, chunk);
    this.#coarse = new Ring(Math.max(1, opts.coarseSlots ?? 10080), width, chunk);
    this.coarseMs = opts.coarseMs ?? 60_000;
    this.#sum = new Float64Array(width);
    this.#n = new Uint32Array(width);
    this.#row = new Int16Array(width);
  }

  has(key: number): boolean {
    return this.#index.has(key);
  }

  /** Bytes the rings hold now (grows with uptime up to the bound). */
  get bytes(): number {
    return this.#fine.bytes + this.#coarse.bytes;
  }

  /** Samples held: [fine, coarse]. */
  get sizes(): { fine: number; coarse: number } {
    return { fine: this.#fine.count, coarse: this.#coarse.count };
  }

  /**
   * Records one scan at time `t`: `stored(i)` is channel i's integer value
   * (rounded, clamped to int16), or null without a reading.
   */
  record(t: number, stored: (channel: number) => number | null): void {
    const period = Math.floor(t / this.coarseMs);
    if (this.#period !== undefined && period !== this.#period) this.#flush();
    this.#period = period;
    const row = this.#row;
    for (let i = 0; i < this.channels.length; i++) {
      const v = stored(i);
      if (v === null || !Number.isFinite(v)) {
        row[i] = NONE;
        continue;
      }
      const q = Math.max(NONE + 1, Math.min(INT16_MAX, Math.round(v)));
      row[i] = q;
      this.#sum[i]! += q;
      this.#n[i]!++;
    }
    this.#fine.push(t, row);
  }

  /** Closes the coarse period being accumulated: its average per channel, in hundredths. */
  #flush(): void {
    const row = this.#row;
    for (let i = 0; i < this.channels.length; i++) {
      const n = this.#n[i]!;
      row[i] = n === 0 ? NONE : Math.max(NONE + 1, Math.min(INT16_MAX, Math.round((this.#sum[i]! / n) * 100)));
      this.#sum[i] = 0;
      this.#n[i] = 0;
    }
    this.#coarse.push(this.#period! * this.coarseMs, row);
  }

  /**
   * The readings of channel `key` in [from, to] (ms), averaged into buckets
   * of `stepMs` (widened so there are at most MAX_BUCKETS): one point per
   * bucket that holds readings, at the time of its newest sample. The fine
   * tier answers for the time it covers, the coarse tier before that.
   */
  query(key: number, from: number, to: number, stepMs: number): HistoryPoint[] {
    const ch = this.#index.get(key);
    if (ch === undefined || !(to >= from)) return [];
    const step = Math.max(1, stepMs, Math.ceil((to - from + 1) / MAX_BUCKETS));
    const buckets = Math.floor((to - from) / step) + 1;
    const sum = new Float64Array(buckets);
    const n = new Uint32Array(buckets);
    const last = new Float64Array(buckets).fill(-Infinity);
    const add = (t: number, v: number): void => {
      if (t < from || t > to) return;
      const b = Math.floor((t - from) / step);
      sum[b]! += v;
      n[b]!++;
      if (t > last[b]!) last[b] = t;
    };
    const fine = this.#fine;
    const fineStart = fine.count > 0 ? fine.time(0) : Infinity;
    const coarse = this.#coarse;
    for (let k = 0; k < coarse.count; k++) {
      const t = coarse.time(k);
      if (t >= fineStart) continue;
      const v = coarse.value(k, ch);
      if (v !== NONE) add(t, v / 100);
    }
    for (let k = 0; k < fine.count; k++) {
      const v = fine.value(k, ch);
      if (v !== NONE) add(fine.time(k), v);
    }
    const convert = this.channels[ch]!.toValue;
    const out: HistoryPoint[] = [];
    for (let b = 0; b < buckets; b++) if (n[b]! > 0) out.push({ t: last[b]!, v: convert(sum[b]! / n[b]!) });
    return out;
  }
}
