// The console (client) side of RMCP+ for the load generator (IPMI v2.0
// sections 13.17-13.23 session setup, 13.28-13.32 keys, integrity and
// confidentiality, 13.8 IPMI messages on LAN). The BMC-side codecs in
// src/rmcp/rakp.ts decode what a console sends; these are their mirror images:
// encode the requests, decode the BMC's answers. Algorithms, packet framing
// and the LAN message framing come from src/rmcp/ unchanged. Pure: no sockets.
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

export const PayloadType = { Ipmi: 0x00, OpenSessionRequest: 0x10, OpenSessionResponse: 0x11, Rakp1: 0x12, Rakp2: 0x13, Rakp3: 0x14, Rakp4: 0x15 } as const;

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
    const encrypted = this.suite.confidentiality.blockSize > 0;
    const payload = encrypted ? aesCbcEncrypt(this.#k2, ivs.next(), msg) : msg;
    const integ = this.suite.integrity;
    const seq = this.#seq;
    this.#seq = (this.#seq + 1) >>> 0 || 1;
    return encodeV20({
      encrypted,
      payloadType: PayloadType.Ipmi,
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
    let p;
    try {
      p = decodePacket(datagram);
    } catch (err) {
      if (err instanceof DecodeError) return undefined;
      throw err;
    }
    if (p.kind !== 'v20' || p.payloadType !== PayloadType.Ipmi || p.sessionId !== this.consoleSessionId) return undefined;
    const integ = this.suite.integrity;
    if (integ.macLength > 0) {
      if (!p.authenticated) return undefined;
      const t = splitTrailer(datagram, p, integ.macLength);
      if (!t || !safeEqual(integrityMac(integ, this.#k1, datagram, p.sessionStart, t.coveredEnd), t.authCode)) return undefined;
    }
    let msg: Uint8Array = p.payload;
    if (this.suite.confidentiality.blockSize > 0) {
      if (!p.encrypted) return undefined;
      const plain = aesCbcDecrypt(this.#k2, p.payload);
      if (!plain) return undefined;
      msg = plain;
    }
    return decodeLanResponse(msg);
  }

  /** Overwrites the keys. */
  zero(): void {
    this.#k1.fill(0);
    this.#k2.fill(0);
  }
}
