// Sensor/Event commands against the test BMC: request bytes written from
// the IPMI v2.0 section 29/35 layouts by hand, exact response bytes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { makeTestBmc } from '../../model/testing.js';
import type { IpmiContext } from '../context.js';
import { CommandRegistry } from '../registry.js';
import { sensorEventCommands } from './sensor-event.js';
import { storageCommands } from './storage.js';

function setup(channel = 1) {
  const t = makeTestBmc();
  const registry = new CommandRegistry().register(sensorEventCommands).register(storageCommands);
  const host = t.bmc.hosts[0]!;
  const ctx: IpmiContext = { bmc: t.bmc, host, channel, privilege: 4 };
  const call = async (cmd: number, data: number[], netFn = 0x04) => {
    const r = await registry.dispatch({ netFn, cmd, data: Uint8Array.from(data) }, ctx);
    return { cc: r.cc, data: [...r.data] };
  };
  return { ...t, host, ctx, call };
}

const ok = (data: number[]) => ({ cc: 0, data });
const err = (cc: number) => ({ cc, data: [] });

test('Set/Get Event Receiver', async () => {
  const { call } = setup();
  assert.deepEqual(await call(0x01, []), ok([0x20, 0x00]));
  assert.deepEqual(await call(0x00, [0x22, 0x01]), ok([]));
  assert.deepEqual(await call(0x01, []), ok([0x22, 0x01]));
  assert.deepEqual(await call(0x00, [0x22]), err(0xc7));
  assert.deepEqual(await call(0x01, [0x00]), err(0xc7));
});

test('Platform Event Message over LAN logs a record with the remote console generator id', async () => {
  const { call, host, clock } = setup();
  assert.deepEqual(await call(0x02, [0x04, 0x01, 0x30, 0x01, 0x09, 0xff, 0xff]), ok([]));
  const ts = Math.floor(clock.now() / 1000);
  const t = [ts & 0xff, (ts >> 8) & 0xff, (ts >> 16) & 0xff, (ts >>> 24) & 0xff];
  assert.deepEqual(await call(0x43, [0, 0, 0, 0, 0, 0xff], 0x0a), ok([0xff, 0xff, 0x01, 0x00, 0x02, ...t, 0x81, 0x10, 0x04, 0x01, 0x30, 0x01, 0x09, 0xff, 0xff]));
  // event data 2 and 3 are optional
  assert.deepEqual(await call(0x02, [0x04, 0x0c, 0x53, 0x6f, 0x00]), ok([]));
  assert.equal(host.sel.count, 2);
  assert.deepEqual([...host.sel.last()!.body.subarray(10)], [0x00, 0xff, 0xff]);
  assert.deepEqual(await call(0x02, [0x04, 0x01, 0x30, 0x01]), err(0xc7));
  assert.deepEqual(await call(0x02, [0x04, 0x01, 0x30, 0x01, 0x09, 0xff, 0xff, 0x00]), err(0xc7));
});

test('Platform Event Message over the system interface takes the generator id from the request', async () => {
  const { call, host } = setup(0x0f);
  assert.deepEqual(await call(0x02, [0x41, 0x04, 0x01, 0x30, 0x01, 0x09, 0xff, 0xff]), ok([]));
  assert.deepEqual([...host.sel.last()!.body.subarray(4, 6)], [0x41, 0x00]);
});

test('Get Device SDR Info, Reserve Device SDR Repository, Get Device SDR', async () => {
  const { call, bmc } = setup();
  const t = Math.floor(bmc.startedAt / 1000);
  const ts = [t & 0xff, (t >> 8) & 0xff, (t >> 16) & 0xff, (t >>> 24) & 0xff];
  assert.deepEqual(await call(0x20, []), ok([4, 0x01, ...ts]));
  assert.deepEqual(await call(0x20, [0x01]), ok([6, 0x01, ...ts]));
  assert.deepEqual(await call(0x22, []), ok([0x01, 0x00]));
  // header of record 1 (CPU Temp): next id 2
  assert.deepEqual(await call(0x21, [0x01, 0x00, 0x01, 0x00, 0x00, 0x05]), ok([0x02, 0x00, 0x01, 0x00, 0x51, 0x01, 0x33]));
  // partial read with a stale reservation
  assert.deepEqual(await call(0x21, [0x09, 0x00, 0x01, 0x00, 0x05, 0x03]), err(0xc5));
  assert.deepEqual(await call(0x21, [0x01, 0x00, 0x01, 0x00, 0x05, 0x03]), ok([0x02, 0x00, 0x20, 0x00, 0x01]));
  assert.deepEqual(await call(0x21, [0x00, 0x00, 0x09, 0x00, 0x00, 0xff]), err(0xcb));
});

