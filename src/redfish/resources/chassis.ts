// Chassis (Redfish Chassis v1_28_0, ChassisCollection, ActionInfo for
// #Chassis.Reset, Assembly v1_6_1): one chassis per host, described by its
// FRU (IPMI FRU Information Storage Definition v1.0: chassis, board and
// product areas), with the host's power state, identify LED (IPMI Chassis
// Identify, 28.5) and a health rollup of its sensors. Sensors, cooling and
// power live in chassis-sensors.ts, chassis-thermal.ts and chassis-power.ts.
import type { Bmc } from '../../model/bmc.js';
import { FRU_EPOCH_MS, type FruInfo } from '../../model/fru.js';
import type { Host } from '../../model/host.js';
import type { PowerAction } from '../../model/power.js';
import { SensorType } from '../../model/sensors.js';
import { readBody } from '../body.js';
import { chassisId, hostByChassisId, paths, ROOT } from '../ids.js';
import { Base, Errors, RedfishError } from '../messages.js';
import type { JsonObject, RequestContext, RouteDef } from '../router.js';
import { collection, odataType } from '../schemas.js';
import { powerRoutes, powerSupplies, psuHealth } from './chassis-power.js';
import { sensorHealth, sensorRoutes, thresholdSensors, worst, type Health } from './chassis-sensors.js';
import { thermalRoutes } from './chassis-thermal.js';

type Ctx = { bmc: Bmc };

/** SMBIOS chassis types (SMBIOS 3.x 7.4.1, used by the FRU chassis area) → Redfish ChassisType. */
export function chassisType(smbios: number | undefined): string {
  switch (smbios) {
    case 0x05: // pizza box
    case 0x17: // rack mount chassis
      return 'RackMount';
    case 0x11: // main server chassis
    case 0x07: // tower
      return 'StandAlone';
    case 0x12: // expansion chassis
    case 0x14: // bus expansion chassis
    case 0x15: // peripheral chassis
      return 'Expansion';
    case 0x13: // sub chassis
      return 'Module';
    case 0x16: // RAID chassis
      return 'StorageEnclosure';
    case 0x19: // multi-system chassis
    case 0x1d: // blade enclosure
      return 'Enclosure';
    case 0x1c: // blade
      return 'Blade';
    case 0x1a: // compact PCI
    case 0x1b: // advanced TCA
      return 'Card';
    case undefined:
    case 0x01:
    case 0x02:
      return 'Other';
    default:
      return 'StandAlone';
  }
}

/** IndicatorLED from the identify state: on until turned off = Lit; timed (IPMI's interval) = Blinking. */
export function indicatorLed(host: Host): 'Lit' | 'Blinking' | 'Off' {
  const id = host.identify;
  return !id.on ? 'Off' : id.forced ? 'Lit' : 'Blinking';
}

/** How long a Redfish `Blinking` request lights identify: the longest interval IPMI's Chassis Identify can ask for. */
export const BLINK_SECONDS = 255;

export function powerState(host: Host): string {
  const s = host.powerState;
  if (s.pending === 'soft-off') return 'PoweringOff';
  if (s.pending === 'cycle-off-interval') return 'PoweringOn';
  return s.current === 'on' ? 'On' : 'Off';
}

/** Chassis intrusion: any asserted physical-security state (table 42-3, type 05h, offsets 0-6). */
function intrusion(host: Host): { asserted: boolean; number: number } | undefined {
  const s = [...host.sensors.values()].find((x) => !x.isThreshold && x.def.type === SensorType.PhysicalSecurity && x.present);
  return s ? { asserted: (s.states & 0x7f) !== 0, number: s.def.number } : undefined;
}

/** Worst of the sensors' asserted thresholds, the supplies' states and intrusion. */
export function chassisHealth(host: Host): Health {
  const intr = intrusion(host);
  return worst(
    ...thresholdSensors(host).map((x) => sensorHealth(x.sensor)),
    ...powerSupplies(host).map((x) => psuHealth(x.sensor)),
    intr?.asserted ? 'Warning' : 'OK',
  );
}

function nonEmpty(k: string, v: string | undefined): JsonObject {
  return v !== undefined && v.trim() !== '' ? { [k]: v.trim() } : {};
}

