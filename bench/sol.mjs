// Serial over LAN (IPMI v2.0 section 15) side by side: tsbmc and OpenIPMI's
// ipmi_sim in one run, one BMC at a time, on 127.0.0.1 only, driven by the
// project's own RMCP+ console (dist/bench/rmcp-client.js: sessions, Activate
// and Deactivate Payload, SolClient for SOL packets with sequence numbers,
// ACKs and accepted character counts, stop and wait as ipmitool sends).
//
// The hosts: tsbmc's simulated server, powered on and booted to its login
// prompt (a tty line discipline echoes what is typed; a line holds 1024
// characters); ipmi_sim's fake host console ($PEERS/lib/sol-console.py on
// PORT+1/tcp, started by start-ipmi_sim.sh), which echoes every byte. Only
// digits and ^C are typed, so both echo the digits byte for byte.
//
// For each BMC and cipher suite (tsbmc 3 and 17, ipmi_sim 3; ipmi_sim has no 17):
//   1. session setup: Open Session .. RAKP 4 verified, N times
//   2. activation: from an established session (privilege raised), Activate
//      Payload until the first SOL data packet (one ^U) is acknowledged, N times
//   3. keystroke round trip: one digit typed, its echo received, one at a time
//      (tsbmc also with its default SOL settings, accumulate 60 ms, send
//      threshold 96; the other rows use send threshold 1 = send at once,
//      which is what ipmi_sim does; it has no accumulate timer)
//   4. echo throughput: K KB of digits (lines of 1000 and ^C) typed as fast as
//      the BMC's ACKs allow; the echo is checked byte for byte against what
//      was typed; retransmissions, partial ACKs, NACKs and repeats counted
//   5. host output (tsbmc only; the fake console cannot print on its own):
//      log in, then `dmesg` several times in one packet; output bytes/s
//   6. RSS of the BMC before and after; BMC CPU time during the echo run
// Prints a Markdown table, writes bench/results/sol-latest.json (and .md).
//
// usage: npm run build && npm run bench:sol [-- --only tsbmc,ipmi_sim] [--quick]
//          [--keys 500] [--kb 64] [--out FILE]
// env: TSBMC_PEERS_DIR (default ../shared/peers beside the project), BENCH_PORT_BASE (default 19800)
// Run it on a quiet machine; the whole run stops by itself after HARD_LIMIT_S.
import { execFile, spawn, spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { cpuMs, loadavg, machineInfo, rssKb, sleep } from './proc.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(ROOT, 'dist/src/cli/tsbmc.js');
const CLIENT = join(ROOT, 'dist/bench/rmcp-client.js');
const STATS = join(ROOT, 'dist/bench/stats.js');
const PEERS = process.env.TSBMC_PEERS_DIR ?? fileURLToPath(new URL('../../shared/peers', import.meta.url));
const COMMON_SH = join(PEERS, 'lib/common.sh');
const RESULTS = join(ROOT, 'bench/results');
const HOST = '127.0.0.1';
const TSBMC_PASSWORD = 'Bench-Passw0rd';
const PEER_PASSWORD = 'password';
/** The simulated host's console account (src/backends/sim/console.ts defaults). */
const CONSOLE_LOGIN = { user: 'root', password: 'tsbmc' };
const HARD_LIMIT_S = 180;

const { values: argv } = parseArgs({
  options: {
    only: { type: 'string' },
    quick: { type: 'boolean' },
    keys: { type: 'string' },
    kb: { type: 'string' },
    out: { type: 'string' },
  },
  strict: true,
});
const quick = argv.quick ?? false;
const CFG = {
  setups: quick ? 5 : 20,
  activations: quick ? 5 : 20,
  keys: Number(argv.keys ?? (quick ? 100 : 500)),
  keysDefaults: quick ? 30 : 100,
  echoKb: Number(argv.kb ?? (quick ? 16 : 64)),
  /** Timed echo and host-output runs (the median is reported), after one untimed warm-up echo of warmupKb. */
  runs: quick ? 1 : 3,
  warmupKb: 8,
  /** Characters per typed line before ^C (tsbmc's line holds 1024). */
  lineChars: 1000,
  /** `dmesg` commands per host-output packet (about 40 KB with the sim's boot log; the console ring is 64 KiB). */
  outputTarget: 40_000,
  /** Client: resend an unacknowledged SOL packet after this long (ipmitool waits about 1 s). */
  retryMs: 500,
  nackRetryMs: 5,
  maxRetries: 4,
  phaseTimeoutMs: 30_000,
};
for (const [k, max] of [['keys', 5000], ['echoKb', 1024]]) {
  if (!Number.isInteger(CFG[k]) || CFG[k] < 1 || CFG[k] > max) {
    console.error(`bench:sol: --${k === 'echoKb' ? 'kb' : k} must be a whole number 1..${max}`);
    process.exit(2);
  }
}
const OUT = argv.out ?? join(RESULTS, 'sol-latest.json');

const missing = [];
for (const f of [CLI, CLIENT, STATS]) if (!existsSync(f)) missing.push(`${f} (run \`npm run build\`)`);
if (!existsSync(COMMON_SH)) missing.push(`the peers at ${PEERS} (set TSBMC_PEERS_DIR)`);
if (spawnSync('sh', ['-c', 'command -v ipmitool']).status !== 0) missing.push('ipmitool (apt-get install ipmitool; the peers\' readiness probe uses it)');
const only = new Set((argv.only ?? 'tsbmc,ipmi_sim').split(',').filter(Boolean));
if (only.has('ipmi_sim') && spawnSync('sh', ['-c', 'command -v ipmi_sim']).status !== 0) missing.push('ipmi_sim (apt-get install openipmi)');
if (missing.length) {
  console.error(`bench:sol: missing ${missing.join('; ')}`);
  process.exit(2);
}
const { summarize, round } = await import(STATS);
const C = await import(CLIENT);
const { Handshake, PayloadType, PayloadCmd, SolAux, SolClient, setupPayload, encodePayloadRequest, decodeActivatePayloadResponse } = C;

// ---- processes we started (and only those) are stopped on any exit -------------------------

const children = new Set();
const peersUp = new Set();
function cleanup() {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const port of peersUp) spawnSync(join(PEERS, 'start-ipmi_sim.sh'), ['stop', String(port)], { stdio: 'ignore', timeout: 10_000 });
  peersUp.clear();
}
process.on('exit', cleanup);
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(130));
const hardStop = setTimeout(() => {
  console.error(`bench:sol: stopped after the ${HARD_LIMIT_S} s limit`);
  writeResults(true);
  process.exit(1);
}, HARD_LIMIT_S * 1000);

