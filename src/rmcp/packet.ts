// LAN packet codecs (IPMI v2.0 section 13): the RMCP header (13.1.3), ASF
// presence ping/pong (13.2.3), the IPMI v1.5 session header (13.6, table
// 13-4) and the IPMI v2.0 / RMCP+ session header and trailer (13.6, table
// 13-8). Decoders take one datagram and return views into it; every short or
// malformed datagram throws DecodeError, which the endpoint counts and drops.
import { DecodeError, Reader } from '../bytes/index.js';
import { AuthType } from '../ipmi/constants.js';

export const RMCP_VERSION = 0x06;
/** RMCP sequence number meaning "no RMCP ACK" (13.1.3). */
export const RMCP_NO_ACK = 0xff;
export const RmcpClass = { Asf: 0x06, Ipmi: 0x07 } as const;
export const ASF_IANA = 0x000011be;
export const AsfType = { Pong: 0x40, Ping: 0x80 } as const;

/** Largest datagram accepted; IPMI messages are far smaller. */
export const MAX_DATAGRAM = 1024;

export type LanPacket = AsfPacket | V15Packet | V20Packet;

/** ASF message (13.2.3): [IANA 4 BE][type][tag][reserved][data length][data]. */
export interface AsfPacket {
  readonly kind: 'asf';
  readonly rmcpSeq: number;
  readonly iana: number;
  readonly type: number;
  readonly tag: number;
}

/**
 * IPMI v1.5 session (table 13-4):
 * [auth type][session seq 4 LE][session id 4 LE][auth code 16, absent for type none][msg length][message][legacy pad]
 */
export interface V15Packet {
  readonly kind: 'v15';
  readonly authType: number;
  readonly seq: number;
  readonly sessionId: number;
  readonly authCode: Uint8Array | undefined;
  readonly message: Uint8Array;
}

/**
 * IPMI v2.0 / RMCP+ session (table 13-8):
 * [auth type 06][payload type: bit7 encrypted, bit6 authenticated, 5:0 type]
 * [OEM IANA 4 + OEM payload id 2, only for type 02][session id 4 LE][session seq 4 LE]
 * [payload length 2 LE][payload][trailer: integrity pad, pad length, next header 07, auth code]
 */
export interface V20Packet {
  readonly kind: 'v20';
  readonly encrypted: boolean;
  readonly authenticated: boolean;
  readonly payloadType: number;
  readonly sessionId: number;
  readonly seq: number;
  readonly payload: Uint8Array;
  /** The bytes after the payload (empty unless authenticated). */
  readonly trailer: Uint8Array;
  /** Offset of the auth type byte: where the integrity coverage starts. */
  readonly sessionStart: number;
}

/** Decodes one datagram. Throws DecodeError on anything malformed. */
export function decodePacket(buf: Uint8Array): LanPacket {
  if (buf.length > MAX_DATAGRAM) throw new DecodeError('invalid', MAX_DATAGRAM, 'oversized');
  const r = new Reader(buf);
  if (r.u8() !== RMCP_VERSION) throw new DecodeError('invalid', 0, 'RMCP version');
  r.u8();
  const rmcpSeq = r.u8();
  const cls = r.u8();
  if (cls === RmcpClass.Asf) {
    const iana = r.u32be();
    const type = r.u8();
    const tag = r.u8();
    r.u8();
    const len = r.u8();
    r.skip(len);
    return { kind: 'asf', rmcpSeq, iana, type, tag };
  }
  if (cls !== RmcpClass.Ipmi) throw new DecodeError('invalid', 3, 'RMCP class');
  const sessionStart = r.offset;
  const authType = r.u8();
  if (authType === AuthType.RmcpPlus) {
    const pt = r.u8();
    const payloadType = pt & 0x3f;
    if (payloadType === 0x02) r.skip(6);
    const sessionId = r.u32le();
    const seq = r.u32le();
    const len = r.u16le();
    const payload = r.bytes(len);
    return {
      kind: 'v20',
      encrypted: (pt & 0x80) !== 0,
      authenticated: (pt & 0x40) !== 0,
      payloadType,
      sessionId,
      seq,
      payload,
      trailer: r.rest(),
      sessionStart,
    };
  }
  if (authType > AuthType.Oem || authType === 0x03) throw new DecodeError('invalid', sessionStart, 'auth type');
  const seq = r.u32le();
  const sessionId = r.u32le();
  const authCode = authType === AuthType.None ? undefined : r.bytes(16);
  const len = r.u8();
  const message = r.bytes(len);
  if (r.remaining > 1) throw new DecodeError('trailing', r.offset);
  return { kind: 'v15', authType, seq, sessionId, authCode, message };
}

