// Many BMCs in one tsbmc process (--bmcs): each is a BMC of its own to real
// clients (ipmitool, FreeIPMI, Redfish over HTTPS) on consecutive ports or
// consecutive loopback addresses, keeps its own state across a kill -9, and a
// clash on one BMC's port stops them all with a clear error.
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { connect } from 'node:tls';
import { ADMIN_PASSWORD, CLI, NODE_ARGS, freeipmi, ipmitool, keyValues, redfish, run, startBmcProcess } from './helpers/bmc-process.js';

/** Where BMC i of a fleet answers. */
interface Member {
  host: string;
  port: number;
  httpsPort: number;
  password: string;
  stateDir?: string;
}

function bindUdp(host: string, port: number): Promise<Socket | undefined> {
  return new Promise((resolve) => {
    const s = createSocket('udp4');
    s.once('error', () => resolve(undefined));
    s.bind(port, host, () => resolve(s));
  });
}

function bindTcp(host: string, port: number): Promise<Server | undefined> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(undefined));
    s.listen(port, host, () => resolve(s));
  });
}

async function release(socks: (Socket | Server | undefined)[]): Promise<void> {
  await Promise.all(socks.map((s) => new Promise<void>((r) => (s ? s.close(() => r()) : r()))));
}

/**
 * A base port P such that UDP P..P+count-1 and TCP P+1000..P+1000+2count-1
 * are free on every address (below Linux's ephemeral range, so other tests'
 * ephemeral ports do not take them meanwhile).
 */
async function freePorts(count: number, hosts: readonly string[] = ['127.0.0.1']): Promise<{ ipmi: number; https: number; http: number }> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const ipmi = 20000 + Math.floor(Math.random() * 10000);
    const https = ipmi + 1000;
    const http = https + count;
    const socks: (Socket | Server | undefined)[] = [];
    for (const h of hosts) {
      for (let i = 0; i < count; i++) {
        socks.push(await bindUdp(h, ipmi + i), await bindTcp(h, https + i), await bindTcp(h, http + i));
      }
    }
    const ok = socks.every((s) => s !== undefined);
    await release(socks);
    if (ok) return { ipmi, https, http };
  }
  throw new Error('no free port range found');
}

function portArgs(p: { ipmi: number; https: number; http: number }): string[] {
  return ['--ipmi-port', String(p.ipmi), '--https-port', String(p.https), '--http-port', String(p.http)];
}