test('Get Sensor Reading: threshold, absent, discrete, unknown', async () => {
  const { call, links, host } = setup();
  links[0]!.readings.set(0x30, 12.0);
  host.scan();
  assert.deepEqual(await call(0x2d, [0x30]), ok([190, 0xc0, 0xc0, 0x80]));
  links[0]!.readings.set(0x30, 13.3); // 211 counts: >= UNC (205) and UC (210)
  host.scan();
  assert.deepEqual(await call(0x2d, [0x30]), ok([211, 0xc0, 0xc0 | 0x18, 0x80]));
  // absent device (FAN3): "requested sensor not present", as real boards answer
  assert.deepEqual(await call(0x2d, [0x41]), { cc: 0xcb, data: [] });
  assert.deepEqual(await call(0x27, [0x41]), { cc: 0xcb, data: [] });
  host.setDiscrete(0xaa, 0x0001);
  assert.deepEqual(await call(0x2d, [0xaa]), ok([0x00, 0xc0, 0x01, 0x80]));
  assert.deepEqual(await call(0x2d, [0x99]), err(0xcb));
  assert.deepEqual(await call(0x2d, []), err(0xc7));
  assert.deepEqual(await call(0x2d, [0x30, 0x00]), err(0xc7));
});

test('a threshold crossing produces exactly one SEL record with the right event data', async () => {
  const { call, links, host, clock } = setup();
  links[0]!.readings.set(0x30, 12.0);
  host.scan();
  assert.equal(host.sel.count, 0);
  links[0]!.readings.set(0x30, 13.0); // 206 counts: crosses UNC (205) going high only
  host.scan();
  host.scan();
  assert.equal(host.sel.count, 1);
  const ts = Math.floor(clock.now() / 1000);
  const t = [ts & 0xff, (ts >> 8) & 0xff, (ts >> 16) & 0xff, (ts >>> 24) & 0xff];
  assert.deepEqual(
    await call(0x43, [0, 0, 0, 0, 0, 0xff], 0x0a),
    ok([0xff, 0xff, 0x01, 0x00, 0x02, ...t, 0x20, 0x00, 0x04, 0x02, 0x30, 0x01, 0x57, 206, 205]),
  );
  assert.deepEqual(await call(0x2b, [0x30]), ok([0xc0, 0x80, 0x00, 0x00, 0x00]));
});

test('Get Sensor Reading Factors', async () => {
  const { call } = setup();
  assert.deepEqual(await call(0x23, [0x30, 0x00]), ok([0xff, 0x3f, 0x00, 0x00, 0x00, 0x00, 0xd0]));
  assert.deepEqual(await call(0x23, [0xaa, 0x00]), err(0xcd));
  assert.deepEqual(await call(0x23, [0x30]), err(0xc7));
});

test('Set/Get Sensor Hysteresis', async () => {
  const { call } = setup();
  assert.deepEqual(await call(0x25, [0x30, 0xff]), ok([0x02, 0x02]));
  assert.deepEqual(await call(0x24, [0x30, 0xff, 0x03, 0x01]), ok([]));
  assert.deepEqual(await call(0x25, [0x30, 0xff]), ok([0x03, 0x01]));
  assert.deepEqual(await call(0x24, [0x30, 0xff, 0x03]), err(0xc7));
  assert.deepEqual(await call(0x25, [0x77, 0xff]), err(0xcb));
});

