// The platform profile: a JSON file describing the server a BMC manages —
// its identity, FRU contents, how many hosts the chassis holds, and each
// sensor with its thresholds, resolution and simulated behaviour. Its schema
// is profiles/profile.schema.json (JSON Schema 2020-12, published for users
// writing their own); this module validates against it, fills in the
// schema's defaults, and translates a profile into the model's specs.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Validator, type OutputUnit } from '@cfworker/json-schema';
import type { SimBehaviour } from '../backends/sim/sim-host.js';
import type { FruInfo } from '../model/fru.js';
import type { HostSpec, RestorePolicy } from '../model/host.js';
import { DEFAULT_INVENTORY, hostInventory, type DimmInfo, type InventorySpec } from '../model/inventory.js';
import { EventReadingType, SensorType, type Conversion, type SensorDef, type ThresholdName, type Thresholds } from '../model/sensors.js';

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

export interface ProfileSensor {
  number: number;
  name: string;
  type: keyof typeof SENSOR_TYPES;
  kind: 'threshold' | 'discrete';
  unit: string;
  entity: [number, number];
  present: boolean;
  conversion: Conversion;
  thresholds: Thresholds;
  settable?: ThresholdName[];
  hysteresis: [number, number];
  states?: number;
  nominal?: number;
  sim?: SimBehaviour;
}

export interface Profile {
  $schema?: string;
  name: string;
  description?: string;
  bmc: {
    manufacturerId: number;
    productId: number;
    deviceId: number;
    deviceRevision: number;
    firmwareVersion: string;
    maxUsers: number;
  };
  chassis: { hosts: number };
  /** Serial over LAN; run-time changes (persisted) override it. */
  sol: { takeover: boolean };
  host: {
    fru: {
      chassis?: { type: number; partNumber: string; serial: string; extra: string[] };
      board?: { manufactured?: string; manufacturer: string; product: string; serial: string; partNumber: string; fileId: string; extra: string[] };
      product?: { manufacturer: string; name: string; partNumber: string; version: string; serial: string; assetTag: string; fileId: string; extra: string[] };
    };
    fruSize: number;
    selCapacity: number;
    selOverflow: 'stop' | 'wrap';
    powerCycleIntervalSeconds: number;
    softOffTimeoutSeconds: number;
    restorePolicy: RestorePolicy;
    power: { standbyWatts: number; idleWatts: number; maxWatts: number };
    bootSeconds: number;
    shutdownSeconds: number;
    inventory?: Partial<InventorySpec>;
    /** What the host is: the simulated server or a QEMU virtual machine. */
    backend: 'sim' | 'qemu';
    /** The virtual machine (filled with defaults when backend is qemu). */
    qemu?: QemuProfile;
    sensors: ProfileSensor[];
  };
}

/** `host.qemu`: the virtual machine a qemu backend starts (paths made absolute by loadProfile). */
export interface QemuProfile {
  binary: string;
  machine: string;
  accel: 'tcg' | 'kvm';
  memoryMiB: number;
  cpus: number;
  kernel?: string;
  initrd?: string;
  append: string;
  disks: { path: string; format: 'raw' | 'qcow2'; snapshot: boolean }[];
  cdrom: boolean;
  /** A USB controller (qemu-xhci) for the virtual USB stick. */
  usb: boolean;
  /** NIC model on user networking, or 'none'. */
  nic: string;
  ipmiInterface: 'kcs' | 'bt' | 'none';
  vnc: boolean;
  extraArgs: string[];
  startTimeoutSeconds: number;
}

export class ProfileError extends Error {
  override readonly name = 'ProfileError';
  readonly code = 'PROFILE_INVALID';
}

const PROFILES_DIR = new URL('../../../profiles/', import.meta.url);
export const DEFAULT_PROFILE_PATH = fileURLToPath(new URL('default-1u.json', PROFILES_DIR));
export const PROFILE_SCHEMA_PATH = fileURLToPath(new URL('profile.schema.json', PROFILES_DIR));

type JsonSchema = {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema | boolean;
  prefixItems?: JsonSchema[];
  allOf?: { if?: { properties?: Record<string, { const?: unknown }> }; then?: JsonSchema }[];
  default?: unknown;
};

let validator: { validator: Validator; schema: JsonSchema } | undefined;

function profileValidator(): { validator: Validator; schema: JsonSchema } {
  if (!validator) {
    const schema = JSON.parse(readFileSync(PROFILE_SCHEMA_PATH, 'utf8')) as JsonSchema;
    validator = { validator: new Validator(schema as never, '2020-12', false), schema };
  }
  return validator;
}

