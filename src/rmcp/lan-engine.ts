// The LAN transport without its socket (IPMI v2.0 sections 13 and 24): one
// datagram in, zero or one datagram out. RMCP/ASF ping, IPMI v1.5 sessions
// (Get Session Challenge, Activate Session, per-packet auth codes), RMCP+
// session setup (Open Session, RAKP 1-4) and the inbound pipeline of an
// RMCP+ session in the order phosphor-net-ipmid uses: parse, find session,
// check length, require integrity if negotiated, verify the MAC in constant
// time, check the sequence window, then decrypt and hand the payload to its
// payload handler. Nothing here throws past handle().
import { randomBytes } from 'node:crypto';
import { DecodeError } from '../bytes/index.js';
import { AuthType, Channel, NetFn, PayloadType, type PrivilegeLevel } from '../ipmi/constants.js';
import type { IpmiContext, PayloadInstances } from '../ipmi/context.js';
import type { CommandRegistry } from '../ipmi/registry.js';
import { RateLimitedLog, type Logger } from '../log.js';
import type { Bmc } from '../model/bmc.js';
import type { Clock } from '../model/clock.js';
import type { Host } from '../model/host.js';
import {
  additionalKey,
  aesCbcDecrypt,
  aesCbcEncrypt,
  AUTH_ALGOS,
  CONFIDENTIALITY_ALGOS,
  integrityMac,
  INTEGRITY_ALGOS,
  IvPool,
  rakp2AuthCode,
  rakp3AuthCode,
  rakp4Icv,
  safeEqual,
  sessionIntegrityKey,
  type RakpInputs,
} from './algorithms.js';
import { decodeLanRequest, encodeLanResponse, type LanRequest } from './ipmi-message.js';
import {
  ASF_IANA,
  AsfType,
  decodePacket,
  encodeAsfPong,
  encodeV15,
  encodeV20,
  MAX_DATAGRAM,
  splitTrailer,
  type V15Packet,
  type V20Packet,
} from './packet.js';
import {
  decodeOpenSessionRequest,
  decodeRakp1,
  decodeRakp3,
  encodeOpenSessionResponse,
  encodeRakp2,
  encodeRakp4,
  RakpStatus,
} from './rakp.js';
import { SequenceWindow, Session, SessionTable, type CloseReason, type SessionState } from './session.js';
import { effectiveKg, offeredSuites, v15AuthAllowed, v15AuthMask } from './policy.js';
import { LanStats, type DropReason } from './stats.js';
import {
  ActivateCC,
  authTypeBit,
  ChallengeCC,
  decodeActivateSession,
  decodeGetSessionChallenge,
  encodeActivateSessionResponse,
  encodeGetSessionChallengeResponse,
  v15AuthCode,
} from './v15.js';

export interface Peer {
  readonly address: string;
  readonly port: number;
}

export type SendFn = (datagram: Buffer, peer: Peer) => void;

/** Sends one payload of a session back to its console. */
export type PayloadReply = (payload: Uint8Array) => void;

/** How an inbound payload arrived (after verification and decryption). */
export interface PayloadInfo {
  readonly encrypted: boolean;
  readonly authenticated: boolean;
}

/** What the transport lends a payload handler for unsolicited output. */
export interface PayloadTransport {
  /** Sends one payload of the handler's type; `encrypted: false` sends it in clear in an encrypting session. */
  send(session: Session, payload: Uint8Array, opts?: { encrypted?: boolean }): void;
  /** The endpoint's sessions (to find the caller of a payload command). */
  readonly sessions: SessionTable;
  /** Discards the random IV bytes drawn ahead (Suspend/Resume Payload Encryption, regenerate IV). */
  regenerateIv?(): void;
}

