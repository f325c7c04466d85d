// tsbmc's own RMCP+ load generator (IPMI v2.0 section 13): runs in its own
// process so that it does not share the BMC's thread, speaks to one BMC on
// loopback and prints one JSON object on stdout.
//
//   throughput: one session (suite 17 or 3), a window of N outstanding
//     requests alternating Get Device ID (App 01h) and Get Chassis Status
//     (Chassis 01h) for a fixed time; commands/s and latency percentiles.
//   churn: W workers, each one socket, repeating open session (Open Session,
//     RAKP 1-4), Get Device ID, Close Session, until N sessions are done.
//
// Sequence numbers: the session sequence number advances by one per packet
// and packets go out in order, so each is one above the highest the BMC has
// seen (inside any sliding window, 6.12.13). The 6-bit IPMI rqSeq (13.8)
// names the outstanding request, so the window is capped at 32 (half of 64,
// leaving room for late answers to timed-out requests to be recognised).
//
// usage: node dist/bench/loadgen.js --port P [--host 127.0.0.1] [--suite 17]
//          [--user admin] [--password PW] [--mode throughput|churn]
//          [--window 16] [--mix mixed|device-id] [--warmup-ms 1000] [--duration-ms 5000]
//          [--sessions 10000] [--parallel 4] [--src-port-base 0]
//          [--timeout-ms 1000] [--max-seconds 120]
import { createSocket, type Socket } from 'node:dgram';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { ClientSession, Handshake, PayloadType, setupPayload, SetupError } from './rmcp-client.js';
import { round, summarize } from './stats.js';

export interface LoadgenOptions {
  host: string;
  port: number;
  suite: number;
  user: string;
  password: string;
  mode: 'throughput' | 'churn';
  window: number;
  warmupMs: number;
  durationMs: number;
  sessions: number;
  parallel: number;
  timeoutMs: number;
  maxSeconds: number;
  /** Churn: first source port of the run, one new port per session (0 = ephemeral ports). */
  srcPortBase: number;
  /** Throughput: Get Device ID and Get Chassis Status alternating, or Get Device ID only. */
  mix: 'mixed' | 'device-id';
}

export const MAX_WINDOW = 32;

export function parseLoadgenArgs(argv: readonly string[]): LoadgenOptions {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      host: { type: 'string' },
      port: { type: 'string' },
      suite: { type: 'string' },
      user: { type: 'string' },
      password: { type: 'string' },
      mode: { type: 'string' },
      window: { type: 'string' },
      'warmup-ms': { type: 'string' },
      'duration-ms': { type: 'string' },
      sessions: { type: 'string' },
      parallel: { type: 'string' },
      'timeout-ms': { type: 'string' },
      'max-seconds': { type: 'string' },
      'src-port-base': { type: 'string' },
      mix: { type: 'string' },
    },
    strict: true,
  });
  const int = (name: string, v: string | undefined, def: number, min: number, max: number): number => {
    if (v === undefined) return def;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max) throw new RangeError(`--${name} must be an integer in [${min}, ${max}]`);
    return n;
  };
  const host = values.host ?? '127.0.0.1';
  if (!/^127\.\d+\.\d+\.\d+$/.test(host)) throw new RangeError('--host must be a 127.0.0.0/8 address (loopback only)');
  const mode = values.mode ?? 'throughput';
  if (mode !== 'throughput' && mode !== 'churn') throw new RangeError('--mode must be throughput or churn');
  if (values.port === undefined) throw new RangeError('--port is required');
  const mix = values.mix ?? 'mixed';
  if (mix !== 'mixed' && mix !== 'device-id') throw new RangeError('--mix must be mixed or device-id');
  return {
    host,
    port: int('port', values.port, 0, 1, 65535),
    suite: int('suite', values.suite, 17, 0, 255),
    user: values.user ?? 'admin',
    password: values.password ?? 'password',
    mode,
    window: int('window', values.window, 16, 1, MAX_WINDOW),
    warmupMs: int('warmup-ms', values['warmup-ms'], 1000, 0, 60_000),
    durationMs: int('duration-ms', values['duration-ms'], 5000, 100, 600_000),
    sessions: int('sessions', values.sessions, 10_000, 1, 10_000_000),
    parallel: int('parallel', values.parallel, 4, 1, 64),
    timeoutMs: int('timeout-ms', values['timeout-ms'], 1000, 10, 60_000),
    maxSeconds: int('max-seconds', values['max-seconds'], 120, 1, 3600),
    srcPortBase: int('src-port-base', values['src-port-base'], 0, 0, 65535),
    mix,
  };
}

