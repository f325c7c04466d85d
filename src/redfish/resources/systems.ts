// ComputerSystem (ComputerSystem v1_27_0) and its collection, the
// ComputerSystem.Reset action and its ActionInfo (ActionInfo v1_5_0).
// Identity comes from the host's FRU (AssetTag is written back to it), power
// and boot override from the same model IPMI uses: a Redfish ForceOff or a
// boot override shows in `ipmitool chassis status` / `bootparam get 5` at
// once, and the other way round. Pure functions turn the model into bodies.
import type { Bmc } from '../../model/bmc.js';
import type { BootDevice, BootOverride } from '../../model/boot.js';
import type { FruProduct } from '../../model/fru.js';
import type { Host, RestorePolicy } from '../../model/host.js';
import { totalMemoryGiB } from '../../model/inventory.js';
import { thresholdStatus } from '../../model/sensors.js';
import { readBody, type Spec } from '../body.js';
import { hostBySystemId, paths, ROOT, systemId } from '../ids.js';
import { Base, Errors, RedfishError } from '../messages.js';
import type { JsonObject, RequestContext, RouteDef } from '../router.js';
import { collection, odataType } from '../schemas.js';
import { graphicalConsole, networkPorts, serialConsole, type NetworkPorts } from './consoles.js';
import { uuidOf } from './service-root.js';
import { systemInventoryRoutes } from './systems-inventory.js';
import { isResetType, reset, RESET_TYPES } from './systems-reset.js';
import { bootProgress } from './virtual-media.js';

const SYSTEM = `${ROOT}/Systems/{SystemId}`;
const RESET_ACTION = 'ComputerSystem.Reset';

/** Boot override targets this service accepts (BootSourceOverrideTarget@Redfish.AllowableValues). */
export const BOOT_TARGETS = ['None', 'Pxe', 'Hdd', 'Cd', 'Usb', 'BiosSetup', 'UefiHttp', 'Diags', 'Floppy'] as const;
export type BootTarget = (typeof BOOT_TARGETS)[number];

const TARGET_DEVICE: Readonly<Record<BootTarget, BootDevice>> = {
  None: 'none',
  Pxe: 'pxe',
  Hdd: 'disk',
  Cd: 'cdrom',
  Usb: 'usb',
  BiosSetup: 'bios-setup',
  UefiHttp: 'uefi-http',
  Diags: 'diag',
  Floppy: 'floppy',
};

/** Devices set over IPMI that Redfish has no target for, shown as the nearest target. */
const NEAREST_TARGET: Readonly<Partial<Record<BootDevice, BootTarget>>> = {
  'disk-safe': 'Hdd',
  'remote-floppy': 'Floppy',
  'remote-cdrom': 'Cd',
  'remote-disk': 'Hdd',
};

export function bootTargetOf(device: BootDevice): BootTarget {
  const hit = (Object.entries(TARGET_DEVICE) as [BootTarget, BootDevice][]).find(([, d]) => d === device);
  return hit ? hit[0] : (NEAREST_TARGET[device] ?? 'None');
}

const POLICY: Readonly<Record<RestorePolicy, 'AlwaysOn' | 'AlwaysOff' | 'LastState'>> = {
  'always-on': 'AlwaysOn',
  'always-off': 'AlwaysOff',
  previous: 'LastState',
};

export function systemPath(bmc: Bmc, host: Host): string {
  return paths.system(bmc, host);
}

/** Health from the threshold sensors: Warning for non-critical, Critical for critical or non-recoverable. */
export function hostHealth(host: Host): 'OK' | 'Warning' | 'Critical' {
  let worst: 'OK' | 'Warning' | 'Critical' = 'OK';
  for (const s of host.sensors.values()) {
    if (!s.isThreshold || !s.present) continue;
    const st = thresholdStatus(s.asserted);
    if (st === 'cr' || st === 'nr') return 'Critical';
    if (st === 'nc') worst = 'Warning';
  }
  return worst;
}

export function powerStateOf(host: Host): 'On' | 'Off' | 'PoweringOn' | 'PoweringOff' {
  const p = host.powerState;
  if (p.pending === 'cycle-off-interval') return 'PoweringOn';
  if (p.pending === 'soft-off') return 'PoweringOff';
  return p.current === 'on' ? 'On' : 'Off';
}

