// The Manager (Redfish Manager v1_24): the BMC itself, its clock, network
// protocols (ManagerNetworkProtocol v1_12), its LAN interface
// (EthernetInterface v1_12, over the same LAN configuration IPMI's
// Set/Get LAN Configuration Parameters use), its log services and actions.
//
// The BMC clock is the SEL clock: DateTime reads host 0's SEL time and a
// PATCH sets every host's SEL time (and DateTimeLocalOffset their UTC
// offset), so `ipmitool sel time get` follows.
//
// Manager.ResetToDefaults, exactly:
//   every ResetType: each host's SEL is cleared, its power restore policy
//     goes back to the platform default, its boot options (override, valid
//     bit rules, the rest of the boot parameters) go back to defaults, and
//     the NTP server list is emptied.
//   ResetAll also: the LAN configuration goes back to defaults (IP source,
//     addresses, VLAN, cipher suites, alert destinations; the MAC stays).
//   Never reset: user accounts (a reset that removed the only administrator
//     would lock everyone out; accounts are removed through AccountService),
//     the audit log (a security record), identities (GUIDs, MAC), TLS keys.
//
// ManagerNetworkProtocol Oem.Tsbmc.Ipmi.CipherSuites (standard Redfish has no
// IPMI cipher suites): the RMCP+ cipher suites the LAN channel offers, in
// order, each with the highest privilege it may be used at, exactly IPMI's
// LAN parameters 22-24 (`ipmitool lan print` "RMCP+ Cipher Suites" and
// "Cipher Suite Priv Max"): [{"Id": 17, "MaxPrivilege": "Administrator"}].
// MaxPrivilege is Callback, User, Operator, Administrator, OEM or Disabled.
// A PATCH (ConfigureManager) replaces the whole list: at most 16 entries,
// distinct Ids among the suites implemented, suite 0 only when the BMC's
// security policy allows it.
import { Channel, type PrivilegeLevel } from '../../ipmi/constants.js';
import type { Bmc } from '../../model/bmc.js';
import { defaultBootOptions } from '../../model/boot.js';
import { defaultLanConfig, SUPPORTED_CIPHER_SUITES, type LanConfig } from '../../model/lan.js';
import { MAX_NTP_SERVERS } from '../../model/ntp.js';
import { readBody } from '../body.js';
import { MANAGER_ID, paths, requireManager, ROOT } from '../ids.js';
import { Base, Errors, RedfishError } from '../messages.js';
import type { JsonObject, RequestContext, RouteDef } from '../router.js';
import { collection, odataType } from '../schemas.js';
import { uuidOf } from './service-root.js';
import { graphicalConsole, managerSerialConsole, networkPorts, type NetworkPorts } from './consoles.js';
import { isoAt, logServiceRoutes, offsetText, parseOffset } from './log-services.js';

const MANAGER = `${ROOT}/Managers/${MANAGER_ID}`;
const ETH = `${MANAGER}/EthernetInterfaces`;
const ETH0 = 'eth0';
const IPMI_DEFAULT_PORT = 623;

/** The BMC clock: host 0's SEL clock (seconds) and UTC offset (minutes). */
function bmcClock(bmc: Bmc): { seconds: number; offset: number } {
  const h = bmc.hosts[0];
  return h ? { seconds: h.sel.time(), offset: h.sel.utcOffset } : { seconds: Math.floor(bmc.clock.now() / 1000), offset: 0x7ff };
}

export function hostName(bmc: Bmc): string {
  const s = bmc.name.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 63);
  return s || 'tsbmc';
}