/** Fills in the schema's `default`s, recursively (objects, arrays, if/then branches). */
function applyDefaults(schema: JsonSchema | boolean | undefined, value: unknown): void {
  if (!schema || typeof schema === 'boolean' || value === null || typeof value !== 'object') return;
  if (Array.isArray(value)) {
    value.forEach((v, i) => applyDefaults(schema.prefixItems?.[i] ?? schema.items, v));
    return;
  }
  const obj = value as Record<string, unknown>;
  for (const [key, sub] of Object.entries(schema.properties ?? {})) {
    if (obj[key] === undefined && sub.default !== undefined) obj[key] = structuredClone(sub.default);
    applyDefaults(sub, obj[key]);
  }
  for (const branch of schema.allOf ?? []) {
    const cond = Object.entries(branch.if?.properties ?? {});
    if (cond.every(([k, c]) => obj[k] === c.const)) applyDefaults(branch.then, obj);
  }
}

/** Keywords whose errors only say that something below them failed. */
const CONTAINERS = new Set(['properties', 'items', 'prefixItems', 'allOf', 'if', 'then', 'oneOf', 'anyOf', '$ref']);

function describe(errors: readonly OutputUnit[]): string[] {
  const lines: string[] = [];
  for (const e of errors) {
    if (CONTAINERS.has(e.keyword)) continue;
    const path = e.instanceLocation.replace(/^#\/?/, '').split('/').filter(Boolean).join('.') || '(root)';
    if (e.keyword === 'false') {
      const parent = path.includes('.') ? path.slice(0, path.lastIndexOf('.')) : '(root)';
      lines.push(`  ${parent}: unknown property "${path.slice(path.lastIndexOf('.') + 1)}"`);
    } else if (e.keyword !== 'additionalProperties') {
      lines.push(`  ${path}: ${e.error}`);
    }
  }
  return [...new Set(lines)];
}

export function parseProfile(text: string, source: string): Profile {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ProfileError(`${source}: not valid JSON: ${(err as Error).message}`);
  }
  const { validator: v, schema } = profileValidator();
  const r = v.validate(json);
  if (!r.valid) throw new ProfileError(`${source}: invalid profile:\n${describe(r.errors).slice(0, 10).join('\n')}`);
  applyDefaults(schema, json);
  const profile = json as Profile;
  if (profile.host.backend === 'qemu' && profile.host.qemu === undefined) {
    profile.host.qemu = {} as QemuProfile;
    applyDefaults(schema.properties?.host?.properties?.qemu, profile.host.qemu);
  }
  const seen = new Set<number>();
  profile.host.sensors.forEach((s, i) => {
    if (seen.has(s.number)) throw new ProfileError(`${source}: invalid profile:\n  host.sensors.${i}.number: duplicate sensor number ${s.number}`);
    seen.add(s.number);
  });
  return profile;
}

export function loadProfile(path: string): Profile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ProfileError(`cannot read profile ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const profile = parseProfile(text, path);
  // the VM's files are named relative to the profile
  const q = profile.host.qemu;
  if (q) {
    const base = dirname(resolve(path));
    if (q.kernel !== undefined) q.kernel = resolve(base, q.kernel);
    if (q.initrd !== undefined) q.initrd = resolve(base, q.initrd);
    for (const d of q.disks) d.path = resolve(base, d.path);
  }
  return profile;
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

/**
 * DIMM slots implied by the profile's DIMM temperature sensors ("DIMMA1
 * Temp"): a slot per sensor, populated when the sensor is present, with the
 * default inventory's module in it.
 */
function dimmsFromSensors(p: Profile): DimmInfo[] | undefined {
  const module = DEFAULT_INVENTORY.memory.find((d) => d.present);
  const slots = p.host.sensors.flatMap((s) => {
    const m = /^(DIMM[A-Z0-9]+) Temp$/.exec(s.name);
    return m ? [{ slot: m[1]!, present: s.present }] : [];
  });
  if (slots.length === 0 || !module) return undefined;
  return slots.map(({ slot, present }) =>
    present
      ? { ...module, slot, serial: `${module.serial.slice(0, 1)}${slot.slice(4)}0001` }
      : { slot, present, capacityMiB: 0, type: module.type, speedMTs: 0, manufacturer: '', partNumber: '', serial: '' },
  );
}

/** The profile's inventory, with what it leaves out taken from the default 1U server. */
export function inventorySpec(p: Profile): InventorySpec {
  const inv = p.host.inventory ?? {};
  return {
    ...(inv.hostName !== undefined ? { hostName: inv.hostName } : {}),
    biosVersion: inv.biosVersion ?? DEFAULT_INVENTORY.biosVersion,
    processors: inv.processors ?? DEFAULT_INVENTORY.processors,
    memory: inv.memory ?? dimmsFromSensors(p) ?? DEFAULT_INVENTORY.memory,
    nics: inv.nics ?? DEFAULT_INVENTORY.nics,
    storage: inv.storage ?? DEFAULT_INVENTORY.storage,
  };
}

export function hostSpec(p: Profile, index: number, systemGuid: Uint8Array): HostSpec {
  const hosts = p.chassis.hosts;
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
    inventory: hostInventory(inventorySpec(p), { index, hosts, systemGuid, hostName: hosts > 1 ? `node${index}` : 'tsbmc-host' }),
  };
}
