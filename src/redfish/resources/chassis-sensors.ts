// Chassis sensors (Redfish Sensor v1_12_0, SensorCollection): one Sensor per
// threshold sensor of the host's model, plus the host's power draw (DCMI
// power reading) as `total_power`. Readings and thresholds are the model's
// own quantized values, the ones IPMI's Get Sensor Reading / Get Sensor
// Thresholds return; a threshold PATCH is IPMI's Set Sensor Thresholds
// (IPMI v2.0 35.8): settable thresholds only, quantized to the sensor's
// resolution, persisted and re-evaluated by the model.
import type { Host } from '../../model/host.js';
import { fromRaw, SensorType, THRESHOLD_NAMES, toRaw, thresholdStatus, type Sensor, type ThresholdName } from '../../model/sensors.js';
import { readBody, type Field, type Spec } from '../body.js';
import { hostByChassisId, paths } from '../ids.js';
import { Errors } from '../messages.js';
import type { JsonObject, RequestContext, RouteDef } from '../router.js';
import { collection, odataType } from '../schemas.js';

export type Health = 'OK' | 'Warning' | 'Critical';

/** The Redfish id of the power-draw sensor. */
export const POWER_SENSOR_ID = 'total_power';

/** Redfish threshold names for IPMI's six thresholds. */
export const THRESHOLD_PROPERTY: Readonly<Record<ThresholdName, string>> = {
  lnc: 'LowerCaution',
  lc: 'LowerCritical',
  lnr: 'LowerFatal',
  unc: 'UpperCaution',
  uc: 'UpperCritical',
  unr: 'UpperFatal',
};

const ids = new WeakMap<Host, { byId: Map<string, Sensor>; bySensor: Map<Sensor, string> }>();

/** A URL-safe id from a sensor name: "CPU Temp" → "CPU_Temp", "1.5V PCH" → "1.5V_PCH". */
export function idFromName(name: string): string {
  const id = name.trim().replace(/[^A-Za-z0-9_.-]+/g, '_').replace(/^_+|_+$/g, '');
  return id === '' || id === '.' || id === '..' ? 'sensor' : id;
}

/** Stable ids of the host's threshold sensors (a duplicate name gets its sensor number appended). */
function sensorIds(host: Host): { byId: Map<string, Sensor>; bySensor: Map<Sensor, string> } {
  let t = ids.get(host);
  if (t) return t;
  t = { byId: new Map(), bySensor: new Map() };
  for (const s of [...host.sensors.values()].sort((a, b) => a.def.number - b.def.number)) {
    if (!s.isThreshold) continue;
    let id = idFromName(s.def.name);
    if (t.byId.has(id) || id === POWER_SENSOR_ID) id = `${id}_${s.def.number}`;
    t.byId.set(id, s);
    t.bySensor.set(s, id);
  }
  ids.set(host, t);
  return t;
}

/** Threshold sensors in sensor-number order, with their ids. */
export function thresholdSensors(host: Host): { id: string; sensor: Sensor }[] {
  return [...sensorIds(host).bySensor].map(([sensor, id]) => ({ id, sensor }));
}

export function sensorId(host: Host, s: Sensor): string {
  const id = sensorIds(host).bySensor.get(s);
  if (id === undefined) throw new Error(`sensor ${s.def.number} has no Redfish id`);
  return id;
}

export function sensorsPath(host: Host, ctx: { bmc: RequestContext['bmc'] }): string {
  return `${paths.chassis(ctx.bmc, host)}/Sensors`;
}

export function sensorUri(ctx: { bmc: RequestContext['bmc'] }, host: Host, id: string): string {
  return `${sensorsPath(host, ctx)}/${id}`;
}

/** ReadingType and ReadingUnits (UCUM) for a sensor's IPMI type and unit. */
export function readingKind(s: Sensor): { type: string; units: string } | undefined {
  const u = s.def.unit;
  if (u === 'percent') return { type: 'Percent', units: '%' };
  if (u === 'degrees C' || s.def.type === SensorType.Temperature) return { type: 'Temperature', units: 'Cel' };
  if (u === 'Volts' || s.def.type === SensorType.Voltage) return { type: 'Voltage', units: 'V' };
  if (u === 'Amps' || s.def.type === SensorType.Current) return { type: 'Current', units: 'A' };
  if (u === 'RPM' || s.def.type === SensorType.Fan) return { type: 'Rotational', units: 'RPM' };
  if (u === 'Watts') return { type: 'Power', units: 'W' };
  if (u === 'Joules') return { type: 'EnergyJoules', units: 'J' };
  return undefined;
}

