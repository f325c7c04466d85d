// Serial over LAN (IPMI v2.0 section 15, payload type 1): the SOL packet
// codec (tables 15-2 and 15-3) and the payload handler of one LAN endpoint,
// which serves the one SOL instance of its host across all its sessions.
// Console→host characters go to the host's console link; host→console data is
// read from the host's console buffer by absolute offset (the ring is the
// send queue: a console that falls behind loses the oldest bytes and sees the
// overrun bit), accumulated per the SOL configuration (accumulate interval,
// send threshold) and retried until acknowledged (retry count, interval).
// Packets are protected by the session as every payload is (LanEngine), in
// clear only when the instance was activated without encryption or its
// encryption is suspended (Suspend/Resume Payload Encryption, 24.3).
import { DecodeError, Reader } from '../bytes/index.js';
import { PayloadType } from '../ipmi/constants.js';
import type {
  PayloadActivation,
  PayloadEncryptionOp,
  PayloadEncryptionRefusal,
  PayloadInstanceInfo,
  PayloadInstances,
  PayloadRefusal,
  SessionPort,
} from '../ipmi/context.js';
import type { Logger } from '../log.js';
import type { Bmc } from '../model/bmc.js';
import type { Clock, TimerHandle } from '../model/clock.js';
import type { Host } from '../model/host.js';
import type { PayloadHandler, PayloadInfo, PayloadReply, PayloadTransport } from './lan-engine.js';
import type { Session } from './session.js';

// ---- codec ---------------------------------------------------------------------

/*
 * SOL payload, console to BMC (15.9, table 15-2):
 *   1   [7:4] reserved, [3:0] packet sequence number (0 = ACK-only packet)
 *   2   [7:4] reserved, [3:0] packet ACK/NACK sequence number (0 = none)
 *   3   accepted character count
 *   4   operation: [7] reserved, [6] 1b = NACK, [5] assert Ring/WOR,
 *       [4] generate break, [3] deassert CTS, [2] deassert DCD/DSR,
 *       [1] flush inbound, [0] flush outbound
 *   5:N character data
 */
export interface SolConsolePacket {
  readonly seq: number;
  readonly ackSeq: number;
  readonly accepted: number;
  readonly nack: boolean;
  readonly ringWor: boolean;
  readonly generateBreak: boolean;
  readonly deassertCts: boolean;
  readonly deassertDcdDsr: boolean;
  readonly flushInbound: boolean;
  readonly flushOutbound: boolean;
  readonly data: Uint8Array;
}

/*
 * SOL payload, BMC to console (15.9, table 15-3):
 *   1   [3:0] packet sequence number (0 = ACK-only packet)
 *   2   [3:0] packet ACK/NACK sequence number
 *   3   accepted character count
 *   4   status: [7] reserved, [6] 1b = NACK, [5] character transfer
 *       unavailable, [4] SOL deactivating, [3] character transmit overrun,
 *       [2] break detected, [1:0] reserved
 *   5:N character data
 */
export interface SolBmcPacket {
  readonly seq: number;
  readonly ackSeq: number;
  readonly accepted: number;
  readonly nack?: boolean;
  readonly transferUnavailable?: boolean;
  readonly deactivating?: boolean;
  readonly overrun?: boolean;
  readonly breakDetected?: boolean;
  readonly data?: Uint8Array;
}

export const SOL_HEADER = 4;

const Op = {
  nack: 0x40,
  ringWor: 0x20,
  generateBreak: 0x10,
  deassertCts: 0x08,
  deassertDcdDsr: 0x04,
  flushInbound: 0x02,
  flushOutbound: 0x01,
} as const;

const Status = {
  nack: 0x40,
  transferUnavailable: 0x20,
  deactivating: 0x10,
  overrun: 0x08,
  breakDetected: 0x04,
} as const;

/** Decodes a console's SOL payload; reserved bits are ignored. Short input throws DecodeError. */
export function decodeSolConsolePacket(payload: Uint8Array): SolConsolePacket {
  const r = new Reader(payload);
  const seq = r.u8() & 0x0f;
  const ackSeq = r.u8() & 0x0f;
  const accepted = r.u8();
  const op = r.u8();
  const data = r.rest();
  return {
    seq,
    ackSeq,
    accepted,
    nack: (op & Op.nack) !== 0,
    ringWor: (op & Op.ringWor) !== 0,
    generateBreak: (op & Op.generateBreak) !== 0,
    deassertCts: (op & Op.deassertCts) !== 0,
    deassertDcdDsr: (op & Op.deassertDcdDsr) !== 0,
    flushInbound: (op & Op.flushInbound) !== 0,
    flushOutbound: (op & Op.flushOutbound) !== 0,
    data,
  };
}

