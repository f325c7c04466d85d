// Transport commands (NetFn 0Ch): Set/Get LAN Configuration Parameters (IPMI
// v2.0 23.1-23.2, parameters of table 23-4) over the model's LAN settings,
// and Set/Get SOL Configuration Parameters (26.2-26.3, table 26-5) over its
// SOL settings. Each parameter is one table row: its length, a reader and,
// unless it is read-only, a writer.
import type { Reader } from '../../bytes/index.js';
import { Writer } from '../../bytes/index.js';
import type { Bmc, SolSettings } from '../../model/bmc.js';
import type { LanConfig, LanDestination } from '../../model/lan.js';
import { check, fail, invalidField, reserved, resolveChannel } from '../app-fields.js';
import { AuthType, CC, NetFn, Privilege, type PrivilegeLevel } from '../constants.js';
import type { IpmiContext } from '../context.js';
import { bytesToIpv4, bytesToMac, ipv4ToBytes, isContiguousMask, isUnicastIpv4, isUnicastMac, macToBytes } from '../lan-addresses.js';
import { SetInProgressLatch } from '../lan-set-in-progress.js';
import { command, type CommandDef } from '../registry.js';

const EMPTY = new Uint8Array(0);

const Cmd = {
  SetLanConfigurationParameters: 0x01,
  GetLanConfigurationParameters: 0x02,
  SetSolConfigurationParameters: 0x21,
  GetSolConfigurationParameters: 0x22,
} as const;

/** Completion codes of the configuration parameter commands (23.1, 26.2). */
const ParamCC = {
  NotSupported: 0x80,
  ReadOnly: 0x82,
} as const;

/** Parameter revision both Get commands report: 1.1. */
const PARAMETER_REVISION = 0x11;

/** One configuration parameter: how to read it and, unless read-only, write it. */
interface Parameter {
  /** Length of the Set data; absent for read-only parameters. */
  readonly length?: number;
  get(bmc: Bmc, set: number, ctx: IpmiContext): Uint8Array;
  set?(d: Uint8Array, bmc: Bmc): void;
}

// ---- LAN configuration --------------------------------------------------------

/** A destination as stored, with the VLAN tag of parameter 25 (kept beside the model's fields). */
type Destination = LanDestination;

const lanProgress = new SetInProgressLatch();

/** Authentication types offered to IPMI v1.5 sessions (parameter 1): MD5 always; none and straight password only when the policy allows them. */
function authTypeSupport(bmc: Bmc): number {
  const p = bmc.security;
  let mask = 1 << AuthType.Md5;
  if (p.allowIpmi15None) mask |= 1 << AuthType.None;
  if (p.allowIpmi15Password) mask |= 1 << AuthType.Password;
  return mask;
}

function update(bmc: Bmc, change: Partial<LanConfig>, parameter: number): void {
  bmc.lan.update(change, parameter);
}

function destination(bmc: Bmc, set: number): Destination {
  const d = bmc.lan.config.destinations[set & 0x0f];
  if (!d || (set & 0xf0) !== 0) fail(CC.ParameterOutOfRange, `destination ${set}`);
  return d;
}

function setDestination(bmc: Bmc, sel: number, change: Partial<Destination>, parameter: number): void {
  reserved(sel, 0xf0, 'destination selector');
  const current = destination(bmc, sel);
  const destinations = bmc.lan.config.destinations.map((d, i): Destination => (i === sel ? { ...current, ...change } : d));
  update(bmc, { destinations }, parameter);
}

function ipParam(key: 'ip' | 'gateway' | 'backupGateway', param: number, unicast: boolean): Parameter {
  return {
    length: 4,
    get: (bmc) => ipv4ToBytes(bmc.lan.config[key]),
    set: (d, bmc) => {
      if (unicast) check(isUnicastIpv4(d), 'not a unicast address');
      update(bmc, { [key]: bytesToIpv4(d) }, param);
    },
  };
}

