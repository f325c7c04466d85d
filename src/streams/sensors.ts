// /ws/sensors: one host's sensor readings and state as JSON text messages
// (docs/STREAMS.md "Sensors"). A snapshot on connect, then the model's
// events (reading, threshold, power, identify, SEL changes) coalesced per
// key: at most one reading per sensor per interval, state changes at once,
// and only the latest value of each key while the client is slow.
// Names and values are the Redfish ones (Sensor ids, PowerState, Health),
// so a web UI can link each entry to its Redfish resource.
import type { Bmc } from '../model/bmc.js';
import type { ModelEvent } from '../model/events.js';
import type { Host } from '../model/host.js';
import { THRESHOLD_NAMES, type Sensor, type ThresholdName } from '../model/sensors.js';
import { paths, systemId } from '../redfish/ids.js';
import { readingKind, sensorHealth, sensorUri, thresholdSensors, THRESHOLD_PROPERTY } from '../redfish/resources/chassis-sensors.js';
import { hostHealth, powerStateOf } from '../redfish/resources/systems.js';
import { Coalescer } from './coalesce.js';
import { cappedStream, hostFrom, intParam, onlyParams, type Peer, type StreamContext, type StreamDef, type StreamHandle } from './peer.js';

export const SENSORS_PATH = '/ws/sensors';
export const DEFAULT_INTERVAL_MS = 250;
export const MIN_INTERVAL_MS = 100;
export const MAX_INTERVAL_MS = 10_000;
/** Above this many unsent bytes the client is slow: hold and coalesce. */
export const SENSOR_BUFFER_LIMIT = 64 * 1024;
export const MAX_SENSOR_STREAMS = 32;

export interface SensorReading {
  readonly id: string;
  readonly number: number;
  readonly value: number | null;
  readonly health: string | null;
}

export type SensorMessage =
  | { type: 'readings'; readings: SensorReading[] }
  | { type: 'power'; state: string; cause: string }
  | { type: 'identify'; on: boolean }
  | { type: 'health'; health: string }
  | { type: 'threshold'; sensor: string; number: number; threshold: string; assertion: boolean; value: number | null; health: string | null }
  | { type: 'sel'; entries: number; change: 'added' | 'deleted' | 'cleared'; recordId: number | null };

/** IPMI threshold event offsets (IPMI v2.0 table 42-2): two per threshold, lower first. */
const OFFSET_THRESHOLD: readonly ThresholdName[] = ['lnc', 'lc', 'lnr', 'unc', 'uc', 'unr'];

function reading(id: string, s: Sensor): SensorReading {
  return { id, number: s.def.number, value: s.present ? s.value : null, health: sensorHealth(s) ?? null };
}

/** The first message: everything a client needs to draw the host (pure over the model). */
export function sensorSnapshot(bmc: Bmc, host: Host, intervalMs: number): Record<string, unknown> {
  return {
    type: 'snapshot',
    host: host.index,
    systemId: systemId(bmc, host),
    system: paths.system(bmc, host),
    chassis: paths.chassis(bmc, host),
    intervalMs,
    power: powerStateOf(host),
    identify: host.identify.on,
    health: hostHealth(host),
    sel: { entries: host.sel.count },
    sensors: thresholdSensors(host).map(({ id, sensor: s }) => {
      const kind = readingKind(s);
      const thresholds: Record<string, number> = {};
      for (const t of THRESHOLD_NAMES) {
        const v = s.thresholdValue(t);
        if (v !== undefined) thresholds[THRESHOLD_PROPERTY[t]] = v;
      }
      return {
        ...reading(id, s),
        name: s.def.name,
        uri: sensorUri({ bmc }, host, id),
        readingType: kind?.type ?? null,
        units: kind?.units ?? s.def.unit,
        present: s.present,
        thresholds,
      };
    }),
  };
}

type Pending = { kind: 'reading'; reading: SensorReading } | { kind: 'message'; message: SensorMessage };

/** Opens the sensor stream of one host on a peer. */
export function openSensorStream(ctx: StreamContext, peer: Peer, opts: { intervalMs?: number } = {}): StreamHandle {
  const { bmc } = ctx;
  onlyParams(ctx.query, ['host', 'system', 'interval']);
  const host = hostFrom(bmc, ctx.query, (h) => systemId(bmc, h));
  const intervalMs = intParam(ctx.query, 'interval', opts.intervalMs ?? DEFAULT_INTERVAL_MS, MIN_INTERVAL_MS, MAX_INTERVAL_MS);
  const ids = new Map(thresholdSensors(host).map(({ id, sensor }) => [sensor.def.number, { id, sensor }]));
  let health = hostHealth(host);

  const send = (m: SensorMessage): void => peer.send(JSON.stringify(m));
  const co = new Coalescer<Pending>({
    clock: ctx.clock,
    intervalMs,
    ready: () => peer.bufferedAmount <= SENSOR_BUFFER_LIMIT,
    flush: (batch) => {
      const readings: SensorReading[] = [];
      for (const p of batch) {
        if (p.kind === 'reading') readings.push(p.reading);
        else send(p.message);
      }
      if (readings.length > 0) send({ type: 'readings', readings });
    },
  });
  const message = (key: string, m: SensorMessage): void => co.set(key, { kind: 'message', message: m }, true);
  const healthCheck = (): void => {
    const h = hostHealth(host);
    if (h === health) return;
    health = h;
    message('health', { type: 'health', health: h });
  };

  const onEvent = (ev: ModelEvent): void => {
    if (!('host' in ev) || ev.host !== host.index) return;
    switch (ev.type) {
      case 'reading': {
        const e = ids.get(ev.sensor);
        if (e) co.set(`reading:${e.id}`, { kind: 'reading', reading: reading(e.id, e.sensor) });
        return;
      }
      case 'threshold': {
        const e = ids.get(ev.sensor);
        const name = OFFSET_THRESHOLD[ev.offset >> 1];
        if (!e || name === undefined) return;
        const r = reading(e.id, e.sensor);
        message(`threshold:${e.id}:${name}`, { type: 'threshold', sensor: e.id, number: r.number, threshold: THRESHOLD_PROPERTY[name], assertion: ev.assertion, value: r.value, health: r.health });
        healthCheck();
        return;
      }
      case 'sensor-config':
        healthCheck();
        return;
      case 'power':
        message('power', { type: 'power', state: powerStateOf(host), cause: ev.cause });
        return;
      case 'identify':
        message('identify', { type: 'identify', on: ev.on });
        return;
      case 'sel-added':
      case 'sel-deleted':
        message('sel', { type: 'sel', entries: host.sel.count, change: ev.type === 'sel-added' ? 'added' : 'deleted', recordId: ev.recordId });
        return;
      case 'sel-cleared':
        message('sel', { type: 'sel', entries: host.sel.count, change: 'cleared', recordId: null });
        return;
      default:
        return;
    }
  };

  peer.send(JSON.stringify(sensorSnapshot(bmc, host, intervalMs)));
  const off = bmc.events.onAny(onEvent);
  return {
    close() {
      off();
      co.close();
    },
  };
}

/** The /ws/sensors endpoint: Login, at most `max` open at once (4429). */
export function sensorStream(opts: { max?: number; intervalMs?: number } = {}): StreamDef {
  return cappedStream({
    path: SENSORS_PATH,
    privilege: 'Login',
    max: opts.max ?? MAX_SENSOR_STREAMS,
    name: 'sensor',
    open: (ctx, peer) => openSensorStream(ctx, peer, opts),
  });
}
