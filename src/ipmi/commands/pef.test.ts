// Golden-byte tests of the PEF commands (IPMI v2.0 section 30, NetFn 04h):
// request bytes as ipmitool's `pef` and FreeIPMI's pef-config send them,
// expected bytes written by hand from tables 30-1 to 30-6 and 17-2.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { makeTestBmc } from '../../model/testing.js';
import type { PrivilegeLevel } from '../constants.js';
import type { IpmiContext } from '../context.js';
import { CommandRegistry, type IpmiResponse } from '../registry.js';
import { pefCommands } from './pef.js';
import { sensorEventCommands } from './sensor-event.js';

const SE = 0x04;

function setup(privilege: PrivilegeLevel = 4) {
  const t = makeTestBmc();
  const host = t.bmc.hosts[0]!;
  const registry = new CommandRegistry().register(sensorEventCommands).register(pefCommands);
  const ctx: IpmiContext = { bmc: t.bmc, host, channel: 1, privilege };
  const call = async (cmd: number, data: number[] = [], c: IpmiContext = ctx): Promise<Reply> => {
    const r: IpmiResponse = await registry.dispatch({ netFn: SE, cmd, data: Uint8Array.from(data) }, c);
    return { cc: r.cc, data: [...r.data] };
  };
  return { ...t, host, ctx, call };
}

interface Reply {
  cc: number;
  data: number[];
}
const ok = (data: number[]): Reply => ({ cc: 0, data });
const err = (cc: number): Reply => ({ cc, data: [] });

/** Filter 1: enabled, power off, severity critical, any generator, temperature sensor 01h, threshold, offset 09h (upper critical going high). */
const FILTER = [0x80, 0x02, 0x00, 0x10, 0xff, 0xff, 0x01, 0x01, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00];

test('Get PEF Capabilities: version 51h, power down/reset/cycle/NMI, 16 filters', async () => {
  const { call } = setup(2);
  assert.deepEqual(await call(0x10), ok([0x51, 0x2f, 0x10]));
  assert.deepEqual(await call(0x10, [0x00]), err(0xc7));
});

test('Get PEF Configuration Parameters: defaults, revision only, unsupported 80h', async () => {
  const { call } = setup(3);
  assert.deepEqual(await call(0x13, [0x00, 0x00, 0x00]), ok([0x11, 0x00]));
  assert.deepEqual(await call(0x13, [0x01, 0x00, 0x00]), ok([0x11, 0x03]));
  assert.deepEqual(await call(0x13, [0x02, 0x00, 0x00]), ok([0x11, 0x2f]));
  assert.deepEqual(await call(0x13, [0x03, 0x00, 0x00]), ok([0x11, 0x3c]));
  assert.deepEqual(await call(0x13, [0x05, 0x00, 0x00]), ok([0x11, 0x10]));
  assert.deepEqual(await call(0x13, [0x06, 0x01, 0x00]), ok([0x11, 0x01, ...new Array(20).fill(0)]));
  assert.deepEqual(await call(0x13, [0x07, 0x10, 0x00]), ok([0x11, 0x10, 0x00]));
  assert.deepEqual(await call(0x13, [0x08, 0x00, 0x00]), ok([0x11, 0x10]));
  assert.deepEqual(await call(0x13, [0x09, 0x01, 0x00]), ok([0x11, 0x01, 0x00, 0x00, 0x00]));
  assert.deepEqual(await call(0x13, [0x0b, 0x00, 0x00]), ok([0x11, 0x04]));
  assert.deepEqual(await call(0x13, [0x0c, 0x00, 0x00]), ok([0x11, 0x00, 0x00, 0x00]));
  assert.deepEqual(await call(0x13, [0x0d, 0x01, 0x01]), ok([0x11, 0x01, 0x01, ...new Array(16).fill(0)]));
  // policy entries 1..16, strings 0..4, blocks 1..4
  assert.deepEqual(await call(0x13, [0x09, 0x00, 0x00]), err(0xc9));
  assert.deepEqual(await call(0x13, [0x09, 0x11, 0x00]), err(0xc9));
  assert.deepEqual(await call(0x13, [0x0c, 0x05, 0x00]), err(0xc9));
  assert.deepEqual(await call(0x13, [0x0d, 0x01, 0x05]), err(0xc9));
  assert.deepEqual(await call(0x13, [0x81, 0x00, 0x00]), ok([0x11]));
  for (const p of [0x04, 0x0a, 0x60]) assert.deepEqual(await call(0x13, [p, 0x00, 0x00]), err(0x80));
  // filter numbers run 1..16
  assert.deepEqual(await call(0x13, [0x06, 0x00, 0x00]), err(0xc9));
  assert.deepEqual(await call(0x13, [0x06, 0x11, 0x00]), err(0xc9));
  assert.deepEqual(await call(0x13, [0x06, 0x01]), err(0xc7));
});

