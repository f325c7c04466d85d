// The IPMI LAN channel on a UDP socket (IPMI v2.0 sections 13 and 24): binds
// one socket, feeds each datagram to a LanEngine and registers the engine's
// idle-session sweep with the process-wide sweeper. Many endpoints may run in
// one process.
import { createSocket, type Socket } from 'node:dgram';
import { isIP } from 'node:net';
import type { CommandRegistry } from '../ipmi/registry.js';
import type { Logger } from '../log.js';
import type { Bmc } from '../model/bmc.js';
import { systemClock, type Clock } from '../model/clock.js';
import type { Host } from '../model/host.js';
import { LanEngine, type PayloadHandler } from './lan-engine.js';
import type { SessionTable } from './session.js';
import type { LanStats } from './stats.js';
import { Sweeper } from './sweeper.js';

export interface LanEndpointOptions {
  bmc: Bmc;
  host: Host;
  registry: CommandRegistry;
  log: Logger;
  address: string;
  /** 0 = an ephemeral port (read it back from `port` after start). */
  port: number;
  clock?: Clock;
  /** The process's sweeper, shared by its endpoints; one of its own otherwise. */
  sweeper?: Sweeper;
}

export class LanEndpoint {
  readonly #opts: LanEndpointOptions;
  readonly #engine: LanEngine;
  readonly #sweeper: Sweeper;
  #socket: Socket | undefined;
  #unsweep: (() => void) | undefined;
  #port = 0;

  constructor(opts: LanEndpointOptions) {
    this.#opts = opts;
    const clock = opts.clock ?? systemClock;
    this.#sweeper = opts.sweeper ?? new Sweeper(clock);
    this.#engine = new LanEngine({
      bmc: opts.bmc,
      host: opts.host,
      registry: opts.registry,
      log: opts.log,
      clock,
      send: (datagram, peer) => this.#socket?.send(datagram, peer.port, peer.address),
      localPort: () => this.#port,
    });
  }

  /** The bound port (the ephemeral one when constructed with 0); 0 before start. */
  get port(): number {
    return this.#port;
  }

  get stats(): LanStats {
    return this.#engine.stats;
  }

  get sessions(): SessionTable {
    return this.#engine.sessions;
  }

  /** Adds a payload handler (e.g. SOL, payload type 1). */
  addPayloadHandler(h: PayloadHandler): void {
    this.#engine.addPayloadHandler(h);
  }

  /** Binds the socket; rejects with the socket error (err.code 'EADDRINUSE', 'EACCES', ...). */
  start(): Promise<void> {
    if (this.#socket) return Promise.reject(new Error('LAN endpoint already started'));
    const type = isIP(this.#opts.address) === 6 ? 'udp6' : 'udp4';
    const sock = createSocket({ type, reuseAddr: false });
    return new Promise<void>((resolve, reject) => {
      const onError = (err: Error): void => {
        sock.close();
        reject(err);
      };
      sock.once('error', onError);
      sock.bind(this.#opts.port, this.#opts.address, () => {
        sock.off('error', onError);
        sock.on('error', (err) => this.#opts.log.warn('LAN socket error', { err: err.message }));
        sock.on('message', (msg, rinfo) => {
          void this.#engine.handle(msg, { address: rinfo.address, port: rinfo.port });
        });
        this.#socket = sock;
        this.#port = sock.address().port;
        this.#unsweep = this.#sweeper.add((now) => this.#engine.sweep(now));
        this.#opts.log.info('IPMI LAN listening', { address: this.#opts.address, port: this.#port });
        resolve();
      });
    });
  }

  /** Closes every session (zeroing keys) and the socket. */
  stop(): Promise<void> {
    const sock = this.#socket;
    this.#unsweep?.();
    this.#unsweep = undefined;
    this.#engine.close();
    if (!sock) return Promise.resolve();
    this.#socket = undefined;
    return new Promise<void>((resolve) => sock.close(() => resolve()));
  }
}