/** Redfish PhysicalContext from an IPMI entity id (IPMI v2.0 table 43-13, DCMI 1.5 table 6-3). */
const ENTITY_CONTEXT: Readonly<Record<number, string>> = {
  0x03: 'CPU',
  0x04: 'StorageBay',
  0x06: 'Manager',
  0x07: 'SystemBoard',
  0x08: 'Memory',
  0x0a: 'PowerSupply',
  0x0b: 'ExpansionSubsystem',
  0x0f: 'SystemBoard',
  0x13: 'PowerSubsystem',
  0x14: 'VoltageRegulator',
  0x15: 'CPUSubsystem',
  0x17: 'Chassis',
  0x1d: 'Fan',
  0x1e: 'CoolingSubsystem',
  0x20: 'Memory',
  0x22: 'SystemBoard',
  0x37: 'Intake',
  0x40: 'Intake',
  0x41: 'CPU',
  0x42: 'SystemBoard',
};

export function physicalContext(s: Sensor): string | undefined {
  return ENTITY_CONTEXT[s.def.entity.id];
}

/** Health from asserted thresholds: non-critical → Warning, critical/non-recoverable → Critical. */
export function sensorHealth(s: Sensor): Health | undefined {
  if (!s.present || s.raw === null) return undefined;
  const st = thresholdStatus(s.asserted);
  return st === 'ok' ? 'OK' : st === 'nc' ? 'Warning' : 'Critical';
}

export function worst(...hs: readonly (Health | undefined)[]): Health {
  if (hs.includes('Critical')) return 'Critical';
  if (hs.includes('Warning')) return 'Warning';
  return 'OK';
}

/** Status: Absent devices, sensors not scanning (Disabled), else Enabled with Health when there is a reading. */
export function sensorStatus(s: Sensor): JsonObject {
  if (!s.present) return { State: 'Absent' };
  const h = sensorHealth(s);
  return { State: s.enables.scanning ? 'Enabled' : 'Disabled', ...(h ? { Health: h } : {}) };
}

/** The representable range of a sensor: the conversion of the lowest and highest counts. */
export function readingRange(s: Sensor): { min: number; max: number } {
  const c = s.def.conversion;
  const a = fromRaw(c.signed ? -128 : 0, c);
  const b = fromRaw(c.signed ? 127 : 255, c);
  return { min: Math.min(a, b), max: Math.max(a, b) };
}

/** The Sensor resource for a model sensor. */
export function sensorBody(ctx: { bmc: RequestContext['bmc'] }, host: Host, s: Sensor): JsonObject {
  const id = sensorId(host, s);
  const kind = readingKind(s);
  const range = readingRange(s);
  const thresholds: JsonObject = {};
  // an absent device's thresholds read as "not present" over IPMI too
  for (const n of s.present ? THRESHOLD_NAMES : []) {
    const v = s.thresholdValue(n);
    if (v !== undefined) thresholds[THRESHOLD_PROPERTY[n]] = { Reading: v };
  }
  const context = physicalContext(s);
  return {
    '@odata.id': sensorUri(ctx, host, id),
    '@odata.type': odataType('Sensor'),
    Id: id,
    Name: s.def.name,
    Reading: s.value,
    ...(kind ? { ReadingType: kind.type, ReadingUnits: kind.units } : {}),
    ReadingRangeMin: range.min,
    ReadingRangeMax: range.max,
    ...(context ? { PhysicalContext: context } : {}),
    ...(Object.keys(thresholds).length ? { Thresholds: thresholds } : {}),
    Status: sensorStatus(s),
  };
}

/** The power-draw sensor, from the host's DCMI power reading. */
export function powerSensorBody(ctx: { bmc: RequestContext['bmc'] }, host: Host): JsonObject {
  const stats = host.powerStats();
  return {
    '@odata.id': sensorUri(ctx, host, POWER_SENSOR_ID),
    '@odata.type': odataType('Sensor'),
    Id: POWER_SENSOR_ID,
    Name: 'Total Power',
    Reading: stats.current,
    ReadingType: 'Power',
    ReadingUnits: 'W',
    PeakReading: stats.max,
    LowestReading: stats.min,
    AverageReading: Math.round(stats.average * 10) / 10,
    PhysicalContext: 'PowerSubsystem',
    Status: { State: 'Enabled', Health: 'OK' },
  };
}

