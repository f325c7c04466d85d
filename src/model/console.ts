// Console history of one host: a bounded ring of the bytes the host wrote to
// its serial console, shared by every reader (SOL, the web console, the
// console log). Offsets count every byte ever appended, so a reader that fell
// behind learns how much it lost and resumes exactly where it left off.
// Pure: no timers, no I/O.

export const DEFAULT_CONSOLE_CAPACITY = 64 * 1024;
/** Web console (/ws/console) readers open at once on one host. */
export const MAX_WEB_CONSOLES_PER_HOST = 4;
/** Serial-over-LAN instances per host (IPMI: one, payload instance 1). */
export const SOL_INSTANCES_PER_HOST = 1;

/** What a reader gets back from `since()`. */
export interface ConsoleChunk {
  /** The retained bytes from the asked offset (or the oldest kept) to the end. */
  readonly data: Uint8Array;
  /** Offset of data[0]. */
  readonly offset: number;
  /** Bytes the reader asked for that the ring no longer holds. */
  readonly lost: number;
  /** Offset to pass to the next `since()`: the end of the history. */
  readonly next: number;
}

/** Called with each appended chunk (a copy) and the offset of its first byte. */
export type ConsoleListener = (data: Uint8Array, offset: number) => void;

const encoder = new TextEncoder();

export class ConsoleBuffer {
  readonly capacity: number;
  readonly #ring: Uint8Array;
  /** Offset one past the last byte ever appended. */
  #end = 0;
  /** One entry per subscription, so the same function may subscribe twice. */
  #listeners: { fn: ConsoleListener }[] = [];
  /** Chunks waiting to be announced; keeps order when a listener appends. */
  #pending: { data: Uint8Array; offset: number }[] = [];
  #draining = false;

  constructor(opts: { capacity?: number } = {}) {
    const capacity = opts.capacity ?? DEFAULT_CONSOLE_CAPACITY;
    if (!Number.isSafeInteger(capacity) || capacity <= 0) throw new RangeError(`console capacity must be a positive integer, got ${capacity}`);
    this.capacity = capacity;
    this.#ring = new Uint8Array(capacity);
  }

  /** Offset of the oldest byte still held. */
  get start(): number {
    return Math.max(0, this.#end - this.capacity);
  }

  /** Offset one past the newest byte: the total number of bytes ever appended. */
  get end(): number {
    return this.#end;
  }

  /** Bytes held now. */
  get size(): number {
    return this.#end - this.start;
  }

  /** Adds output (strings are UTF-8 encoded) and tells every subscriber. */
  append(data: Uint8Array | string): void {
    const bytes = typeof data === 'string' ? encoder.encode(data) : data;
    if (bytes.length === 0) return;
    const offset = this.#end;
    // Only the last `capacity` bytes can survive; write those at their ring positions.
    const tail = bytes.length > this.capacity ? bytes.subarray(bytes.length - this.capacity) : bytes;
    const pos = (offset + bytes.length - tail.length) % this.capacity;
    const first = Math.min(tail.length, this.capacity - pos);
    this.#ring.set(tail.subarray(0, first), pos);
    if (first < tail.length) this.#ring.set(tail.subarray(first), 0);
    this.#end += bytes.length;
    this.#pending.push({ data: bytes.slice(), offset });
    this.#drain();
  }

  /** Everything still held, oldest first (a copy). */
  history(): Uint8Array {
    return this.#copy(this.start, this.#end);
  }

  /**
   * The bytes from `offset` on. An offset older than the ring yields what is
   * left and how much was lost; one beyond the end yields nothing.
   */
  since(offset: number): ConsoleChunk {
    const start = this.start;
    const from = Number.isFinite(offset) ? Math.min(Math.max(Math.floor(offset), start), this.#end) : start;
    const lost = Number.isFinite(offset) ? Math.max(0, start - Math.floor(offset)) : 0;
    return { data: this.#copy(from, this.#end), offset: from, lost, next: this.#end };
  }

  /**
   * Calls `fn` with every chunk appended from now on, in order. Returns the
   * unsubscribe function. A listener that throws does not stop the others;
   * the first error is rethrown to the appender once all were told.
   */
  subscribe(fn: ConsoleListener): () => void {
    const entry = { fn };
    this.#listeners.push(entry);
    return () => {
      this.#listeners = this.#listeners.filter((e) => e !== entry);
    };
  }

  /** Number of current subscriptions. */
  get readers(): number {
    return this.#listeners.length;
  }

  #copy(from: number, to: number): Uint8Array {
    const out = new Uint8Array(to - from);
    if (out.length === 0) return out;
    const pos = from % this.capacity;
    const first = Math.min(out.length, this.capacity - pos);
    out.set(this.#ring.subarray(pos, pos + first), 0);
    if (first < out.length) out.set(this.#ring.subarray(0, out.length - first), first);
    return out;
  }

  #drain(): void {
    if (this.#draining) return;
    this.#draining = true;
    let failure: { error: unknown } | undefined;
    try {
      for (let chunk = this.#pending.shift(); chunk; chunk = this.#pending.shift()) {
        for (const { fn } of this.#listeners.slice()) {
          try {
            fn(chunk.data, chunk.offset);
          } catch (error) {
            failure ??= { error };
          }
        }
      }
    } finally {
      this.#draining = false;
    }
    if (failure) throw failure.error;
  }
}