/** Writes the RMCP header for class IPMI, no ACK. */
function rmcpHeader(out: Uint8Array, cls: number): void {
  out[0] = RMCP_VERSION;
  out[1] = 0;
  out[2] = RMCP_NO_ACK;
  out[3] = cls;
}

/** ASF presence pong (13.2.4): IANA 4542, OEM 0, entities 81h (IPMI supported, ASF 1.0), interactions 0. */
export function encodeAsfPong(tag: number): Buffer {
  const out = Buffer.alloc(28);
  rmcpHeader(out, RmcpClass.Asf);
  out.writeUInt32BE(ASF_IANA, 4);
  out[8] = AsfType.Pong;
  out[9] = tag;
  out[10] = 0;
  out[11] = 16;
  out.writeUInt32BE(ASF_IANA, 12);
  out.writeUInt32BE(0, 16);
  out[20] = 0x81;
  out[21] = 0x00;
  return out;
}

/** An IPMI v1.5 session packet; authCode is 16 bytes or absent for auth type none. */
export function encodeV15(p: {
  authType: number;
  seq: number;
  sessionId: number;
  authCode?: Uint8Array;
  message: Uint8Array;
}): Buffer {
  const codeLen = p.authType === AuthType.None ? 0 : 16;
  const out = Buffer.alloc(4 + 10 + codeLen + p.message.length);
  rmcpHeader(out, RmcpClass.Ipmi);
  out[4] = p.authType;
  out.writeUInt32LE(p.seq >>> 0, 5);
  out.writeUInt32LE(p.sessionId >>> 0, 9);
  if (codeLen) out.set(p.authCode ?? new Uint8Array(16), 13);
  out[13 + codeLen] = p.message.length;
  out.set(p.message, 14 + codeLen);
  return out;
}

/**
 * An IPMI v2.0 packet. With macLength > 0 the trailer is laid out (pad to a
 * multiple of 4 over auth type..next header, pad length, next header 07) and
 * `sign` fills the auth code over [4, length - macLength).
 */
export function encodeV20(p: {
  encrypted: boolean;
  payloadType: number;
  sessionId: number;
  seq: number;
  payload: Uint8Array;
  macLength: number;
  sign?: (packet: Buffer, start: number, end: number) => Uint8Array;
}): Buffer {
  const headerLen = 4 + 12;
  const bodyEnd = headerLen + p.payload.length;
  let padLen = 0;
  let total = bodyEnd;
  if (p.macLength > 0) {
    padLen = (4 - ((bodyEnd - 4 + 2) % 4)) % 4;
    total = bodyEnd + padLen + 2 + p.macLength;
  }
  const out = Buffer.alloc(total);
  rmcpHeader(out, RmcpClass.Ipmi);
  out[4] = AuthType.RmcpPlus;
  out[5] = (p.encrypted ? 0x80 : 0) | (p.macLength > 0 ? 0x40 : 0) | (p.payloadType & 0x3f);
  out.writeUInt32LE(p.sessionId >>> 0, 6);
  out.writeUInt32LE(p.seq >>> 0, 10);
  out.writeUInt16LE(p.payload.length, 14);
  out.set(p.payload, headerLen);
  if (p.macLength > 0) {
    out.fill(0xff, bodyEnd, bodyEnd + padLen);
    out[bodyEnd + padLen] = padLen;
    out[bodyEnd + padLen + 1] = 0x07;
    const macAt = total - p.macLength;
    if (p.sign) out.set(p.sign(out, 4, macAt), macAt);
  }
  return out;
}

/**
 * Splits the trailer of an authenticated v2.0 packet once the session's MAC
 * length is known; undefined if the layout is wrong (13.28.4).
 */
export function splitTrailer(
  packet: Uint8Array,
  p: V20Packet,
  macLength: number,
): { authCode: Uint8Array; coveredEnd: number } | undefined {
  const t = p.trailer;
  if (t.length < 2 + macLength) return undefined;
  const padLen = t[t.length - macLength - 2]!;
  if (padLen > 3 || t.length !== padLen + 2 + macLength) return undefined;
  if (t[t.length - macLength - 1] !== 0x07) return undefined;
  const coveredEnd = packet.length - macLength;
  if ((coveredEnd - p.sessionStart) % 4 !== 0) return undefined;
  return { authCode: t.subarray(t.length - macLength), coveredEnd };
}