async function ok(m: Member, args: string[], opts: { user?: string; password?: string } = {}): Promise<string> {
  const r = await ipmitool(m, args, { password: opts.password ?? m.password, user: opts.user });
  assert.equal(r.code, 0, `ipmitool -H ${m.host} -p ${m.port} ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

async function systemGuid(m: Member): Promise<string> {
  return keyValues(await ok(m, ['mc', 'guid'])).get('System GUID')!;
}

async function redfishUuid(m: Member): Promise<string> {
  const r = await redfish(m, 'GET', '/redfish/v1/Systems/system', { password: m.password });
  assert.equal(r.status, 200, r.text);
  return String(r.body.UUID);
}

function certificateFingerprint(m: Member): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: m.host, port: m.httpsPort, rejectUnauthorized: false, servername: undefined }, () => {
      resolve(s.getPeerCertificate().fingerprint256);
      s.end();
    });
    s.on('error', reject);
  });
}

async function selCount(m: Member): Promise<number> {
  return Number(keyValues(await ok(m, ['sel', 'info'])).get('Entries'));
}

test('--bmcs 3, port addressing: three separate BMCs on consecutive ports', async () => {
  const p = await freePorts(3);
  const bmc = await startBmcProcess({ args: ['--bmcs', '3', ...portArgs(p)] });
  try {
    const out = bmc.stdout();
    assert.match(out, /3 BMCs \(bmc0 to bmc2\)/);
    assert.ok(out.includes(`bmc0: IPMI udp 127.0.0.1:${p.ipmi}, Redfish https://127.0.0.1:${p.https}/redfish/v1, HTTP http://127.0.0.1:${p.http}`), out);
    assert.ok(out.includes(`bmc2: IPMI udp 127.0.0.1:${p.ipmi + 2}, Redfish https://127.0.0.1:${p.https + 2}/redfish/v1, HTTP http://127.0.0.1:${p.http + 2}`), out);
    assert.doesNotMatch(out, /Generated administrator password/);
    const m: Member[] = [0, 1, 2].map((i) => ({ host: '127.0.0.1', port: p.ipmi + i, httpsPort: p.https + i, password: ADMIN_PASSWORD, stateDir: bmc.stateDir }));

    // identities: GUIDs, MACs and certificates differ; Redfish's UUID is the BMC's own system GUID
    const guids = await Promise.all(m.map(systemGuid));
    assert.equal(new Set(guids).size, 3, guids.join(' '));
    const uuids = await Promise.all(m.map(redfishUuid));
    assert.deepEqual(uuids, guids);
    const macs = await Promise.all(m.map(async (b) => keyValues(await ok(b, ['lan', 'print', '1'])).get('MAC Address')));
    assert.equal(new Set(macs).size, 3, macs.join(' '));
    const prints = await Promise.all(m.map(certificateFingerprint));
    assert.equal(new Set(prints).size, 3);

    // a SEL entry added to BMC 1 is in BMC 1's log only
    const before = await Promise.all(m.map(selCount));
    const events = join(bmc.stateDir, 'ev.txt');
    writeFileSync(events, '0x04 0x01 0x30 0x01 0x07 0x00 0x00\n');
    await ok(m[1]!, ['sel', 'add', events]);
    const after = await Promise.all(m.map(selCount));
    assert.deepEqual(after, [before[0], before[1]! + 1, before[2]]);

    // power on BMC 2's host; the others stay off
    await ok(m[2]!, ['chassis', 'power', 'on']);
    const power = await Promise.all(m.map((b) => ok(b, ['chassis', 'power', 'status'])));
    assert.match(power[0]!, /is off/);
    assert.match(power[1]!, /is off/);
    assert.match(power[2]!, /is on/);

    // a user added over IPMI to BMC 0 exists there only
    await ok(m[0]!, ['user', 'set', 'name', '5', 'carol']);
    await ok(m[0]!, ['user', 'set', 'password', '5', 'carolpass1']);
    await ok(m[0]!, ['channel', 'setaccess', '1', '5', 'link=on', 'ipmi=on', 'callin=on', 'privilege=4']);
    await ok(m[0]!, ['user', 'enable', '5']);
    await ok(m[0]!, ['mc', 'info'], { user: 'carol', password: 'carolpass1' });
    const refused = await ipmitool(m[1]!, ['mc', 'info'], { user: 'carol', password: 'carolpass1' });
    assert.notEqual(refused.code, 0);
    const viaRedfish = await redfish(m[1]!, 'GET', '/redfish/v1/Systems/system', { user: 'carol', password: 'carolpass1' });
    assert.equal(viaRedfish.status, 401);
    assert.equal((await redfish(m[0]!, 'GET', '/redfish/v1/Systems/system', { user: 'carol', password: 'carolpass1' })).status, 200);

    // FreeIPMI sees a whole BMC behind one fleet member
    const sensors = await freeipmi('ipmi-sensors', m[1]!, ['--no-header-output', '--comma-separated-output']);
    assert.equal(sensors.code, 0, sensors.stderr);
    const rows = sensors.stdout.trim().split('\n');
    assert.ok(rows.length >= 10, sensors.stdout);
    assert.ok(rows.some((r) => /,Temperature,/.test(r)), sensors.stdout);

    assert.equal(await bmc.stop('SIGTERM'), 0);
    // SIGTERM stopped every BMC: their ports are free again
    const socks = [];
    for (const b of m) socks.push(await bindUdp('127.0.0.1', b.port), await bindTcp('127.0.0.1', b.httpsPort));
    assert.ok(socks.every((s) => s !== undefined), 'a port is still bound after SIGTERM');
    await release(socks);
  } finally {
    await bmc.stop();
  }
});