export function chassisBody(ctx: Ctx, host: Host): JsonObject {
  const base = paths.chassis(ctx.bmc, host);
  const fru: Readonly<FruInfo> = host.frus.get(0)?.info ?? {};
  const health = chassisHealth(host);
  const intr = intrusion(host);
  const id = host.identify;
  return {
    '@odata.id': base,
    '@odata.type': odataType('Chassis'),
    Id: chassisId(ctx.bmc, host),
    Name: ctx.bmc.hosts.length === 1 ? 'Chassis' : `Chassis ${host.index}`,
    ChassisType: chassisType(fru.chassis?.type),
    ...nonEmpty('Manufacturer', fru.product?.manufacturer || fru.board?.manufacturer),
    ...nonEmpty('Model', fru.product?.name || fru.board?.product),
    ...nonEmpty('SerialNumber', fru.chassis?.serial || fru.product?.serial),
    ...nonEmpty('PartNumber', fru.chassis?.partNumber || fru.product?.partNumber),
    ...nonEmpty('AssetTag', fru.product?.assetTag),
    PowerState: powerState(host),
    IndicatorLED: indicatorLed(host),
    LocationIndicatorActive: id.on,
    ...(intr ? { PhysicalSecurity: { IntrusionSensor: intr.asserted ? 'HardwareIntrusion' : 'Normal', IntrusionSensorNumber: intr.number, IntrusionSensorReArm: 'Automatic' } } : {}),
    Status: { State: 'Enabled', Health: health, HealthRollup: health },
    Sensors: { '@odata.id': `${base}/Sensors` },
    ThermalSubsystem: { '@odata.id': `${base}/ThermalSubsystem` },
    PowerSubsystem: { '@odata.id': `${base}/PowerSubsystem` },
    EnvironmentMetrics: { '@odata.id': `${base}/EnvironmentMetrics` },
    Thermal: { '@odata.id': `${base}/Thermal` },
    Power: { '@odata.id': `${base}/Power` },
    Assembly: { '@odata.id': `${base}/Assembly` },
    Links: {
      ComputerSystems: [{ '@odata.id': paths.system(ctx.bmc, host) }],
      'ComputerSystems@odata.count': 1,
      ManagedBy: [{ '@odata.id': paths.manager() }],
      'ManagedBy@odata.count': 1,
    },
    Actions: {
      '#Chassis.Reset': {
        target: `${base}/Actions/Chassis.Reset`,
        '@Redfish.ActionInfo': `${base}/ResetActionInfo`,
        'ResetType@Redfish.AllowableValues': Object.keys(RESET_ACTIONS),
      },
    },
  };
}

interface ChassisPatch {
  IndicatorLED?: 'Lit' | 'Blinking' | 'Off';
  LocationIndicatorActive?: boolean;
}

function patchChassis(ctx: RequestContext): { status: number; body: JsonObject } {
  const host = hostByChassisId(ctx.bmc, ctx.params.ChassisId);
  const body = readBody<ChassisPatch>(ctx.body, {
    IndicatorLED: { type: 'string', enum: ['Lit', 'Blinking', 'Off'] },
    LocationIndicatorActive: { type: 'boolean' },
  });
  if (body.IndicatorLED !== undefined) {
    host.setIdentify(body.IndicatorLED === 'Lit' ? 'force-on' : body.IndicatorLED === 'Blinking' ? { seconds: BLINK_SECONDS } : 'off');
  }
  if (body.LocationIndicatorActive !== undefined) host.setIdentify(body.LocationIndicatorActive ? 'force-on' : 'off');
  return { status: 200, body: chassisBody(ctx, host) };
}

/** Chassis.Reset's ResetTypes and the power requests they make. */
const RESET_ACTIONS: Readonly<Record<string, PowerAction>> = { On: 'on', ForceOff: 'off', PowerCycle: 'cycle' };

function reset(ctx: RequestContext): { status: number } {
  const host = hostByChassisId(ctx.bmc, ctx.params.ChassisId);
  const body = readBody<{ ResetType: unknown }>(ctx.body, { ResetType: { type: 'string' } }, { required: ['ResetType'], action: 'Chassis.Reset' });
  const action = typeof body.ResetType === 'string' ? RESET_ACTIONS[body.ResetType] : undefined;
  if (!action) throw Errors.actionParameterNotInList(body.ResetType, 'ResetType', 'Chassis.Reset');
  const refused = host.request(action, 'chassis-control');
  if (refused === 'not-in-present-state') throw new RedfishError(409, [Base.message('ChassisPowerStateOnRequired', [chassisId(ctx.bmc, host)])]);
  return { status: 204 };
}

