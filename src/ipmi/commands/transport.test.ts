// Golden-byte tests of Set/Get LAN and SOL Configuration Parameters (IPMI
// v2.0 23.1-23.2, 26.2-26.3): each parameter ipmitool's `lan print` / `lan set`
// / `sol info` / `sol set` and FreeIPMI's ipmi-config read or write, with
// request bytes built by hand from table 23-4 and table 26-5.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { makeTestBmc } from '../../model/testing.js';
import type { PrivilegeLevel } from '../constants.js';
import type { IpmiContext } from '../context.js';
import { CommandRegistry, type IpmiResponse } from '../registry.js';
import { transportCommands } from './transport.js';

const TRANSPORT = 0x0c;
const SET_LAN = 0x01;
const GET_LAN = 0x02;
const SET_SOL = 0x21;
const GET_SOL = 0x22;

function setup(privilege: PrivilegeLevel = 4) {
  const t = makeTestBmc();
  const registry = new CommandRegistry().register(transportCommands);
  const ctx: IpmiContext = { bmc: t.bmc, host: t.bmc.hosts[0]!, channel: 1, privilege };
  const call = (cmd: number, data: number[] = [], c: IpmiContext = ctx): Promise<IpmiResponse> =>
    registry.dispatch({ netFn: TRANSPORT, cmd, data: Uint8Array.from(data) }, c);
  const getLan = (param: number, set = 0, c: IpmiContext = ctx) => call(GET_LAN, [0x01, param, set, 0x00], c);
  const setLan = (param: number, data: number[], c: IpmiContext = ctx) => call(SET_LAN, [0x01, param, ...data], c);
  const getSol = (param: number, c: IpmiContext = ctx) => call(GET_SOL, [0x01, param, 0x00, 0x00], c);
  const setSol = (param: number, data: number[], c: IpmiContext = ctx) => call(SET_SOL, [0x01, param, ...data], c);
  return { ...t, ctx, call, getLan, setLan, getSol, setSol };
}

async function ok(p: Promise<IpmiResponse>, expected: number[]): Promise<void> {
  const r = await p;
  assert.equal(r.cc, 0x00, `cc 0x${r.cc.toString(16)}`);
  assert.deepEqual([...r.data], expected);
}

async function cc(p: Promise<IpmiResponse>, expected: number): Promise<void> {
  const r = await p;
  assert.equal(r.cc, expected, `expected cc 0x${expected.toString(16)}, got 0x${r.cc.toString(16)}`);
  assert.equal(r.data.length, 0);
}

const pad = (s: string, n: number): number[] => [...Buffer.from(s, 'latin1'), ...new Array<number>(n - s.length).fill(0)];

