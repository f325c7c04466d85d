// DCMI commands against the test BMC: requests written from the DCMI v1.5
// section 6 layouts by hand (group extension DCh first), exact responses.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { makeTestBmc } from '../../model/testing.js';
import type { IpmiContext } from '../context.js';
import { CommandRegistry } from '../registry.js';
import { dcmiCommands } from './dcmi.js';

function setup() {
  const t = makeTestBmc();
  const registry = new CommandRegistry().register(dcmiCommands);
  const host = t.bmc.hosts[0]!;
  const ctx: IpmiContext = { bmc: t.bmc, host, channel: 1, privilege: 4 };
  const call = async (cmd: number, data: number[]) => {
    const r = await registry.dispatch({ netFn: 0x2c, cmd, data: Uint8Array.from(data) }, ctx);
    return { cc: r.cc, data: [...r.data] };
  };
  return { ...t, host, call };
}

const ok = (data: number[]) => ({ cc: 0, data: [0xdc, ...data] });
const le32 = (v: number) => [v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, (v >>> 24) & 0xff];

test('Get DCMI Capabilities Info, every parameter', async () => {
  const { call } = setup();
  const head = [0x01, 0x05, 0x02];
  assert.deepEqual(await call(0x01, [0xdc, 0x01]), ok([...head, 0x00, 0x01, 0x00]));
  assert.deepEqual(await call(0x01, [0xdc, 0x02]), ok([...head, 0x40, 0x00, 0x00, 0x00, 0x01]));
  assert.deepEqual(await call(0x01, [0xdc, 0x03]), ok([...head, 0x20, 0x01]));
  assert.deepEqual(await call(0x01, [0xdc, 0x04]), ok([...head, 0x01, 0xff, 0xff]));
  assert.deepEqual(await call(0x01, [0xdc, 0x05]), ok([...head, 9, 0x05, 0x0f, 0x1e, 0x41, 0x43, 0x47, 0x4f, 0x5e, 0x81]));
  assert.deepEqual(await call(0x01, [0xdc, 0x06]), { cc: 0x80, data: [0xdc] });
  assert.deepEqual(await call(0x01, [0xdd, 0x01]), { cc: 0xcc, data: [0xdc] });
  assert.deepEqual(await call(0x01, [0xdc]), { cc: 0xc7, data: [] });
});

test('Get Power Reading from the host power samples', async () => {
  const { call, links, host, clock } = setup();
  links[0]!.powerWatts = 100;
  host.scan();
  clock.advance(1000);
  links[0]!.powerWatts = 200;
  host.scan();
  const ts = le32(Math.floor(clock.now() / 1000));
  assert.deepEqual(
    await call(0x02, [0xdc, 0x01, 0x00, 0x00]),
    ok([200, 0, 100, 0, 200, 0, 150, 0, ...ts, ...le32(1000), 0x40]),
  );
  // enhanced: the last 5 seconds
  assert.deepEqual((await call(0x02, [0xdc, 0x02, 0x05, 0x00])).data.slice(1, 9), [200, 0, 100, 0, 200, 0, 150, 0]);
  assert.deepEqual(await call(0x02, [0xdc, 0x02, 0x06, 0x00]), { cc: 0xcc, data: [0xdc] });
  assert.deepEqual(await call(0x02, [0xdc, 0x03, 0x00, 0x00]), { cc: 0xcc, data: [0xdc] });
  assert.deepEqual(await call(0x02, [0xdc, 0x01, 0x00]), { cc: 0xc7, data: [] });
});

test('power limit: none active (80h with data), set, activate, deactivate', async () => {
  const { call } = setup();
  assert.deepEqual(await call(0x03, [0xdc, 0x00, 0x00]), {
    cc: 0x80,
    data: [0xdc, 0x00, 0x00, 0x00, 0x00, 0x00, 0xe8, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00],
  });
  const set = [0xdc, 0, 0, 0, 0x01, 0x2c, 0x01, 0x88, 0x13, 0x00, 0x00, 0, 0, 0x05, 0x00];
  assert.deepEqual(await call(0x04, set), ok([]));
  assert.equal((await call(0x03, [0xdc, 0x00, 0x00])).cc, 0x80);
  assert.deepEqual(await call(0x05, [0xdc, 0x01, 0x00, 0x00]), ok([]));
  assert.deepEqual(
    await call(0x03, [0xdc, 0x00, 0x00]),
    ok([0x00, 0x00, 0x01, 0x2c, 0x01, 0x88, 0x13, 0x00, 0x00, 0x00, 0x00, 0x05, 0x00]),
  );
  assert.deepEqual(await call(0x05, [0xdc, 0x00, 0x00, 0x00]), ok([]));
  assert.equal((await call(0x03, [0xdc, 0x00, 0x00])).cc, 0x80);
  assert.deepEqual(await call(0x05, [0xdc, 0x02, 0x00, 0x00]), { cc: 0xcc, data: [0xdc] });
  assert.deepEqual(await call(0x04, set.slice(0, 14)), { cc: 0xc7, data: [] });
  const badAction = [...set];
  badAction[4] = 0x12;
  assert.deepEqual(await call(0x04, badAction), { cc: 0xcc, data: [0xdc] });
  const noSampling = [...set];
  noSampling[13] = 0;
  assert.deepEqual(await call(0x04, noSampling), { cc: 0x89, data: [0xdc] });
});

