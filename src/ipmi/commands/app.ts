// App commands (NetFn 06h): device identity, resets and self test (IPMI v2.0
// 20), ACPI power state and GUIDs (20.6-20.8, 22.14), the BMC watchdog timer
// (27), global enables and message flags (22.1-22.8), channel and user
// administration (22.22-22.30) and payload access (24.6-24.10). The session
// commands (38h-3Dh, 54h, 56h) and SOL activation (48h-4Bh) live elsewhere.
import type { Reader } from '../../bytes/index.js';
import { Writer } from '../../bytes/index.js';
import type { AccessMode, ChannelAccess } from '../../model/channels.js';
import type { WatchdogSettings } from '../../model/watchdog.js';
import { MAX_USER_NAME, type ChannelUserAccess } from '../../model/users.js';
import { bcd, check, fail, invalidField, reserved, resolveChannel } from '../app-fields.js';
import { CC, Channel, NetFn, PayloadType, Privilege, type PrivilegeLevel } from '../constants.js';
import type { IpmiContext } from '../context.js';
import { command, type CommandDef } from '../registry.js';

const EMPTY = new Uint8Array(0);

/** IANA enterprise number of the IPMI forum (7154), as Get Channel Info reports it. */
const IPMI_IANA = 7154;

const Cmd = {
  GetDeviceId: 0x01,
  ColdReset: 0x02,
  WarmReset: 0x03,
  GetSelfTestResults: 0x04,
  SetAcpiPowerState: 0x06,
  GetAcpiPowerState: 0x07,
  GetDeviceGuid: 0x08,
  ResetWatchdogTimer: 0x22,
  SetWatchdogTimer: 0x24,
  GetWatchdogTimer: 0x25,
  SetBmcGlobalEnables: 0x2e,
  GetBmcGlobalEnables: 0x2f,
  ClearMessageFlags: 0x30,
  GetMessageFlags: 0x31,
  ReadEventMessageBuffer: 0x35,
  GetSystemGuid: 0x37,
  SetChannelAccess: 0x40,
  GetChannelAccess: 0x41,
  GetChannelInfo: 0x42,
  SetUserAccess: 0x43,
  GetUserAccess: 0x44,
  SetUserName: 0x45,
  GetUserName: 0x46,
  SetUserPassword: 0x47,
  SetUserPayloadAccess: 0x4c,
  GetUserPayloadAccess: 0x4d,
  GetChannelPayloadSupport: 0x4e,
  GetChannelPayloadVersion: 0x4f,
  GetChannelOemPayloadInfo: 0x50,
} as const;

/** Command-specific completion codes. */
const AppCC = {
  /** Reset Watchdog Timer: attempt to start an un-initialized watchdog. */
  WatchdogNotInitialized: 0x80,
  /** Read Event Message Buffer: buffer empty. */
  EventBufferEmpty: 0x80,
  /** Set User Password test: password incorrect / wrong size. */
  PasswordMismatch: 0x80,
  PasswordWrongSize: 0x81,
  /** Set/Get Channel Access on a session-less channel. */
  ChannelAccessNotSupported: 0x82,
  /** Get Channel Payload Version / OEM Payload Info: payload type not available. */
  PayloadNotAvailable: 0x80,
} as const;

function noData(r: Reader): void {
  r.end();
}

/**
 * Commands appendix G lists as "local only": they act on the system
 * interface's own message flags and event message buffer, so on any other
 * channel (a LAN session) no privilege is enough: 0xD4, as OpenIPMI's
 * ipmi_sim answers. Called first in decode, so the refusal comes before
 * any check of the request's bytes.
 */
function systemInterfaceOnly(ctx: IpmiContext): void {
  if (ctx.channel !== Channel.SystemInterface) fail(CC.InsufficientPrivilege, 'system interface only');
}

// ---- device ------------------------------------------------------------------

/*
 * Get Device ID (20.1). Request: none. Response:
 *   1     Device ID
 *   2     [7] device provides device SDRs, [3:0] device revision
 *   3     [7] device available (0 = normal operation), [6:0] firmware major revision
 *   4     firmware minor revision, BCD
 *   5     IPMI version, BCD, low nibble major: 02h = 2.0
 *   6     additional device support: [7] chassis, [6] bridge, [5] IPMB event
 *         generator, [4] IPMB event receiver, [3] FRU inventory, [2] SEL,
 *         [1] SDR repository, [0] sensor device
 *   7:9   manufacturer ID, 20 bits, LS byte first
 *   10:11 product ID, LS byte first
 *   12:15 auxiliary firmware revision
 */
const DEVICE_SUPPORT = 0x80 | 0x20 | 0x10 | 0x08 | 0x04 | 0x02 | 0x01;

export function encodeDeviceId(ctx: IpmiContext): Uint8Array {
  const d = ctx.bmc.device;
  return new Writer(15)
    .u8(d.deviceId)
    .u8(d.deviceRevision & 0x0f)
    .u8(d.firmwareMajor & 0x7f)
    .u8(bcd(d.firmwareMinor))
    .u8(0x02)
    .u8(DEVICE_SUPPORT)
    .u24le(d.manufacturerId & 0xfffff)
    .u16le(d.productId)
    .bytes(d.auxFirmware)
    .finish();
}

