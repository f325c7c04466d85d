// Many BMCs on one machine: one tsbmc process running N BMCs (--bmcs N)
// beside N OpenIPMI ipmi_sim processes and N pyghmi fakebmc processes, each
// BMC on its own UDP port of 127.0.0.1.
//
// For each N (default 1, 10, 50, 100) and each implementation, with fresh
// state:
//   1. start time: from just before the first process is spawned until every
//      one of the N BMCs has answered Get Device ID (App 01h) in an RMCP+
//      session, probed by the project's own console (dist/bench/rmcp-client.js:
//      Open Session, RAKP 1-4 verified, one request; tsbmc with cipher suite 17,
//      the peers with 3, which is all they have); probes run 16 at a time and
//      retry every 50 ms until the BMC answers; the first BMC's time is kept too
//   2. memory: VmRSS (/proc/PID/status) 2 s after the last answer; for the
//      peers the sum over their N BMC processes (ipmi_sim's fake host console
//      helper, a Python process per instance, is reported apart: it is the
//      host, not the BMC); RSS per additional BMC = (RSS(N) - RSS(1)) / (N - 1)
//   3. idle CPU: the BMC processes' CPU time over the next 3 s, % of one core
//      (tsbmc's sensor scan of every host once a second, the peers' timers)
//   4. stop: SIGTERM to every BMC process (and the peers' helpers), time until all are gone
// The peers start through ../shared/peers/start-*.sh (8 at a time, each
// waiting for its own BMC to answer ipmitool), so their start time includes
// the scripts' per-instance preparation; the READY_MS each script measured
// for its own process is kept as well (median).
//
// usage: npm run build && npm run bench:fleet [-- --sizes 1,10,50,100]
//          [--only tsbmc,ipmi_sim,fakebmc] [--peer-max 100] [--quick] [--out FILE]
// env: TSBMC_PEERS_DIR (default ../shared/peers beside the project), BENCH_PORT_BASE (default 23000)
// The whole run stops by itself after HARD_LIMIT_S and stops every process it started.
import { execFile, spawn, spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { cpuMs as cpuMsOf, loadavg, machineInfo, rssKb as rssKbOf, sleep } from './proc.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(ROOT, 'dist/src/cli/tsbmc.js');
const CLIENT = join(ROOT, 'dist/bench/rmcp-client.js');
const PEERS = process.env.TSBMC_PEERS_DIR ?? fileURLToPath(new URL('../../shared/peers', import.meta.url));
const RESULTS = join(ROOT, 'bench/results');
const HOST = '127.0.0.1';
const TSBMC_PASSWORD = 'Bench-Passw0rd';
const PEER_PASSWORD = 'password';
const HARD_LIMIT_S = 240;
const PROBES_AT_ONCE = 16;
const PEER_STARTS_AT_ONCE = 8;

const { values: argv } = parseArgs({
  options: {
    sizes: { type: 'string' },
    only: { type: 'string' },
    'peer-max': { type: 'string' },
    quick: { type: 'boolean' },
    out: { type: 'string' },
  },
  strict: true,
});
const quick = argv.quick ?? false;
const SIZES = (argv.sizes ?? (quick ? '1,10' : '1,10,50,100')).split(',').map(Number);
if (SIZES.some((n) => !Number.isInteger(n) || n < 1 || n > 1000)) {
  console.error('bench:fleet: --sizes takes whole numbers from 1 to 1000');
  process.exit(2);
}
const PEER_MAX = Number(argv['peer-max'] ?? 100);
const only = new Set((argv.only ?? 'tsbmc,ipmi_sim,fakebmc').split(','));
const OUT = argv.out ?? join(RESULTS, 'fleet-latest.json');
const PORT_BASE = Number(process.env.BENCH_PORT_BASE ?? 23000);
const maxN = Math.max(...SIZES);
// tsbmc: IPMI base.., HTTPS base+1000.., HTTP base+2000..; ipmi_sim: base+3000 + 2i (SOL console +1); fakebmc: base+5000 + i
const PORTS = { ipmi: PORT_BASE, https: PORT_BASE + 1000, http: PORT_BASE + 2000, ipmiSim: PORT_BASE + 3000, fakebmc: PORT_BASE + 5000 };

const missing = [];
if (!existsSync(CLI) || !existsSync(CLIENT)) missing.push('the build (npm run build)');
if (only.has('ipmi_sim') && !existsSync(join(PEERS, 'start-ipmi_sim.sh'))) missing.push(`${PEERS}/start-ipmi_sim.sh`);
if (only.has('fakebmc') && !existsSync(join(PEERS, 'start-fakebmc.sh'))) missing.push(`${PEERS}/start-fakebmc.sh`);
if (missing.length) {
  console.error(`bench:fleet: missing ${missing.join('; ')}`);
  process.exit(2);
}
const { Handshake, PayloadType, setupPayload } = await import(CLIENT);

// ---- processes we started (and only those) are stopped on any exit -------------------------

const children = new Set();
/** [script, port, RUNDIR] of peers started and not yet stopped */
const peersUp = new Set();
function cleanup() {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const p of peersUp) spawnSync(join(PEERS, p.script), ['stop', String(p.port)], { stdio: 'ignore', timeout: 10_000, env: { ...process.env, RUNDIR: p.rundir } });
  peersUp.clear();
}
process.on('exit', cleanup);
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(130));
const hardStop = setTimeout(() => {
  console.error(`bench:fleet: stopped after the ${HARD_LIMIT_S} s limit`);
  writeResults(true);
  process.exit(1);
}, HARD_LIMIT_S * 1000);

