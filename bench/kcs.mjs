// The in-band round trip: a QEMU guest's ipmitool -> /dev/ipmi0 -> KCS ->
// QEMU's ipmi-bmc-extern chardev -> an external BMC, measured in one run for
// (a) tsbmc (--extern-port) and (b) OpenIPMI's ipmi_sim (the qemu-guest
// harness's peer/run-ipmi-sim.sh), one BMC at a time, on 127.0.0.1 only.
//
// For each BMC, two guest boots through the harness's run-guest.sh (TCG):
//   pass 1, direct (QEMU connects to the BMC):
//     - N x `ipmitool raw 0x06 0x01` (Get Device ID), one ipmitool process
//       each, from the harness's command list; per-command host time from the
//       console markers; invocations/s over the whole block
//     - 20 x `ipmitool -V` (ipmitool's start-up alone, no IPMI traffic)
//     - 3 x `ipmitool exec` of a file with M `raw 0x06 0x01` lines: M requests
//       in one process, the in-band request rate without process start-up
//     - L x `sdr list` and L x `sensor list` (output to /dev/null)
//     - boot milestones: QEMU start -> /init, /dev/ipmi0, first answered command
//   pass 2, through the harness's wire relay (--capture): one `raw 0x06 0x01`,
//     one exec of M, one `sdr list`, one `sensor list`, separated by sleeps;
//     from the relay's timestamps: requests per command, the time between
//     consecutive requests of the exec (the one-process round trip), and the
//     BMC's service time as seen at the relay (request in -> response out,
//     including two loopback hops and the relay's own work) for both BMCs.
//   tsbmc also reports its own service time (ExternBmcServer.stats.serviceNs,
//   logged at info when QEMU disconnects). ipmi_sim has no such counter.
// Prints a Markdown table, writes bench/results/kcs-latest.json and .md.
//
// usage: npm run build && npm run bench:kcs [-- --n 200] [--exec-n 500] [--lists 10]
//          [--only tsbmc,ipmi_sim] [--no-relay] [--quick] [--out FILE]
// env: QEMU_GUEST_TOOLS (default ../shared/tools/qemu-guest beside the project),
//      QEMU_GUEST_CACHE (default .cache/qemu-guest in the project)
// The whole run stops by itself after HARD_LIMIT_S and stops every process it started.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { createSocket } from 'node:dgram';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadavg, machineInfo, sleep } from './proc.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(ROOT, 'dist/src/cli/tsbmc.js');
const STATS = join(ROOT, 'dist/bench/stats.js');
const PROTOCOL = join(ROOT, 'dist/src/kcs/extern-protocol.js');
const TOOLS = process.env.QEMU_GUEST_TOOLS ?? fileURLToPath(new URL('../../shared/tools/qemu-guest', import.meta.url));
const CACHE = process.env.QEMU_GUEST_CACHE ?? join(ROOT, '.cache/qemu-guest');
const RUN_GUEST = join(TOOLS, 'run-guest.sh');
const RUN_SIM = join(TOOLS, 'peer/run-ipmi-sim.sh');
const RESULTS = join(ROOT, 'bench/results');
const HOST = '127.0.0.1';
const TSBMC_PASSWORD = 'Bench-Passw0rd';
const HARD_LIMIT_S = 300;

const { values: argv } = parseArgs({
  options: {
    n: { type: 'string' },
    'exec-n': { type: 'string' },
    lists: { type: 'string' },
    only: { type: 'string' },
    'no-relay': { type: 'boolean' },
    quick: { type: 'boolean' },
    out: { type: 'string' },
  },
  strict: true,
});
const quick = argv.quick ?? false;
const CFG = {
  n: Number(argv.n ?? (quick ? 40 : 200)),
  warmup: 5,
  versionRuns: quick ? 5 : 20,
  execN: Number(argv['exec-n'] ?? 500),
  execRuns: quick ? 1 : 3,
  lists: Number(argv.lists ?? (quick ? 3 : 10)),
  relay: !(argv['no-relay'] ?? false),
  hostWarmup: 200,
  hostN: quick ? 500 : 2000,
};
for (const k of ['n', 'execN', 'lists']) {
  if (!Number.isInteger(CFG[k]) || CFG[k] < 1 || CFG[k] > 5000) {
    console.error(`bench:kcs: --${k} must be a whole number 1..5000`);
    process.exit(2);
  }
}
const ONLY = (argv.only ?? 'tsbmc,ipmi_sim').split(',').filter(Boolean);
const OUT = argv.out ?? join(RESULTS, 'kcs-latest.json');