export function managerBody(bmc: Bmc): JsonObject {
  const clock = bmcClock(bmc);
  return {
    '@odata.id': MANAGER,
    '@odata.type': odataType('Manager'),
    Id: MANAGER_ID,
    Name: 'Manager',
    Description: 'Baseboard management controller',
    ManagerType: 'BMC',
    Model: 'tsbmc',
    FirmwareVersion: bmc.device.firmwareVersion,
    UUID: uuidOf(bmc.device.guid),
    ServiceEntryPointUUID: uuidOf(bmc.device.guid),
    DateTime: isoAt(clock.seconds, clock.offset),
    DateTimeLocalOffset: offsetText(clock.offset),
    PowerState: 'On',
    Status: { State: 'Enabled', Health: 'OK' },
    LastResetTime: new Date(bmc.startedAt).toISOString().replace(/\.\d{3}Z$/, '+00:00'),
    // deprecated in favour of ComputerSystem SerialConsole, kept for older clients: SOL and the web console
    SerialConsole: managerSerialConsole(bmc),
    CommandShell: { ServiceEnabled: false, MaxConcurrentSessions: 0, ConnectTypesSupported: [] },
    // KVM over IP (/ws/kvm) for every host with a display, up to the per-host limit each
    GraphicalConsole: graphicalConsole(bmc.hosts),
    EthernetInterfaces: { '@odata.id': ETH },
    NetworkProtocol: { '@odata.id': `${MANAGER}/NetworkProtocol` },
    LogServices: { '@odata.id': `${MANAGER}/LogServices` },
    VirtualMedia: { '@odata.id': `${MANAGER}/VirtualMedia` },
    Links: {
      ManagerForServers: bmc.hosts.map((h) => ({ '@odata.id': paths.system(bmc, h) })),
      'ManagerForServers@odata.count': bmc.hosts.length,
      ManagerForChassis: bmc.hosts.map((h) => ({ '@odata.id': paths.chassis(bmc, h) })),
      'ManagerForChassis@odata.count': bmc.hosts.length,
      ...(bmc.hosts.length === 1 && bmc.hosts[0] ? { ManagerInChassis: { '@odata.id': paths.chassis(bmc, bmc.hosts[0]) } } : {}),
    },
    Actions: {
      '#Manager.Reset': {
        target: `${MANAGER}/Actions/Manager.Reset`,
        'ResetType@Redfish.AllowableValues': ['GracefulRestart', 'ForceRestart'],
      },
      '#Manager.ResetToDefaults': {
        target: `${MANAGER}/Actions/Manager.ResetToDefaults`,
        'ResetType@Redfish.AllowableValues': ['ResetAll', 'PreserveNetworkAndUsers'],
      },
    },
  };
}

/** RFC 3339 date-time → epoch seconds, or undefined. */
function parseDateTime(text: string): number | undefined {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(text)) return undefined;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : Math.floor(ms / 1000);
}

function patchManager(ctx: RequestContext): { status: number; body: unknown } {
  requireManager(ctx.params.ManagerId);
  const b = readBody<{ DateTime?: string; DateTimeLocalOffset?: string }>(ctx.body, {
    DateTime: { type: 'string', maxLength: 64 },
    DateTimeLocalOffset: { type: 'string', maxLength: 6 },
    Id: { type: 'string', readOnly: true },
    Name: { type: 'string', readOnly: true },
    ManagerType: { type: 'string', readOnly: true },
    Model: { type: 'string', readOnly: true },
    FirmwareVersion: { type: 'string', readOnly: true },
    UUID: { type: 'string', readOnly: true },
    ServiceEntryPointUUID: { type: 'string', readOnly: true },
    PowerState: { type: 'string', readOnly: true },
  });
  let seconds: number | undefined;
  let offset: number | undefined;
  if (b.DateTime !== undefined) {
    seconds = parseDateTime(b.DateTime);
    if (seconds === undefined) throw Errors.propertyValueFormat(b.DateTime, 'DateTime');
    if (seconds < 0 || seconds > 0xfffffffe) throw Errors.propertyValueOutOfRange(b.DateTime, 'DateTime');
  }
  if (b.DateTimeLocalOffset !== undefined) {
    offset = parseOffset(b.DateTimeLocalOffset);
    if (offset === undefined) throw Errors.propertyValueFormat(b.DateTimeLocalOffset, 'DateTimeLocalOffset');
  }
  // DateTime first, then the offset (the schema's order for both in one request)
  for (const h of ctx.bmc.hosts) {
    if (seconds !== undefined) h.sel.setTime(seconds);
    if (offset !== undefined) h.sel.setUtcOffset(offset);
  }
  return { status: 200, body: managerBody(ctx.bmc) };
}