// ---- helpers ---------------------------------------------------------------------------------

const T0 = performance.now();
function log(msg) {
  process.stderr.write(`[bench:fleet ${((performance.now() - T0) / 1000).toFixed(1).padStart(5)} s] ${msg}\n`);
}
function run(cmd, args, opts = {}) {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: opts.timeoutMs ?? 30_000, env: { ...process.env, ...opts.env } }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}
// a process that is gone counts as 0 in the sums below
const rssKb = (pid) => rssKbOf(pid) ?? 0;
const cpuMs = (pid) => cpuMsOf(pid) ?? 0;
const sum = (xs) => xs.reduce((a, b) => a + b, 0);
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? null : s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
function portsFree(udp, tcp) {
  const busy = (flags, p) => spawnSync('ss', [flags, `sport = :${p}`], { encoding: 'utf8' }).stdout.trim() !== '';
  return udp.every((p) => !busy('-Hlun', p)) && tcp.every((p) => !busy('-Hltn', p));
}
const range = (base, n, step = 1) => Array.from({ length: n }, (_, i) => base + i * step);

/** Runs `fn` over `items`, `limit` at a time. */
async function pool(items, limit, fn) {
  const out = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i], i);
      }
    }),
  );
  return out;
}

/**
 * One Get Device ID in a fresh RMCP+ session: resolves true when the BMC
 * answered it with completion code 00h, false on silence or refusal. The
 * step waiting for an answer is sent again every 250 ms (a console
 * retransmits; a BMC still starting may miss the first datagram), the whole
 * probe gives up after `timeoutMs`.
 */
function probeOnce(port, suite, password, timeoutMs = 3000) {
  return new Promise((resolve) => {
    const sock = createSocket('udp4');
    let done = false;
    let pending;
    const send = (make) => {
      pending = make;
      sock.send(make());
    };
    const finish = (ok) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      clearInterval(again);
      sock.close();
      resolve(ok);
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    const again = setInterval(() => pending && sock.send(pending()), 250);
    sock.on('error', () => finish(false));
    const hs = new Handshake({ suite, user: 'admin', password });
    let stage = PayloadType.OpenSessionResponse;
    let session;
    sock.on('message', (d) => {
      try {
        if (session) {
          const rsp = session.response(d);
          if (rsp && rsp.netFn === 0x07 && rsp.cmd === 0x01) finish(rsp.cc === 0);
          return;
        }
        const p = setupPayload(d, stage);
        if (!p) return;
        if (stage === PayloadType.OpenSessionResponse) {
          stage = PayloadType.Rakp2;
          const rakp1 = hs.onOpenResponse(p);
          send(() => rakp1);
        } else if (stage === PayloadType.Rakp2) {
          stage = PayloadType.Rakp4;
          const rakp3 = hs.onRakp2(p);
          send(() => rakp3);
        } else {
          session = hs.onRakp4(p);
          // a resent request takes the next session sequence number
          send(() => session.request(0x06, 0x01, 1));
        }
      } catch {
        finish(false);
      }
    });
    const open = hs.open();
    sock.bind(0, HOST, () => sock.connect(port, HOST, () => send(() => open)));
  });
}