const missing = [];
if (!existsSync(CLI) || !existsSync(STATS)) missing.push('dist/ (run `npm run build`)');
if (!existsSync(RUN_GUEST)) missing.push(`the qemu-guest harness at ${TOOLS} (set QEMU_GUEST_TOOLS)`);
if (spawnSync('sh', ['-c', 'command -v qemu-system-x86_64']).status !== 0) missing.push('qemu-system-x86_64 (apt-get install qemu-system-x86 cpio kmod)');
if (ONLY.includes('ipmi_sim') && spawnSync('sh', ['-c', 'command -v ipmi_sim']).status !== 0) missing.push('ipmi_sim (apt-get install openipmi)');
if (missing.length) {
  console.error(`bench:kcs: missing ${missing.join('; ')}`);
  process.exit(2);
}
const { summarize, median, round } = await import(STATS);
const { encodeControl, encodeRequest, ExternDecoder, PROTOCOL_VERSION } = await import(PROTOCOL);

// ---- processes we started (and only those) are stopped on any exit -------------------------

/** Children started detached (own process group); stopped by group id. */
const children = new Set();
function killGroup(child, sig) {
  try {
    process.kill(-child.pid, sig);
  } catch {
    /* already gone */
  }
}
function cleanup() {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) killGroup(c, 'SIGKILL');
  children.clear();
}
process.on('exit', cleanup);
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(130));
const hardStop = setTimeout(() => {
  console.error(`bench:kcs: stopped after the ${HARD_LIMIT_S} s limit`);
  writeResults(true);
  process.exit(1);
}, HARD_LIMIT_S * 1000);

// ---- helpers ---------------------------------------------------------------------------------

const r2 = (v) => (Number.isFinite(v) ? round(v, 2) : null);
const sum = (a) => a.reduce((x, y) => x + y, 0);
function summ(sample, digits = 2) {
  const s = summarize(sample);
  return Object.fromEntries(Object.entries(s).map(([k, v]) => [k, k === 'n' ? v : Number.isFinite(v) ? round(v, digits) : null]));
}

function spawnTracked(cmd, args, opts = {}) {
  const child = spawn(cmd, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'], ...opts });
  children.add(child);
  child.out = '';
  child.stdout.on('data', (d) => (child.out += d));
  child.stderr.on('data', (d) => (child.out += d));
  child.done = new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
  return child;
}

async function stopChild(child) {
  if (child.exitCode === null && child.signalCode === null) {
    killGroup(child, 'SIGTERM');
    const t = setTimeout(() => killGroup(child, 'SIGKILL'), 3000);
    await child.done;
    clearTimeout(t);
  }
  children.delete(child);
}

function freeTcpPort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, HOST, () => {
      const a = s.address();
      s.close(() => resolve(a.port));
    });
  });
}
function freeUdpPort() {
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4');
    s.once('error', reject);
    s.bind(0, HOST, () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
}

/** A TCP listener on `port` in /proc/net/tcp (no probe connection: it would look like QEMU to the BMC). */
function tcpListening(port) {
  const hex = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  for (const f of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(f, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols[3] === '0A' && cols[1]?.endsWith(hex)) return true;
    }
  }
  return false;
}

async function waitListening(child, port, limitMs = 15_000) {
  const t0 = performance.now();
  while (performance.now() - t0 < limitMs) {
    if (tcpListening(port)) return;
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`BMC exited before listening:\n${child.out}`);
    await sleep(5);
  }
  throw new Error(`BMC did not listen on ${port} within ${limitMs} ms:\n${child.out}`);
}