export function encodeSolBmcPacket(p: SolBmcPacket): Uint8Array {
  const data = p.data ?? new Uint8Array(0);
  const out = new Uint8Array(SOL_HEADER + data.length);
  out[0] = p.seq & 0x0f;
  out[1] = p.ackSeq & 0x0f;
  out[2] = p.accepted & 0xff;
  out[3] =
    (p.nack ? Status.nack : 0) |
    (p.transferUnavailable ? Status.transferUnavailable : 0) |
    (p.deactivating ? Status.deactivating : 0) |
    (p.overrun ? Status.overrun : 0) |
    (p.breakDetected ? Status.breakDetected : 0);
  out.set(data, SOL_HEADER);
  return out;
}

// ---- the SOL payload of one endpoint ----------------------------------------------

/**
 * Largest SOL payload either way: the 4-byte header and 251 characters. The
 * accepted character count is one byte, so a packet never carries more than
 * 255 characters (FreeIPMI checks 5..259); 255 keeps an encrypted datagram
 * (IV, padding, MAC) well under the endpoint's datagram limit.
 */
export const SOL_MAX_PAYLOAD = 255;
const MAX_CHARS = SOL_MAX_PAYLOAD - SOL_HEADER;
/** Instances per host: one serial port. */
const CAPACITY = 1;
/**
 * Console data packets remembered to recognise a retransmission: half the
 * sequence space. Consoles send one data packet at a time and number them
 * 1, 2, ... 15, 1 (stop and wait), so a number seen among the last seven is a
 * repeat whose ACK was lost, however late the network delivers it.
 */
const RECENT_IN = 7;

export interface SolCounters {
  packetsIn: number;
  packetsOut: number;
  retries: number;
  /** Host→console packets given up after the last retry. */
  dropped: number;
  /** Console packets ignored: no instance, wrong session, in clear when encrypted, malformed. */
  ignored: number;
  /** Console packets repeated (our ACK was lost) and only acknowledged again. */
  duplicates: number;
}

interface Pending {
  seq: number;
  /** Console offset of data[0]. */
  offset: number;
  data: Uint8Array;
  overrun: boolean;
  tries: number;
}

/** A console data packet taken, and how many characters it was acknowledged with. */
interface Taken {
  readonly seq: number;
  readonly accepted: number;
}

/** One activated SOL instance: its session, its position in the host's console, its timers. */
class SolInstance {
  readonly session: Session;
  /**
   * Payloads of this instance are encrypted both ways. Set at activation;
   * Suspend/Resume Payload Encryption (24.3) clears and sets it.
   */
  encrypted: boolean;
  /** Console offset of the next byte to send (start of the pending packet, if any). */
  offset: number;
  nextSeq = 1;
  pending: Pending | undefined;
  retryTimer: TimerHandle | undefined;
  accumulateTimer: TimerHandle | undefined;
  /** The last console data packets taken, newest last (RECENT_IN of them). */
  readonly recent: Taken[] = [];
  /** Modem lines as the console's last data packet set them (15.9 operation bits). */
  ctsDeasserted = false;
  dcdDsrDeasserted = false;
  ringWor = false;
  unsubscribe: () => void;

  constructor(session: Session, encrypted: boolean, offset: number, unsubscribe: () => void) {
    this.session = session;
    this.encrypted = encrypted;
    this.offset = offset;
    this.unsubscribe = unsubscribe;
  }

  takeSeq(): number {
    const s = this.nextSeq;
    this.nextSeq = s >= 15 ? 1 : s + 1;
    return s;
  }

  taken(seq: number): Taken | undefined {
    return this.recent.find((t) => t.seq === seq);
  }

  remember(t: Taken): void {
    this.recent.push(t);
    if (this.recent.length > RECENT_IN) this.recent.shift();
  }

  stop(): void {
    this.retryTimer?.cancel();
    this.accumulateTimer?.cancel();
    this.retryTimer = undefined;
    this.accumulateTimer = undefined;
    this.unsubscribe();
  }
}

