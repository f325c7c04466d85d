// The host's in-band system interface (KCS/BT/SSIF, IPMI v2.0 channel 0Fh)
// when the host is a QEMU virtual machine: a TCP listener that QEMU's
// `ipmi-bmc-extern` chardev connects to (QEMU is the client:
// `-chardev socket,id=ipmi0,host=127.0.0.1,port=N,reconnect=1`). Each IPMI
// request goes through the same CommandRegistry as the LAN channel, with the
// system interface's context (no session, no privilege check), and is
// answered with the same sequence number. Control frames carry attention
// (SMS_ATN follows the message flags: watchdog pre-timeout, an event message
// in the event message buffer), interrupt enable and the BMC's hardware
// operations (PROTOCOL.md section 4):
// when tsbmc does not run the VM itself, the BMC's own hard resets and
// power-offs of the host (chassis control, watchdog expiry, PEF) reach the VM
// as RESET and POWEROFF, as they do with ipmi_sim. The model keeps all
// state, so QEMU reconnecting loses nothing.
import { createServer, type Server, type Socket } from 'node:net';
import { Channel, CC, NetFn, Privilege } from '../ipmi/constants.js';
import type { IpmiContext } from '../ipmi/context.js';
import type { CommandRegistry, IpmiResponse } from '../ipmi/registry.js';
import { RateLimitedLog, type Logger } from '../log.js';
import type { Bmc } from '../model/bmc.js';
import type { ModelEvent } from '../model/events.js';
import type { Host } from '../model/host.js';
import { PreTimeoutInterrupt } from '../model/watchdog.js';
import {
  encodeControl,
  encodeResponse,
  ExternDecoder,
  HARDWARE_OP_CAPABILITY,
  MAX_RESPONSE_DATA,
  PROTOCOL_VERSION,
  type DropReason,
  type ExternControl,
  type ExternRequest,
  type HardwareOp,
} from './extern-protocol.js';

export interface ExternServerOptions {
  bmc: Bmc;
  host: Host;
  registry: CommandRegistry;
  log: Logger;
  address: string;
  /** 0 = an ephemeral port (read it back from `port` after start). */
  port: number;
  /**
   * Carry the BMC's hard resets and power-offs of the host out on the VM
   * over the chardev. Default: unless the host's backend runs the VM itself
   * (`qemu`, which acts over QMP; sending both would reset the VM twice).
   */
  machineControl?: boolean;
}

/**
 * The hardware operation that carries a model event out on a VM attached
 * over the chardev: a hard reset the BMC made (chassis control, watchdog,
 * PEF) becomes RESET; the host going off because the BMC turned it off
 * (power down, the off half of a power cycle) becomes POWEROFF. What the
 * host did by itself (its OS rebooting or shutting down) is not echoed back,
 * and power-on has no operation (PROTOCOL.md section 4).
 */
export function machineOpFor(ev: ModelEvent, host: Pick<Host, 'index' | 'powerState' | 'restartCause'>): HardwareOp | undefined {
  if (!('host' in ev) || ev.host !== host.index) return undefined;
  // a restart the host reported itself is recorded as a soft reset (IPMI v2.0 28.11)
  if (ev.type === 'host-reset') return host.restartCause === 'soft-reset' ? undefined : 'reset';
  // the power button and the diagnostic interrupt: the guest decides what follows
  if (ev.type === 'host-signal') return ev.signal === 'soft-off' ? 'graceful-shutdown' : 'send-nmi';
  if (ev.type === 'power' && ev.state === 'off') {
    const requested = host.powerState.requested;
    return requested === 'off' || requested === 'cycle' ? 'power-off' : undefined;
  }
  return undefined;
}

/** Why a hardware operation was not sent. */
export type HardwareOpRefusal = 'not-connected' | 'not-supported';

export interface ExternStats {
  connections: number;
  requests: number;
  responses: number;
  /** Requests dropped because too many were waiting (QEMU sends one at a time; SSIF up to four). */
  overrun: number;
  /** Responses that found their connection gone (QEMU answers those requests with 0xD2 itself). */
  orphaned: number;
  hardwareOps: number;
  dropped: Record<DropReason, number>;
  /** Debug counter: total ns from a request's bytes arriving to its response written (for bench/kcs.mjs). */
  serviceNs: number;
}