function macParam(key: 'mac' | 'gatewayMac' | 'backupGatewayMac', param: number): Parameter {
  return {
    length: 6,
    get: (bmc) => macToBytes(bmc.lan.config[key]),
    set: (d, bmc) => {
      check(isUnicastMac(d), 'not a unicast MAC address');
      update(bmc, { [key]: bytesToMac(d) }, param);
    },
  };
}

const IP_SOURCES: readonly LanConfig['ipSource'][] = ['unspecified', 'static', 'dhcp', 'bios', 'other'];
const AUTH_LEVELS = ['callback', 'user', 'operator', 'admin', 'oem'] as const;
const COMMUNITY_LENGTH = 18;
const MAX_CIPHER_ENTRIES = 16;

/** Cipher suite privilege nibble (parameter 24) for a model entry; 0 = entry unused. */
function suitePrivilegeNibble(p: PrivilegeLevel | 0): number {
  return p >= Privilege.Callback && p <= Privilege.Oem ? p : 0;
}

/*
 * LAN configuration parameters (table 23-4), data after the revision byte:
 *   0   set in progress: [1:0] 00b complete, 01b in progress, 10b commit write
 *   1   authentication type support (read-only): [5] OEM, [4] straight password,
 *       [2] MD5, [1] MD2, [0] none
 *   2   authentication type enables: 5 bytes, callback, user, operator,
 *       administrator, OEM level, each in the layout of parameter 1
 *   3   IP address: 4 bytes, MS byte first
 *   4   IP address source: [3:0] 0 unspecified, 1 static, 2 DHCP, 3 BIOS, 4 other
 *   5   MAC address: 6 bytes
 *   6   subnet mask: 4 bytes
 *   7   IPv4 header parameters: TTL; [7:5] flags; [7:5] precedence, [4:1] type of service
 *   8   primary RMCP port (read-only here): 2 bytes, LS byte first
 *   10  BMC-generated ARP control: [1] ARP responses, [0] gratuitous ARPs
 *   11  gratuitous ARP interval, 500 ms units
 *   12  default gateway address (4); 13 default gateway MAC (6)
 *   14  backup gateway address (4); 15 backup gateway MAC (6)
 *   16  community string: 18 bytes, NUL padded
 *   17  number of destinations (read-only): [3:0] non-volatile destinations
 *   18  destination type: selector; [7] alert acknowledge, [2:0] type (0 PET trap,
 *       6 OEM 1, 7 OEM 2); acknowledge timeout, seconds; [2:0] retries
 *   19  destination addresses: selector; [7:4] format (0 = IPv4 + MAC);
 *       [0] gateway selector; IP (4); MAC (6)
 *   20  802.1q VLAN ID: ID LS byte; [7] enable, [3:0] ID MS bits
 *   21  802.1q VLAN priority: [2:0]
 *   22  cipher suite entry support (read-only): [4:0] entries
 *   23  cipher suite entries (read-only): reserved, then one suite ID per entry
 *   24  cipher suite privilege levels: reserved, then 8 bytes of nibbles, cipher
 *       suite ID 0 in the low nibble of the first; 0 = unused, 1-5 = maximum privilege
 *   25  destination address VLAN tags: selector; [7:4] format (0 none, 1 802.1q);
 *       tag, 2 bytes LS first ([11:0] VLAN ID, [15:13] priority)
 *   26  bad password threshold: [0] generate session audit event; threshold
 *       (0 = disabled); attempt count reset interval and user lockout interval,
 *       10 s units, 2 bytes each LS first
 * Anything else (9, IPv6 50+, OEM 192+) is answered 80h.
 */