test('Set/Get Sensor Thresholds', async () => {
  const { call, persist } = setup();
  assert.deepEqual(await call(0x27, [0x30]), ok([0x3f, 170, 163, 161, 205, 210, 212]));
  // set UNC only (mask bit 3) to 200 counts
  assert.deepEqual(await call(0x26, [0x30, 0x08, 0, 0, 0, 200, 0, 0]), ok([]));
  assert.deepEqual(await call(0x27, [0x30]), ok([0x3f, 170, 163, 161, 200, 210, 212]));
  assert.match(JSON.stringify([...(persist as unknown as { docs: Map<string, string> }).docs.entries()]), /sensor-config/);
  // the SDR follows
  assert.equal((await call(0x23, [0, 0, 2, 0, 38, 1], 0x0a)).cc, 0xc5);
  const rsv = (await call(0x22, [], 0x0a)).data;
  assert.deepEqual(await call(0x23, [...rsv, 2, 0, 38, 1], 0x0a), ok([3, 0, 200]));
  // reserved mask bit: not settable
  assert.deepEqual(await call(0x26, [0x30, 0x40, 0, 0, 0, 0, 0, 0]), err(0xcc));
  assert.deepEqual(await call(0x26, [0x30, 0x08, 0, 0, 0, 200, 0]), err(0xc7));
  assert.deepEqual(await call(0x27, [0xaa]), err(0xcd));
  assert.deepEqual(await call(0x27, [0x99]), err(0xcb));
});

test('Set/Get Sensor Event Enable', async () => {
  const { call } = setup();
  assert.deepEqual(await call(0x29, [0x30]), ok([0xc0, 0x95, 0x0a, 0x95, 0x0a]));
  // disable selected: assertion offset 7 (UNC going high)
  assert.deepEqual(await call(0x28, [0x30, 0xe0, 0x80, 0x00, 0x00, 0x00]), ok([]));
  assert.deepEqual(await call(0x29, [0x30]), ok([0xc0, 0x15, 0x0a, 0x95, 0x0a]));
  // enable selected
  assert.deepEqual(await call(0x28, [0x30, 0xd0, 0x80, 0x00]), ok([]));
  assert.deepEqual(await call(0x29, [0x30]), ok([0xc0, 0x95, 0x0a, 0x95, 0x0a]));
  // all events off, scanning kept, masks unchanged
  assert.deepEqual(await call(0x28, [0x30, 0x40]), ok([]));
  assert.deepEqual(await call(0x29, [0x30]), ok([0x40, 0x95, 0x0a, 0x95, 0x0a]));
  assert.deepEqual(await call(0x28, [0x30, 0xf0]), err(0xcc));
  assert.deepEqual(await call(0x28, [0x30]), err(0xc7));
});

test('Re-arm Sensor Events logs the present condition again', async () => {
  const { call, links, host } = setup();
  links[0]!.readings.set(0x30, 13.0);
  host.scan();
  assert.equal(host.sel.count, 1);
  assert.deepEqual(await call(0x2a, [0x30, 0x00]), ok([]));
  assert.equal(host.sel.count, 2);
  assert.deepEqual(await call(0x2a, [0x30]), err(0xc7));
  assert.deepEqual(await call(0x2a, [0x99, 0x00]), err(0xcb));
});

test('Get Sensor Event Status and Get Sensor Type', async () => {
  const { call } = setup();
  assert.deepEqual(await call(0x2b, [0x41]), ok([0xe0, 0x00, 0x00, 0x00, 0x00]));
  assert.deepEqual(await call(0x2f, [0x30]), ok([0x02, 0x01]));
  assert.deepEqual(await call(0x2f, [0xaa]), ok([0x05, 0x6f]));
  assert.deepEqual(await call(0x2f, [0x02]), err(0xcb));
});

test('privilege: a user may read but not set thresholds', async () => {
  const t = makeTestBmc();
  const registry = new CommandRegistry().register(sensorEventCommands);
  const ctx: IpmiContext = { bmc: t.bmc, host: t.bmc.hosts[0]!, channel: 1, privilege: 2 };
  assert.equal((await registry.dispatch({ netFn: 4, cmd: 0x27, data: Uint8Array.of(0x30) }, ctx)).cc, 0x00);
  assert.equal((await registry.dispatch({ netFn: 4, cmd: 0x26, data: Uint8Array.of(0x30, 0, 0, 0, 0, 0, 0, 0) }, ctx)).cc, 0xd4);
});