// ---- the BMCs ----------------------------------------------------------------------------------

async function startBmc(name, dir) {
  const chardev = await freeTcpPort();
  let child;
  const t0 = performance.now();
  if (name === 'tsbmc') {
    const [ipmi, https] = [await freeUdpPort(), await freeTcpPort()];
    // as `npm start` runs it; info level for the one line per QEMU disconnect carrying the counters
    child = spawnTracked(process.execPath, [
      '--max-semi-space-size=1', CLI, '--state-dir', join(dir, 'state'), '--listen', HOST,
      '--ipmi-port', String(ipmi), '--https-port', String(https), '--no-http',
      '--extern-port', String(chardev), '--admin-password', TSBMC_PASSWORD,
      '--log-level', 'info', '--log-format', 'json',
    ]);
  } else {
    const lan = await freeUdpPort();
    child = spawnTracked(RUN_SIM, [
      '--serial-port', String(chardev), '--lan-port', String(lan), '--console-port', '0',
      '--state', join(dir, 'state'), '--time-limit', String(HARD_LIMIT_S),
    ]);
  }
  await waitListening(child, chardev);
  return { child, chardev, listenMs: performance.now() - t0 };
}

/** tsbmc's cumulative extern counters from its latest "QEMU chardev disconnected" line. */
async function tsbmcCounters(child, afterLines) {
  for (let i = 0; i < 40; i++) {
    const lines = child.out.split('\n').filter((l) => l.includes('"QEMU chardev disconnected"'));
    if (lines.length > afterLines) {
      const j = JSON.parse(lines[lines.length - 1]);
      return { lines: lines.length, requests: j.requests, responses: j.responses, serviceNs: j.serviceNs };
    }
    await sleep(50);
  }
  return null;
}

// ---- the guest ---------------------------------------------------------------------------------

const EXEC_PREP = (m) => `sh: i=0; while [ $i -lt ${m} ]; do echo raw 0x06 0x01; i=$((i+1)); done > /tmp/gd`;

/** Pass 1: the command list with a role for each line (the harness numbers lines from 1). */
function pass1Commands() {
  const cmds = [];
  const add = (role, line, times = 1) => {
    for (let i = 0; i < times; i++) cmds.push({ role, line });
  };
  add('warmup', 'raw 0x06 0x01', CFG.warmup);
  add('raw', 'raw 0x06 0x01', CFG.n);
  add('version', 'sh: ipmitool -V > /dev/null', CFG.versionRuns);
  add('prep', EXEC_PREP(CFG.execN));
  add('exec', 'sh: ipmitool exec /tmp/gd > /dev/null', CFG.execRuns);
  add('sdr-visible', 'sdr list');
  add('sdr', 'sh: ipmitool sdr list > /dev/null', CFG.lists);
  add('sensor', 'sh: ipmitool sensor list > /dev/null', CFG.lists);
  return cmds;
}

/** Pass 2 (through the wire relay): stages separated by sleeps so the relay log splits at the gaps. */
function pass2Commands() {
  return [
    { role: 'prep', line: EXEC_PREP(CFG.execN) },
    { role: 'gap', line: 'sh: sleep 1' },
    { role: 'raw', line: 'raw 0x06 0x01' },
    { role: 'gap', line: 'sh: sleep 0.6' },
    { role: 'exec', line: 'sh: ipmitool exec /tmp/gd > /dev/null' },
    { role: 'gap', line: 'sh: sleep 0.6' },
    { role: 'sdr', line: 'sh: ipmitool sdr list > /dev/null' },
    { role: 'gap', line: 'sh: sleep 0.6' },
    { role: 'sensor', line: 'sh: ipmitool sensor list > /dev/null' },
    { role: 'gap', line: 'sh: sleep 0.3' },
  ];
}
const SEGMENTS = ['raw', 'exec', 'sdr', 'sensor'];
const GAP_MS = 400;

