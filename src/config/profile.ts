// The platform profile: a JSON file describing the server a BMC manages —
// its identity, FRU contents, how many hosts the chassis holds, and each
// sensor with its thresholds, resolution and simulated behaviour. This module
// is its schema (zod; also published as profiles/profile.schema.json), its
// loader, and the translation into the model's specs.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import type { SimBehaviour } from '../backends/sim/sim-host.js';
import type { FruInfo } from '../model/fru.js';
import type { HostSpec, RestorePolicy } from '../model/host.js';
import { EventReadingType, SensorType, THRESHOLD_NAMES, UnitCode, type Conversion, type SensorDef } from '../model/sensors.js';

const SENSOR_TYPES = {
  temperature: SensorType.Temperature,
  voltage: SensorType.Voltage,
  current: SensorType.Current,
  fan: SensorType.Fan,
  'physical-security': SensorType.PhysicalSecurity,
  processor: SensorType.Processor,
  'power-supply': SensorType.PowerSupply,
  'power-unit': SensorType.PowerUnit,
  memory: SensorType.Memory,
  'system-event': SensorType.SystemEvent,
  'critical-interrupt': SensorType.CriticalInterrupt,
  watchdog: SensorType.Watchdog2,
  'management-subsystem-health': SensorType.ManagementSubsystemHealth,
  other: SensorType.Other,
} as const;

const thresholdsSchema = z
  .object(Object.fromEntries(THRESHOLD_NAMES.map((n) => [n, z.number().optional()])) as Record<(typeof THRESHOLD_NAMES)[number], z.ZodOptional<z.ZodNumber>>)
  .strict();

const conversionSchema = z
  .object({
    m: z.number().int().min(-512).max(511).refine((m) => m !== 0, 'M must not be 0'),
    b: z.number().int().min(-512).max(511).default(0),
    bExp: z.number().int().min(-8).max(7).default(0),
    rExp: z.number().int().min(-8).max(7).default(0),
    signed: z.boolean().default(false),
  })
  .strict();

const simSchema = z.discriminatedUnion('kind', [
  z
    .object({
      kind: z.literal('temperature'),
      ambient: z.number(),
      loadRise: z.number(),
      tauSeconds: z.number().positive().optional(),
      onlyWhenOn: z.boolean().optional(),
    })
    .strict(),
  z
    .object({
      kind: z.literal('fan'),
      follows: z.number().int().min(0).max(255),
      minRpm: z.number(),
      maxRpm: z.number(),
      atTemp: z.tuple([z.number(), z.number()]),
    })
    .strict(),
  z.object({ kind: z.literal('voltage'), nominal: z.number(), noise: z.number().min(0).max(0.5), standby: z.boolean() }).strict(),
  z.object({ kind: z.literal('constant'), value: z.number().nullable() }).strict(),
]);

const sensorSchema = z
  .object({
    number: z.number().int().min(0).max(254),
    name: z.string().min(1).max(16),
    type: z.enum(Object.keys(SENSOR_TYPES) as [keyof typeof SENSOR_TYPES, ...(keyof typeof SENSOR_TYPES)[]]),
    /** threshold (analog) or sensor-specific discrete */
    kind: z.enum(['threshold', 'discrete']).default('threshold'),
    unit: z.string().default('unspecified'),
    entity: z.tuple([z.number().int().min(0).max(255), z.number().int().min(0).max(127)]),
    present: z.boolean().default(true),
    conversion: conversionSchema.default({ m: 1, b: 0, bExp: 0, rExp: 0, signed: false }),
    thresholds: thresholdsSchema.default({}),
    settable: z.array(z.enum(THRESHOLD_NAMES)).optional(),
    hysteresis: z.tuple([z.number().int().min(0).max(255), z.number().int().min(0).max(255)]).default([2, 2]),
    /** Discrete sensors: the state bits that can assert. */
    states: z.number().int().min(0).max(0x7fff).optional(),
    nominal: z.number().optional(),
    sim: simSchema.optional(),
  })
  .strict()
  .superRefine((s, ctx) => {
    if (s.kind === 'threshold' && UnitCode[s.unit] === undefined) ctx.addIssue({ code: 'custom', message: `unknown unit "${s.unit}"`, path: ['unit'] });
  });

const fruSchema = z
  .object({
    chassis: z.object({ type: z.number().int().min(0).max(255), partNumber: z.string(), serial: z.string(), extra: z.array(z.string()).default([]) }).strict().optional(),
    board: z
      .object({
        manufactured: z.string().optional(),
        manufacturer: z.string(),
        product: z.string(),
        serial: z.string(),
        partNumber: z.string(),
        fileId: z.string().default(''),
        extra: z.array(z.string()).default([]),
      })
      .strict()
      .optional(),
    product: z
      .object({
        manufacturer: z.string(),
        name: z.string(),
        partNumber: z.string(),
        version: z.string(),
        serial: z.string(),
        assetTag: z.string().default(''),
        fileId: z.string().default(''),
        extra: z.array(z.string()).default([]),
      })
      .strict()
      .optional(),
  })
  .strict();

