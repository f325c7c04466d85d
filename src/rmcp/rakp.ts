// RMCP+ session setup payloads (IPMI v2.0 sections 13.17-13.23): Open
// Session Request/Response and RAKP messages 1-4, plus the status codes of
// table 13-15. Pure codecs; the state machine lives in session.ts.
import { DecodeError, Reader, Writer } from '../bytes/index.js';

/** RMCP+ and RAKP message status codes (table 13-15). */
export const RakpStatus = {
  NoErrors: 0x00,
  InsufficientResources: 0x01,
  InvalidSessionId: 0x02,
  InvalidPayloadType: 0x03,
  InvalidAuthAlgorithm: 0x04,
  InvalidIntegrityAlgorithm: 0x05,
  NoMatchingAuthPayload: 0x06,
  NoMatchingIntegrityPayload: 0x07,
  InactiveSessionId: 0x08,
  InvalidRole: 0x09,
  UnauthorizedRole: 0x0a,
  InsufficientResourcesForRole: 0x0b,
  InvalidNameLength: 0x0c,
  UnauthorizedName: 0x0d,
  UnauthorizedGuid: 0x0e,
  InvalidIntegrityCheckValue: 0x0f,
  InvalidConfidentialityAlgorithm: 0x10,
  NoCipherSuiteMatch: 0x11,
  IllegalParameter: 0x12,
} as const;

/**
 * Open Session Request (13.17):
 * [tag][max privilege (3:0)][reserved 2][console session id 4 LE]
 * [auth payload 8][integrity payload 8][confidentiality payload 8]
 * each algorithm payload: [type 0/1/2][reserved 2][length 08h][algorithm (5:0)][reserved 3]
 */
export interface OpenSessionRequest {
  readonly tag: number;
  readonly maxPrivilege: number;
  readonly consoleSessionId: number;
  readonly auth: number;
  readonly integrity: number;
  readonly confidentiality: number;
}

function readAlgorithmPayload(r: Reader, type: number): number {
  const at = r.offset;
  if (r.u8() !== type) throw new DecodeError('invalid', at, 'algorithm payload type');
  r.skip(2);
  const len = r.u8();
  if (len !== 8) throw new DecodeError('invalid', at + 3, 'algorithm payload length');
  const alg = r.u8() & 0x3f;
  r.skip(3);
  return alg;
}

export function decodeOpenSessionRequest(payload: Uint8Array): OpenSessionRequest {
  const r = new Reader(payload);
  const tag = r.u8();
  const maxPrivilege = r.u8() & 0x0f;
  r.skip(2);
  const consoleSessionId = r.u32le();
  const auth = readAlgorithmPayload(r, 0);
  const integrity = readAlgorithmPayload(r, 1);
  const confidentiality = readAlgorithmPayload(r, 2);
  r.end();
  return { tag, maxPrivilege, consoleSessionId, auth, integrity, confidentiality };
}

/**
 * Open Session Response (13.18):
 * [tag][status][max privilege][reserved][console session id 4][BMC session id 4][auth 8][integrity 8][confidentiality 8]
 * An error response ends after the console session id.
 */
export function encodeOpenSessionResponse(p: {
  tag: number;
  status: number;
  maxPrivilege: number;
  consoleSessionId: number;
  bmcSessionId?: number;
  auth?: number;
  integrity?: number;
  confidentiality?: number;
}): Buffer {
  const w = new Writer(36).u8(p.tag).u8(p.status).u8(p.status === 0 ? p.maxPrivilege : 0).u8(0).u32le(p.consoleSessionId);
  if (p.status === 0) {
    w.u32le(p.bmcSessionId ?? 0);
    for (const [type, alg] of [[0, p.auth ?? 0], [1, p.integrity ?? 0], [2, p.confidentiality ?? 0]] as const) {
      w.u8(type).u16le(0).u8(8).u8(alg).zeros(3);
    }
  }
  return w.finish();
}

/**
 * RAKP Message 1 (13.20):
 * [tag][reserved 3][BMC session id 4][console random 16][role: bit4 name-only lookup, 3:0 privilege]
 * [reserved 2][user name length][user name 0-16]
 */
export interface Rakp1 {
  readonly tag: number;
  readonly bmcSessionId: number;
  readonly consoleRandom: Uint8Array;
  /** The whole role byte, as it enters the HMACs. */
  readonly role: number;
  readonly userName: Uint8Array;
}

export function decodeRakp1(payload: Uint8Array): Rakp1 {
  const r = new Reader(payload);
  const tag = r.u8();
  r.skip(3);
  const bmcSessionId = r.u32le();
  const consoleRandom = r.bytes(16);
  const role = r.u8();
  r.skip(2);
  const len = r.u8();
  if (len > 16) throw new DecodeError('invalid', r.offset - 1, 'user name length');
  const userName = r.bytes(len);
  r.end();
  return { tag, bmcSessionId, consoleRandom, role, userName };
}

/**
 * RAKP Message 2 (13.21):
 * [tag][status][reserved 2][console session id 4][BMC random 16][BMC GUID 16][key exchange auth code]
 * An error response ends after the console session id.
 */
export function encodeRakp2(p: {
  tag: number;
  status: number;
  consoleSessionId: number;
  bmcRandom?: Uint8Array;
  bmcGuid?: Uint8Array;
  authCode?: Uint8Array;
}): Buffer {
  const w = new Writer(72).u8(p.tag).u8(p.status).u16le(0).u32le(p.consoleSessionId);
  if (p.status === 0) w.bytes(p.bmcRandom ?? new Uint8Array(16)).bytes(p.bmcGuid ?? new Uint8Array(16)).bytes(p.authCode ?? new Uint8Array(0));
  return w.finish();
}

/** RAKP Message 3 (13.22): [tag][status][reserved 2][BMC session id 4][key exchange auth code]. */
export interface Rakp3 {
  readonly tag: number;
  readonly status: number;
  readonly bmcSessionId: number;
  readonly authCode: Uint8Array;
}

export function decodeRakp3(payload: Uint8Array): Rakp3 {
  const r = new Reader(payload);
  const tag = r.u8();
  const status = r.u8();
  r.skip(2);
  const bmcSessionId = r.u32le();
  const authCode = r.rest();
  if (authCode.length > 32) throw new DecodeError('trailing', 40);
  return { tag, status, bmcSessionId, authCode };
}

/** RAKP Message 4 (13.23): [tag][status][reserved 2][console session id 4][integrity check value]. */
export function encodeRakp4(p: { tag: number; status: number; consoleSessionId: number; icv?: Uint8Array }): Buffer {
  const w = new Writer(24).u8(p.tag).u8(p.status).u16le(0).u32le(p.consoleSessionId);
  if (p.status === 0 && p.icv) w.bytes(p.icv);
  return w.finish();
}