/*
 * ACPI power state (20.6, 20.7).
 * Set request: 1 [7] set system state, [6:0] system power state;
 *              2 [7] set device state, [6:0] device power state.
 * Get response: 1 [6:0] system power state; 2 [6:0] device power state.
 * System states: 00h-0Ah (S0/G0 .. S5 override), 20h legacy on, 21h legacy
 * off, 2Ah unknown; device states 00h-03h (D0-D3), 2Ah unknown; 7Fh = no change.
 */
const ACPI_NO_CHANGE = 0x7f;
const ACPI_SYSTEM_STATES: ReadonlySet<number> = new Set([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0x0a, 0x20, 0x21, 0x2a, ACPI_NO_CHANGE]);
const ACPI_DEVICE_STATES: ReadonlySet<number> = new Set([0, 1, 2, 3, 0x2a, ACPI_NO_CHANGE]);

interface AcpiRequest {
  system?: number;
  device?: number;
}

function decodeSetAcpi(r: Reader): AcpiRequest {
  const s = r.u8();
  const d = r.u8();
  r.end();
  const out: AcpiRequest = {};
  if (s & 0x80) {
    check(ACPI_SYSTEM_STATES.has(s & 0x7f), 'system power state');
    if ((s & 0x7f) !== ACPI_NO_CHANGE) out.system = s & 0x7f;
  }
  if (d & 0x80) {
    check(ACPI_DEVICE_STATES.has(d & 0x7f), 'device power state');
    if ((d & 0x7f) !== ACPI_NO_CHANGE) out.device = d & 0x7f;
  }
  return out;
}

// ---- watchdog ------------------------------------------------------------------

/*
 * Set Watchdog Timer (27.6). Request:
 *   1   [7] don't log, [6] don't stop timer on Set, [5:3] reserved,
 *       [2:0] timer use: 1 BIOS FRB2, 2 BIOS/POST, 3 OS load, 4 SMS/OS, 5 OEM
 *   2   [7] reserved, [6:4] pre-timeout interrupt: 0 none, 1 SMI, 2 NMI/diagnostic,
 *       3 messaging; [3] reserved, [2:0] timeout action: 0 none, 1 hard reset,
 *       2 power down, 3 power cycle
 *   3   pre-timeout interval, seconds
 *   4   timer use expiration flags clear: [5] OEM, [4] SMS/OS, [3] OS load,
 *       [2] BIOS/POST, [1] BIOS FRB2; [7:6] and [0] reserved
 *   5:6 initial countdown, 100 ms units, LS byte first
 */
interface SetWatchdogRequest {
  settings: WatchdogSettings;
  dontStop: boolean;
  clearFlags: number;
}

function decodeSetWatchdog(r: Reader): SetWatchdogRequest {
  const use = r.u8();
  const actions = r.u8();
  const preTimeoutSeconds = r.u8();
  const clearFlags = r.u8();
  const initialCountdown = r.u16le();
  r.end();
  reserved(use, 0x38, 'timer use');
  reserved(actions, 0x88, 'timer actions');
  reserved(clearFlags, 0xc1, 'expiration flags');
  const timerUse = use & 0x07;
  check(timerUse >= 1 && timerUse <= 5, 'timer use');
  const preTimeoutInterrupt = (actions >> 4) & 0x07;
  check(preTimeoutInterrupt <= 3, 'pre-timeout interrupt');
  const action = actions & 0x07;
  check(action <= 3, 'timeout action');
  // The pre-timeout interrupt fires inside the countdown, so it cannot be longer.
  check(preTimeoutSeconds * 10 <= initialCountdown, 'pre-timeout interval longer than countdown');
  return {
    settings: { timerUse, dontLog: (use & 0x80) !== 0, preTimeoutInterrupt, action, preTimeoutSeconds, initialCountdown },
    dontStop: (use & 0x40) !== 0,
    clearFlags,
  };
}

/*
 * Get Watchdog Timer (27.7). Response:
 *   1   [7] don't log, [6] timer running, [2:0] timer use
 *   2   [6:4] pre-timeout interrupt, [2:0] timeout action
 *   3   pre-timeout interval, seconds
 *   4   timer use expiration flags ([5:1], bit n = timer use n expired)
 *   5:6 initial countdown, LS byte first
 *   7:8 present countdown, LS byte first
 */
function encodeGetWatchdog(ctx: IpmiContext): Uint8Array {
  const s = ctx.host.watchdog.status();
  return new Writer(8)
    .u8((s.dontLog ? 0x80 : 0) | (s.running ? 0x40 : 0) | (s.timerUse & 0x07))
    .u8(((s.preTimeoutInterrupt & 0x07) << 4) | (s.action & 0x07))
    .u8(s.preTimeoutSeconds)
    .u8(s.expirationFlags & 0x3e)
    .u16le(s.initialCountdown)
    .u16le(Math.min(0xffff, s.presentCountdown))
    .finish();
}