export const profileSchema = z
  .object({
    $schema: z.string().optional(),
    name: z.string().min(1),
    description: z.string().optional(),
    bmc: z
      .object({
        manufacturerId: z.number().int().min(0).max(0xfffff),
        productId: z.number().int().min(0).max(0xffff),
        deviceId: z.number().int().min(0).max(255).default(0x20),
        deviceRevision: z.number().int().min(0).max(15).default(1),
        firmwareVersion: z.string().regex(/^\d{1,3}\.\d{1,2}(\.\d+)?$/, 'firmwareVersion is MAJOR.MINOR[.PATCH]'),
        maxUsers: z.number().int().min(2).max(63).default(15),
      })
      .strict(),
    chassis: z.object({ hosts: z.number().int().min(1).max(64).default(1) }).strict().default({ hosts: 1 }),
    host: z
      .object({
        fru: fruSchema,
        fruSize: z.number().int().min(256).max(65535).default(1024),
        selCapacity: z.number().int().min(16).max(65534).default(1024),
        selOverflow: z.enum(['stop', 'wrap']).default('stop'),
        powerCycleIntervalSeconds: z.number().int().min(0).max(255).default(1),
        softOffTimeoutSeconds: z.number().int().min(1).max(3600).default(60),
        restorePolicy: z.enum(['always-off', 'previous', 'always-on']).default('always-off'),
        power: z
          .object({ standbyWatts: z.number().default(8), idleWatts: z.number().default(65), maxWatts: z.number().default(190) })
          .strict()
          .default({ standbyWatts: 8, idleWatts: 65, maxWatts: 190 }),
        bootSeconds: z.number().min(0).max(600).default(3),
        shutdownSeconds: z.number().min(0).max(600).default(2),
        sensors: z.array(sensorSchema),
      })
      .strict(),
  })
  .strict()
  .superRefine((p, ctx) => {
    const seen = new Set<number>();
    p.host.sensors.forEach((s, i) => {
      if (seen.has(s.number)) ctx.addIssue({ code: 'custom', message: `duplicate sensor number ${s.number}`, path: ['host', 'sensors', i, 'number'] });
      seen.add(s.number);
    });
  });

export type Profile = z.infer<typeof profileSchema>;
export type ProfileSensor = Profile['host']['sensors'][number];

export class ProfileError extends Error {
  override readonly name = 'ProfileError';
  readonly code = 'PROFILE_INVALID';
}

export const DEFAULT_PROFILE_PATH = fileURLToPath(new URL('../../../profiles/default-1u.json', import.meta.url));

export function parseProfile(text: string, source: string): Profile {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ProfileError(`${source}: not valid JSON: ${(err as Error).message}`);
  }
  const r = profileSchema.safeParse(json);
  if (!r.success) {
    const lines = r.error.issues.slice(0, 10).map((i) => `  ${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new ProfileError(`${source}: invalid profile:\n${lines.join('\n')}`);
  }
  return r.data;
}

export function loadProfile(path: string): Profile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ProfileError(`cannot read profile ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return parseProfile(text, path);
}

export function sensorDef(s: ProfileSensor): SensorDef {
  const conversion: Conversion = s.conversion;
  return {
    number: s.number,
    name: s.name,
    type: SENSOR_TYPES[s.type],
    eventReadingType: s.kind === 'threshold' ? EventReadingType.Threshold : EventReadingType.SensorSpecific,
    unit: s.kind === 'threshold' ? s.unit : 'unspecified',
    entity: { id: s.entity[0], instance: s.entity[1] },
    present: s.present,
    conversion,
    thresholds: s.thresholds,
    ...(s.settable ? { settable: s.settable } : {}),
    hysteresis: { positive: s.hysteresis[0], negative: s.hysteresis[1] },
    ...(s.states !== undefined ? { discreteMask: s.states } : {}),
    ...(s.nominal !== undefined ? { nominal: s.nominal } : {}),
  };
}

export function simBehaviour(s: ProfileSensor): SimBehaviour {
  if (s.sim) return s.sim;
  return { kind: 'constant', value: s.kind === 'threshold' ? (s.nominal ?? null) : null };
}

const FRU_EPOCH = Date.UTC(1996, 0, 1);

export function fruInfo(p: Profile, hostIndex: number): FruInfo {
  const f = p.host.fru;
  const suffix = (serial: string): string => (p.chassis.hosts > 1 ? `${serial}-${hostIndex}` : serial);
  const info: FruInfo = {};
  if (f.chassis) info.chassis = { ...f.chassis, serial: suffix(f.chassis.serial) };
  if (f.board) {
    const { manufactured, ...rest } = f.board;
    const ms = manufactured ? Date.parse(manufactured) : NaN;
    info.board = { ...rest, serial: suffix(rest.serial), mfgMinutes: Number.isNaN(ms) ? 0 : Math.max(0, Math.floor((ms - FRU_EPOCH) / 60_000)) };
  }
  if (f.product) info.product = { ...f.product, serial: suffix(f.product.serial) };
  return info;
}

export function hostSpec(p: Profile, index: number, systemGuid: Uint8Array): HostSpec {
  return {
    index,
    name: p.chassis.hosts > 1 ? `node${index}` : 'host',
    sensors: p.host.sensors.map(sensorDef),
    fru: fruInfo(p, index),
    fruSize: p.host.fruSize,
    selCapacity: p.host.selCapacity,
    selOverflow: p.host.selOverflow,
    powerCycleIntervalMs: p.host.powerCycleIntervalSeconds * 1000,
    softOffTimeoutMs: p.host.softOffTimeoutSeconds * 1000,
    systemGuid,
    defaultRestorePolicy: p.host.restorePolicy as RestorePolicy,
  };
}

/** The profile schema as JSON Schema, for editors and users writing their own. */
export function profileJsonSchema(): unknown {
  return z.toJSONSchema(profileSchema, { io: 'input', unrepresentable: 'any' });
}
