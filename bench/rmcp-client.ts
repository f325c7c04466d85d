// The console (client) side of RMCP+ for the load generator (IPMI v2.0
// sections 13.17-13.23 session setup, 13.28-13.32 keys, integrity and
// confidentiality, 13.8 IPMI messages on LAN). The BMC-side codecs in
// src/rmcp/rakp.ts decode what a console sends; these are their mirror images:
// encode the requests, decode the BMC's answers. Algorithms, packet framing
// and the LAN message framing come from src/rmcp/ unchanged. Serial over LAN
// (section 15, payload type 1; Activate/Deactivate Payload, 24.1-24.2): the
// console's packet codec and a stop-and-wait SOL endpoint (SolClient) as
// ipmitool and ipmiconsole run one. Pure: no sockets, no clocks of its own.
import { randomBytes } from 'node:crypto';
import { checksum8Valid, DecodeError, Reader, Writer } from '../src/bytes/index.js';
import {
  additionalKey,
  aesCbcDecrypt,
  aesCbcEncrypt,
  AUTH_ALGOS,
  CIPHER_SUITES,
  CONFIDENTIALITY_ALGOS,
  integrityMac,
  INTEGRITY_ALGOS,
  IvPool,
  rakp2AuthCode,
  rakp3AuthCode,
  rakp4Icv,
  safeEqual,
  sessionIntegrityKey,
  type AuthAlgo,
  type ConfidentialityAlgo,
  type IntegrityAlgo,
  type RakpInputs,
} from '../src/rmcp/algorithms.js';
import { encodeLanRequest } from '../src/rmcp/ipmi-message.js';
import { decodePacket, encodeV20, splitTrailer } from '../src/rmcp/packet.js';

export const PayloadType = { Ipmi: 0x00, Sol: 0x01, OpenSessionRequest: 0x10, OpenSessionResponse: 0x11, Rakp1: 0x12, Rakp2: 0x13, Rakp3: 0x14, Rakp4: 0x15 } as const;

/** The algorithms of a cipher suite, resolved from the project's tables. */
export interface SuiteAlgos {
  readonly id: number;
  readonly auth: AuthAlgo;
  readonly integrity: IntegrityAlgo;
  readonly confidentiality: ConfidentialityAlgo;
}

export function suiteAlgos(id: number): SuiteAlgos {
  const s = CIPHER_SUITES.get(id);
  const auth = s && AUTH_ALGOS.get(s.auth);
  const integrity = s && INTEGRITY_ALGOS.get(s.integrity);
  const confidentiality = s && CONFIDENTIALITY_ALGOS.get(s.confidentiality);
  if (!s || !auth || !integrity || !confidentiality) throw new RangeError(`cipher suite ${id} is not implemented`);
  return { id, auth, integrity, confidentiality };
}

/** An RMCP+ packet outside a session (session id 0, sequence 0, no trailer). */
export function setupPacket(payloadType: number, payload: Uint8Array): Buffer {
  return encodeV20({ encrypted: false, payloadType, sessionId: 0, seq: 0, payload, macLength: 0 });
}

/** The payload of an unauthenticated session-setup answer, or undefined if `datagram` is something else. */
export function setupPayload(datagram: Uint8Array, payloadType: number): Uint8Array | undefined {
  try {
    const p = decodePacket(datagram);
    if (p.kind !== 'v20' || p.payloadType !== payloadType || p.sessionId !== 0) return undefined;
    return p.payload;
  } catch (err) {
    if (err instanceof DecodeError) return undefined;
    throw err;
  }
}

/**
 * Open Session Request (13.17):
 * [tag][max privilege][reserved 2][console session id 4 LE][auth payload 8][integrity payload 8][confidentiality payload 8]
 */
export function encodeOpenSessionRequest(p: { tag: number; maxPrivilege: number; consoleSessionId: number; suite: SuiteAlgos }): Buffer {
  const w = new Writer(32).u8(p.tag).u8(p.maxPrivilege & 0x0f).u16le(0).u32le(p.consoleSessionId);
  const algs = [p.suite.auth.id, p.suite.integrity.id, p.suite.confidentiality.id];
  algs.forEach((alg, type) => w.u8(type).u16le(0).u8(8).u8(alg).zeros(3));
  return w.finish();
}

