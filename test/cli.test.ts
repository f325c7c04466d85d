// The tsbmc command line: help, the generated password shown once, and clear
// errors for a bad profile, a busy port and an unwritable state directory.
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { CLI, ipmitool, run, startBmcProcess } from './helpers/bmc-process.js';

test('--help explains the options', async () => {
  const r = await run(process.execPath, [CLI, '--help']);
  assert.equal(r.code, 0);
  for (const o of ['--profile', '--state-dir', '--listen', '--ipmi-port', '--admin-user', '--admin-password', 'TSBMC_ADMIN_PASSWORD', '--log-level']) {
    assert.ok(r.stdout.includes(o), o);
  }
});

test('unknown option is a usage error', async () => {
  const r = await run(process.execPath, [CLI, '--bogus']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /tsbmc: .*bogus/);
});

test('first start generates a password, prints it once, and it works', async () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'tsbmc-cli-'));
  try {
    const args = [CLI, '--state-dir', stateDir, '--ipmi-port', '0', '--log-level', 'warn'];
    const { spawn } = await import('node:child_process');
    const start = async (): Promise<{ out: string; port: number; stop: () => Promise<void> }> => {
      const p = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TSBMC_ADMIN_PASSWORD: '' } });
      let out = '';
      await new Promise<void>((resolve, reject) => {
        p.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          if (/^Try:/m.test(out)) resolve();
        });
        p.on('exit', () => reject(new Error(out)));
      });
      const port = Number(/udp [\d.]+:(\d+)/.exec(out)?.[1]);
      return { out, port, stop: async () => void (p.kill(), await new Promise((r) => p.on('exit', r))) };
    };
    const first = await start();
    const pw = /shown only now[^\n]*\n\s+(\S+)/.exec(first.out)?.[1];
    assert.ok(pw && pw.length >= 12, first.out);
    assert.ok(first.out.includes(`-P ${pw}`));
    const r = await ipmitool({ port: first.port }, ['chassis', 'status'], { password: pw });
    assert.equal(r.code, 0, r.stderr);
    await first.stop();
    const second = await start();
    assert.ok(!second.out.includes(pw), 'password printed only at first start');
    const r2 = await ipmitool({ port: second.port }, ['mc', 'info'], { password: pw });
    assert.equal(r2.code, 0, r2.stderr);
    await second.stop();
  } finally {
    rmSync(stateDir, { recursive: true, force: true });
  }
});

test('a bad profile is reported with its path and problem', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tsbmc-prof-'));
  try {
    const file = join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify({ name: 'x', bmc: { manufacturerId: 1 }, host: { sensors: [] } }));
    const r = await run(process.execPath, [CLI, '--profile', file, '--state-dir', join(dir, 's'), '--ipmi-port', '0']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /bad\.json: invalid profile/);
    const r2 = await run(process.execPath, [CLI, '--profile', join(dir, 'missing.json'), '--state-dir', join(dir, 's'), '--ipmi-port', '0']);
    assert.equal(r2.code, 1);
    assert.match(r2.stderr, /cannot read profile .*missing\.json/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a busy port is reported', async () => {
  const sock = createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  const port = sock.address().port;
  const dir = mkdtempSync(join(tmpdir(), 'tsbmc-busy-'));
  try {
    const r = await run(process.execPath, [CLI, '--ipmi-port', String(port), '--state-dir', dir, '--admin-password', 'x12345678']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /already in use/);
  } finally {
    sock.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an unwritable state directory is reported', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tsbmc-ro-'));
  try {
    const file = join(dir, 'file');
    writeFileSync(file, 'x');
    const r = await run(process.execPath, [CLI, '--state-dir', join(file, 'state'), '--ipmi-port', '0', '--admin-password', 'x12345678']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /state/i);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('multi-host chassis: one endpoint per host, power is per host', async () => {
  const bmc = await startBmcProcess({ args: ['--hosts', '3'] });
  try {
    assert.equal(bmc.ports.length, 3);
    const on = await ipmitool({ port: bmc.ports[2]! }, ['chassis', 'power', 'on']);
    assert.equal(on.code, 0, on.stderr);
    const s0 = await ipmitool({ port: bmc.ports[0]! }, ['chassis', 'power', 'status']);
    const s2 = await ipmitool({ port: bmc.ports[2]! }, ['chassis', 'power', 'status']);
    assert.match(s0.stdout, /is off/);
    assert.match(s2.stdout, /is on/);
  } finally {
    await bmc.stop();
  }
});

test('--tls-cert/--tls-key install the given certificate; a mismatched pair is refused', async () => {
  const { selfSignedCertificate } = await import('../src/redfish/x509.js');
  const { connect } = await import('node:tls');
  const { X509Certificate } = await import('node:crypto');
  const dir = mkdtempSync(join(tmpdir(), 'tsbmc-tls-'));
  try {
    const a = selfSignedCertificate({ commonName: 'bmc.example', organization: 'Example', hosts: ['127.0.0.1'], days: 30 });
    const b = selfSignedCertificate({ commonName: 'other', organization: 'Example', hosts: ['127.0.0.1'], days: 30 });
    writeFileSync(join(dir, 'a.crt'), a.certPem);
    writeFileSync(join(dir, 'a.key'), a.keyPem);
    writeFileSync(join(dir, 'b.key'), b.keyPem);
    const bad = await run(process.execPath, [CLI, '--state-dir', join(dir, 's1'), '--ipmi-port', '0', '--https-port', '0', '--http-port', '0', '--tls-cert', join(dir, 'a.crt'), '--tls-key', join(dir, 'b.key'), '--admin-password', 'x12345678']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /key does not belong to the certificate/);
    const bmc = await startBmcProcess({ args: ['--tls-cert', join(dir, 'a.crt'), '--tls-key', join(dir, 'a.key')] });
    try {
      const served = await new Promise<string>((resolve, reject) => {
        const s = connect({ host: '127.0.0.1', port: bmc.httpsPort, rejectUnauthorized: false }, () => {
          resolve(s.getPeerCertificate().fingerprint256);
          s.end();
        });
        s.on('error', reject);
      });
      assert.equal(served, new X509Certificate(a.certPem).fingerprint256);
    } finally {
      await bmc.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
