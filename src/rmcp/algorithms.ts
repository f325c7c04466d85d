// RMCP+ security algorithms as table rows (IPMI v2.0 sections 13.28-13.29,
// 13.31-13.32 and table 22-20): authentication (RAKP) algorithms, integrity
// algorithms, confidentiality algorithms and the cipher suites that combine
// them, plus the key derivations of 13.31-13.32. Pure functions over Node's
// crypto; no state.
import { createCipheriv, createDecipheriv, createHmac, randomFillSync, timingSafeEqual } from 'node:crypto';

export const AuthAlgorithm = { RakpNone: 0x00, RakpHmacSha1: 0x01, RakpHmacMd5: 0x02, RakpHmacSha256: 0x03 } as const;
export const IntegrityAlgorithm = { None: 0x00, HmacSha1_96: 0x01, HmacMd5_128: 0x02, Md5_128: 0x03, HmacSha256_128: 0x04 } as const;
export const ConfidentialityAlgorithm = { None: 0x00, AesCbc128: 0x01, XRc4_128: 0x02, XRc4_40: 0x03 } as const;

export type Hash = 'sha1' | 'sha256';

/** An authentication algorithm: its hash, the RAKP 2/3 auth code length and the RAKP 4 ICV length. */
export interface AuthAlgo {
  readonly id: number;
  readonly name: string;
  readonly hash: Hash | null;
  /** Length of the RAKP 2 and RAKP 3 key exchange auth codes and of SIK/K1/K2. */
  readonly keyLength: number;
  /** Length of the RAKP 4 integrity check value. */
  readonly icvLength: number;
}

export interface IntegrityAlgo {
  readonly id: number;
  readonly name: string;
  readonly hash: Hash | null;
  /** Length of the AuthCode field in the session trailer. */
  readonly macLength: number;
}

export interface ConfidentialityAlgo {
  readonly id: number;
  readonly name: string;
  /** Cipher block size (0 = none). */
  readonly blockSize: number;
}

export const AUTH_ALGOS: ReadonlyMap<number, AuthAlgo> = new Map([
  [0x00, { id: 0x00, name: 'RAKP-none', hash: null, keyLength: 0, icvLength: 0 }],
  [0x01, { id: 0x01, name: 'RAKP-HMAC-SHA1', hash: 'sha1', keyLength: 20, icvLength: 12 }],
  [0x03, { id: 0x03, name: 'RAKP-HMAC-SHA256', hash: 'sha256', keyLength: 32, icvLength: 16 }],
]);

export const INTEGRITY_ALGOS: ReadonlyMap<number, IntegrityAlgo> = new Map([
  [0x00, { id: 0x00, name: 'none', hash: null, macLength: 0 }],
  [0x01, { id: 0x01, name: 'HMAC-SHA1-96', hash: 'sha1', macLength: 12 }],
  [0x04, { id: 0x04, name: 'HMAC-SHA256-128', hash: 'sha256', macLength: 16 }],
]);

export const CONFIDENTIALITY_ALGOS: ReadonlyMap<number, ConfidentialityAlgo> = new Map([
  [0x00, { id: 0x00, name: 'none', blockSize: 0 }],
  [0x01, { id: 0x01, name: 'AES-CBC-128', blockSize: 16 }],
]);

export interface CipherSuite {
  readonly id: number;
  readonly auth: number;
  readonly integrity: number;
  readonly confidentiality: number;
}

/** The cipher suites this transport implements (table 22-20). */
export const CIPHER_SUITES: ReadonlyMap<number, CipherSuite> = new Map([
  [0, { id: 0, auth: 0x00, integrity: 0x00, confidentiality: 0x00 }],
  [1, { id: 1, auth: 0x01, integrity: 0x00, confidentiality: 0x00 }],
  [2, { id: 2, auth: 0x01, integrity: 0x01, confidentiality: 0x00 }],
  [3, { id: 3, auth: 0x01, integrity: 0x01, confidentiality: 0x01 }],
  [17, { id: 17, auth: 0x03, integrity: 0x04, confidentiality: 0x01 }],
]);

/** HMAC over the concatenation of parts. */
export function hmac(hash: Hash, key: Uint8Array, ...parts: Uint8Array[]): Buffer {
  const h = createHmac(hash, key);
  for (const p of parts) h.update(p);
  return h.digest();
}

/** Constant-time comparison; false (not an exception) on length mismatch. */
export function safeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  return timingSafeEqual(a, b);
}

function u32le(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v >>> 0);
  return b;
}

/** What both sides know after RAKP 1 and 2: the inputs of every RAKP computation. */
export interface RakpInputs {
  /** Remote console session ID (SID_M). */
  readonly consoleSessionId: number;
  /** Managed system (BMC) session ID (SID_C). */
  readonly bmcSessionId: number;
  /** Remote console random number R_M (16 bytes). */
  readonly consoleRandom: Uint8Array;
  /** Managed system random number R_C (16 bytes). */
  readonly bmcRandom: Uint8Array;
  /** Managed system GUID (16 bytes). */
  readonly bmcGuid: Uint8Array;
  /** RAKP 1 byte 25 as sent (role and lookup bit). */
  readonly role: number;
  /** User name as sent in RAKP 1 (0-16 bytes). */
  readonly userName: Uint8Array;
}