export interface OpenSessionResponse {
  readonly tag: number;
  readonly status: number;
  readonly maxPrivilege: number;
  readonly consoleSessionId: number;
  /** Present when status is 0. */
  readonly bmcSessionId?: number;
  readonly auth?: number;
  readonly integrity?: number;
  readonly confidentiality?: number;
}

/** Open Session Response (13.18); an error response ends after the console session id. */
export function decodeOpenSessionResponse(payload: Uint8Array): OpenSessionResponse {
  const r = new Reader(payload);
  const tag = r.u8();
  const status = r.u8();
  const maxPrivilege = r.u8() & 0x0f;
  r.skip(1);
  const consoleSessionId = r.u32le();
  if (status !== 0) return { tag, status, maxPrivilege, consoleSessionId };
  const bmcSessionId = r.u32le();
  const alg = (type: number): number => {
    const at = r.offset;
    if (r.u8() !== type) throw new DecodeError('invalid', at, 'algorithm payload type');
    r.skip(2);
    if (r.u8() !== 8) throw new DecodeError('invalid', at + 3, 'algorithm payload length');
    const a = r.u8() & 0x3f;
    r.skip(3);
    return a;
  };
  const auth = alg(0);
  const integrity = alg(1);
  const confidentiality = alg(2);
  r.end();
  return { tag, status, maxPrivilege, consoleSessionId, bmcSessionId, auth, integrity, confidentiality };
}

/** RAKP Message 1 (13.20): [tag][reserved 3][BMC session id 4][console random 16][role][reserved 2][name length][name]. */
export function encodeRakp1(p: { tag: number; bmcSessionId: number; consoleRandom: Uint8Array; role: number; userName: Uint8Array }): Buffer {
  if (p.consoleRandom.length !== 16) throw new RangeError('console random must be 16 bytes');
  if (p.userName.length > 16) throw new RangeError('user name longer than 16 bytes');
  return new Writer(44)
    .u8(p.tag)
    .zeros(3)
    .u32le(p.bmcSessionId)
    .bytes(p.consoleRandom)
    .u8(p.role)
    .u16le(0)
    .u8(p.userName.length)
    .bytes(p.userName)
    .finish();
}

export interface Rakp2 {
  readonly tag: number;
  readonly status: number;
  readonly consoleSessionId: number;
  readonly bmcRandom?: Uint8Array;
  readonly bmcGuid?: Uint8Array;
  readonly authCode?: Uint8Array;
}

/** RAKP Message 2 (13.21): [tag][status][reserved 2][console session id 4][BMC random 16][BMC GUID 16][auth code]. */
export function decodeRakp2(payload: Uint8Array): Rakp2 {
  const r = new Reader(payload);
  const tag = r.u8();
  const status = r.u8();
  r.skip(2);
  const consoleSessionId = r.u32le();
  if (status !== 0) return { tag, status, consoleSessionId };
  const bmcRandom = r.bytes(16);
  const bmcGuid = r.bytes(16);
  const authCode = r.rest();
  return { tag, status, consoleSessionId, bmcRandom, bmcGuid, authCode };
}

/** RAKP Message 3 (13.22): [tag][status][reserved 2][BMC session id 4][auth code]. */
export function encodeRakp3(p: { tag: number; status: number; bmcSessionId: number; authCode: Uint8Array }): Buffer {
  return new Writer(40).u8(p.tag).u8(p.status).u16le(0).u32le(p.bmcSessionId).bytes(p.authCode).finish();
}

export interface Rakp4 {
  readonly tag: number;
  readonly status: number;
  readonly consoleSessionId: number;
  readonly icv: Uint8Array;
}

/** RAKP Message 4 (13.23): [tag][status][reserved 2][console session id 4][integrity check value]. */
export function decodeRakp4(payload: Uint8Array): Rakp4 {
  const r = new Reader(payload);
  const tag = r.u8();
  const status = r.u8();
  r.skip(2);
  const consoleSessionId = r.u32le();
  return { tag, status, consoleSessionId, icv: r.rest() };
}