function resetManager(ctx: RequestContext): { status: number; body: unknown } {
  requireManager(ctx.params.ManagerId);
  const action = 'Manager.Reset';
  const b = readBody<{ ResetType: string }>(ctx.body, { ResetType: { type: 'string' } }, { required: ['ResetType'], action });
  if (b.ResetType !== 'GracefulRestart' && b.ResetType !== 'ForceRestart') throw Errors.actionParameterNotInList(b.ResetType, 'ResetType', action);
  // A reset activates a staged BMC image (what a real BMC's reboot does);
  // the emulated BMC keeps its process and sessions running.
  ctx.bmc.firmware.activatePending('bmc');
  ctx.services.log.info('Manager reset requested (staged firmware activated; the service keeps running)', { resetType: b.ResetType, user: ctx.principal?.userName });
  return { status: 200, body: { '@Message.ExtendedInfo': [Base.message('Success')] } };
}

/** Manager.ResetToDefaults: see the file header for exactly what is reset. */
export function resetToDefaults(bmc: Bmc, type: 'ResetAll' | 'PreserveNetworkAndUsers'): void {
  for (const h of bmc.hosts) {
    h.sel.clear();
    h.setRestorePolicy(h.spec.defaultRestorePolicy);
    const boot = defaultBootOptions();
    h.setBootOverride(boot.override);
    h.setBootOptions(boot);
  }
  bmc.ntp.update({ enabled: false, servers: [] });
  if (type === 'ResetAll') {
    bmc.lan.update(defaultLanConfig({ mac: bmc.lan.config.mac, allowCipher0: bmc.security.allowCipher0 }));
  }
}

function resetToDefaultsAction(ctx: RequestContext): { status: number; body: unknown } {
  requireManager(ctx.params.ManagerId);
  const action = 'Manager.ResetToDefaults';
  const b = readBody<{ ResetType: string }>(ctx.body, { ResetType: { type: 'string' } }, { required: ['ResetType'], action });
  if (b.ResetType !== 'ResetAll' && b.ResetType !== 'PreserveNetworkAndUsers') throw Errors.actionParameterNotInList(b.ResetType, 'ResetType', action);
  resetToDefaults(ctx.bmc, b.ResetType);
  ctx.services.log.info('Manager reset to defaults', { resetType: b.ResetType, user: ctx.principal?.userName });
  return { status: 200, body: { '@Message.ExtendedInfo': [Base.message('Success')] } };
}

// ---- ManagerNetworkProtocol ----------------------------------------------------

export function networkProtocolBody(bmc: Bmc, ports: NetworkPorts | undefined): JsonObject {
  const ipmi = ports?.ipmiPorts()[0] ?? IPMI_DEFAULT_PORT;
  const https = ports?.httpsPort();
  const http = ports?.httpPort();
  const ntp = bmc.ntp.config;
  return {
    '@odata.id': `${MANAGER}/NetworkProtocol`,
    '@odata.type': odataType('ManagerNetworkProtocol'),
    Id: 'NetworkProtocol',
    Name: 'Manager Network Protocol',
    Description: 'Network services of the BMC',
    HostName: hostName(bmc),
    Status: { State: 'Enabled', Health: 'OK' },
    IPMI: { ProtocolEnabled: bmc.channels.access(Channel.Lan)?.accessMode !== 'disabled', Port: ipmi },
    HTTPS: { ProtocolEnabled: true, Port: https ?? 443, Certificates: { '@odata.id': `${MANAGER}/NetworkProtocol/HTTPS/Certificates` } },
    // plain HTTP only redirects to HTTPS
    HTTP: http !== undefined ? { ProtocolEnabled: true, Port: http } : { ProtocolEnabled: false, Port: null },
    SSH: { ProtocolEnabled: false, Port: null },
    NTP: { ProtocolEnabled: ntp.enabled, NTPServers: [...ntp.servers] },
    Oem: { Tsbmc: { Ipmi: { CipherSuites: bmc.lan.config.cipherSuites.map((c) => ({ Id: c.id, MaxPrivilege: PRIVILEGE_NAMES[c.maxPrivilege] ?? 'Disabled' })) } } },
  };
}