export interface SolPayloadOptions {
  bmc: Bmc;
  host: Host;
  clock: Clock;
  log: Logger;
}

/**
 * The SOL payload handler of one LAN endpoint (one host). At most one
 * instance (instance 1) is active at a time, across all sessions. A second
 * Activate Payload from another session is refused ("already active on
 * another session") unless the configuration allows takeover (the SOL
 * setting `takeover`, and a caller allowed to end the other session's
 * instance): then the holder is told "SOL deactivating" and loses the
 * instance to the caller.
 */
export class SolPayload implements PayloadHandler, PayloadInstances {
  readonly type = PayloadType.Sol;
  readonly capacity = CAPACITY;
  readonly inboundSize = SOL_MAX_PAYLOAD;
  readonly outboundSize = SOL_MAX_PAYLOAD;
  readonly counters: SolCounters = { packetsIn: 0, packetsOut: 0, retries: 0, dropped: 0, ignored: 0, duplicates: 0 };
  readonly #bmc: Bmc;
  readonly #host: Host;
  readonly #clock: Clock;
  readonly #log: Logger;
  #transport: PayloadTransport | undefined;
  #instance: SolInstance | undefined;

  constructor(opts: SolPayloadOptions) {
    this.#bmc = opts.bmc;
    this.#host = opts.host;
    this.#clock = opts.clock;
    this.#log = opts.log;
  }

  get instances(): PayloadInstances {
    return this;
  }

  attach(transport: PayloadTransport): void {
    this.#transport = transport;
  }

  /** The active instance's state, for tests and diagnostics. */
  state(): { sessionId: number; encrypted: boolean; ctsDeasserted: boolean; dcdDsrDeasserted: boolean; ringWor: boolean } | undefined {
    const i = this.#instance;
    return i && { sessionId: i.session.id, encrypted: i.encrypted, ctsDeasserted: i.ctsDeasserted, dcdDsrDeasserted: i.dcdDsrDeasserted, ringWor: i.ringWor };
  }

  // ---- PayloadInstances (Activate / Deactivate / status commands) ----

  active(): readonly PayloadInstanceInfo[] {
    const i = this.#instance;
    return i ? [{ instance: 1, sessionId: i.session.id }] : [];
  }