test('asset tag maps onto the FRU product area', async () => {
  const { call, host } = setup();
  assert.deepEqual(await call(0x06, [0xdc, 0x00, 0x00]), ok([0x00]));
  const tag = [...Buffer.from('RACK-42-SLOT-07-SERVER')];
  assert.deepEqual(await call(0x08, [0xdc, 0x00, 16, ...tag.slice(0, 16)]), ok([16]));
  assert.deepEqual(await call(0x08, [0xdc, 16, 6, ...tag.slice(16)]), ok([22]));
  assert.equal(host.frus.get(0)!.info.product?.assetTag, 'RACK-42-SLOT-07-SERVER');
  assert.deepEqual(await call(0x06, [0xdc, 0x00, 0x10]), ok([22, ...tag.slice(0, 16)]));
  assert.deepEqual(await call(0x06, [0xdc, 0x10, 0x10]), ok([22, ...tag.slice(16)]));
  assert.deepEqual(await call(0x06, [0xdc, 0x00, 0x11]), { cc: 0xc9, data: [0xdc] });
  assert.deepEqual(await call(0x08, [0xdc, 30, 1, 0x41]), { cc: 0xc9, data: [0xdc] });
  assert.deepEqual(await call(0x08, [0xdc, 0, 2, 0x41]), { cc: 0xc7, data: [] });
});

test('Get DCMI Sensor Info and Get Temperature Readings', async () => {
  const { call, links, host } = setup();
  // CPU Temp (sensor 01h, entity 03h instance 1) is SDR record 1
  assert.deepEqual(await call(0x07, [0xdc, 0x01, 0x41, 0x00, 0x00]), ok([0x01, 0x01, 0x01, 0x00]));
  assert.deepEqual(await call(0x07, [0xdc, 0x01, 0x03, 0x01, 0x00]), ok([0x01, 0x01, 0x01, 0x00]));
  assert.deepEqual(await call(0x07, [0xdc, 0x01, 0x40, 0x00, 0x00]), ok([0x00, 0x00]));
  assert.deepEqual(await call(0x07, [0xdc, 0x02, 0x41, 0x00, 0x00]), { cc: 0xcc, data: [0xdc] });
  assert.deepEqual(await call(0x07, [0xdc, 0x01, 0x55, 0x00, 0x00]), { cc: 0xcc, data: [0xdc] });
  assert.deepEqual(await call(0x10, [0xdc, 0x01, 0x41, 0x00, 0x00]), ok([0x01, 0x00]));
  links[0]!.readings.set(0x01, 45);
  host.scan();
  assert.deepEqual(await call(0x10, [0xdc, 0x01, 0x41, 0x00, 0x00]), ok([0x01, 0x01, 45, 0x01]));
  links[0]!.readings.set(0x01, -5);
  host.scan();
  assert.deepEqual(await call(0x10, [0xdc, 0x01, 0x41, 0x00, 0x00]), ok([0x01, 0x01, 0x85, 0x01]));
  assert.deepEqual(await call(0x10, [0xdc, 0x01, 0x41, 0x00]), { cc: 0xc7, data: [] });
});

test('management controller identifier string', async () => {
  const { call, bmc } = setup();
  assert.deepEqual(await call(0x09, [0xdc, 0x00, 0x10]), ok([8, ...Buffer.from('test-bmc')]));
  const name = [...Buffer.from('rack1-node7-bmc-west'), 0];
  assert.deepEqual(await call(0x0a, [0xdc, 0, 16, ...name.slice(0, 16)]), ok([16]));
  assert.deepEqual(await call(0x0a, [0xdc, 16, 5, ...name.slice(16)]), ok([21]));
  assert.equal(bmc.mcIdString, 'rack1-node7-bmc-west');
  assert.deepEqual(await call(0x09, [0xdc, 16, 16]), ok([20, ...Buffer.from('west')]));
  assert.deepEqual(await call(0x0a, [0xdc, 40, 1, 0x41]), { cc: 0xc9, data: [0xdc] });
  assert.deepEqual(await call(0x09, [0xdc, 0, 17]), { cc: 0xc9, data: [0xdc] });
});

test('DCMI privileges: a user reads, an operator sets limits, only an administrator sets the id string', async () => {
  const t = makeTestBmc();
  const registry = new CommandRegistry().register(dcmiCommands);
  const as = (privilege: 2 | 3) => ({ bmc: t.bmc, host: t.bmc.hosts[0]!, channel: 1, privilege }) satisfies IpmiContext;
  const d = (b: number[]) => Uint8Array.from(b);
  assert.equal((await registry.dispatch({ netFn: 0x2c, cmd: 0x02, data: d([0xdc, 1, 0, 0]) }, as(2))).cc, 0x00);
  assert.equal((await registry.dispatch({ netFn: 0x2c, cmd: 0x05, data: d([0xdc, 1, 0, 0]) }, as(2))).cc, 0xd4);
  assert.equal((await registry.dispatch({ netFn: 0x2c, cmd: 0x05, data: d([0xdc, 1, 0, 0]) }, as(3))).cc, 0x00);
  assert.equal((await registry.dispatch({ netFn: 0x2c, cmd: 0x0a, data: d([0xdc, 0, 1, 0]) }, as(3))).cc, 0xd4);
});