async function runGuest(dir, tag, bmcPort, cmds, capture, timeoutS) {
  const file = join(dir, `${tag}.commands.txt`);
  writeFileSync(file, `${cmds.map((c) => c.line).join('\n')}\n`);
  const args = ['--cache', CACHE, '--bmc', `${HOST}:${bmcPort}`, '--commands', file, '--timeout', String(timeoutS), '--log', join(dir, `${tag}.console.log`)];
  if (capture) args.push('--capture', capture);
  const child = spawnTracked(RUN_GUEST, args, { cwd: ROOT });
  const killer = setTimeout(() => killGroup(child, 'SIGTERM'), (timeoutS + 20) * 1000);
  const { code } = await child.done;
  clearTimeout(killer);
  children.delete(child);
  writeFileSync(join(dir, `${tag}.out`), child.out);
  return { code, out: child.out };
}

function parseGuest(out, cmds) {
  const result = /\[run-guest\] RESULT .*/.exec(out)?.[0] ?? 'no RESULT line';
  const tm = /timings from QEMU start: init=(\S+) ipmi-dev=(\S+) first-ok=(\S+) commands-done=(\S+) end=(\S+)/.exec(out);
  const sec = (s) => (s && s !== '-' ? Number(s.replace(/s$/, '')) : null);
  const timings = tm ? { initS: sec(tm[1]), ipmiDevS: sec(tm[2]), firstOkS: sec(tm[3]), commandsDoneS: sec(tm[4]), endS: sec(tm[5]) } : null;
  const per = new Map(); // n -> { res, guestMs, hostMs }
  for (const m of out.matchAll(/\[run-guest\]\s+boot 1 cmd (\d+)\s+(\S+) guest=(\d*)ms host=(\S+)ms/g)) {
    per.set(Number(m[1]), { res: m[2], guestMs: Number(m[3]), hostMs: Number(m[4]) });
  }
  const stamps = new Map(); // n -> { begin, end } host seconds from QEMU start
  for (const m of out.matchAll(/^\[\s*\+([\d.]+)\] ===QG=== CMD (\d+) (BEGIN|END)/gm)) {
    const n = Number(m[2]);
    const s = stamps.get(n) ?? {};
    s[m[3] === 'BEGIN' ? 'begin' : 'end'] = Number(m[1]);
    stamps.set(n, s);
  }
  const byRole = {};
  cmds.forEach((c, i) => {
    const p = per.get(i + 1);
    (byRole[c.role] ??= []).push({ ...p, ...stamps.get(i + 1) });
  });
  const failed = [...per.values()].filter((p) => p.res !== 'PASS').length;
  return { result, pass: /RESULT PASS/.test(result), timings, byRole, failed, missing: cmds.length - per.size };
}

/** The relay's log: requests and responses with the time their bytes reached the relay (ms). */
function parseWire(text) {
  const lastRaw = {};
  const pending = new Map();
  const reqs = [];
  for (const line of text.split('\n')) {
    const m = /^\s*([\d.]+) (Q>B|B>Q) (RAW|MSG|CTRL)\s+(.*)$/.exec(line);
    if (!m) continue;
    const [, t, dir, kind, rest] = m;
    if (kind === 'RAW') {
      lastRaw[dir] = Number(t);
      continue;
    }
    if (kind !== 'MSG') continue;
    const f = /seq=0x([0-9a-f]+) netfn=0x([0-9a-f]+) lun=\d cmd=0x([0-9a-f]+)/.exec(rest);
    if (!f) continue;
    const seq = parseInt(f[1], 16);
    if (dir === 'Q>B') {
      const r = { t: lastRaw[dir], netFn: parseInt(f[2], 16), cmd: parseInt(f[3], 16), serviceMs: null };
      pending.set(seq, r);
      reqs.push(r);
    } else {
      const r = pending.get(seq);
      if (r && r.serviceMs === null) {
        r.serviceMs = lastRaw[dir] - r.t;
        pending.delete(seq);
      }
    }
  }
  return reqs;
}