test('--bmcs 3 --bmc-addressing address: BMC i on 127.0.1.1 + i, all on the same ports', async () => {
  const hosts = ['127.0.1.1', '127.0.1.2', '127.0.1.3'];
  const p = await freePorts(1, hosts);
  const bmc = await startBmcProcess({ args: ['--bmcs', '3', '--bmc-addressing', 'address', '--listen', '127.0.1.1', ...portArgs(p)] });
  try {
    const out = bmc.stdout();
    assert.ok(out.includes(`bmc0: IPMI udp 127.0.1.1:${p.ipmi}, Redfish https://127.0.1.1:${p.https}/redfish/v1`), out);
    assert.ok(out.includes(`bmc2: IPMI udp 127.0.1.3:${p.ipmi}, Redfish https://127.0.1.3:${p.https}/redfish/v1`), out);
    const m: Member[] = hosts.map((host) => ({ host, port: p.ipmi, httpsPort: p.https, password: ADMIN_PASSWORD }));
    const guids = await Promise.all(m.map(systemGuid));
    assert.equal(new Set(guids).size, 3, guids.join(' '));
    assert.deepEqual(await Promise.all(m.map(redfishUuid)), guids);
    await ok(m[1]!, ['chassis', 'power', 'on']);
    assert.match(await ok(m[1]!, ['chassis', 'power', 'status']), /is on/);
    assert.match(await ok(m[2]!, ['chassis', 'power', 'status']), /is off/);
    // nothing answers on the fleet's ports at the next address
    const outside = await ipmitool({ host: '127.0.1.4', port: p.ipmi }, ['mc', 'info']);
    assert.notEqual(outside.code, 0);
  } finally {
    await bmc.stop();
  }
});

test('kill -9 and restart: each BMC keeps its SEL, users, GUIDs, certificate and generated password', async () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'tsbmc-fleet-'));
  try {
    const p = await freePorts(3);
    const args = ['--bmcs', '3', ...portArgs(p)];
    let bmc = await startBmcProcess({ stateDir, args, adminPassword: null });
    const out = bmc.stdout();
    const file = join(stateDir, 'admin-passwords');
    assert.ok(out.includes(`also in ${file}, mode 0600`), out);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const rows = readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => l && !l.startsWith('#'))
      .map((l) => l.split('\t'));
    assert.deepEqual(
      rows.map((r) => r.slice(0, 4)),
      [0, 1, 2].map((i) => [`bmc${i}`, 'admin', `127.0.0.1:${p.ipmi + i}`, `https://127.0.0.1:${p.https + i}`]),
    );
    const passwords = rows.map((r) => r[4]!);
    assert.equal(new Set(passwords).size, 3);
    for (const [i, pw] of passwords.entries()) {
      assert.match(out, new RegExp(`^  bmc${i}\\s+127\\.0\\.0\\.1:${p.ipmi + i}\\s+https://127\\.0\\.0\\.1:${p.https + i}\\s+${pw}$`, 'm'));
    }
    assert.doesNotMatch(bmc.stderr(), new RegExp(passwords.join('|')), 'a password reached the log');
    const m: Member[] = [0, 1, 2].map((i) => ({ host: '127.0.0.1', port: p.ipmi + i, httpsPort: p.https + i, password: passwords[i]! }));
    // a password of one BMC does not open another
    assert.notEqual((await ipmitool(m[1]!, ['mc', 'info'], { password: passwords[0] })).code, 0);

    for (const [i, b] of m.entries()) {
      await ok(b, ['sel', 'clear']);
      const events = join(stateDir, `ev${i}.txt`);
      writeFileSync(events, Array.from({ length: i + 1 }, (_, k) => `0x04 0x01 0x${(0x30 + i).toString(16)} 0x01 0x0${k + 1} 0x00 0x00`).join('\n') + '\n');
      await ok(b, ['sel', 'add', events]);
    }
    await ok(m[1]!, ['user', 'set', 'name', '6', 'dave']);
    const sels = await Promise.all(m.map((b) => ok(b, ['sel', 'list'])));
    const guids = await Promise.all(m.map(systemGuid));
    const prints = await Promise.all(m.map(certificateFingerprint));
    assert.equal(new Set(sels).size, 3);
    await bmc.stop('SIGKILL');

    bmc = await startBmcProcess({ stateDir, args, adminPassword: null });
    assert.doesNotMatch(bmc.stdout(), /Generated administrator password/);
    for (const pw of passwords) assert.ok(!bmc.stdout().includes(pw), 'a password printed again');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.deepEqual(await Promise.all(m.map((b) => ok(b, ['sel', 'list']))), sels);
    assert.deepEqual(await Promise.all(m.map(systemGuid)), guids);
    assert.deepEqual(await Promise.all(m.map(certificateFingerprint)), prints);
    assert.match(await ok(m[1]!, ['user', 'list', '1']), /^6\s+dave\s/m);
    assert.doesNotMatch(await ok(m[0]!, ['user', 'list', '1']), /dave/);
    assert.doesNotMatch(await ok(m[2]!, ['user', 'list', '1']), /dave/);
    for (const b of m) assert.equal((await redfish(b, 'GET', '/redfish/v1/Managers/bmc', { password: b.password })).status, 200);
    // the first BMC keeps the certificate folder a single BMC has
    assert.equal(new X509Certificate(readFileSync(join(stateDir, 'tls', 'tls.crt'))).fingerprint256, prints[0]);
    assert.equal(new X509Certificate(readFileSync(join(stateDir, 'tls', 'bmc2', 'tls.crt'))).fingerprint256, prints[2]);
    await bmc.stop();
  } finally {
    rmSync(stateDir, { recursive: true, force: true });
  }
});

