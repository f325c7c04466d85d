// Unit tests for the sensor history rings: bounds (ring sizes and memory),
// per-minute downsampling, window queries and bucketing, missing readings,
// and the Host feeding it on every scan.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_BUCKETS, POWER_CHANNEL, SensorHistory } from './history.js';
import { makeTestBmc } from './testing.js';

const T0 = Date.UTC(2026, 0, 1);
const id = (x: number) => x;

function history(opts: { fineSlots?: number; coarseSlots?: number; chunkSlots?: number; channels?: number } = {}) {
  const channels = Array.from({ length: opts.channels ?? 2 }, (_, i) => ({ key: i + 1, toValue: id }));
  const { channels: _n, ...rest } = opts;
  return new SensorHistory({ ...rest, channels });
}

test('fine tier keeps the last fineSlots samples, oldest first', () => {
  const h = history({ fineSlots: 10, coarseSlots: 5, chunkSlots: 4 });
  for (let i = 0; i < 25; i++) h.record(T0 + i * 1000, (ch) => (ch === 0 ? i : 100 + i));
  assert.equal(h.sizes.fine, 10);
  const pts = h.query(1, T0, T0 + 60_000, 1);
  // only the coarse average of minute 0 is older than the fine tier... none closed yet: all 25 samples are in minute 0
  assert.deepEqual(pts.map((p) => p.v), [15, 16, 17, 18, 19, 20, 21, 22, 23, 24]);
  assert.deepEqual(pts.map((p) => p.t), Array.from({ length: 10 }, (_, i) => T0 + (15 + i) * 1000));
  assert.deepEqual(h.query(2, T0, T0 + 60_000, 1).map((p) => p.v).slice(0, 2), [115, 116]);
});

test('memory is allocated in chunks as the rings fill and stays bounded', () => {
  const h = history({ fineSlots: 100, coarseSlots: 50, chunkSlots: 16, channels: 4 });
  assert.equal(h.bytes, 0);
  h.record(T0, () => 1);
  const oneChunk = 16 * 8 + 16 * 4 * 2;
  assert.equal(h.bytes, oneChunk);
  for (let i = 1; i < 100_000; i++) h.record(T0 + i * 1000, () => i % 200);
  const fine = 100 * 8 + 100 * 4 * 2;
  const coarse = 50 * 8 + 50 * 4 * 2;
  assert.equal(h.bytes, fine + coarse);
  assert.deepEqual(h.sizes, { fine: 100, coarse: 50 });
});

test('default bounds: an hour of scans and a week of minutes, about a megabyte for 34 channels', () => {
  const h = history({ channels: 34 });
  for (let i = 0; i < 8 * 24 * 60; i++) h.record(T0 + i * 60_000, () => 1);
  assert.equal(h.sizes.coarse, 10080);
  for (let i = 0; i < 4000; i++) h.record(T0 + 8 * 86_400_000 + i * 1000, () => 1);
  assert.equal(h.sizes.fine, 3600);
  assert.ok(h.bytes < 1.1 * 1024 * 1024, `${h.bytes} bytes`);
});

test('the coarse tier keeps one average per minute; queries older than the fine tier use it', () => {
  const h = history({ fineSlots: 60, coarseSlots: 100 });
  // 5 minutes at one sample a second: minute m reads m*10 .. m*10+59 (average m*10 + 29.5)
  for (let i = 0; i < 300; i++) h.record(T0 + i * 1000, (ch) => (ch === 0 ? Math.floor(i / 60) * 10 + (i % 60) : null));
  h.record(T0 + 300_000, (ch) => (ch === 0 ? 0 : null)); // closes minute 4
  assert.equal(h.sizes.coarse, 5);
  const perMinute = h.query(1, T0, T0 + 300_000, 60_000);
  // minutes 0-3 from the coarse tier (time = start of the minute); the fine tier holds the last 60 samples (4:01 .. 5:00)
  assert.deepEqual(perMinute.slice(0, 4), [
    { t: T0, v: 29.5 },
    { t: T0 + 60_000, v: 39.5 },
    { t: T0 + 120_000, v: 49.5 },
    { t: T0 + 180_000, v: 59.5 },
  ]);
  // channel 2 never had a reading: no points at all
  assert.deepEqual(h.query(2, T0, T0 + 300_000, 60_000), []);
});

