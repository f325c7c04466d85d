// The wire protocol between QEMU's `ipmi-bmc-extern` chardev and an external
// BMC (OpenIPMI's "VM" serial codec), as observed on the socket and written
// down in the qemu-guest tools' PROTOCOL.md (sections 2-4): framing with two
// terminators and an escape byte, IPMI message frames with a sequence number
// and a checksum, and control frames for the interface's hardware operations.
// Pure functions and one streaming decoder; no sockets here.
//
// Framing (PROTOCOL.md section 2):
//   frame   = content* terminator          (no start byte, no length field)
//   0xA0    end of a message frame (an IPMI request or response)
//   0xA1    end of a control frame
//   0xAA    escape: the next byte is a content byte with bit 0x10 set
//           (A0 -> AA B0, A1 -> AA B1, AA -> AA BA)
//
// Message frames (section 3); the checksum makes every content byte,
// seq included, add up to 0 modulo 256, and is computed before escaping:
//   request   seq  netFn<<2|lun  cmd  data...       csum  A0
//   response  seq  netFn<<2|lun  cmd  cc  data...   csum  A0
//
// Control frames (section 4): op [argument]  A1 — no seq, no checksum.
import { checksum8, checksum8Valid, DecodeError, Reader } from '../bytes/index.js';

export const Framing = {
  MessageEnd: 0xa0,
  ControlEnd: 0xa1,
  Escape: 0xaa,
  /** Bit set on an escaped content byte. */
  EscapeBit: 0x10,
} as const;

/**
 * QEMU's limit on one IPMI message (MAX_IPMI_MSG_SIZE: netFn/LUN, cmd, [cc],
 * data). A frame carries at most that plus seq and checksum: QEMU refuses
 * longer requests from the guest and turns a longer response into cc 0xC6.
 */
export const MAX_IPMI_MESSAGE = 300;
export const MAX_FRAME_CONTENT = MAX_IPMI_MESSAGE + 2;
/** Most data bytes a response can carry (message minus netFn, cmd, cc). */
export const MAX_RESPONSE_DATA = MAX_IPMI_MESSAGE - 3;
/** Most data bytes a request can carry (message minus netFn, cmd). */
export const MAX_REQUEST_DATA = MAX_IPMI_MESSAGE - 2;

export const PROTOCOL_VERSION = 1;

/** CAPABILITIES bits QEMU announces (PROTOCOL.md section 4). */
export const Capability = {
  PowerOff: 0x01,
  Reset: 0x02,
  Interrupt: 0x04,
  Nmi: 0x08,
  Attention: 0x10,
  GracefulShutdown: 0x20,
} as const;

/** Names of the control operations, as in PROTOCOL.md section 4. */
export type ControlName =
  | 'version'
  | 'capabilities'
  | 'no-attn'
  | 'attn'
  | 'attn-irq'
  | 'power-off'
  | 'reset'
  | 'enable-irq'
  | 'disable-irq'
  | 'send-nmi'
  | 'graceful-shutdown';

/**
 * The control operation table: code and argument length. 0x04 RESET means a
 * hard reset of the machine from the BMC, and "the interface was reset" from
 * QEMU. There is no power-on or power-cycle operation: when the VM is off
 * its QEMU process does not exist.
 */
export const CONTROL_OPS: Readonly<Record<ControlName, { readonly op: number; readonly args: 0 | 1 }>> = {
  'no-attn': { op: 0x00, args: 0 },
  attn: { op: 0x01, args: 0 },
  'attn-irq': { op: 0x02, args: 0 },
  'power-off': { op: 0x03, args: 0 },
  reset: { op: 0x04, args: 0 },
  'enable-irq': { op: 0x05, args: 0 },
  'disable-irq': { op: 0x06, args: 0 },
  'send-nmi': { op: 0x07, args: 0 },
  capabilities: { op: 0x08, args: 1 },
  'graceful-shutdown': { op: 0x09, args: 0 },
  version: { op: 0xff, args: 1 },
};

const CONTROL_BY_OP = new Map<number, ControlName>(
  (Object.entries(CONTROL_OPS) as [ControlName, { op: number }][]).map(([name, d]) => [d.op, name]),
);

export interface ExternRequest {
  readonly name: 'request';
  readonly seq: number;
  readonly netFn: number;
  readonly lun: number;
  readonly cmd: number;
  readonly data: Uint8Array;
}

export interface ExternResponse {
  readonly name: 'response';
  readonly seq: number;
  /** The response NetFn (odd: request NetFn + 1). */
  readonly netFn: number;
  readonly lun: number;
  readonly cmd: number;
  readonly cc: number;
  readonly data: Uint8Array;
}

