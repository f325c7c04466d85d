// tsbmc's HTTPS load generator for the Redfish benchmark: N keep-alive TLS
// connections, each sending one GET at a time (no pipelining) for a fixed
// time, in its own process so it does not share the BMC's thread. HTTP/1.1
// is written and parsed by hand (status line, Content-Length, body) to keep
// the client's own cost low: Node's http client would be the bottleneck.
// Prints one JSON object on stdout.
//
// usage: node dist/bench/redfish-load.js --port P [--host 127.0.0.1] --path /redfish/v1/Systems/system
//          [--token T | --basic user:password] [--connections 16] [--warmup-ms 1000] [--duration-ms 5000]
import { performance } from 'node:perf_hooks';
import { connect, type TLSSocket } from 'node:tls';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { round, summarize } from './stats.js';

export interface RedfishLoadOptions {
  host: string;
  port: number;
  path: string;
  token: string | undefined;
  basic: string | undefined;
  connections: number;
  warmupMs: number;
  durationMs: number;
}

export interface RedfishLoadResult {
  path: string;
  connections: number;
  durationMs: number;
  requests: number;
  requestsPerSecond: number;
  errors: number;
  statuses: Record<string, number>;
  bytesPerResponse: number;
  latencyMs: { median: number; p95: number; p99: number; max: number };
}

export function parseRedfishLoadArgs(argv: readonly string[]): RedfishLoadOptions {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      host: { type: 'string' },
      port: { type: 'string' },
      path: { type: 'string' },
      token: { type: 'string' },
      basic: { type: 'string' },
      connections: { type: 'string' },
      'warmup-ms': { type: 'string' },
      'duration-ms': { type: 'string' },
    },
  });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port <= 0 || port > 65535) throw new Error('--port is required');
  return {
    host: values.host ?? '127.0.0.1',
    port,
    path: values.path ?? '/redfish/v1/Systems/system',
    token: values.token,
    basic: values.basic,
    connections: Math.max(1, Number(values.connections ?? 16)),
    warmupMs: Number(values['warmup-ms'] ?? 1000),
    durationMs: Number(values['duration-ms'] ?? 5000),
  };
}

/** Parses one HTTP/1.1 response head; undefined until it is complete. */
export function parseHead(buf: Buffer): { status: number; headerBytes: number; contentLength: number } | undefined {
  const end = buf.indexOf('\r\n\r\n');
  if (end < 0) return undefined;
  const head = buf.toString('latin1', 0, end);
  const status = Number(head.slice(9, 12));
  const m = /\r\ncontent-length:\s*(\d+)/i.exec(head);
  // 304 and HEAD answers carry no body whatever they announce; chunked bodies are not expected
  if (!m) {
    if (status === 304 || status === 204) return { status, headerBytes: end + 4, contentLength: 0 };
    throw new Error(`response without Content-Length: ${head.split('\r\n')[0]}`);
  }
  return { status, headerBytes: end + 4, contentLength: Number(m[1]) };
}

class Connection {
  readonly #socket: TLSSocket;
  readonly #request: Buffer;
  #buf: Buffer = Buffer.alloc(0);
  #sentAt = 0;
  #resolve: ((r: { status: number; bytes: number }) => void) | undefined;
  #reject: ((e: Error) => void) | undefined;

  private constructor(socket: TLSSocket, request: Buffer) {
    this.#socket = socket;
    this.#request = request;
    socket.on('data', (d: Buffer) => this.#onData(d));
    socket.on('error', (e) => this.#reject?.(e));
    socket.on('close', () => this.#reject?.(new Error('connection closed')));
  }

  static open(o: RedfishLoadOptions): Promise<Connection> {
    const auth = o.token ? `X-Auth-Token: ${o.token}\r\n` : o.basic ? `Authorization: Basic ${Buffer.from(o.basic).toString('base64')}\r\n` : '';
    const request = Buffer.from(`GET ${o.path} HTTP/1.1\r\nHost: ${o.host}:${o.port}\r\nAccept: application/json\r\nConnection: keep-alive\r\n${auth}\r\n`, 'latin1');
    return new Promise((resolve, reject) => {
      const socket = connect({ host: o.host, port: o.port, rejectUnauthorized: false, servername: 'localhost' }, () => {
        socket.setNoDelay(true);
        resolve(new Connection(socket, request));
      });
      socket.once('error', reject);
    });
  }

  /** One GET; resolves with the status and the latency in ms. */
  get(): Promise<{ status: number; bytes: number; ms: number }> {
    return new Promise((resolve, reject) => {
      this.#sentAt = performance.now();
      this.#resolve = (r) => resolve({ ...r, ms: performance.now() - this.#sentAt });
      this.#reject = reject;
      this.#socket.write(this.#request);
    });
  }

  #onData(d: Buffer): void {
    this.#buf = this.#buf.length === 0 ? d : Buffer.concat([this.#buf, d]);
    let head;
    try {
      head = parseHead(this.#buf);
    } catch (e) {
      this.#reject?.(e as Error);
      return;
    }
    if (!head) return;
    const total = head.headerBytes + head.contentLength;
    if (this.#buf.length < total) return;
    this.#buf = this.#buf.subarray(total);
    const done = this.#resolve;
    this.#resolve = undefined;
    this.#reject = undefined;
    done?.({ status: head.status, bytes: head.contentLength });
  }

  close(): void {
    this.#socket.destroy();
  }
}

export async function runRedfishLoad(o: RedfishLoadOptions): Promise<RedfishLoadResult> {
  const conns = await Promise.all(Array.from({ length: o.connections }, () => Connection.open(o)));
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  let errors = 0;
  let bytes = 0;
  let measuring = false;
  const start = performance.now();
  const warmEnd = start + o.warmupMs;
  const end = warmEnd + o.durationMs;
  let measuredStart = warmEnd;
  const loop = async (c: Connection): Promise<void> => {
    for (;;) {
      const now = performance.now();
      if (now >= end) return;
      if (!measuring && now >= warmEnd) {
        measuring = true;
        measuredStart = now;
      }
      try {
        const r = await c.get();
        if (measuring) {
          latencies.push(r.ms);
          statuses[r.status] = (statuses[r.status] ?? 0) + 1;
          bytes += r.bytes;
          if (r.status !== 200) errors++;
        }
      } catch {
        errors++;
        return;
      }
    }
  };
  await Promise.all(conns.map(loop));
  const elapsed = performance.now() - measuredStart;
  for (const c of conns) c.close();
  const s = summarize(latencies);
  return {
    path: o.path,
    connections: o.connections,
    durationMs: Math.round(elapsed),
    requests: latencies.length,
    requestsPerSecond: Math.round((latencies.length / elapsed) * 1000),
    errors,
    statuses,
    bytesPerResponse: latencies.length ? Math.round(bytes / latencies.length) : 0,
    latencyMs: { median: round(s.median, 3), p95: round(s.p95, 3), p99: round(s.p99, 3), max: round(s.max, 3) },
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  runRedfishLoad(parseRedfishLoadArgs(process.argv.slice(2))).then(
    (r) => {
      process.stdout.write(`${JSON.stringify(r)}\n`);
      process.exit(0);
    },
    (e: unknown) => {
      process.stderr.write(`redfish-load: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exit(1);
    },
  );
}