function indicatorLed(host: Host): 'Lit' | 'Blinking' | 'Off' {
  const id = host.identify;
  if (!id.on) return 'Off';
  return id.forced ? 'Lit' : 'Blinking';
}

export function bootBody(o: Readonly<BootOverride>): JsonObject {
  const enabled = !o.valid ? 'Disabled' : o.persistent ? 'Continuous' : 'Once';
  return {
    BootSourceOverrideEnabled: enabled,
    BootSourceOverrideTarget: bootTargetOf(o.device),
    'BootSourceOverrideTarget@Redfish.AllowableValues': [...BOOT_TARGETS],
    BootSourceOverrideMode: o.mode === 'uefi' ? 'UEFI' : 'Legacy',
    'BootSourceOverrideMode@Redfish.AllowableValues': ['Legacy', 'UEFI'],
    HttpBootUri: o.httpBootUri ?? null,
  };
}

/** The ComputerSystem resource of one host. */
export function computerSystem(bmc: Bmc, host: Host, ports?: NetworkPorts): JsonObject {
  const path = systemPath(bmc, host);
  const fru = host.frus.get(0)?.info ?? {};
  const product = fru.product;
  const inv = host.inventory;
  const cores = inv.processors.reduce((n, p) => n + p.cores, 0);
  const threads = inv.processors.reduce((n, p) => n + p.threads, 0);
  const health = hostHealth(host);
  const on = host.power === 'on';
  return {
    '@odata.id': path,
    '@odata.type': odataType('ComputerSystem'),
    Id: systemId(bmc, host),
    Name: product?.name || fru.board?.product || 'Computer System',
    SystemType: 'Physical',
    Manufacturer: product?.manufacturer ?? fru.board?.manufacturer ?? null,
    Model: product?.name ?? fru.board?.product ?? null,
    SerialNumber: product?.serial ?? fru.board?.serial ?? null,
    PartNumber: product?.partNumber ?? fru.board?.partNumber ?? null,
    SKU: fru.chassis?.partNumber ?? null,
    AssetTag: product?.assetTag ?? '',
    UUID: uuidOf(host.spec.systemGuid),
    HostName: inv.hostName,
    BiosVersion: bmc.firmware.bios(host.index)?.version ?? inv.biosVersion,
    PowerState: powerStateOf(host),
    PowerRestorePolicy: POLICY[host.restorePolicy],
    IndicatorLED: indicatorLed(host),
    LocationIndicatorActive: host.identify.on,
    Status: { State: on ? 'Enabled' : 'StandbyOffline', Health: health, HealthRollup: health },
    ProcessorSummary: {
      Count: inv.processors.length,
      CoreCount: cores,
      LogicalProcessorCount: threads,
      Model: inv.processors[0]?.model ?? null,
      ThreadingEnabled: threads > cores,
      Status: { State: 'Enabled', Health: 'OK', HealthRollup: 'OK' },
    },
    MemorySummary: {
      TotalSystemMemoryGiB: totalMemoryGiB(inv),
      Status: { State: 'Enabled', Health: 'OK', HealthRollup: 'OK' },
    },
    Boot: bootBody(host.boot.override),
    Processors: { '@odata.id': `${path}/Processors` },
    Memory: { '@odata.id': `${path}/Memory` },
    EthernetInterfaces: { '@odata.id': `${path}/EthernetInterfaces` },
    Storage: { '@odata.id': `${path}/Storage` },
    Bios: { '@odata.id': `${path}/Bios` },
    SecureBoot: { '@odata.id': `${path}/SecureBoot` },
    VirtualMedia: { '@odata.id': `${path}/VirtualMedia` },
    GraphicalConsole: graphicalConsole([host]),
    SerialConsole: serialConsole(bmc, host, ports),
    BootProgress: bootProgress(host),
    ...(host.lastResetAt !== null ? { LastResetTime: isoTime(host.lastResetAt) } : {}),
    Oem: { Tsbmc: { PowerCycles: host.powerCycles, PowerOnHours: Math.floor(host.powerOnMinutes() / 60) } },
    Links: {
      Chassis: [{ '@odata.id': paths.chassis(bmc, host) }],
      ManagedBy: [{ '@odata.id': paths.manager() }],
    },
    Actions: {
      [`#${RESET_ACTION}`]: {
        target: `${path}/Actions/${RESET_ACTION}`,
        'ResetType@Redfish.AllowableValues': [...RESET_TYPES],
        '@Redfish.ActionInfo': `${path}/ResetActionInfo`,
      },
    },
  };
}

