// Chassis cooling: ThermalSubsystem v1_5_0 with its Fans (Fan v1_6_0) and
// ThermalMetrics v1_3_2, and the legacy Thermal v1_7_3 resource older
// clients (sushy, redfishtool) still read. Everything comes from the host's
// fan and temperature sensors, the same ones the Sensors collection serves.
import type { Bmc } from '../../model/bmc.js';
import type { Host } from '../../model/host.js';
import { SensorType, type Sensor } from '../../model/sensors.js';
import { hostByChassisId, paths } from '../ids.js';
import { Errors } from '../messages.js';
import type { JsonObject, RouteDef } from '../router.js';
import { collection, odataType } from '../schemas.js';
import { physicalContext, readingKind, readingRange, sensorHealth, sensorStatus, sensorUri, thresholdSensors, worst } from './chassis-sensors.js';

type Ctx = { bmc: Bmc };

export function fans(host: Host): { id: string; sensor: Sensor }[] {
  return thresholdSensors(host).filter((x) => readingKind(x.sensor)?.type === 'Rotational' || x.sensor.def.type === SensorType.Fan);
}

export function temperatures(host: Host): { id: string; sensor: Sensor }[] {
  return thresholdSensors(host).filter((x) => readingKind(x.sensor)?.type === 'Temperature');
}

const thermalPath = (ctx: Ctx, h: Host): string => `${paths.chassis(ctx.bmc, h)}/ThermalSubsystem`;

/**
 * The speed a fan is rated for: the sensor's upper non-critical threshold
 * (the SDR's "normal maximum"), else its highest representable reading.
 */
export function ratedRpm(s: Sensor): number {
  return s.thresholdValue('unc') ?? readingRange(s).max;
}

/** SpeedPercent.Reading = SpeedRPM / RatedSpeedRPM, as the Fan schema asks. */
export function fanPercent(s: Sensor): number | null {
  const rpm = s.value;
  const rated = ratedRpm(s);
  if (rpm === null || rated <= 0) return null;
  return Math.round((rpm / rated) * 1000) / 10;
}

export function fanBody(ctx: Ctx, host: Host, id: string, s: Sensor): JsonObject {
  return {
    '@odata.id': `${thermalPath(ctx, host)}/Fans/${id}`,
    '@odata.type': odataType('Fan'),
    Id: id,
    Name: s.def.name,
    PhysicalContext: 'Chassis',
    RatedSpeedRPM: ratedRpm(s),
    SpeedPercent: s.present ? { Reading: fanPercent(s), SpeedRPM: s.value, DataSourceUri: sensorUri(ctx, host, id) } : null,
    Status: sensorStatus(s),
  };
}

export function thermalSubsystemBody(ctx: Ctx, host: Host): JsonObject {
  const base = thermalPath(ctx, host);
  const all = [...fans(host), ...temperatures(host)];
  return {
    '@odata.id': base,
    '@odata.type': odataType('ThermalSubsystem'),
    Id: 'ThermalSubsystem',
    Name: 'Thermal Subsystem',
    Fans: { '@odata.id': `${base}/Fans` },
    ThermalMetrics: { '@odata.id': `${base}/ThermalMetrics` },
    Status: { State: 'Enabled', Health: worst(...all.map((x) => sensorHealth(x.sensor))) },
  };
}

export function thermalMetricsBody(ctx: Ctx, host: Host): JsonObject {
  const readings = temperatures(host)
    .filter((x) => x.sensor.present)
    .map((x) => {
      const context = physicalContext(x.sensor);
      return {
        DataSourceUri: sensorUri(ctx, host, x.id),
        DeviceName: x.sensor.def.name,
        ...(context ? { PhysicalContext: context } : {}),
        Reading: x.sensor.value,
      };
    });
  return {
    '@odata.id': `${thermalPath(ctx, host)}/ThermalMetrics`,
    '@odata.type': odataType('ThermalMetrics'),
    Id: 'ThermalMetrics',
    Name: 'Thermal Metrics',
    'TemperatureReadingsCelsius@odata.count': readings.length,
    TemperatureReadingsCelsius: readings,
  };
}