/** Splits the relay's requests at pauses longer than GAP_MS; the last SEGMENTS.length are the stages. */
function wireStages(reqs) {
  const segs = [];
  let cur = [];
  for (const r of reqs) {
    if (cur.length && r.t - cur[cur.length - 1].t > GAP_MS) {
      segs.push(cur);
      cur = [];
    }
    cur.push(r);
  }
  if (cur.length) segs.push(cur);
  if (segs.length < SEGMENTS.length + 1) return { error: `expected ${SEGMENTS.length + 1} bursts of requests in the relay log, found ${segs.length}` };
  const stages = {};
  const tail = segs.slice(-SEGMENTS.length);
  SEGMENTS.forEach((name, i) => {
    const s = tail[i];
    const service = s.map((r) => r.serviceMs).filter((v) => v !== null);
    stages[name] = { requests: s.length, unanswered: s.length - service.length, spanMs: r2(s[s.length - 1].t - s[0].t), serviceMs: summ(service, 3) };
  });
  // the one-process round trip: time between consecutive Get Device ID requests of the exec
  const ex = tail[SEGMENTS.indexOf('exec')].filter((r) => r.netFn === 0x06 && r.cmd === 0x01);
  const cycles = [];
  for (let i = 2; i < ex.length; i++) cycles.push(ex[i].t - ex[i - 1].t);
  stages.exec.cycleMs = summ(cycles, 3);
  stages.exec.getDeviceIdRequests = ex.length;
  // the guest kernel driver's probe at boot: first request relative to QEMU connecting to the chardev
  stages.boot = { requests: segs[0].length, serviceMs: summ(segs[0].map((r) => r.serviceMs).filter((v) => v !== null), 3) };
  return { stages, allServiceMs: summ(reqs.map((r) => r.serviceMs).filter((v) => v !== null), 3) };
}

function firstDriverRequest(text) {
  const conn = /^\s*([\d.]+) --- QEMU connected/m.exec(text);
  const req = /^\s*([\d.]+) Q>B MSG /m.exec(text);
  return conn && req ? r2((Number(req[1]) - Number(conn[1])) / 1000) : null;
}

/**
 * Pass 3, no QEMU: the bench itself connects to the BMC's chardev port as
 * QEMU does (VERSION), and sends Get Device ID frames one at a time; the
 * BMC's own round trip over loopback TCP, with the project's chardev codec.
 */