// ---- helpers ---------------------------------------------------------------------------------

const T0 = performance.now();
function log(msg) {
  process.stderr.write(`[bench:sol ${((performance.now() - T0) / 1000).toFixed(1).padStart(5)} s] ${msg}\n`);
}
function summ(sample, digits = 3) {
  const s = summarize(sample);
  return Object.fromEntries(Object.entries(s).map(([k, v]) => [k, k === 'n' ? v : Number.isFinite(v) ? round(v, digits) : null]));
}
function run(cmd, args, opts = {}) {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: opts.timeoutMs ?? 30_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}
/** A free UDP port at or above `from` with port+1 free on TCP (ipmi_sim's SOL console). */
function freePort(from) {
  for (let p = from; p < from + 200; p += 2) {
    const udp = spawnSync('ss', ['-Hlun', `sport = :${p}`], { encoding: 'utf8' }).stdout.trim();
    const tcp = spawnSync('ss', ['-Hltn', `sport = :${p + 1}`], { encoding: 'utf8' }).stdout.trim();
    if (udp === '' && tcp === '') return p;
  }
  throw new Error(`no free port near ${from}`);
}
async function waitReady(port, password, t0EpochMs) {
  const r = await run('bash', ['-c', '. "$1"; T0_MS=$2 wait_ready 127.0.0.1 "$3" admin "$4" 15000', '_', COMMON_SH, String(t0EpochMs), String(port), password], { timeoutMs: 20_000 });
  return { ok: r.code === 0, readyMs: Number(r.stdout.trim()) };
}

// ---- one console: a UDP socket, an RMCP+ session, IPMI requests and one SOL instance ---------

class TimeoutError extends Error {
  constructor(what) {
    super(`no answer: ${what}`);
    this.name = 'TimeoutError';
  }
}

class Console {
  #sock;
  #session;
  #rq = 0;
  /** rqSeq → resolve */
  #waiting = new Map();
  #setupWaiter;
  #sol;
  #solTimer;
  /** Called with the arrival time after every datagram of the session is handled. */
  #watchers = new Set();
  /** (bytes, now) for SOL characters received */
  onSolData = () => {};

  static open(port) {
    const sock = createSocket('udp4');
    return new Promise((resolve, reject) => {
      sock.once('error', reject);
      sock.bind(0, HOST, () => sock.connect(port, HOST, () => {
        sock.off('error', reject);
        sock.on('error', () => {});
        resolve(new Console(sock));
      }));
    });
  }

