// The Redfish benchmark: starts tsbmc (as `npm start` runs it), logs in
// (one Redfish session, X-Auth-Token), then drives it from a separate
// process (dist/bench/redfish-load.js: keep-alive TLS connections, one GET
// at a time each) with 1 and 16 connections for a fixed time per target:
// requests/s, median and p99 latency, and tsbmc's RSS before and after.
// Prints a Markdown table and writes bench/results/redfish-latest.json.
//
// usage: npm run build && npm run bench:redfish [-- --duration-ms 5000] [--connections 1,16]
//          [--profile] [--tsbmc-node-args=--max-semi-space-size=1] [--out FILE]
//   --profile  run tsbmc under `node --cpu-prof` and print where its time goes
//              (the profiler costs throughput: compare numbers only from runs without it)
//   --baseline also measure a bare node:https server answering a fixed body of the
//              same size with the same load generator: the ceiling of Node's
//              TLS and HTTP on this machine, the part of the cost that is not tsbmc's
import { execFile, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { cpuMs, machineInfo, rssKb } from './proc.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(ROOT, 'dist/src/cli/tsbmc.js');
const LOAD = join(ROOT, 'dist/bench/redfish-load.js');
const RESULTS = join(ROOT, 'bench/results');
const PASSWORD = 'Bench-Passw0rd';

const { values: argv } = parseArgs({
  options: {
    'duration-ms': { type: 'string' },
    'warmup-ms': { type: 'string' },
    connections: { type: 'string' },
    profile: { type: 'boolean' },
    baseline: { type: 'boolean' },
    'tsbmc-node-args': { type: 'string' },
    out: { type: 'string' },
  },
});
const DURATION_MS = Number(argv['duration-ms'] ?? 5000);
const WARMUP_MS = Number(argv['warmup-ms'] ?? 1000);
const CONNECTIONS = (argv.connections ?? '1,16').split(',').map(Number);
const NODE_ARGS = (argv['tsbmc-node-args'] ?? '--max-semi-space-size=1').split(/\s+/).filter(Boolean);
const OUT = argv.out ?? join(RESULTS, 'redfish-latest.json');

async function startTsbmc(stateDir, profileDir) {
  const args = [...NODE_ARGS, ...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []), CLI, '--state-dir', stateDir, '--ipmi-port', '0', '--https-port', '0', '--no-http', '--admin-password', PASSWORD, '--log-level', 'warn'];
  const proc = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stdout.on('data', (d) => (out += d));
  proc.stderr.on('data', (d) => (err += d));
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`tsbmc did not start\n${out}\n${err}`)), 20_000);
    proc.stdout.on('data', () => {
      if (/^Try:/m.test(out)) {
        clearTimeout(timer);
        resolve();
      }
    });
    proc.on('exit', (code) => reject(new Error(`tsbmc exited with ${code}\n${out}\n${err}`)));
  });
  const httpsPort = Number(/https:\/\/[\d.]+:(\d+)\/redfish/.exec(out)?.[1]);
  return { proc, httpsPort, stderr: () => err };
}

function https(port, method, path, { body, headers = {} } = {}) {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = request(
      { host: '127.0.0.1', port, method, path, rejectUnauthorized: false, headers: { ...(payload ? { 'Content-Type': 'application/json' } : {}), ...headers } },
      (res) => {
        let text = '';
        res.on('data', (d) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, text }));
      },
    );
    req.on('error', reject);
    if (payload) req.write(payload);
    req.end();
  });
}

function runLoad(port, token, path, connections) {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [LOAD, '--port', String(port), '--token', token, '--path', path, '--connections', String(connections), '--warmup-ms', String(WARMUP_MS), '--duration-ms', String(DURATION_MS)],
      { timeout: WARMUP_MS + DURATION_MS + 30_000, maxBuffer: 1 << 20 },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`load generator failed: ${stderr || error.message}`));
        else resolve(JSON.parse(stdout));
      },
    );
  });
}

