// What a command handler sees besides its decoded request: the model it acts
// on, the channel and privilege of the caller, and the transport's session
// port (for the session commands). Transports build one per request.
import type { Bmc } from '../model/bmc.js';
import type { Host } from '../model/host.js';
import type { PrivilegeLevel } from './constants.js';

/** One active session as Get Session Info reports it. */
export interface SessionSummary {
  readonly handle: number;
  readonly id: number;
  readonly userId: number;
  readonly privilege: PrivilegeLevel;
  readonly channel: number;
  /** 0 = IPMI v1.5, 1 = IPMI v2.0 / RMCP+ */
  readonly protocol: 0 | 1;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly remoteMac?: Uint8Array;
}

/** The transport's sessions, as the session commands need them. */
export interface SessionDirectory {
  /** Maximum sessions this channel supports (Get Session Info byte 3). */
  readonly capacity: number;
  list(): readonly SessionSummary[];
  /** Closes a session by id (or by handle when id is 0); false if none. */
  close(by: { id?: number; handle?: number }): boolean;
}

/** The calling session, when the request came in one. */
export interface SessionPort extends SessionSummary {
  /** The highest privilege this session may take (user/channel limit). */
  readonly maxPrivilege: PrivilegeLevel;
  /** Sets the session's operating privilege; the transport validates it. */
  setPrivilege(level: PrivilegeLevel): void;
  /** Authentication type in use (IPMI v1.5) or 6 for RMCP+. */
  readonly authType: number;
  readonly cipherSuite?: number;
}

/** How a console asks for a payload instance (Activate Payload, 24.1) and what the channel forces. */
export interface PayloadActivation {
  /** Aux byte 1 [7]: activate with encryption. */
  readonly encrypt: boolean;
  /** Aux byte 1 [6]: activate with authentication. */
  readonly authenticate: boolean;
  /** The payload's own configuration forces encryption / authentication (SOL parameter 2). */
  readonly forceEncryption: boolean;
  readonly forceAuthentication: boolean;
  /**
   * An instance held by another session is taken over (deactivated there)
   * instead of refusing: the configuration allows it and the caller may end
   * that session's instance.
   */
  readonly takeover?: boolean;
}

/** Suspend/Resume Payload Encryption (24.3) operations. */
export type PayloadEncryptionOp = 'suspend' | 'resume' | 'regenerate-iv';

/** Why an encryption operation was refused; each front door maps these to its codes. */
export type PayloadEncryptionRefusal =
  /** The instance is not active. */
  | 'not-active'
  /** The session the instance is active in negotiated no confidentiality. */
  | 'encryption-unavailable'
  /** The configuration requires encryption (SOL parameter 2), so it cannot be suspended. */
  | 'encryption-forced';

/** Why an activation was refused; each front door maps these to its codes. */
export type PayloadRefusal =
  | 'active-elsewhere'
  | 'limit'
  | 'encryption-unavailable'
  | 'encryption-required'
  | 'authentication-unavailable';

export interface PayloadInstanceInfo {
  readonly instance: number;
  /** BMC session id of the session it is active in. */
  readonly sessionId: number;
}

/** The instances of one payload type (e.g. SOL) a transport keeps. */
export interface PayloadInstances {
  /** Instances this payload type may have at once. */
  readonly capacity: number;
  /** Largest payload the BMC accepts from, and sends to, the console. */
  readonly inboundSize: number;
  readonly outboundSize: number;
  active(): readonly PayloadInstanceInfo[];
  /** Activates an instance in the caller's session; a refusal reason otherwise. */
  activate(caller: SessionPort, instance: number, how: PayloadActivation): PayloadRefusal | undefined;
  /** Ends an instance (whichever session holds it); false when it was not active. */
  deactivate(instance: number, by: SessionPort): boolean;
  /** Suspends or resumes encryption of an active instance, or renews its IV source. */
  setEncryption?(instance: number, op: PayloadEncryptionOp, how: { forceEncryption: boolean }): PayloadEncryptionRefusal | undefined;
}

export interface IpmiContext {
  readonly bmc: Bmc;
  readonly host: Host;
  /** The channel the request arrived on (what 0x0E means). */
  readonly channel: number;
  /** The caller's current privilege level. */
  readonly privilege: PrivilegeLevel;
  /** Present for requests inside a session. */
  readonly session?: SessionPort;
  /** Present on channels that have sessions. */
  readonly sessions?: SessionDirectory;
  /** The UDP port the request arrived on (LAN channels). */
  readonly localPort?: number;
  /** The transport's payload instances by payload type (RMCP+ sessions only). */
  readonly payloads?: (type: number) => PayloadInstances | undefined;
}