/** Cipher suite privilege limits by IPMI privilege level (0 = entry disabled). */
const PRIVILEGE_NAMES: Readonly<Record<number, string>> = { 0: 'Disabled', 1: 'Callback', 2: 'User', 3: 'Operator', 4: 'Administrator', 5: 'OEM' };
const PRIVILEGE_LEVELS: Readonly<Record<string, PrivilegeLevel | 0>> = { Disabled: 0, Callback: 1, User: 2, Operator: 3, Administrator: 4, OEM: 5 };
const MAX_CIPHER_SUITE_ENTRIES = 16;

/** Oem.Tsbmc.Ipmi.CipherSuites of a PATCH → the LAN configuration's list (see the file header). */
function cipherSuitesFrom(bmc: Bmc, list: readonly { Id?: number; MaxPrivilege?: string }[]): LanConfig['cipherSuites'] {
  const path = 'Oem/Tsbmc/Ipmi/CipherSuites';
  const seen = new Set<number>();
  return list.map((e, i) => {
    if (e.Id === undefined) throw Errors.propertyMissing(`${path}/${i}/Id`);
    if (e.MaxPrivilege === undefined) throw Errors.propertyMissing(`${path}/${i}/MaxPrivilege`);
    const allowed = (SUPPORTED_CIPHER_SUITES as readonly number[]).includes(e.Id) && (e.Id !== 0 || bmc.security.allowCipher0);
    if (!allowed || seen.has(e.Id)) throw new RedfishError(400, [Base.message('PropertyValueNotInList', [String(e.Id), `${path}/${i}/Id`], [`#/${path}/${i}/Id`])]);
    seen.add(e.Id);
    return { id: e.Id, maxPrivilege: PRIVILEGE_LEVELS[e.MaxPrivilege] ?? 0 };
  });
}

const RO_PROTOCOL = { type: 'object', readOnly: true, fields: {} } as const;

function patchNetworkProtocol(ctx: RequestContext): { status: number; body: unknown } {
  requireManager(ctx.params.ManagerId);
  const b = readBody<{
    NTP?: { NTPServers?: string[] };
    IPMI?: { ProtocolEnabled?: boolean };
    Oem?: { Tsbmc?: { Ipmi?: { CipherSuites?: { Id?: number; MaxPrivilege?: string }[] } } };
  }>(ctx.body, {
    NTP: {
      type: 'object',
      fields: {
        NTPServers: { type: 'array', maxItems: MAX_NTP_SERVERS, items: { type: 'string', maxLength: 253, pattern: /^[A-Za-z0-9][A-Za-z0-9.:-]*$/ } },
        ProtocolEnabled: { type: 'boolean', readOnly: true },
      },
    },
    HostName: { type: 'string', readOnly: true },
    FQDN: { type: 'string', readOnly: true },
    // IPMI over LAN on or off: the LAN channel's access mode, which the RMCP
    // endpoint obeys (a disabled channel answers nothing)
    IPMI: { type: 'object', fields: { ProtocolEnabled: { type: 'boolean' }, Port: { type: 'integer', readOnly: true } } },
    HTTPS: RO_PROTOCOL,
    HTTP: RO_PROTOCOL,
    SSH: RO_PROTOCOL,
    Oem: {
      type: 'object',
      fields: {
        Tsbmc: {
          type: 'object',
          fields: {
            Ipmi: {
              type: 'object',
              fields: {
                CipherSuites: {
                  type: 'array',
                  maxItems: MAX_CIPHER_SUITE_ENTRIES,
                  items: { type: 'object', fields: { Id: { type: 'integer', min: 0, max: 255 }, MaxPrivilege: { type: 'string', enum: Object.keys(PRIVILEGE_LEVELS) } } },
                },
              },
            },
          },
        },
      },
    },
  });
  const suites = b.Oem?.Tsbmc?.Ipmi?.CipherSuites;
  const cipherSuites = suites !== undefined ? cipherSuitesFrom(ctx.bmc, suites) : undefined;
  if (b.NTP?.NTPServers !== undefined) ctx.bmc.ntp.update({ servers: b.NTP.NTPServers });
  if (cipherSuites) ctx.bmc.lan.update({ cipherSuites });
  if (b.IPMI?.ProtocolEnabled !== undefined) {
    const accessMode = b.IPMI.ProtocolEnabled ? 'always' : 'disabled';
    ctx.bmc.channels.setAccess(Channel.Lan, 'non-volatile', { accessMode });
    ctx.bmc.channels.setAccess(Channel.Lan, 'volatile', { accessMode });
  }
  return { status: 200, body: networkProtocolBody(ctx.bmc, networkPorts(ctx)) };
}