const App = { GetDeviceId: 0x01, SetBmcGlobalEnables: 0x2e } as const;
/** Global enables bit 0: receive message queue interrupt (IPMI v2.0 22.1). */
const RECEIVE_QUEUE_INTERRUPT = 0x01;
/** Global enables bit 1: event message buffer full interrupt (22.1). */
const EVENT_BUFFER_INTERRUPT = 0x02;
/** Message flags that mean "the host should look" (22.4): receive queue, event buffer, watchdog pre-timeout, OEM. */
const ATTENTION_FLAGS = 0xeb;
/** Message flag bit 1: event message buffer full (22.4); its interrupt is global enables bit 1, the others' bit 0. */
const EVENT_BUFFER_FLAG = 0x02;
/** Requests waiting for dispatch on one connection before more are dropped. */
const MAX_PENDING = 8;
const EMPTY = new Uint8Array(0);

/** One QEMU connection: its decoder, its request queue and what it was told. */
interface Connection {
  readonly socket: Socket;
  readonly peer: string;
  readonly decoder: ExternDecoder;
  /** CAPABILITIES mask QEMU announced; undefined until it does. */
  capabilities: number | undefined;
  /** The attention state last sent. */
  attention: boolean;
  pending: number;
  tail: Promise<void>;
}

export class ExternBmcServer {
  readonly #opts: ExternServerOptions;
  readonly #log: Logger;
  readonly #warn: RateLimitedLog;
  readonly #ctx: IpmiContext;
  #server: Server | undefined;
  #conn: Connection | undefined;
  #unsubscribe: (() => void)[] = [];
  #port = 0;
  readonly stats: ExternStats = {
    connections: 0,
    requests: 0,
    responses: 0,
    overrun: 0,
    orphaned: 0,
    hardwareOps: 0,
    dropped: { oversized: 0, 'bad-escape': 0, checksum: 0, short: 0, 'bad-control': 0, empty: 0 },
    serviceNs: 0,
  };

  constructor(opts: ExternServerOptions) {
    this.#opts = opts;
    this.#log = opts.log;
    this.#warn = new RateLimitedLog(opts.log);
    // the system interface has no session and no privilege check (IPMI v2.0 6.12.1)
    this.#ctx = { bmc: opts.bmc, host: opts.host, channel: Channel.SystemInterface, privilege: Privilege.Oem };
  }

  /** The bound port (the ephemeral one when constructed with 0); 0 before start. */
  get port(): number {
    return this.#port;
  }

  /** True while a QEMU chardev is connected. */
  get connected(): boolean {
    return this.#conn !== undefined;
  }

  /** The CAPABILITIES mask of the connected QEMU, if it announced one. */
  get capabilities(): number | undefined {
    return this.#conn?.capabilities;
  }