/** A handler for one RMCP+ payload type inside an active session (IPMI = 0, SOL = 1). */
export interface PayloadHandler {
  readonly type: number;
  handle(session: Session, payload: Uint8Array, reply: PayloadReply, info: PayloadInfo): void | Promise<void>;
  /** Called once when registered. */
  attach?(transport: PayloadTransport): void;
  /** Called when any session of the endpoint closes. */
  sessionClosed?(session: Session): void;
  /** The payload's instances, for the payload commands (24.1-24.5). */
  readonly instances?: PayloadInstances;
}

export const AppCmd = {
  GetChannelAuthCapabilities: 0x38,
  GetSessionChallenge: 0x39,
  ActivateSession: 0x3a,
  GetChannelCipherSuites: 0x54,
} as const;

/** Commands answered outside a session (13.14); everything else session-less is dropped. */
const SESSIONLESS_COMMANDS = new Set([AppCmd.GetChannelAuthCapabilities, AppCmd.GetChannelCipherSuites]);

const EMPTY = new Uint8Array(0);

export interface LanEngineOptions {
  bmc: Bmc;
  host: Host;
  registry: CommandRegistry;
  log: Logger;
  clock: Clock;
  send: SendFn;
  /** The port the endpoint is bound to, for the commands that report it. */
  localPort?: () => number;
}

function minPriv(...levels: number[]): number {
  return Math.min(...levels);
}

export class LanEngine {
  readonly stats = new LanStats();
  readonly sessions: SessionTable;
  readonly #bmc: Bmc;
  readonly #host: Host;
  readonly #registry: CommandRegistry;
  readonly #log: Logger;
  readonly #warn: RateLimitedLog;
  readonly #clock: Clock;
  readonly #send: SendFn;
  readonly #payloads = new Map<number, PayloadHandler>();
  readonly #localPort: () => number;
  readonly #ivs = new IvPool();

  constructor(opts: LanEngineOptions) {
    this.#bmc = opts.bmc;
    this.#host = opts.host;
    this.#registry = opts.registry;
    this.#log = opts.log;
    this.#warn = new RateLimitedLog(opts.log);
    this.#clock = opts.clock;
    this.#send = opts.send;
    this.#localPort = opts.localPort ?? (() => 0);
    const sec = opts.bmc.security;
    this.sessions = new SessionTable(
      {
        maxSessions: () => sec.maxSessions,
        maxSessionsPerUser: () => sec.maxSessionsPerUser,
        idleTimeoutMs: () => sec.sessionTimeoutMs,
      },
      (s, reason, from) => this.#onClosed(s, reason, from),
    );
    this.addPayloadHandler({
      type: PayloadType.Ipmi,
      handle: (s, payload, reply) => this.#ipmiInSession(s, payload, reply),
    });
  }

  /** Registers the handler of a payload type (SOL adds itself here). */
  addPayloadHandler(h: PayloadHandler): void {
    this.#payloads.set(h.type, h);
    h.attach?.({
      send: (s, payload, opts) => this.sendPayload(s, h.type, payload, undefined, opts),
      sessions: this.sessions,
      regenerateIv: () => this.#ivs.reset(),
    });
  }

  /** Closes idle sessions; called by the shared sweep. */
  sweep(now = this.#clock.monotonic()): void {
    this.sessions.sweep(now);
  }

  /** Handles one datagram. Never throws; never rejects. */
  async handle(buf: Uint8Array, peer: Peer): Promise<void> {
    this.stats.packetsIn++;
    try {
      if (buf.length > MAX_DATAGRAM) return this.#drop('oversized', peer);
      // IPMI over LAN switched off (channel access mode disabled): silence
      if (this.#bmc.channels.access(Channel.Lan)?.accessMode === 'disabled') {
        this.stats.dropped['channel-disabled']++;
        return;
      }
      const p = decodePacket(buf);
      if (p.kind === 'asf') {
        if (p.iana !== ASF_IANA || p.type !== AsfType.Ping) return this.#drop('unsupported', peer);
        return this.#out(encodeAsfPong(p.tag), peer);
      }
      if (p.kind === 'v15') return await this.#v15(p, peer);
      return await this.#v20(p, buf, peer);
    } catch (err) {
      if (err instanceof DecodeError) return this.#drop('malformed', peer, err.message);
      this.#log.error('LAN packet handler failed', { err: err instanceof Error ? err.stack ?? err.message : String(err) });
      return this.#drop('internal', peer);
    }
  }