  activate(caller: SessionPort, instance: number, how: PayloadActivation): PayloadRefusal | undefined {
    if (instance < 1 || instance > CAPACITY) return 'limit';
    const session = this.#transport?.sessions.get(caller.id);
    if (!session || !session.active || session.protocol !== 1) return 'limit';
    const canEncrypt = (session.confidentiality?.blockSize ?? 0) > 0;
    const canAuthenticate = (session.integrity?.macLength ?? 0) > 0;
    const held = this.#instance;
    // the holder itself asking again is refused even where takeover is allowed
    if (held && (held.session === session || !how.takeover)) return 'active-elsewhere';
    if (how.encrypt && !canEncrypt) return 'encryption-unavailable';
    if (how.forceEncryption && !canEncrypt) return 'encryption-required';
    if ((how.authenticate || how.forceAuthentication) && !canAuthenticate) return 'authentication-unavailable';
    if (held) {
      this.#end(held, true);
      if (this.#log.enabled('debug')) this.#log.debug('SOL taken over', { from: held.session.handle, to: session.handle });
    }
    // Encrypted when the suite can and the console asked or the configuration forces it.
    const encrypted = canEncrypt && (how.encrypt || how.forceEncryption);
    const console = this.#host.console;
    const inst = new SolInstance(session, encrypted, console.end, () => undefined);
    inst.unsubscribe = console.subscribe(() => this.#pump(inst));
    this.#instance = inst;
    if (this.#log.enabled('debug')) this.#log.debug('SOL activated', { session: session.handle, encrypted });
    return undefined;
  }

  deactivate(instance: number, by: SessionPort): boolean {
    const inst = this.#instance;
    if (!inst || instance !== 1) return false;
    this.#end(inst, by.id !== inst.session.id);
    return true;
  }

  /**
   * Suspend/Resume Payload Encryption (24.3). Suspended, the instance's
   * packets go out in clear and the console's are taken in clear or
   * encrypted (those in flight when it switched); resumed, clear packets are
   * ignored again. Every IV comes fresh from the CSPRNG, so regenerating
   * only discards the random bytes drawn ahead.
   */
  setEncryption(instance: number, op: PayloadEncryptionOp, how: { forceEncryption: boolean }): PayloadEncryptionRefusal | undefined {
    const inst = this.#instance;
    if (!inst || instance !== 1) return 'not-active';
    if ((inst.session.confidentiality?.blockSize ?? 0) === 0) return 'encryption-unavailable';
    switch (op) {
      case 'suspend':
        if (how.forceEncryption) return 'encryption-forced';
        inst.encrypted = false;
        break;
      case 'resume':
        inst.encrypted = true;
        break;
      case 'regenerate-iv':
        this.#transport?.regenerateIv?.();
        break;
    }
    if (this.#log.enabled('debug')) this.#log.debug('SOL encryption', { session: inst.session.handle, op, encrypted: inst.encrypted });
    return undefined;
  }

  // ---- PayloadHandler -----------------------------------------------------

  sessionClosed(session: Session): void {
    const inst = this.#instance;
    if (inst && inst.session === session) this.#end(inst, false);
  }

  /** Ends every instance (endpoint shutdown). */
  close(): void {
    const inst = this.#instance;
    if (inst) this.#end(inst, false);
  }

  /*
   * One console packet: its ACK/NACK of our pending packet first, then its
   * own characters and operation bits if it is a data packet (sequence
   * number not 0). An ACK-only packet carries nothing else: its operation
   * byte holds only the NACK bit, and any bytes after the header are not
   * characters.
   */
  handle(session: Session, payload: Uint8Array, _reply: PayloadReply, info: PayloadInfo): void {
    this.counters.packetsIn++;
    const inst = this.#instance;
    // Packets for an instance that is not active in this session are ignored (no ACK):
    // a console whose SOL was deactivated elsewhere sees its data go unacknowledged.
    if (!inst || inst.session !== session || (inst.encrypted && !info.encrypted)) {
      this.counters.ignored++;
      return;
    }
    let p: SolConsolePacket;
    try {
      p = decodeSolConsolePacket(payload);
    } catch (err) {
      if (!(err instanceof DecodeError)) throw err;
      this.counters.ignored++;
      return;
    }
    if (p.ackSeq !== 0) this.#acknowledged(inst, p);
    if (p.seq !== 0) this.#consoleData(inst, p);
    if (this.#instance === inst) this.#pump(inst);
  }

  // ---- console → host -------------------------------------------------------

  #consoleData(inst: SolInstance, p: SolConsolePacket): void {
    const seen = inst.taken(p.seq);
    if (seen) {
      // a repeat (our ACK was lost, or the network delivered a copy late):
      // acknowledge again with the same count; nothing is written or done twice
      this.counters.duplicates++;
      this.#send(inst, { seq: 0, ackSeq: p.seq, accepted: seen.accepted });
      return;
    }
    const link = this.#host.link.console;
    if (!link) {
      // No serial link to take the characters: NACK, transfer unavailable. Not
      // remembered, so the console's retry is taken once a link is there.
      this.#send(inst, { seq: 0, ackSeq: p.seq, accepted: 0, nack: true, transferUnavailable: true });
      return;
    }
    // Operation bits (table 15-2 byte 4), in the order a UART would see them.
    // Flush inbound: characters from the console go to the link at once, the
    // BMC holds none to flush. Flush outbound drops what awaits sending.
    if (p.flushOutbound) this.#flushOutbound(inst);
    inst.ctsDeasserted = p.deassertCts;
    inst.dcdDsrDeasserted = p.deassertDcdDsr;
    inst.ringWor = p.ringWor;
    if (p.generateBreak) link.sendBreak?.();
    // Acknowledged before the characters reach the link: a host that echoes
    // writes its answer at once, and sending that first would hold the ACK
    // (and so the console's next packet) behind a data packet; ipmitool also
    // takes the first SOL packet after its own as the answer to it.
    inst.remember({ seq: p.seq, accepted: p.data.length });
    this.#send(inst, { seq: 0, ackSeq: p.seq, accepted: p.data.length });
    if (p.data.length > 0) link.write(p.data);
  }

  // ---- host → console -------------------------------------------------------

  #acknowledged(inst: SolInstance, p: SolConsolePacket): void {
    const pend = inst.pending;
    if (!pend || p.ackSeq !== pend.seq) return;
    inst.retryTimer?.cancel();
    inst.retryTimer = undefined;
    inst.pending = undefined;
    if (p.nack) {
      // The console cannot take characters now: keep them and offer them again
      // after the retry interval (a NACK counts as a try).
      this.#armRetry(inst, pend);
      return;
    }
    const accepted = Math.min(p.accepted, pend.data.length);
    // Partial ACK: the rest goes out again under a new sequence number.
    inst.offset = pend.offset + accepted;
  }

  #flushOutbound(inst: SolInstance): void {
    inst.retryTimer?.cancel();
    inst.retryTimer = undefined;
    inst.accumulateTimer?.cancel();
    inst.accumulateTimer = undefined;
    inst.pending = undefined;
    inst.offset = this.#host.console.end;
  }

  /**
   * Sends what the host wrote, unless a packet awaits its ACK, the console
   * paused the host (CTS deasserted: the output waits in the console ring)
   * or the accumulate interval runs.
   */
  #pump(inst: SolInstance): void {
    if (this.#instance !== inst || inst.pending || inst.ctsDeasserted) return;
    const console = this.#host.console;
    const available = console.end - inst.offset;
    if (available <= 0) return;
    const sol = this.#bmc.sol;
    const threshold = Math.max(1, Math.min(sol.sendThreshold || 1, MAX_CHARS));
    if (available < threshold) {
      // accumulate interval in 5 ms units (0 is reserved; taken as 1)
      inst.accumulateTimer ??= this.#clock.setTimeout(() => {
        inst.accumulateTimer = undefined;
        this.#sendData(inst);
      }, Math.max(1, sol.accumulateInterval) * 5);
      return;
    }
    this.#sendData(inst);
  }

