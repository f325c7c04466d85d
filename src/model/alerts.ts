// LAN alerting (IPMI v2.0 17.11-17.12): delivers an alert to a destination of
// the LAN channel as a Platform Event Trap, to UDP port 162 of the
// destination's address (LAN parameter 19; the parameters hold no port). A
// destination with "alert acknowledge" set (parameter 18) is sent the trap
// again after each acknowledge timeout until PET Acknowledge names it or the
// retries are spent; without it the trap is sent once. Sending never blocks
// the caller; socket errors count as a failed delivery and are logged at warn,
// at most once a minute.
import { createSocket, type Socket } from 'node:dgram';
import type { Logger } from '../log.js';
import type { Clock, TimerHandle } from './clock.js';
import type { LanSettings } from './lan.js';
import type { AlertRequest, Alerter } from './pef.js';
import { encodeTrap, petData, petSpecificTrap, petTimestamp, type PetEvent, type PetSource, PET_OEM_END } from './pet.js';

export const SNMP_TRAP_PORT = 162;
const WARN_INTERVAL_MS = 60_000;
const PENDING_LIMIT = 64;

/** Sends one datagram; rejects when the socket reports an error. */
export type DatagramSend = (bytes: Uint8Array, address: string, port: number) => Promise<void>;

/** A UDP sender on an unbound, unreferenced socket created on first use. */
export function udpSender(): { send: DatagramSend; close(): void } {
  let socket: Socket | undefined;
  return {
    send: (bytes, address, port) =>
      new Promise((resolve, reject) => {
        if (!socket) {
          socket = createSocket('udp4');
          socket.on('error', () => undefined);
          socket.unref();
        }
        socket.send(bytes, port, address, (err) => (err ? reject(err) : resolve()));
      }),
    close: () => {
      socket?.close();
      socket = undefined;
    },
  };
}

/** The PET fields of an event that the event itself does not carry. */
export type EntityOf = (sensorNumber: number, generatorId: number) => { entity: number; entityInstance: number };

interface Pending {
  resolve(ok: boolean): void;
  timer: TimerHandle;
}

/** Alert Immediate status (30.7): 00h none, 01h normal end, 03h failed (no acknowledge), FFh in progress. */
export const AlertImmediateStatus = { None: 0x00, Normal: 0x01, Failed: 0x03, InProgress: 0xff } as const;

/** Delivers alerts of one host to the LAN channel's destinations as PETs. */
export class PetAlerter implements Alerter {
  readonly #lan: LanSettings;
  readonly #clock: Clock;
  readonly #source: () => PetSource;
  readonly #entityOf: EntityOf;
  readonly #send: DatagramSend;
  readonly #port: number;
  readonly #log: Logger | undefined;
  readonly #startedAt: number;
  #sequence = 0;
  #lastWarn = -Infinity;
  readonly #pending = new Map<string, Pending>();
  #immediate: number = AlertImmediateStatus.None;

  constructor(opts: { lan: LanSettings; clock: Clock; source: () => PetSource; entityOf: EntityOf; send: DatagramSend; port?: number; log?: Logger }) {
    this.#lan = opts.lan;
    this.#clock = opts.clock;
    this.#source = opts.source;
    this.#entityOf = opts.entityOf;
    this.#send = opts.send;
    this.#port = opts.port ?? SNMP_TRAP_PORT;
    this.#log = opts.log;
    this.#startedAt = opts.clock.monotonic();
  }

