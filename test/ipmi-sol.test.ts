// Serial over LAN with real clients against the real process: ipmitool
// (lanplus, cipher suite 17) and FreeIPMI's ipmiconsole run in a pseudo
// terminal (util-linux `script`), log in to the simulated host's console,
// run a command and read its answer; `sol deactivate` from another process,
// a refused second activation, `sol info`, and the console log on disk.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ADMIN_PASSWORD, ipmitool, keyValues, startBmcProcess, waitFor, type BmcProcess } from './helpers/bmc-process.js';

/** A command run in a pty by `script`; what it prints is collected, keystrokes go to its terminal. */
class PtyClient {
  readonly proc: ChildProcess;
  out = '';
  readonly exited: Promise<number | null>;

  constructor(argv: readonly string[]) {
    const cmd = argv.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
    this.proc = spawn('script', ['-q', '-e', '-c', cmd, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.proc.stdout!.on('data', (d: Buffer) => (this.out += d.toString('latin1')));
    this.proc.stderr!.on('data', (d: Buffer) => (this.out += d.toString('latin1')));
    this.exited = new Promise((resolve) => this.proc.on('exit', (code) => resolve(code)));
  }

  type(s: string): void {
    this.proc.stdin!.write(s);
  }

  /** Waits until the output matches; `poke` is typed every second meanwhile. */
  async expect(re: RegExp, timeoutMs = 10_000, poke?: string): Promise<void> {
    const end = Date.now() + timeoutMs;
    let nextPoke = Date.now();
    while (!re.test(this.out)) {
      if (this.proc.exitCode !== null) throw new Error(`exited (${this.proc.exitCode}) before ${re}; output:\n${this.out}`);
      if (Date.now() > end) throw new Error(`no ${re} in ${timeoutMs} ms; output:\n${this.out}`);
      if (poke !== undefined && Date.now() >= nextPoke) {
        this.type(poke);
        nextPoke = Date.now() + 1000;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async exit(timeoutMs = 10_000): Promise<number | null> {
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), timeoutMs);
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }
}

let bmc: BmcProcess;
const ipmitoolArgs = (port: number): string[] =>
  ['ipmitool', '-I', 'lanplus', '-C', '17', '-H', '127.0.0.1', '-p', String(port), '-U', 'admin', '-P', ADMIN_PASSWORD, '-N', '1', '-R', '2'];

before(async () => {
  // libipmiconsole keeps the port in a signed 16-bit field ("hostname invalid" from
  // 32768 on), so this BMC listens below the ephemeral range: a few random tries.
  for (let attempt = 0; ; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    try {
      bmc = await startBmcProcess({ args: ['--ipmi-port', String(port)] });
      return;
    } catch (err) {
      if (attempt >= 4) throw err;
    }
  }
});
after(async () => {
  await bmc.stop();
});

test('ipmitool sol activate: login through SOL, a command and its answer, a second activation refused, ~. leaves', async () => {
  const on = await ipmitool(bmc, ['chassis', 'power', 'on']);
  assert.equal(on.code, 0, on.stderr);
  const sol = new PtyClient([...ipmitoolArgs(bmc.port), 'sol', 'activate']);
  try {
    await sol.expect(/\[SOL Session operational/);
    // new output only (as a real SOL): the boot finishes with a login prompt; Enter asks again
    await sol.expect(/login: $/, 20_000, '\r');
    sol.type('root\r');
    await sol.expect(/Password: $/);
    sol.type('tsbmc\r');
    await sol.expect(/# $/);
    sol.type('echo sol-works\r');
    await sol.expect(/\nsol-works\r?\n/);

    const second = await ipmitool(bmc, ['sol', 'activate']);
    assert.notEqual(second.code, 0);
    assert.match(second.stderr, /Info: SOL payload already active on another session/);

    const status = await ipmitool(bmc, ['raw', '0x06', '0x4a', '0x01']);
    assert.equal(status.stdout.trim(), '01 01 00');

    sol.type('\r~.');
    await sol.expect(/\[terminated ipmitool\]/);
    assert.equal(await sol.exit(), 0);
  } finally {
    sol.proc.kill('SIGKILL');
  }
  // ipmitool deactivated on its way out
  const status = await ipmitool(bmc, ['raw', '0x06', '0x4a', '0x01']);
  assert.equal(status.stdout.trim(), '01 00 00');
});

test('ipmitool sol deactivate from another process ends the active SOL', async () => {
  const sol = new PtyClient([...ipmitoolArgs(bmc.port), 'sol', 'activate']);
  try {
    await sol.expect(/\[SOL Session operational/);
    const d = await ipmitool(bmc, ['sol', 'deactivate']);
    assert.equal(d.code, 0, d.stderr);
    assert.equal((await ipmitool(bmc, ['raw', '0x06', '0x4a', '0x01'])).stdout.trim(), '01 00 00');
    // the first console's next keystroke goes unacknowledged: ipmitool gives up
    sol.type('x');
    await sol.expect(/SOL session closed by BMC/, 20_000);
    assert.equal(await sol.exit(), 1);
    const again = await ipmitool(bmc, ['sol', 'deactivate']);
    assert.match(again.stderr, /SOL payload already de-activated/);
  } finally {
    sol.proc.kill('SIGKILL');
  }
});

test('FreeIPMI ipmiconsole sends a line and reads the answer; &. leaves', async () => {
  const con = new PtyClient(['ipmiconsole', '-h', `127.0.0.1:${bmc.port}`, '-u', 'admin', '-p', ADMIN_PASSWORD, '-I', '17', '--dont-steal']);
  try {
    await con.expect(/\[SOL established\]/);
    // logged in by the previous test: the shell prompt comes back on Enter
    await con.expect(/# $/, 10_000, '\r');
    con.type('echo via-freeipmi\r');
    await con.expect(/\nvia-freeipmi\r?\n/);
    con.type('&.');
    await con.expect(/closing the connection/);
    assert.equal(await con.exit(), 0);
  } finally {
    con.proc.kill('SIGKILL');
  }
});

test('ipmitool sol info 1 shows the configuration', async () => {
  const r = await ipmitool(bmc, ['sol', 'info', '1']);
  assert.equal(r.code, 0, r.stderr);
  const kv = keyValues(r.stdout);
  assert.equal(kv.get('Enabled'), 'true');
  assert.equal(kv.get('Force Encryption'), 'true');
  assert.equal(kv.get('Privilege Level'), 'OPERATOR');
  assert.equal(kv.get('Payload Port'), String(bmc.port));
});

test('the console log holds what the sessions saw', async () => {
  const path = join(bmc.stateDir, 'console', 'bmc0', 'host0.log');
  const text = await waitFor(async () => {
    try {
      const t = readFileSync(path, 'latin1');
      return t.includes('via-freeipmi') ? t : undefined;
    } catch {
      return undefined;
    }
  }, 5000);
  assert.match(text, /Linux version/);
  assert.match(text, /\nsol-works\r?\n/);
  assert.match(text, /\nvia-freeipmi\r?\n/);
});