/** Legacy threshold properties: UpperThresholdNonCritical etc. */
export function legacyThresholds(s: Sensor): JsonObject {
  const out: JsonObject = {};
  const put = (k: string, v: number | undefined): void => {
    if (v !== undefined && s.present) out[k] = v;
  };
  put('LowerThresholdNonCritical', s.thresholdValue('lnc'));
  put('LowerThresholdCritical', s.thresholdValue('lc'));
  put('LowerThresholdFatal', s.thresholdValue('lnr'));
  put('UpperThresholdNonCritical', s.thresholdValue('unc'));
  put('UpperThresholdCritical', s.thresholdValue('uc'));
  put('UpperThresholdFatal', s.thresholdValue('unr'));
  return out;
}

export function legacyThermalBody(ctx: Ctx, host: Host): JsonObject {
  const base = `${paths.chassis(ctx.bmc, host)}/Thermal`;
  const chassis = { '@odata.id': paths.chassis(ctx.bmc, host) };
  const temps = temperatures(host).map((x, i) => {
    const range = readingRange(x.sensor);
    const context = physicalContext(x.sensor);
    return {
      '@odata.id': `${base}#/Temperatures/${i}`,
      MemberId: String(i),
      Name: x.sensor.def.name,
      SensorNumber: x.sensor.def.number,
      ReadingCelsius: x.sensor.value,
      MinReadingRangeTemp: range.min,
      MaxReadingRangeTemp: range.max,
      ...legacyThresholds(x.sensor),
      ...(context ? { PhysicalContext: context } : {}),
      RelatedItem: [chassis],
      Status: sensorStatus(x.sensor),
    };
  });
  const fanList = fans(host).map((x, i) => {
    const range = readingRange(x.sensor);
    return {
      '@odata.id': `${base}#/Fans/${i}`,
      MemberId: String(i),
      Name: x.sensor.def.name,
      SensorNumber: x.sensor.def.number,
      Reading: x.sensor.value === null ? null : Math.round(x.sensor.value),
      ReadingUnits: 'RPM',
      MinReadingRange: Math.round(range.min),
      MaxReadingRange: Math.round(range.max),
      ...legacyThresholds(x.sensor),
      PhysicalContext: 'Chassis',
      RelatedItem: [chassis],
      Status: sensorStatus(x.sensor),
    };
  });
  return {
    '@odata.id': base,
    '@odata.type': odataType('Thermal'),
    Id: 'Thermal',
    Name: 'Thermal',
    'Temperatures@odata.count': temps.length,
    Temperatures: temps,
    'Fans@odata.count': fanList.length,
    Fans: fanList,
    Status: { State: 'Enabled', Health: worst(...[...temperatures(host), ...fans(host)].map((x) => sensorHealth(x.sensor))) },
  };
}

export function thermalRoutes(): RouteDef[] {
  return [
    {
      path: '/redfish/v1/Chassis/{ChassisId}/ThermalSubsystem',
      entity: 'ThermalSubsystem',
      get: (ctx) => thermalSubsystemBody(ctx, hostByChassisId(ctx.bmc, ctx.params.ChassisId)),
    },
    {
      path: '/redfish/v1/Chassis/{ChassisId}/ThermalSubsystem/Fans',
      entity: 'FanCollection',
      get: (ctx) => {
        const host = hostByChassisId(ctx.bmc, ctx.params.ChassisId);
        const base = `${thermalPath(ctx, host)}/Fans`;
        return collection('Fan', base, 'Fans', fans(host).map((x) => `${base}/${x.id}`));
      },
    },
    {
      path: '/redfish/v1/Chassis/{ChassisId}/ThermalSubsystem/Fans/{FanId}',
      entity: 'Fan',
      get: (ctx) => {
        const host = hostByChassisId(ctx.bmc, ctx.params.ChassisId);
        const f = fans(host).find((x) => x.id === ctx.params.FanId);
        if (!f) throw Errors.notFound('Fan', ctx.params.FanId ?? '');
        return fanBody(ctx, host, f.id, f.sensor);
      },
    },
    {
      path: '/redfish/v1/Chassis/{ChassisId}/ThermalSubsystem/ThermalMetrics',
      entity: 'ThermalMetrics',
      get: (ctx) => thermalMetricsBody(ctx, hostByChassisId(ctx.bmc, ctx.params.ChassisId)),
    },
    {
      path: '/redfish/v1/Chassis/{ChassisId}/Thermal',
      entity: 'Thermal',
      get: (ctx) => legacyThermalBody(ctx, hostByChassisId(ctx.bmc, ctx.params.ChassisId)),
    },
  ];
}