// ---- channels --------------------------------------------------------------------

const ACCESS_MODES: readonly AccessMode[] = ['disabled', 'pre-boot', 'always', 'shared'];

/** A channel number from a request: 0Eh resolved; unknown channels are an invalid field. */
function knownChannel(n: number, ctx: IpmiContext): number {
  const ch = resolveChannel(n, ctx);
  check(ctx.bmc.channels.info(ch) !== undefined, `unknown channel ${ch}`);
  return ch;
}

/** A channel that carries sessions, so has user access settings. */
function sessionChannel(n: number, ctx: IpmiContext): number {
  const ch = knownChannel(n, ctx);
  check(ctx.bmc.channels.hasAccess(ch), `channel ${ch} has no sessions`);
  return ch;
}

function isSessionPrivilegeLimit(p: number): p is 1 | 2 | 3 | 4 | 5 {
  return p >= Privilege.Callback && p <= Privilege.Oem;
}

/*
 * Set Channel Access (22.22). Request:
 *   1   [7:4] reserved, [3:0] channel number
 *   2   [7:6] 00b don't set, 01b set non-volatile, 10b set volatile, 11b reserved;
 *       [5] PEF alerting disable, [4] per-message authentication disable,
 *       [3] user level authentication disable, [2:0] access mode:
 *       0 disabled, 1 pre-boot only, 2 always available, 3 shared
 *   3   [7:6] privilege limit: 00b don't set, 01b non-volatile, 10b volatile,
 *       11b reserved; [5:4] reserved, [3:0] channel privilege level limit (1-5)
 */
interface SetChannelAccessRequest {
  channel: number;
  access?: { which: 'volatile' | 'non-volatile'; change: Omit<ChannelAccess, 'privilegeLimit'> };
  privilege?: { which: 'volatile' | 'non-volatile'; limit: PrivilegeLevel };
}

function whichSet(bits: number): 'volatile' | 'non-volatile' | undefined {
  if (bits === 0) return undefined;
  check(bits !== 3, 'reserved set selector');
  return bits === 1 ? 'non-volatile' : 'volatile';
}

function decodeSetChannelAccess(r: Reader): SetChannelAccessRequest {
  const ch = r.u8();
  const a = r.u8();
  const p = r.u8();
  r.end();
  reserved(ch, 0xf0, 'channel');
  const out: SetChannelAccessRequest = { channel: ch & 0x0f };
  const accessWhich = whichSet(a >> 6);
  if (accessWhich) {
    check((a & 0x07) <= 3, 'access mode');
    out.access = {
      which: accessWhich,
      change: {
        accessMode: ACCESS_MODES[a & 0x07]!,
        alerting: (a & 0x20) === 0,
        perMessageAuth: (a & 0x10) === 0,
        userLevelAuth: (a & 0x08) === 0,
      },
    };
  }
  const privWhich = whichSet(p >> 6);
  if (privWhich) {
    reserved(p, 0x30, 'privilege limit');
    const limit = p & 0x0f;
    check(isSessionPrivilegeLimit(limit), 'privilege limit');
    out.privilege = { which: privWhich, limit };
  }
  return out;
}

/*
 * Get Channel Access (22.23). Request:
 *   1   [7:4] reserved, [3:0] channel number
 *   2   [7:6] 01b non-volatile, 10b present volatile setting; [5:0] reserved
 * Response:
 *   1   [5] PEF alerting disabled, [4] per-message authentication disabled,
 *       [3] user level authentication disabled, [2:0] access mode
 *   2   [3:0] channel privilege level limit
 */
function decodeGetChannelAccess(r: Reader): { channel: number; which: 'volatile' | 'non-volatile' } {
  const ch = r.u8();
  const w = r.u8();
  r.end();
  reserved(ch, 0xf0, 'channel');
  reserved(w, 0x3f, 'access selector');
  const which = whichSet(w >> 6);
  check(which !== undefined, 'access selector');
  return { channel: ch & 0x0f, which };
}

function encodeChannelAccess(a: ChannelAccess): Uint8Array {
  return Uint8Array.of(
    (a.alerting ? 0 : 0x20) | (a.perMessageAuth ? 0 : 0x10) | (a.userLevelAuth ? 0 : 0x08) | ACCESS_MODES.indexOf(a.accessMode),
    a.privilegeLimit & 0x0f,
  );
}

/*
 * Get Channel Info (22.24). Request: 1 [7:4] reserved, [3:0] channel number.
 * Response:
 *   1   [3:0] actual channel number
 *   2   [6:0] channel medium type (table 6-3)
 *   3   [4:0] channel protocol type (table 6-2)
 *   4   [7:6] session support: 00b session-less, 01b single, 10b multi,
 *       11b session-based; [5:0] number of sessions activated on the channel
 *   5:7 protocol vendor ID (IANA), LS byte first: 7154 for IPMI
 *   8:9 auxiliary channel info: for the system interface, SMS and event
 *       message buffer interrupt types (FFh = unspecified); else reserved
 */
