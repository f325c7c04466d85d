// Session-related App commands (IPMI v2.0 sections 22.13-22.20, 22.25 and
// 22.15 Get Channel Cipher Suites, privileges per appendix G): Get Channel
// Authentication Capabilities, Get Session Challenge and Activate Session
// (answered by the LAN transport; here they only refuse use inside a
// session), Set Session Privilege Level, Close Session, Get Session Info,
// Get Channel Cipher Suites and Set Channel Security Keys.
import { isIPv4 } from 'node:net';
import { Writer } from '../../bytes/index.js';
import { effectiveKg, offeredSuites, v15AuthMask } from '../../rmcp/policy.js';
import { CC, Channel, NetFn, Privilege, type PrivilegeLevel } from '../constants.js';
import type { IpmiContext, SessionSummary } from '../context.js';
import { IpmiError } from '../errors.js';
import { command } from '../registry.js';

const EMPTY = new Uint8Array(0);

/** A channel number from a request: 0Eh means the channel the request came in on (6.3). */
function resolveChannel(n: number, ctx: IpmiContext): number {
  return n === Channel.Current ? ctx.channel : n;
}

/** The LAN channel is the only one with sessions and cipher suites here. */
function requireLanChannel(n: number, ctx: IpmiContext): number {
  const ch = resolveChannel(n, ctx);
  if (ch !== ctx.bmc.lan.channel) throw new IpmiError(CC.InvalidDataField, undefined, 'not a LAN channel');
  return ch;
}

/** Login status bits of Get Channel Authentication Capabilities byte 3 (22.13). */
function loginStatus(ctx: IpmiContext): number {
  let bits = 0;
  for (const u of ctx.bmc.users.all()) {
    if (!u.enabled) continue;
    if (u.id === 1 && u.name === '') bits |= u.password.length === 0 ? 0x01 : 0x02;
    else if (u.name !== '') bits |= 0x04;
  }
  return bits;
}

/**
 * Get Channel Authentication Capabilities (22.13)
 * request:  [bit7 get v2.0 extended data, 3:0 channel][3:0 requested max privilege]
 * response: [channel][bit7 v2.0 ext available, 5:0 v1.5 auth types][5 K_g set, 4 per-msg auth off,
 *           3 user-level auth off, 2:0 login status][ext: bit1 v2.0, bit0 v1.5][OEM IANA 3][OEM aux]
 */
const getChannelAuthCapabilities = command({
  netFn: NetFn.App,
  cmd: 0x38,
  name: 'Get Channel Authentication Capabilities',
  privilege: Privilege.None,
  section: 'IPMI 2.0 22.13',
  decode(r) {
    const b1 = r.u8();
    const b2 = r.u8();
    r.end();
    return { extended: (b1 & 0x80) !== 0, channel: b1 & 0x0f, privilege: b2 & 0x0f };
  },
  handle(req, ctx) {
    const ch = requireLanChannel(req.channel, ctx);
    if (req.privilege < Privilege.Callback || req.privilege > Privilege.Oem) throw new IpmiError(CC.InvalidDataField);
    const access = ctx.bmc.channels.access(ch);
    const sec = ctx.bmc.security;
    const byte3 =
      (effectiveKg(sec.kg) ? 0x20 : 0) |
      (access && !access.perMessageAuth ? 0x10 : 0) |
      (access && !access.userLevelAuth ? 0x08 : 0) |
      loginStatus(ctx);
    const ext = req.extended ? 0x02 | (sec.allowIpmi15 ? 0x01 : 0) : 0;
    return new Writer(8).u8(ch).u8(0x80 | v15AuthMask(ctx.bmc, req.privilege)).u8(byte3).u8(ext).zeros(3).u8(0).finish();
  },
});

/**
 * Get Channel Cipher Suites (22.15)
 * request:  [3:0 channel][5:0 payload type][bit7 list by cipher suite, 5:0 list index]
 * response: [channel][up to 16 bytes of the record list starting at index*16]
 * records by suite: [C0h][suite id][00h|auth][40h|integrity][80h|confidentiality]
 */
const getChannelCipherSuites = command({
  netFn: NetFn.App,
  cmd: 0x54,
  name: 'Get Channel Cipher Suites',
  privilege: Privilege.None,
  section: 'IPMI 2.0 22.15',
  decode(r) {
    const channel = r.u8() & 0x0f;
    const payloadType = r.u8() & 0x3f;
    const b3 = r.u8();
    r.end();
    return { channel, payloadType, bySuite: (b3 & 0x80) !== 0, index: b3 & 0x3f };
  },
  handle(req, ctx) {
    const ch = requireLanChannel(req.channel, ctx);
    if (req.payloadType > 0x01) throw new IpmiError(CC.InvalidDataField, undefined, 'payload type');
    const suites = offeredSuites(ctx.bmc);
    const records: number[] = [];
    if (req.bySuite) {
      for (const s of suites) records.push(0xc0, s.id, s.auth, 0x40 | s.integrity, 0x80 | s.confidentiality);
    } else {
      const seen = new Set<number>();
      for (const tagged of [
        ...suites.map((s) => s.auth),
        ...suites.map((s) => 0x40 | s.integrity),
        ...suites.map((s) => 0x80 | s.confidentiality),
      ]) {
        if (!seen.has(tagged)) {
          seen.add(tagged);
          records.push(tagged);
        }
      }
    }
    return Uint8Array.from([ch, ...records.slice(req.index * 16, req.index * 16 + 16)]);
  },
});