/** UDP ports bound on 127.0.0.1 or any address (/proc/net/udp: one read for all). */
function boundUdpPorts() {
  const ports = new Set();
  for (const line of readFileSync('/proc/net/udp', 'utf8').split('\n').slice(1)) {
    const m = /^\s*\d+:\s+([0-9A-F]{8}):([0-9A-F]{4})/.exec(line);
    if (m && (m[1] === '0100007F' || m[1] === '00000000')) ports.add(parseInt(m[2], 16));
  }
  return ports;
}

/**
 * Probes every port until it answers; resolves with the time
 * (performance.now()) each first answered. As the peers' wait_ready does, a
 * port is probed once it is bound (polled every 20 ms; a datagram to an
 * unbound port is lost without a word); a probe then resends its step every
 * 250 ms for up to 3 s (a BMC whose event loop is busy starting others
 * answers late, not never).
 */
async function waitAllAnswer(ports, suite, password, deadlineMs) {
  return pool(ports, PROBES_AT_ONCE, async (port) => {
    while (!boundUdpPorts().has(port)) {
      if (performance.now() > deadlineMs) throw new Error(`port ${port} was never bound`);
      await sleep(20);
    }
    for (;;) {
      if (await probeOnce(port, suite, password)) return performance.now();
      if (performance.now() > deadlineMs) throw new Error(`port ${port} did not answer`);
      await sleep(50);
    }
  });
}

/** CPU of the processes over `ms`, % of one core. */
async function idleCpu(pids, ms = 3000) {
  const before = sum(pids.map(cpuMs));
  await sleep(ms);
  return Math.round(((sum(pids.map(cpuMs)) - before) / ms) * 1000) / 10;
}

// ---- the implementations ---------------------------------------------------------------------

async function fleetTsbmc(n) {
  const udp = range(PORTS.ipmi, n);
  const tcp = [...range(PORTS.https, n), ...range(PORTS.http, n)];
  if (!portsFree(udp, tcp)) throw new Error(`ports ${PORTS.ipmi}.. are in use (BENCH_PORT_BASE)`);
  const stateDir = mkdtempSync(join(tmpdir(), 'tsbmc-bench-fleet-'));
  const t0 = performance.now();
  // as `npm start` runs it
  const proc = spawn(
    process.execPath,
    ['--max-semi-space-size=1', CLI, '--state-dir', stateDir, '--bmcs', String(n), '--ipmi-port', String(PORTS.ipmi), '--https-port', String(PORTS.https), '--http-port', String(PORTS.http), '--admin-password', TSBMC_PASSWORD, '--log-level', 'warn'],
    { stdio: ['ignore', 'pipe', 'pipe'], cwd: ROOT },
  );
  children.add(proc);
  let err = '';
  proc.stderr.on('data', (d) => (err += d));
  let printedAt;
  proc.stdout.on('data', (d) => {
    if (printedAt === undefined && /^Try:/m.test(String(d))) printedAt = performance.now();
  });
  const exited = new Promise((resolve) => proc.on('exit', resolve));
  const answered = await waitAllAnswer(udp, 17, TSBMC_PASSWORD, t0 + 60_000).catch((e) => {
    throw new Error(`${e.message}: ${err}`);
  });
  return {
    pids: [proc.pid],
    firstMs: answered[0] - t0,
    allMs: Math.max(...answered) - t0,
    summaryMs: printedAt === undefined ? null : printedAt - t0,
    async stop() {
      const s = performance.now();
      proc.kill('SIGTERM');
      const t = setTimeout(() => proc.kill('SIGKILL'), 10_000);
      const code = await exited;
      clearTimeout(t);
      children.delete(proc);
      rmSync(stateDir, { recursive: true, force: true });
      return { stopMs: performance.now() - s, exitCode: code };
    },
  };
}