function sensorById(host: Host, id: string | undefined): Sensor {
  const s = id === undefined ? undefined : sensorIds(host).byId.get(id);
  if (!s) throw Errors.notFound('Sensor', id ?? '');
  return s;
}

/** The PATCH spec of a sensor: Thresholds.<Name>.Reading, writable where IPMI lets it be set. */
function patchSpec(s: Sensor): Spec {
  const fields: Record<string, Field> = {};
  const settable = new Set(s.settable);
  for (const n of THRESHOLD_NAMES) {
    if (s.thresholdsRaw[n] === undefined) continue;
    fields[THRESHOLD_PROPERTY[n]] = settable.has(n)
      ? { type: 'object', fields: { Reading: { type: 'number' } } }
      : { type: 'object', fields: { Reading: { type: 'number' } }, readOnly: true };
  }
  return { Thresholds: { type: 'object', fields } };
}

/**
 * Applies threshold readings through the model as Set Sensor Thresholds
 * does: each value becomes the nearest count the sensor can represent.
 */
export function setThresholds(host: Host, s: Sensor, values: Partial<Record<ThresholdName, number>>): void {
  const range = readingRange(s);
  for (const [n, v] of Object.entries(values) as [ThresholdName, number][]) {
    if (v < range.min || v > range.max) throw Errors.propertyValueOutOfRange(v, `Thresholds/${THRESHOLD_PROPERTY[n]}/Reading`);
  }
  const next = { ...s.thresholdsRaw };
  for (const [n, v] of Object.entries(values) as [ThresholdName, number][]) next[n] = toRaw(v, s.def.conversion);
  s.thresholdsRaw = next;
  host.sensorConfigChanged(s);
}

interface SensorPatch {
  Thresholds?: Partial<Record<string, { Reading?: number }>>;
}

function patchSensor(ctx: RequestContext): { status: number; body: JsonObject } {
  const host = hostByChassisId(ctx.bmc, ctx.params.ChassisId);
  if (ctx.params.SensorId === POWER_SENSOR_ID) {
    // nothing of the power reading is writable: every property is refused
    readBody(ctx.body, { Thresholds: { type: 'object', fields: {}, readOnly: true } });
    return { status: 200, body: powerSensorBody(ctx, host) };
  }
  const s = sensorById(host, ctx.params.SensorId);
  const body = readBody<SensorPatch>(ctx.body, patchSpec(s));
  if (!s.present) throw Errors.propertyNotWritable('Thresholds');
  const values: Partial<Record<ThresholdName, number>> = {};
  for (const n of THRESHOLD_NAMES) {
    const v = body.Thresholds?.[THRESHOLD_PROPERTY[n]]?.Reading;
    if (v !== undefined) values[n] = v;
  }
  if (Object.keys(values).length > 0) setThresholds(host, s, values);
  return { status: 200, body: sensorBody(ctx, host, s) };
}

export function sensorRoutes(): RouteDef[] {
  return [
    {
      path: '/redfish/v1/Chassis/{ChassisId}/Sensors',
      entity: 'SensorCollection',
      get: (ctx) => {
        const host = hostByChassisId(ctx.bmc, ctx.params.ChassisId);
        const members = [...thresholdSensors(host).map((x) => sensorUri(ctx, host, x.id)), sensorUri(ctx, host, POWER_SENSOR_ID)];
        return collection('Sensor', sensorsPath(host, ctx), 'Sensors', members);
      },
    },
    {
      path: '/redfish/v1/Chassis/{ChassisId}/Sensors/{SensorId}',
      entity: 'Sensor',
      get: (ctx) => {
        const host = hostByChassisId(ctx.bmc, ctx.params.ChassisId);
        if (ctx.params.SensorId === POWER_SENSOR_ID) return powerSensorBody(ctx, host);
        return sensorBody(ctx, host, sensorById(host, ctx.params.SensorId));
      },
      patch: patchSensor,
    },
  ];
}