test('Set PEF Configuration Parameters: a filter round-trips, read-only 82h, set in progress 81h, bad values CCh', async () => {
  const { call, host } = setup();
  assert.deepEqual(await call(0x12, [0x06, 0x01, ...FILTER]), ok([]));
  assert.deepEqual(await call(0x13, [0x06, 0x01, 0x00]), ok([0x11, 0x01, ...FILTER]));
  // parameter 7: disable filter 1 only
  assert.deepEqual(await call(0x12, [0x07, 0x01, 0x00]), ok([]));
  assert.deepEqual(await call(0x13, [0x06, 0x01, 0x00]), ok([0x11, 0x01, 0x00, ...FILTER.slice(1)]));
  assert.deepEqual(await call(0x12, [0x01, 0x09]), ok([]));
  assert.equal(host.pef.config.control, 0x09);
  assert.deepEqual(await call(0x12, [0x02, 0x08]), ok([]));
  assert.deepEqual(await call(0x12, [0x03, 0x05]), ok([]));
  assert.deepEqual(await call(0x13, [0x03, 0x00, 0x00]), ok([0x11, 0x05]));
  assert.deepEqual(await call(0x12, [0x05, 0x10]), err(0x82));
  assert.deepEqual(await call(0x12, [0x08, 0x00]), err(0x82));
  assert.deepEqual(await call(0x12, [0x0b, 0x00]), err(0x82));
  assert.deepEqual(await call(0x12, [0x09, 0x01, 0x18, 0x11, 0x00]), ok([]));
  assert.deepEqual(await call(0x13, [0x09, 0x01, 0x00]), ok([0x11, 0x01, 0x18, 0x11, 0x00]));
  // policy types 5-7 are reserved
  assert.deepEqual(await call(0x12, [0x09, 0x01, 0x1d, 0x11, 0x00]), err(0xcc));
  assert.deepEqual(await call(0x12, [0x0c, 0x01, 0x01, 0x02]), ok([]));
  assert.deepEqual(await call(0x13, [0x0c, 0x01, 0x00]), ok([0x11, 0x01, 0x01, 0x02]));
  // a short last block of a string
  assert.deepEqual(await call(0x12, [0x0d, 0x01, 0x02, 0x41, 0x00]), ok([]));
  assert.deepEqual(await call(0x13, [0x0d, 0x01, 0x02]), ok([0x11, 0x01, 0x02, 0x41, ...new Array(15).fill(0)]));
  assert.deepEqual(await call(0x12, [0x0d, 0x01, 0x02]), err(0xc7));
  assert.deepEqual(await call(0x12, [0x0d, 0x01, 0x02, ...new Array(17).fill(0x41)]), err(0xc7));
  assert.deepEqual(await call(0x12, [0x06, 0x01, ...FILTER.slice(1)]), err(0xc7));
  assert.deepEqual(await call(0x12, [0x01]), err(0xc7));
  assert.deepEqual(await call(0x12, [0x06, 0x11, ...FILTER]), err(0xc9));
  // the OEM action is not supported; reserved bits
  assert.deepEqual(await call(0x12, [0x02, 0x10]), err(0xcc));
  assert.deepEqual(await call(0x12, [0x06, 0x02, 0x80, 0x10, ...FILTER.slice(2)]), err(0xcc));
  assert.deepEqual(await call(0x12, [0x01, 0x04]), err(0xcc));
  assert.deepEqual(await call(0x12, [0x07, 0x01, 0x81]), err(0xcc));
  // set in progress
  assert.deepEqual(await call(0x12, [0x00, 0x01]), ok([]));
  assert.deepEqual(await call(0x13, [0x00, 0x00, 0x00]), ok([0x11, 0x01]));
  assert.deepEqual(await call(0x12, [0x00, 0x01]), err(0x81));
  assert.deepEqual(await call(0x12, [0x00, 0x00]), ok([]));
  // privilege: operators read, administrators write
  const op = { ...setup(3).ctx };
  assert.deepEqual(await call(0x12, [0x03, 0x05], op), err(0xd4));
});