/** One connected UDP socket with at most one waiter for the next matching datagram. */
class Link {
  readonly #sock: Socket;
  #waiter: ((d: Buffer) => boolean) | undefined;
  onMessage: ((d: Buffer) => void) | undefined;

  private constructor(sock: Socket) {
    this.#sock = sock;
    sock.on('message', (d) => {
      if (this.#waiter) {
        if (this.#waiter(d)) this.#waiter = undefined;
      } else this.onMessage?.(d);
    });
  }

  /** A socket connected to host:port, bound to 127.0.0.1:localPort when given (0 = any free port). */
  static open(host: string, port: number, localPort = 0): Promise<Link> {
    const sock = createSocket('udp4');
    return new Promise((resolve, reject) => {
      const fail = (err: Error): void => {
        sock.close();
        reject(err);
      };
      sock.once('error', fail);
      sock.bind(localPort, '127.0.0.1', () => {
        sock.connect(port, host, () => {
          sock.off('error', fail);
          sock.on('error', () => {});
          resolve(new Link(sock));
        });
      });
    });
  }

  send(d: Uint8Array): void {
    this.#sock.send(d);
  }

  /** Sends `d` and resolves with the first answer `pick` accepts, or undefined after timeoutMs. */
  exchange<T>(d: Uint8Array, pick: (answer: Buffer) => T | undefined, timeoutMs: number): Promise<T | undefined> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#waiter = undefined;
        resolve(undefined);
      }, timeoutMs);
      this.#waiter = (answer) => {
        const v = pick(answer);
        if (v === undefined) return false;
        clearTimeout(timer);
        resolve(v);
        return true;
      };
      this.send(d);
    });
  }

  close(): void {
    this.#sock.close();
  }
}

class TimeoutError extends Error {
  override readonly name = 'TimeoutError';
  constructor(readonly stage: string) {
    super(`no answer to ${stage}`);
  }
}

/** Open Session, RAKP 1-4 over `link`. */
async function establish(link: Link, o: LoadgenOptions): Promise<ClientSession> {
  const hs = new Handshake({ suite: o.suite, user: o.user, password: o.password });
  const step = async (out: Buffer, type: number, stage: string): Promise<Uint8Array> => {
    const p = await link.exchange(out, (d) => setupPayload(d, type), o.timeoutMs);
    if (!p) throw new TimeoutError(stage);
    return p;
  };
  const openRsp = await step(hs.open(), PayloadType.OpenSessionResponse, 'open');
  const rakp2 = await step(hs.onOpenResponse(openRsp), PayloadType.Rakp2, 'rakp1');
  const rakp4 = await step(hs.onRakp2(rakp2), PayloadType.Rakp4, 'rakp3');
  return hs.onRakp4(rakp4);
}

/** A request inside the session, waiting for its own answer. */
async function call(link: Link, s: ClientSession, pkt: Buffer, rqSeq: number, stage: string, timeoutMs: number): Promise<number> {
  const r = await link.exchange(pkt, (d) => {
    const rsp = s.response(d);
    return rsp && rsp.rqSeq === (rqSeq & 0x3f) ? rsp : undefined;
  }, timeoutMs);
  if (!r) throw new TimeoutError(stage);
  return r.cc;
}

const COMMANDS = [
  { name: 'Get Device ID', netFn: 0x06, cmd: 0x01 },
  { name: 'Get Chassis Status', netFn: 0x00, cmd: 0x01 },
] as const;