function peerFleet(name, script, portOf, pidFiles, helperPidFile) {
  return async (n) => {
    const ports = range(0, n).map(portOf);
    const tcp = name === 'ipmi_sim' ? ports.map((p) => p + 1) : [];
    if (!portsFree(ports, tcp)) throw new Error(`ports ${ports[0]}.. are in use (BENCH_PORT_BASE)`);
    const runRoot = mkdtempSync(join(tmpdir(), `tsbmc-bench-fleet-${name}-`));
    const started = [];
    // SIGTERM to every process the scripts started (their pid files), then wait
    // until all are gone: the stop scripts do the same one by one, polling
    const stopAll = async () => {
      const pids = started.flatMap((e) => pidFiles.flatMap((f) => {
        try {
          return [Number(readFileSync(join(e.rundir, f), 'utf8').trim())];
        } catch {
          return [];
        }
      })).filter((pid) => pid > 0);
      for (const pid of pids) {
        try {
          process.kill(pid, 'SIGTERM');
        } catch {
          // already gone
        }
      }
      const alive = (pid) => {
        try {
          process.kill(pid, 0);
          return readFileSync(`/proc/${pid}/stat`, 'utf8').split(' ')[2] !== 'Z';
        } catch {
          return false;
        }
      };
      for (let i = 0; i < 100 && pids.some(alive); i++) await sleep(20);
      for (const e of started) peersUp.delete(e);
      rmSync(runRoot, { recursive: true, force: true });
    };
    const t0 = performance.now();
    let results;
    let answered;
    try {
      // probes run beside the starts, so the first BMC is timed when it answers, not when the last script returns
      const probing = waitAllAnswer(ports, 3, PEER_PASSWORD, t0 + 60_000);
      probing.catch(() => {});
      results = await pool(ports, PEER_STARTS_AT_ONCE, async (port) => {
      const rundir = join(runRoot, String(port));
      const entry = { script, port, rundir };
      peersUp.add(entry);
      const r = await run(join(PEERS, script), [String(port)], { timeoutMs: 60_000, env: { RUNDIR: rundir } });
      const kv = Object.fromEntries([...r.stdout.matchAll(/(\w+)=(\S+)/g)].map((m) => [m[1], m[2]]));
      if (r.code !== 0 || !kv.PID) throw new Error(`${name} on ${port} did not start: ${r.stderr || r.stdout}`);
      started.push(entry);
      return { pid: Number(kv.PID), readyMs: Number(kv.READY_MS), rundir };
      });
      answered = await probing;
    } catch (err) {
      await stopAll();
      throw err;
    }
    const helperPids = helperPidFile ? results.map((r) => Number(readFileSync(join(r.rundir, helperPidFile), 'utf8').trim())) : [];
    return {
      pids: results.map((r) => r.pid),
      helperPids,
      firstMs: Math.min(...answered) - t0,
      allMs: Math.max(...answered) - t0,
      readyMsMedian: median(results.map((r) => r.readyMs)),
      async stop() {
        const s = performance.now();
        await stopAll();
        return { stopMs: performance.now() - s, exitCode: null };
      },
    };
  };
}

const TARGETS = [
  { name: 'tsbmc', start: fleetTsbmc, max: 1000 },
  { name: 'ipmi_sim', start: peerFleet('ipmi_sim', 'start-ipmi_sim.sh', (i) => PORTS.ipmiSim + 2 * i, ['ipmi_sim.pid', 'sol-console.pid'], 'sol-console.pid'), max: PEER_MAX },
  { name: 'fakebmc', start: peerFleet('fakebmc', 'start-fakebmc.sh', (i) => PORTS.fakebmc + i, ['fakebmc.pid'], undefined), max: PEER_MAX },
];