  destinationType(channel: number, destination: number): number {
    if (channel !== this.#lan.channel) return -1;
    return (this.#lan.config.destinations[destination]?.type ?? 0) & 0x07;
  }

  /** Whether a destination exists on the LAN channel (Alert Immediate checks it). */
  hasDestination(channel: number, destination: number): boolean {
    return channel === this.#lan.channel && destination < this.#lan.config.destinations.length;
  }

  send(req: AlertRequest): Promise<boolean> {
    const c = this.#lan.config;
    const d = c.destinations[req.destination];
    if (req.channel !== this.#lan.channel || !d || (d.type & 0x07) !== 0 || d.ip === '0.0.0.0') return Promise.resolve(false);
    const e = req.event;
    const pet: PetEvent = {
      sensorType: e.sensorType,
      eventType: e.eventDirType & 0x7f,
      deassertion: (e.eventDirType & 0x80) !== 0,
      eventData: e.eventData,
      sensorDevice: e.generatorId & 0xff,
      sensorNumber: e.sensorNumber,
      ...this.#entityOf(e.sensorNumber, e.generatorId),
      severity: req.severity,
    };
    this.#sequence = (this.#sequence + 1) & 0xffff || 1;
    const timestamp = petTimestamp(this.#clock.now());
    let data = petData(this.#source(), pet, this.#sequence, timestamp);
    if (req.alertString !== undefined) data = withAlertString(data, req.alertString);
    const trap = encodeTrap({
      community: c.community,
      agentAddress: Uint8Array.from(c.ip.split('.').map(Number)),
      specificTrap: petSpecificTrap(pet),
      uptimeTicks: Math.floor((this.#clock.monotonic() - this.#startedAt) / 10),
      data,
    });
    const acknowledged = (d.type & 0x80) !== 0;
    if (!acknowledged) return this.#transmit(trap, d.ip);
    const key = ackKey(this.#sequence, timestamp, 0x20, pet.sensorDevice, pet.sensorNumber, e.eventData);
    return new Promise((resolve) => {
      let left = d.retries & 0x07;
      const attempt = (): void => {
        void this.#transmit(trap, d.ip);
        const timer = this.#clock.setTimeout(() => {
          if (left-- > 0) attempt();
          else this.#settle(key, false);
        }, Math.max(1, d.ackTimeout) * 1000);
        const p = this.#pending.get(key);
        if (p) p.timer = timer;
        else this.#pending.set(key, { resolve, timer });
      };
      if (this.#pending.size >= PENDING_LIMIT) {
        resolve(false);
        return;
      }
      attempt();
    });
  }

  /**
   * PET Acknowledge (30.8): completes the acknowledged alert it names.
   * Returns false when none is waiting.
   */
  acknowledge(sequence: number, timestamp: number, sourceType: number, sensorDevice: number, sensorNumber: number, eventData: readonly number[]): boolean {
    const key = ackKey(sequence, timestamp, sourceType, sensorDevice, sensorNumber, eventData);
    if (!this.#pending.has(key)) return false;
    this.#settle(key, true);
    return true;
  }

  /** Alert Immediate (30.7): sends now; its status is kept for "get status". */
  immediate(req: AlertRequest): void {
    this.#immediate = AlertImmediateStatus.InProgress;
    void this.send(req).then((ok) => {
      this.#immediate = ok ? AlertImmediateStatus.Normal : AlertImmediateStatus.Failed;
    });
  }

  get immediateStatus(): number {
    return this.#immediate;
  }

  clearImmediateStatus(): void {
    if (this.#immediate !== AlertImmediateStatus.InProgress) this.#immediate = AlertImmediateStatus.None;
  }

  close(): void {
    for (const key of [...this.#pending.keys()]) this.#settle(key, false);
  }

  #settle(key: string, ok: boolean): void {
    const p = this.#pending.get(key);
    if (!p) return;
    this.#pending.delete(key);
    p.timer.cancel();
    p.resolve(ok);
  }

  async #transmit(trap: Uint8Array, ip: string): Promise<boolean> {
    try {
      await this.#send(trap, ip, this.#port);
      return true;
    } catch (err) {
      const now = this.#clock.monotonic();
      if (now - this.#lastWarn >= WARN_INTERVAL_MS) {
        this.#lastWarn = now;
        this.#log?.warn('PET delivery failed', { destination: ip, port: this.#port, error: String(err) });
      }
      return false;
    }
  }
}

/** The fields of a PET that PET Acknowledge repeats (30.8): sequence, timestamp, source, sensor, event data 1-3. */
function ackKey(sequence: number, timestamp: number, sourceType: number, device: number, sensor: number, data: readonly number[]): string {
  return [sequence, timestamp >>> 0, sourceType, device, sensor, data[0], data[1], data[2]].join(':');
}

/**
 * The alert string in the OEM custom fields: one field in FRU type/length
 * form (C0h | length, 8-bit ASCII + Latin 1, at most 63 bytes), then C1h.
 */
export function withAlertString(data: Uint8Array, text: string): Uint8Array {
  const bytes = Buffer.from(text, 'latin1').subarray(0, 63);
  const out = new Uint8Array(data.length - 1 + 1 + bytes.length + 1);
  out.set(data.subarray(0, data.length - 1));
  out[data.length - 1] = 0xc0 | bytes.length;
  out.set(bytes, data.length);
  out[out.length - 1] = PET_OEM_END;
  return out;
}