export interface ThroughputResult {
  mode: 'throughput';
  mix: 'mixed' | 'device-id';
  suite: number;
  window: number;
  durationMs: number;
  commands: number;
  commandsPerSec: number;
  latencyMs: { median: number; p95: number; p99: number; max: number };
  byCommand: Record<string, { commands: number; median: number; p99: number }>;
  nonZeroCc: number;
  timeouts: number;
  rejected: number;
  clientCpuPct: number;
}

async function throughput(o: LoadgenOptions): Promise<ThroughputResult> {
  const link = await Link.open(o.host, o.port);
  const s = await establish(link, o);
  const SLOTS = 64;
  const busy = new Uint8Array(SLOTS);
  const sentAt = new Float64Array(SLOTS);
  const kindOf = new Uint8Array(SLOTS);
  const lat: number[][] = COMMANDS.map(() => []);
  let nextRq = 0;
  let kind = 0;
  let inFlight = 0;
  let nonZeroCc = 0;
  let timeouts = 0;
  let rejected = 0;
  const t0 = performance.now();
  const measureFrom = t0 + o.warmupMs;
  const measureTo = measureFrom + o.durationMs;
  let cpuFrom: NodeJS.CpuUsage | undefined;
  let cpuSpent: NodeJS.CpuUsage | undefined;

  const sendOne = (): void => {
    while (busy[nextRq]) nextRq = (nextRq + 1) & 63;
    const rq = nextRq;
    nextRq = (nextRq + 1) & 63;
    const k = kind;
    const c = COMMANDS[k]!;
    kind = o.mix === 'mixed' ? (kind + 1) % COMMANDS.length : 0;
    busy[rq] = 1;
    kindOf[rq] = k;
    inFlight++;
    sentAt[rq] = performance.now();
    link.send(s.request(c.netFn, c.cmd, rq));
  };

  let finish: () => void = () => {};
  const done = new Promise<void>((resolve) => (finish = resolve));
  let draining = false;

  link.onMessage = (d) => {
    const now = performance.now();
    const r = s.response(d);
    if (!r) return void rejected++;
    const rq = r.rqSeq;
    if (!busy[rq] || COMMANDS[kindOf[rq]!]!.cmd !== r.cmd) return void rejected++;
    busy[rq] = 0;
    inFlight--;
    if (r.cc !== 0) nonZeroCc++;
    if (now >= measureFrom && now <= measureTo) lat[kindOf[rq]!]!.push(now - sentAt[rq]!);
    if (now < measureTo) sendOne();
    else if (!draining) draining = true;
    if (draining && inFlight === 0) finish();
  };

  const ticker = setInterval(() => {
    const now = performance.now();
    for (let rq = 0; rq < SLOTS; rq++) {
      if (busy[rq] && now - sentAt[rq]! > o.timeoutMs) {
        busy[rq] = 0;
        inFlight--;
        timeouts++;
        if (now < measureTo) sendOne();
      }
    }
    if (now >= measureTo) {
      draining = true;
      if (inFlight === 0 || now > measureTo + o.timeoutMs) finish();
    }
  }, 50);

  const cpuTimers = [
    setTimeout(() => (cpuFrom = process.cpuUsage()), o.warmupMs),
    setTimeout(() => (cpuSpent = process.cpuUsage(cpuFrom)), o.warmupMs + o.durationMs),
  ];
  for (let i = 0; i < o.window; i++) sendOne();
  await done;
  clearInterval(ticker);
  cpuTimers.forEach(clearTimeout);
  cpuSpent ??= process.cpuUsage(cpuFrom);
  link.onMessage = undefined;
  try {
    await call(link, s, s.closeRequest(nextRq), nextRq, 'close', o.timeoutMs);
  } catch {
    // The result stands without a Close Session answer.
  }
  s.zero();
  link.close();

  const all = lat.flat();
  const sAll = summarize(all);
  const byCommand: ThroughputResult['byCommand'] = {};
  COMMANDS.forEach((c, i) => {
    if (lat[i]!.length === 0) return;
    const sm = summarize(lat[i]!);
    byCommand[c.name] = { commands: sm.n, median: round(sm.median, 3), p99: round(sm.p99, 3) };
  });
  return {
    mode: 'throughput',
    mix: o.mix,
    suite: o.suite,
    window: o.window,
    durationMs: o.durationMs,
    commands: all.length,
    commandsPerSec: Math.round(all.length / (o.durationMs / 1000)),
    latencyMs: { median: round(sAll.median, 3), p95: round(sAll.p95, 3), p99: round(sAll.p99, 3), max: round(sAll.max, 3) },
    byCommand,
    nonZeroCc,
    timeouts,
    rejected,
    clientCpuPct: Math.round(((cpuSpent.user + cpuSpent.system) / 1000 / o.durationMs) * 100),
  };
}

