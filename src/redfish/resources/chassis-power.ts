// Chassis power: PowerSubsystem v1_1_3 with its PowerSupplies (PowerSupply
// v1_6_0, from the discrete power-supply sensors: IPMI v2.0 table 42-3,
// sensor type 08h), EnvironmentMetrics v1_5_0, and the legacy Power v1_7_3
// resource whose PowerControl carries the DCMI power reading (DCMI 1.5
// 6.6.1) and the DCMI power limit (6.6.2-6.6.4), PATCHable as
// PowerControl[0].PowerLimit.
import type { Bmc } from '../../model/bmc.js';
import type { Host, PowerLimit } from '../../model/host.js';
import { SensorType, type Sensor } from '../../model/sensors.js';
import { readBody } from '../body.js';
import { hostByChassisId, paths } from '../ids.js';
import { Errors } from '../messages.js';
import type { JsonObject, RequestContext, RouteDef } from '../router.js';
import { collection, odataType } from '../schemas.js';
import { idFromName, physicalContext, POWER_SENSOR_ID, readingKind, readingRange, sensorHealth, sensorStatus, sensorUri, thresholdSensors, worst, type Health } from './chassis-sensors.js';
import { fanPercent, fans, legacyThresholds, temperatures } from './chassis-thermal.js';

type Ctx = { bmc: Bmc };

/** Power supply sensor-specific offsets (table 42-3, sensor type 08h). */
const PsuState = {
  presence: 0,
  failure: 1,
  predictiveFailure: 2,
  inputLost: 3,
  inputLostOrOutOfRange: 4,
  inputOutOfRange: 5,
  configurationError: 6,
  inactive: 7,
} as const;

const bit = (states: number, offset: number): boolean => (states & (1 << offset)) !== 0;

/** The power supplies: one per discrete power-supply sensor, "PS1 Status" → PS1. */
export function powerSupplies(host: Host): { id: string; sensor: Sensor }[] {
  const out: { id: string; sensor: Sensor }[] = [];
  for (const s of [...host.sensors.values()].sort((a, b) => a.def.number - b.def.number)) {
    if (s.isThreshold || s.def.type !== SensorType.PowerSupply) continue;
    let id = idFromName(s.def.name.replace(/\s*status$/i, ''));
    if (out.some((x) => x.id === id)) id = `${id}_${s.def.number}`;
    out.push({ id, sensor: s });
  }
  return out;
}

/** Health from the supply's state bits: failure or lost input Critical; predictive failure, out of range, configuration error Warning. */
export function psuHealth(s: Sensor): Health | undefined {
  if (!s.present) return undefined;
  const st = s.states;
  if (bit(st, PsuState.failure) || bit(st, PsuState.inputLost) || bit(st, PsuState.inputLostOrOutOfRange)) return 'Critical';
  if (bit(st, PsuState.predictiveFailure) || bit(st, PsuState.inputOutOfRange) || bit(st, PsuState.configurationError)) return 'Warning';
  return 'OK';
}

export function psuStatus(s: Sensor): JsonObject {
  if (!s.present) return { State: 'Absent' };
  return { State: bit(s.states, PsuState.inactive) ? 'StandbyOffline' : 'Enabled', Health: psuHealth(s) ?? 'OK' };
}

function lineInputStatus(s: Sensor): string {
  const st = s.states;
  if (bit(st, PsuState.inputLost) || bit(st, PsuState.inputLostOrOutOfRange)) return 'LossOfInput';
  if (bit(st, PsuState.inputOutOfRange)) return 'OutOfRange';
  return 'Normal';
}

const powerSubsystemPath = (ctx: Ctx, h: Host): string => `${paths.chassis(ctx.bmc, h)}/PowerSubsystem`;

export function powerSupplyBody(ctx: Ctx, host: Host, id: string, s: Sensor): JsonObject {
  return {
    '@odata.id': `${powerSubsystemPath(ctx, host)}/PowerSupplies/${id}`,
    '@odata.type': odataType('PowerSupply'),
    Id: id,
    Name: s.def.name.replace(/\s*status$/i, '') || id,
    PowerSupplyType: 'AC',
    ...(s.present ? { LineInputStatus: lineInputStatus(s) } : {}),
    Status: psuStatus(s),
  };
}

