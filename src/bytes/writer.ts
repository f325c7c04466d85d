// Growable byte writer; the counterpart of Reader. Values are masked to their
// width so a caller bug cannot spill into the next field.

export class Writer {
  #buf: Uint8Array;
  #len = 0;

  constructor(initial = 64) {
    this.#buf = new Uint8Array(initial);
  }

  get length(): number {
    return this.#len;
  }

  #grow(n: number): number {
    if (this.#len + n > this.#buf.length) {
      const next = new Uint8Array(Math.max(this.#buf.length * 2, this.#len + n));
      next.set(this.#buf.subarray(0, this.#len));
      this.#buf = next;
    }
    const at = this.#len;
    this.#len += n;
    return at;
  }

  u8(v: number): this {
    this.#buf[this.#grow(1)] = v & 0xff;
    return this;
  }

  u16le(v: number): this {
    const at = this.#grow(2);
    this.#buf[at] = v & 0xff;
    this.#buf[at + 1] = (v >>> 8) & 0xff;
    return this;
  }

  u16be(v: number): this {
    const at = this.#grow(2);
    this.#buf[at] = (v >>> 8) & 0xff;
    this.#buf[at + 1] = v & 0xff;
    return this;
  }

  u24le(v: number): this {
    const at = this.#grow(3);
    this.#buf[at] = v & 0xff;
    this.#buf[at + 1] = (v >>> 8) & 0xff;
    this.#buf[at + 2] = (v >>> 16) & 0xff;
    return this;
  }

  u32le(v: number): this {
    const at = this.#grow(4);
    this.#buf[at] = v & 0xff;
    this.#buf[at + 1] = (v >>> 8) & 0xff;
    this.#buf[at + 2] = (v >>> 16) & 0xff;
    this.#buf[at + 3] = (v >>> 24) & 0xff;
    return this;
  }

  u32be(v: number): this {
    const at = this.#grow(4);
    this.#buf[at] = (v >>> 24) & 0xff;
    this.#buf[at + 1] = (v >>> 16) & 0xff;
    this.#buf[at + 2] = (v >>> 8) & 0xff;
    this.#buf[at + 3] = v & 0xff;
    return this;
  }

  bytes(b: Uint8Array | readonly number[]): this {
    const at = this.#grow(b.length);
    this.#buf.set(b, at);
    return this;
  }

  /** n zero bytes. */
  zeros(n: number): this {
    this.#grow(n);
    return this;
  }

  /** Overwrites one byte already written (lengths, checksums). */
  setU8(at: number, v: number): this {
    if (at < 0 || at >= this.#len) throw new RangeError(`setU8 at ${at} outside ${this.#len}`);
    this.#buf[at] = v & 0xff;
    return this;
  }

  finish(): Buffer {
    return Buffer.from(this.#buf.buffer, this.#buf.byteOffset, this.#len);
  }
}