export function resetActionInfo(bmc: Bmc, host: Host): JsonObject {
  return {
    '@odata.id': `${systemPath(bmc, host)}/ResetActionInfo`,
    '@odata.type': odataType('ActionInfo'),
    Id: 'ResetActionInfo',
    Name: 'Reset Action Info',
    Parameters: [{ Name: 'ResetType', Required: true, DataType: 'String', AllowableValues: [...RESET_TYPES] }],
  };
}

const READ_ONLY = { type: 'string', readOnly: true } as const;

/** What a PATCH of a ComputerSystem may carry; read-only properties answer PropertyNotWritable. */
const PATCH_SPEC: Spec = {
  AssetTag: { type: 'string', maxLength: 63, pattern: /^[\x20-\x7e]*$/ },
  IndicatorLED: { type: 'string', enum: ['Lit', 'Blinking', 'Off'] },
  LocationIndicatorActive: { type: 'boolean' },
  PowerRestorePolicy: { type: 'string', enum: Object.values(POLICY) },
  Boot: {
    type: 'object',
    fields: {
      BootSourceOverrideTarget: { type: 'string', enum: BOOT_TARGETS },
      BootSourceOverrideEnabled: { type: 'string', enum: ['Disabled', 'Once', 'Continuous'] },
      BootSourceOverrideMode: { type: 'string', enum: ['UEFI', 'Legacy'] },
      HttpBootUri: { type: 'string', maxLength: 1024, nullable: true },
      'BootSourceOverrideTarget@Redfish.AllowableValues': READ_ONLY,
      'BootSourceOverrideMode@Redfish.AllowableValues': READ_ONLY,
    },
  },
  Id: READ_ONLY,
  Name: READ_ONLY,
  SystemType: READ_ONLY,
  Manufacturer: READ_ONLY,
  Model: READ_ONLY,
  SerialNumber: READ_ONLY,
  PartNumber: READ_ONLY,
  SKU: READ_ONLY,
  UUID: READ_ONLY,
  HostName: READ_ONLY,
  BiosVersion: READ_ONLY,
  PowerState: READ_ONLY,
  Status: READ_ONLY,
  ProcessorSummary: READ_ONLY,
  MemorySummary: READ_ONLY,
  BootProgress: READ_ONLY,
  LastResetTime: READ_ONLY,
  GraphicalConsole: READ_ONLY,
  SerialConsole: READ_ONLY,
  Oem: READ_ONLY,
};

interface SystemPatch {
  AssetTag?: string;
  IndicatorLED?: 'Lit' | 'Blinking' | 'Off';
  LocationIndicatorActive?: boolean;
  PowerRestorePolicy?: 'AlwaysOn' | 'AlwaysOff' | 'LastState';
  Boot?: {
    BootSourceOverrideTarget?: BootTarget;
    BootSourceOverrideEnabled?: 'Disabled' | 'Once' | 'Continuous';
    BootSourceOverrideMode?: 'UEFI' | 'Legacy';
    HttpBootUri?: string | null;
  };
}

/** IPMI's default identify interval (Chassis Identify without an interval), for "Blinking". */
const IDENTIFY_DEFAULT_S = 15;

/**
 * The boot override a PATCH of Boot asks for. What it leaves out is kept
 * (Mode alone keeps target and enabled); target None disables the override.
 */
export function patchedBoot(cur: Readonly<BootOverride>, b: NonNullable<SystemPatch['Boot']>): BootOverride {
  const next: BootOverride = { ...cur };
  if (b.BootSourceOverrideTarget !== undefined) next.device = TARGET_DEVICE[b.BootSourceOverrideTarget];
  if (b.BootSourceOverrideEnabled !== undefined) {
    next.valid = b.BootSourceOverrideEnabled !== 'Disabled';
    next.persistent = b.BootSourceOverrideEnabled === 'Continuous';
  }
  if (b.BootSourceOverrideMode !== undefined) next.mode = b.BootSourceOverrideMode === 'UEFI' ? 'uefi' : 'legacy';
  if (b.HttpBootUri === null) delete next.httpBootUri;
  else if (b.HttpBootUri !== undefined) next.httpBootUri = b.HttpBootUri;
  if (next.device === 'none') {
    next.valid = false;
    next.persistent = false;
  }
  return next;
}