const LAN_PARAMETERS: ReadonlyMap<number, Parameter> = new Map<number, Parameter>([
  [0, { length: 1, get: (bmc) => Uint8Array.of(lanProgress.get(bmc.lan)), set: (d, bmc) => lanProgress.write(bmc.lan, d[0]!) }],
  [1, { get: (bmc) => Uint8Array.of(authTypeSupport(bmc)) }],
  [
    2,
    {
      length: 5,
      get: (bmc) => Uint8Array.from(AUTH_LEVELS.map((k) => bmc.lan.config.authEnables[k] & 0x37)),
      set: (d, bmc) => {
        const supported = authTypeSupport(bmc);
        d.forEach((b, i) => {
          reserved(b, 0xc8, 'authentication type enables');
          check((b & ~supported) === 0, `authentication type not supported for level ${i + 1}`);
        });
        update(bmc, { authEnables: { callback: d[0]!, user: d[1]!, operator: d[2]!, admin: d[3]!, oem: d[4]! } }, 2);
      },
    },
  ],
  [3, ipParam('ip', 3, true)],
  [
    4,
    {
      length: 1,
      get: (bmc) => Uint8Array.of(IP_SOURCES.indexOf(bmc.lan.config.ipSource)),
      set: (d, bmc) => {
        const src = IP_SOURCES[d[0]!];
        if (src === undefined) invalidField('IP address source');
        update(bmc, { ipSource: src }, 4);
      },
    },
  ],
  [5, macParam('mac', 5)],
  [
    6,
    {
      length: 4,
      get: (bmc) => ipv4ToBytes(bmc.lan.config.netmask),
      set: (d, bmc) => {
        check(isContiguousMask(d), 'subnet mask not contiguous');
        update(bmc, { netmask: bytesToIpv4(d) }, 6);
      },
    },
  ],
  [
    7,
    {
      length: 3,
      get: (bmc) => Uint8Array.of(bmc.lan.config.ttl, bmc.lan.config.ipFlags & 0xe0, bmc.lan.config.tos & 0xfe),
      set: (d, bmc) => {
        reserved(d[1]!, 0x1f, 'IP header flags');
        reserved(d[2]!, 0x01, 'type of service');
        update(bmc, { ttl: d[0]!, ipFlags: d[1]!, tos: d[2]! }, 7);
      },
    },
  ],
  // the port this request arrived on: with one endpoint per host, each host's differs
  [8, { get: (bmc, _set, ctx) => new Writer(2).u16le(ctx.localPort || bmc.sol.payloadPort).finish() }],
  [
    10,
    {
      length: 1,
      get: (bmc) => Uint8Array.of((bmc.lan.config.arpResponses ? 0x02 : 0) | (bmc.lan.config.gratuitousArp ? 0x01 : 0)),
      set: (d, bmc) => {
        reserved(d[0]!, 0xfc, 'ARP control');
        update(bmc, { arpResponses: (d[0]! & 0x02) !== 0, gratuitousArp: (d[0]! & 0x01) !== 0 }, 10);
      },
    },
  ],
  [
    11,
    {
      length: 1,
      get: (bmc) => Uint8Array.of(bmc.lan.config.gratuitousArpInterval),
      set: (d, bmc) => update(bmc, { gratuitousArpInterval: d[0]! }, 11),
    },
  ],
  [12, ipParam('gateway', 12, true)],
  [13, macParam('gatewayMac', 13)],
  [14, ipParam('backupGateway', 14, true)],
  [15, macParam('backupGatewayMac', 15)],
  [
    16,
    {
      length: COMMUNITY_LENGTH,
      get: (bmc) => {
        const out = new Uint8Array(COMMUNITY_LENGTH);
        out.set(Buffer.from(bmc.lan.config.community, 'latin1').subarray(0, COMMUNITY_LENGTH));
        return out;
      },
      set: (d, bmc) => {
        const nul = d.indexOf(0);
        const text = d.subarray(0, nul < 0 ? d.length : nul);
        check(text.every((c) => c >= 0x20 && c <= 0x7e), 'community string not printable');
        update(bmc, { community: Buffer.from(text).toString('latin1') }, 16);
      },
    },
  ],
  [17, { get: (bmc) => Uint8Array.of(Math.max(0, bmc.lan.config.destinations.length - 1) & 0x0f) }],
  [
    18,
    {
      length: 4,
      get: (bmc, set) => {
        const d = destination(bmc, set);
        return Uint8Array.of(set, d.type & 0x87, d.ackTimeout, d.retries & 0x07);
      },
      set: (d, bmc) => {
        reserved(d[1]!, 0x78, 'destination type');
        check([0, 6, 7].includes(d[1]! & 0x07), 'destination type');
        reserved(d[3]!, 0xf8, 'retries');
        setDestination(bmc, d[0]!, { type: d[1]!, ackTimeout: d[2]!, retries: d[3]! }, 18);
      },
    },
  ],
  [
    19,
    {
      length: 13,
      get: (bmc, set) => {
        const d = destination(bmc, set);
        return new Writer(13).u8(set).u8(0x00).u8(d.gatewaySelector & 0x01).bytes(ipv4ToBytes(d.ip)).bytes(macToBytes(d.mac)).finish();
      },
      set: (d, bmc) => {
        check(d[1]! >> 4 === 0, 'only IPv4 destination addresses');
        reserved(d[1]!, 0x0f, 'address format');
        reserved(d[2]!, 0xfe, 'gateway selector');
        const ip = d.subarray(3, 7);
        check(isUnicastIpv4(ip), 'destination not unicast');
        setDestination(bmc, d[0]!, { gatewaySelector: d[2]!, ip: bytesToIpv4(ip), mac: bytesToMac(d.subarray(7, 13)) }, 19);
      },
    },
  ],
  [
    20,
    {
      length: 2,
      get: (bmc) => {
        const c = bmc.lan.config;
        return Uint8Array.of(c.vlanId & 0xff, (c.vlanEnabled ? 0x80 : 0) | ((c.vlanId >> 8) & 0x0f));
      },
      set: (d, bmc) => {
        reserved(d[1]!, 0x70, 'VLAN ID');
        const enabled = (d[1]! & 0x80) !== 0;
        const id = ((d[1]! & 0x0f) << 8) | d[0]!;
        if (enabled) check(id >= 1 && id <= 4094, 'VLAN ID');
        update(bmc, { vlanEnabled: enabled, vlanId: id }, 20);
      },
    },
  ],
  [
    21,
    {
      length: 1,
      get: (bmc) => Uint8Array.of(bmc.lan.config.vlanPriority & 0x07),
      set: (d, bmc) => {
        reserved(d[0]!, 0xf8, 'VLAN priority');
        update(bmc, { vlanPriority: d[0]! }, 21);
      },
    },
  ],
  [22, { get: (bmc) => Uint8Array.of(Math.min(bmc.lan.config.cipherSuites.length, MAX_CIPHER_ENTRIES)) }],
  [
    23,
    {
      get: (bmc) =>
        Uint8Array.of(0x00, ...bmc.lan.config.cipherSuites.slice(0, MAX_CIPHER_ENTRIES).map((s) => s.id)),
    },
  ],
  [
    24,
    {
      length: 9,
      get: (bmc) => {
        // Nibble n belongs to cipher suite ID n, as ipmitool and FreeIPMI
        // read it (the table's wording suggests entries; every client and
        // BMC in use indexes by ID). Suites above 15 have no nibble.
        const out = new Uint8Array(9);
        for (const s of bmc.lan.config.cipherSuites) {
          if (s.id >= MAX_CIPHER_ENTRIES) continue;
          out[1 + (s.id >> 1)]! |= suitePrivilegeNibble(s.maxPrivilege) << ((s.id & 1) * 4);
        }
        return out;
      },
      set: (d, bmc) => {
        reserved(d[0]!, 0xff, 'cipher suite privilege levels');
        const suites = bmc.lan.config.cipherSuites;
        const next = suites.map((s) => ({ ...s }));
        for (let i = 0; i < MAX_CIPHER_ENTRIES; i++) {
          const v = (d[1 + (i >> 1)]! >> ((i & 1) * 4)) & 0x0f;
          const entry = next.find((e) => e.id === i);
          if (!entry) {
            check(v === 0 || v === Privilege.NoAccess, `cipher suite ${i} is not offered`);
            continue;
          }
          check(v <= Privilege.Oem || v === Privilege.NoAccess, `cipher suite ${i} privilege`);
          // 0h and Fh both mean the entry may not be used.
          entry.maxPrivilege = v === Privilege.NoAccess ? 0 : (v as PrivilegeLevel | 0);
        }
        update(bmc, { cipherSuites: next }, 24);
      },
    },
  ],
  [
    25,
    {
      length: 4,
      get: (bmc, set) => {
        const d = destination(bmc, set);
        return new Writer(4).u8(set).u8(d.vlanTagFormat << 4).u16le(d.vlanTag).finish();
      },
      set: (d, bmc) => {
        reserved(d[1]!, 0x0f, 'address format');
        check(d[1]! >> 4 <= 1, 'VLAN tag address format');
        const tag = d[2]! | (d[3]! << 8);
        reserved(tag, 0x1000, 'VLAN tag');
        setDestination(bmc, d[0]!, { vlanTagFormat: d[1]! >> 4, vlanTag: tag }, 25);
      },
    },
  ],
  [
    26,
    {
      length: 6,
      get: (bmc) => {
        const b = bmc.lan.config.badPassword;
        return new Writer(6)
          .u8(b.generateEvent ? 0x01 : 0)
          .u8(b.threshold)
          .u16le(Math.min(0xffff, Math.floor(b.resetIntervalS / 10)))
          .u16le(Math.min(0xffff, Math.floor(b.lockoutS / 10)))
          .finish();
      },
      set: (d, bmc) => {
        reserved(d[0]!, 0xfe, 'bad password event');
        const reset = d[2]! | (d[3]! << 8);
        const lockout = d[4]! | (d[5]! << 8);
        update(bmc, { badPassword: { generateEvent: (d[0]! & 1) !== 0, threshold: d[1]!, resetIntervalS: reset * 10, lockoutS: lockout * 10 } }, 26);
      },
    },
  ],
]);