// ---- the run ---------------------------------------------------------------------------------

const results = {
  date: new Date().toISOString(),
  quick,
  sizes: SIZES,
  machine: {
    ...machineInfo(),
    ipmiSim: spawnSync('sh', ['-c', "dpkg-query -W -f='${Version}' openipmi 2>/dev/null"], { encoding: 'utf8' }).stdout.trim() || 'unknown',
    pyghmi: spawnSync('sh', ['-c', "dpkg-query -W -f='${Version}' python3-pyghmi 2>/dev/null"], { encoding: 'utf8' }).stdout.trim() || 'unknown',
    loadavgAtStart: loadavg(),
  },
  targets: {},
};

function writeResults(partial = false) {
  mkdirSync(RESULTS, { recursive: true });
  results.partial = partial;
  results.elapsedS = Math.round((performance.now() - T0) / 100) / 10;
  writeFileSync(OUT, `${JSON.stringify(results, null, 2)}\n`);
}

const r0 = (x) => (x === null || x === undefined ? null : Math.round(x));
for (const t of TARGETS.filter((x) => only.has(x.name))) {
  const rows = [];
  results.targets[t.name] = rows;
  for (const n of SIZES.filter((s) => s <= t.max)) {
    log(`${t.name}: ${n} BMC${n > 1 ? 's' : ''}`);
    let fleet;
    const row = { n };
    rows.push(row);
    try {
      fleet = await t.start(n);
      Object.assign(row, { firstAnswerMs: r0(fleet.firstMs), allAnswerMs: r0(fleet.allMs) });
      if (fleet.summaryMs !== undefined) row.summaryPrintedMs = r0(fleet.summaryMs);
      if (fleet.readyMsMedian !== undefined) row.scriptReadyMsMedian = fleet.readyMsMedian;
      await sleep(2000);
      row.rssKb = sum(fleet.pids.map(rssKb));
      if (fleet.helperPids?.length) row.hostConsoleHelpersRssKb = sum(fleet.helperPids.map(rssKb));
      row.processes = fleet.pids.length;
      row.idleCpuPct = await idleCpu(fleet.pids);
    } catch (err) {
      row.error = err instanceof Error ? err.message : String(err);
      log(`${t.name} ${n}: ${row.error}`);
    } finally {
      if (fleet) {
        const s = await fleet.stop();
        row.stopMs = r0(s.stopMs);
        if (s.exitCode !== null) row.exitCode = s.exitCode;
      }
      row.loadavgAfter = loadavg();
    }
    writeResults(true);
  }
  const one = rows.find((r) => r.n === 1 && r.rssKb);
  for (const r of rows) if (one && r.n > 1 && r.rssKb) r.rssPerAddedBmcKb = Math.round((r.rssKb - one.rssKb) / (r.n - 1));
}

clearTimeout(hardStop);
writeResults(false);

// the table
const lines = ['| BMCs | implementation | processes | all answer (ms) | first answers (ms) | RSS total (MB) | RSS per added BMC (KB) | idle CPU (% of a core) | stop (ms) |', '| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |'];
for (const n of SIZES) {
  for (const [name, rows] of Object.entries(results.targets)) {
    const r = rows.find((x) => x.n === n);
    if (!r) continue;
    if (r.error) {
      lines.push(`| ${n} | ${name} | | error: ${r.error.slice(0, 60)} | | | | | |`);
      continue;
    }
    lines.push(`| ${n} | ${name} | ${r.processes} | ${r.allAnswerMs} | ${r.firstAnswerMs} | ${(r.rssKb / 1024).toFixed(1)} | ${r.rssPerAddedBmcKb ?? ''} | ${r.idleCpuPct} | ${r.stopMs} |`);
  }
}
console.log(lines.join('\n'));
log(`wrote ${OUT}`);
process.exit(0);