function encodeChannelInfo(ch: number, ctx: IpmiContext): Uint8Array {
  const info = ctx.bmc.channels.info(ch);
  if (!info) invalidField(`unknown channel ${ch}`);
  const active = ctx.sessions?.list().filter((s) => s.channel === ch).length ?? 0;
  const aux = ch === Channel.SystemInterface ? 0xff : 0x00;
  return new Writer(9)
    .u8(ch)
    .u8(info.medium & 0x7f)
    .u8(info.protocol & 0x1f)
    .u8((info.sessionSupport << 6) | Math.min(active, 0x3f))
    .u24le(IPMI_IANA)
    .u8(aux)
    .u8(aux)
    .finish();
}

// ---- users -----------------------------------------------------------------------

/** A user ID from a request: 1..maxUsers. */
function userId(raw: number, ctx: IpmiContext): number {
  const id = raw & 0x3f;
  check(id >= 1 && id <= ctx.bmc.users.maxUsers, `user ID ${id}`);
  return id;
}

/*
 * Set User Access (22.26). Request:
 *   1   [7] change bits [6:4] in this byte, [6] user restricted to callback,
 *       [5] link authentication enable, [4] IPMI messaging enable, [3:0] channel
 *   2   [7:6] reserved, [5:0] user ID
 *   3   [7:4] reserved, [3:0] user privilege limit: 1-5, Fh = no access
 *   4   (optional) [7:4] reserved, [3:0] simultaneous session limit, 0 = channel limit
 */
interface SetUserAccessRequest {
  channel: number;
  user: number;
  change: Partial<ChannelUserAccess>;
}

function decodeSetUserAccess(r: Reader): SetUserAccessRequest {
  const b1 = r.u8();
  const user = r.u8();
  const priv = r.u8();
  const sessions = r.optU8();
  r.end();
  reserved(user, 0xc0, 'user ID');
  reserved(priv, 0xf0, 'privilege limit');
  const limit = priv & 0x0f;
  check(isSessionPrivilegeLimit(limit) || limit === Privilege.NoAccess, 'privilege limit');
  if (sessions !== undefined) {
    reserved(sessions, 0xf0, 'session limit');
    // Per-user session limits are not kept; only "limited by the channel" is accepted.
    check((sessions & 0x0f) === 0, 'session limit not supported');
  }
  const change: Partial<ChannelUserAccess> = { privilege: limit };
  if (b1 & 0x80) {
    change.callbackOnly = (b1 & 0x40) !== 0;
    change.linkAuth = (b1 & 0x20) !== 0;
    change.ipmiMessaging = (b1 & 0x10) !== 0;
  }
  return { channel: b1 & 0x0f, user, change };
}

/*
 * Get User Access (22.27). Request: 1 [3:0] channel; 2 [5:0] user ID.
 * Response:
 *   1   [5:0] maximum number of user IDs
 *   2   [7:6] user ID enable status: 01b enabled, 10b disabled; [5:0] count of enabled user IDs
 *   3   [5:0] count of user IDs with fixed names
 *   4   [6] callback only, [5] link authentication, [4] IPMI messaging,
 *       [3:0] privilege limit on this channel
 */
function decodeChannelUser(r: Reader): { channel: number; user: number } {
  const ch = r.u8();
  const user = r.u8();
  r.end();
  reserved(ch, 0xf0, 'channel');
  reserved(user, 0xc0, 'user ID');
  return { channel: ch & 0x0f, user };
}

/*
 * Set User Name (22.28). Request: 1 [5:0] user ID; 2:17 name, ASCII, NUL padded.
 * Get User Name (22.29). Request: 1 [5:0] user ID. Response: 1:16 name, NUL padded.
 */
function decodeSetUserName(r: Reader): { user: number; name: string } {
  const user = r.u8();
  const raw = r.bytes(MAX_USER_NAME);
  r.end();
  reserved(user, 0xc0, 'user ID');
  const nul = raw.indexOf(0);
  return { user, name: Buffer.from(raw.subarray(0, nul < 0 ? raw.length : nul)).toString('latin1') };
}

/*
 * Set User Password (22.30). Request:
 *   1   [7] password size: 0 = 16 bytes, 1 = 20 bytes; [6] reserved; [5:0] user ID
 *   2   [7:2] reserved, [1:0] operation: 00b disable user, 01b enable user,
 *       10b set password, 11b test password
 *   3:18 or 3:22  password, NUL padded (required to set or test; optional otherwise)
 * Completion codes: 80h test failed (wrong password), 81h test failed (wrong size).
 */
type PasswordOperation = 'disable' | 'enable' | 'set' | 'test';
const PASSWORD_OPERATIONS: readonly PasswordOperation[] = ['disable', 'enable', 'set', 'test'];

interface SetUserPasswordRequest {
  user: number;
  twenty: boolean;
  operation: PasswordOperation;
  password?: Uint8Array;
}

