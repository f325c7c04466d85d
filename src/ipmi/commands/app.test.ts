// Golden-byte tests of the App commands: requests built by hand from the
// IPMI v2.0 layouts (sections 20, 22, 24, 27), responses compared byte for byte.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { makeTestBmc } from '../../model/testing.js';
import type { PrivilegeLevel } from '../constants.js';
import type { IpmiContext } from '../context.js';
import { CommandRegistry, type IpmiResponse } from '../registry.js';
import { appCommands } from './app.js';

const APP = 0x06;

function setup(privilege: PrivilegeLevel = 4) {
  const t = makeTestBmc();
  const registry = new CommandRegistry().register(appCommands);
  const ctx: IpmiContext = { bmc: t.bmc, host: t.bmc.hosts[0]!, channel: 1, privilege };
  /** The host's system interface: no session, no privilege check. */
  const sys: IpmiContext = { ...ctx, channel: 0x0f, privilege: 5 };
  const call = (cmd: number, data: number[] = [], c: IpmiContext = ctx): Promise<IpmiResponse> =>
    registry.dispatch({ netFn: APP, cmd, data: Uint8Array.from(data) }, c);
  return { ...t, ctx, sys, call, host: t.bmc.hosts[0]! };
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

test('Get Device ID: identity, IPMI 2.0, device support BFh', async () => {
  const { call } = setup();
  // test device: id 20h, rev 1, fw 1.02, manufacturer C0FFEEh & FFFFFh = 0FFEEh (EE FF 00), product 0001h
  await ok(call(0x01), [0x20, 0x01, 0x01, 0x02, 0x02, 0xbf, 0xee, 0xff, 0x00, 0x01, 0x00, 0, 0, 0, 0]);
  await cc(call(0x01, [0x00]), 0xc7);
});

test('Get Device ID is allowed at User, Cold Reset needs Administrator', async () => {
  const { call, ctx } = setup();
  const user: IpmiContext = { ...ctx, privilege: 2 };
  assert.equal((await call(0x01, [], user)).cc, 0x00);
  await cc(call(0x02, [], user), 0xd4);
  await cc(call(0x03, [], { ...ctx, privilege: 3 }), 0xd4);
  await ok(call(0x02), []);
  await ok(call(0x03), []);
});

test('Get Self Test Results: 55h 00h', async () => {
  const { call } = setup();
  await ok(call(0x04), [0x55, 0x00]);
});

test('Set/Get ACPI Power State', async () => {
  const { call, host } = setup();
  await ok(call(0x07), [0x05, 0x03]);
  // set system S0 (80h|00h), leave device alone (00h: set bit clear)
  await ok(call(0x06, [0x80, 0x00]), []);
  await ok(call(0x07), [0x00, 0x03]);
  assert.deepEqual(host.acpi, { system: 0x00, device: 0x03 });
  // no change (7Fh) with the set bit
  await ok(call(0x06, [0xff, 0x81]), []);
  await ok(call(0x07), [0x00, 0x01]);
  await cc(call(0x06, [0x8b, 0x00]), 0xcc);
  await cc(call(0x06, [0x80, 0x84]), 0xcc);
  await cc(call(0x06, [0x80]), 0xc7);
  await cc(call(0x06, [0x80, 0x80, 0x00]), 0xc7);
});

test('Get Device GUID and Get System GUID', async () => {
  const { call } = setup();
  await ok(call(0x08), new Array<number>(16).fill(0x22));
  await ok(call(0x37), new Array<number>(16).fill(0x11));
});

test('Reset Watchdog Timer before any Set: 80h', async () => {
  const { call } = setup();
  await cc(call(0x22), 0x80);
});

test('Set/Get Watchdog Timer golden bytes (ipmitool mc watchdog off layout)', async () => {
  const { call } = setup();
  // SMS/OS, no action, no pre-timeout, clear SMS/OS flag, 3000 x 100 ms
  await ok(call(0x24, [0x04, 0x00, 0x00, 0x10, 0xb8, 0x0b]), []);
  await ok(call(0x25), [0x04, 0x00, 0x00, 0x00, 0xb8, 0x0b, 0xb8, 0x0b]);
});

test('Set Watchdog Timer field checks', async () => {
  const { call, ctx } = setup();
  await cc(call(0x24, [0x00, 0x00, 0x00, 0x00, 0x0a, 0x00]), 0xcc); // timer use 0 reserved
  await cc(call(0x24, [0x06, 0x00, 0x00, 0x00, 0x0a, 0x00]), 0xcc); // timer use 6 reserved
  await cc(call(0x24, [0x04, 0x04, 0x00, 0x00, 0x0a, 0x00]), 0xcc); // action 4 reserved
  await cc(call(0x24, [0x04, 0x40, 0x00, 0x00, 0x0a, 0x00]), 0xcc); // pre-timeout interrupt 4
  await cc(call(0x24, [0x04, 0x21, 0x02, 0x00, 0x0a, 0x00]), 0xcc); // 2 s pre-timeout > 1 s countdown
  await cc(call(0x24, [0x04, 0x00, 0x00, 0x01, 0x0a, 0x00]), 0xcc); // reserved expiration flag bit 0
  await cc(call(0x24, [0x0c, 0x00, 0x00, 0x00, 0x0a, 0x00]), 0xcc); // reserved bit 3 in timer use
  await cc(call(0x24, [0x04, 0x00, 0x00, 0x00, 0x0a]), 0xc7);
  await cc(call(0x24, [0x04, 0x00, 0x00, 0x00, 0x0a, 0x00, 0x00]), 0xc7);
  await cc(call(0x24, [0x04, 0x00, 0x00, 0x00, 0x0a, 0x00], { ...ctx, privilege: 2 }), 0xd4);
  await cc(call(0x22, [], { ...ctx, privilege: 2 }), 0xd4);
  assert.equal((await call(0x25, [], { ...ctx, privilege: 2 })).cc, 0x00);
});

test('watchdog expiry: hard reset of the host, one SEL record, expiration flag', async () => {
  const { call, clock, host, links } = setup();
  host.request('on');
  links[0]!.calls.length = 0;
  // BIOS/POST (2), hard reset (1), countdown 20 x 100 ms = 2 s
  await ok(call(0x24, [0x02, 0x01, 0x00, 0x00, 0x14, 0x00]), []);
  await ok(call(0x22), []);
  clock.advance(1000);
  await ok(call(0x25), [0x42, 0x01, 0x00, 0x00, 0x14, 0x00, 0x0a, 0x00]);
  assert.deepEqual(links[0]!.calls, []);
  clock.advance(1000);
  assert.deepEqual(links[0]!.calls, ['reset']);
  assert.equal(host.restartCause, 'watchdog');
  const recs = host.sel.list();
  assert.equal(recs.length, 1);
  // sensor type 23h, event type 6Fh, data1 C0h|action 1, data2 timer use 2
  assert.deepEqual([...recs[0]!.body.subarray(7)], [0x23, 0xff, 0x6f, 0xc1, 0x02, 0xff]);
  // stopped, expiration flag bit 2 (BIOS/POST), present countdown 0
  await ok(call(0x25), [0x02, 0x01, 0x00, 0x04, 0x14, 0x00, 0x00, 0x00]);
  // clearing the flag with the next Set
  await ok(call(0x24, [0x02, 0x01, 0x00, 0x04, 0x14, 0x00]), []);
  await ok(call(0x25), [0x02, 0x01, 0x00, 0x00, 0x14, 0x00, 0x14, 0x00]);
});

test('Set/Get BMC Global Enables, Clear/Get Message Flags, Read Event Message Buffer', async () => {
  const { call, host, sys } = setup();
  await ok(call(0x2f), [0x08]);
  await ok(call(0x2e, [0x0d]), []);
  await ok(call(0x2f), [0x0d]);
  await cc(call(0x2e, [0x10]), 0xcc);
  await cc(call(0x2e, []), 0xc7);
  await ok(call(0x31, [], sys), [0x00]);
  await ok(call(0x30, [0x08], sys), []);
  await cc(call(0x30, [0x04], sys), 0xcc);
  await cc(call(0x30, [], sys), 0xc7);
  await cc(call(0x31, [0x00], sys), 0xc7);
  await cc(call(0x35, [0x00], sys), 0xc7);
  await cc(call(0x35, [], sys), 0x80);
  assert.equal(host.eventBuffer.size, 0);
});

test('local-only commands on a LAN session: 0xD4 for Clear/Get Message Flags and Read Event Message Buffer, before any length check', async () => {
  const { call, host } = setup();
  host.setGlobalEnables(0x0c);
  host.setDiscrete(0xaa, 0x01);
  for (const [cmd, data] of [[0x30, [0x02]], [0x30, []], [0x31, []], [0x31, [0x00]], [0x35, []], [0x35, [0x00]]] as const) {
    await cc(call(cmd, [...data]), 0xd4);
  }
  // nothing was taken from the host's buffer
  assert.equal(host.eventBuffer.size, 1);
});

/** The test clock's start, 2026-01-01T00:00:00Z = 6955B900h seconds, LS byte first. */
const T0 = [0x00, 0xb9, 0x55, 0x69];

test('event message buffer: a BMC event while enabled, the flag, the 16-byte read (golden), then 80h', async () => {
  const { call, host, sys } = setup();
  // event message buffer (bit 2) and system event logging (bit 3)
  await ok(call(0x2e, [0x0c], sys), []);
  host.setDiscrete(0xaa, 0x01); // chassis intrusion asserted
  await ok(call(0x31, [], sys), [0x02]);
  // SEL record 0001h, type 02h, time, generator 0020h (BMC), EvM 04h, sensor type 05h
  // (physical security) #AAh, sensor-specific 6Fh asserted, offset 0 (general chassis intrusion), FFh FFh
  const expected = [0x01, 0x00, 0x02, ...T0, 0x20, 0x00, 0x04, 0x05, 0xaa, 0x6f, 0x00, 0xff, 0xff];
  await ok(call(0x35, [], sys), expected);
  // the same record as the SEL's
  const rec = host.sel.get(1)!;
  assert.deepEqual([rec.id & 0xff, rec.id >> 8, rec.type, ...rec.body], expected);
  await ok(call(0x31, [], sys), [0x00]);
  await cc(call(0x35, [], sys), 0x80);
  // the deassertion is the next message
  host.setDiscrete(0xaa, 0x00);
  await ok(call(0x35, [], sys), [0x02, 0x00, 0x02, ...T0, 0x20, 0x00, 0x04, 0x05, 0xaa, 0xef, 0x00, 0xff, 0xff]);
});

test('event message buffer: one message; while it is full newer events are not put in (the SEL has them)', async () => {
  const { call, host, sys, links, clock } = setup();
  await ok(call(0x2e, [0x0c], sys), []);
  host.setDiscrete(0xaa, 0x01);
  clock.advance(5000);
  host.setDiscrete(0xaa, 0x00);
  links[0]!.readings.set(0x01, 95); // CPU Temp 40 -> 95 degrees: crosses unc 87, uc 92, unr 92 going high
  host.scan();
  assert.ok(host.sel.count >= 3);
  assert.equal(host.eventBuffer.size, 1);
  assert.equal(host.eventBuffer.dropped, host.sel.count - 1);
  // the first one stayed
  const r = await call(0x35, [], sys);
  assert.deepEqual([...r.data.subarray(0, 3)], [0x01, 0x00, 0x02]);
  await cc(call(0x35, [], sys), 0x80);
});

test('event message buffer: not put in while disabled; emptied by Clear Message Flags bit 1 and by disabling it', async () => {
  const { call, host, sys } = setup();
  // disabled (the default 08h): logged, not buffered
  host.setDiscrete(0xaa, 0x01);
  assert.equal(host.sel.count, 1);
  await ok(call(0x31, [], sys), [0x00]);
  await cc(call(0x35, [], sys), 0x80);
  // Clear Message Flags bit 1 empties it; other bits leave it
  await ok(call(0x2e, [0x0c], sys), []);
  host.setDiscrete(0xaa, 0x00);
  await ok(call(0x30, [0x08], sys), []);
  await ok(call(0x31, [], sys), [0x02]);
  await ok(call(0x30, [0x02], sys), []);
  await ok(call(0x31, [], sys), [0x00]);
  await cc(call(0x35, [], sys), 0x80);
  // Set BMC Global Enables without bit 2 empties it
  host.setDiscrete(0xaa, 0x01);
  await ok(call(0x31, [], sys), [0x02]);
  await ok(call(0x2e, [0x08], sys), []);
  await ok(call(0x31, [], sys), [0x00]);
  await ok(call(0x2e, [0x0c], sys), []);
  await cc(call(0x35, [], sys), 0x80);
});

test('event message buffer with system event logging off: record ID FFFFh, the SEL clock as the time', async () => {
  const { call, host, sys, clock } = setup();
  await ok(call(0x2e, [0x04], sys), []);
  clock.advance(2000);
  host.setDiscrete(0xaa, 0x01);
  assert.equal(host.sel.count, 0);
  await ok(call(0x35, [], sys), [0xff, 0xff, 0x02, 0x02, 0xb9, 0x55, 0x69, 0x20, 0x00, 0x04, 0x05, 0xaa, 0x6f, 0x00, 0xff, 0xff]);
});

test('event message buffer: the watchdog pre-timeout and expiry events, with the pre-timeout flag', async () => {
  const { call, host, sys, clock } = setup();
  await ok(call(0x2e, [0x0c], sys), []);
  host.request('on');
  // SMS/OS (4), no action, messaging interrupt (3) 1 s before, 2.0 s countdown
  await ok(call(0x24, [0x04, 0x30, 0x01, 0x00, 0x14, 0x00], sys), []);
  await ok(call(0x22, [], sys), []);
  clock.advance(1000);
  await ok(call(0x31, [], sys), [0x0a]);
  // Watchdog 2 (23h) sensor FFh (no such sensor in the test profile), 6Fh, offset 8 timer interrupt, data 2: interrupt 3, use 4
  await ok(call(0x35, [], sys), [0x01, 0x00, 0x02, 0x01, 0xb9, 0x55, 0x69, 0x20, 0x00, 0x04, 0x23, 0xff, 0x6f, 0xc8, 0x34, 0xff]);
  await ok(call(0x31, [], sys), [0x08]);
  clock.advance(1000);
  // expiry, action 0 (timer expired, status only)
  await ok(call(0x35, [], sys), [0x02, 0x00, 0x02, 0x02, 0xb9, 0x55, 0x69, 0x20, 0x00, 0x04, 0x23, 0xff, 0x6f, 0xc0, 0x34, 0xff]);
  await ok(call(0x30, [0x08], sys), []);
  await ok(call(0x31, [], sys), [0x00]);
});

test('Get Channel Info: LAN channel, 0Eh, system interface, unknown', async () => {
  const { call } = setup();
  const lan = [0x01, 0x04, 0x01, 0x80, 0xf2, 0x1b, 0x00, 0x00, 0x00];
  await ok(call(0x42, [0x01]), lan);
  await ok(call(0x42, [0x0e]), lan);
  await ok(call(0x42, [0x0f]), [0x0f, 0x0c, 0x05, 0x00, 0xf2, 0x1b, 0x00, 0xff, 0xff]);
  await cc(call(0x42, [0x05]), 0xcc);
  await cc(call(0x42, [0x11]), 0xcc);
  await cc(call(0x42, []), 0xc7);
});

test('Get/Set Channel Access (ipmitool channel setaccess / lan set access)', async () => {
  const { call, bmc } = setup();
  // volatile (80h): always available, all auth enabled, alerting disabled? default alerting false -> bit 5 set
  await ok(call(0x41, [0x01, 0x80]), [0x22, 0x04]);
  await ok(call(0x41, [0x0e, 0x40]), [0x22, 0x04]);
  // set volatile: PEF alerting enabled (bit5=0), per-msg disabled (bit4), mode shared (3); privilege volatile operator
  await ok(call(0x40, [0x01, 0x93, 0x83]), []);
  await ok(call(0x41, [0x01, 0x80]), [0x13, 0x03]);
  await ok(call(0x41, [0x01, 0x40]), [0x22, 0x04]);
  assert.equal(bmc.channels.access(1)?.accessMode, 'shared');
  // don't set (00b) either: no change, fields unchecked
  await ok(call(0x40, [0x01, 0x07, 0x0f]), []);
  await cc(call(0x40, [0x01, 0xc2, 0x00]), 0xcc);
  await cc(call(0x40, [0x01, 0x00, 0x86]), 0xcc);
  await cc(call(0x40, [0x01, 0x00, 0x80]), 0xcc);
  await cc(call(0x41, [0x01, 0x00]), 0xcc);
  await cc(call(0x41, [0x01, 0xc0]), 0xcc);
  await cc(call(0x41, [0x0f, 0x80]), 0x82);
  await cc(call(0x40, [0x0f, 0x82, 0x00]), 0x82);
  await cc(call(0x41, [0x07, 0x80]), 0xcc);
  await cc(call(0x41, [0x01]), 0xc7);
});

test('Get User Access / Set User Access (ipmitool user list, channel setaccess)', async () => {
  const { call, ctx, bmc } = setup();
  // 15 users, user 2 enabled (40h | 2 enabled), 1 fixed name, link auth + messaging + admin
  await ok(call(0x44, [0x01, 0x02]), [0x0f, 0x42, 0x01, 0x34]);
  await ok(call(0x44, [0x0e, 0x04]), [0x0f, 0x82, 0x01, 0x0f]);
  // ipmitool: change bits (80h) | messaging (10h) | channel 1; user 4; user level; session limit 0
  await ok(call(0x43, [0x91, 0x04, 0x02, 0x00]), []);
  await ok(call(0x44, [0x01, 0x04]), [0x0f, 0x82, 0x01, 0x12]);
  // privilege only (bit 7 clear): other bits unchanged
  await ok(call(0x43, [0x01, 0x04, 0x03]), []);
  assert.deepEqual(bmc.users.access(4, 1), { privilege: 3, ipmiMessaging: true, linkAuth: false, callbackOnly: false, payloads: 0 });
  await cc(call(0x43, [0x01, 0x04, 0x06]), 0xcc);
  await cc(call(0x43, [0x01, 0x04, 0x03, 0x01]), 0xcc);
  await cc(call(0x43, [0x01, 0x00, 0x03]), 0xcc);
  await cc(call(0x43, [0x01, 0x10, 0x03]), 0xcc);
  await cc(call(0x43, [0x0f, 0x04, 0x03]), 0xcc);
  await cc(call(0x44, [0x01, 0x00]), 0xcc);
  await cc(call(0x44, [0x01]), 0xc7);
  await cc(call(0x44, [0x01, 0x02], { ...ctx, privilege: 2 }), 0xd4);
  await cc(call(0x43, [0x01, 0x04, 0x03], { ...ctx, privilege: 3 }), 0xd4);
});

test('Set User Name / Get User Name', async () => {
  const { call, bmc } = setup();
  await ok(call(0x46, [0x02]), pad('admin', 16));
  await ok(call(0x46, [0x05]), pad('', 16));
  await ok(call(0x45, [0x05, ...pad('alice', 16)]), []);
  await ok(call(0x46, [0x05]), pad('alice', 16));
  assert.equal(bmc.users.get(5)?.name, 'alice');
  await cc(call(0x45, [0x06, ...pad('alice', 16)]), 0xcc); // name taken
  await cc(call(0x45, [0x01, ...pad('root', 16)]), 0xcc); // user 1 has a fixed name
  await cc(call(0x45, [0x05, ...pad('alice', 15)]), 0xc7);
  await cc(call(0x45, [0x05, ...pad('alice', 17)]), 0xc7);
  await cc(call(0x46, [0x00]), 0xcc);
  await cc(call(0x46, [0x10]), 0xcc);
});

test('Set User Password: set, test, enable, disable, sizes', async () => {
  const { call, bmc, ctx } = setup();
  // set password "secret" for user 4, 16-byte form
  await ok(call(0x47, [0x04, 0x02, ...pad('secret', 16)]), []);
  await ok(call(0x47, [0x04, 0x03, ...pad('secret', 16)]), []);
  await cc(call(0x47, [0x04, 0x03, ...pad('secreT', 16)]), 0x80);
  // 20-byte form of a 20-byte password; testing it with the 16-byte form -> 81h
  await ok(call(0x47, [0x84, 0x02, ...pad('abcdefghijklmnopqrst', 20)]), []);
  await ok(call(0x47, [0x84, 0x03, ...pad('abcdefghijklmnopqrst', 20)]), []);
  await cc(call(0x47, [0x04, 0x03, ...pad('abcdefghijklmnop', 16)]), 0x81);
  // enable: 2-byte form (FreeIPMI) and 18-byte form (ipmitool)
  await ok(call(0x47, [0x04, 0x01]), []);
  assert.equal(bmc.users.get(4)?.enabled, true);
  await ok(call(0x47, [0x04, 0x00, ...new Array<number>(16).fill(0)]), []);
  assert.equal(bmc.users.get(4)?.enabled, false);
  await cc(call(0x47, [0x04, 0x02, ...pad('secret', 15)]), 0xc7);
  await cc(call(0x47, [0x84, 0x02, ...pad('secret', 16)]), 0xc7);
  await cc(call(0x47, [0x04, 0x02]), 0xc7);
  await cc(call(0x47, [0x04, 0x01, 0x00]), 0xc7);
  await cc(call(0x47, [0x04, 0x06]), 0xcc);
  await cc(call(0x47, [0x00, 0x01]), 0xcc);
  await cc(call(0x47, [0x04, 0x01], { ...ctx, privilege: 3 }), 0xd4);
});

test('Set/Get User Payload Access, Get Channel Payload Support/Version/OEM info', async () => {
  const { call } = setup();
  await ok(call(0x4d, [0x01, 0x02]), [0x02, 0x00, 0x00, 0x00]);
  await ok(call(0x4d, [0x01, 0x04]), [0x00, 0x00, 0x00, 0x00]);
  await ok(call(0x4c, [0x01, 0x04, 0x02, 0x00, 0x00, 0x00]), []);
  await ok(call(0x4d, [0x0e, 0x04]), [0x02, 0x00, 0x00, 0x00]);
  await ok(call(0x4c, [0x01, 0x44, 0x02, 0x00, 0x00, 0x00]), []);
  await ok(call(0x4d, [0x01, 0x04]), [0x00, 0x00, 0x00, 0x00]);
  await cc(call(0x4c, [0x01, 0x84, 0x02, 0x00, 0x00, 0x00]), 0xcc);
  await cc(call(0x4c, [0x01, 0x04, 0x01, 0x00, 0x00, 0x00]), 0xcc);
  await cc(call(0x4c, [0x01, 0x04, 0x02, 0x00, 0x01, 0x00]), 0xcc);
  await cc(call(0x4c, [0x01, 0x04, 0x02, 0x00, 0x00]), 0xc7);
  await ok(call(0x4e, [0x01]), [0x03, 0x00, 0x3f, 0x00, 0x00, 0x00, 0x00, 0x00]);
  await cc(call(0x4e, [0x0f]), 0xcc);
  await ok(call(0x4f, [0x01, 0x01]), [0x10]);
  await cc(call(0x4f, [0x01, 0x02]), 0x80);
  await cc(call(0x50, [0x01, 0x20, 0x00, 0x00, 0x00, 0x00, 0x00]), 0x80);
  await cc(call(0x50, [0x01, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00]), 0xcc);
  await cc(call(0x50, [0x01, 0x20, 0x00, 0x00, 0x00, 0x00]), 0xc7);
});

test('no App handler throws past the dispatcher on arbitrary input', async () => {
  const { call } = setup();
  for (const def of appCommands) {
    for (let len = 0; len <= 24; len++) {
      for (const fill of [0x00, 0x0e, 0x55, 0xff]) {
        const r = await call(def.cmd, new Array<number>(len).fill(fill));
        assert.notEqual(r.cc, 0xff, `${def.name} len ${len} fill ${fill}`);
      }
    }
  }
});