/** K_uid: the password, zero-padded to 20 bytes (13.31). */
export function passwordKey(password: string): Buffer {
  const key = Buffer.alloc(20);
  key.set(Buffer.from(password, 'latin1').subarray(0, 20));
  return key;
}

/** Why a session setup step failed. */
export class SetupError extends Error {
  override readonly name = 'SetupError';
  constructor(
    readonly stage: 'open' | 'rakp2' | 'rakp4',
    readonly status: number,
    detail: string,
  ) {
    super(`${stage}: ${detail} (status 0x${status.toString(16).padStart(2, '0')})`);
  }
}

/**
 * The console side of one session handshake, as a sequence of pure steps:
 * open() → request bytes; onOpenResponse(payload) → RAKP 1 bytes;
 * onRakp2(payload) → RAKP 3 bytes; onRakp4(payload) → the established session.
 */
export class Handshake {
  readonly suite: SuiteAlgos;
  readonly consoleSessionId: number;
  readonly #userName: Uint8Array;
  readonly #kuid: Buffer;
  readonly #role: number;
  readonly #maxPrivilege: number;
  readonly #tag: number;
  readonly #consoleRandom: Buffer;
  #bmcSessionId = 0;
  #inputs: RakpInputs | undefined;

  constructor(opts: { suite: number; user: string; password: string; privilege?: number; consoleSessionId?: number; tag?: number }) {
    this.suite = suiteAlgos(opts.suite);
    this.consoleSessionId = opts.consoleSessionId ?? (randomBytes(4).readUInt32LE(0) | 1) >>> 0;
    this.#userName = Buffer.from(opts.user, 'latin1');
    this.#kuid = passwordKey(opts.password);
    const priv = opts.privilege ?? 4;
    // Name-only lookup (bit 4), as ipmitool sends it.
    this.#role = 0x10 | priv;
    this.#maxPrivilege = priv;
    this.#tag = opts.tag ?? 0;
    this.#consoleRandom = randomBytes(16);
  }

  get tag(): number {
    return this.#tag;
  }