  constructor(sock) {
    this.#sock = sock;
    sock.on('message', (d) => this.#message(d));
  }

  get session() {
    return this.#session;
  }

  get sol() {
    return this.#sol;
  }

  #message(d) {
    const now = performance.now();
    if (!this.#session) {
      this.#setupWaiter?.(d);
      return;
    }
    const p = this.#session.open(d);
    if (!p) return;
    if (p.payloadType === PayloadType.Ipmi) {
      const rsp = this.#session.response(d);
      const w = rsp && this.#waiting.get(rsp.rqSeq);
      if (w) {
        this.#waiting.delete(rsp.rqSeq);
        w(rsp);
      }
    } else if (p.payloadType === PayloadType.Sol && this.#sol) {
      const r = this.#sol.receive(p.payload, now);
      for (const a of r.send) this.#sock.send(this.#session.payload(PayloadType.Sol, a));
      if (r.data.length > 0) this.onSolData(r.data, now);
      this.pump();
    }
    for (const w of this.#watchers) w(now);
  }

  watch(fn) {
    this.#watchers.add(fn);
    return () => this.#watchers.delete(fn);
  }

  /** Open Session, RAKP 1-4; resolves with the time it took (ms). */
  async handshake(suite, user, password, timeoutMs = 3000) {
    const hs = new Handshake({ suite, user, password });
    const step = (out, type, stage) =>
      new Promise((resolve, reject) => {
        const t = setTimeout(() => {
          this.#setupWaiter = undefined;
          reject(new TimeoutError(stage));
        }, timeoutMs);
        this.#setupWaiter = (d) => {
          const p = setupPayload(d, type);
          if (!p) return;
          clearTimeout(t);
          this.#setupWaiter = undefined;
          resolve(p);
        };
        this.#sock.send(out);
      });
    const t0 = performance.now();
    const open = await step(hs.open(), PayloadType.OpenSessionResponse, 'Open Session');
    const rakp2 = await step(hs.onOpenResponse(open), PayloadType.Rakp2, 'RAKP 1');
    const rakp4 = await step(hs.onRakp2(rakp2), PayloadType.Rakp4, 'RAKP 3');
    this.#session = hs.onRakp4(rakp4);
    return performance.now() - t0;
  }

  /** One IPMI request in the session; resolves with { cc, data }. */
  ipmi(netFn, cmd, data = new Uint8Array(0), timeoutMs = 3000) {
    const rq = (this.#rq = (this.#rq + 1) & 0x3f);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => {
        this.#waiting.delete(rq);
        reject(new TimeoutError(`NetFn ${netFn.toString(16)}h Cmd ${cmd.toString(16)}h`));
      }, timeoutMs);
      this.#waiting.set(rq, (rsp) => {
        clearTimeout(t);
        resolve({ cc: rsp.cc, data: rsp.data });
      });
      this.#sock.send(this.#session.request(netFn, cmd, rq, data));
    });
  }

  async raisePrivilege() {
    const r = await this.ipmi(0x06, 0x3b, Uint8Array.of(0x04));
    if (r.cc !== 0) throw new Error(`Set Session Privilege Level: cc ${r.cc.toString(16)}h`);
  }

  /** Activate Payload SOL instance 1 with ipmitool's auxiliary byte; resolves with the sizes. */
  async activate(firstSeq) {
    const aux = SolAux.encrypt | SolAux.authenticate | SolAux.alertsDeferred | SolAux.ctsAfterFirstPacket;
    const r = await this.ipmi(0x06, PayloadCmd.ActivatePayload, encodePayloadRequest({ payloadType: PayloadType.Sol, instance: 1, aux }));
    if (r.cc !== 0) throw new Error(`Activate Payload: cc ${r.cc.toString(16)}h`);
    const info = decodeActivatePayloadResponse(r.data);
    this.#sol = new SolClient({
      maxChars: Math.min(255, info.inboundSize - 4),
      retryMs: CFG.retryMs,
      nackRetryMs: CFG.nackRetryMs,
      maxRetries: CFG.maxRetries,
      firstSeq,
    });
    return info;
  }

  async deactivate() {
    const r = await this.ipmi(0x06, PayloadCmd.DeactivatePayload, encodePayloadRequest({ payloadType: PayloadType.Sol, instance: 1 }));
    clearTimeout(this.#solTimer);
    const seq = this.#sol?.nextSeq;
    this.#sol = undefined;
    return { cc: r.cc, nextSeq: seq };
  }

  /** Types characters: queued in the SOL client, sent as ACKs allow. */
  type(bytes) {
    this.#sol.write(bytes);
    this.pump();
  }

  pump() {
    const sol = this.#sol;
    if (!sol) return;
    for (const p of sol.poll(performance.now())) this.#sock.send(this.#session.payload(PayloadType.Sol, p));
    clearTimeout(this.#solTimer);
    const at = sol.nextTimer();
    if (at !== undefined) this.#solTimer = setTimeout(() => this.pump(), Math.max(0, at - performance.now()));
  }

  async close() {
    clearTimeout(this.#solTimer);
    if (this.#session) {
      try {
        const rq = (this.#rq = (this.#rq + 1) & 0x3f);
        const done = new Promise((resolve) => {
          const t = setTimeout(resolve, 1000);
          this.#waiting.set(rq, () => {
            clearTimeout(t);
            resolve();
          });
        });
        this.#sock.send(this.#session.closeRequest(rq));
        await done;
      } catch {
        // the measurement stands without a Close Session answer
      }
      this.#session.zero();
    }
    this.#sock.close();
  }
}

/**
 * Resolves once `pred(now)` holds, checked at once, after every datagram the
 * console handles (with its arrival time) and every 5 ms; rejects after timeoutMs.
 */
function until(con, pred, what, timeoutMs = CFG.phaseTimeoutMs) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    let done = false;
    let timer;
    const check = (now) => {
      if (done) return;
      const ok = pred(now);
      if (!ok && now - t0 <= timeoutMs) return;
      done = true;
      clearTimeout(timer);
      unwatch();
      if (ok) resolve();
      else reject(new TimeoutError(what));
    };
    const unwatch = con.watch(check);
    const tick = () => {
      check(performance.now());
      if (!done) timer = setTimeout(tick, 5);
    };
    tick();
  });
}