export function powerSubsystemBody(ctx: Ctx, host: Host): JsonObject {
  const base = powerSubsystemPath(ctx, host);
  const psus = powerSupplies(host);
  const voltages = thresholdSensors(host).filter((x) => readingKind(x.sensor)?.type === 'Voltage');
  return {
    '@odata.id': base,
    '@odata.type': odataType('PowerSubsystem'),
    Id: 'PowerSubsystem',
    Name: 'Power Subsystem',
    PowerSupplies: { '@odata.id': `${base}/PowerSupplies` },
    ...(host.powerLimit.active ? { Allocation: { AllocatedWatts: host.powerLimit.limitWatts } } : {}),
    Status: { State: 'Enabled', Health: worst(...psus.map((x) => psuHealth(x.sensor)), ...voltages.map((x) => sensorHealth(x.sensor))) },
  };
}

export function environmentMetricsBody(ctx: Ctx, host: Host): JsonObject {
  const inlet = temperatures(host).find((x) => x.sensor.present && physicalContext(x.sensor) === 'Intake');
  const fanSpeeds = fans(host)
    .filter((x) => x.sensor.present)
    .map((x) => ({ DataSourceUri: sensorUri(ctx, host, x.id), DeviceName: x.sensor.def.name, Reading: fanPercent(x.sensor), SpeedRPM: x.sensor.value }));
  return {
    '@odata.id': `${paths.chassis(ctx.bmc, host)}/EnvironmentMetrics`,
    '@odata.type': odataType('EnvironmentMetrics'),
    Id: 'EnvironmentMetrics',
    Name: 'Chassis Environment Metrics',
    PowerWatts: { Reading: host.powerStats().current, DataSourceUri: sensorUri(ctx, host, POWER_SENSOR_ID) },
    ...(inlet ? { TemperatureCelsius: { Reading: inlet.sensor.value, DataSourceUri: sensorUri(ctx, host, inlet.id) } } : {}),
    'FanSpeedsPercent@odata.count': fanSpeeds.length,
    FanSpeedsPercent: fanSpeeds,
  };
}

/** DCMI exception actions ↔ Redfish LimitException. */
const LIMIT_EXCEPTION: Readonly<Record<string, number>> = { NoAction: 0x00, HardPowerOff: 0x01, LogEventOnly: 0x11 };

export function limitException(action: number): string {
  for (const [k, v] of Object.entries(LIMIT_EXCEPTION)) if (v === action) return k;
  return 'Oem';
}

export function powerControl(ctx: Ctx, host: Host): JsonObject {
  const base = `${paths.chassis(ctx.bmc, host)}/Power`;
  const stats = host.powerStats();
  const l = host.powerLimit;
  return {
    '@odata.id': `${base}#/PowerControl/0`,
    MemberId: '0',
    Name: 'System Power Control',
    PhysicalContext: 'Chassis',
    PowerConsumedWatts: stats.current,
    PowerMetrics: {
      IntervalInMin: Math.round(stats.periodMs / 60_000),
      MinConsumedWatts: stats.min,
      MaxConsumedWatts: stats.max,
      AverageConsumedWatts: Math.round(stats.average * 10) / 10,
    },
    PowerLimit: { LimitInWatts: l.active ? l.limitWatts : null, LimitException: limitException(l.exceptionAction), CorrectionInMs: l.correctionMs },
    RelatedItem: [{ '@odata.id': paths.chassis(ctx.bmc, host) }, { '@odata.id': paths.system(ctx.bmc, host) }],
    Status: { State: 'Enabled', Health: 'OK' },
  };
}

export function legacyPowerBody(ctx: Ctx, host: Host): JsonObject {
  const base = `${paths.chassis(ctx.bmc, host)}/Power`;
  const voltages = thresholdSensors(host)
    .filter((x) => readingKind(x.sensor)?.type === 'Voltage')
    .map((x, i) => {
      const range = readingRange(x.sensor);
      const context = physicalContext(x.sensor);
      return {
        '@odata.id': `${base}#/Voltages/${i}`,
        MemberId: String(i),
        Name: x.sensor.def.name,
        SensorNumber: x.sensor.def.number,
        ReadingVolts: x.sensor.value,
        MinReadingRange: range.min,
        MaxReadingRange: range.max,
        ...legacyThresholds(x.sensor),
        ...(context ? { PhysicalContext: context } : {}),
        Status: sensorStatus(x.sensor),
      };
    });
  const psus = powerSupplies(host).map((x, i) => ({
    '@odata.id': `${base}#/PowerSupplies/${i}`,
    MemberId: String(i),
    Name: x.sensor.def.name.replace(/\s*status$/i, '') || x.id,
    PowerSupplyType: 'AC',
    Status: psuStatus(x.sensor),
  }));
  return {
    '@odata.id': base,
    '@odata.type': odataType('Power'),
    Id: 'Power',
    Name: 'Power',
    'PowerControl@odata.count': 1,
    PowerControl: [powerControl(ctx, host)],
    'Voltages@odata.count': voltages.length,
    Voltages: voltages,
    'PowerSupplies@odata.count': psus.length,
    PowerSupplies: psus,
  };
}