// ---- SOL configuration ------------------------------------------------------------

const solProgress = new SetInProgressLatch();

/** Bit rates of parameters 5 and 6: 0 = the serial channel's, 6 9600, 7 19.2k, 8 38.4k, 9 57.6k, Ah 115.2k. */
const SOL_BIT_RATES: ReadonlySet<number> = new Set([0, 6, 7, 8, 9, 0x0a]);

function bitRateParam(key: 'volatileBitRate' | 'nonVolatileBitRate'): Parameter {
  return {
    length: 1,
    get: (bmc) => Uint8Array.of(bmc.sol[key] & 0x0f),
    set: (d, bmc) => {
      reserved(d[0]!, 0xf0, 'bit rate');
      check(SOL_BIT_RATES.has(d[0]!), 'bit rate');
      setSol(bmc, { [key]: d[0]! });
    },
  };
}

function setSol(bmc: Bmc, change: Partial<SolSettings>): void {
  bmc.setSol(change);
}

/*
 * SOL configuration parameters (table 26-5), data after the revision byte:
 *   0  set in progress: [1:0] as LAN parameter 0
 *   1  SOL enable: [0]
 *   2  SOL authentication: [7] force encryption, [6] force authentication,
 *      [3:0] minimum privilege to activate SOL (1-5)
 *   3  character accumulate interval (5 ms units, non-zero); character send threshold
 *   4  SOL retry: [2:0] retry count; retry interval (10 ms units)
 *   5  non-volatile bit rate: [3:0]
 *   6  volatile bit rate: [3:0]
 *   7  SOL payload channel (read-only)
 *   8  SOL payload port, LS byte first (read-only here: it is the RMCP port)
 *   C0h (OEM, 192-255) SOL takeover: [0] 1b = an activation from another
 *      session takes the SOL over instead of being refused (24.1 code 80h)
 */
