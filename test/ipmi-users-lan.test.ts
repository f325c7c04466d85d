// Users, channels and LAN configuration with real ipmitool; a user created
// over IPMI can open a session with the password it was given.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ipmitool, keyValues, startBmcProcess, type BmcProcess } from './helpers/bmc-process.js';

let bmc: BmcProcess;
before(async () => {
  bmc = await startBmcProcess();
});
after(async () => {
  await bmc.stop();
});

async function ok(args: string[], opts: Parameters<typeof ipmitool>[2] = {}): Promise<string> {
  const r = await ipmitool(bmc, args, opts);
  assert.equal(r.code, 0, `ipmitool ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

test('user list, set name, set password, priv, enable, disable', async () => {
  let list = await ok(['user', 'list', '1']);
  assert.match(list, /^2\s+admin\s+true\s+true\s+true\s+ADMINISTRATOR/m);
  await ok(['user', 'set', 'name', '5', 'alice']);
  await ok(['user', 'set', 'password', '5', 'alicepw1234']);
  await ok(['user', 'priv', '5', '2', '1']);
  await ok(['channel', 'setaccess', '1', '5', 'ipmi=on', 'link=on']);
  await ok(['user', 'enable', '5']);
  list = await ok(['user', 'list', '1']);
  assert.match(list, /^5\s+alice\s+true\s+true\s+true\s+USER/m);
  // the new user opens a session at USER privilege
  const r = await ok(['-L', 'USER', 'chassis', 'power', 'status'], { user: 'alice', password: 'alicepw1234' });
  assert.match(r, /Chassis Power is/);
  // but cannot act as operator
  const denied = await ipmitool(bmc, ['-L', 'USER', 'chassis', 'power', 'on'], { user: 'alice', password: 'alicepw1234' });
  assert.notEqual(denied.code, 0);
  // test password
  assert.match(await ok(['user', 'test', '5', '16', 'alicepw1234']), /Success/);
  const wrong = await ipmitool(bmc, ['user', 'test', '5', '16', 'nope']);
  assert.match(wrong.stdout + wrong.stderr, /Failure/);
  // 20-byte password
  await ok(['user', 'set', 'password', '5', 'a-twenty-byte-passwd', '20']);
  await ok(['-L', 'USER', 'mc', 'info'], { user: 'alice', password: 'a-twenty-byte-passwd' });
  await ok(['user', 'disable', '5']);
  const disabled = await ipmitool(bmc, ['-L', 'USER', 'mc', 'info'], { user: 'alice', password: 'a-twenty-byte-passwd' });
  assert.notEqual(disabled.code, 0);
});

test('channel info and getaccess', async () => {
  const info = await ok(['channel', 'info', '1']);
  assert.match(info, /Channel Medium Type\s+: 802\.3 LAN/);
  assert.match(info, /Session Support\s+: multi-session/);
  const access = await ok(['channel', 'getaccess', '1', '2']);
  assert.match(access, /User Name\s+: admin/);
  assert.match(access, /Privilege Level\s+: ADMINISTRATOR/);
});

test('lan print and lan set', async () => {
  let p = keyValues(await ok(['lan', 'print', '1']));
  assert.equal(p.get('IP Address Source'), 'Static Address');
  assert.match(p.get('MAC Address') ?? '', /^02(:[0-9a-f]{2}){5}$/);
  assert.match(p.get('Cipher Suite Priv Max') ?? '', /^[XaOUC]+$/);
  await ok(['lan', 'set', '1', 'ipaddr', '10.1.2.3']);
  await ok(['lan', 'set', '1', 'netmask', '255.255.255.0']);
  await ok(['lan', 'set', '1', 'defgw', 'ipaddr', '10.1.2.1']);
  await ok(['lan', 'set', '1', 'vlan', 'id', '42']);
  p = keyValues(await ok(['lan', 'print', '1']));
  assert.equal(p.get('IP Address'), '10.1.2.3');
  assert.equal(p.get('Subnet Mask'), '255.255.255.0');
  assert.equal(p.get('Default Gateway IP'), '10.1.2.1');
  assert.equal(p.get('802.1q VLAN ID'), '42');
  await ok(['lan', 'set', '1', 'vlan', 'id', 'off']);
});
