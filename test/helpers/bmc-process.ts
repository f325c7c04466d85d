// Starts the real tsbmc process on an ephemeral port with a fresh state
// directory, and runs real clients (ipmitool, FreeIPMI) against it.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const CLI = fileURLToPath(new URL('../../src/cli/tsbmc.js', import.meta.url));
/** Node options the tsbmc command runs with (its shebang and `npm start`). */
export const NODE_ARGS = ['--max-semi-space-size=1'];
export const ADMIN_PASSWORD = 'Adm1nPassw0rd';

export interface BmcProcess {
  readonly proc: ChildProcess;
  readonly port: number;
  readonly ports: readonly number[];
  /** HTTPS port of the Redfish service. */
  readonly httpsPort: number;
  /** Plain-HTTP redirect port, when enabled. */
  readonly httpPort: number | undefined;
  /** https://127.0.0.1:PORT */
  readonly baseUrl: string;
  readonly stateDir: string;
  readonly stdout: () => string;
  readonly stderr: () => string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * `args` come after the defaults (ephemeral ports, ADMIN_PASSWORD), so they
 * override them (`--ipmi-port 26230`). `adminPassword: null` lets tsbmc
 * generate its own password(s).
 */
export async function startBmcProcess(
  opts: { args?: string[]; stateDir?: string; env?: NodeJS.ProcessEnv; keepState?: boolean; adminPassword?: string | null } = {},
): Promise<BmcProcess> {
  const stateDir = opts.stateDir ?? mkdtempSync(join(tmpdir(), 'tsbmc-test-'));
  const password = opts.adminPassword === null ? [] : ['--admin-password', opts.adminPassword ?? ADMIN_PASSWORD];
  const args = [...NODE_ARGS, CLI, '--state-dir', stateDir, '--ipmi-port', '0', '--https-port', '0', '--http-port', '0', ...password, '--log-level', 'warn', ...(opts.args ?? [])];
  const env = { ...process.env, ...(opts.adminPassword === null ? { TSBMC_ADMIN_PASSWORD: '' } : {}), ...opts.env };
  const proc = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const ports = await new Promise<number[]>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`tsbmc did not start in 15 s\nstdout:\n${out}\nstderr:\n${err}`)), 15_000);
    const check = (): void => {
      if (/^Try:/m.test(out)) {
        clearTimeout(timer);
        resolve([...out.matchAll(/udp [\d.]+:(\d+)/g)].map((m) => Number(m[1])));
      }
    };
    proc.stdout!.on('data', check);
    proc.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`tsbmc exited with ${code}\nstdout:\n${out}\nstderr:\n${err}`));
    });
  });
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  const httpsPort = Number(/https:\/\/[\d.]+:(\d+)\/redfish/.exec(out)?.[1]);
  const httpMatch = /HTTP: http:\/\/[\d.]+:(\d+)/.exec(out);
  return {
    proc,
    port: ports[0]!,
    ports,
    httpsPort,
    httpPort: httpMatch ? Number(httpMatch[1]) : undefined,
    baseUrl: `https://127.0.0.1:${httpsPort}`,
    stateDir,
    stdout: () => out,
    stderr: () => err,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      const code = await exited;
      if (!opts.keepState && !opts.stateDir) rmSync(stateDir, { recursive: true, force: true });
      return code;
    },
  };
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function run(cmd: string, args: readonly string[], timeoutMs = 20_000): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      resolve({ code, stdout: stdout.toString(), stderr: stderr.toString() });
    });
  });
}

/** ipmitool over lanplus (cipher 17 unless given) against the BMC (at 127.0.0.1 unless `host` says where). */
export function ipmitool(bmc: { port: number; host?: string }, args: readonly string[], opts: { iface?: string; cipher?: string | null; user?: string; password?: string } = {}): Promise<RunResult> {
  const iface = opts.iface ?? 'lanplus';
  const base = ['-I', iface, '-H', bmc.host ?? '127.0.0.1', '-p', String(bmc.port), '-U', opts.user ?? 'admin', '-P', opts.password ?? ADMIN_PASSWORD, '-N', '1', '-R', '2'];
  if (iface === 'lanplus' && opts.cipher !== null) base.push('-C', opts.cipher ?? '17');
  return run('ipmitool', [...base, ...args]);
}

