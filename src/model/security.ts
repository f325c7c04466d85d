// Security policy of the management interfaces. Everything weak is off unless
// the operator turns it on: cipher suite 0 (no authentication), IPMI v1.5
// "none" and straight-password authentication, and anonymous login.

export interface SecurityPolicy {
  /** Offer RMCP+ cipher suite 0 (no authentication, integrity or confidentiality). */
  allowCipher0: boolean;
  /** Accept IPMI v1.5 sessions at all (MD5 only unless the two below are set). */
  allowIpmi15: boolean;
  allowIpmi15None: boolean;
  allowIpmi15Password: boolean;
  /** Sessions overall and per user, per LAN endpoint. */
  maxSessions: number;
  maxSessionsPerUser: number;
  /** Idle time after which a session is closed. */
  sessionTimeoutMs: number;
  /**
   * The BMC key K_g (RMCP+ "two-key" login); all zeros or empty means the
   * user's password key is used, as IPMI v2.0 13.31 specifies.
   */
  kg: Uint8Array;
}

export function defaultSecurityPolicy(): SecurityPolicy {
  return {
    allowCipher0: false,
    allowIpmi15: true,
    allowIpmi15None: false,
    allowIpmi15Password: false,
    maxSessions: 32,
    maxSessionsPerUser: 16,
    sessionTimeoutMs: 60_000,
    kg: new Uint8Array(0),
  };
}
