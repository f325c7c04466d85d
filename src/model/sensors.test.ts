import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { evaluateThresholds, fromRaw, toRaw, type ThresholdName } from './sensors.js';

const thr = { lnc: 30, lc: 20, lnr: 10, unc: 200, uc: 220, unr: 240 };
const hyst = { positive: 2, negative: 2 };

test('upper threshold asserts at or above and deasserts below value minus hysteresis', () => {
  let s: ReadonlySet<ThresholdName> = new Set();
  let r = evaluateThresholds(s, 200, thr, hyst);
  assert.deepEqual(r.changes, [{ offset: 7, assertion: true, threshold: 'unc' }]);
  s = r.asserted;
  r = evaluateThresholds(s, 199, thr, hyst);
  assert.deepEqual(r.changes, []);
  r = evaluateThresholds(s, 197, thr, hyst);
  assert.deepEqual(r.changes, [{ offset: 7, assertion: false, threshold: 'unc' }]);
});

test('a jump past several thresholds asserts each once', () => {
  const r = evaluateThresholds(new Set(), 5, thr, hyst);
  assert.deepEqual(
    r.changes.map((c) => c.threshold),
    ['lnc', 'lc', 'lnr'],
  );
});

test('each crossing is reported exactly once (property)', () => {
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 60 }), (readings) => {
      let s: ReadonlySet<ThresholdName> = new Set();
      const seen = new Map<ThresholdName, boolean>();
      for (const raw of readings) {
        const r = evaluateThresholds(s, raw, thr, hyst);
        for (const c of r.changes) {
          // alternate assert / deassert per threshold, starting with assert
          assert.equal(c.assertion, !(seen.get(c.threshold) ?? false));
          seen.set(c.threshold, c.assertion);
        }
        s = r.asserted;
      }
    }),
  );
});

test('conversion round trip is within one count', () => {
  const c = { m: 63, b: 0, bExp: 0, rExp: -3, signed: false };
  assert.equal(fromRaw(toRaw(12.126, c), c), 12.096);
  const t = { m: 1, b: 0, bExp: 0, rExp: 0, signed: true };
  assert.equal(toRaw(-5, t), -5);
  assert.equal(fromRaw(toRaw(-5, t), t), -5);
});

test('event status latches until re-armed; a selective re-arm re-asserts only what it names', async () => {
  const { Sensor } = await import('./sensors.js');
  const { testSensors } = await import('./testing.js');
  const s = new Sensor(testSensors[0]!); // CPU Temp: unc 87, uc 92, unr 92
  s.setValue(90);
  assert.equal(s.latched.assertion, 1 << 7);
  s.setValue(50);
  assert.equal(s.latched.deassertion, 1 << 7);
  s.setValue(93);
  const all = (1 << 7) | (1 << 9) | (1 << 11);
  assert.equal(s.latched.assertion, all);
  // re-arm only UC going high: the latch of UNC stays, UC asserts again
  const again = s.rearm({ assertion: 1 << 9, deassertion: 0 });
  assert.deepEqual(again.map((c) => (c.kind === 'threshold' ? c.change.threshold : '')), ['uc']);
  assert.equal(s.latched.assertion, all);
  // a global re-arm reports every condition that holds
  assert.deepEqual(s.rearm().map((c) => (c.kind === 'threshold' ? c.change.threshold : '')), ['unc', 'uc', 'unr']);
});
