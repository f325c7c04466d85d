// IPMI sessions with real ipmitool: RMCP+ cipher suites 3 and 17, no -C
// (cipher suite discovery must not stall), IPMI v1.5 with MD5, and refusals
// that a real BMC gives (wrong password, unknown user, cipher 0, too much
// privilege) answered quickly rather than by a time-out.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ipmitool, keyValues, startBmcProcess, type BmcProcess } from './helpers/bmc-process.js';

let bmc: BmcProcess;
before(async () => {
  bmc = await startBmcProcess();
  const r = await ipmitool(bmc, ['user', 'set', 'name', '3', 'oper']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal((await ipmitool(bmc, ['user', 'set', 'password', '3', 'operpass'])).code, 0);
  assert.equal((await ipmitool(bmc, ['channel', 'setaccess', '1', '3', 'callin=on', 'ipmi=on', 'link=on', 'privilege=3'])).code, 0);
  assert.equal((await ipmitool(bmc, ['user', 'enable', '3'])).code, 0);
});
after(async () => {
  await bmc.stop();
});

for (const cipher of ['3', '17']) {
  test(`lanplus -C ${cipher}: mc info`, async () => {
    const r = await ipmitool(bmc, ['mc', 'info'], { cipher });
    assert.equal(r.code, 0, r.stderr);
    const kv = keyValues(r.stdout);
    assert.equal(kv.get('IPMI Version'), '2.0');
    assert.equal(kv.get('Firmware Revision'), '0.01');
  });
}

test('lanplus without -C finds a cipher suite without stalling', async () => {
  const t0 = Date.now();
  const r = await ipmitool(bmc, ['chassis', 'power', 'status'], { cipher: null });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /Chassis Power is (on|off)/);
  assert.ok(Date.now() - t0 < 5000, `took ${Date.now() - t0} ms`);
});

test('IPMI v1.5 (-I lan) with MD5 authentication', async () => {
  const r = await ipmitool(bmc, ['mc', 'info'], { iface: 'lan' });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /IPMI Version\s+: 2\.0/);
});

test('IPMI v1.5 wrong password is refused', async () => {
  const r = await ipmitool(bmc, ['mc', 'info'], { iface: 'lan', password: 'wrong-password' });
  assert.notEqual(r.code, 0);
});

test('wrong password is answered (RAKP 4 error), not timed out', async () => {
  const t0 = Date.now();
  const r = await ipmitool(bmc, ['mc', 'info'], { password: 'not-the-password' });
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /RAKP|integrity|unauthorized|password|Unable to establish/i);
  assert.ok(Date.now() - t0 < 5000, `took ${Date.now() - t0} ms`);
});

test('unknown user is answered with unauthorized name', async () => {
  const r = await ipmitool(bmc, ['mc', 'info'], { user: 'nobody' });
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /unauthorized name|RAKP 2|Unable to establish/i);
});

test('cipher suite 0 is refused by default', async () => {
  const r = await ipmitool(bmc, ['mc', 'info'], { cipher: '0' });
  assert.notEqual(r.code, 0);
});

test('an operator asking for administrator is refused; operator works', async () => {
  const bad = await ipmitool(bmc, ['-L', 'ADMINISTRATOR', 'mc', 'info'], { user: 'oper', password: 'operpass' });
  assert.notEqual(bad.code, 0);
  const ok = await ipmitool(bmc, ['-L', 'OPERATOR', 'chassis', 'status'], { user: 'oper', password: 'operpass' });
  assert.equal(ok.code, 0, ok.stderr);
  // an operator cannot manage users (administrator command): 0xD4
  const denied = await ipmitool(bmc, ['-L', 'OPERATOR', 'raw', '0x06', '0x45', '0x04', ...Array(16).fill('0x41')], { user: 'oper', password: 'operpass' });
  assert.notEqual(denied.code, 0);
  assert.match(denied.stderr, /rsp=0xd4|Insufficient privilege/i);
});

test('session info all lists the active session', async () => {
  const r = await ipmitool(bmc, ['session', 'info', 'all']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /session handle\s+: \d+/);
  assert.match(r.stdout, /privilege level\s+: ADMINISTRATOR/);
  assert.match(r.stdout, /channel number\s+: 0x01/);
});

test('channel authcap and getciphers', async () => {
  const a = await ipmitool(bmc, ['channel', 'authcap', '1', '4']);
  assert.equal(a.code, 0, a.stderr);
  assert.match(a.stdout, /Channel supports IPMI v2\.0 : yes/);
  assert.match(a.stdout, /IPMI v1\.5  auth types\s+: MD5 \n/);
  assert.match(a.stdout, /Anonymous login enabled\s+: no/);
  const c = await ipmitool(bmc, ['channel', 'getciphers', 'ipmi', '1']);
  assert.equal(c.code, 0, c.stderr);
  for (const id of ['1', '2', '3', '17']) assert.match(c.stdout, new RegExp(`^${id}\\s`, 'm'));
  assert.doesNotMatch(c.stdout, /^0\s/m);
});