  open(): Buffer {
    return setupPacket(
      PayloadType.OpenSessionRequest,
      encodeOpenSessionRequest({ tag: this.#tag, maxPrivilege: this.#maxPrivilege, consoleSessionId: this.consoleSessionId, suite: this.suite }),
    );
  }

  onOpenResponse(payload: Uint8Array): Buffer {
    const r = decodeOpenSessionResponse(payload);
    if (r.status !== 0 || r.bmcSessionId === undefined) throw new SetupError('open', r.status, 'Open Session refused');
    if (r.consoleSessionId !== this.consoleSessionId) throw new SetupError('open', 0xff, 'console session id mismatch');
    if (r.auth !== this.suite.auth.id || r.integrity !== this.suite.integrity.id || r.confidentiality !== this.suite.confidentiality.id) {
      throw new SetupError('open', 0xff, 'BMC chose other algorithms');
    }
    this.#bmcSessionId = r.bmcSessionId;
    return setupPacket(
      PayloadType.Rakp1,
      encodeRakp1({ tag: this.#tag, bmcSessionId: r.bmcSessionId, consoleRandom: this.#consoleRandom, role: this.#role, userName: this.#userName }),
    );
  }

  onRakp2(payload: Uint8Array): Buffer {
    const r = decodeRakp2(payload);
    if (r.status !== 0 || !r.bmcRandom || !r.bmcGuid || !r.authCode) throw new SetupError('rakp2', r.status, 'RAKP 2 refused');
    const inputs: RakpInputs = {
      consoleSessionId: this.consoleSessionId,
      bmcSessionId: this.#bmcSessionId,
      consoleRandom: this.#consoleRandom,
      bmcRandom: Uint8Array.from(r.bmcRandom),
      bmcGuid: Uint8Array.from(r.bmcGuid),
      role: this.#role,
      userName: this.#userName,
    };
    // A console checks that the BMC knows the password before it proves it does.
    if (!safeEqual(rakp2AuthCode(this.suite.auth, this.#kuid, inputs), r.authCode)) {
      throw new SetupError('rakp2', 0xff, 'RAKP 2 auth code does not match (wrong password?)');
    }
    this.#inputs = inputs;
    const authCode = rakp3AuthCode(this.suite.auth, this.#kuid, inputs);
    return setupPacket(PayloadType.Rakp3, encodeRakp3({ tag: this.#tag, status: 0, bmcSessionId: this.#bmcSessionId, authCode }));
  }

  onRakp4(payload: Uint8Array): ClientSession {
    const r = decodeRakp4(payload);
    const inputs = this.#inputs;
    if (!inputs) throw new SetupError('rakp4', 0xff, 'RAKP 4 before RAKP 2');
    if (r.status !== 0) throw new SetupError('rakp4', r.status, 'RAKP 4 refused');
    const auth = this.suite.auth;
    const sik = sessionIntegrityKey(auth, this.#kuid, inputs);
    if (!safeEqual(rakp4Icv(auth, sik, inputs), r.icv)) throw new SetupError('rakp4', 0xff, 'RAKP 4 ICV does not match');
    const session = new ClientSession({
      suite: this.suite,
      bmcSessionId: this.#bmcSessionId,
      consoleSessionId: this.consoleSessionId,
      k1: additionalKey(auth, sik, 0x01),
      k2: additionalKey(auth, sik, 0x02),
    });
    sik.fill(0);
    return session;
  }
}

/** An IPMI response as a console reads it (13.8, table 13-17). */
export interface LanResponse {
  readonly netFn: number;
  readonly rqSeq: number;
  readonly cmd: number;
  readonly cc: number;
  readonly data: Uint8Array;
}

/** Decodes [rqAddr][netFn|rqLUN][chk1][rsAddr][rqSeq|rsLUN][cmd][cc][data][chk2]; undefined if short or a checksum is wrong. */
export function decodeLanResponse(msg: Uint8Array): LanResponse | undefined {
  if (msg.length < 8 || !checksum8Valid(msg, 0, 3) || !checksum8Valid(msg, 3, msg.length)) return undefined;
  return { netFn: msg[1]! >> 2, rqSeq: msg[4]! >> 2, cmd: msg[5]!, cc: msg[6]!, data: msg.subarray(7, msg.length - 1) };
}

/** One payload of a session datagram, checked and decrypted. */
export interface SessionPayload {
  readonly payloadType: number;
  readonly encrypted: boolean;
  readonly payload: Uint8Array;
}

/** AES-CBC IVs in batches, as the BMC draws them. */
const ivs = new IvPool();

/** Console address (software ID 81h) and BMC address (20h), as ipmitool uses them. */
const BMC_ADDR = 0x20;
const CONSOLE_SWID = 0x81;

/** An established session: protects requests and checks answers with the session keys. */
export class ClientSession {
  readonly suite: SuiteAlgos;
  readonly bmcSessionId: number;
  readonly consoleSessionId: number;
  readonly #k1: Buffer;
  readonly #k2: Buffer;
  /** The next outbound session sequence number (6.12.13: starts at 1, never 0). */
  #seq = 1;

  constructor(o: { suite: SuiteAlgos; bmcSessionId: number; consoleSessionId: number; k1: Buffer; k2: Buffer }) {
    this.suite = o.suite;
    this.bmcSessionId = o.bmcSessionId;
    this.consoleSessionId = o.consoleSessionId;
    this.#k1 = o.k1;
    this.#k2 = o.k2;
  }

  get nextSeq(): number {
    return this.#seq;
  }

  /** One IPMI request, framed, encrypted and signed as negotiated, with the next session sequence number. */
  request(netFn: number, cmd: number, rqSeq: number, data: Uint8Array = new Uint8Array(0)): Buffer {
    const msg = encodeLanRequest({ rsAddr: BMC_ADDR, netFn, rsLun: 0, rqAddr: CONSOLE_SWID, rqSeq: rqSeq & 0x3f, rqLun: 0, cmd, data });
    return this.payload(PayloadType.Ipmi, msg);
  }

  /**
   * Any payload of the session (13.6: IPMI, SOL, ...), encrypted when the
   * suite has confidentiality and signed when it has integrity, with the next
   * session sequence number.
   */
  payload(payloadType: number, body: Uint8Array): Buffer {
    const encrypted = this.suite.confidentiality.blockSize > 0;
    const payload = encrypted ? aesCbcEncrypt(this.#k2, ivs.next(), body) : body;
    const integ = this.suite.integrity;
    const seq = this.#seq;
    this.#seq = (this.#seq + 1) >>> 0 || 1;
    return encodeV20({
      encrypted,
      payloadType,
      sessionId: this.bmcSessionId,
      seq,
      payload,
      macLength: integ.macLength,
      sign: (pkt, start, end) => integrityMac(integ, this.#k1, pkt, start, end),
    });
  }

  /** Close Session (22.19) for this session: App 3Ch, [session id 4 LE]. */
  closeRequest(rqSeq: number): Buffer {
    return this.request(0x06, 0x3c, rqSeq, new Writer(4).u32le(this.bmcSessionId).finish());
  }

  /**
   * Checks one datagram from the BMC: our session, integrity as negotiated
   * (MAC verified in constant time), decryption; then the IPMI response.
   * undefined for anything that does not pass.
   */
  response(datagram: Uint8Array): LanResponse | undefined {
    const p = this.open(datagram);
    if (!p || p.payloadType !== PayloadType.Ipmi) return undefined;
    // IPMI messages always carry the session's encryption
    if (this.suite.confidentiality.blockSize > 0 && !p.encrypted) return undefined;
    return decodeLanResponse(p.payload);
  }

  /**
   * Checks one datagram of this session, whatever its payload type: integrity
   * as negotiated (MAC verified in constant time), then decryption when the
   * payload is marked encrypted. A payload in clear is returned as such (a
   * SOL instance may run with its encryption suspended, 24.3); the caller
   * decides whether it takes it. undefined for anything that does not pass.
   */
  open(datagram: Uint8Array): SessionPayload | undefined {
    let p;
    try {
      p = decodePacket(datagram);
    } catch (err) {
      if (err instanceof DecodeError) return undefined;
      throw err;
    }
    if (p.kind !== 'v20' || p.sessionId !== this.consoleSessionId) return undefined;
    const integ = this.suite.integrity;
    if (integ.macLength > 0) {
      if (!p.authenticated) return undefined;
      const t = splitTrailer(datagram, p, integ.macLength);
      if (!t || !safeEqual(integrityMac(integ, this.#k1, datagram, p.sessionStart, t.coveredEnd), t.authCode)) return undefined;
    }
    if (!p.encrypted) return { payloadType: p.payloadType, encrypted: false, payload: p.payload };
    if (this.suite.confidentiality.blockSize === 0) return undefined;
    const plain = aesCbcDecrypt(this.#k2, p.payload);
    return plain ? { payloadType: p.payloadType, encrypted: true, payload: plain } : undefined;
  }

  /** Overwrites the keys. */
  zero(): void {
    this.#k1.fill(0);
    this.#k2.fill(0);
  }
}

// ---- Serial over LAN (IPMI v2.0 section 15; payload commands 24.1-24.2) ----------------------

/** Activate Payload (App 48h) and Deactivate Payload (App 49h). */
export const PayloadCmd = { ActivatePayload: 0x48, DeactivatePayload: 0x49 } as const;

/**
 * Activate Payload auxiliary byte 1 for SOL (24.1, table 24-2): [7] encrypt,
 * [6] authenticate, [5] test mode, [3:2] serial/modem alerts while SOL is
 * active (01b = deferred), [1] BMC asserts CTS and DCD/DSR only after the
 * first SOL packet. ipmitool sends C6h on a suite with encryption.
 */
export const SolAux = { encrypt: 0x80, authenticate: 0x40, testMode: 0x20, alertsDeferred: 0x04, ctsAfterFirstPacket: 0x02 } as const;

/** Activate Payload request (24.1): [payload type][instance][aux 4]; Deactivate Payload (24.2) has the same layout. */
export function encodePayloadRequest(p: { payloadType: number; instance: number; aux?: number }): Buffer {
  return new Writer(6).u8(p.payloadType & 0x3f).u8(p.instance & 0x0f).u8(p.aux ?? 0).zeros(3).finish();
}

export interface ActivatePayloadResponse {
  readonly aux: Uint8Array;
  /** Largest payload the BMC takes from the console (SOL: 4-byte header and characters). */
  readonly inboundSize: number;
  /** Largest payload the BMC sends. */
  readonly outboundSize: number;
  readonly port: number;
  /** FFFFh: no VLAN. */
  readonly vlan: number;
}

/** Activate Payload response data after the completion code (24.1): [aux 4][inbound 2 LE][outbound 2 LE][port 2 LE][VLAN 2 LE]. */
export function decodeActivatePayloadResponse(data: Uint8Array): ActivatePayloadResponse {
  const r = new Reader(data);
  const aux = r.bytes(4);
  const inboundSize = r.u16le();
  const outboundSize = r.u16le();
  const port = r.u16le();
  const vlan = r.u16le();
  r.end();
  return { aux, inboundSize, outboundSize, port, vlan };
}

/*
 * SOL payload, console to BMC (15.9, table 15-2):
 *   1   [3:0] packet sequence number (0 = ACK-only packet)
 *   2   [3:0] packet ACK/NACK sequence number (0 = none)
 *   3   accepted character count
 *   4   operation: [6] NACK, [5] assert Ring/WOR, [4] generate break,
 *       [3] deassert CTS, [2] deassert DCD/DSR, [1] flush inbound, [0] flush outbound
 *   5:N character data
 */
export interface SolConsoleOut {
  readonly seq: number;
  readonly ackSeq: number;
  readonly accepted: number;
  readonly nack?: boolean;
  readonly ringWor?: boolean;
  readonly generateBreak?: boolean;
  readonly deassertCts?: boolean;
  readonly deassertDcdDsr?: boolean;
  readonly flushInbound?: boolean;
  readonly flushOutbound?: boolean;
  readonly data?: Uint8Array;
}

export function encodeSolConsolePacket(p: SolConsoleOut): Buffer {
  if (p.seq < 0 || p.seq > 15 || p.ackSeq < 0 || p.ackSeq > 15) throw new RangeError('SOL sequence numbers are 4 bits');
  if (p.accepted < 0 || p.accepted > 255) throw new RangeError('accepted character count is one byte');
  const data = p.data ?? new Uint8Array(0);
  const op =
    (p.nack ? 0x40 : 0) |
    (p.ringWor ? 0x20 : 0) |
    (p.generateBreak ? 0x10 : 0) |
    (p.deassertCts ? 0x08 : 0) |
    (p.deassertDcdDsr ? 0x04 : 0) |
    (p.flushInbound ? 0x02 : 0) |
    (p.flushOutbound ? 0x01 : 0);
  return new Writer(4 + data.length).u8(p.seq).u8(p.ackSeq).u8(p.accepted).u8(op).bytes(data).finish();
}

/*
 * SOL payload, BMC to console (15.9, table 15-3):
 *   1   [3:0] packet sequence number (0 = ACK-only packet)
 *   2   [3:0] packet ACK/NACK sequence number
 *   3   accepted character count
 *   4   status: [6] NACK, [5] character transfer unavailable, [4] SOL
 *       deactivating, [3] character transmit overrun, [2] break detected
 *   5:N character data
 */
export interface SolBmcIn {
  readonly seq: number;
  readonly ackSeq: number;
  readonly accepted: number;
  readonly nack: boolean;
  readonly transferUnavailable: boolean;
  readonly deactivating: boolean;
  readonly overrun: boolean;
  readonly breakDetected: boolean;
  readonly data: Uint8Array;
}

/** Reserved bits are ignored; fewer than 4 bytes throws DecodeError. */
export function decodeSolBmcPacket(payload: Uint8Array): SolBmcIn {
  const r = new Reader(payload);
  const seq = r.u8() & 0x0f;
  const ackSeq = r.u8() & 0x0f;
  const accepted = r.u8();
  const status = r.u8();
  return {
    seq,
    ackSeq,
    accepted,
    nack: (status & 0x40) !== 0,
    transferUnavailable: (status & 0x20) !== 0,
    deactivating: (status & 0x10) !== 0,
    overrun: (status & 0x08) !== 0,
    breakDetected: (status & 0x04) !== 0,
    data: r.rest(),
  };
}

export interface SolClientOptions {
  /**
   * Characters per data packet: the BMC's inbound payload size (Activate
   * Payload) less the 4-byte header, as ipmitool and ipmiconsole size them.
   */
  readonly maxChars: number;
  /** An unacknowledged data packet is sent again (same sequence number) after this long, ms. */
  readonly retryMs: number;
  /** After a NACK or "character transfer unavailable", the characters are offered again after this long, ms. */
  readonly nackRetryMs: number;
  /** Retransmissions of one packet before its characters are dropped (counted). */
  readonly maxRetries: number;
  /** Sequence number of the first data packet, 1-15. */
  readonly firstSeq?: number;
}

export interface SolClientCounters {
  /** Data packets sent for the first time. */
  dataPacketsOut: number;
  /** Data packets sent again because no ACK came in time. */
  retransmits: number;
  /** ACK-only packets sent. */
  acksOut: number;
  packetsIn: number;
  dataPacketsIn: number;
  /** BMC data packets that repeat the last one (the BMC's retry): acknowledged again, not delivered twice. */
  duplicatesIn: number;
  charsAccepted: number;
  charsIn: number;
  /** ACKs that took fewer characters than the packet carried (the rest goes again under a new number). */
  partialAcks: number;
  nacks: number;
  transferUnavailable: number;
  /** ACKs naming no packet that waits for one (late, or repeated). */
  staleAcks: number;
  overruns: number;
  /** Data packets whose characters were dropped after maxRetries. */
  gaveUp: number;
  /** Payloads shorter than the SOL header. */
  malformed: number;
  /** The BMC said "SOL deactivating" (the instance was taken over or ended). */
  deactivated: boolean;
}

interface PendingOut {
  readonly seq: number;
  readonly data: Uint8Array;
  sentAt: number;
  retries: number;
}

/**
 * The console end of one SOL instance: characters typed go out one data
 * packet at a time (stop and wait), each resent with the same sequence
 * number until acknowledged; an ACK's accepted count is honoured (the rest
 * goes again under the next number, as ipmitool does) and a NACK holds the
 * characters for nackRetryMs. Every BMC data packet is acknowledged at once
 * with all its characters; a repeat of the last one is acknowledged again
 * and not delivered twice. Time is passed in (ms, any monotonic origin).
 */
export class SolClient {
  readonly counters: SolClientCounters = {
    dataPacketsOut: 0,
    retransmits: 0,
    acksOut: 0,
    packetsIn: 0,
    dataPacketsIn: 0,
    duplicatesIn: 0,
    charsAccepted: 0,
    charsIn: 0,
    partialAcks: 0,
    nacks: 0,
    transferUnavailable: 0,
    staleAcks: 0,
    overruns: 0,
    gaveUp: 0,
    malformed: 0,
    deactivated: false,
  };
  readonly #o: SolClientOptions;
  /** Characters waiting to go out, oldest first. */
  #queue: Uint8Array[] = [];
  #queued = 0;
  #pending: PendingOut | undefined;
  #nextSeq: number;
  /** No new data packet before this time (after a NACK). */
  #holdUntil = -Infinity;
  #lastInSeq = 0;

  constructor(o: SolClientOptions) {
    if (!Number.isInteger(o.maxChars) || o.maxChars < 1 || o.maxChars > 255) throw new RangeError('maxChars must be 1..255');
    const first = o.firstSeq ?? 1;
    if (!Number.isInteger(first) || first < 1 || first > 15) throw new RangeError('firstSeq must be 1..15');
    this.#o = o;
    this.#nextSeq = first;
  }

  /** Characters not yet accepted by the BMC (queued or in the packet awaiting its ACK). */
  get unaccepted(): number {
    return this.#queued + (this.#pending?.data.length ?? 0);
  }

  /** The sequence number the next new data packet will carry. */
  get nextSeq(): number {
    return this.#nextSeq;
  }

  /** Queues characters to type. */
  write(data: Uint8Array): void {
    if (data.length === 0) return;
    this.#queue.push(Uint8Array.from(data));
    this.#queued += data.length;
  }

  /** When poll() next has something to do (a retry or the end of a NACK hold), or undefined. */
  nextTimer(): number | undefined {
    if (this.#pending) return this.#pending.sentAt + this.#o.retryMs;
    if (this.#queued > 0 && this.#holdUntil > -Infinity) return this.#holdUntil;
    return undefined;
  }

  /** SOL payloads to send now: a retransmission that is due, or the next data packet. */
  poll(now: number): Uint8Array[] {
    const pend = this.#pending;
    if (pend) {
      if (now < pend.sentAt + this.#o.retryMs) return [];
      if (pend.retries >= this.#o.maxRetries) {
        this.counters.gaveUp++;
        this.#pending = undefined;
      } else {
        pend.retries++;
        pend.sentAt = now;
        this.counters.retransmits++;
        return [encodeSolConsolePacket({ seq: pend.seq, ackSeq: 0, accepted: 0, data: pend.data })];
      }
    }
    if (this.#queued === 0 || now < this.#holdUntil) return [];
    this.#holdUntil = -Infinity;
    const data = this.#take(this.#o.maxChars);
    const seq = this.#takeSeq();
    this.#pending = { seq, data, sentAt: now, retries: 0 };
    this.counters.dataPacketsOut++;
    return [encodeSolConsolePacket({ seq, ackSeq: 0, accepted: 0, data })];
  }

  /**
   * One SOL payload from the BMC: its ACK/NACK of our packet, then its
   * characters. Returns the characters new to the console and the payloads
   * to send at once (the ACK). Call poll() after it to send what may go next.
   */
  receive(payload: Uint8Array, now: number): { data: Uint8Array; send: Uint8Array[] } {
    this.counters.packetsIn++;
    let p: SolBmcIn;
    try {
      p = decodeSolBmcPacket(payload);
    } catch (err) {
      if (!(err instanceof DecodeError)) throw err;
      this.counters.malformed++;
      return { data: new Uint8Array(0), send: [] };
    }
    if (p.deactivating) this.counters.deactivated = true;
    if (p.ackSeq !== 0) this.#acknowledged(p, now);
    if (p.seq === 0) return { data: new Uint8Array(0), send: [] };
    this.counters.dataPacketsIn++;
    if (p.overrun) this.counters.overruns++;
    const ack = encodeSolConsolePacket({ seq: 0, ackSeq: p.seq, accepted: Math.min(p.data.length, 255) });
    this.counters.acksOut++;
    if (p.seq === this.#lastInSeq) {
      this.counters.duplicatesIn++;
      return { data: new Uint8Array(0), send: [ack] };
    }
    this.#lastInSeq = p.seq;
    this.counters.charsIn += p.data.length;
    return { data: p.data, send: [ack] };
  }

  #acknowledged(p: SolBmcIn, now: number): void {
    const pend = this.#pending;
    if (!pend || p.ackSeq !== pend.seq) {
      this.counters.staleAcks++;
      return;
    }
    this.#pending = undefined;
    const accepted = Math.min(p.accepted, pend.data.length);
    this.counters.charsAccepted += accepted;
    const rest = pend.data.subarray(accepted);
    if (p.nack || p.transferUnavailable) {
      if (p.nack) this.counters.nacks++;
      if (p.transferUnavailable) this.counters.transferUnavailable++;
      this.#holdUntil = now + this.#o.nackRetryMs;
    } else if (rest.length > 0) {
      this.counters.partialAcks++;
    }
    if (rest.length > 0) {
      this.#queue.unshift(rest);
      this.#queued += rest.length;
    }
  }

  #take(n: number): Uint8Array {
    const out = new Uint8Array(Math.min(n, this.#queued));
    let at = 0;
    while (at < out.length) {
      const head = this.#queue[0]!;
      const k = Math.min(head.length, out.length - at);
      out.set(head.subarray(0, k), at);
      at += k;
      if (k === head.length) this.#queue.shift();
      else this.#queue[0] = head.subarray(k);
    }
    this.#queued -= out.length;
    return out;
  }

  #takeSeq(): number {
    const s = this.#nextSeq;
    this.#nextSeq = s >= 15 ? 1 : s + 1;
    return s;
  }
}