export function resetActionInfo(ctx: Ctx, host: Host): JsonObject {
  return {
    '@odata.id': `${paths.chassis(ctx.bmc, host)}/ResetActionInfo`,
    '@odata.type': odataType('ActionInfo'),
    Id: 'ResetActionInfo',
    Name: 'Chassis Reset Action Info',
    Parameters: [{ Name: 'ResetType', Required: true, DataType: 'String', AllowableValues: Object.keys(RESET_ACTIONS) }],
  };
}

/** ISO 8601 time of a FRU manufacturing date (minutes since 1996-01-01 UTC), or undefined when unspecified. */
export function fruDate(minutes: number): string | undefined {
  return minutes > 0 ? new Date(FRU_EPOCH_MS + minutes * 60_000).toISOString().replace(/\.000Z$/, 'Z') : undefined;
}

export function assemblyBody(ctx: Ctx, host: Host): JsonObject {
  const base = `${paths.chassis(ctx.bmc, host)}/Assembly`;
  const fru: Readonly<FruInfo> = host.frus.get(0)?.info ?? {};
  const items: JsonObject[] = [];
  const add = (o: JsonObject): void => {
    const n = items.length;
    items.push({ '@odata.id': `${base}#/Assemblies/${n}`, MemberId: String(n), ...o });
  };
  if (fru.chassis) {
    add({ Name: 'Chassis', PhysicalContext: 'Chassis', ...nonEmpty('PartNumber', fru.chassis.partNumber), ...nonEmpty('SerialNumber', fru.chassis.serial) });
  }
  if (fru.board) {
    const b = fru.board;
    const date = fruDate(b.mfgMinutes);
    add({
      Name: b.product.trim() || 'System Board',
      PhysicalContext: 'SystemBoard',
      ...nonEmpty('Model', b.product),
      ...nonEmpty('Producer', b.manufacturer),
      ...nonEmpty('PartNumber', b.partNumber),
      ...nonEmpty('SerialNumber', b.serial),
      ...(date ? { ProductionDate: date } : {}),
    });
  }
  if (fru.product) {
    const p = fru.product;
    add({
      Name: p.name.trim() || 'Product',
      ...nonEmpty('Model', p.name),
      ...nonEmpty('Producer', p.manufacturer),
      ...nonEmpty('Vendor', p.manufacturer),
      ...nonEmpty('PartNumber', p.partNumber),
      ...nonEmpty('SerialNumber', p.serial),
      ...nonEmpty('Version', p.version),
    });
  }
  return {
    '@odata.id': base,
    '@odata.type': odataType('Assembly'),
    Id: 'Assembly',
    Name: 'Chassis Assembly',
    'Assemblies@odata.count': items.length,
    Assemblies: items,
  };
}

export function chassisRoutes(): RouteDef[] {
  return [
    {
      path: `${ROOT}/Chassis`,
      entity: 'ChassisCollection',
      get: (ctx) => collection('Chassis', `${ROOT}/Chassis`, 'Chassis Collection', ctx.bmc.hosts.map((h) => paths.chassis(ctx.bmc, h))),
    },
    {
      path: `${ROOT}/Chassis/{ChassisId}`,
      entity: 'Chassis',
      get: (ctx) => chassisBody(ctx, hostByChassisId(ctx.bmc, ctx.params.ChassisId)),
      patch: patchChassis,
    },
    {
      path: `${ROOT}/Chassis/{ChassisId}/Actions/Chassis.Reset`,
      entity: 'Chassis',
      post: reset,
    },
    {
      path: `${ROOT}/Chassis/{ChassisId}/ResetActionInfo`,
      entity: 'ActionInfo',
      get: (ctx) => resetActionInfo(ctx, hostByChassisId(ctx.bmc, ctx.params.ChassisId)),
    },
    {
      path: `${ROOT}/Chassis/{ChassisId}/Assembly`,
      entity: 'Assembly',
      get: (ctx) => assemblyBody(ctx, hostByChassisId(ctx.bmc, ctx.params.ChassisId)),
    },
    ...sensorRoutes(),
    ...thermalRoutes(),
    ...powerRoutes(),
  ];
}