async function hostChardevRoundTrip(port) {
  const sock = connect(port, HOST);
  sock.setNoDelay(true);
  await new Promise((resolve, reject) => {
    sock.once('connect', resolve);
    sock.once('error', reject);
  });
  const dec = new ExternDecoder('responses');
  let waiting = null;
  sock.on('data', (chunk) => {
    for (const item of dec.push(chunk)) if (item.name === 'response' && waiting) waiting(item);
  });
  sock.write(encodeControl({ name: 'version', version: PROTOCOL_VERSION }));
  await sleep(100);
  const rtt = [];
  let bad = 0;
  const total = CFG.hostWarmup + CFG.hostN;
  const t0 = performance.now();
  let tm = t0;
  for (let i = 0; i < total; i++) {
    if (i === CFG.hostWarmup) tm = performance.now();
    const seq = i & 0xff;
    const ts = performance.now();
    const res = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no answer to request ${i} within 2 s`)), 2000);
      waiting = (item) => {
        clearTimeout(timer);
        resolve(item);
      };
      sock.write(encodeRequest({ seq, netFn: 0x06, lun: 0, cmd: 0x01, data: new Uint8Array(0) }));
    });
    if (res.seq !== seq || res.cc !== 0 || res.netFn !== 0x07 || res.cmd !== 0x01) bad++;
    if (i >= CFG.hostWarmup) rtt.push(performance.now() - ts);
  }
  const spanMs = performance.now() - tm;
  sock.destroy();
  return { requests: CFG.hostN, bad, rttMs: summ(rtt, 3), perS: r2(CFG.hostN / (spanMs / 1000)) };
}

// ---- one BMC -------------------------------------------------------------------------------------

async function measure(name) {
  const dir = mkdtempSync(join(tmpdir(), `bench-kcs-${name}-`));
  const r = { name, dir };
  results.targets[name] = r;
  const bmc = await startBmc(name, dir);
  r.listenMs = r2(bmc.listenMs);
  console.error(`bench:kcs: ${name} listening on chardev ${HOST}:${bmc.chardev} after ${Math.round(bmc.listenMs)} ms`);
  try {
    // pass 1: direct
    const cmds1 = pass1Commands();
    const t1 = performance.now();
    const g1 = await runGuest(dir, 'pass1', bmc.chardev, cmds1, null, 200);
    r.pass1WallS = r2((performance.now() - t1) / 1000);
    const p1 = parseGuest(g1.out, cmds1);
    r.pass1 = { exit: g1.code, result: p1.result, failed: p1.failed, missing: p1.missing, boot: p1.timings };
    console.error(`bench:kcs: ${name} pass 1: ${p1.result}`);
    const hostMs = (role) => (p1.byRole[role] ?? []).map((c) => c.hostMs).filter(Number.isFinite);
    const guestMs = (role) => (p1.byRole[role] ?? []).map((c) => c.guestMs).filter(Number.isFinite);
    const raw = p1.byRole.raw ?? [];
    const spanS = raw.length && raw[raw.length - 1].end && raw[0].begin ? raw[raw.length - 1].end - raw[0].begin : NaN;
    r.rawPerProcess = { hostMs: summ(hostMs('raw')), guestMs: summ(guestMs('raw')), spanS: r2(spanS), perS: r2(raw.length / spanS) };
    r.versionPerProcess = { hostMs: summ(hostMs('version')), guestMs: summ(guestMs('version')) };
    const base = r.versionPerProcess.hostMs.median;
    const execMs = hostMs('exec');
    const execMed = median(execMs);
    r.exec = {
      requestsPerRun: CFG.execN,
      hostMs: execMs,
      perRequestMs: r2(execMed / CFG.execN),
      perS: r2(CFG.execN / (execMed / 1000)),
      perRequestMsNet: r2((execMed - base) / CFG.execN),
      perSNet: r2(CFG.execN / ((execMed - base) / 1000)),
    };
    r.sdrList = { hostMs: summ(hostMs('sdr')) };
    r.sensorList = { hostMs: summ(hostMs('sensor')) };
    const vis = (p1.byRole['sdr-visible'] ?? [])[0];
    r.sdrListPassed = vis?.res === 'PASS';
    if (name === 'tsbmc') {
      const c1 = await tsbmcCounters(bmc.child, 0);
      r.pass1Counters = c1 && { requests: c1.requests, meanServiceUs: r2(c1.serviceNs / c1.requests / 1000), totalServiceMs: r2(c1.serviceNs / 1e6) };
      r._c1 = c1;
    }

    // pass 2: through the relay
    if (CFG.relay) {
      const cmds2 = pass2Commands();
      const wire = join(dir, 'pass2.wire.log');
      const g2 = await runGuest(dir, 'pass2', bmc.chardev, cmds2, wire, 120);
      const p2 = parseGuest(g2.out, cmds2);
      console.error(`bench:kcs: ${name} pass 2 (relay): ${p2.result}`);
      const text = existsSync(wire) ? readFileSync(wire, 'utf8') : '';
      const w = wireStages(parseWire(text));
      r.pass2 = { exit: g2.code, result: p2.result, firstDriverRequestS: firstDriverRequest(text), ...w };
      if (name === 'tsbmc' && r._c1) {
        const c2 = await tsbmcCounters(bmc.child, r._c1.lines);
        if (c2) {
          r._c2 = c2;
          const n = c2.requests - r._c1.requests;
          r.pass2Counters = { requests: n, meanServiceUs: r2((c2.serviceNs - r._c1.serviceNs) / n / 1000) };
        }
      }
    }
    // pass 3: the bench as the chardev client, no QEMU
    r.host = await hostChardevRoundTrip(bmc.chardev);
    console.error(`bench:kcs: ${name} host chardev client: median ${r.host.rttMs.median} ms, ${r.host.perS}/s, ${r.host.bad} bad`);
    if (name === 'tsbmc' && r._c2) {
      const c3 = await tsbmcCounters(bmc.child, r._c2.lines);
      if (c3) {
        const n = c3.requests - r._c2.requests;
        r.hostCounters = { requests: n, meanServiceUs: r2((c3.serviceNs - r._c2.serviceNs) / n / 1000) };
      }
    }
    delete r._c1;
    delete r._c2;
  } finally {
    await stopChild(bmc.child);
    writeFileSync(join(dir, 'bmc.out'), bmc.child.out);
  }
  return r;
}

// ---- run ---------------------------------------------------------------------------------------

const results = {
  date: new Date().toISOString(),
  config: CFG,
  machine: {
    ...machineInfo(),
    qemu: spawnSync('qemu-system-x86_64', ['--version'], { encoding: 'utf8' }).stdout.split('\n')[0],
    guest: existsSync(join(CACHE, 'version')) ? readFileSync(join(CACHE, 'version'), 'utf8').trim().split('\n').join(', ') : 'unknown',
    loadavgAtStart: loadavg(),
  },
  targets: {},
};

function writeResults(partial = false) {
  mkdirSync(RESULTS, { recursive: true });
  results.partial = partial;
  writeFileSync(OUT, `${JSON.stringify(results, null, 2)}\n`);
  const md = table();
  writeFileSync(OUT.replace(/\.json$/, '') + '.md', `${md}\n`);
  return md;
}

function table() {
  const names = ONLY.filter((n) => results.targets[n]);
  const col = (f) => names.map((n) => {
    try {
      const v = f(results.targets[n], n);
      return v === undefined || v === null ? '-' : String(v);
    } catch {
      return '-';
    }
  });
  const rows = [
    ['BMC start → chardev listening, ms', (t) => Math.round(t.listenMs)],
    ['QEMU start → guest `/init` / `/dev/ipmi0` ready / first answered `ipmitool raw 0x06 0x01`, s', (t) => `${t.pass1.boot.initS} / ${t.pass1.boot.ipmiDevS} / **${t.pass1.boot.firstOkS}**`],
    ['QEMU connect → the guest driver\'s first request (relay), s', (t) => t.pass2.firstDriverRequestS],
    [`\`ipmitool raw 0x06 0x01\`, one process each (N=${CFG.n}): host median / p95 ms`, (t) => `${t.rawPerProcess.hostMs.median} / ${t.rawPerProcess.hostMs.p95}`],
    ['same: guest clock median / p95 ms (10 ms ticks)', (t) => `${t.rawPerProcess.guestMs.median} / ${t.rawPerProcess.guestMs.p95}`],
    ['same: invocations/s over the block', (t) => t.rawPerProcess.perS],
    [`\`ipmitool -V\` (start-up, no IPMI), ${CFG.versionRuns} runs: median / p95 ms`, (t) => `${t.versionPerProcess.hostMs.median} / ${t.versionPerProcess.hostMs.p95}`],
    [`\`ipmitool exec\` of ${CFG.execN} Get Device ID in one process (median of ${CFG.execRuns}): ms per request / requests/s`, (t) => `${t.exec.perRequestMs} / **${t.exec.perS}**`],
    ['same, `ipmitool -V` time subtracted', (t) => `${t.exec.perRequestMsNet} / ${t.exec.perSNet}`],
    ['one-process round trip: time between consecutive Get Device ID requests at the relay, median / p95 ms', (t) => `${t.pass2.stages.exec.cycleMs.median} / ${t.pass2.stages.exec.cycleMs.p95}`],
    [`\`sdr list\` (output discarded), ${CFG.lists} runs: median / p95 ms`, (t) => `${t.sdrList.hostMs.median} / ${t.sdrList.hostMs.p95}`],
    [`\`sensor list\` (output discarded), ${CFG.lists} runs: median / p95 ms`, (t) => `${t.sensorList.hostMs.median} / ${t.sensorList.hostMs.p95}`],
    ['requests per `raw 0x06 0x01` / `sdr list` / `sensor list` (relay)', (t) => `${t.pass2.stages.raw.requests} / ${t.pass2.stages.sdr.requests} / ${t.pass2.stages.sensor.requests}`],
    ['BMC service time seen at the relay (request in → response out, incl. 2 loopback hops), Get Device ID of the exec: median / p95 ms', (t) => `${t.pass2.stages.exec.serviceMs.median} / ${t.pass2.stages.exec.serviceMs.p95}`],
    ['same, `sdr list` / `sensor list` requests: median ms', (t) => `${t.pass2.stages.sdr.serviceMs.median} / ${t.pass2.stages.sensor.serviceMs.median}`],
    ['BMC service time measured inside the BMC (bytes in → response written), mean µs, pass 1 (all requests) / pass 2 (relay)', (t, n) => (n === 'tsbmc' ? `${t.pass1Counters?.meanServiceUs} (${t.pass1Counters?.requests} requests) / ${t.pass2Counters?.meanServiceUs} (${t.pass2Counters?.requests})` : 'n/a (no counter in ipmi_sim)')],
    [`no QEMU: the bench as the chardev client, ${CFG.hostN} Get Device ID one at a time: round trip median / p95 ms, requests/s`, (t) => `${t.host.rttMs.median} / ${t.host.rttMs.p95}, ${t.host.perS}/s`],
    ['same: mean service time inside tsbmc, µs', (t, n) => (n === 'tsbmc' ? t.hostCounters?.meanServiceUs : 'n/a')],
    ['guest run: pass 1 / pass 2', (t) => `${t.pass1.result.replace(/^\[run-guest\] RESULT /, '').replace(/ SUMMARY.*/, '')}, ${t.pass1WallS} s / ${t.pass2?.result.replace(/^\[run-guest\] RESULT /, '').replace(/ SUMMARY.*/, '') ?? '-'}`],
  ];
  const lines = [`| | ${names.join(' | ')} |`, `| --- |${names.map(() => ' --- |').join('')}`];
  for (const [label, f] of rows) lines.push(`| ${label} | ${col(f).join(' | ')} |`);
  const m = results.machine;
  lines.push('', `Run of ${results.date.slice(0, 10)} (${results.elapsedS ?? '?'} s). Machine: ${m.nproc} × ${m.cpuModel}, ${m.memTotalMb} MB, Linux ${m.kernel}; Node ${m.node}; ${m.qemu}; load average at start ${m.loadavgAtStart.join(' ')}.`);
  return lines.join('\n');
}