/** RAKP 2 key exchange auth code: HMAC_Kuid(SID_M, SID_C, R_M, R_C, GUID_C, ROLE_M, ULENGTH_M, UNAME_M) (13.31). */
export function rakp2AuthCode(algo: AuthAlgo, kuid: Uint8Array, i: RakpInputs): Buffer {
  if (!algo.hash) return Buffer.alloc(0);
  return hmac(
    algo.hash,
    kuid,
    u32le(i.consoleSessionId),
    u32le(i.bmcSessionId),
    i.consoleRandom,
    i.bmcRandom,
    i.bmcGuid,
    Uint8Array.of(i.role, i.userName.length),
    i.userName,
  );
}

/** RAKP 3 key exchange auth code: HMAC_Kuid(R_C, SID_M, ROLE_M, ULENGTH_M, UNAME_M). */
export function rakp3AuthCode(algo: AuthAlgo, kuid: Uint8Array, i: RakpInputs): Buffer {
  if (!algo.hash) return Buffer.alloc(0);
  return hmac(algo.hash, kuid, i.bmcRandom, u32le(i.consoleSessionId), Uint8Array.of(i.role, i.userName.length), i.userName);
}

/** Session integrity key: HMAC_Kg(R_M, R_C, ROLE_M, ULENGTH_M, UNAME_M); K_g is K_uid when no BMC key is set. */
export function sessionIntegrityKey(algo: AuthAlgo, kg: Uint8Array, i: RakpInputs): Buffer {
  if (!algo.hash) return Buffer.alloc(0);
  return hmac(algo.hash, kg, i.consoleRandom, i.bmcRandom, Uint8Array.of(i.role, i.userName.length), i.userName);
}

/** RAKP 4 integrity check value: HMAC_SIK(R_M, SID_C, GUID_C), truncated to the algorithm's ICV length. */
export function rakp4Icv(algo: AuthAlgo, sik: Uint8Array, i: RakpInputs): Buffer {
  if (!algo.hash) return Buffer.alloc(0);
  return hmac(algo.hash, sik, i.consoleRandom, u32le(i.bmcSessionId), i.bmcGuid).subarray(0, algo.icvLength);
}

/**
 * K_n = HMAC_SIK(Const_n) (13.32). Const_n is n repeated 20 times for every
 * algorithm, SHA-256 included (ipmitool, FreeIPMI and phosphor agree).
 */
export function additionalKey(algo: AuthAlgo, sik: Uint8Array, n: number): Buffer {
  if (!algo.hash) return Buffer.alloc(20, n);
  return hmac(algo.hash, sik, Buffer.alloc(20, n));
}

/** The integrity AuthCode over data[start, end), keyed with K1 (13.28.4). */
export function integrityMac(algo: IntegrityAlgo, k1: Uint8Array, data: Uint8Array, start: number, end: number): Buffer {
  if (!algo.hash) return Buffer.alloc(0);
  return createHmac(algo.hash, k1).update(data.subarray(start, end)).digest().subarray(0, algo.macLength);
}

/**
 * AES-CBC-128 payload encryption (13.29): IV, then data + pad bytes 1,2,3..
 * + pad length, encrypted with the first 16 bytes of K2.
 */
export function aesCbcEncrypt(k2: Uint8Array, iv: Uint8Array, plain: Uint8Array): Buffer {
  const padLen = (16 - ((plain.length + 1) % 16)) % 16;
  const block = Buffer.allocUnsafe(plain.length + padLen + 1);
  block.set(plain, 0);
  for (let i = 0; i < padLen; i++) block[plain.length + i] = i + 1;
  block[plain.length + padLen] = padLen;
  const c = createCipheriv('aes-128-cbc', k2.subarray(0, 16), iv);
  c.setAutoPadding(false);
  return Buffer.concat([iv, c.update(block), c.final()]);
}

/**
 * Initialization vectors for AES-CBC-128 (IPMI v2.0 13.29: a fresh random IV
 * per payload). Drawn from the CSPRNG in 4 KiB batches: one randomBytes call
 * per packet cost a fifth of the CPU of answering one. An IV is handed out
 * once and must be used before the next call (it is a view into the batch).
 */
export class IvPool {
  readonly #pool = Buffer.allocUnsafe(4096);
  #at = this.#pool.length;

  next(): Buffer {
    if (this.#at + 16 > this.#pool.length) {
      randomFillSync(this.#pool);
      this.#at = 0;
    }
    const iv = this.#pool.subarray(this.#at, this.#at + 16);
    this.#at += 16;
    return iv;
  }

  /** Discards what was drawn ahead: the next IV comes from a fresh draw. */
  reset(): void {
    this.#pool.fill(0);
    this.#at = this.#pool.length;
  }
}

/** Inverse of aesCbcEncrypt; undefined when the length or the padding is wrong. */
export function aesCbcDecrypt(k2: Uint8Array, payload: Uint8Array): Buffer | undefined {
  if (payload.length < 32 || payload.length % 16 !== 0) return undefined;
  const d = createDecipheriv('aes-128-cbc', k2.subarray(0, 16), payload.subarray(0, 16));
  d.setAutoPadding(false);
  const plain = Buffer.concat([d.update(payload.subarray(16)), d.final()]);
  const padLen = plain[plain.length - 1]!;
  if (padLen > 15) return undefined;
  const dataLen = plain.length - 1 - padLen;
  for (let i = 0; i < padLen; i++) if (plain[dataLen + i] !== i + 1) return undefined;
  return plain.subarray(0, dataLen);
}