  /** Listens; rejects with the socket error (err.code 'EADDRINUSE', 'EACCES', ...). */
  start(): Promise<void> {
    if (this.#server) return Promise.reject(new Error('extern BMC server already started'));
    const server = createServer((socket) => this.#accept(socket));
    this.#server = server;
    return new Promise<void>((resolve, reject) => {
      const onError = (err: Error): void => {
        this.#server = undefined;
        server.close();
        reject(err);
      };
      server.once('error', onError);
      server.listen({ host: this.#opts.address, port: this.#opts.port, exclusive: true }, () => {
        server.off('error', onError);
        server.on('error', (err) => this.#log.error('extern BMC listener failed', { err: err.message }));
        const a = server.address();
        this.#port = typeof a === 'object' && a ? a.port : this.#opts.port;
        const events = this.#opts.bmc.events;
        this.#unsubscribe.push(
          events.on('watchdog', (ev) => {
            if (ev.host === this.#opts.host.index && ev.action === 'pretimeout') this.#preTimeout();
          }),
          this.#opts.host.eventBuffer.onPut(() => this.#eventQueued()),
        );
        if (this.#opts.machineControl ?? this.#opts.host.link.kind !== 'qemu') {
          const forward = (ev: ModelEvent): void => this.#machineOp(ev);
          this.#unsubscribe.push(events.on('host-reset', forward), events.on('power', forward), events.on('host-signal', forward));
        }
        resolve();
      });
    });
  }

  async stop(): Promise<void> {
    for (const off of this.#unsubscribe.splice(0)) off();
    this.#conn?.socket.destroy();
    this.#conn = undefined;
    const server = this.#server;
    this.#server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /**
   * Asks QEMU to act on the machine (power off, hard reset, ACPI power
   * button, NMI): what a QEMU host backend does for the model's power
   * requests. Sent only to a QEMU that announced the capability.
   */
  sendHardwareOp(op: HardwareOp): { ok: true } | { ok: false; reason: HardwareOpRefusal } {
    const c = this.#conn;
    if (!c) return { ok: false, reason: 'not-connected' };
    if (c.capabilities === undefined || (c.capabilities & HARDWARE_OP_CAPABILITY[op]) === 0) return { ok: false, reason: 'not-supported' };
    this.stats.hardwareOps++;
    this.#log.info('hardware operation sent to QEMU', { op });
    this.#control(c, { name: op });
    return { ok: true };
  }

  // ---- connections ---------------------------------------------------------

  #accept(socket: Socket): void {
    const peer = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? 0}`;
    const old = this.#conn;
    if (old) {
      // one VM per host: a new connection is QEMU coming back (or a new QEMU); the old one is stale
      this.#log.warn('new chardev connection replaces the current one', { peer, previous: old.peer });
      old.socket.destroy();
    }
    socket.setNoDelay(true);
    const c: Connection = {
      socket,
      peer,
      decoder: new ExternDecoder('requests'),
      capabilities: undefined,
      attention: this.#attentionWanted(),
      pending: 0,
      tail: Promise.resolve(),
    };
    this.#conn = c;
    this.stats.connections++;
    this.#log.info('QEMU chardev connected', { peer });
    // VERSION on accept (PROTOCOL.md section 5), then the attention state: QEMU clears SMS_ATN when it loses us
    this.#control(c, { name: 'version', version: PROTOCOL_VERSION });
    this.#control(c, { name: c.attention ? this.#attnName() : 'no-attn' });
    socket.on('data', (chunk: Buffer) => this.#data(c, chunk));
    socket.on('error', (err) => this.#log.debug('chardev socket error', { peer, err: err.message }));
    socket.on('close', () => {
      if (this.#conn === c) this.#conn = undefined;
      this.#log.info('QEMU chardev disconnected', { peer, requests: this.stats.requests, responses: this.stats.responses, serviceNs: this.stats.serviceNs });
    });
  }

  #data(c: Connection, chunk: Buffer): void {
    const t0 = process.hrtime.bigint();
    for (const item of c.decoder.push(chunk)) {
      switch (item.name) {
        case 'dropped':
          this.stats.dropped[item.reason]++;
          this.#warn.warn(c.peer, 'chardev frame dropped', { reason: item.reason, length: item.length });
          break;
        case 'request':
          this.#enqueue(c, item, t0);
          break;
        case 'version':
          if (item.version !== PROTOCOL_VERSION) this.#log.warn('QEMU speaks another chardev protocol version', { version: item.version });
          break;
        case 'capabilities':
          c.capabilities = item.mask;
          this.#log.debug('QEMU capabilities', { mask: `0x${item.mask.toString(16)}` });
          break;
        case 'reset':
          // QEMU: "the interface was reset"; nothing of ours depends on the interface's state
          this.#log.debug('QEMU reset its IPMI interface');
          break;
        case 'response':
          break;
        default:
          this.#warn.warn(c.peer, 'unexpected control operation from QEMU', { op: item.name });
      }
    }
  }

  #enqueue(c: Connection, req: ExternRequest, t0: bigint): void {
    if (c.pending >= MAX_PENDING) {
      this.stats.overrun++;
      this.#warn.warn(c.peer, 'too many requests waiting; dropped', { seq: req.seq });
      return;
    }
    c.pending++;
    c.tail = c.tail
      .then(() => this.#answer(c, req))
      .then(() => {
        this.stats.serviceNs += Number(process.hrtime.bigint() - t0);
      })
      .catch((err: unknown) => this.#log.error('answering a chardev request failed', { err: err instanceof Error ? err.message : String(err) }))
      .finally(() => c.pending--);
  }

  /** Dispatches one request and answers it with its own seq, in arrival order. */
  async #answer(c: Connection, req: ExternRequest): Promise<void> {
    this.stats.requests++;
    const host = this.#opts.host;
    let data = req.data;
    // SSIF pads the first Get Device ID with zero bytes (PROTOCOL.md section 8): answer it as a plain one
    if (req.netFn === NetFn.App && req.cmd === App.GetDeviceId && data.length > 0 && data.every((b) => b === 0)) data = EMPTY;
    let res: IpmiResponse = await this.#opts.registry.dispatch({ netFn: req.netFn, cmd: req.cmd, lun: req.lun, data }, this.#ctx, this.#log);
    if (res.data.length > MAX_RESPONSE_DATA) {
      this.#log.warn('response longer than the interface carries', { netFn: req.netFn, cmd: req.cmd, length: res.data.length });
      res = { cc: CC.CannotReturnBytes, data: EMPTY };
    }
    if (this.#conn !== c || c.socket.destroyed) {
      this.stats.orphaned++;
      return;
    }
    // the interface interrupt follows global enables bits 0 and 1, either of the interrupts it carries
    // (section 5; ipmi_sim follows bit 0 only), sent before the response as ipmi_sim does
    if (req.netFn === NetFn.App && req.cmd === App.SetBmcGlobalEnables && res.cc === CC.Success) {
      this.#control(c, { name: (host.globalEnables & (RECEIVE_QUEUE_INTERRUPT | EVENT_BUFFER_INTERRUPT)) !== 0 ? 'enable-irq' : 'disable-irq' });
    }
    this.#reconcileAttention(c);
    if (this.#log.enabled('debug')) this.#log.debug('request', { seq: req.seq, netFn: req.netFn, cmd: req.cmd, cc: res.cc });
    c.socket.write(encodeResponse({ seq: req.seq, netFn: req.netFn | 1, lun: req.lun, cmd: req.cmd, cc: res.cc, data: res.data }));
    this.stats.responses++;
  }

  // ---- attention: the watchdog's pre-timeout and the event message buffer -----

  #attentionWanted(): boolean {
    return (this.#opts.host.messageFlags & ATTENTION_FLAGS) !== 0;
  }

  /**
   * ATTN_IRQ when the interrupt of a raised flag is enabled: bit 1 of the
   * global enables for the event message buffer, bit 0 for the others
   * (receive queue, watchdog pre-timeout, OEM); plain ATTN otherwise.
   */
  #attnName(): 'attn' | 'attn-irq' {
    const { messageFlags: flags, globalEnables: enables } = this.#opts.host;
    const irq =
      ((flags & EVENT_BUFFER_FLAG) !== 0 && (enables & EVENT_BUFFER_INTERRUPT) !== 0) ||
      ((flags & ATTENTION_FLAGS & ~EVENT_BUFFER_FLAG) !== 0 && (enables & RECEIVE_QUEUE_INTERRUPT) !== 0);
    return irq ? 'attn-irq' : 'attn';
  }

  /** SMS_ATN follows the message flags: set when one is raised, cleared when all are cleared. */
  #reconcileAttention(c: Connection): void {
    const want = this.#attentionWanted();
    if (want === c.attention) return;
    c.attention = want;
    this.#control(c, { name: want ? this.#attnName() : 'no-attn' });
  }

  /**
   * An event message went into the buffer: ATTN (ATTN_IRQ with the buffer's
   * interrupt enabled) even when attention is already up, so that an
   * interrupt-driven driver looks again, as ipmi_sim does on each new event.
   */
  #eventQueued(): void {
    const c = this.#conn;
    if (!c) return;
    c.attention = true;
    this.#control(c, { name: this.#attnName() });
  }

  /** The model raised the pre-timeout flag; an NMI pre-timeout interrupt also goes to the machine. */
  #preTimeout(): void {
    const c = this.#conn;
    if (!c) return;
    this.#reconcileAttention(c);
    if (this.#opts.host.watchdog.status().preTimeoutInterrupt === PreTimeoutInterrupt.Nmi) this.sendHardwareOp('send-nmi');
  }

  // ---- the BMC's power actions on a VM tsbmc does not run ----------------------

  #machineOp(ev: ModelEvent): void {
    const op = machineOpFor(ev, this.#opts.host);
    if (!op) return;
    const sent = this.sendHardwareOp(op);
    if (!sent.ok) this.#log.debug('hardware operation not sent to QEMU', { op, reason: sent.reason });
  }

  #control(c: Connection, m: ExternControl): void {
    if (!c.socket.destroyed) c.socket.write(encodeControl(m));
  }
}
