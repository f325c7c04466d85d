// Golden-byte tests of the Chassis commands (IPMI v2.0 section 28): requests
// built by hand from the spec layouts and from ipmitool's exact sequences
// (lib/ipmi_chassis.c), responses and model effects checked.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { makeTestBmc } from '../../model/testing.js';
import type { PrivilegeLevel } from '../constants.js';
import type { IpmiContext } from '../context.js';
import { CommandRegistry, type IpmiResponse } from '../registry.js';
import { chassisCommands } from './chassis.js';

const CHASSIS = 0x00;

function setup(privilege: PrivilegeLevel = 4) {
  const t = makeTestBmc();
  const registry = new CommandRegistry().register(chassisCommands);
  const ctx: IpmiContext = { bmc: t.bmc, host: t.bmc.hosts[0]!, channel: 1, privilege };
  const call = (cmd: number, data: number[] = [], c: IpmiContext = ctx): Promise<IpmiResponse> =>
    registry.dispatch({ netFn: CHASSIS, cmd, data: Uint8Array.from(data) }, c);
  return { ...t, ctx, call, host: t.bmc.hosts[0]!, link: t.links[0]! };
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

test('Get Chassis Capabilities: intrusion sensor, BMC addresses', async () => {
  const { call } = setup();
  await ok(call(0x00), [0x01, 0x20, 0x20, 0x20, 0x20]);
  await cc(call(0x00, [0x00]), 0xc7);
});

test('Get Chassis Status: off, always-off, identify supported', async () => {
  const { call, ctx } = setup();
  await ok(call(0x01), [0x00, 0x00, 0x40, 0x00]);
  await ok(call(0x01, [], { ...ctx, privilege: 2 }), [0x00, 0x00, 0x40, 0x00]);
  await cc(call(0x01, [0x01]), 0xc7);
});

test('Chassis Control: every action reaches the backend through the power state machine', async () => {
  const { call, host, link, clock } = setup();
  await cc(call(0x02, [0x03]), 0xd5); // hard reset while off
  await cc(call(0x02, [0x02]), 0xd5); // cycle while off
  await cc(call(0x02, [0x04]), 0xd5); // NMI while off
  await cc(call(0x02, [0x05]), 0xd5); // soft off while off
  await ok(call(0x02, [0x01]), []);
  assert.equal(host.power, 'on');
  await ok(call(0x01), [0x01, 0x10, 0x40, 0x00]);
  await ok(call(0x02, [0x03]), []);
  await ok(call(0x02, [0x04]), []);
  await ok(call(0x02, [0x05]), []);
  await ok(call(0x02, [0x02]), []);
  assert.equal(host.power, 'off');
  clock.advance(1000);
  assert.equal(host.power, 'on');
  await ok(call(0x02, [0x00]), []);
  assert.equal(host.power, 'off');
  assert.deepEqual(link.calls, ['on', 'reset', 'nmi', 'soft', 'off', 'on', 'off']);
  await cc(call(0x02, [0x06]), 0xcc);
  await cc(call(0x02, [0x11]), 0xcc);
  await cc(call(0x02, []), 0xc7);
  await cc(call(0x02, [0x01, 0x00]), 0xc7);
});

test('Chassis Control needs Operator', async () => {
  const { call, ctx, host } = setup();
  await cc(call(0x02, [0x01], { ...ctx, privilege: 2 }), 0xd4);
  assert.equal(host.power, 'off');
  await ok(call(0x02, [0x01], { ...ctx, privilege: 3 }), []);
});

test('Get System Restart Cause: chassis control and its channel', async () => {
  const { call } = setup();
  await ok(call(0x07), [0x00, 0x00]);
  await ok(call(0x02, [0x01]), []);
  await ok(call(0x07), [0x01, 0x01]);
});

test('Chassis Identify: default 15 s, interval, force, off', async () => {
  const { call, clock } = setup();
  await ok(call(0x04), []);
  await ok(call(0x01), [0x00, 0x00, 0x50, 0x00]);
  clock.advance(15_000);
  await ok(call(0x01), [0x00, 0x00, 0x40, 0x00]);
  await ok(call(0x04, [0x05]), []);
  await ok(call(0x01), [0x00, 0x00, 0x50, 0x00]);
  await ok(call(0x04, [0x00, 0x01]), []); // ipmitool "chassis identify force"
  await ok(call(0x01), [0x00, 0x00, 0x60, 0x00]);
  clock.advance(60_000);
  await ok(call(0x01), [0x00, 0x00, 0x60, 0x00]);
  await ok(call(0x04, [0x00]), []);
  await ok(call(0x01), [0x00, 0x00, 0x40, 0x00]);
  await cc(call(0x04, [0x00, 0x02]), 0xcc);
  await cc(call(0x04, [0x00, 0x00, 0x00]), 0xc7);
});

test('Set Power Restore Policy: supported mask, no change, values', async () => {
  const { call, host } = setup();
  await ok(call(0x06, [0x03]), [0x07]);
  assert.equal(host.restorePolicy, 'always-off');
  await ok(call(0x06, [0x02]), [0x07]);
  assert.equal(host.restorePolicy, 'always-on');
  await ok(call(0x01), [0x40, 0x00, 0x40, 0x00]);
  await ok(call(0x06, [0x01]), [0x07]);
  await ok(call(0x01), [0x20, 0x00, 0x40, 0x00]);
  await cc(call(0x06, [0x04]), 0xcc);
  await cc(call(0x06, [0x09]), 0xcc);
  await cc(call(0x06, []), 0xc7);
});

test('Get POH Counter: 60 minutes per count', async () => {
  const { call, host, clock } = setup();
  await ok(call(0x0f), [60, 0, 0, 0, 0]);
  host.request('on');
  clock.advance(125 * 60_000);
  await ok(call(0x0f), [60, 2, 0, 0, 0]);
});

test('Set Power Cycle Interval', async () => {
  const { call, host, ctx } = setup();
  await ok(call(0x0b, [0x05]), []);
  assert.equal(host.powerCycleIntervalS, 5);
  await cc(call(0x0b, []), 0xc7);
  await cc(call(0x0b, [0x05], { ...ctx, privilege: 3 }), 0xd4);
});

test('ipmitool "chassis bootdev pxe options=efiboot,persistent": exact sequence and round trip', async () => {
  const { call, host, link } = setup();
  await ok(call(0x08, [0x00, 0x01]), []); // set in progress
  await ok(call(0x08, [0x04, 0x01, 0x01]), []); // boot info ack: mask BIOS/POST, data BIOS/POST
  await ok(call(0x08, [0x05, 0xe0, 0x04, 0x00, 0x00, 0x00]), []); // valid|persistent|EFI, force PXE
  await ok(call(0x08, [0x00, 0x02]), []); // commit write
  await ok(call(0x08, [0x00, 0x00]), []); // set complete
  await ok(call(0x09, [0x05, 0x00, 0x00]), [0x01, 0x05, 0xe0, 0x04, 0x00, 0x00, 0x00]);
  await ok(call(0x09, [0x04, 0x00, 0x00]), [0x01, 0x04, 0x00, 0x01]);
  await ok(call(0x09, [0x00, 0x00, 0x00]), [0x01, 0x00, 0x00]);
  assert.deepEqual(
    { valid: host.boot.override.valid, persistent: host.boot.override.persistent, mode: host.boot.override.mode, device: host.boot.override.device },
    { valid: true, persistent: true, mode: 'uefi', device: 'pxe' },
  );
  await ok(call(0x02, [0x01]), []);
  assert.deepEqual(link.lastBoot, { device: 'pxe', mode: 'uefi' });
  // persistent: still valid after the boot
  await ok(call(0x09, [0x05, 0x00, 0x00]), [0x01, 0x05, 0xe0, 0x04, 0x00, 0x00, 0x00]);
});

test('boot flags for the next boot only are consumed by the boot', async () => {
  const { call, link } = setup();
  await ok(call(0x08, [0x05, 0x80, 0x08, 0x00, 0x00, 0x00]), []); // ipmitool "bootdev disk"
  await ok(call(0x02, [0x01]), []);
  assert.deepEqual(link.lastBoot, { device: 'disk', mode: 'legacy' });
  await ok(call(0x09, [0x05, 0x00, 0x00]), [0x01, 0x05, 0x00, 0x08, 0x00, 0x00, 0x00]);
});

test('boot flags: every device selector, other bits kept, reserved values refused', async () => {
  const { call, host } = setup();
  const devices: [number, string][] = [
    [0x0, 'none'], [0x1, 'pxe'], [0x2, 'disk'], [0x3, 'disk-safe'], [0x4, 'diag'], [0x5, 'cdrom'],
    [0x6, 'bios-setup'], [0x7, 'remote-floppy'], [0x8, 'remote-cdrom'], [0xb, 'remote-disk'], [0xf, 'floppy'],
  ];
  for (const [sel, device] of devices) {
    await ok(call(0x08, [0x05, 0x80, sel << 2, 0x00, 0x00, 0x00]), []);
    assert.equal(host.boot.override.device, device);
  }
  // CMOS clear, lock keyboard, screen blank, lock reset; byte 3 verbose + console enable; byte 4 shared + mux BMC; instance 3
  const flags = [0x80, 0xc0 | (0x5 << 2) | 0x03, 0x42, 0x09, 0x03];
  await ok(call(0x08, [0x05, ...flags]), []);
  await ok(call(0x09, [0x05, 0x00, 0x00]), [0x01, 0x05, ...flags]);
  assert.equal(host.boot.override.cmosClear, true);
  assert.equal(host.boot.override.instance, 3);
  for (const bad of [
    [0x81, 0x00, 0x00, 0x00, 0x00], // reserved byte 1 bits
    [0x80, 0x0a << 2, 0x00, 0x00, 0x00], // selector Ah reserved
    [0x80, 0x09 << 2, 0x00, 0x00, 0x00], // primary remote media: no model device
    [0x80, 0x00, 0x60, 0x00, 0x00], // verbosity 11b
    [0x80, 0x00, 0x03, 0x00, 0x00], // console redirection 11b
    [0x80, 0x00, 0x00, 0x13, 0x00], // byte 4 reserved
    [0x80, 0x00, 0x00, 0x03, 0x00], // mux 011b
    [0x80, 0x00, 0x00, 0x00, 0x20], // byte 5 reserved
  ]) {
    await cc(call(0x08, [0x05, ...bad]), 0xcc);
  }
  await cc(call(0x08, [0x05, 0x80, 0x04, 0x00, 0x00]), 0xc7);
  await cc(call(0x08, [0x05, 0x80, 0x04, 0x00, 0x00, 0x00, 0x00]), 0xc7);
});

test('a device Redfish chose survives an IPMI read-modify-write of the flags', async () => {
  const { call, host } = setup();
  host.setBootOverride({ ...host.boot.override, valid: true, device: 'usb' });
  await ok(call(0x09, [0x05, 0x00, 0x00]), [0x01, 0x05, 0x80, 0x3c, 0x00, 0x00, 0x00]);
  await ok(call(0x08, [0x05, 0xc0, 0x3c, 0x00, 0x00, 0x00]), []);
  assert.equal(host.boot.override.device, 'usb');
  assert.equal(host.boot.override.persistent, true);
});

test('boot option set-in-progress state machine', async () => {
  const { call } = setup();
  await ok(call(0x08, [0x00, 0x01]), []);
  await ok(call(0x09, [0x00, 0x00, 0x00]), [0x01, 0x00, 0x01]);
  await cc(call(0x08, [0x00, 0x01]), 0x81);
  await ok(call(0x08, [0x00, 0x02]), []);
  await ok(call(0x09, [0x00, 0x00, 0x00]), [0x01, 0x00, 0x01]);
  await ok(call(0x08, [0x00, 0x00]), []);
  await ok(call(0x09, [0x00, 0x00, 0x00]), [0x01, 0x00, 0x00]);
  await ok(call(0x08, [0x00, 0x01]), []);
  await cc(call(0x08, [0x00, 0x03]), 0xcc);
  await cc(call(0x08, [0x00, 0x05]), 0xcc);
});

test('boot parameters 1-4, 6, 7 and the parameter valid bit', async () => {
  const { call, ctx } = setup();
  await ok(call(0x08, [0x01, 0x07]), []);
  await ok(call(0x09, [0x01, 0x00, 0x00]), [0x01, 0x01, 0x07]);
  await ok(call(0x08, [0x02, 0x03]), []);
  await ok(call(0x09, [0x02, 0x00, 0x00]), [0x01, 0x02, 0x03]);
  await cc(call(0x08, [0x02, 0x04]), 0xcc);
  await ok(call(0x08, [0x03, 0x1f]), []);
  await ok(call(0x09, [0x03, 0x00, 0x00]), [0x01, 0x03, 0x1f]);
  await cc(call(0x08, [0x03, 0x20]), 0xcc);
  // ack: FFh data through mask 03h
  await ok(call(0x08, [0x04, 0x03, 0xff]), []);
  await ok(call(0x09, [0x04, 0x00, 0x00]), [0x01, 0x04, 0x00, 0x03]);
  await ok(call(0x08, [0x04, 0x01, 0x00]), []);
  await ok(call(0x09, [0x04, 0x00, 0x00]), [0x01, 0x04, 0x00, 0x02]);
  const info = [0x01, 0x78, 0x56, 0x34, 0x12, 0x00, 0x00, 0x80, 0x69];
  await ok(call(0x08, [0x06, ...info]), []);
  await ok(call(0x09, [0x06, 0x00, 0x00]), [0x01, 0x06, ...info]);
  await cc(call(0x08, [0x06, 0x11, ...info.slice(1)]), 0xcc);
  // mailbox block 0: IANA 343 (57h 01h 00h) then "AB"; block 1 untouched
  await ok(call(0x08, [0x07, 0x00, 0x57, 0x01, 0x00, 0x41, 0x42]), []);
  await ok(call(0x09, [0x07, 0x00, 0x00]), [0x01, 0x07, 0x00, 0x57, 0x01, 0x00, 0x41, 0x42, ...new Array<number>(11).fill(0)]);
  await ok(call(0x09, [0x07, 0x01, 0x00]), [0x01, 0x07, 0x01, ...new Array<number>(16).fill(0)]);
  await cc(call(0x09, [0x07, 0x05, 0x00]), 0xc9);
  await cc(call(0x08, [0x07, 0x05, 0x00]), 0xc9);
  await cc(call(0x08, [0x07, 0x00]), 0xc7);
  await cc(call(0x08, [0x07, 0x00, ...new Array<number>(17).fill(1)]), 0xc7);
  // bit 7 marks the parameter invalid/locked; Get reports it in byte 2
  await ok(call(0x08, [0x81, 0x07]), []);
  await ok(call(0x09, [0x01, 0x00, 0x00]), [0x01, 0x81, 0x07]);
  await ok(call(0x08, [0x01, 0x07]), []);
  await ok(call(0x09, [0x01, 0x00, 0x00]), [0x01, 0x01, 0x07]);
  // unsupported parameters, reserved selector bit, lengths, privilege
  await cc(call(0x08, [0x08, 0x00]), 0x80);
  await cc(call(0x08, [0x60]), 0x80);
  await cc(call(0x09, [0x08, 0x00, 0x00]), 0x80);
  await cc(call(0x09, [0x81, 0x00, 0x00]), 0xcc);
  await cc(call(0x09, [0x05, 0x00]), 0xc7);
  await cc(call(0x09, [0x05, 0x00, 0x00, 0x00]), 0xc7);
  await cc(call(0x08, [0x01]), 0xc7);
  await cc(call(0x08, [0x01, 0x00, 0x00]), 0xc7);
  await cc(call(0x09, [0x05, 0x00, 0x00], { ...ctx, privilege: 2 }), 0xd4);
  await cc(call(0x08, [0x00, 0x01], { ...ctx, privilege: 2 }), 0xd4);
});

test('no Chassis handler throws past the dispatcher on arbitrary input', async () => {
  const { call } = setup();
  for (const def of chassisCommands) {
    for (let len = 0; len <= 20; len++) {
      for (const fill of [0x00, 0x01, 0x05, 0x07, 0x80, 0xff]) {
        const r = await call(def.cmd, new Array<number>(len).fill(fill));
        assert.notEqual(r.cc, 0xff, `${def.name} len ${len} fill ${fill}`);
      }
    }
  }
});