/** A FreeIPMI tool against the BMC (IPMI 2.0, cipher 17 unless given). */
export function freeipmi(tool: string, bmc: { port: number; stateDir?: string; host?: string }, args: readonly string[], opts: { cipher?: string; user?: string; password?: string; driver?: string } = {}): Promise<RunResult> {
  // FreeIPMI caches SDRs per host:port under $HOME; ports are reused between
  // test runs, so each BMC gets its own cache directory.
  const cache = ['ipmi-sensors', 'ipmi-sel', 'ipmi-fru'].includes(tool) && bmc.stateDir ? ['--sdr-cache-directory', bmc.stateDir] : [];
  const base = [
    ...cache,
    '-h', `${bmc.host ?? '127.0.0.1'}:${bmc.port}`,
    '-u', opts.user ?? 'admin',
    '-p', opts.password ?? ADMIN_PASSWORD,
    '-D', opts.driver ?? 'LAN_2_0',
    '-I', opts.cipher ?? '17',
    '-l', 'ADMIN',
    '--session-timeout', '5000',
    '--retransmission-timeout', '1000',
  ];
  return run(tool, [...base, ...args]);
}

/** Parses `ipmitool chassis status`-style "Key : Value" lines. */
export function keyValues(text: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of text.split('\n')) {
    const i = line.indexOf(':');
    if (i < 0) continue;
    m.set(line.slice(0, i).trim(), line.slice(i + 1).trim());
  }
  return m;
}

export async function waitFor<T>(fn: () => Promise<T | undefined>, timeoutMs = 10_000, everyMs = 200): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** A Redfish request with Node's fetch-free https client (self-signed certificate accepted). */
export async function redfish(
  bmc: { httpsPort: number; host?: string },
  method: string,
  path: string,
  opts: { body?: unknown; rawBody?: string; user?: string; password?: string; token?: string; headers?: Record<string, string>; noAuth?: boolean; raw?: boolean } = {},
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: any; text: string; raw?: Buffer }> {
  const { request } = await import('node:https');
  const headers: Record<string, string> = { Accept: 'application/json', ...(opts.headers ?? {}) };
  if (opts.token) headers['X-Auth-Token'] = opts.token;
  else if (!opts.noAuth) headers.Authorization = `Basic ${Buffer.from(`${opts.user ?? 'admin'}:${opts.password ?? ADMIN_PASSWORD}`).toString('base64')}`;
  const payload = opts.rawBody ?? (opts.body !== undefined ? JSON.stringify(opts.body) : undefined);
  if (payload !== undefined) {
    headers['Content-Type'] = 'application/json';
    // Node sends DELETE bodies without framing unless told the length
    headers['Content-Length'] = String(Buffer.byteLength(payload));
  }
  return new Promise((resolve, reject) => {
    const req = request({ host: bmc.host ?? '127.0.0.1', port: bmc.httpsPort, method, path, headers, rejectUnauthorized: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () => {
        const raw = Buffer.concat(chunks);
        if (opts.raw) {
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: undefined, text: '', raw });
          return;
        }
        const text = raw.toString('utf8');
        let body: unknown;
        try {
          body = text ? JSON.parse(text) : undefined;
        } catch {
          body = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, text });
      });
    });
    req.on('error', reject);
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

/** Runs a Python snippet with Debian's python3 (where python3-sushy lives). */
export function python(code: string, env: Record<string, string> = {}, timeoutMs = 60_000): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = execFile('/usr/bin/python3', ['-c', code], { timeout: timeoutMs, env: { ...process.env, ...env } }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      resolve({ code, stdout: stdout.toString(), stderr: stderr.toString() });
    });
    child.stdin?.end();
  });
}