test('lan print: every parameter it reads, defaults', async () => {
  const { getLan } = setup();
  const R = 0x11;
  await ok(getLan(0), [R, 0x00]);
  await ok(getLan(1), [R, 0x04]);
  await ok(getLan(2), [R, 0x04, 0x04, 0x04, 0x04, 0x00]);
  await ok(getLan(3), [R, 127, 0, 0, 1]);
  await ok(getLan(4), [R, 0x01]);
  await ok(getLan(5), [R, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01]);
  await ok(getLan(6), [R, 255, 0, 0, 0]);
  await ok(getLan(7), [R, 0x40, 0x40, 0x10]);
  await ok(getLan(8), [R, 0x6f, 0x02]);
  await ok(getLan(10), [R, 0x02]);
  await ok(getLan(11), [R, 0x04]);
  await ok(getLan(12), [R, 0, 0, 0, 0]);
  await ok(getLan(13), [R, 0, 0, 0, 0, 0, 0]);
  await ok(getLan(14), [R, 0, 0, 0, 0]);
  await ok(getLan(15), [R, 0, 0, 0, 0, 0, 0]);
  await ok(getLan(16), [R, ...pad('public', 18)]);
  await ok(getLan(17), [R, 0x03]);
  await ok(getLan(18, 0), [R, 0x00, 0x00, 0x03, 0x00]);
  await ok(getLan(19, 2), [R, 0x02, 0x00, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  await ok(getLan(20), [R, 0x00, 0x00]);
  await ok(getLan(21), [R, 0x00]);
  await ok(getLan(22), [R, 0x04]);
  await ok(getLan(23), [R, 0x00, 1, 2, 3, 17]);
  await ok(getLan(24), [R, 0x00, 0x40, 0x44, 0, 0, 0, 0, 0, 0]);
  await ok(getLan(25, 1), [R, 0x01, 0x00, 0x00, 0x00]);
  await ok(getLan(26), [R, 0x01, 0x05, 0x06, 0x00, 0x06, 0x00]);
});

test('Get LAN Configuration: revision only, unsupported, channel, length, privilege', async () => {
  const { call, getLan, ctx } = setup();
  await ok(call(GET_LAN, [0x81, 0x03, 0x00, 0x00]), [0x11]);
  await ok(call(GET_LAN, [0x8e, 0x33, 0x00, 0x00]), [0x11]);
  await ok(call(GET_LAN, [0x0e, 0x04, 0x00, 0x00]), [0x11, 0x01]);
  await cc(getLan(9), 0x80);
  await cc(getLan(50), 0x80);
  await cc(getLan(0xc0), 0x80);
  await cc(getLan(18, 4), 0xc9);
  await cc(call(GET_LAN, [0x02, 0x03, 0x00, 0x00]), 0xcc);
  await cc(call(GET_LAN, [0x0f, 0x03, 0x00, 0x00]), 0xcc);
  await cc(call(GET_LAN, [0x0e, 0x03, 0x00, 0x00], { ...ctx, channel: 0x0f }), 0xcc);
  await cc(call(GET_LAN, [0x11, 0x03, 0x00, 0x00]), 0xcc);
  await cc(call(GET_LAN, [0x01, 0x03, 0x00]), 0xc7);
  await cc(call(GET_LAN, [0x01, 0x03, 0x00, 0x00, 0x00]), 0xc7);
  await cc(getLan(3, 0, { ...ctx, privilege: 2 }), 0xd4);
  assert.equal((await getLan(3, 0, { ...ctx, privilege: 3 })).cc, 0);
});

test('lan set: addresses, source, ARP, community (ipmitool byte layouts)', async () => {
  const { setLan, getLan, bmc } = setup();
  await ok(setLan(3, [192, 168, 0, 120]), []);
  await ok(getLan(3), [0x11, 192, 168, 0, 120]);
  assert.equal(bmc.lan.config.ip, '192.168.0.120');
  await ok(setLan(6, [255, 255, 255, 0]), []);
  await ok(getLan(6), [0x11, 255, 255, 255, 0]);
  await ok(setLan(4, [0x02]), []);
  assert.equal(bmc.lan.config.ipSource, 'dhcp');
  await ok(setLan(5, [0x02, 0x11, 0x22, 0x33, 0x44, 0x55]), []);
  assert.equal(bmc.lan.config.mac, '02:11:22:33:44:55');
  await ok(setLan(12, [192, 168, 0, 1]), []);
  await ok(setLan(13, [0x00, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e]), []);
  await ok(getLan(13), [0x11, 0x00, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e]);
  await ok(setLan(14, [192, 168, 0, 2]), []);
  await ok(setLan(15, [0x00, 0x0a, 0x0b, 0x0c, 0x0d, 0x0f]), []);
  assert.equal(bmc.lan.config.backupGateway, '192.168.0.2');
  await ok(setLan(7, [0x20, 0x40, 0x10]), []);
  await ok(getLan(7), [0x11, 0x20, 0x40, 0x10]);
  await ok(setLan(10, [0x03]), []);
  await ok(getLan(10), [0x11, 0x03]);
  await ok(setLan(11, [0x08]), []);
  await ok(setLan(16, pad('private', 18)), []);
  await ok(getLan(16), [0x11, ...pad('private', 18)]);
  // refused values
  await cc(setLan(3, [224, 0, 0, 1]), 0xcc);
  await cc(setLan(3, [255, 255, 255, 255]), 0xcc);
  await cc(setLan(6, [255, 0, 255, 0]), 0xcc);
  await cc(setLan(4, [0x05]), 0xcc);
  await cc(setLan(4, [0x11]), 0xcc);
  await cc(setLan(5, [0x01, 0x00, 0x5e, 0x00, 0x00, 0x01]), 0xcc);
  await cc(setLan(7, [0x40, 0x41, 0x10]), 0xcc);
  await cc(setLan(7, [0x40, 0x40, 0x11]), 0xcc);
  await cc(setLan(10, [0x04]), 0xcc);
  await cc(setLan(16, [0x01, ...pad('', 17)]), 0xcc);
  // lengths
  await cc(setLan(3, [192, 168, 0]), 0xc7);
  await cc(setLan(3, [192, 168, 0, 1, 0]), 0xc7);
  await cc(setLan(16, pad('x', 17)), 0xc7);
  await cc(setLan(2, [0x04, 0x04, 0x04, 0x04]), 0xc7);
});

test('lan set: read-only and unsupported parameters, channel, privilege', async () => {
  const { setLan, call, ctx } = setup();
  for (const p of [1, 8, 17, 22, 23]) await cc(setLan(p, [0x00]), 0x82);
  await cc(setLan(9, [0x6f, 0x02]), 0x80);
  await cc(setLan(51, [0x00]), 0x80);
  await cc(call(SET_LAN, [0x02, 0x03, 10, 0, 0, 1]), 0xcc);
  await ok(call(SET_LAN, [0x0e, 0x03, 10, 0, 0, 1]), []);
  await cc(call(SET_LAN, [0x01]), 0xc7);
  await cc(setLan(3, [10, 0, 0, 1], { ...ctx, privilege: 3 }), 0xd4);
});

test('lan set auth: enables follow the security policy', async () => {
  const { setLan, getLan, bmc } = setup();
  await ok(setLan(2, [0x04, 0x04, 0x04, 0x04, 0x00]), []);
  await cc(setLan(2, [0x05, 0x04, 0x04, 0x04, 0x00]), 0xcc); // none not allowed
  await cc(setLan(2, [0x04, 0x04, 0x14, 0x04, 0x00]), 0xcc); // password not allowed
  await cc(setLan(2, [0x04, 0x04, 0x04, 0x06, 0x00]), 0xcc); // MD2 never
  await cc(setLan(2, [0x04, 0x04, 0x04, 0x04, 0x08]), 0xcc); // reserved bit 3
  bmc.security.allowIpmi15None = true;
  bmc.security.allowIpmi15Password = true;
  await ok(getLan(1), [0x11, 0x15]);
  await ok(setLan(2, [0x15, 0x14, 0x04, 0x04, 0x00]), []);
  await ok(getLan(2), [0x11, 0x15, 0x14, 0x04, 0x04, 0x00]);
  assert.deepEqual(bmc.lan.config.authEnables, { callback: 0x15, user: 0x14, operator: 0x04, admin: 0x04, oem: 0x00 });
});

test('lan set vlan id / priority (ipmitool layouts)', async () => {
  const { setLan, getLan, bmc } = setup();
  await ok(setLan(20, [0x64, 0x80]), []); // vlan id 100
  await ok(getLan(20), [0x11, 0x64, 0x80]);
  assert.equal(bmc.lan.config.vlanEnabled, true);
  await ok(setLan(20, [0x64, 0x00]), []); // vlan id off keeps the ID
  await ok(getLan(20), [0x11, 0x64, 0x00]);
  await ok(setLan(20, [0xfe, 0x8f]), []); // 4094
  await cc(setLan(20, [0xff, 0x8f]), 0xcc); // 4095
  await cc(setLan(20, [0x00, 0x80]), 0xcc); // 0 enabled
  await cc(setLan(20, [0x01, 0x90]), 0xcc); // reserved bit
  await ok(setLan(21, [0x05]), []);
  await ok(getLan(21), [0x11, 0x05]);
  await cc(setLan(21, [0x08]), 0xcc);
});

test('cipher suite privilege levels: one nibble per cipher suite ID, as ipmitool and FreeIPMI read them', async () => {
  const { setLan, getLan, bmc } = setup();
  // suite 1 admin (ID 1: high nibble of byte 1), suite 2 operator, suite 3 user (byte 2)
  await ok(setLan(24, [0x00, 0x40, 0x23, 0, 0, 0, 0, 0, 0]), []);
  await ok(getLan(24), [0x11, 0x00, 0x40, 0x23, 0, 0, 0, 0, 0, 0]);
  // suite 17 has no nibble and keeps its setting
  assert.deepEqual(bmc.lan.config.cipherSuites.map((s) => [s.id, s.maxPrivilege]), [[1, 4], [2, 3], [3, 2], [17, 4]]);
  // Fh marks a suite unused; Fh or 0h for a suite not offered is accepted (ipmitool sends X)
  await ok(setLan(24, [0x00, 0x4f, 0xf4, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]), []);
  assert.deepEqual(bmc.lan.config.cipherSuites.map((s) => s.maxPrivilege), [4, 4, 0, 4]);
  assert.equal(bmc.lan.suitePrivilege(3), undefined);
  await cc(setLan(24, [0x00, 0x44, 0x44, 0x04, 0, 0, 0, 0, 0]), 0xcc); // suite 4 is not offered
  await cc(setLan(24, [0x00, 0x60, 0x44, 0, 0, 0, 0, 0, 0]), 0xcc); // privilege 6
  await cc(setLan(24, [0x01, 0x44, 0x44, 0, 0, 0, 0, 0, 0]), 0xcc); // reserved byte
  await cc(setLan(24, [0x00, 0x44, 0x44, 0, 0, 0, 0, 0]), 0xc7);
});

test('bad password threshold feeds the lockout policy', async () => {
  const { setLan, getLan, bmc } = setup();
  await ok(setLan(26, [0x00, 0x03, 0x0c, 0x00, 0x1e, 0x00]), []);
  await ok(getLan(26), [0x11, 0x00, 0x03, 0x0c, 0x00, 0x1e, 0x00]);
  assert.deepEqual(bmc.users.lockout, { threshold: 3, resetIntervalMs: 120_000, lockoutMs: 300_000 });
  await cc(setLan(26, [0x02, 0x03, 0x0c, 0x00, 0x1e, 0x00]), 0xcc);
});

test('alert destinations: type, address, VLAN tag', async () => {
  const { setLan, getLan, bmc } = setup();
  await ok(setLan(18, [0x01, 0x80, 0x05, 0x03]), []);
  await ok(getLan(18, 1), [0x11, 0x01, 0x80, 0x05, 0x03]);
  await ok(setLan(19, [0x01, 0x00, 0x01, 10, 0, 0, 5, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55]), []);
  await ok(getLan(19, 1), [0x11, 0x01, 0x00, 0x01, 10, 0, 0, 5, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55]);
  assert.equal(bmc.lan.config.destinations[1]?.ip, '10.0.0.5');
  await ok(setLan(25, [0x01, 0x10, 0x64, 0x20]), []); // 802.1q, priority 1, VLAN 100
  await ok(getLan(25, 1), [0x11, 0x01, 0x10, 0x64, 0x20]);
  await ok(getLan(18, 0), [0x11, 0x00, 0x00, 0x03, 0x00]);
  await cc(setLan(18, [0x04, 0x00, 0x03, 0x00]), 0xc9);
  await cc(setLan(18, [0x11, 0x00, 0x03, 0x00]), 0xcc);
  await cc(setLan(18, [0x01, 0x03, 0x03, 0x00]), 0xcc);
  await cc(setLan(18, [0x01, 0x00, 0x03, 0x08]), 0xcc);
  await cc(setLan(19, [0x01, 0x10, 0x00, 10, 0, 0, 5, 0, 0, 0, 0, 0, 0]), 0xcc);
  await cc(setLan(19, [0x01, 0x00, 0x02, 10, 0, 0, 5, 0, 0, 0, 0, 0, 0]), 0xcc);
  await cc(setLan(25, [0x01, 0x20, 0x64, 0x00]), 0xcc);
  await cc(setLan(25, [0x01, 0x10, 0x64, 0x10]), 0xcc);
  await cc(setLan(19, [0x01, 0x00, 0x00, 10, 0, 0, 5]), 0xc7);
});

test('LAN set-in-progress state machine', async () => {
  const { setLan, getLan } = setup();
  await ok(setLan(0, [0x01]), []);
  await ok(getLan(0), [0x11, 0x01]);
  await cc(setLan(0, [0x01]), 0x81);
  await ok(setLan(3, [10, 1, 1, 1]), []);
  await ok(setLan(0, [0x02]), []);
  await ok(setLan(0, [0x00]), []);
  await ok(getLan(0), [0x11, 0x00]);
  await cc(setLan(0, [0x03]), 0xcc);
  await cc(setLan(0, [0x04]), 0xcc);
});

test('sol info: every SOL parameter, defaults', async () => {
  const { getSol, call, ctx } = setup();
  const R = 0x11;
  await ok(getSol(0), [R, 0x00]);
  await ok(getSol(1), [R, 0x01]);
  await ok(getSol(2), [R, 0xc3]);
  await ok(getSol(3), [R, 12, 96]);
  await ok(getSol(4), [R, 0x07, 50]);
  await ok(getSol(5), [R, 0x0a]);
  await ok(getSol(6), [R, 0x0a]);
  await ok(getSol(7), [R, 0x01]);
  await ok(getSol(8), [R, 0x6f, 0x02]);
  await cc(getSol(9), 0x80);
  await ok(call(GET_SOL, [0x81, 0x01, 0x00, 0x00]), [R]);
  await cc(call(GET_SOL, [0x0f, 0x01, 0x00, 0x00]), 0xcc);
  await cc(call(GET_SOL, [0x01, 0x01, 0x00]), 0xc7);
  await ok(getSol(1, { ...ctx, privilege: 2 }), [R, 0x01]);
});

test('sol set: enable, privilege, intervals, retries, bit rates', async () => {
  const { setSol, getSol, bmc, ctx } = setup();
  await ok(setSol(1, [0x00]), []);
  assert.equal(bmc.sol.enabled, false);
  await ok(setSol(2, [0xc4]), []); // ipmitool "sol set privilege-level admin"
  await ok(getSol(2), [0x11, 0xc4]);
  await ok(setSol(2, [0x02]), []);
  assert.deepEqual([bmc.sol.forceEncryption, bmc.sol.forceAuthentication, bmc.sol.privilege], [false, false, 2]);
  await ok(setSol(3, [0x05, 0x20]), []);
  await ok(getSol(3), [0x11, 0x05, 0x20]);
  await ok(setSol(4, [0x03, 0x64]), []);
  await ok(getSol(4), [0x11, 0x03, 0x64]);
  await ok(setSol(5, [0x06]), []);
  await ok(setSol(6, [0x09]), []);
  await ok(getSol(5), [0x11, 0x06]);
  await ok(getSol(6), [0x11, 0x09]);
  await cc(setSol(1, [0x02]), 0xcc);
  await cc(setSol(2, [0x00]), 0xcc);
  await cc(setSol(2, [0x06]), 0xcc);
  await cc(setSol(2, [0x24]), 0xcc);
  await cc(setSol(3, [0x00, 0x20]), 0xcc);
  await cc(setSol(4, [0x08, 0x00]), 0xcc);
  await cc(setSol(5, [0x05]), 0xcc);
  await cc(setSol(6, [0x1a]), 0xcc);
  await cc(setSol(7, [0x01]), 0x82);
  await cc(setSol(8, [0x6f, 0x02]), 0x82);
  await cc(setSol(9, [0x00]), 0x80);
  await cc(setSol(3, [0x05]), 0xc7);
  await cc(setSol(1, [0x01], { ...ctx, privilege: 3 }), 0xd4);
  await ok(setSol(0, [0x01]), []);
  await cc(setSol(0, [0x01]), 0x81);
});

test('no Transport handler throws past the dispatcher on arbitrary input', async () => {
  const { call } = setup();
  for (const def of transportCommands) {
    for (let param = 0; param < 30; param++) {
      for (let len = 0; len <= 20; len++) {
        for (const fill of [0x00, 0x01, 0xff]) {
          const r = await call(def.cmd, [0x01, param, ...new Array<number>(len).fill(fill)]);
          assert.notEqual(r.cc, 0xff, `${def.name} param ${param} len ${len} fill ${fill}`);
        }
      }
    }
  }
});

test('SOL parameter C0h (OEM): takeover, persisted as a run-time change only', async () => {
  const { getSol, setSol, persist, bmc } = setup();
  await ok(getSol(0xc0), [0x11, 0x00]);
  await ok(setSol(0xc0, [0x01]), []);
  await ok(getSol(0xc0), [0x11, 0x01]);
  assert.equal(bmc.sol.takeover, true);
  await cc(setSol(0xc0, [0x02]), 0xcc);
  await cc(setSol(0xc0, []), 0xc7);
  await cc(setSol(0xc1, [0x00]), 0x80);
  // the store keeps what was set, not the whole configuration (the profile still reaches the rest)
  assert.deepEqual(persist.load('sol'), { takeover: true });
  const again = setup();
  assert.equal(again.bmc.sol.takeover, false);
  assert.equal(makeTestBmc({ persist }).bmc.sol.takeover, true);
});
