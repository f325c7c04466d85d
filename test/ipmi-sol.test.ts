// Serial over LAN with real clients against the real process: ipmitool
// (lanplus, cipher suite 17) and FreeIPMI's ipmiconsole run in a pseudo
// terminal (util-linux `script`), log in to the simulated host's console,
// run a command and read its answer; `sol deactivate` from another process,
// a refused second activation, `sol info`, and the console log on disk.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { ADMIN_PASSWORD, freeipmi, ipmitool, keyValues, redfish, startBmcProcess, waitFor, type BmcProcess } from './helpers/bmc-process.js';

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

/** Sets SOL configuration parameter C0h (takeover) with ipmitool raw. */
async function setTakeover(on: boolean): Promise<void> {
  const r = await ipmitool(bmc, ['raw', '0x0c', '0x21', '0x01', '0xc0', on ? '0x01' : '0x00']);
  assert.equal(r.code, 0, r.stderr);
}

test('takeover configured: a second ipmitool takes the SOL over, the first ends with "SOL session closed by BMC"', async () => {
  await setTakeover(true);
  const first = new PtyClient([...ipmitoolArgs(bmc.port), 'sol', 'activate']);
  let second: PtyClient | undefined;
  try {
    await first.expect(/\[SOL Session operational/);
    const firstInfo = await ipmitool(bmc, ['raw', '0x06', '0x4b', '0x01', '0x01']);
    second = new PtyClient([...ipmitoolArgs(bmc.port), 'sol', 'activate']);
    await second.expect(/\[SOL Session operational/);
    const secondInfo = await ipmitool(bmc, ['raw', '0x06', '0x4b', '0x01', '0x01']);
    // Get Payload Instance Info: the instance moved to another session
    assert.notEqual(firstInfo.stdout.trim().slice(0, 11), secondInfo.stdout.trim().slice(0, 11));
    // ipmitool ignores the "SOL deactivating" status; its next keystroke goes unacknowledged
    first.type('x');
    await first.expect(/SOL session closed by BMC/, 20_000);
    assert.equal(await first.exit(), 1);
    // logged in by the first test: the prompt comes back on Enter
    await second.expect(/# $/, 10_000, '\r');
    second.type('echo takeover-ok\r');
    await second.expect(/\ntakeover-ok\r?\n/);
    second.type('\r~.');
    await second.expect(/\[terminated ipmitool\]/);
    assert.equal(await second.exit(), 0);
  } finally {
    first.proc.kill('SIGKILL');
    second?.proc.kill('SIGKILL');
    await setTakeover(false);
  }
});

test('takeover configured: FreeIPMI ipmiconsole that loses the SOL reports it stolen (status bit "SOL deactivating")', async () => {
  await setTakeover(true);
  const con = new PtyClient(['ipmiconsole', '-h', `127.0.0.1:${bmc.port}`, '-u', 'admin', '-p', ADMIN_PASSWORD, '-I', '17', '--dont-steal']);
  let sol: PtyClient | undefined;
  try {
    await con.expect(/\[SOL established\]/);
    sol = new PtyClient([...ipmitoolArgs(bmc.port), 'sol', 'activate']);
    await sol.expect(/\[SOL Session operational/);
    await con.expect(/\[SOL session stolen\]/);
    await con.exit();
    sol.type('\r~.');
    await sol.expect(/\[terminated ipmitool\]/);
    assert.equal(await sol.exit(), 0);
  } finally {
    con.proc.kill('SIGKILL');
    sol?.proc.kill('SIGKILL');
    await setTakeover(false);
  }
  // without takeover the second activation is refused again
  const held = new PtyClient([...ipmitoolArgs(bmc.port), 'sol', 'activate']);
  try {
    await held.expect(/\[SOL Session operational/);
    const second = await ipmitool(bmc, ['sol', 'activate']);
    assert.match(second.stderr, /Info: SOL payload already active on another session/);
    held.type('\r~.');
    assert.equal(await held.exit(), 0);
  } finally {
    held.proc.kill('SIGKILL');
  }
});

/** SOL packets ipmitool -vvvvv dumped as received ("<< received packet"), with their payload type byte. */
function receivedSol(out: string): { encrypted: boolean; hex: string }[] {
  const packets: { encrypted: boolean; hex: string }[] = [];
  for (const m of out.matchAll(/<< received packet \(\d+ bytes\)\r?\n((?: [0-9a-f]{2}(?:\r?\n)?)+)/g)) {
    const bytes = m[1]!.trim().split(/\s+/).map((h) => parseInt(h, 16));
    if (bytes[4] === 0x06 && (bytes[5]! & 0x3f) === 0x01) packets.push({ encrypted: (bytes[5]! & 0x80) !== 0, hex: bytes.map((b) => b.toString(16).padStart(2, '0')).join('') });
  }
  return packets;
}

const hexOf = (s: string): string => Buffer.from(s, 'latin1').toString('hex');

test('Suspend/Resume Payload Encryption (ipmitool raw 0x06 0x55): codes 83h and 81h, then SOL in clear and encrypted again', async () => {
  const idle = await ipmitool(bmc, ['raw', '0x06', '0x55', '0x01', '0x01', '0x00']);
  assert.notEqual(idle.code, 0);
  assert.match(idle.stderr, /cmd=0x55 rsp=0x83/);
  const reserved = await ipmitool(bmc, ['raw', '0x06', '0x55', '0x01', '0x01', '0x03']);
  assert.match(reserved.stderr, /cmd=0x55 rsp=0xcc/);
  // FreeIPMI's ipmi-raw (LUN, NetFn, Cmd, data): not active; IPMI payload has no encryption to suspend
  assert.equal((await freeipmi('ipmi-raw', bmc, ['00', '06', '55', '01', '01', '00'])).stdout.trim(), 'rcvd: 55 83');
  assert.equal((await freeipmi('ipmi-raw', bmc, ['00', '06', '55', '00', '01', '00'])).stdout.trim(), 'rcvd: 55 80');
  const sol = new PtyClient([...ipmitoolArgs(bmc.port).slice(0, 1), '-v', '-v', '-v', '-v', '-v', ...ipmitoolArgs(bmc.port).slice(1), 'sol', 'activate']);
  try {
    await sol.expect(/\[SOL Session operational/);
    // force encryption (sol info: true) forbids suspending
    const forced = await ipmitool(bmc, ['raw', '0x06', '0x55', '0x01', '0x01', '0x00']);
    assert.match(forced.stderr, /cmd=0x55 rsp=0x81/);
    assert.equal((await freeipmi('ipmi-raw', bmc, ['00', '06', '55', '01', '01', '00'])).stdout.trim(), 'rcvd: 55 81');
    const set = await ipmitool(bmc, ['sol', 'set', 'force-encryption', 'false', '1']);
    assert.equal(set.code, 0, set.stderr);
    const suspend = await ipmitool(bmc, ['raw', '0x06', '0x55', '0x01', '0x01', '0x00']);
    assert.equal(suspend.code, 0, suspend.stderr);
    await sol.expect(/# $/, 10_000, '\r');
    sol.type('echo suspended-ok\r');
    await sol.expect(/\nsuspended-ok\r?\n/);
    // the answer came in clear: its characters are readable in the datagram
    const clear = receivedSol(sol.out).filter((p) => p.hex.includes(hexOf('suspended-ok')));
    assert.ok(clear.length > 0 && clear.every((p) => !p.encrypted), 'SOL data in clear while suspended');
    const resume = await ipmitool(bmc, ['raw', '0x06', '0x55', '0x01', '0x01', '0x01']);
    assert.equal(resume.code, 0, resume.stderr);
    const iv = await ipmitool(bmc, ['raw', '0x06', '0x55', '0x01', '0x01', '0x02']);
    assert.equal(iv.code, 0, iv.stderr);
    const mark = sol.out.length;
    sol.type('echo resumed-ok\r');
    await sol.expect(/\nresumed-ok\r?\n/);
    const after = receivedSol(sol.out.slice(mark));
    assert.ok(after.length > 0 && after.every((p) => p.encrypted), 'SOL encrypted again after resume');
    assert.ok(!after.some((p) => p.hex.includes(hexOf('resumed-ok'))));
    sol.type('\r~.');
    await sol.expect(/\[terminated ipmitool\]/);
  } finally {
    sol.proc.kill('SIGKILL');
    await ipmitool(bmc, ['sol', 'set', 'force-encryption', 'true', '1']);
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

test('Redfish SerialConsole describes SOL (port, enabled) and the web console; ipmitool sol set enabled false shows there', async () => {
  const sys = await redfish(bmc, 'GET', '/redfish/v1/Systems/system');
  assert.equal(sys.status, 200);
  assert.deepEqual(sys.body.SerialConsole, {
    MaxConcurrentSessions: 5,
    IPMI: { ServiceEnabled: true, Port: bmc.port, HotKeySequenceDisplay: 'Press ~. to exit console' },
    WebSocket: { ServiceEnabled: true, ConsoleURI: '/ws/console?system=system', Interactive: true },
  });
  const mgr = await redfish(bmc, 'GET', '/redfish/v1/Managers/bmc');
  assert.deepEqual(mgr.body.SerialConsole, { ServiceEnabled: true, MaxConcurrentSessions: 5, ConnectTypesSupported: ['IPMI', 'Oem'] });
  assert.equal((await ipmitool(bmc, ['sol', 'set', 'enabled', 'false', '1'])).code, 0);
  try {
    const off = await redfish(bmc, 'GET', '/redfish/v1/Systems/system');
    assert.equal(off.body.SerialConsole.IPMI.ServiceEnabled, false);
    const patch = await redfish(bmc, 'PATCH', '/redfish/v1/Systems/system', { body: { SerialConsole: { IPMI: { ServiceEnabled: true } } } });
    assert.equal(patch.status, 400);
    assert.equal(patch.body.error['@Message.ExtendedInfo'][0].MessageId, 'Base.1.22.1.PropertyNotWritable');
  } finally {
    assert.equal((await ipmitool(bmc, ['sol', 'set', 'enabled', 'true', '1'])).code, 0);
  }
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

test('profile sol.takeover gives the initial setting; a change over IPMI is persisted and wins after a restart', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tsbmc-sol-profile-'));
  const profile = JSON.parse(readFileSync(fileURLToPath(new URL('../../profiles/default-1u.json', import.meta.url)), 'utf8')) as Record<string, unknown>;
  writeFileSync(join(dir, 'profile.json'), JSON.stringify({ ...profile, sol: { takeover: true } }));
  const args = ['--profile', join(dir, 'profile.json')];
  const getTakeover = async (b: BmcProcess): Promise<string> => (await ipmitool(b, ['raw', '0x0c', '0x22', '0x01', '0xc0', '0x00', '0x00'])).stdout.trim();
  try {
    let b = await startBmcProcess({ args, stateDir: join(dir, 'state') });
    try {
      assert.equal(await getTakeover(b), '11 01');
      const off = await ipmitool(b, ['raw', '0x0c', '0x21', '0x01', '0xc0', '0x00']);
      assert.equal(off.code, 0, off.stderr);
    } finally {
      await b.stop();
    }
    b = await startBmcProcess({ args, stateDir: join(dir, 'state') });
    try {
      assert.equal(await getTakeover(b), '11 00');
    } finally {
      await b.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