const SOL_PARAMETERS: ReadonlyMap<number, Parameter> = new Map<number, Parameter>([
  [0, { length: 1, get: (bmc) => Uint8Array.of(solProgress.get(bmc)), set: (d, bmc) => solProgress.write(bmc, d[0]!) }],
  [
    1,
    {
      length: 1,
      get: (bmc) => Uint8Array.of(bmc.sol.enabled ? 0x01 : 0),
      set: (d, bmc) => {
        reserved(d[0]!, 0xfe, 'SOL enable');
        setSol(bmc, { enabled: d[0] === 1 });
      },
    },
  ],
  [
    2,
    {
      length: 1,
      get: (bmc) => Uint8Array.of((bmc.sol.forceEncryption ? 0x80 : 0) | (bmc.sol.forceAuthentication ? 0x40 : 0) | (bmc.sol.privilege & 0x0f)),
      set: (d, bmc) => {
        const b = d[0]!;
        reserved(b, 0x30, 'SOL authentication');
        check((b & 0x0f) >= Privilege.Callback && (b & 0x0f) <= Privilege.Oem, 'SOL privilege level');
        setSol(bmc, { forceEncryption: (b & 0x80) !== 0, forceAuthentication: (b & 0x40) !== 0, privilege: b & 0x0f });
      },
    },
  ],
  [
    3,
    {
      length: 2,
      get: (bmc) => Uint8Array.of(bmc.sol.accumulateInterval, bmc.sol.sendThreshold),
      set: (d, bmc) => {
        check(d[0]! !== 0, 'character accumulate interval');
        setSol(bmc, { accumulateInterval: d[0]!, sendThreshold: d[1]! });
      },
    },
  ],
  [
    4,
    {
      length: 2,
      get: (bmc) => Uint8Array.of(bmc.sol.retryCount & 0x07, bmc.sol.retryInterval),
      set: (d, bmc) => {
        reserved(d[0]!, 0xf8, 'SOL retry count');
        setSol(bmc, { retryCount: d[0]!, retryInterval: d[1]! });
      },
    },
  ],
  [5, bitRateParam('nonVolatileBitRate')],
  [6, bitRateParam('volatileBitRate')],
  [7, { get: (bmc) => Uint8Array.of(bmc.lan.channel) }],
  // the port this request arrived on: with one endpoint per host, each host's differs
  [8, { get: (bmc, _set, ctx) => new Writer(2).u16le(ctx.localPort || bmc.sol.payloadPort).finish() }],
  [
    0xc0,
    {
      length: 1,
      get: (bmc) => Uint8Array.of(bmc.sol.takeover ? 0x01 : 0),
      set: (d, bmc) => {
        reserved(d[0]!, 0xfe, 'SOL takeover');
        setSol(bmc, { takeover: d[0] === 1 });
      },
    },
  ],
]);