test('a busy port on BMC 2 stops the fleet with a clear error, and no BMC keeps listening', async () => {
  const p = await freePorts(3);
  const dir = mkdtempSync(join(tmpdir(), 'tsbmc-fleet-busy-'));
  try {
    for (const [kind, bind] of [
      ['udp', () => bindUdp('127.0.0.1', p.ipmi + 2)],
      ['tcp', () => bindTcp('127.0.0.1', p.https + 2)],
    ] as const) {
      const blocker = await bind();
      assert.ok(blocker);
      const r = await run(process.execPath, [...NODE_ARGS, CLI, '--bmcs', '3', ...portArgs(p), '--state-dir', join(dir, kind), '--admin-password', ADMIN_PASSWORD, '--log-level', 'warn']);
      await release([blocker]);
      assert.equal(r.code, 1, r.stderr);
      if (kind === 'udp') assert.match(r.stderr, new RegExp(`^tsbmc: bmc2: UDP port 127\\.0\\.0\\.1:${p.ipmi + 2} .*already in use$`, 'm'));
      else assert.match(r.stderr, new RegExp(`^tsbmc: bmc2: TCP port 127\\.0\\.0\\.1:${p.https + 2} .*already in use$`, 'm'));
      assert.doesNotMatch(r.stdout, /Try:/);
      const socks = [];
      for (let i = 0; i < 3; i++) socks.push(await bindUdp('127.0.0.1', p.ipmi + i), await bindTcp('127.0.0.1', p.https + i), await bindTcp('127.0.0.1', p.http + i));
      assert.ok(socks.every((s) => s !== undefined), `a ${kind} port is still bound`);
      await release(socks);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('--help describes --bmcs and both addressing schemes', async () => {
  const r = await run(process.execPath, [CLI, '--help']);
  assert.equal(r.code, 0);
  for (const s of ['--bmcs N', '--bmc-addressing MODE', 'ipmi-port + i x hosts', '--listen + i', 'admin-passwords']) assert.ok(r.stdout.includes(s), s);
});

test('fleet usage errors: range, IPv6, overlapping port ranges', async () => {
  const cases: [string[], RegExp][] = [
    [['--bmcs', '0'], /--bmcs must be between 1 and 1000/],
    [['--bmcs', '1001'], /--bmcs must be between 1 and 1000/],
    [['--bmcs', '2', '--bmc-addressing', 'address', '--listen', '::1'], /IPv4 --listen.*IPv6 is not supported/],
    [['--bmcs', '10', '--bmc-addressing', 'address', '--listen', '127.255.255.250'], /would run past 127\.255\.255\.255/],
    [['--bmcs', '500', '--https-port', '8443', '--http-port', '8080'], /--https-port \(8443-8942\) and --http-port \(8080-8579\) overlap/],
    [['--bmcs', '100', '--ipmi-port', '65500'], /--ipmi-port 65500 leaves no room for 100 BMCs/],
    [['--bmc-addressing', 'vlan'], /--bmc-addressing must be port or address/],
  ];
  const dir = mkdtempSync(join(tmpdir(), 'tsbmc-fleet-usage-'));
  try {
    for (const [args, msg] of cases) {
      const r = await run(process.execPath, [CLI, '--state-dir', dir, '--admin-password', ADMIN_PASSWORD, ...args]);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, msg);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