export type ExternControl =
  | { readonly name: 'version'; readonly version: number }
  | { readonly name: 'capabilities'; readonly mask: number }
  | { readonly name: Exclude<ControlName, 'version' | 'capabilities'> };

/** What the BMC may ask of the machine through control frames. */
export type HardwareOp = 'power-off' | 'reset' | 'graceful-shutdown' | 'send-nmi';

/** The capability bit QEMU must have announced for each hardware operation. */
export const HARDWARE_OP_CAPABILITY: Readonly<Record<HardwareOp, number>> = {
  'power-off': Capability.PowerOff,
  reset: Capability.Reset,
  'graceful-shutdown': Capability.GracefulShutdown,
  'send-nmi': Capability.Nmi,
};

export type ExternMessage = ExternRequest | ExternResponse | ExternControl;

export type DropReason =
  /** A frame longer than MAX_FRAME_CONTENT (counted to its terminator, never buffered). */
  | 'oversized'
  /** An escape byte followed by a terminator, another escape, or a byte that was not escaped. */
  | 'bad-escape'
  /** The content bytes do not add up to zero. */
  | 'checksum'
  /** Fewer bytes than the smallest message of the expected kind. */
  | 'short'
  /** A control frame with an unknown operation or the wrong number of argument bytes. */
  | 'bad-control'
  /** A terminator with nothing before it. */
  | 'empty';

export interface ExternDrop {
  readonly name: 'dropped';
  readonly reason: DropReason;
  /** Content bytes the dropped frame had (after unescaping). */
  readonly length: number;
}

export type ExternItem = ExternMessage | ExternDrop;

// ---- encoding ---------------------------------------------------------------

/** Escapes content bytes and appends the terminator (PROTOCOL.md section 2). */
export function frame(content: Uint8Array | readonly number[], terminator: number): Buffer {
  let special = 0;
  for (let i = 0; i < content.length; i++) if (isSpecial(content[i]!)) special++;
  const out = Buffer.allocUnsafe(content.length + special + 1);
  let o = 0;
  for (let i = 0; i < content.length; i++) {
    const b = content[i]!;
    if (isSpecial(b)) {
      out[o++] = Framing.Escape;
      out[o++] = b | Framing.EscapeBit;
    } else {
      out[o++] = b;
    }
  }
  out[o] = terminator;
  return out;
}

function isSpecial(b: number): boolean {
  return b === Framing.MessageEnd || b === Framing.ControlEnd || b === Framing.Escape;
}

function withChecksum(head: readonly number[], data: Uint8Array): Uint8Array {
  const c = new Uint8Array(head.length + data.length + 1);
  c.set(head, 0);
  c.set(data, head.length);
  c[c.length - 1] = checksum8(c, 0, c.length - 1);
  return c;
}

/** Request frame: seq netFn<<2|lun cmd data csum A0 (section 3). */
export function encodeRequest(m: Omit<ExternRequest, 'name'>): Buffer {
  if (m.data.length > MAX_REQUEST_DATA) throw new RangeError(`request data too long: ${m.data.length} > ${MAX_REQUEST_DATA}`);
  return frame(withChecksum([m.seq & 0xff, ((m.netFn & 0x3f) << 2) | (m.lun & 3), m.cmd & 0xff], m.data), Framing.MessageEnd);
}

/** Response frame: seq netFn<<2|lun cmd cc data csum A0 (section 3). */
export function encodeResponse(m: Omit<ExternResponse, 'name'>): Buffer {
  if (m.data.length > MAX_RESPONSE_DATA) throw new RangeError(`response data too long: ${m.data.length} > ${MAX_RESPONSE_DATA}`);
  return frame(
    withChecksum([m.seq & 0xff, ((m.netFn & 0x3f) << 2) | (m.lun & 3), m.cmd & 0xff, m.cc & 0xff], m.data),
    Framing.MessageEnd,
  );
}

/** Control frame: op [argument] A1 (section 4). */
export function encodeControl(m: ExternControl): Buffer {
  const { op } = CONTROL_OPS[m.name];
  if (m.name === 'version') return frame([op, m.version & 0xff], Framing.ControlEnd);
  if (m.name === 'capabilities') return frame([op, m.mask & 0xff], Framing.ControlEnd);
  return frame([op], Framing.ControlEnd);
}

// ---- decoding of one unescaped frame -------------------------------------

/** Smallest frames: seq netFn cmd csum, and seq netFn cmd cc csum. */
const MIN_REQUEST = 4;
const MIN_RESPONSE = 5;

