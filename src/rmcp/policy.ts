// What the security policy and the LAN configuration allow on the wire
// (IPMI v2.0 sections 13.31, 22.13, 22.15 and table 23-4 parameters 2, 24):
// the offered cipher suites, the v1.5 auth types per privilege, and K_g.
// Shared by the transport and the session commands.
import { AuthType } from '../ipmi/constants.js';
import type { Bmc } from '../model/bmc.js';
import { CIPHER_SUITES, type CipherSuite } from './algorithms.js';
import { authTypeBit } from './v15.js';

/** The policy-filtered cipher suites this endpoint offers, in configured order. */
export function offeredSuites(bmc: Bmc): CipherSuite[] {
  const out: CipherSuite[] = [];
  for (const e of bmc.lan.config.cipherSuites) {
    const s = CIPHER_SUITES.get(e.id);
    if (!s || e.maxPrivilege === 0) continue;
    if (s.auth === 0 && !bmc.security.allowCipher0) continue;
    out.push(s);
  }
  return out;
}

/** The K_g to use: the BMC key, or undefined when empty or all zeros (13.31). */
export function effectiveKg(kg: Uint8Array): Buffer | undefined {
  if (kg.length === 0 || kg.every((b) => b === 0)) return undefined;
  const out = Buffer.alloc(20);
  out.set(kg.subarray(0, 20));
  return out;
}

/** Whether IPMI v1.5 auth type `t` is allowed by the security policy. */
export function v15AuthAllowed(bmc: Bmc, t: number): boolean {
  const p = bmc.security;
  if (!p.allowIpmi15) return false;
  if (t === AuthType.Md5) return true;
  if (t === AuthType.Password) return p.allowIpmi15Password;
  if (t === AuthType.None) return p.allowIpmi15None;
  return false;
}

/** LAN Configuration parameter 2 mask for a privilege, masked by the policy (22.13). */
export function v15AuthMask(bmc: Bmc, privilege: number): number {
  const e = bmc.lan.config.authEnables;
  const raw = privilege === 1 ? e.callback : privilege === 2 ? e.user : privilege === 3 ? e.operator : privilege === 4 ? e.admin : privilege === 5 ? e.oem : 0;
  let mask = 0;
  for (const t of [AuthType.None, AuthType.Md5, AuthType.Password]) {
    if (raw & authTypeBit(t) && v15AuthAllowed(bmc, t)) mask |= authTypeBit(t);
  }
  return mask;
}
