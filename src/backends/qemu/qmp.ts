// A small client for QEMU's Machine Protocol (QMP, docs/interop/qmp-spec in
// QEMU): JSON objects separated by CRLF over a stream socket. The server
// greets with {"QMP": {...}}; the client must send `qmp_capabilities` before
// any other command; each command carries an `id` that its {"return": ...}
// or {"error": {"class", "desc"}} echoes; asynchronous {"event": ...}
// messages may arrive at any time, also between a command and its answer.
// Everything is time-bounded; a lost connection fails every pending command.
import { connect, type Socket } from 'node:net';

/** Largest single QMP message accepted (QEMU's answers are far smaller). */
export const QMP_MAX_MESSAGE = 1024 * 1024;
export const QMP_DEFAULT_TIMEOUT_MS = 5000;

export interface QmpEvent {
  readonly event: string;
  readonly data: Readonly<Record<string, unknown>>;
  /** Seconds and microseconds since the epoch, as QEMU stamped the event. */
  readonly timestamp: { readonly seconds: number; readonly microseconds: number };
}

export type QmpErrorCode = 'command-failed' | 'timeout' | 'disconnected' | 'protocol' | 'closed';

/** A command QEMU refused (`class` from its error object) or that got no answer. */
export class QmpError extends Error {
  override readonly name = 'QmpError';
  constructor(
    readonly code: QmpErrorCode,
    message: string,
    /** QEMU's error class (GenericError, CommandNotFound, DeviceNotFound, ...) for command-failed. */
    readonly errorClass?: string,
  ) {
    super(message);
  }
}

interface Pending {
  readonly command: string;
  readonly resolve: (v: unknown) => void;
  readonly reject: (e: QmpError) => void;
  readonly timer: NodeJS.Timeout;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A decoded QMP message from the server. */
export type QmpMessage =
  | { kind: 'greeting'; version: unknown; capabilities: readonly unknown[] }
  | { kind: 'return'; id: unknown; value: unknown }
  | { kind: 'error'; id: unknown; errorClass: string; desc: string }
  | { kind: 'event'; event: QmpEvent };

/** Types one parsed JSON value as a QMP server message; undefined when it is none. */
export function decodeQmpMessage(v: unknown): QmpMessage | undefined {
  if (!isObject(v)) return undefined;
  if (isObject(v.QMP)) {
    const caps = v.QMP.capabilities;
    return { kind: 'greeting', version: v.QMP.version, capabilities: Array.isArray(caps) ? caps : [] };
  }
  if ('return' in v) return { kind: 'return', id: v.id, value: v.return };
  if (isObject(v.error)) {
    const cls = typeof v.error.class === 'string' ? v.error.class : 'GenericError';
    const desc = typeof v.error.desc === 'string' ? v.error.desc : '';
    return { kind: 'error', id: v.id, errorClass: cls, desc };
  }
  if (typeof v.event === 'string') {
    const ts = isObject(v.timestamp) ? v.timestamp : {};
    return {
      kind: 'event',
      event: {
        event: v.event,
        data: isObject(v.data) ? v.data : {},
        timestamp: {
          seconds: typeof ts.seconds === 'number' ? ts.seconds : 0,
          microseconds: typeof ts.microseconds === 'number' ? ts.microseconds : 0,
        },
      },
    };
  }
  return undefined;
}

/**
 * One QMP connection. Build it with `QmpClient.connect(path)` (QEMU listens:
 * `-qmp unix:PATH,server=on,wait=off`) or `QmpClient.open(socket)` on a
 * socket QEMU connected to (`-qmp unix:PATH` with the BMC listening); both
 * finish the greeting and capabilities negotiation before resolving.
 */
export class QmpClient {
  readonly #socket: Socket;
  readonly #pending = new Map<number, Pending>();
  readonly #eventListeners = new Set<(e: QmpEvent) => void>();
  readonly #closeListeners = new Set<(err: QmpError | undefined) => void>();
  #nextId = 1;
  #buffer = '';
  #closed = false;
  #greeting: ((m: Extract<QmpMessage, { kind: 'greeting' }>) => void) | undefined;
  /** The server's version object from the greeting. */
  version: unknown;
  /** Bad lines seen (not JSON, not a QMP message, unknown ids). */
  dropped = 0;