test('averages keep hundredths of a count and convert through the channel', () => {
  const h = new SensorHistory({ channels: [{ key: 7, toValue: (raw) => raw * 0.5 }], fineSlots: 2, coarseSlots: 10 });
  for (const [i, v] of [1, 2, 2].entries()) h.record(T0 + i * 1000, () => v);
  h.record(T0 + 60_000, () => 9); // closes minute 0: average 5/3 counts
  h.record(T0 + 61_000, () => 9);
  h.record(T0 + 62_000, () => 9); // the fine tier no longer holds minute 0
  const [p] = h.query(7, T0, T0 + 59_000, 60_000);
  assert.equal(p!.v, 1.67 * 0.5);
});

test('window queries: bounds are inclusive, buckets average, points sit at their newest sample', () => {
  const h = history({ fineSlots: 1000 });
  for (let i = 0; i < 100; i++) h.record(T0 + i * 1000, () => i);
  assert.deepEqual(h.query(1, T0 + 10_000, T0 + 12_000, 1000).map((p) => p.v), [10, 11, 12]);
  const tens = h.query(1, T0, T0 + 99_000, 10_000);
  assert.equal(tens.length, 10);
  assert.deepEqual(tens[0], { t: T0 + 9000, v: 4.5 });
  assert.deepEqual(tens[9], { t: T0 + 99_000, v: 94.5 });
  assert.deepEqual(h.query(1, T0 + 200_000, T0 + 300_000, 1000), [], 'a window after the data');
  assert.deepEqual(h.query(1, T0 + 5000, T0, 1000), [], 'an empty window');
  assert.deepEqual(h.query(99, T0, T0 + 99_000, 1000), [], 'an unknown channel');
  // a step too small for the window is widened to MAX_BUCKETS buckets
  assert.ok(h.query(1, T0 - 10 * MAX_BUCKETS * 1000, T0 + 99_000, 1).length <= MAX_BUCKETS);
});

test('missing readings leave gaps; values are clamped to 16 bits', () => {
  const h = history({ fineSlots: 100 });
  h.record(T0, () => 5);
  h.record(T0 + 1000, () => null);
  h.record(T0 + 2000, () => Number.NaN);
  h.record(T0 + 3000, () => 1e9);
  h.record(T0 + 4000, () => -1e9);
  assert.deepEqual(h.query(1, T0, T0 + 4000, 1000).map((p) => [p.t - T0, p.v]), [
    [0, 5],
    [3000, 32767],
    [4000, -32767],
  ]);
});

test('a host records every threshold sensor and its power draw on each scan', () => {
  const { bmc, links, clock } = makeTestBmc();
  const host = bmc.hosts[0]!;
  const start = clock.now();
  links[0]!.readings.set(0x01, 40);
  links[0]!.powerWatts = 210;
  for (let i = 0; i < 5; i++) {
    links[0]!.readings.set(0x01, 40 + i);
    host.scan();
    clock.advance(1000);
  }
  const cpu = host.history.query(0x01, start, clock.now(), 1000);
  assert.deepEqual(cpu.map((p) => p.v), [40, 41, 42, 43, 44]);
  assert.deepEqual(cpu.map((p) => p.t - start), [0, 1000, 2000, 3000, 4000]);
  assert.deepEqual(host.history.query(POWER_CHANNEL, start, clock.now(), 1000).map((p) => p.v), [210, 210, 210, 210, 210]);
  // a voltage is kept in counts and read back in volts
  const v12 = host.sensors.get(0x30);
  if (v12) {
    links[0]!.readings.set(0x30, 12.1);
    host.scan();
    const last = host.history.query(0x30, clock.now(), clock.now(), 1000);
    assert.deepEqual(last.map((p) => p.v), [v12.value]);
  }
  assert.equal(host.history.has(0x01), true);
});