function decodeSetUserPassword(r: Reader): SetUserPasswordRequest {
  const b1 = r.u8();
  const op = r.u8();
  reserved(b1, 0x40, 'user ID');
  reserved(op, 0xfc, 'operation');
  const twenty = (b1 & 0x80) !== 0;
  const operation = PASSWORD_OPERATIONS[op & 0x03]!;
  const size = twenty ? 20 : 16;
  let password: Uint8Array | undefined;
  if (operation === 'set' || operation === 'test' || r.remaining > 0) password = new Uint8Array(r.bytes(size));
  r.end();
  return { user: b1 & 0x3f, twenty, operation, ...(password ? { password } : {}) };
}

// ---- payloads --------------------------------------------------------------------

/*
 * Set User Payload Access (24.6). Request:
 *   1   [3:0] channel
 *   2   [7:6] operation: 00b enable listed payloads, 01b disable listed payloads;
 *       [5:0] user ID
 *   3   standard payloads 0-7: [1] SOL; [0] reserved
 *   4   standard payloads 8-15 (reserved)
 *   5   OEM payloads 20h-27h, bit n = payload 20h+n
 *   6   OEM payloads 28h-2Fh (reserved)
 * Get User Payload Access (24.7). Request: 1 channel, 2 [5:0] user ID.
 * Response: bytes 3:6 of the Set request, as they stand.
 * The model keeps bit 1 = SOL in bits 0-7 and OEM payloads in bits 8-15.
 */
const SUPPORTED_USER_PAYLOADS = 1 << PayloadType.Sol;

interface SetUserPayloadAccessRequest {
  channel: number;
  user: number;
  enable: boolean;
  payloads: number;
}

function decodeSetUserPayloadAccess(r: Reader): SetUserPayloadAccessRequest {
  const ch = r.u8();
  const b2 = r.u8();
  const std1 = r.u8();
  const std2 = r.u8();
  const oem1 = r.u8();
  const oem2 = r.u8();
  r.end();
  reserved(ch, 0xf0, 'channel');
  check(b2 >> 6 <= 1, 'operation');
  reserved(std1, 0x01, 'standard payloads');
  reserved(std2, 0xff, 'standard payloads 8-15');
  reserved(oem2, 0xff, 'OEM payloads 28h-2Fh');
  const payloads = std1 | (oem1 << 8);
  check((payloads & ~SUPPORTED_USER_PAYLOADS) === 0, 'payload type not supported');
  return { channel: ch & 0x0f, user: b2 & 0x3f, enable: b2 >> 6 === 0, payloads };
}

/*
 * Get Channel Payload Support (24.8). Request: 1 [3:0] channel. Response:
 *   1:2 standard payload types 00h-0Fh supported (bit n = type n): IPMI, SOL
 *   3:4 session setup payload types 10h-1Fh: open session request/response, RAKP 1-4
 *   5:6 OEM payload types 20h-2Fh
 *   7:8 reserved
 */
const SESSION_SETUP_PAYLOADS = [
  PayloadType.OpenSessionRequest,
  PayloadType.OpenSessionResponse,
  PayloadType.Rakp1,
  PayloadType.Rakp2,
  PayloadType.Rakp3,
  PayloadType.Rakp4,
] as const;
const SUPPORTED_PAYLOADS: ReadonlySet<number> = new Set([PayloadType.Ipmi, PayloadType.Sol, ...SESSION_SETUP_PAYLOADS]);

function payloadMask(base: number): number {
  let m = 0;
  for (const t of SUPPORTED_PAYLOADS) if (t >= base && t < base + 16) m |= 1 << (t - base);
  return m;
}

/*
 * Get Channel Payload Version (24.9). Request: 1 [3:0] channel, 2 payload type.
 * Response: 1 format version, [7:4] major, [3:0] minor: 10h = 1.0.
 * Completion code 80h: payload type not available on the channel.
 */
const PAYLOAD_VERSION_1_0 = 0x10;

/*
 * Get Channel OEM Payload Info (24.10). Request: 1 [3:0] channel, 2 payload
 * type (02h OEM explicit or 20h-27h), 3:5 OEM IANA, 6:7 OEM payload ID.
 * No OEM payloads are offered: completion code 80h after the fields check.
 */
function isOemPayloadType(t: number): boolean {
  return t === PayloadType.Oem || (t >= 0x20 && t <= 0x27);
}

// ---- definitions -------------------------------------------------------------------

const A = NetFn.App;