// ---- EthernetInterface ---------------------------------------------------------

function macText(mac: string): string {
  return mac.toUpperCase();
}

export function ethernetBody(bmc: Bmc): JsonObject {
  const c = bmc.lan.config;
  const dhcp = c.ipSource === 'dhcp';
  const v4 = { Address: c.ip, SubnetMask: c.netmask, Gateway: c.gateway };
  return {
    '@odata.id': `${ETH}/${ETH0}`,
    '@odata.type': odataType('EthernetInterface'),
    Id: ETH0,
    Name: 'Manager Ethernet Interface',
    Description: 'Management network interface (IPMI LAN channel 1)',
    Status: { State: 'Enabled', Health: 'OK' },
    InterfaceEnabled: true,
    LinkStatus: 'LinkUp',
    MACAddress: macText(c.mac),
    PermanentMACAddress: macText(c.mac),
    HostName: hostName(bmc),
    DHCPv4: { DHCPEnabled: dhcp },
    IPv4Addresses: [{ ...v4, AddressOrigin: dhcp ? 'DHCP' : 'Static' }],
    IPv4StaticAddresses: dhcp ? [] : [v4],
    VLAN: { VLANEnable: c.vlanEnabled, VLANId: c.vlanId, VLANPriority: c.vlanPriority },
  };
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

function isNetmask(m: string): boolean {
  const n = m.split('.').reduce((a, o) => a * 256 + Number(o), 0);
  const inv = 0xffffffff - n;
  return (inv & (inv + 1)) === 0;
}

interface EthPatch {
  DHCPv4?: { DHCPEnabled?: boolean };
  IPv4StaticAddresses?: { Address: string; SubnetMask: string; Gateway?: string }[];
  VLAN?: { VLANEnable?: boolean; VLANId?: number; VLANPriority?: number };
}

function patchEthernet(ctx: RequestContext): { status: number; body: unknown } {
  requireManager(ctx.params.ManagerId);
  if (ctx.params.EthernetInterfaceId !== ETH0) throw Errors.notFound('EthernetInterface', ctx.params.EthernetInterfaceId ?? '');
  // the privilege registry's subordinate override: the Manager's interfaces need ConfigureManager
  if (!ctx.principal?.privileges.has('ConfigureManager')) throw Errors.insufficientPrivilege();
  const ro = (type: 'string' | 'boolean') => ({ type, readOnly: true }) as const;
  const b = readBody<EthPatch>(ctx.body, {
    DHCPv4: { type: 'object', fields: { DHCPEnabled: { type: 'boolean' } } },
    IPv4StaticAddresses: {
      type: 'array',
      maxItems: 1,
      items: {
        type: 'object',
        fields: {
          Address: { type: 'string', pattern: IPV4 },
          SubnetMask: { type: 'string', pattern: IPV4 },
          Gateway: { type: 'string', pattern: IPV4 },
        },
      },
    },
    VLAN: {
      type: 'object',
      fields: { VLANEnable: { type: 'boolean' }, VLANId: { type: 'integer', min: 1, max: 4094 }, VLANPriority: { type: 'integer', min: 0, max: 7 } },
    },
    Id: ro('string'),
    Name: ro('string'),
    MACAddress: ro('string'),
    PermanentMACAddress: ro('string'),
    HostName: ro('string'),
    InterfaceEnabled: ro('boolean'),
    LinkStatus: ro('string'),
    IPv4Addresses: { type: 'array', readOnly: true, items: { type: 'string' } },
  });
  const change: Partial<LanConfig> = {};
  const statics = b.IPv4StaticAddresses;
  if (statics !== undefined) {
    if (b.DHCPv4?.DHCPEnabled === true && statics.length > 0) {
      throw new RedfishError(400, [Base.message('PropertyValueConflict', ['IPv4StaticAddresses', 'DHCPv4/DHCPEnabled'], ['#/IPv4StaticAddresses'])]);
    }
    const a = statics[0];
    if (a) {
      if (a.Address === undefined) throw Errors.propertyMissing('IPv4StaticAddresses/0/Address');
      if (a.SubnetMask === undefined) throw Errors.propertyMissing('IPv4StaticAddresses/0/SubnetMask');
      if (!isNetmask(a.SubnetMask)) throw Errors.propertyValueFormat(a.SubnetMask, 'IPv4StaticAddresses/0/SubnetMask');
      Object.assign(change, { ip: a.Address, netmask: a.SubnetMask, ipSource: 'static' }, a.Gateway !== undefined ? { gateway: a.Gateway } : {});
    } else {
      Object.assign(change, { ip: '0.0.0.0', netmask: '0.0.0.0', gateway: '0.0.0.0' });
    }
  }
  if (b.DHCPv4?.DHCPEnabled !== undefined) change.ipSource = b.DHCPv4.DHCPEnabled ? 'dhcp' : 'static';
  if (b.VLAN) {
    if (b.VLAN.VLANEnable !== undefined) change.vlanEnabled = b.VLAN.VLANEnable;
    if (b.VLAN.VLANId !== undefined) change.vlanId = b.VLAN.VLANId;
    if (b.VLAN.VLANPriority !== undefined) change.vlanPriority = b.VLAN.VLANPriority;
    if ((change.vlanEnabled ?? ctx.bmc.lan.config.vlanEnabled) && (change.vlanId ?? ctx.bmc.lan.config.vlanId) === 0) {
      throw Errors.propertyMissing('VLAN/VLANId');
    }
  }
  if (Object.keys(change).length > 0) ctx.bmc.lan.update(change);
  return { status: 200, body: ethernetBody(ctx.bmc) };
}

// ---- routes ------------------------------------------------------------------

export function managerRoutes(): RouteDef[] {
  return [
    {
      path: `${ROOT}/Managers`,
      entity: 'ManagerCollection',
      get: () => collection('Manager', `${ROOT}/Managers`, 'Manager Collection', [MANAGER]),
    },
    {
      path: `${ROOT}/Managers/{ManagerId}`,
      entity: 'Manager',
      get: (ctx) => {
        requireManager(ctx.params.ManagerId);
        return managerBody(ctx.bmc);
      },
      patch: patchManager,
    },
    { path: `${ROOT}/Managers/{ManagerId}/Actions/Manager.Reset`, entity: 'Manager', post: resetManager },
    { path: `${ROOT}/Managers/{ManagerId}/Actions/Manager.ResetToDefaults`, entity: 'Manager', post: resetToDefaultsAction },
    {
      path: `${ROOT}/Managers/{ManagerId}/NetworkProtocol`,
      entity: 'ManagerNetworkProtocol',
      get: (ctx) => {
        requireManager(ctx.params.ManagerId);
        return networkProtocolBody(ctx.bmc, networkPorts(ctx));
      },
      patch: patchNetworkProtocol,
    },
    {
      path: `${ROOT}/Managers/{ManagerId}/EthernetInterfaces`,
      entity: 'EthernetInterfaceCollection',
      get: (ctx) => {
        requireManager(ctx.params.ManagerId);
        return collection('EthernetInterface', ETH, 'Manager Ethernet Interface Collection', [`${ETH}/${ETH0}`]);
      },
    },
    {
      path: `${ROOT}/Managers/{ManagerId}/EthernetInterfaces/{EthernetInterfaceId}`,
      entity: 'EthernetInterface',
      get: (ctx) => {
        requireManager(ctx.params.ManagerId);
        if (ctx.params.EthernetInterfaceId !== ETH0) throw Errors.notFound('EthernetInterface', ctx.params.EthernetInterfaceId ?? '');
        return ethernetBody(ctx.bmc);
      },
      patch: patchEthernet,
    },
    ...logServiceRoutes(),
  ];
}