interface PowerPatch {
  PowerControl?: { MemberId?: string; PowerLimit?: { LimitInWatts?: number | null; LimitException?: string; CorrectionInMs?: number } }[];
}

/** PATCH Power: PowerControl[0].PowerLimit sets, activates or (LimitInWatts null) deactivates the DCMI power limit. */
function patchPower(ctx: RequestContext): { status: number; body: JsonObject } {
  const host = hostByChassisId(ctx.bmc, ctx.params.ChassisId);
  const body = readBody<PowerPatch>(ctx.body, {
    PowerControl: {
      type: 'array',
      maxItems: 1,
      items: {
        type: 'object',
        fields: {
          MemberId: { type: 'string', enum: ['0'] },
          PowerLimit: {
            type: 'object',
            fields: {
              LimitInWatts: { type: 'integer', min: 1, max: 0xffff, nullable: true },
              LimitException: { type: 'string', enum: Object.keys(LIMIT_EXCEPTION) },
              CorrectionInMs: { type: 'integer', min: 1, max: 0xffffffff },
            },
          },
        },
      },
    },
  });
  const pl = body.PowerControl?.[0]?.PowerLimit;
  if (pl) {
    const next: PowerLimit = { ...host.powerLimit };
    if (pl.LimitException !== undefined) next.exceptionAction = LIMIT_EXCEPTION[pl.LimitException] ?? next.exceptionAction;
    if (pl.CorrectionInMs !== undefined) next.correctionMs = pl.CorrectionInMs;
    if (pl.LimitInWatts === null) next.active = false;
    else if (pl.LimitInWatts !== undefined) {
      next.limitWatts = pl.LimitInWatts;
      next.active = true;
    }
    if (next.samplingSeconds === 0) next.samplingSeconds = 1;
    host.setPowerLimit(next);
  }
  return { status: 200, body: legacyPowerBody(ctx, host) };
}

export function powerRoutes(): RouteDef[] {
  return [
    {
      path: '/redfish/v1/Chassis/{ChassisId}/PowerSubsystem',
      entity: 'PowerSubsystem',
      get: (ctx) => powerSubsystemBody(ctx, hostByChassisId(ctx.bmc, ctx.params.ChassisId)),
    },
    {
      path: '/redfish/v1/Chassis/{ChassisId}/PowerSubsystem/PowerSupplies',
      entity: 'PowerSupplyCollection',
      get: (ctx) => {
        const host = hostByChassisId(ctx.bmc, ctx.params.ChassisId);
        const base = `${powerSubsystemPath(ctx, host)}/PowerSupplies`;
        return collection('PowerSupply', base, 'Power Supplies', powerSupplies(host).map((x) => `${base}/${x.id}`));
      },
    },
    {
      path: '/redfish/v1/Chassis/{ChassisId}/PowerSubsystem/PowerSupplies/{PowerSupplyId}',
      entity: 'PowerSupply',
      get: (ctx) => {
        const host = hostByChassisId(ctx.bmc, ctx.params.ChassisId);
        const p = powerSupplies(host).find((x) => x.id === ctx.params.PowerSupplyId);
        if (!p) throw Errors.notFound('PowerSupply', ctx.params.PowerSupplyId ?? '');
        return powerSupplyBody(ctx, host, p.id, p.sensor);
      },
    },
    {
      path: '/redfish/v1/Chassis/{ChassisId}/EnvironmentMetrics',
      entity: 'EnvironmentMetrics',
      get: (ctx) => environmentMetricsBody(ctx, hostByChassisId(ctx.bmc, ctx.params.ChassisId)),
    },
    {
      path: '/redfish/v1/Chassis/{ChassisId}/Power',
      entity: 'Power',
      get: (ctx) => legacyPowerBody(ctx, hostByChassisId(ctx.bmc, ctx.params.ChassisId)),
      patch: patchPower,
    },
  ];
}