  private constructor(socket: Socket) {
    this.#socket = socket;
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => this.#data(chunk));
    socket.on('error', () => this.#teardown(new QmpError('disconnected', 'QMP connection error')));
    socket.on('close', () => this.#teardown(new QmpError('disconnected', 'QMP connection closed')));
  }

  /** Connects to a listening QMP socket (unix path) and negotiates. */
  static connect(path: string, opts: { timeoutMs?: number } = {}): Promise<QmpClient> {
    const timeoutMs = opts.timeoutMs ?? QMP_DEFAULT_TIMEOUT_MS;
    return new Promise((resolve, reject) => {
      const socket = connect(path);
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new QmpError('timeout', `no QMP connection to ${path} in ${timeoutMs} ms`));
      }, timeoutMs);
      socket.once('error', (err: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        reject(new QmpError('disconnected', `cannot connect to QMP at ${path}: ${err.code ?? err.message}`));
      });
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        QmpClient.open(socket, { timeoutMs }).then(resolve, reject);
      });
    });
  }

  /** Runs the greeting and `qmp_capabilities` on a connected socket. */
  static async open(socket: Socket, opts: { timeoutMs?: number } = {}): Promise<QmpClient> {
    const timeoutMs = opts.timeoutMs ?? QMP_DEFAULT_TIMEOUT_MS;
    const c = new QmpClient(socket);
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new QmpError('timeout', `no QMP greeting in ${timeoutMs} ms`)), timeoutMs);
        c.#closeListeners.add(function gone(err) {
          clearTimeout(timer);
          c.#closeListeners.delete(gone);
          reject(err ?? new QmpError('closed', 'closed before the greeting'));
        });
        c.#greeting = (m) => {
          clearTimeout(timer);
          c.version = m.version;
          resolve();
        };
      });
      c.#closeListeners.clear();
      await c.execute('qmp_capabilities', undefined, { timeoutMs });
    } catch (err) {
      c.close();
      throw err;
    }
    return c;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Sends a command and resolves with its `return` value; rejects with a QmpError. */
  execute(command: string, args?: Record<string, unknown>, opts: { timeoutMs?: number } = {}): Promise<unknown> {
    if (this.#closed) return Promise.reject(new QmpError('closed', `QMP is closed (${command})`));
    const id = this.#nextId++;
    const timeoutMs = opts.timeoutMs ?? QMP_DEFAULT_TIMEOUT_MS;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new QmpError('timeout', `QMP ${command}: no answer in ${timeoutMs} ms`));
      }, timeoutMs);
      this.#pending.set(id, { command, resolve, reject, timer });
      const msg = args === undefined ? { execute: command, id } : { execute: command, arguments: args, id };
      this.#socket.write(`${JSON.stringify(msg)}\r\n`);
    });
  }

  /** Subscribes to asynchronous events; returns an unsubscribe function. */
  onEvent(fn: (e: QmpEvent) => void): () => void {
    this.#eventListeners.add(fn);
    return () => this.#eventListeners.delete(fn);
  }

  /** Called once when the connection ends (with the reason unless close() ended it). */
  onClose(fn: (err: QmpError | undefined) => void): () => void {
    this.#closeListeners.add(fn);
    return () => this.#closeListeners.delete(fn);
  }

  close(): void {
    this.#teardown(undefined);
  }

  #data(chunk: string): void {
    this.#buffer += chunk;
    for (;;) {
      const nl = this.#buffer.indexOf('\n');
      if (nl < 0) break;
      const line = this.#buffer.slice(0, nl).trim();
      this.#buffer = this.#buffer.slice(nl + 1);
      if (line.length > 0) this.#line(line);
      if (this.#closed) return;
    }
    if (this.#buffer.length > QMP_MAX_MESSAGE) this.#teardown(new QmpError('protocol', `QMP message longer than ${QMP_MAX_MESSAGE} bytes`));
  }

  #line(line: string): void {
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch {
      this.dropped++;
      return;
    }
    const m = decodeQmpMessage(json);
    if (!m) {
      this.dropped++;
      return;
    }
    switch (m.kind) {
      case 'greeting': {
        const g = this.#greeting;
        this.#greeting = undefined;
        if (g) g(m);
        else this.dropped++;
        return;
      }
      case 'event':
        for (const fn of [...this.#eventListeners]) fn(m.event);
        return;
      case 'return':
      case 'error': {
        const p = typeof m.id === 'number' ? this.#pending.get(m.id) : undefined;
        if (!p) {
          this.dropped++;
          return;
        }
        this.#pending.delete(m.id as number);
        clearTimeout(p.timer);
        if (m.kind === 'return') p.resolve(m.value);
        else p.reject(new QmpError('command-failed', `QMP ${p.command}: ${m.errorClass}: ${m.desc}`, m.errorClass));
        return;
      }
    }
  }

  #teardown(err: QmpError | undefined): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#socket.destroy();
    for (const p of this.#pending.values()) {
      clearTimeout(p.timer);
      p.reject(err ?? new QmpError('closed', `QMP closed before ${p.command} was answered`));
    }
    this.#pending.clear();
    for (const fn of [...this.#closeListeners]) fn(err);
    this.#closeListeners.clear();
    this.#eventListeners.clear();
  }
}
