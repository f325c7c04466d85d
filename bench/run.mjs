// The benchmark suite: tsbmc, OpenIPMI ipmi_sim and pyghmi fakebmc measured
// side by side in one run, one BMC at a time, on 127.0.0.1 only.
//   1. start until the first answered `ipmitool -I lanplus -C 3 raw 0x06 0x01`
//      (the peers' wait_ready from $PEERS/lib/common.sh, reused as is)
//   2. one ipmitool process per call: chassis status, sdr list
//   3. in-session throughput with the project's load generator (dist/bench/loadgen.js)
//   4. RSS idle, after 10,000 sessions opened and closed, and 5 s later
//   5. the machine
// Prints a Markdown table and writes bench/results/latest.json.
//
// usage: npm run build && npm run bench [-- --only tsbmc,ipmi_sim,fakebmc] [--quick] [--profile]
//          [--tsbmc-node-args=--max-semi-space-size=1] [--out FILE]
//   --quick    fewer repetitions (a smoke run, ~1 minute)
//   --tsbmc-node-args  extra node options for tsbmc (e.g. V8 heap settings)
//   --out      results file (default bench/results/latest.json)
//   --profile  run the long-lived tsbmc under `node --cpu-prof` and print where its time goes
//              (the profiler costs throughput: compare numbers only from runs without it)
// env: TSBMC_PEERS_DIR (default ../shared/peers beside the project), BENCH_PORT_BASE (default 19600)
import { execFile, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { cpuMs, loadavg, machineInfo, rssKb, sleep } from './proc.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(ROOT, 'dist/src/cli/tsbmc.js');
const LOADGEN = join(ROOT, 'dist/bench/loadgen.js');
const STATS = join(ROOT, 'dist/bench/stats.js');
const PEERS = process.env.TSBMC_PEERS_DIR ?? fileURLToPath(new URL('../../shared/peers', import.meta.url));
const COMMON_SH = join(PEERS, 'lib/common.sh');
const RESULTS = join(ROOT, 'bench/results');
const HOST = '127.0.0.1';
const TSBMC_PASSWORD = 'Bench-Passw0rd';
const PEER_PASSWORD = 'password';
/**
 * Churn sessions use source ports from here up, one per session, below the
 * kernel's ephemeral range (32768-60999 by default): pyghmi never forgets a
 * console address and port, so later ipmitool calls must not reuse one.
 */
const SRC_PORT_BASE = 12000;
/** The whole run stops by itself after this long, whatever state it is in. */
const HARD_LIMIT_S = 330;

const { values: argv } = parseArgs({
  options: {
    only: { type: 'string' },
    quick: { type: 'boolean' },
    profile: { type: 'boolean' },
    'tsbmc-node-args': { type: 'string' },
    out: { type: 'string' },
  },
  strict: true,
});

for (const f of [CLI, LOADGEN, STATS]) {
  if (!existsSync(f)) {
    console.error(`missing ${f}: run \`npm run build\` first`);
    process.exit(2);
  }
}
const { summarize, median, round } = await import(STATS);
const { topFunctions } = await import('./cpuprofile-top.mjs');

const quick = argv.quick ?? false;
const TSBMC_NODE_ARGS = argv['tsbmc-node-args']?.split(' ').filter(Boolean) ?? ['--max-semi-space-size=1'];
const OUT = argv.out ?? join(RESULTS, 'latest.json');
const CFG = {
  startReps: quick ? 2 : 5,
  calls: quick ? 8 : 30,
  idleWaitMs: 3000,
  settleMs: 5000,
  churnSessions: quick ? 2000 : 10_000,
  churnParallel: 4,
  churnMaxS: 60,
  window: 16,
  warmupMs: 1000,
  durationMs: quick ? 2000 : 4000,
  throughputRuns: quick ? 1 : 3,
  extraDurationMs: quick ? 1000 : 3000,
};

// ---- processes we started (and only those) are stopped on any exit -------------------------

const children = new Set();
const peersUp = new Set();

function cleanup() {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const key of peersUp) {
    const [name, port] = key.split(':');
    spawnSync(peerScript(name), ['stop', port], { stdio: 'ignore', timeout: 10_000 });
  }
  peersUp.clear();
}
process.on('exit', cleanup);
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(130));
const hardStop = setTimeout(() => {
  console.error(`bench: stopped after the ${HARD_LIMIT_S} s limit`);
  writeResults(true);
  process.exit(1);
}, HARD_LIMIT_S * 1000);

