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
}
