// Bounds-checked reader over one message's bytes. Method names carry the byte
// order. Every short read throws one typed DecodeError, which the protocol
// boundary maps to its own error (IPMI completion code 0xC7, a dropped packet).

export class DecodeError extends Error {
  override readonly name = 'DecodeError';
  constructor(
    readonly reason: 'short' | 'trailing' | 'invalid',
    readonly offset: number,
    detail?: string,
  ) {
    super(`decode error: ${reason} at offset ${offset}${detail ? `: ${detail}` : ''}`);
  }
}

export class Reader {
  readonly #buf: Uint8Array;
  #pos = 0;

  constructor(buf: Uint8Array) {
    this.#buf = buf;
  }

  get offset(): number {
    return this.#pos;
  }

  get remaining(): number {
    return this.#buf.length - this.#pos;
  }

  #need(n: number): number {
    if (n < 0 || this.#pos + n > this.#buf.length) throw new DecodeError('short', this.#pos);
    const at = this.#pos;
    this.#pos += n;
    return at;
  }

  u8(): number {
    return this.#buf[this.#need(1)]!;
  }

  i8(): number {
    const v = this.u8();
    return v & 0x80 ? v - 0x100 : v;
  }

  u16le(): number {
    const at = this.#need(2);
    return this.#buf[at]! | (this.#buf[at + 1]! << 8);
  }

  u16be(): number {
    const at = this.#need(2);
    return (this.#buf[at]! << 8) | this.#buf[at + 1]!;
  }

  u24le(): number {
    const at = this.#need(3);
    return this.#buf[at]! | (this.#buf[at + 1]! << 8) | (this.#buf[at + 2]! << 16);
  }

  u32le(): number {
    const at = this.#need(4);
    return (
      (this.#buf[at]! | (this.#buf[at + 1]! << 8) | (this.#buf[at + 2]! << 16) | (this.#buf[at + 3]! << 24)) >>> 0
    );
  }

  u32be(): number {
    const at = this.#need(4);
    return (
      ((this.#buf[at]! << 24) | (this.#buf[at + 1]! << 16) | (this.#buf[at + 2]! << 8) | this.#buf[at + 3]!) >>> 0
    );
  }

  /** A copy-free view of the next n bytes. */
  bytes(n: number): Uint8Array {
    const at = this.#need(n);
    return this.#buf.subarray(at, at + n);
  }

  /** Optional trailing byte: undefined when the message ends here. */
  optU8(): number | undefined {
    return this.remaining > 0 ? this.u8() : undefined;
  }

  rest(): Uint8Array {
    return this.bytes(this.remaining);
  }

  skip(n: number): void {
    this.#need(n);
  }

  /** Asserts the message has been consumed whole (trailing bytes are a length error). */
  end(): void {
    if (this.#pos !== this.#buf.length) throw new DecodeError('trailing', this.#pos);
  }
}