/** Get Session Challenge (22.16): the transport answers it outside a session; inside one it is refused. */
const getSessionChallenge = command({
  netFn: NetFn.App,
  cmd: 0x39,
  name: 'Get Session Challenge',
  privilege: Privilege.None,
  section: 'IPMI 2.0 22.16',
  decode(r) {
    r.rest();
    return {};
  },
  handle() {
    throw new IpmiError(CC.NotSupportedInPresentState);
  },
});

/** Activate Session (22.17): handled by the transport with the challenged session. */
const activateSession = command({
  netFn: NetFn.App,
  cmd: 0x3a,
  name: 'Activate Session',
  privilege: Privilege.None,
  section: 'IPMI 2.0 22.17',
  decode(r) {
    r.rest();
    return {};
  },
  handle() {
    throw new IpmiError(CC.NotSupportedInPresentState);
  },
});

export const SetSessionPrivilegeCC = { NotAvailableForUser: 0x80, ExceedsLimit: 0x81 } as const;

/**
 * Set Session Privilege Level (22.18)
 * request:  [3:0 requested level; 0 = return the present level]
 * response: [3:0 new present level]
 */
const setSessionPrivilegeLevel = command({
  netFn: NetFn.App,
  cmd: 0x3b,
  name: 'Set Session Privilege Level',
  privilege: Privilege.Callback,
  section: 'IPMI 2.0 22.18',
  decode(r) {
    const level = r.u8() & 0x0f;
    r.end();
    return { level };
  },
  handle(req, ctx) {
    const s = ctx.session;
    if (!s) throw new IpmiError(CC.NotSupportedInPresentState);
    if (req.level === 0) return Uint8Array.of(s.privilege);
    if (req.level < Privilege.Callback || req.level > Privilege.Oem) throw new IpmiError(CC.InvalidDataField);
    const user = ctx.bmc.users.access(s.userId, s.channel).privilege;
    const channel = ctx.bmc.channels.access(s.channel)?.privilegeLimit ?? 0;
    if (req.level > Math.min(user, channel)) throw new IpmiError(SetSessionPrivilegeCC.ExceedsLimit);
    if (req.level > s.maxPrivilege) throw new IpmiError(SetSessionPrivilegeCC.NotAvailableForUser);
    s.setPrivilege(req.level as PrivilegeLevel);
    return Uint8Array.of(req.level);
  },
});

export const CloseSessionCC = { InvalidSessionId: 0x87, InvalidHandle: 0x88 } as const;

/**
 * Close Session (22.19)
 * request: [session id 4 LE][session handle, present only when the id is 0]
 * Closing another user's session needs Administrator.
 */
const closeSession = command({
  netFn: NetFn.App,
  cmd: 0x3c,
  name: 'Close Session',
  privilege: Privilege.Callback,
  section: 'IPMI 2.0 22.19',
  decode(r) {
    const id = r.u32le();
    const handle = id === 0 ? r.u8() : undefined;
    r.end();
    return { id, handle };
  },
  handle(req, ctx) {
    const dir = ctx.sessions;
    if (!dir) throw new IpmiError(CC.NotSupportedInPresentState);
    const list = dir.list();
    const target = req.id !== 0 ? list.find((s) => s.id === req.id) : list.find((s) => s.handle === req.handle);
    if (!target) throw new IpmiError(req.id !== 0 ? CloseSessionCC.InvalidSessionId : CloseSessionCC.InvalidHandle);
    if (target.id !== ctx.session?.id && ctx.privilege < Privilege.Administrator) throw new IpmiError(CC.InsufficientPrivilege);
    dir.close(req.id !== 0 ? { id: req.id } : { handle: target.handle });
    return EMPTY;
  },
});

function ipv4Bytes(address: string): number[] {
  const a = address.startsWith('::ffff:') ? address.slice(7) : address;
  if (!isIPv4(a)) return [0, 0, 0, 0];
  return a.split('.').map((x) => Number(x) & 0xff);
}