/** Waits until no SOL characters arrived for quietMs (the console has nothing more to say). */
async function drain(con, quietMs = 150) {
  let last = performance.now();
  const prev = con.onSolData;
  con.onSolData = (d, now) => {
    last = now;
    prev(d, now);
  };
  await until(con, () => performance.now() - last >= quietMs && (con.sol?.unaccepted ?? 0) === 0, 'drain');
  con.onSolData = prev;
}

const DIGIT = (i) => 0x30 + (i % 10);
const CTRL_C = 0x03;
const CTRL_U = 0x15;
const isDigit = (b) => b >= 0x30 && b <= 0x39;

// ---- the measurements ------------------------------------------------------------------------

async function measureSetup(port, suite, password, n) {
  const times = [];
  for (let i = 0; i < n; i++) {
    const con = await Console.open(port);
    times.push(await con.handshake(suite, 'admin', password));
    await con.close();
  }
  return summ(times);
}

/** Activate Payload → answer, and → the first SOL data packet (one ^U) acknowledged, from an established session. */
async function measureActivation(port, suite, password, n, seqCursor) {
  const activate = [];
  const firstAck = [];
  const status = [];
  let sizes;
  for (let i = 0; i < n; i++) {
    const con = await Console.open(port);
    await con.handshake(suite, 'admin', password);
    await con.raisePrivilege();
    // for scale, right before: a small IPMI request in the same session, Get Payload Activation Status (24.4)
    const ts = performance.now();
    const st = await con.ipmi(0x06, 0x4a, Uint8Array.of(PayloadType.Sol));
    if (st.cc === 0) status.push(performance.now() - ts);
    const t0 = performance.now();
    sizes = await con.activate(seqCursor.next);
    const t1 = performance.now();
    let t2 = 0;
    con.type(Uint8Array.of(CTRL_U));
    await until(con, (now) => {
      if (con.sol.unaccepted === 0 && con.sol.counters.charsAccepted === 1) t2 = now;
      return t2 > 0;
    }, 'first SOL ACK', 5000);
    activate.push(t1 - t0);
    firstAck.push(t2 - t0);
    await drain(con, 50);
    seqCursor.next = (await con.deactivate()).nextSeq;
    await con.close();
  }
  return { activateMs: summ(activate), firstAckMs: summ(firstAck), statusMs: summ(status), inboundSize: sizes.inboundSize, outboundSize: sizes.outboundSize };
}

/** One digit at a time: typed → its echo received (and its ACK). Ends with ^C so the line is empty again. */
async function measureKeystrokes(con, n) {
  const echo = [];
  const ack = [];
  let echoed = 0;
  let sentAt = 0;
  let ackAt = 0;
  let echoAt = 0;
  const typed0 = con.sol.counters.charsAccepted;
  con.onSolData = (d, now) => {
    for (const b of d) if (isDigit(b)) {
      echoed++;
      echoAt = now;
    }
  };
  for (let i = 0; i < n; i++) {
    if (i > 0 && i % CFG.lineChars === 0) {
      con.type(Uint8Array.of(CTRL_C));
      await drain(con, 100);
    }
    const want = echoed + 1;
    sentAt = performance.now();
    ackAt = 0;
    con.type(Uint8Array.of(DIGIT(i)));
    await until(con, (now) => {
      if (!ackAt && con.sol.unaccepted === 0) ackAt = now;
      return echoed >= want && con.sol.unaccepted === 0;
    }, `echo of keystroke ${i}`, 5000);
    echo.push(echoAt - sentAt);
    ack.push(ackAt - sentAt);
  }
  con.onSolData = () => {};
  con.type(Uint8Array.of(CTRL_C));
  await drain(con);
  return { echoMs: summ(echo), ackMs: summ(ack), keys: n, accepted: con.sol.counters.charsAccepted - typed0 };
}