function isHttpUri(s: string): boolean {
  try {
    const u = new URL(s);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}

function patchSystem(ctx: RequestContext): JsonObject {
  const host = hostBySystemId(ctx.bmc, ctx.params.SystemId);
  const body = readBody<SystemPatch>(ctx.body, PATCH_SPEC);
  if (body.IndicatorLED !== undefined && body.LocationIndicatorActive !== undefined) {
    throw new RedfishError(400, [Base.message('PropertyValueConflict', ['IndicatorLED', 'LocationIndicatorActive'], ['#/IndicatorLED'])]);
  }
  const uri = body.Boot?.HttpBootUri;
  if (typeof uri === 'string' && !isHttpUri(uri)) throw Errors.propertyValueFormat(uri, 'Boot/HttpBootUri');
  // all checks done: apply
  if (body.AssetTag !== undefined) {
    const tag = body.AssetTag;
    const blank: FruProduct = { manufacturer: '', name: '', partNumber: '', version: '', serial: '', assetTag: '', fileId: '', extra: [] };
    host.frus.get(0)?.update((info) => ({ ...info, product: { ...(info.product ?? blank), assetTag: tag } }));
  }
  if (body.IndicatorLED !== undefined) {
    host.setIdentify(body.IndicatorLED === 'Lit' ? 'force-on' : body.IndicatorLED === 'Blinking' ? { seconds: IDENTIFY_DEFAULT_S } : 'off');
  }
  if (body.LocationIndicatorActive !== undefined) host.setIdentify(body.LocationIndicatorActive ? 'force-on' : 'off');
  if (body.PowerRestorePolicy !== undefined) {
    const want = body.PowerRestorePolicy;
    const policy = (Object.keys(POLICY) as RestorePolicy[]).find((k) => POLICY[k] === want);
    if (policy) host.setRestorePolicy(policy);
  }
  if (body.Boot && Object.keys(body.Boot).length > 0) host.setBootOverride(patchedBoot(host.boot.override, body.Boot));
  return computerSystem(ctx.bmc, host, networkPorts(ctx));
}

function postReset(ctx: RequestContext): { status: number } {
  const host = hostBySystemId(ctx.bmc, ctx.params.SystemId);
  const body = readBody<{ ResetType: string }>(ctx.body ?? {}, { ResetType: { type: 'string' } }, { required: ['ResetType'], action: RESET_ACTION, allowEmpty: true });
  const type = body.ResetType;
  if (!isResetType(type)) throw Errors.actionParameterNotInList(type, 'ResetType', RESET_ACTION);
  const refusal = reset(ctx.bmc, host, type);
  if (refusal) throw new RedfishError(409, [Base.message('ActionParameterValueConflict', ['ResetType', type])]);
  return { status: 204 };
}

export function systemRoutes(): RouteDef[] {
  return [
    {
      path: `${ROOT}/Systems`,
      entity: 'ComputerSystemCollection',
      get: (ctx) =>
        collection(
          'ComputerSystem',
          `${ROOT}/Systems`,
          'Computer System Collection',
          ctx.bmc.hosts.map((h) => systemPath(ctx.bmc, h)),
        ),
    },
    {
      path: SYSTEM,
      entity: 'ComputerSystem',
      get: (ctx) => computerSystem(ctx.bmc, hostBySystemId(ctx.bmc, ctx.params.SystemId), networkPorts(ctx)),
      patch: (ctx) => ({ status: 200, body: patchSystem(ctx) }),
    },
    {
      path: `${SYSTEM}/Actions/${RESET_ACTION}`,
      entity: 'ComputerSystem',
      post: postReset,
    },
    {
      path: `${SYSTEM}/ResetActionInfo`,
      entity: 'ActionInfo',
      get: (ctx) => resetActionInfo(ctx.bmc, hostBySystemId(ctx.bmc, ctx.params.SystemId)),
    },
    ...systemInventoryRoutes(),
  ];
}

/** Redfish date-time with an explicit offset: 2026-11-21T09:34:58+00:00. */
export function isoTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, '+00:00');
}