// ---- helpers ---------------------------------------------------------------------------------


function run(cmd, args, opts = {}) {
  return new Promise((resolve) => {
    const t0 = performance.now();
    execFile(cmd, args, { timeout: opts.timeoutMs ?? 30_000, maxBuffer: 64 * 1024 * 1024, env: opts.env ?? process.env }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr), ms: performance.now() - t0 });
    });
  });
}

function udpPortFree(port) {
  const r = spawnSync('ss', ['-Hlun', `sport = :${port}`], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.trim() === '';
}

/** A free UDP port at or above `from` (and port+1 free on TCP for ipmi_sim's SOL console). */
function freePort(from) {
  for (let p = from; p < from + 200; p += 2) {
    const tcp = spawnSync('ss', ['-Hltn', `sport = :${p + 1}`], { encoding: 'utf8' });
    if (udpPortFree(p) && tcp.stdout.trim() === '') return p;
  }
  throw new Error(`no free port near ${from}`);
}





function log(msg) {
  process.stderr.write(`[bench ${((performance.now() - T0) / 1000).toFixed(1).padStart(5)} s] ${msg}\n`);
}

/** The peers' own readiness probe (lib/common.sh wait_ready), timed from t0 (epoch ms). */
async function waitReady(port, password, t0EpochMs) {
  const bindFile = join(tmpdir(), `tsbmc-bench-bind-${process.pid}-${port}`);
  const r = await run('bash', ['-c', '. "$1"; T0_MS=$2 BIND_MS_FILE=$3 wait_ready 127.0.0.1 "$4" admin "$5" 15000', '_', COMMON_SH, String(t0EpochMs), bindFile, String(port), password], { timeoutMs: 20_000 });
  let bindMs = null;
  try {
    bindMs = Number(readFileSync(bindFile, 'utf8').trim());
    rmSync(bindFile);
  } catch {}
  return { ok: r.code === 0, readyMs: Number(r.stdout.trim()), bindMs };
}

// ---- targets ---------------------------------------------------------------------------------

function peerScript(name) {
  return join(PEERS, name === 'ipmi_sim' ? 'start-ipmi_sim.sh' : 'start-fakebmc.sh');
}

/** Starts tsbmc with a fresh state directory; resolves once wait_ready saw an answer. */
async function startTsbmc(port, nodeArgs = []) {
  const stateDir = mkdtempSync(join(tmpdir(), 'tsbmc-bench-'));
  const t0 = Date.now();
  const proc = spawn(process.execPath, [...nodeArgs, CLI, '--state-dir', stateDir, '--ipmi-port', String(port), '--admin-password', TSBMC_PASSWORD, '--log-level', 'warn'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    cwd: ROOT,
  });
  children.add(proc);
  let err = '';
  proc.stderr.on('data', (d) => (err += d));
  proc.stdout.resume();
  const exited = new Promise((resolve) => proc.on('exit', resolve));
  const ready = await waitReady(port, TSBMC_PASSWORD, t0);
  if (!ready.ok) {
    proc.kill('SIGKILL');
    throw new Error(`tsbmc did not answer within ${ready.readyMs} ms: ${err}`);
  }
  return {
    pid: proc.pid,
    readyMs: ready.readyMs,
    bindMs: ready.bindMs,
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

async function startPeer(name, port) {
  const r = await run(peerScript(name), [String(port)], { timeoutMs: 30_000 });
  const kv = Object.fromEntries([...r.stdout.matchAll(/(\w+)=(\S+)/g)].map((m) => [m[1], m[2]]));
  if (r.code !== 0 || !kv.PID) throw new Error(`${name} did not start: ${r.stderr || r.stdout}`);
  peersUp.add(`${name}:${port}`);
  return {
    pid: Number(kv.PID),
    readyMs: Number(kv.READY_MS),
    bindMs: Number(kv.BIND_MS),
    async stop() {
      await run(peerScript(name), ['stop', String(port)], { timeoutMs: 15_000 });
      peersUp.delete(`${name}:${port}`);
    },
  };
}

const TARGETS = [
  { name: 'tsbmc', suites: [17, 3], sdr: true, password: TSBMC_PASSWORD, start: (port, o) => startTsbmc(port, [...TSBMC_NODE_ARGS, ...(o?.nodeArgs ?? [])]) },
  { name: 'ipmi_sim', suites: [3], sdr: true, password: PEER_PASSWORD, start: (port) => startPeer('ipmi_sim', port) },
  { name: 'fakebmc', suites: [3], sdr: false, password: PEER_PASSWORD, start: (port) => startPeer('fakebmc', port) },
];

function ipmitoolArgs(port, password, suite, cmd) {
  return ['-I', 'lanplus', '-C', String(suite), '-H', HOST, '-p', String(port), '-U', 'admin', '-P', password, '-N', '1', '-R', '2', ...cmd];
}

/** One ipmitool process per call, sequentially; wall time from spawn to exit. */
async function perCall(port, password, suite, cmd) {
  const warm = await run('ipmitool', ipmitoolArgs(port, password, suite, cmd));
  if (warm.code !== 0) return { error: (warm.stderr || warm.stdout).trim().split('\n')[0] };
  const times = [];
  let failures = 0;
  for (let i = 0; i < CFG.calls; i++) {
    const r = await run('ipmitool', ipmitoolArgs(port, password, suite, cmd));
    if (r.code !== 0) failures++;
    else times.push(r.ms);
  }
  const s = summarize(times);
  // One more call with ipmitool's -vv trace, to count the IPMI requests it sends (not timed).
  const trace = await run('ipmitool', ['-vv', ...ipmitoolArgs(port, password, suite, cmd)]);
  const ipmiRequests = (`${trace.stdout}\n${trace.stderr}`.match(/>> Sending IPMI command payload/g) ?? []).length;
  const outputLines = warm.stdout.trim().split('\n').length;
  return { calls: times.length, failures, ipmiRequests, outputLines, medianMs: round(s.median, 1), p95Ms: round(s.p95, 1), minMs: round(s.min, 1), maxMs: round(s.max, 1) };
}

async function loadgen(port, password, args, pid) {
  const cpu0 = cpuMs(pid);
  const t0 = performance.now();
  const r = await run(process.execPath, [LOADGEN, '--port', String(port), '--password', password, ...args], { timeoutMs: 150_000 });
  const wall = performance.now() - t0;
  const cpu1 = cpuMs(pid);
  if (r.code !== 0) return { error: r.stderr.trim() || `exit ${r.code}` };
  const out = JSON.parse(r.stdout);
  // BMC CPU over the whole load generator run (handshake and warm-up included).
  if (cpu0 !== null && cpu1 !== null) out.bmcCpuPct = Math.round(((cpu1 - cpu0) / wall) * 100);
  return out;
}

// ---- the run ---------------------------------------------------------------------------------

const T0 = performance.now();
const only = argv.only ? new Set(argv.only.split(',')) : undefined;
const targets = TARGETS.filter((t) => !only || only.has(t.name));
const ipmitoolVersion = (await run('ipmitool', ['-V'])).stdout.trim();
const results = {
  date: new Date().toISOString(),
  quick,
  profile: argv.profile ?? false,
  tsbmcNodeArgs: TSBMC_NODE_ARGS,
  config: CFG,
  machine: {
    ...machineInfo(),
    ipmitool: ipmitoolVersion,
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

let portBase = Number(process.env.BENCH_PORT_BASE ?? 19600);
for (const t of targets) {
  const port = freePort(portBase);
  portBase = port + 20;
  const r = { port, suites: t.suites };
  results.targets[t.name] = r;

  // 1. start until first answer, several times
  log(`${t.name}: start until first answer x${CFG.startReps} (port ${port})`);
  const starts = [];
  for (let i = 0; i < CFG.startReps; i++) {
    const bmc = await t.start(port);
    starts.push({ readyMs: bmc.readyMs, bindMs: bmc.bindMs });
    await bmc.stop();
  }
  r.start = {
    runs: starts,
    readyMedianMs: median(starts.map((s) => s.readyMs)),
    bindMedianMs: median(starts.map((s) => s.bindMs).filter((v) => Number.isFinite(v))),
  };

  // The long-lived instance for the other stages.
  const profDir = join(RESULTS, 'profile');
  const profiling = argv.profile && t.name === 'tsbmc';
  if (profiling) {
    rmSync(profDir, { recursive: true, force: true });
    mkdirSync(profDir, { recursive: true });
  }
  const bmc = await t.start(port, profiling ? { nodeArgs: ['--cpu-prof', '--cpu-prof-dir', profDir] } : undefined);

  // 4. memory: idle, after the churn, and later (first, on a fresh process)
  await sleep(CFG.idleWaitMs);
  const mem = { idleKb: rssKb(bmc.pid) };
  log(`${t.name}: ${CFG.churnSessions} sessions opened and closed (${CFG.churnParallel} in parallel)`);
  const suiteForChurn = t.suites[0];
  mem.churn = await loadgen(port, t.password, [
    '--mode', 'churn', '--suite', String(suiteForChurn), '--sessions', String(CFG.churnSessions), '--parallel', String(CFG.churnParallel),
    '--max-seconds', String(CFG.churnMaxS), '--src-port-base', String(SRC_PORT_BASE),
  ], bmc.pid);
  mem.afterChurnKb = rssKb(bmc.pid);
  await sleep(CFG.settleMs);
  mem.laterKb = rssKb(bmc.pid);
  // A second round tells a leak (grows again) from heaps and caches that size
  // themselves once (flat the second time).
  log(`${t.name}: ${CFG.churnSessions} more sessions`);
  mem.churn2 = await loadgen(port, t.password, [
    '--mode', 'churn', '--suite', String(suiteForChurn), '--sessions', String(CFG.churnSessions), '--parallel', String(CFG.churnParallel),
    '--max-seconds', String(CFG.churnMaxS), '--src-port-base', String(SRC_PORT_BASE + CFG.churnSessions + 100),
  ], bmc.pid);
  mem.afterChurn2Kb = rssKb(bmc.pid);
  const perSession = (from, to, n) => (n > 0 && from && to ? Math.round(((to - from) * 1024) / n) : null);
  mem.growthPerSessionB = perSession(mem.idleKb, mem.afterChurnKb, mem.churn.completed ?? 0);
  mem.growthPerSession2B = perSession(mem.laterKb, mem.afterChurn2Kb, mem.churn2.completed ?? 0);
  r.memory = mem;

  // 2. one process per call
  log(`${t.name}: one ipmitool process per call`);
  r.perCall = {};
  for (const suite of t.suites) {
    r.perCall[`chassis status -C ${suite}`] = await perCall(port, t.password, suite, ['chassis', 'status']);
    r.perCall[`sdr list -C ${suite}`] = t.sdr ? await perCall(port, t.password, suite, ['sdr', 'list']) : { na: 'no SDRs (pyghmi fakebmc answers Get SDR Repository Info with Invalid command)' };
  }

  // 3. in-session throughput: the mixed load several times, then Get Device ID
  // only (the transport without ipmi_sim's program-per-chassis-command), then
  // one request at a time (the round trip a sequential client like ipmitool sees).
  r.throughput = {};
  const tp = async (suite, args, runsWanted, durationMs) => {
    const runs = [];
    for (let i = 0; i < runsWanted; i++) {
      runs.push(await loadgen(port, t.password, [
        '--mode', 'throughput', '--suite', String(suite), ...args,
        '--warmup-ms', String(CFG.warmupMs), '--duration-ms', String(durationMs), '--max-seconds', '60',
      ], bmc.pid));
    }
    const ok = runs.filter((x) => !x.error).sort((a, b) => a.commandsPerSec - b.commandsPerSec);
    return { runs, medianRun: ok[Math.floor((ok.length - 1) / 2)] ?? runs[0], bestCommandsPerSec: ok.at(-1)?.commandsPerSec ?? null };
  };
  for (const suite of t.suites) {
    log(`${t.name}: in-session throughput, suite ${suite}, ${CFG.throughputRuns} x ${CFG.durationMs} ms + 2 x ${CFG.extraDurationMs} ms`);
    r.throughput[`suite ${suite}`] = await tp(suite, ['--window', String(CFG.window), '--mix', 'mixed'], CFG.throughputRuns, CFG.durationMs);
    r.throughput[`suite ${suite} device-id`] = await tp(suite, ['--window', String(CFG.window), '--mix', 'device-id'], 1, CFG.extraDurationMs);
    r.throughput[`suite ${suite} window 1`] = await tp(suite, ['--window', '1', '--mix', 'device-id'], 1, CFG.extraDurationMs);
  }
  r.memory.endKb = rssKb(bmc.pid);
  r.loadavgAfter = loadavg();
  await bmc.stop();

  if (profiling) {
    const file = readdirSync(profDir).filter((f) => f.endsWith('.cpuprofile')).map((f) => join(profDir, f)).sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0];
    if (file) r.profile = { file, ...topFunctions(JSON.parse(readFileSync(file, 'utf8')), 30) };
  }
  writeResults(true);
}
clearTimeout(hardStop);
writeResults(false);

// ---- report ----------------------------------------------------------------------------------

const names = targets.map((t) => t.name);
const mb = (kb) => (kb == null ? '–' : (kb / 1024).toFixed(1));
const cell = (name, f) => {
  try {
    return f(results.targets[name]) ?? 'n/a';
  } catch {
    return 'n/a';
  }
};
const callCell = (key) => (r) => {
  const c = r.perCall[key];
  if (!c) return 'n/a (no suite 17)';
  if (c.na) return 'n/a (no SDRs)';
  if (c.error) return `failed: ${c.error}`;
  return `${c.medianMs} / ${c.p95Ms}${c.failures ? ` (${c.failures} failed)` : ''}`;
};
const sdrShape = (r) => {
  const c = r.perCall['sdr list -C 3'];
  if (!c || c.na) return 'n/a (no SDRs)';
  return `${c.outputLines} / ${c.ipmiRequests}`;
};
const tpCell = (key, form = 'full') => (r) => {
  const t = r.throughput[key];
  if (!t) return 'n/a (no suite 17)';
  const m = t.medianRun;
  if (m.error) return `failed: ${m.error}`;
  if (form === 'latency') return `${m.latencyMs.median} / ${m.latencyMs.p99} (${m.commandsPerSec}/s)`;
  const best = t.runs.length > 1 ? ` (best ${t.bestCommandsPerSec})` : '';
  const lost = m.timeouts ? `; ${m.timeouts} lost` : '';
  return `**${m.commandsPerSec}**${best}; ${m.latencyMs.median} / ${m.latencyMs.p99} ms; CPU ${m.bmcCpuPct}% / ${m.clientCpuPct}%${lost}`;
};
const rows = [
  ['start → first answered `raw 0x06 0x01` (-C 3), median of ' + CFG.startReps + ', ms (bind ms)', (r) => `${r.start.readyMedianMs} (${r.start.bindMedianMs})`],
  ['`chassis status -C 17`, one process per call, median / p95 ms', callCell('chassis status -C 17')],
  ['`chassis status -C 3`, one process per call, median / p95 ms', callCell('chassis status -C 3')],
  ['`sdr list -C 17`, one process per call, median / p95 ms', callCell('sdr list -C 17')],
  ['`sdr list -C 3`, one process per call, median / p95 ms', callCell('sdr list -C 3')],
  ['`sdr list`: output lines / IPMI requests per call', sdrShape],
  [`in-session cmd/s, Get Device ID + Get Chassis Status, suite 17, window ${CFG.window} (median of ${CFG.throughputRuns}); latency median / p99; CPU BMC / loadgen`, tpCell('suite 17')],
  [`same, suite 3`, tpCell('suite 3')],
  [`in-session cmd/s, Get Device ID only, suite 17, window ${CFG.window}`, tpCell('suite 17 device-id')],
  [`same, suite 3`, tpCell('suite 3 device-id')],
  ['in-session round trip, one request at a time (window 1, Get Device ID), suite 17: median / p99 ms', tpCell('suite 17 window 1', 'latency')],
  ['same, suite 3', tpCell('suite 3 window 1', 'latency')],
  ['RSS idle (3 s after ready), MB', (r) => mb(r.memory.idleKb)],
  [`RSS after ${CFG.churnSessions} sessions opened and closed, MB`, (r) => mb(r.memory.afterChurnKb)],
  ['RSS 5 s later, MB', (r) => mb(r.memory.laterKb)],
  [`RSS after ${CFG.churnSessions} more sessions, MB`, (r) => mb(r.memory.afterChurn2Kb)],
  ['RSS growth per session, first / second round, bytes', (r) => `${r.memory.growthPerSessionB} / ${r.memory.growthPerSession2B}`],
  [`session churn (open, RAKP 1-4, Get Device ID, Close; ${CFG.churnParallel} parallel): sessions/s, failures`, (r) => {
    const c = r.memory.churn;
    if (c.error) return `failed: ${c.error}`;
    const f = Object.entries(c.failed).map(([k, v]) => `${k}×${v}`).join(', ');
    return `${c.sessionsPerSec} (suite ${c.suite}; ${c.completed}/${c.requested} ok${f ? `; ${f}` : ''})`;
  }],
];
const m = results.machine;
const lines = [
  `## tsbmc benchmarks, ${results.date.slice(0, 10)}${quick ? ' (quick run)' : ''}${results.profile ? ' (tsbmc under --cpu-prof)' : ''}${TSBMC_NODE_ARGS.length ? ` (tsbmc run with node ${TSBMC_NODE_ARGS.join(' ')})` : ''}`,
  '',
  `Machine: ${m.nproc} × ${m.cpuModel}, ${m.memTotalMb} MB, Linux ${m.kernel}; Node ${m.node}; ${m.ipmitool}; load average at start ${m.loadavgAtStart.join(' ')}.`,
  '',
  `| | ${names.join(' | ')} |`,
  `| --- |${names.map(() => ' --- |').join('')}`,
  ...rows.map(([label, f]) => `| ${label} | ${names.map((n) => cell(n, f)).join(' | ')} |`),
  '',
];
const prof = results.targets.tsbmc?.profile;
if (prof) {
  lines.push(`tsbmc CPU profile (${prof.file}): total ${prof.totalMs} ms, idle ${prof.idleMs} ms, GC ${prof.gcMs} ms; self time of the busy part:`, '');
  for (const f of prof.top) lines.push(`    ${String(f.pct).padStart(5)}%  ${f.fn}  ${f.where}`);
  lines.push('');
}
console.log(lines.join('\n'));
writeFileSync(OUT.replace(/\.json$/, '') + '.md', `${lines.join('\n')}\n`);
log(`done; results in ${OUT}`);