const tStart = performance.now();
if (!existsSync(join(CACHE, 'vmlinuz')) || !existsSync(join(CACHE, 'initramfs.cpio.gz'))) {
  console.error(`bench:kcs: building the guest images into ${CACHE} (first run: downloads ~73 MB)`);
  const b = spawnSync(join(TOOLS, 'build-guest.sh'), [CACHE], { stdio: ['ignore', 'ignore', 'inherit'], timeout: 240_000 });
  if (b.status !== 0) {
    console.error('bench:kcs: build-guest.sh failed');
    process.exit(2);
  }
}
let failed = false;
for (const name of ONLY) {
  if (name !== 'tsbmc' && name !== 'ipmi_sim') {
    console.error(`bench:kcs: unknown BMC ${name} (tsbmc, ipmi_sim)`);
    process.exit(2);
  }
  try {
    const t = await measure(name);
    if (!t.pass1.result.includes('RESULT PASS') || (t.pass2 && !t.pass2.result.includes('RESULT PASS'))) {
      failed = true;
      console.error(`bench:kcs: ${name}: a guest run failed; logs kept in ${t.dir}`);
    } else {
      rmSync(t.dir, { recursive: true, force: true });
      delete t.dir;
    }
  } catch (err) {
    failed = true;
    console.error(`bench:kcs: ${name} failed: ${err instanceof Error ? err.stack : err}`);
    if (results.targets[name]) results.targets[name].error = String(err);
  }
}
results.elapsedS = r2((performance.now() - tStart) / 1000);
results.loadavgAfter = loadavg();
clearTimeout(hardStop);
console.log(writeResults());
console.error(`bench:kcs: wrote ${OUT}`);
process.exit(failed ? 1 : 0);
