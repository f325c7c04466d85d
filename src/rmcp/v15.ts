// IPMI v1.5 session authentication (IPMI v2.0 sections 22.15-22.17 and
// 13.6, table 13-7): the auth code of each packet and the Get Session
// Challenge / Activate Session request and response codecs.
import { createHash } from 'node:crypto';
import { DecodeError, Reader, Writer } from '../bytes/index.js';
import { AuthType } from '../ipmi/constants.js';

/**
 * The 16-byte auth code (table 13-7). MD5: MD5(password, session id,
 * message, session seq, password); straight password: the password itself;
 * none: no auth code field.
 */
export function v15AuthCode(
  authType: number,
  password16: Uint8Array,
  sessionId: number,
  message: Uint8Array,
  seq: number,
): Uint8Array | undefined {
  if (authType === AuthType.None) return undefined;
  if (authType === AuthType.Password) return password16;
  if (authType !== AuthType.Md5) return undefined;
  const ids = Buffer.allocUnsafe(4);
  ids.writeUInt32LE(sessionId >>> 0);
  const sq = Buffer.allocUnsafe(4);
  sq.writeUInt32LE(seq >>> 0);
  return createHash('md5').update(password16).update(ids).update(message).update(sq).update(password16).digest();
}

/** Auth type bit in the Get Channel Authentication Capabilities mask (22.13). */
export function authTypeBit(authType: number): number {
  return authType === AuthType.Oem ? 0x20 : 1 << authType;
}

/** Get Session Challenge request (22.16): [auth type][user name 16, NUL padded]. */
export interface GetSessionChallengeRequest {
  readonly authType: number;
  readonly userName: string;
}

export function decodeGetSessionChallenge(data: Uint8Array): GetSessionChallengeRequest {
  const r = new Reader(data);
  const authType = r.u8() & 0x0f;
  const raw = r.bytes(16);
  r.end();
  let end = raw.indexOf(0);
  if (end < 0) end = 16;
  return { authType, userName: Buffer.from(raw.subarray(0, end)).toString('latin1') };
}

/** Get Session Challenge response: [temporary session id 4 LE][challenge 16]. */
export function encodeGetSessionChallengeResponse(sessionId: number, challenge: Uint8Array): Uint8Array {
  return new Writer(20).u32le(sessionId).bytes(challenge).finish();
}

/** Activate Session request (22.17): [auth type][max privilege][challenge 16][initial outbound seq 4 LE]. */
export interface ActivateSessionRequest {
  readonly authType: number;
  readonly maxPrivilege: number;
  readonly challenge: Uint8Array;
  readonly initialOutboundSeq: number;
}

export function decodeActivateSession(data: Uint8Array): ActivateSessionRequest {
  const r = new Reader(data);
  const authType = r.u8() & 0x0f;
  const maxPrivilege = r.u8() & 0x0f;
  const challenge = r.bytes(16);
  const initialOutboundSeq = r.u32le();
  r.end();
  if (maxPrivilege < 1 || maxPrivilege > 5) throw new DecodeError('invalid', 1, 'privilege');
  return { authType, maxPrivilege, challenge, initialOutboundSeq };
}

/** Activate Session response: [auth type][session id 4 LE][initial inbound seq 4 LE][max privilege]. */
export function encodeActivateSessionResponse(p: {
  authType: number;
  sessionId: number;
  initialInboundSeq: number;
  maxPrivilege: number;
}): Uint8Array {
  return new Writer(10).u8(p.authType).u32le(p.sessionId).u32le(p.initialInboundSeq).u8(p.maxPrivilege).finish();
}

/** Activate Session completion codes (22.17). */
export const ActivateCC = {
  NoSessionSlot: 0x81,
  NoSlotForUser: 0x82,
  NoSlotForPrivilege: 0x83,
  SeqOutOfRange: 0x84,
  InvalidSessionId: 0x85,
  PrivilegeExceedsLimit: 0x86,
} as const;

/** Get Session Challenge completion codes (22.16). */
export const ChallengeCC = { InvalidUserName: 0x81, NullUserNotEnabled: 0x82 } as const;