/** K KB of digits, lines of 1000 and ^C, typed as fast as ACKs allow; the echo checked byte for byte. */
async function measureEcho(con, kb, bmcPid) {
  const total = kb * 1024;
  const typed = [];
  const digits = [];
  for (let i = 0; i < total; i++) {
    if (i > 0 && i % CFG.lineChars === 0) typed.push(CTRL_C);
    typed.push(DIGIT(i));
    digits.push(DIGIT(i));
  }
  typed.push(CTRL_C);
  const got = [];
  let lastAt = 0;
  con.onSolData = (d, now) => {
    for (const b of d) if (isDigit(b)) got.push(b);
    lastAt = now;
  };
  const c0 = { ...con.sol.counters };
  const cpu0 = cpuMs(bmcPid);
  const ccpu0 = process.cpuUsage();
  const t0 = performance.now();
  con.type(Uint8Array.from(typed));
  let timedOut = false;
  try {
    await until(con, () => got.length >= total && con.sol.unaccepted === 0, `echo of ${kb} KB`);
  } catch (err) {
    if (!(err instanceof TimeoutError)) throw err;
    timedOut = true;
  }
  const lastDigitAt = lastAt;
  const ms = (timedOut ? performance.now() : lastDigitAt) - t0;
  const cpu1 = cpuMs(bmcPid);
  const ccpu = process.cpuUsage(ccpu0);
  await drain(con);
  con.onSolData = () => {};
  const c1 = con.sol.counters;
  const delta = (k) => c1[k] - c0[k];
  // exactly once, in order: the digits echoed are the digits typed
  let firstMismatch = -1;
  for (let i = 0; i < Math.max(got.length, digits.length); i++) {
    if (got[i] !== digits[i]) {
      firstMismatch = i;
      break;
    }
  }
  return {
    kb,
    typedBytes: typed.length,
    ms: round(ms, 1),
    kbPerSec: round(total / 1024 / (ms / 1000), 1),
    timedOut,
    echoedDigits: got.length,
    echoExact: firstMismatch === -1,
    firstMismatchAt: firstMismatch,
    dataPacketsOut: delta('dataPacketsOut'),
    dataPacketsIn: delta('dataPacketsIn'),
    acksOut: delta('acksOut'),
    retransmits: delta('retransmits'),
    partialAcks: delta('partialAcks'),
    nacks: delta('nacks'),
    duplicatesIn: delta('duplicatesIn'),
    staleAcks: delta('staleAcks'),
    overruns: delta('overruns'),
    gaveUp: delta('gaveUp'),
    bmcCpuMs: cpu0 !== null && cpu1 !== null ? round(cpu1 - cpu0, 0) : null,
    clientCpuMs: round((ccpu.user + ccpu.system) / 1000, 0),
  };
}