// ---- codecs --------------------------------------------------------------------------

/** The LAN channel this request names; SOL rides on it too. Any other channel is an invalid field. */
function lanChannel(raw: number, ctx: IpmiContext): number {
  const ch = resolveChannel(raw, ctx);
  check(ch === ctx.bmc.lan.channel, `channel ${ch} is not a LAN channel`);
  return ch;
}

/*
 * Set LAN / SOL Configuration Parameters (23.1, 26.2). Request:
 *   1    [7:4] reserved, [3:0] channel number
 *   2    parameter selector
 *   3:N  parameter data
 * Completion codes: 80h parameter not supported, 81h set in progress while
 * not "set complete", 82h write to a read-only parameter.
 */
interface SetParameterRequest {
  def: Parameter;
  data: Uint8Array;
}

function decodeSetParameter(table: ReadonlyMap<number, Parameter>, r: Reader, ctx: IpmiContext): SetParameterRequest {
  const ch = r.u8();
  const selector = r.u8();
  reserved(ch, 0xf0, 'channel');
  lanChannel(ch, ctx);
  const def = table.get(selector);
  if (!def) fail(ParamCC.NotSupported, `parameter ${selector}`);
  if (def.length === undefined || !def.set) fail(ParamCC.ReadOnly, `parameter ${selector} is read-only`);
  const data = new Uint8Array(r.bytes(def.length));
  r.end();
  return { def, data };
}