export interface ChurnResult {
  mode: 'churn';
  suite: number;
  parallel: number;
  requested: number;
  completed: number;
  failed: Record<string, number>;
  elapsedMs: number;
  sessionsPerSec: number;
  sessionMs: { median: number; p99: number };
  clientCpuPct: number;
}

async function churn(o: LoadgenOptions, deadline: number): Promise<ChurnResult> {
  let started = 0;
  let completed = 0;
  const failed: Record<string, number> = {};
  const times: number[] = [];
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  // A new socket per session, as each ipmitool process has, on a source port
  // not used before in this run: pyghmi keys its sessions by the console's
  // address and port and never forgets one (Close Session is a no-op there),
  // so an ephemeral port the kernel hands out twice would land in a dead
  // session and time out.
  let srcPort = o.srcPortBase;
  const openLink = async (): Promise<Link> => {
    if (srcPort === 0) return Link.open(o.host, o.port);
    for (let tries = 0; ; tries++) {
      const p = srcPort++;
      if (srcPort > 65535) srcPort = 1024;
      try {
        return await Link.open(o.host, o.port, p);
      } catch (err) {
        if (tries > 1000 || (err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
      }
    }
  };
  const worker = async (): Promise<void> => {
    let rq = 0;
    while (started < o.sessions && performance.now() < deadline) {
      started++;
      const t = performance.now();
      const link = await openLink();
      try {
        const s = await establish(link, o);
        rq = (rq + 1) & 63;
        await call(link, s, s.request(0x06, 0x01, rq), rq, 'get-device-id', o.timeoutMs);
        rq = (rq + 1) & 63;
        await call(link, s, s.closeRequest(rq), rq, 'close', o.timeoutMs);
        s.zero();
        completed++;
        times.push(performance.now() - t);
      } catch (err) {
        const key = err instanceof TimeoutError ? `timeout:${err.stage}` : err instanceof SetupError ? `${err.stage}:0x${err.status.toString(16)}` : 'error';
        failed[key] = (failed[key] ?? 0) + 1;
        if (!(err instanceof TimeoutError) && !(err instanceof SetupError)) throw err;
      } finally {
        link.close();
      }
    }
  };
  await Promise.all(Array.from({ length: o.parallel }, () => worker()));
  const elapsedMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const sm = summarize(times);
  return {
    mode: 'churn',
    suite: o.suite,
    parallel: o.parallel,
    requested: o.sessions,
    completed,
    failed,
    elapsedMs: Math.round(elapsedMs),
    sessionsPerSec: Math.round(completed / (elapsedMs / 1000)),
    sessionMs: { median: round(sm.median, 3), p99: round(sm.p99, 3) },
    clientCpuPct: Math.round(((cpu.user + cpu.system) / 1000 / elapsedMs) * 100),
  };
}

async function main(): Promise<void> {
  let o: LoadgenOptions;
  try {
    o = parseLoadgenArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`loadgen: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(2);
  }
  const hardStop = setTimeout(() => {
    process.stderr.write(`loadgen: gave up after ${o.maxSeconds} s\n`);
    process.exit(3);
  }, o.maxSeconds * 1000);
  try {
    const result = o.mode === 'throughput' ? await throughput(o) : await churn(o, performance.now() + (o.maxSeconds - 2) * 1000);
    process.stdout.write(`${JSON.stringify(result)}\n`);
    clearTimeout(hardStop);
    process.exit(0);
  } catch (err) {
    process.stderr.write(`loadgen: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) void main();