export const appCommands: readonly CommandDef<unknown>[] = [
  command({
    netFn: A,
    cmd: Cmd.GetDeviceId,
    name: 'Get Device ID',
    privilege: Privilege.User,
    section: 'IPMI 2.0 20.1',
    decode: noData,
    handle: (_req, ctx) => encodeDeviceId(ctx),
  }),
  command({
    netFn: A,
    cmd: Cmd.ColdReset,
    name: 'Cold Reset',
    privilege: Privilege.Administrator,
    section: 'IPMI 2.0 20.2',
    decode: noData,
    // Acknowledged: the model has no restartable BMC state to reinitialize,
    // and sessions must outlive the response.
    handle: () => EMPTY,
  }),
  command({
    netFn: A,
    cmd: Cmd.WarmReset,
    name: 'Warm Reset',
    privilege: Privilege.Administrator,
    section: 'IPMI 2.0 20.3',
    decode: noData,
    handle: () => EMPTY,
  }),
  command({
    netFn: A,
    cmd: Cmd.GetSelfTestResults,
    name: 'Get Self Test Results',
    privilege: Privilege.User,
    section: 'IPMI 2.0 20.4',
    decode: noData,
    // 55h = no error; byte 2 is 00h with it.
    handle: () => Uint8Array.of(0x55, 0x00),
  }),
  command({
    netFn: A,
    cmd: Cmd.SetAcpiPowerState,
    name: 'Set ACPI Power State',
    privilege: Privilege.Administrator,
    section: 'IPMI 2.0 20.6',
    decode: decodeSetAcpi,
    handle: (req, ctx) => {
      ctx.host.acpi = { system: req.system ?? ctx.host.acpi.system, device: req.device ?? ctx.host.acpi.device };
      return EMPTY;
    },
  }),
  command({
    netFn: A,
    cmd: Cmd.GetAcpiPowerState,
    name: 'Get ACPI Power State',
    privilege: Privilege.User,
    section: 'IPMI 2.0 20.7',
    decode: noData,
    handle: (_req, ctx) => Uint8Array.of(ctx.host.acpi.system & 0x7f, ctx.host.acpi.device & 0x7f),
  }),
  command({
    netFn: A,
    cmd: Cmd.GetDeviceGuid,
    name: 'Get Device GUID',
    privilege: Privilege.User,
    section: 'IPMI 2.0 20.8',
    decode: noData,
    handle: (_req, ctx) => Uint8Array.from(ctx.bmc.device.guid.subarray(0, 16)),
  }),
  command({
    netFn: A,
    cmd: Cmd.ResetWatchdogTimer,
    name: 'Reset Watchdog Timer',
    privilege: Privilege.Operator,
    section: 'IPMI 2.0 27.5',
    decode: noData,
    handle: (_req, ctx) => {
      if (!ctx.host.watchdog.reset()) fail(AppCC.WatchdogNotInitialized, 'watchdog never set');
      return EMPTY;
    },
  }),
  command({
    netFn: A,
    cmd: Cmd.SetWatchdogTimer,
    name: 'Set Watchdog Timer',
    privilege: Privilege.Operator,
    section: 'IPMI 2.0 27.6',
    decode: decodeSetWatchdog,
    handle: (req, ctx) => {
      ctx.host.watchdog.set(req.settings, req.dontStop, req.clearFlags);
      return EMPTY;
    },
  }),
  command({
    netFn: A,
    cmd: Cmd.GetWatchdogTimer,
    name: 'Get Watchdog Timer',
    privilege: Privilege.User,
    section: 'IPMI 2.0 27.7',
    decode: noData,
    handle: (_req, ctx) => encodeGetWatchdog(ctx),
  }),
  /*
   * Set BMC Global Enables (22.1). Request: 1 [7:5] OEM 2-0, [4] reserved,
   * [3] system event logging, [2] event message buffer, [1] event message
   * buffer full interrupt, [0] receive message queue interrupt.
   * Get BMC Global Enables (22.2). Response: the same byte.
   * Turning bit 2 off empties the event message buffer. Appendix G lists Set
   * as local-only; it is kept available over a session, at Administrator,
   * because bit 3 (system event logging) is an operator's setting
   * (`ipmitool mc setenables`).
   */
  command({
    netFn: A,
    cmd: Cmd.SetBmcGlobalEnables,
    name: 'Set BMC Global Enables',
    privilege: Privilege.Administrator,
    section: 'IPMI 2.0 22.1',
    decode: (r) => {
      const v = r.u8();
      r.end();
      reserved(v, 0x10, 'global enables');
      return v;
    },
    handle: (v, ctx) => {
      ctx.host.setGlobalEnables(v);
      return EMPTY;
    },
  }),
  command({
    netFn: A,
    cmd: Cmd.GetBmcGlobalEnables,
    name: 'Get BMC Global Enables',
    privilege: Privilege.User,
    section: 'IPMI 2.0 22.2',
    decode: noData,
    handle: (_req, ctx) => Uint8Array.of(ctx.host.globalEnables & 0xef),
  }),
  /*
   * Clear Message Flags (22.3). Request: 1 [7:5] OEM, [4] reserved, [3] watchdog
   * pre-timeout interrupt flag, [2] reserved, [1] event message buffer,
   * [0] receive message queue (1 = clear). Clearing bit 1 empties the event
   * message buffer.
   * Get Message Flags (22.4). Response: 1 the same layout, 1 = set; bit 1
   * ("event message buffer full") is set while the buffer holds a message.
   * Both are local only (appendix G).
   */
  command({
    netFn: A,
    cmd: Cmd.ClearMessageFlags,
    name: 'Clear Message Flags',
    privilege: Privilege.Administrator,
    section: 'IPMI 2.0 22.3',
    decode: (r, ctx) => {
      systemInterfaceOnly(ctx);
      const v = r.u8();
      r.end();
      reserved(v, 0x14, 'message flags');
      return v;
    },
    handle: (v, ctx) => {
      ctx.host.clearMessageFlags(v);
      return EMPTY;
    },
  }),
  command({
    netFn: A,
    cmd: Cmd.GetMessageFlags,
    name: 'Get Message Flags',
    privilege: Privilege.User,
    section: 'IPMI 2.0 22.4',
    decode: (r, ctx) => {
      systemInterfaceOnly(ctx);
      r.end();
    },
    handle: (_req, ctx) => Uint8Array.of(ctx.host.messageFlags & 0xeb),
  }),
  /*
   * Read Event Message Buffer (22.8). Response: 1:16 the oldest event
   * message, in the SEL record format (32.1; see model/event-buffer.ts),
   * which the read takes out of the buffer; completion code 80h when the
   * buffer is empty. Local only (appendix G).
   */
  command({
    netFn: A,
    cmd: Cmd.ReadEventMessageBuffer,
    name: 'Read Event Message Buffer',
    privilege: Privilege.Administrator,
    section: 'IPMI 2.0 22.8',
    decode: (r, ctx) => {
      systemInterfaceOnly(ctx);
      r.end();
    },
    handle: (_req, ctx) => ctx.host.eventBuffer.take() ?? fail(AppCC.EventBufferEmpty, 'event message buffer empty'),
  }),
  command({
    netFn: A,
    cmd: Cmd.GetSystemGuid,
    name: 'Get System GUID',
    privilege: Privilege.User,
    section: 'IPMI 2.0 22.14',
    decode: noData,
    handle: (_req, ctx) => Uint8Array.from(ctx.host.spec.systemGuid.subarray(0, 16)),
  }),
  command({
    netFn: A,
    cmd: Cmd.SetChannelAccess,
    name: 'Set Channel Access',
    privilege: Privilege.Administrator,
    section: 'IPMI 2.0 22.22',
    decode: decodeSetChannelAccess,
    handle: (req, ctx) => {
      const ch = knownChannel(req.channel, ctx);
      if (!ctx.bmc.channels.hasAccess(ch)) fail(AppCC.ChannelAccessNotSupported, 'session-less channel');
      if (req.access) ctx.bmc.channels.setAccess(ch, req.access.which, req.access.change);
      if (req.privilege) ctx.bmc.channels.setAccess(ch, req.privilege.which, { privilegeLimit: req.privilege.limit });
      return EMPTY;
    },
  }),
  command({
    netFn: A,
    cmd: Cmd.GetChannelAccess,
    name: 'Get Channel Access',
    privilege: Privilege.User,
    section: 'IPMI 2.0 22.23',
    decode: decodeGetChannelAccess,
    handle: (req, ctx) => {
      const ch = knownChannel(req.channel, ctx);
      const a = ctx.bmc.channels.access(ch, req.which);
      if (!a) fail(AppCC.ChannelAccessNotSupported, 'session-less channel');
      return encodeChannelAccess(a);
    },
  }),
  command({
    netFn: A,
    cmd: Cmd.GetChannelInfo,
    name: 'Get Channel Info',
    privilege: Privilege.User,
    section: 'IPMI 2.0 22.24',
    decode: (r) => {
      const ch = r.u8();
      r.end();
      reserved(ch, 0xf0, 'channel');
      return ch;
    },
    handle: (ch, ctx) => encodeChannelInfo(resolveChannel(ch, ctx), ctx),
  }),
  command({
    netFn: A,
    cmd: Cmd.SetUserAccess,
    name: 'Set User Access',
    privilege: Privilege.Administrator,
    section: 'IPMI 2.0 22.26',
    decode: decodeSetUserAccess,
    handle: (req, ctx) => {
      const ch = sessionChannel(req.channel, ctx);
      const id = userId(req.user, ctx);
      ctx.bmc.users.setAccess(id, ch, req.change);
      return EMPTY;
    },
  }),
  command({
    netFn: A,
    cmd: Cmd.GetUserAccess,
    name: 'Get User Access',
    privilege: Privilege.Operator,
    section: 'IPMI 2.0 22.27',
    decode: decodeChannelUser,
    handle: (req, ctx) => {
      const ch = sessionChannel(req.channel, ctx);
      const id = userId(req.user, ctx);
      const users = ctx.bmc.users;
      const u = users.get(id)!;
      const a = users.access(id, ch);
      const counts = users.counts();
      return Uint8Array.of(
        users.maxUsers & 0x3f,
        (u.enabled ? 0x40 : 0x80) | (counts.enabled & 0x3f),
        counts.fixedNames & 0x3f,
        (a.callbackOnly ? 0x40 : 0) | (a.linkAuth ? 0x20 : 0) | (a.ipmiMessaging ? 0x10 : 0) | (a.privilege & 0x0f),
      );
    },
  }),
  command({
    netFn: A,
    cmd: Cmd.SetUserName,
    name: 'Set User Name',
    privilege: Privilege.Administrator,
    section: 'IPMI 2.0 22.28',
    decode: decodeSetUserName,
    handle: (req, ctx) => {
      const id = userId(req.user, ctx);
      const err = ctx.bmc.users.setName(id, req.name);
      if (err) invalidField(`set user name: ${err}`);
      return EMPTY;
    },
  }),
  command({
    netFn: A,
    cmd: Cmd.GetUserName,
    name: 'Get User Name',
    privilege: Privilege.Operator,
    section: 'IPMI 2.0 22.29',
    decode: (r) => {
      const user = r.u8();
      r.end();
      reserved(user, 0xc0, 'user ID');
      return user;
    },
    handle: (user, ctx) => {
      const u = ctx.bmc.users.get(userId(user, ctx))!;
      const out = new Uint8Array(MAX_USER_NAME);
      out.set(Buffer.from(u.name, 'latin1').subarray(0, MAX_USER_NAME));
      return out;
    },
  }),
  command({
    netFn: A,
    cmd: Cmd.SetUserPassword,
    name: 'Set User Password',
    privilege: Privilege.Administrator,
    section: 'IPMI 2.0 22.30',
    decode: decodeSetUserPassword,
    handle: (req, ctx) => {
      const id = userId(req.user, ctx);
      const users = ctx.bmc.users;
      switch (req.operation) {
        case 'disable':
          users.setEnabled(id, false);
          return EMPTY;
        case 'enable':
          users.setEnabled(id, true);
          return EMPTY;
        case 'set': {
          const err = users.setPassword(id, req.password!, req.twenty);
          if (err) invalidField(`set password: ${err}`);
          return EMPTY;
        }
        case 'test': {
          const result = users.testPassword(id, req.password!, req.twenty);
          if (result === 'size') fail(AppCC.PasswordWrongSize, 'password test: wrong size');
          if (result === 'wrong') fail(AppCC.PasswordMismatch, 'password test failed');
          return EMPTY;
        }
      }
    },
  }),
  command({
    netFn: A,
    cmd: Cmd.SetUserPayloadAccess,
    name: 'Set User Payload Access',
    privilege: Privilege.Administrator,
    section: 'IPMI 2.0 24.6',
    decode: decodeSetUserPayloadAccess,
    handle: (req, ctx) => {
      const ch = sessionChannel(req.channel, ctx);
      const id = userId(req.user, ctx);
      const now = ctx.bmc.users.access(id, ch).payloads;
      ctx.bmc.users.setAccess(id, ch, { payloads: req.enable ? now | req.payloads : now & ~req.payloads });
      return EMPTY;
    },
  }),
  command({
    netFn: A,
    cmd: Cmd.GetUserPayloadAccess,
    name: 'Get User Payload Access',
    privilege: Privilege.Operator,
    section: 'IPMI 2.0 24.7',
    decode: decodeChannelUser,
    handle: (req, ctx) => {
      const ch = sessionChannel(req.channel, ctx);
      const p = ctx.bmc.users.access(userId(req.user, ctx), ch).payloads;
      return Uint8Array.of(p & 0xfe, 0x00, (p >> 8) & 0xff, 0x00);
    },
  }),
  command({
    netFn: A,
    cmd: Cmd.GetChannelPayloadSupport,
    name: 'Get Channel Payload Support',
    privilege: Privilege.User,
    section: 'IPMI 2.0 24.8',
    decode: (r) => {
      const ch = r.u8();
      r.end();
      reserved(ch, 0xf0, 'channel');
      return ch;
    },
    handle: (ch, ctx) => {
      sessionChannel(ch, ctx);
      return new Writer(8).u16le(payloadMask(0x00)).u16le(payloadMask(0x10)).u16le(payloadMask(0x20)).u16le(0).finish();
    },
  }),
  command({
    netFn: A,
    cmd: Cmd.GetChannelPayloadVersion,
    name: 'Get Channel Payload Version',
    privilege: Privilege.User,
    section: 'IPMI 2.0 24.9',
    decode: (r) => {
      const ch = r.u8();
      const type = r.u8();
      r.end();
      reserved(ch, 0xf0, 'channel');
      reserved(type, 0xc0, 'payload type');
      return { channel: ch, type };
    },
    handle: (req, ctx) => {
      sessionChannel(req.channel, ctx);
      if (!SUPPORTED_PAYLOADS.has(req.type)) fail(AppCC.PayloadNotAvailable, 'payload type not available');
      return Uint8Array.of(PAYLOAD_VERSION_1_0);
    },
  }),
  command({
    netFn: A,
    cmd: Cmd.GetChannelOemPayloadInfo,
    name: 'Get Channel OEM Payload Info',
    privilege: Privilege.User,
    section: 'IPMI 2.0 24.10',
    decode: (r) => {
      const ch = r.u8();
      const type = r.u8();
      r.skip(5);
      r.end();
      reserved(ch, 0xf0, 'channel');
      check(isOemPayloadType(type), 'not an OEM payload type');
      return ch;
    },
    handle: (ch, ctx) => {
      sessionChannel(ch, ctx);
      return fail(AppCC.PayloadNotAvailable, 'no OEM payloads');
    },
  }),
];