  close(): void {
    this.sessions.closeAll();
  }

  // ---- common -------------------------------------------------------------

  #drop(reason: DropReason, peer: Peer, detail?: string): void {
    this.stats.dropped[reason]++;
    this.#warn.warn(`${peer.address}:${peer.port}`, 'dropped LAN packet', detail ? { reason, detail } : { reason });
  }

  #out(datagram: Buffer, peer: Peer): void {
    this.stats.packetsOut++;
    this.#send(datagram, peer);
  }

  #onClosed(s: Session, reason: CloseReason, from: SessionState): void {
    // A console that got RAKP 2 and never sent RAKP 3 found our auth code
    // wrong, i.e. its password is wrong (ipmitool gives up silently there):
    // count it, or password guessing would never lock the account.
    if (reason === 'timeout' && s.protocol === 1 && from === 'rakp2-sent' && s.userId) {
      this.stats.authFailures++;
      this.#bmc.users.recordFailure(s.userId);
    }
    for (const h of this.#payloads.values()) h.sessionClosed?.(s);
    if (reason === 'timeout') this.stats.sessionsTimedOut++;
    else if (reason === 'closed') this.stats.sessionsClosed++;
    if (this.#log.enabled('debug')) this.#log.debug('session closed', { handle: s.handle, reason });
  }

  #context(session: Session | undefined): IpmiContext {
    return session
      ? {
          bmc: this.#bmc,
          host: this.#host,
          channel: Channel.Lan,
          localPort: this.#localPort(),
          privilege: session.privilege,
          session,
          sessions: this.sessions.viewFor(session),
          payloads: (type: number) => this.#payloads.get(type)?.instances,
        }
      : { bmc: this.#bmc, host: this.#host, channel: Channel.Lan, localPort: this.#localPort(), privilege: 0, sessions: this.sessions.viewFor(undefined) };
  }

  async #dispatch(req: LanRequest, session: Session | undefined): Promise<Buffer> {
    this.stats.commands++;
    const res = await this.#registry.dispatch(
      { netFn: req.netFn, cmd: req.cmd, lun: req.rsLun, data: req.data },
      this.#context(session),
      this.#log,
    );
    return encodeLanResponse(req, res.cc, res.data);
  }

  #samePeer(s: Session, peer: Peer): boolean {
    return s.remoteAddress === peer.address && s.remotePort === peer.port;
  }

  // ---- IPMI v1.5 ----------------------------------------------------------

  async #v15(p: V15Packet, peer: Peer): Promise<void> {
    if (p.sessionId === 0) {
      if (p.authType !== AuthType.None) return this.#drop('auth-type', peer);
      const req = this.#lanRequest(p.message, peer);
      if (!req) return;
      let reply: Uint8Array;
      if (req.netFn === NetFn.App && req.cmd === AppCmd.GetSessionChallenge) reply = this.#getSessionChallenge(req, peer);
      else if (req.netFn === NetFn.App && SESSIONLESS_COMMANDS.has(req.cmd as 0x38)) reply = await this.#dispatch(req, undefined);
      else return this.#drop('session-less-command', peer);
      return this.#out(encodeV15({ authType: AuthType.None, seq: 0, sessionId: 0, message: reply }), peer);
    }
    const s = this.sessions.get(p.sessionId);
    if (!s || s.protocol !== 0 || !this.#samePeer(s, peer)) return this.#drop('no-session', peer);
    if (p.authType !== s.authType) return this.#drop('auth-type', peer);
    if (s.authType !== AuthType.None) {
      const expect = v15AuthCode(s.authType, s.password16, s.id, p.message, p.seq);
      if (!expect || !p.authCode || !safeEqual(expect, p.authCode)) {
        if (s.state === 'challenged') this.#authFailed(s);
        return this.#drop('integrity', peer);
      }
    }
    if (s.state === 'challenged') return this.#activateSession(s, p, peer);
    if (!s.active) return this.#drop('wrong-state', peer);
    if (!s.inbound.accept(p.seq)) return this.#drop('sequence', peer);
    s.lastActivity = this.#clock.monotonic();
    const req = this.#lanRequest(p.message, peer);
    if (!req) return;
    const reply = await this.#dispatch(req, s);
    if (s.state === 'closed') return;
    this.#sendV15(s, reply, peer);
    if (s.closeAfterReply) this.sessions.end(s, 'closed');
  }

  #sendV15(s: Session, message: Uint8Array, peer: Peer, seq?: number): void {
    let q = seq;
    if (q === undefined) {
      q = s.outSeq;
      s.outSeq = (s.outSeq + 1) >>> 0 || 1;
    }
    const authCode = v15AuthCode(s.authType, s.password16, s.id, message, q);
    this.#out(encodeV15({ authType: s.authType, seq: q, sessionId: s.id, ...(authCode ? { authCode } : {}), message }), peer);
  }

  #lanRequest(message: Uint8Array, peer: Peer): LanRequest | undefined {
    try {
      return decodeLanRequest(message);
    } catch (err) {
      this.#drop('checksum', peer, err instanceof Error ? err.message : undefined);
      return undefined;
    }
  }

  /** Get Session Challenge (22.16): creates a challenged session. */
  #getSessionChallenge(req: LanRequest, peer: Peer): Buffer {
    const fail = (cc: number): Buffer => encodeLanResponse(req, cc, EMPTY);
    let r;
    try {
      r = decodeGetSessionChallenge(req.data);
    } catch {
      return fail(0xc7);
    }
    if (!v15AuthAllowed(this.#bmc, r.authType)) return fail(0xcc);
    const users = this.#bmc.users;
    const u = users.byName(r.userName);
    if (!u || (r.userName !== '' && u.name !== r.userName)) return fail(ChallengeCC.InvalidUserName);
    if (!u.enabled) return fail(r.userName === '' ? ChallengeCC.NullUserNotEnabled : ChallengeCC.InvalidUserName);
    const s = this.sessions.create({ protocol: 0, state: 'challenged', remoteAddress: peer.address, remotePort: peer.port, now: this.#clock.monotonic() });
    if (!s) return fail(0xc0);
    s.userId = u.id;
    s.authType = r.authType;
    s.challenge = randomBytes(16);
    s.password16 = users.key(u.id, 16);
    return encodeLanResponse(req, 0, encodeGetSessionChallengeResponse(s.id, s.challenge));
  }

  #authFailed(s: Session): void {
    this.stats.authFailures++;
    if (s.userId) this.#bmc.users.recordFailure(s.userId);
    this.sessions.end(s, 'failed');
  }

  /** Activate Session (22.17), authenticated with the challenged session's auth type. */
  #activateSession(s: Session, p: V15Packet, peer: Peer): void {
    const req = this.#lanRequest(p.message, peer);
    if (!req) return;
    if (req.netFn !== NetFn.App || req.cmd !== AppCmd.ActivateSession) return this.#drop('wrong-state', peer);
    // Answers before activation go out with sequence number 0; the success
    // reply carries the console's initial outbound number, which consoles
    // (FreeIPMI) take as the start of their inbound window.
    const reply = (cc: number, data: Uint8Array = EMPTY): void =>
      this.#sendV15(s, encodeLanResponse(req, cc, data), peer, 0);
    let a;
    try {
      a = decodeActivateSession(req.data);
    } catch {
      return reply(0xc7);
    }
    const users = this.#bmc.users;
    const u = users.get(s.userId);
    if (!u || !u.enabled || users.isLocked(s.userId) || !safeEqual(a.challenge, s.challenge)) {
      this.#authFailed(s);
      return this.#drop('integrity', peer);
    }
    if (a.authType !== s.authType || !(v15AuthMask(this.#bmc, a.maxPrivilege) & authTypeBit(a.authType))) return reply(0xcc);
    const access = users.access(s.userId, Channel.Lan);
    const channelLimit = this.#bmc.channels.access(Channel.Lan)?.privilegeLimit ?? 0;
    const limit = access.ipmiMessaging && access.privilege <= 5 ? minPriv(access.privilege, channelLimit) : 0;
    if (a.maxPrivilege > limit) return reply(ActivateCC.PrivilegeExceedsLimit);
    if (!this.sessions.userHasRoom(s.userId, s)) return reply(ActivateCC.NoSlotForUser);
    users.recordSuccess(s.userId);
    s.step('activate');
    s.establish(a.maxPrivilege as PrivilegeLevel);
    const inbound = (randomBytes(4).readUInt32LE(0) & 0x7fffffff) | 1;
    s.inbound = new SequenceWindow({ start: inbound - 1, behind: 8, ahead: 8 });
    s.outSeq = a.initialOutboundSeq >>> 0 || 1;
    s.lastActivity = this.#clock.monotonic();
    this.stats.sessionsOpened++;
    const data = encodeActivateSessionResponse({ authType: s.authType, sessionId: s.id, initialInboundSeq: inbound, maxPrivilege: a.maxPrivilege });
    this.#sendV15(s, encodeLanResponse(req, 0, data), peer);
  }

  // ---- IPMI v2.0 / RMCP+ -------------------------------------------------

  async #v20(p: V20Packet, raw: Uint8Array, peer: Peer): Promise<void> {
    if (p.sessionId === 0) {
      if (p.authenticated || p.encrypted || p.trailer.length !== 0) return this.#drop('unsupported', peer);
      switch (p.payloadType) {
        case PayloadType.OpenSessionRequest:
          return this.#openSession(p.payload, peer);
        case PayloadType.Rakp1:
          return this.#rakp1(p.payload, peer);
        case PayloadType.Rakp3:
          return this.#rakp3(p.payload, peer);
        case PayloadType.Ipmi: {
          const req = this.#lanRequest(p.payload, peer);
          if (!req) return;
          if (req.netFn !== NetFn.App || !SESSIONLESS_COMMANDS.has(req.cmd as 0x38)) return this.#drop('session-less-command', peer);
          const reply = await this.#dispatch(req, undefined);
          return this.#out(encodeV20({ encrypted: false, payloadType: PayloadType.Ipmi, sessionId: 0, seq: 0, payload: reply, macLength: 0 }), peer);
        }
        default:
          return this.#drop('unsupported', peer);
      }
    }
    // 1. find the session
    const s = this.sessions.get(p.sessionId);
    if (!s || s.protocol !== 1 || !this.#samePeer(s, peer)) return this.#drop('no-session', peer);
    if (!s.active) return this.#drop('wrong-state', peer);
    const integ = s.integrity!;
    const conf = s.confidentiality!;
    const keys = s.keys!;
    // 2. length and integrity required if negotiated
    if (integ.macLength > 0 && !p.authenticated) return this.#drop('integrity-required', peer);
    // IPMI messages always carry the negotiated encryption; a SOL instance may
    // run in clear (activated so, or suspended: 24.3) and its handler decides
    if (conf.blockSize > 0 && !p.encrypted && p.payloadType === PayloadType.Ipmi) return this.#drop('integrity-required', peer);
    if (p.encrypted && conf.blockSize === 0) return this.#drop('unsupported', peer);
    if (p.authenticated) {
      if (integ.macLength === 0) return this.#drop('unsupported', peer);
      // 3. verify the MAC in constant time
      const t = splitTrailer(raw, p, integ.macLength);
      if (!t) return this.#drop('malformed', peer);
      const mac = integrityMac(integ, keys.k1, raw, p.sessionStart, t.coveredEnd);
      if (!safeEqual(mac, t.authCode)) return this.#drop('integrity', peer);
      if (!s.inbound.accept(p.seq)) return this.#drop('sequence', peer);
    } else {
      if (p.trailer.length !== 0) return this.#drop('malformed', peer);
      if (!s.inboundPlain.accept(p.seq)) return this.#drop('sequence', peer);
    }
    // 4. decrypt
    let payload: Uint8Array = p.payload;
    if (p.encrypted) {
      const plain = aesCbcDecrypt(keys.k2, p.payload);
      if (!plain) return this.#drop('decrypt', peer);
      payload = plain;
    }
    s.lastActivity = this.#clock.monotonic();
    const h = this.#payloads.get(p.payloadType);
    if (!h) return this.#drop('unsupported', peer);
    await h.handle(s, payload, (out) => this.sendPayload(s, p.payloadType, out, peer), { encrypted: p.encrypted, authenticated: p.authenticated });
  }

  /** Sends one payload in an RMCP+ session, protected as negotiated. */
  sendPayload(
    s: Session,
    payloadType: number,
    payload: Uint8Array,
    peer: Peer = { address: s.remoteAddress, port: s.remotePort },
    opts: { encrypted?: boolean } = {},
  ): void {
    const keys = s.keys;
    if (!s.active || !keys) return;
    const integ = s.integrity!;
    const conf = s.confidentiality!;
    const encrypted = conf.blockSize > 0 && opts.encrypted !== false;
    const body = encrypted ? aesCbcEncrypt(keys.k2, this.#ivs.next(), payload) : payload;
    let seq: number;
    if (integ.macLength > 0) {
      seq = s.outSeq;
      s.outSeq = (s.outSeq + 1) >>> 0 || 1;
    } else {
      seq = s.outSeqPlain;
      s.outSeqPlain = (s.outSeqPlain + 1) >>> 0 || 1;
    }
    const datagram = encodeV20({
      encrypted,
      payloadType,
      sessionId: s.consoleSessionId,
      seq,
      payload: body,
      macLength: integ.macLength,
      sign: (pkt, start, end) => integrityMac(integ, keys.k1, pkt, start, end),
    });
    this.#out(datagram, peer);
  }

  async #ipmiInSession(s: Session, payload: Uint8Array, reply: PayloadReply): Promise<void> {
    const peer = { address: s.remoteAddress, port: s.remotePort };
    const req = this.#lanRequest(payload, peer);
    if (!req) return;
    const out = await this.#dispatch(req, s);
    if (!s.active) return;
    reply(out);
    if (s.closeAfterReply) this.sessions.end(s, 'closed');
  }

  #sendSetup(payloadType: number, payload: Uint8Array, peer: Peer): void {
    this.#out(encodeV20({ encrypted: false, payloadType, sessionId: 0, seq: 0, payload, macLength: 0 }), peer);
  }

  /** Open Session Request (13.17) → Open Session Response (13.18). */
  #openSession(payload: Uint8Array, peer: Peer): void {
    const req = decodeOpenSessionRequest(payload);
    const fail = (status: number): void =>
      this.#sendSetup(PayloadType.OpenSessionResponse, encodeOpenSessionResponse({ tag: req.tag, status, maxPrivilege: 0, consoleSessionId: req.consoleSessionId }), peer);
    if (req.maxPrivilege > 5) return fail(RakpStatus.InvalidRole);
    if (req.consoleSessionId === 0) return fail(RakpStatus.InvalidSessionId);
    if (!AUTH_ALGOS.has(req.auth)) return fail(RakpStatus.InvalidAuthAlgorithm);
    if (!INTEGRITY_ALGOS.has(req.integrity)) return fail(RakpStatus.InvalidIntegrityAlgorithm);
    if (!CONFIDENTIALITY_ALGOS.has(req.confidentiality)) return fail(RakpStatus.InvalidConfidentialityAlgorithm);
    const suite = offeredSuites(this.#bmc).find(
      (c) => c.auth === req.auth && c.integrity === req.integrity && c.confidentiality === req.confidentiality,
    );
    if (!suite) return fail(RakpStatus.NoCipherSuiteMatch);
    const s = this.sessions.create({ protocol: 1, state: 'opened', remoteAddress: peer.address, remotePort: peer.port, now: this.#clock.monotonic() });
    if (!s) return fail(RakpStatus.InsufficientResources);
    // The highest level the proposed algorithms allow on this channel (13.18 byte 3).
    const allowed = minPriv(this.#bmc.lan.suitePrivilege(suite.id) ?? 0, this.#bmc.channels.access(Channel.Lan)?.privilegeLimit ?? 0);
    s.consoleSessionId = req.consoleSessionId;
    s.cipherSuite = suite.id;
    s.auth = AUTH_ALGOS.get(suite.auth)!;
    s.integrity = INTEGRITY_ALGOS.get(suite.integrity)!;
    s.confidentiality = CONFIDENTIALITY_ALGOS.get(suite.confidentiality)!;
    this.#sendSetup(
      PayloadType.OpenSessionResponse,
      encodeOpenSessionResponse({
        tag: req.tag,
        status: 0,
        maxPrivilege: req.maxPrivilege === 0 ? allowed : Math.min(req.maxPrivilege, allowed),
        consoleSessionId: req.consoleSessionId,
        bmcSessionId: s.id,
        auth: suite.auth,
        integrity: suite.integrity,
        confidentiality: suite.confidentiality,
      }),
      peer,
    );
  }

  #rakpInputs(s: Session): RakpInputs {
    return {
      consoleSessionId: s.consoleSessionId,
      bmcSessionId: s.id,
      consoleRandom: s.consoleRandom,
      bmcRandom: s.bmcRandom,
      bmcGuid: this.#bmc.device.guid,
      role: s.role,
      userName: s.userName,
    };
  }

  /**
   * RAKP 1 (13.20) → RAKP 2 (13.21): user lookup (name-only or by role),
   * privilege limits (user on this channel, channel, cipher suite), session
   * limits; then the BMC random number and the key exchange auth code.
   */
  #rakp1(payload: Uint8Array, peer: Peer): void {
    if (payload.length < 8) return this.#drop('malformed', peer);
    const tag = payload[0]!;
    const sid = Buffer.from(payload.buffer, payload.byteOffset, payload.length).readUInt32LE(4);
    const s = this.sessions.get(sid);
    const reply = (status: number, consoleSessionId: number, rest?: { bmcRandom: Uint8Array; bmcGuid: Uint8Array; authCode: Uint8Array }): void =>
      this.#sendSetup(PayloadType.Rakp2, encodeRakp2({ tag, status, consoleSessionId, ...rest }), peer);
    if (!s || s.protocol !== 1 || !this.#samePeer(s, peer) || (s.state !== 'opened' && s.state !== 'rakp2-sent')) {
      return reply(RakpStatus.InvalidSessionId, 0);
    }
    const failSession = (status: number): void => {
      const cid = s.consoleSessionId;
      this.sessions.end(s, 'failed');
      reply(status, cid);
    };
    if (payload.length >= 28 && payload[27]! > 16) return failSession(RakpStatus.InvalidNameLength);
    const r = decodeRakp1(payload);
    s.step('rakp1');
    s.lastActivity = this.#clock.monotonic();
    const requested = r.role & 0x0f;
    const nameOnly = (r.role & 0x10) !== 0;
    if (requested > 5) return failSession(RakpStatus.InvalidRole);
    const users = this.#bmc.users;
    const name = Buffer.from(r.userName).toString('latin1');
    const u = users.byName(name);
    if (!u || (name !== '' && u.name !== name) || !u.enabled) {
      this.stats.authFailures++;
      return failSession(RakpStatus.UnauthorizedName);
    }
    const access = users.access(u.id, Channel.Lan);
    const channel = this.#bmc.channels.access(Channel.Lan);
    if (!access.ipmiMessaging || access.privilege > 5 || !channel || channel.accessMode === 'disabled') {
      this.stats.authFailures++;
      return failSession(RakpStatus.UnauthorizedName);
    }
    if (!nameOnly && requested !== 0 && access.privilege !== requested) {
      this.stats.authFailures++;
      return failSession(RakpStatus.UnauthorizedName);
    }
    const limit = minPriv(access.privilege, channel.privilegeLimit, this.#bmc.lan.suitePrivilege(s.cipherSuite ?? -1) ?? 0);
    if (limit < 1 || requested > limit) return failSession(RakpStatus.UnauthorizedRole);
    if (!this.sessions.userHasRoom(u.id, s)) return failSession(RakpStatus.InsufficientResourcesForRole);
    s.userId = u.id;
    s.userName = Uint8Array.from(r.userName);
    s.role = r.role;
    s.consoleRandom = Uint8Array.from(r.consoleRandom);
    s.bmcRandom = randomBytes(16);
    s.establish((requested === 0 ? limit : requested) as PrivilegeLevel);
    const kuid = users.key(u.id, 20);
    const authCode = rakp2AuthCode(s.auth!, kuid, this.#rakpInputs(s));
    kuid.fill(0);
    reply(RakpStatus.NoErrors, s.consoleSessionId, { bmcRandom: s.bmcRandom, bmcGuid: this.#bmc.device.guid, authCode });
  }

  /** RAKP 3 (13.22) → RAKP 4 (13.23): verify the console's auth code, derive SIK, K1, K2. */
  #rakp3(payload: Uint8Array, peer: Peer): void {
    const r = decodeRakp3(payload);
    const s = this.sessions.get(r.bmcSessionId);
    const reply = (status: number, consoleSessionId: number, icv?: Uint8Array): void =>
      this.#sendSetup(PayloadType.Rakp4, encodeRakp4({ tag: r.tag, status, consoleSessionId, ...(icv ? { icv } : {}) }), peer);
    if (!s || s.protocol !== 1 || !this.#samePeer(s, peer) || s.state !== 'rakp2-sent') return reply(RakpStatus.InvalidSessionId, 0);
    const cid = s.consoleSessionId;
    const users = this.#bmc.users;
    const u = users.get(s.userId);
    const auth = s.auth!;
    const inputs = this.#rakpInputs(s);
    const kuid = users.key(s.userId, 20);
    const expect = rakp3AuthCode(auth, kuid, inputs);
    const ok = r.status === RakpStatus.NoErrors && safeEqual(expect, r.authCode);
    if (!ok || !u || !u.enabled || users.isLocked(s.userId)) {
      kuid.fill(0);
      this.#authFailed(s);
      return reply(RakpStatus.InvalidIntegrityCheckValue, cid);
    }
    if (!this.sessions.userHasRoom(s.userId, s)) {
      kuid.fill(0);
      this.sessions.end(s, 'failed');
      return reply(RakpStatus.InsufficientResourcesForRole, cid);
    }
    const kg = effectiveKg(this.#bmc.security.kg) ?? kuid;
    const sik = sessionIntegrityKey(auth, kg, inputs);
    const icv = rakp4Icv(auth, sik, inputs);
    s.setKeys({ sik, k1: additionalKey(auth, sik, 0x01), k2: additionalKey(auth, sik, 0x02) });
    kuid.fill(0);
    if (kg !== kuid) kg.fill(0);
    users.recordSuccess(s.userId);
    s.step('rakp3-ok');
    s.lastActivity = this.#clock.monotonic();
    this.stats.sessionsOpened++;
    reply(RakpStatus.NoErrors, cid, icv);
  }
}