test('Arm PEF Postpone Timer: arm, read the countdown, temporary disable, off', async () => {
  const { call, clock } = setup();
  assert.deepEqual(await call(0x11, [0xff]), ok([0x00]));
  assert.deepEqual(await call(0x11, [0x1e]), ok([0x1e]));
  clock.advance(10_500);
  assert.deepEqual(await call(0x11, [0xff]), ok([0x14]));
  assert.deepEqual(await call(0x11, [0xfe]), ok([0xfe]));
  assert.deepEqual(await call(0x11, [0xff]), ok([0xfe]));
  assert.deepEqual(await call(0x11, [0x00]), ok([0x00]));
  assert.deepEqual(await call(0x11, []), err(0xc7));
});

test('Last Processed Event ID: a Platform Event Message is processed; software sets its own', async () => {
  const { call, host, clock } = setup();
  assert.deepEqual(await call(0x15), ok([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]));
  host.request('on');
  assert.deepEqual(await call(0x12, [0x06, 0x01, ...FILTER]), ok([]));
  // CPU Temp upper critical going high, reading 50h, threshold 4Bh
  assert.deepEqual(await call(0x02, [0x04, 0x01, 0x01, 0x01, 0x59, 0x50, 0x4b]), ok([]));
  assert.equal(host.power, 'off');
  const t = Math.floor(clock.now() / 1000);
  const ts = [t & 0xff, (t >> 8) & 0xff, (t >> 16) & 0xff, (t >>> 24) & 0xff];
  // records 1 (the event) and 2 (PEF Action); the BMC processed record 1
  assert.deepEqual(await call(0x15), ok([...ts, 0x02, 0x00, 0xff, 0xff, 0x01, 0x00]));
  assert.deepEqual(await call(0x14, [0x00, 0x02, 0x00]), ok([]));
  assert.deepEqual(await call(0x14, [0x01, 0x34, 0x12]), ok([]));
  assert.deepEqual(await call(0x15), ok([...ts, 0x02, 0x00, 0x02, 0x00, 0x34, 0x12]));
  assert.deepEqual(await call(0x14, [0x02, 0x00, 0x00]), err(0xcc));
  assert.deepEqual(await call(0x14, [0x00, 0x00]), err(0xc7));
});

test('any request bytes get a completion code, never FFh', async () => {
  const { call, host } = setup();
  host.request('on');
  await fc.assert(
    fc.asyncProperty(fc.integer({ min: 0x10, max: 0x17 }), fc.uint8Array({ maxLength: 24 }), async (cmd, data) => {
      const r = await call(cmd, [...data]);
      assert.notEqual(r.cc, 0xff);
    }),
    { numRuns: 2000 },
  );
  // Alert Immediate: a destination the channel does not have; PET Acknowledge short
  assert.deepEqual(await call(0x16, [0x01, 0x0f, 0x00]), err(0xcc));
  assert.deepEqual(await call(0x17, []), err(0xc7));
});