/*
 * Get LAN / SOL Configuration Parameters (23.2, 26.3). Request:
 *   1  [7] 1 = get parameter revision only, [6:4] reserved, [3:0] channel
 *   2  parameter selector
 *   3  set selector (destinations), 4 block selector
 * Response: 1 parameter revision (11h), 2:N parameter data (absent for revision only).
 */
interface GetParameterRequest {
  revisionOnly: boolean;
  selector: number;
  set: number;
}

function decodeGetParameter(r: Reader, ctx: IpmiContext): GetParameterRequest {
  const b1 = r.u8();
  const selector = r.u8();
  const set = r.u8();
  r.u8();
  r.end();
  reserved(b1, 0x70, 'channel');
  lanChannel(b1, ctx);
  return { revisionOnly: (b1 & 0x80) !== 0, selector, set };
}

function getParameter(table: ReadonlyMap<number, Parameter>, req: GetParameterRequest, ctx: IpmiContext): Uint8Array {
  const bmc = ctx.bmc;
  if (req.revisionOnly) return Uint8Array.of(PARAMETER_REVISION);
  const def = table.get(req.selector);
  if (!def) fail(ParamCC.NotSupported, `parameter ${req.selector}`);
  return new Writer(24).u8(PARAMETER_REVISION).bytes(def.get(bmc, req.set, ctx)).finish();
}

// ---- definitions -------------------------------------------------------------------------

const T = NetFn.Transport;

export const transportCommands: readonly CommandDef<unknown>[] = [
  command({
    netFn: T,
    cmd: Cmd.SetLanConfigurationParameters,
    name: 'Set LAN Configuration Parameters',
    privilege: Privilege.Administrator,
    section: 'IPMI 2.0 23.1',
    decode: (r, ctx) => decodeSetParameter(LAN_PARAMETERS, r, ctx),
    handle: (req, ctx) => {
      req.def.set!(req.data, ctx.bmc);
      return EMPTY;
    },
  }),
  command({
    netFn: T,
    cmd: Cmd.GetLanConfigurationParameters,
    name: 'Get LAN Configuration Parameters',
    privilege: Privilege.Operator,
    section: 'IPMI 2.0 23.2',
    decode: decodeGetParameter,
    handle: (req, ctx) => getParameter(LAN_PARAMETERS, req, ctx),
  }),
  command({
    netFn: T,
    cmd: Cmd.SetSolConfigurationParameters,
    name: 'Set SOL Configuration Parameters',
    privilege: Privilege.Administrator,
    section: 'IPMI 2.0 26.2',
    decode: (r, ctx) => decodeSetParameter(SOL_PARAMETERS, r, ctx),
    handle: (req, ctx) => {
      req.def.set!(req.data, ctx.bmc);
      return EMPTY;
    },
  }),
  command({
    netFn: T,
    cmd: Cmd.GetSolConfigurationParameters,
    name: 'Get SOL Configuration Parameters',
    privilege: Privilege.User,
    section: 'IPMI 2.0 26.3',
    decode: decodeGetParameter,
    handle: (req, ctx) => getParameter(SOL_PARAMETERS, req, ctx),
  }),
];