/** A bare node:https server sending `bytes` of JSON for every request (the same TLS key type as tsbmc). */
async function startBaseline(bytes) {
  const code = `
    import { createServer } from 'node:https';
    import { selfSignedCertificate } from ${JSON.stringify(join(ROOT, 'dist/src/redfish/x509.js'))};
    const c = selfSignedCertificate({ commonName: 'baseline', organization: 'baseline', hosts: ['localhost', '127.0.0.1'], days: 1 });
    const body = JSON.stringify({ pad: 'x'.repeat(Math.max(0, ${bytes} - 10)) });
    const s = createServer({ cert: c.certPem, key: c.keyPem, keepAliveTimeout: 60000 }, (req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(body), 'OData-Version': '4.0' });
      res.end(body);
    });
    s.listen(0, '127.0.0.1', () => console.log('port ' + s.address().port));`;
  const proc = spawn(process.execPath, [...NODE_ARGS, '--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise((resolve, reject) => {
    let out = '';
    proc.stdout.on('data', (d) => {
      out += d;
      const m = /port (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    proc.on('exit', (c) => reject(new Error(`baseline server exited with ${c}`)));
  });
  return { proc, port };
}

const stateDir = mkdtempSync(join(tmpdir(), 'tsbmc-bench-redfish-'));
const profileDir = argv.profile ? join(stateDir, 'prof') : undefined;
const bmc = await startTsbmc(join(stateDir, 'state'), profileDir);
const results = {
  date: new Date().toISOString(),
  profile: argv.profile ?? false,
  tsbmcNodeArgs: NODE_ARGS,
  durationMs: DURATION_MS,
  warmupMs: WARMUP_MS,
  machine: {
    ...machineInfo(),
    loadavgAtStart: loadavg(),
  },
  rssKb: { idle: rssKb(bmc.proc.pid) },
  runs: [],
};

try {
  const login = await https(bmc.httpsPort, 'POST', '/redfish/v1/SessionService/Sessions', { body: { UserName: 'admin', Password: PASSWORD } });
  if (login.status !== 201) throw new Error(`login failed: ${login.status} ${login.text}`);
  const token = login.headers['x-auth-token'];
  const auth = { headers: { 'X-Auth-Token': token } };
  // the sensor collection: the chassis' Sensors when it exists, else whatever the service has
  const candidates = ['/redfish/v1/Chassis/chassis/Sensors?$expand=.', '/redfish/v1/Chassis/chassis/Thermal', '/redfish/v1/Chassis/chassis'];
  let second;
  for (const c of candidates) {
    if ((await https(bmc.httpsPort, 'GET', c, auth)).status === 200) {
      second = c;
      break;
    }
  }
  const targets = (process.env.BENCH_TARGETS ? process.env.BENCH_TARGETS.split(",") : ["/redfish/v1/Systems/system", ...(second ? [second] : [])]);
  results.rssKb.afterLogin = rssKb(bmc.proc.pid);
  for (const path of targets) {
    for (const connections of CONNECTIONS) {
      const cpu0 = cpuMs(bmc.proc.pid);
      const r = await runLoad(bmc.httpsPort, token, path, connections);
      const cpu1 = cpuMs(bmc.proc.pid);
      r.tsbmcCpuPct = cpu0 !== null && cpu1 !== null ? Math.round(((cpu1 - cpu0) / (WARMUP_MS + DURATION_MS)) * 100) : null;
      r.rssKbAfter = rssKb(bmc.proc.pid);
      results.runs.push(r);
      process.stderr.write(`${path} c=${connections}: ${r.requestsPerSecond} req/s, median ${r.latencyMs.median} ms, p99 ${r.latencyMs.p99} ms, errors ${r.errors}, RSS ${Math.round(r.rssKbAfter / 1024)} MB\n`);
    }
  }
  await new Promise((r) => setTimeout(r, 3000));
  results.rssKb.after3s = rssKb(bmc.proc.pid);
} finally {
  bmc.proc.kill('SIGTERM');
  await new Promise((r) => bmc.proc.once('exit', r));
}

if (argv.baseline) {
  const first = results.runs[0];
  const base = await startBaseline(first?.bytesPerResponse ?? 2000);
  try {
    for (const connections of CONNECTIONS) {
      const r = await runLoad(base.port, 'unused', `/baseline-${first?.bytesPerResponse ?? 2000}-bytes`, connections);
      r.baseline = true;
      results.runs.push(r);
      process.stderr.write(`baseline c=${connections}: ${r.requestsPerSecond} req/s, median ${r.latencyMs.median} ms, p99 ${r.latencyMs.p99} ms\n`);
    }
  } finally {
    base.proc.kill('SIGTERM');
  }
}

if (profileDir) {
  const { topFunctions } = await import('./cpuprofile-top.mjs');
  const file = readdirSync(profileDir).find((f) => f.endsWith('.cpuprofile'));
  if (file) {
    const prof = JSON.parse(readFileSync(join(profileDir, file), 'utf8'));
    const top = topFunctions(prof, 30);
    results.cpuProfile = top;
    process.stderr.write(`\nCPU profile of tsbmc (self time):\n`);
    for (const t of top.top) process.stderr.write(`${t.pct.toFixed(1).padStart(5)}%  ${t.selfMs.toFixed(0).padStart(6)} ms  ${t.fn}  ${t.where}\n`);
  }
}
rmSync(stateDir, { recursive: true, force: true });

mkdirSync(RESULTS, { recursive: true });
writeFileSync(OUT, `${JSON.stringify(results, null, 2)}\n`);
const mb = (kb) => (kb == null ? '-' : `${(kb / 1024).toFixed(1)}`);
const lines = [
  `Redfish benchmark, ${results.date}, ${results.machine.nproc} × ${results.machine.cpuModel}, Node ${results.machine.node}`,
  '',
  '| target | connections | req/s | median ms | p99 ms | errors | tsbmc CPU % | RSS after MB |',
  '|---|---:|---:|---:|---:|---:|---:|---:|',
  ...results.runs.map((r) => `| ${r.baseline ? `bare node:https, ${r.bytesPerResponse} B body` : `\`GET ${r.path}\``} | ${r.connections} | ${r.requestsPerSecond} | ${r.latencyMs.median} | ${r.latencyMs.p99} | ${r.errors} | ${r.tsbmcCpuPct ?? '-'} | ${mb(r.rssKbAfter)} |`),
  '',
  `RSS: idle ${mb(results.rssKb.idle)} MB, after login ${mb(results.rssKb.afterLogin)} MB, 3 s after the last run ${mb(results.rssKb.after3s)} MB`,
];
process.stdout.write(`${lines.join('\n')}\n`);