/** Session details for Get Session Info bytes 4.. (22.20), with 802.3 LAN channel data. */
function sessionDetails(s: SessionSummary): number[] {
  const mac = s.remoteMac ? [...s.remoteMac.subarray(0, 6)] : [0, 0, 0, 0, 0, 0];
  while (mac.length < 6) mac.push(0);
  return [
    s.userId & 0x3f,
    s.privilege & 0x0f,
    ((s.protocol & 0x0f) << 4) | (s.channel & 0x0f),
    ...ipv4Bytes(s.remoteAddress),
    ...mac,
    s.remotePort & 0xff,
    (s.remotePort >> 8) & 0xff,
  ];
}

/**
 * Get Session Info (22.20)
 * request:  [index: 00h = this session, 01h-3Fh = Nth active, FEh = by handle (+ handle), FFh = by id (+ id 4 LE)]
 * response: [handle][3:0 possible sessions][active sessions][user id][privilege]
 *           [7:4 protocol aux (1 = v2.0), 3:0 channel][console IP 4, MS first][console MAC 6][console port 2, LS first]
 * An index with no active session gets only the first three bytes, handle 00h.
 */
const getSessionInfo = command({
  netFn: NetFn.App,
  cmd: 0x3d,
  name: 'Get Session Info',
  privilege: Privilege.User,
  section: 'IPMI 2.0 22.20',
  decode(r) {
    const index = r.u8();
    let handle: number | undefined;
    let id: number | undefined;
    if (index === 0xfe) handle = r.u8();
    else if (index === 0xff) id = r.u32le();
    r.end();
    return { index, handle, id };
  },
  handle(req, ctx) {
    const dir = ctx.sessions;
    if (!dir) throw new IpmiError(CC.NotSupportedInPresentState);
    const list = dir.list();
    const head = [0, dir.capacity & 0x3f, list.length & 0x3f];
    let s: SessionSummary | undefined;
    if (req.index === 0) {
      if (!ctx.session) throw new IpmiError(CC.InvalidDataField);
      s = list.find((x) => x.id === ctx.session!.id) ?? ctx.session;
    } else if (req.index === 0xfe) {
      s = list.find((x) => x.handle === req.handle);
      if (!s) throw new IpmiError(CC.InvalidDataField);
    } else if (req.index === 0xff) {
      s = list.find((x) => x.id === req.id);
      if (!s) throw new IpmiError(CC.InvalidDataField);
    } else {
      if (req.index > 0x3f || req.index > dir.capacity) throw new IpmiError(CC.InvalidDataField);
      s = list[req.index - 1];
      if (!s) return Uint8Array.from(head);
    }
    head[0] = s.handle;
    return Uint8Array.from([...head, ...sessionDetails(s)]);
  },
});

export const SecurityKeysCC = { Locked: 0x80, TooFewBytes: 0x81, TooManyBytes: 0x82 } as const;

/**
 * Set Channel Security Keys (22.25)
 * request:  [3:0 channel][1:0 operation: 0 read, 1 set, 2 lock][key id: 0 K_R, 1 K_G][key value 20, set only]
 * response: [lock status: 00h not lockable][key value 20, read only]
 * K_G is supported; it is not lockable.
 */
const setChannelSecurityKeys = command({
  netFn: NetFn.App,
  cmd: 0x56,
  name: 'Set Channel Security Keys',
  privilege: Privilege.Administrator,
  section: 'IPMI 2.0 22.25',
  decode(r) {
    const channel = r.u8() & 0x0f;
    const operation = r.u8() & 0x03;
    const keyId = r.u8();
    const value = r.rest();
    return { channel, operation, keyId, value };
  },
  handle(req, ctx) {
    requireLanChannel(req.channel, ctx);
    if (req.keyId !== 1) throw new IpmiError(CC.InvalidDataField, undefined, 'only K_G is supported');
    const sec = ctx.bmc.security;
    switch (req.operation) {
      case 0: {
        if (req.value.length !== 0) throw new IpmiError(CC.RequestLengthInvalid);
        const key = Buffer.alloc(20);
        key.set(sec.kg.subarray(0, 20));
        return Uint8Array.from([0, ...key]);
      }
      case 1:
        if (req.value.length < 20) throw new IpmiError(SecurityKeysCC.TooFewBytes);
        if (req.value.length > 20) throw new IpmiError(SecurityKeysCC.TooManyBytes);
        ctx.bmc.setKg(Uint8Array.from(req.value));
        return Uint8Array.of(0);
      default:
        throw new IpmiError(CC.InvalidDataField, undefined, 'key not lockable');
    }
  },
});

/** The session commands, for CommandRegistry.register. */
export const sessionCommands = [
  getChannelAuthCapabilities,
  getSessionChallenge,
  activateSession,
  setSessionPrivilegeLevel,
  closeSession,
  getSessionInfo,
  getChannelCipherSuites,
  setChannelSecurityKeys,
] as const;