/** A request from its unescaped content (seq .. csum); throws DecodeError. */
export function parseRequest(content: Uint8Array): ExternRequest {
  if (content.length < MIN_REQUEST) throw new DecodeError('short', content.length);
  if (!checksum8Valid(content)) throw new DecodeError('invalid', content.length - 1, 'checksum');
  const r = new Reader(content.subarray(0, content.length - 1));
  const seq = r.u8();
  const nl = r.u8();
  const cmd = r.u8();
  return { name: 'request', seq, netFn: nl >> 2, lun: nl & 3, cmd, data: Uint8Array.from(r.rest()) };
}

/** A response from its unescaped content (seq .. csum); throws DecodeError. */
export function parseResponse(content: Uint8Array): ExternResponse {
  if (content.length < MIN_RESPONSE) throw new DecodeError('short', content.length);
  if (!checksum8Valid(content)) throw new DecodeError('invalid', content.length - 1, 'checksum');
  const r = new Reader(content.subarray(0, content.length - 1));
  const seq = r.u8();
  const nl = r.u8();
  const cmd = r.u8();
  const cc = r.u8();
  return { name: 'response', seq, netFn: nl >> 2, lun: nl & 3, cmd, cc, data: Uint8Array.from(r.rest()) };
}

/** A control operation from its unescaped content; throws DecodeError. */
export function parseControl(content: Uint8Array): ExternControl {
  const r = new Reader(content);
  const name = CONTROL_BY_OP.get(r.u8());
  if (name === undefined) throw new DecodeError('invalid', 0, 'unknown control operation');
  let out: ExternControl;
  if (name === 'version') out = { name, version: r.u8() };
  else if (name === 'capabilities') out = { name, mask: r.u8() };
  else out = { name };
  r.end();
  return out;
}

// ---- the streaming decoder ----------------------------------------------------

/**
 * Which side's frames are being read: the BMC reads requests from QEMU,
 * a QEMU stand-in (tests, the relay) reads responses from the BMC.
 */
export type ExternDirection = 'requests' | 'responses';

/**
 * Collects frames from a byte stream cut anywhere (TCP keeps no frame
 * boundaries; several frames often arrive in one read). A bad frame is
 * dropped and counted and the decoder starts again after its terminator,
 * which is how it resynchronises after garbage. Memory is bounded: bytes
 * past MAX_FRAME_CONTENT are counted, not kept.
 */
export class ExternDecoder {
  readonly #direction: ExternDirection;
  readonly #buf = new Uint8Array(MAX_FRAME_CONTENT);
  #len = 0;
  /** Content bytes of the current frame, kept or not. */
  #total = 0;
  #escape = false;
  #badEscape = false;
  readonly stats: Record<DropReason, number> = { oversized: 0, 'bad-escape': 0, checksum: 0, short: 0, 'bad-control': 0, empty: 0 };

  constructor(direction: ExternDirection) {
    this.#direction = direction;
  }

  /** True when bytes of an unfinished frame are held. */
  get pending(): boolean {
    return this.#total > 0 || this.#escape;
  }

  /** Feeds bytes; returns the frames they completed, in order. */
  push(chunk: Uint8Array): ExternItem[] {
    const out: ExternItem[] = [];
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i]!;
      if (b === Framing.MessageEnd || b === Framing.ControlEnd) {
        out.push(this.#finish(b));
        continue;
      }
      let v = b;
      if (b === Framing.Escape) {
        if (this.#escape) this.#badEscape = true;
        this.#escape = true;
        continue;
      }
      if (this.#escape) {
        this.#escape = false;
        // only the three special bytes are ever escaped: B0, B1, BA are the valid escaped forms
        if (!isSpecial(b & ~Framing.EscapeBit)) this.#badEscape = true;
        v = b & ~Framing.EscapeBit;
      }
      if (this.#len < MAX_FRAME_CONTENT) this.#buf[this.#len++] = v;
      this.#total++;
    }
    return out;
  }

  #finish(terminator: number): ExternItem {
    const length = this.#total;
    const badEscape = this.#badEscape || this.#escape;
    const content = this.#buf.slice(0, this.#len);
    this.#len = this.#total = 0;
    this.#escape = this.#badEscape = false;
    let reason: DropReason;
    if (badEscape) reason = 'bad-escape';
    else if (length > MAX_FRAME_CONTENT) reason = 'oversized';
    else if (length === 0) reason = 'empty';
    else if (terminator === Framing.ControlEnd) {
      try {
        return parseControl(content);
      } catch (err) {
        if (!(err instanceof DecodeError)) throw err;
        reason = 'bad-control';
      }
    } else if (length < (this.#direction === 'requests' ? MIN_REQUEST : MIN_RESPONSE)) reason = 'short';
    else if (!checksum8Valid(content)) reason = 'checksum';
    else return this.#direction === 'requests' ? parseRequest(content) : parseResponse(content);
    this.stats[reason]++;
    return { name: 'dropped', reason, length };
  }
}