  #sendData(inst: SolInstance): void {
    if (this.#instance !== inst || inst.pending || inst.ctsDeasserted) return;
    inst.accumulateTimer?.cancel();
    inst.accumulateTimer = undefined;
    const chunk = this.#host.console.since(inst.offset);
    if (chunk.data.length === 0) return;
    const pend: Pending = {
      seq: inst.takeSeq(),
      offset: chunk.offset,
      data: chunk.data.slice(0, MAX_CHARS),
      overrun: chunk.lost > 0,
      tries: 0,
    };
    inst.offset = chunk.offset;
    this.#transmit(inst, pend);
  }

  #transmit(inst: SolInstance, pend: Pending): void {
    inst.pending = pend;
    this.#send(inst, { seq: pend.seq, ackSeq: 0, accepted: 0, overrun: pend.overrun, data: pend.data });
    this.#armRetry(inst, pend);
  }

  #armRetry(inst: SolInstance, pend: Pending): void {
    inst.pending = pend;
    inst.retryTimer?.cancel();
    // retry interval in 10 ms units (0 = retries back to back; taken as 10 ms)
    inst.retryTimer = this.#clock.setTimeout(() => {
      inst.retryTimer = undefined;
      if (this.#instance !== inst || inst.pending !== pend) return;
      if (pend.tries >= (this.#bmc.sol.retryCount & 0x07)) {
        // retries used up: the packet is dropped (15.10) and sending moves on
        this.counters.dropped++;
        inst.pending = undefined;
        inst.offset = pend.offset + pend.data.length;
        this.#pump(inst);
        return;
      }
      pend.tries++;
      this.counters.retries++;
      this.#transmit(inst, pend);
    }, Math.max(1, this.#bmc.sol.retryInterval) * 10);
  }

  // ---- common -------------------------------------------------------------------

  #send(inst: SolInstance, p: SolBmcPacket): void {
    this.counters.packetsOut++;
    this.#transport?.send(inst.session, encodeSolBmcPacket(p), { encrypted: inst.encrypted });
  }

  /** Ends an instance; a console that lost it to another session is told (status "SOL deactivating"). */
  #end(inst: SolInstance, tell: boolean): void {
    if (this.#instance !== inst) return;
    inst.stop();
    this.#instance = undefined;
    if (tell && inst.session.active) this.#send(inst, { seq: 0, ackSeq: 0, accepted: 0, deactivating: true });
    if (this.#log.enabled('debug')) this.#log.debug('SOL deactivated', { session: inst.session.handle });
  }
}