/** tsbmc's simulated host: log in on the console (over SOL). */
async function login(con) {
  let text = '';
  con.onSolData = (d) => (text += Buffer.from(d).toString('latin1'));
  con.type(Buffer.from('\r'));
  await until(con, () => /login: $/.test(text), 'login prompt', 5000);
  con.type(Buffer.from(`${CONSOLE_LOGIN.user}\r`));
  await until(con, () => /Password: $/.test(text), 'password prompt', 5000);
  con.type(Buffer.from(`${CONSOLE_LOGIN.password}\r`));
  await until(con, () => /# $/.test(text), 'shell prompt', 5000);
  con.onSolData = () => {};
  await drain(con);
}

/** The host prints: `dmesg` k times in one packet; bytes/s until the k-th prompt after them. */
async function measureHostOutput(con, bmcPid) {
  let text = '';
  con.onSolData = (d) => (text += Buffer.from(d).toString('latin1'));
  con.type(Buffer.from('dmesg\r'));
  await until(con, () => /# $/.test(text), 'one dmesg', 5000);
  await drain(con);
  const once = text.length;
  const prompt = text.slice(text.lastIndexOf('\n') + 1);
  const k = Math.max(1, Math.min(40, Math.floor(CFG.outputTarget / once)));
  let out = '';
  let prompts = 0;
  let lastAt = 0;
  con.onSolData = (d, now) => {
    out += Buffer.from(d).toString('latin1');
    lastAt = now;
    prompts = out.split(prompt).length - 1;
  };
  const c0 = { ...con.sol.counters };
  const cpu0 = cpuMs(bmcPid);
  const t0 = performance.now();
  con.type(Buffer.from('dmesg\r'.repeat(k)));
  await until(con, () => prompts >= k, `${k} x dmesg`);
  const ms = lastAt - t0;
  const cpu1 = cpuMs(bmcPid);
  await drain(con);
  con.onSolData = () => {};
  const c1 = con.sol.counters;
  const bytes = out.length;
  return {
    command: `dmesg x ${k} in one packet`,
    bytes,
    ms: round(ms, 1),
    kbPerSec: round(bytes / 1024 / (ms / 1000), 1),
    dataPacketsIn: c1.dataPacketsIn - c0.dataPacketsIn,
    bytesPerPacket: round(bytes / Math.max(1, c1.dataPacketsIn - c0.dataPacketsIn), 1),
    duplicatesIn: c1.duplicatesIn - c0.duplicatesIn,
    overruns: c1.overruns - c0.overruns,
    bmcCpuMs: cpu0 !== null && cpu1 !== null ? round(cpu1 - cpu0, 0) : null,
  };
}

/** Set SOL Configuration Parameters (26.2), parameter 3: accumulate interval (5 ms units), send threshold. */
async function setSolTiming(con, accumulate, threshold) {
  const r = await con.ipmi(0x0c, 0x21, Uint8Array.of(0x0e, 0x03, accumulate, threshold));
  if (r.cc !== 0) throw new Error(`Set SOL Configuration Parameters: cc ${r.cc.toString(16)}h`);
}

/** The run with the median rate. */
const medianRun = (runs) => [...runs].sort((a, b) => a.kbPerSec - b.kbPerSec)[Math.floor((runs.length - 1) / 2)];

/** One BMC, one suite: the SOL stages on a long-lived console. */
async function solStages(t, port, suite, pid, seqCursor, withDefaults) {
  const r = { suite };
  log(`${t.name} -C ${suite}: session setup x${CFG.setups}`);
  r.setupMs = await measureSetup(port, suite, t.password, CFG.setups);
  log(`${t.name} -C ${suite}: activation x${CFG.activations}`);
  r.activation = await measureActivation(port, suite, t.password, CFG.activations, seqCursor);
  const con = await Console.open(port);
  try {
    await con.handshake(suite, 'admin', t.password);
    await con.raisePrivilege();
    await con.activate(seqCursor.next);
    await drain(con);
    // warm-up, not reported: the first bytes through a fresh process (JIT, caches)
    await measureEcho(con, CFG.warmupKb, pid);
    if (withDefaults) {
      log(`${t.name} -C ${suite}: ${CFG.keysDefaults} keystrokes with the default SOL settings`);
      r.keystrokesDefaults = await measureKeystrokes(con, CFG.keysDefaults);
      log(`${t.name} -C ${suite}: echo of ${CFG.echoKb} KB with the default SOL settings`);
      r.echoDefaults = await measureEcho(con, CFG.echoKb, pid);
    }
    if (t.name === 'tsbmc') await setSolTiming(con, 12, 1);
    log(`${t.name} -C ${suite}: ${CFG.keys} keystrokes`);
    r.keystrokes = await measureKeystrokes(con, CFG.keys);
    log(`${t.name} -C ${suite}: echo of ${CFG.echoKb} KB x${CFG.runs}`);
    r.echoRuns = [];
    for (let i = 0; i < CFG.runs; i++) r.echoRuns.push(await measureEcho(con, CFG.echoKb, pid));
    r.echo = medianRun(r.echoRuns);
    r.echoAllExact = r.echoRuns.every((e) => e.echoExact && !e.timedOut);
    if (t.hostOutput) {
      log(`${t.name} -C ${suite}: host output x${CFG.runs}`);
      await login(con);
      r.hostOutputRuns = [];
      for (let i = 0; i < CFG.runs; i++) r.hostOutputRuns.push(await measureHostOutput(con, pid));
      r.hostOutput = medianRun(r.hostOutputRuns);
      con.type(Buffer.from('exit\r'));
      await drain(con);
    }
    if (t.name === 'tsbmc') await setSolTiming(con, 12, 96);
    r.clientCounters = { ...con.sol.counters };
    seqCursor.next = (await con.deactivate()).nextSeq;
  } finally {
    await con.close();
  }
  return r;
}

// ---- the BMCs ----------------------------------------------------------------------------------

async function startTsbmc(port) {
  const stateDir = mkdtempSync(join(tmpdir(), 'tsbmc-bench-sol-'));
  const t0 = Date.now();
  // as `npm start` runs it
  const proc = spawn(process.execPath, ['--max-semi-space-size=1', CLI, '--state-dir', stateDir, '--ipmi-port', String(port), '--no-http', '--https-port', String(port + 1), '--admin-password', TSBMC_PASSWORD, '--log-level', 'warn'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    cwd: ROOT,
  });
  children.add(proc);
  let err = '';
  proc.stderr.on('data', (d) => (err += d));
  proc.stdout.resume();
  const exited = new Promise((resolve) => proc.on('exit', resolve));
  const ready = await waitReady(port, TSBMC_PASSWORD, t0);
  if (!ready.ok) throw new Error(`tsbmc did not answer within ${ready.readyMs} ms: ${err}`);
  return {
    pid: proc.pid,
    readyMs: ready.readyMs,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      const t = setTimeout(() => proc.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(t);
      children.delete(proc);
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}

/** Powers the simulated host on and waits, watching its console over SOL, for the login prompt. */
async function bootTsbmcHost(port) {
  const con = await Console.open(port);
  try {
    await con.handshake(17, 'admin', TSBMC_PASSWORD);
    await con.raisePrivilege();
    await con.activate(1);
    let text = '';
    con.onSolData = (d) => (text += Buffer.from(d).toString('latin1'));
    const t0 = performance.now();
    const r = await con.ipmi(0x00, 0x02, Uint8Array.of(0x01)); // Chassis Control: power up
    if (r.cc !== 0) throw new Error(`Chassis Control: cc ${r.cc.toString(16)}h`);
    await until(con, () => /login: $/.test(text), 'the host\'s login prompt', 20_000);
    const bootMs = performance.now() - t0;
    await drain(con);
    await con.deactivate();
    return { bootMs: round(bootMs, 0), consoleBytes: text.length };
  } finally {
    await con.close();
  }
}

async function startIpmiSim(port) {
  const r = await run(join(PEERS, 'start-ipmi_sim.sh'), [String(port)], { timeoutMs: 30_000 });
  const kv = Object.fromEntries([...r.stdout.matchAll(/(\w+)=(\S+)/g)].map((m) => [m[1], m[2]]));
  if (r.code !== 0 || !kv.PID) throw new Error(`ipmi_sim did not start: ${r.stderr || r.stdout}`);
  peersUp.add(port);
  return {
    pid: Number(kv.PID),
    readyMs: Number(kv.READY_MS),
    solPort: Number(kv.SOL_PORT),
    async stop() {
      await run(join(PEERS, 'start-ipmi_sim.sh'), ['stop', String(port)], { timeoutMs: 15_000 });
      peersUp.delete(port);
    },
  };
}

const TARGETS = [
  { name: 'tsbmc', suites: [3, 17], password: TSBMC_PASSWORD, hostOutput: true, start: startTsbmc, prepare: bootTsbmcHost },
  { name: 'ipmi_sim', suites: [3], password: PEER_PASSWORD, hostOutput: false, start: startIpmiSim, prepare: async () => ({}) },
];

// ---- the run ---------------------------------------------------------------------------------

const results = {
  date: new Date().toISOString(),
  quick,
  config: CFG,
  machine: {
    ...machineInfo(),
    ipmiSim: spawnSync('sh', ['-c', "dpkg-query -W -f='${Version}' openipmi 2>/dev/null"], { encoding: 'utf8' }).stdout.trim() || 'unknown',
    loadavgAtStart: loadavg(),
  },
  targets: {},
};

function writeResults(partial = false) {
  mkdirSync(RESULTS, { recursive: true });
  results.partial = partial;
  results.elapsedS = round((performance.now() - T0) / 1000, 1);
  writeFileSync(OUT, `${JSON.stringify(results, null, 2)}\n`);
}

let portBase = Number(process.env.BENCH_PORT_BASE ?? 19800);
for (const t of TARGETS.filter((x) => only.has(x.name))) {
  const port = freePort(portBase);
  portBase = port + 20;
  log(`${t.name}: start (port ${port})`);
  const bmc = await t.start(port);
  const r = { port, readyMs: bmc.readyMs, rssAfterStartKb: rssKb(bmc.pid) };
  results.targets[t.name] = r;
  try {
    r.host = await t.prepare(port);
    await sleep(1000);
    r.rssBeforeKb = rssKb(bmc.pid);
    r.cpuBeforeMs = cpuMs(bmc.pid);
    // ipmi_sim keeps the last SOL sequence number it took across activations and
    // takes a packet repeating it for a repeat (acknowledged, characters
    // dropped), so the console's numbering continues across activations.
    const seqCursor = { next: 1 };
    r.suites = {};
    for (const suite of t.suites) {
      r.suites[suite] = await solStages(t, port, suite, bmc.pid, seqCursor, t.name === 'tsbmc' && suite === 3);
      writeResults(true);
    }
    r.rssAfterKb = rssKb(bmc.pid);
    r.cpuAfterMs = cpuMs(bmc.pid);
  } catch (err) {
    r.error = err instanceof Error ? err.message : String(err);
    log(`${t.name}: ${r.error}`);
  } finally {
    r.loadavgAfter = loadavg();
    await bmc.stop();
  }
  writeResults(true);
}
clearTimeout(hardStop);
writeResults(false);

// ---- report ----------------------------------------------------------------------------------

const cols = [];
for (const [name, r] of Object.entries(results.targets)) for (const suite of Object.keys(r.suites ?? {})) cols.push({ name, suite, r, s: r.suites[suite] });
const mb = (kb) => (kb == null ? '–' : (kb / 1024).toFixed(1));
const ms = (s) => (s ? `${s.median} / ${s.p99}` : 'n/a');
const echoCell = (e) => {
  if (!e) return 'n/a';
  return `**${e.kbPerSec}** KB/s (${e.ms} ms)${e.echoExact ? '' : `; ECHO WRONG from byte ${e.firstMismatchAt}`}${e.timedOut ? '; TIMED OUT' : ''}`;
};
const rows = [
  [`session setup, Open Session → RAKP 4 checked, median / p99 ms (${CFG.setups})`, (c) => ms(c.s.setupMs)],
  [`Activate Payload answered, median / p99 ms (${CFG.activations})`, (c) => ms(c.s.activation.activateMs)],
  [`Activate Payload → first SOL packet (1 char) acknowledged, median / p99 ms`, (c) => ms(c.s.activation.firstAckMs)],
  ['for scale: Get Payload Activation Status just before, same session, median / p99 ms', (c) => ms(c.s.activation.statusMs)],
  ['SOL payload sizes from Activate Payload, inbound / outbound bytes', (c) => `${c.s.activation.inboundSize} / ${c.s.activation.outboundSize}`],
  [`keystroke → echo, tsbmc's default SOL settings (accumulate 60 ms, threshold 96), median / p99 ms (${CFG.keysDefaults})`, (c) => (c.s.keystrokesDefaults ? ms(c.s.keystrokesDefaults.echoMs) : c.name === 'tsbmc' ? '(suite 3 only)' : 'n/a (sends at once, no such setting)')],
  [`keystroke → echo, sent at once (tsbmc: send threshold 1), median / p99 ms (${CFG.keys})`, (c) => ms(c.s.keystrokes.echoMs)],
  ['keystroke → its ACK, median / p99 ms', (c) => ms(c.s.keystrokes.ackMs)],
  [`echo of ${CFG.echoKb} KB typed (digits, ^C every ${CFG.lineChars}), checked byte for byte; median of ${CFG.runs} (all runs exact)`, (c) => `${echoCell(c.s.echo)} (${c.s.echoRuns.map((e) => e.kbPerSec).join(', ')}; ${c.s.echoAllExact ? 'exact' : 'NOT EXACT'})`],
  ['same, tsbmc default SOL settings', (c) => (c.s.echoDefaults ? echoCell(c.s.echoDefaults) : 'n/a')],
  ['echo: data packets out / in, chars per packet out', (c) => `${c.s.echo.dataPacketsOut} / ${c.s.echo.dataPacketsIn}, ${round(c.s.echo.typedBytes / Math.max(1, c.s.echo.dataPacketsOut), 1)}`],
  ['echo: retransmissions / partial ACKs / NACKs / repeated BMC packets / stale ACKs', (c) => { const e = c.s.echo; return `${e.retransmits} / ${e.partialAcks} / ${e.nacks} / ${e.duplicatesIn} / ${e.staleAcks}`; }],
  ['echo: BMC CPU ms per KB typed (client CPU ms total)', (c) => (c.s.echo.bmcCpuMs == null ? 'n/a' : `${round(c.s.echo.bmcCpuMs / c.s.echo.kb, 2)} (${c.s.echo.clientCpuMs})`)],
  [`host output to console (\`dmesg\` several times in one packet), KB/s, median of ${CFG.runs}; bytes per packet`, (c) => (c.s.hostOutput ? `**${c.s.hostOutput.kbPerSec}** KB/s (${c.s.hostOutput.bytes} B in ${c.s.hostOutput.ms} ms); ${c.s.hostOutput.bytesPerPacket}` : 'n/a (the fake console only echoes)')],
  ['RSS after start / before SOL / after all SOL stages, MB', (c) => `${mb(c.r.rssAfterStartKb)} / ${mb(c.r.rssBeforeKb)} / ${mb(c.r.rssAfterKb)}`],
];
const m = results.machine;
const lines = [
  `## Serial over LAN, ${results.date.slice(0, 10)}${quick ? ' (quick run)' : ''}`,
  '',
  `Machine: ${m.nproc} × ${m.cpuModel}, ${m.memTotalMb} MB, Linux ${m.kernel}; Node ${m.node}; openipmi ${m.ipmiSim}; load average at start ${m.loadavgAtStart.join(' ')}.`,
  '',
  `| | ${cols.map((c) => `${c.name} -C ${c.suite}`).join(' | ')} |`,
  `| --- |${cols.map(() => ' --- |').join('')}`,
  ...rows.map(([label, f]) => `| ${label} | ${cols.map((c) => {
    try {
      return f(c) ?? 'n/a';
    } catch {
      return 'n/a';
    }
  }).join(' | ')} |`),
  '',
];
for (const [name, r] of Object.entries(results.targets)) if (r.error) lines.push(`${name}: ERROR ${r.error}`, '');
console.log(lines.join('\n'));
writeFileSync(OUT.replace(/\.json$/, '') + '.md', `${lines.join('\n')}\n`);
log(`done in ${results.elapsedS} s; results in ${OUT}`);
