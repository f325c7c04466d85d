// Tests of the SDR repository view: the '12V' full sensor record byte by
// byte (expected bytes written from IPMI v2.0 table 43-1 by hand), what a
// client computes from it, and the repository's record order.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { makeTestBmc } from '../model/testing.js';
import { sdrRepository } from './sdr.js';

// Record id 2 ('12V' is the second sensor), owner 20h, sensor 30h, entity 07h.1,
// thresholds LNR 10.173 V, LC 10.299, LNC 10.74, UNC 12.945, UC 13.26, UNR 13.386
// at 63 mV per count: 161, 163, 170, 205, 210, 212.
const TWELVE_VOLT = [
  0x02, 0x00, 0x51, 0x01, 0x2e, // header: id 2, version 51h, full sensor, 46 bytes follow
  0x20, 0x00, 0x30, 0x07, 0x01, // owner, LUN, number, entity id, instance
  0x63, // init: scanning, events, events enabled, scanning enabled
  0x68, // caps: auto re-arm, hysteresis R/W, thresholds R/W, per-threshold event control
  0x02, 0x01, // voltage, threshold
  0x95, 0x7a, // assertion offsets 0,2,4,7,9,11 + LNC/LC/LNR comparison
  0x95, 0x7a, // deassertion offsets + UNC/UC/UNR comparison
  0x3f, 0x3f, // readable, settable
  0x00, 0x04, 0x00, // unsigned, Volts, no modifier
  0x00, // linear
  0x3f, 0x00, 0x00, 0x00, 0x00, 0xd0, // M=63, B=0, R exp -3, B exp 0
  0x07, // nominal, normal max, normal min given
  0xbe, 0xcd, 0xaa, 0xff, 0x00, // nominal 190, normal max 205, normal min 170, sensor max, min
  0xd4, 0xd2, 0xcd, 0xa1, 0xa3, 0xaa, // UNR, UC, UNC, LNR, LC, LNC
  0x02, 0x02, // hysteresis
  0x00, 0x00, 0x00, // reserved, OEM
  0xc3, 0x31, 0x32, 0x56, // "12V"
];

test('12V full sensor record, byte by byte', () => {
  const { bmc } = makeTestBmc();
  const rec = sdrRepository(bmc, bmc.hosts[0]!).record(2);
  assert.ok(rec);
  assert.deepEqual([...rec.bytes], TWELVE_VOLT);
  assert.equal(rec.next, 3);
});

test('a client converting the record thresholds gets the defined values within half a count', () => {
  const rec = TWELVE_VOLT;
  const m = rec[24]! | ((rec[25]! >> 6) << 8);
  const b = rec[26]! | ((rec[27]! >> 6) << 8);
  const nibble = (n: number): number => (n & 0x8 ? n - 16 : n);
  const rExp = nibble(rec[29]! >> 4);
  const bExp = nibble(rec[29]! & 0x0f);
  const value = (raw: number): number => (m * raw + b * 10 ** bExp) * 10 ** rExp;
  const expected = { unr: 13.386, uc: 13.26, unc: 12.945, lnr: 10.173, lc: 10.299, lnc: 10.74 };
  const got = { unr: rec[36]!, uc: rec[37]!, unc: rec[38]!, lnr: rec[39]!, lc: rec[40]!, lnc: rec[41]! };
  for (const k of Object.keys(expected) as (keyof typeof expected)[]) {
    assert.ok(Math.abs(value(got[k]) - expected[k]) <= 0.0315 + 1e-9, `${k}: ${value(got[k])}`);
  }
  assert.equal(Number(value(212).toFixed(3)), 13.356);
});

test('repository order: sensors, FRU locator, MC locator; ids 1..N; FFFFh after the last', () => {
  const { bmc } = makeTestBmc();
  const repo = sdrRepository(bmc, bmc.hosts[0]!);
  assert.equal(repo.count, 6);
  assert.equal(repo.sensorCount, 4);
  const types = [1, 2, 3, 4, 5, 6].map((id) => repo.record(id)!.bytes[3]);
  assert.deepEqual(types, [0x01, 0x01, 0x01, 0x02, 0x11, 0x12]);
  assert.equal(repo.record(6)!.next, 0xffff);
  assert.equal(repo.record(0x0000)!.id, 1);
  assert.equal(repo.record(0xffff)!.id, 6);
  assert.equal(repo.record(7), undefined);
  assert.equal(sdrRepository(bmc, bmc.hosts[0]!), repo);
});

test('compact record for the discrete Chassis Intru sensor', () => {
  const { bmc } = makeTestBmc();
  const rec = sdrRepository(bmc, bmc.hosts[0]!).record(4)!;
  assert.deepEqual(
    [...rec.bytes],
    [
      0x04, 0x00, 0x51, 0x02, 0x28, 0x20, 0x00, 0xaa, 0x17, 0x01, 0x63, 0x40, 0x05, 0x6f,
      0x01, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
      0xcd, ...Buffer.from('Chassis Intru', 'latin1'),
    ],
  );
});

test('locator records', () => {
  const { bmc } = makeTestBmc();
  const repo = sdrRepository(bmc, bmc.hosts[0]!);
  assert.deepEqual(
    [...repo.record(5)!.bytes],
    [0x05, 0x00, 0x51, 0x11, 0x16, 0x20, 0x00, 0x80, 0x00, 0x00, 0x10, 0x00, 0x07, 0x01, 0x00, 0xcb, ...Buffer.from('Builtin FRU')],
  );
  assert.deepEqual(
    [...repo.record(6)!.bytes],
    [0x06, 0x00, 0x51, 0x12, 0x13, 0x20, 0x00, 0x00, 0x9f, 0x00, 0x00, 0x00, 0x06, 0x01, 0x00, 0xc8, ...Buffer.from('test-bmc')],
  );
});

test('thresholds in the record follow the sensor', () => {
  const { bmc } = makeTestBmc();
  const host = bmc.hosts[0]!;
  const s = host.sensors.get(0x30)!;
  s.thresholdsRaw = { ...s.thresholdsRaw, unc: 200 };
  assert.equal(sdrRepository(bmc, host).record(2)!.bytes[38], 200);
});
