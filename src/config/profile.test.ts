import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { quantize, THRESHOLD_NAMES } from '../model/sensors.js';
import { DEFAULT_PROFILE_PATH, loadProfile, parseProfile, ProfileError, sensorDef } from './profile.js';

test('the default profile loads', () => {
  const p = loadProfile(DEFAULT_PROFILE_PATH);
  assert.equal(p.chassis.hosts, 1);
  assert.ok(p.host.sensors.length > 30);
});

test('default thresholds are exactly representable at each sensor resolution', () => {
  // The real board reports these values; a resolution that cannot represent
  // them would make ipmitool show different numbers than the board.
  for (const s of loadProfile(DEFAULT_PROFILE_PATH).host.sensors) {
    const d = sensorDef(s);
    for (const n of THRESHOLD_NAMES) {
      const v = d.thresholds[n];
      if (v === undefined) continue;
      assert.equal(quantize(v, d.conversion), v, `${d.name} ${n}=${v}`);
    }
  }
});

test('the schema fills in its defaults, including inside sensor branches', () => {
  const minimal = {
    name: 'min',
    bmc: { manufacturerId: 0, productId: 1, firmwareVersion: '1.0' },
    host: {
      fru: {},
      sensors: [
        { number: 1, name: 'T', type: 'temperature', unit: 'degrees C', entity: [3, 1], sim: { kind: 'temperature', ambient: 25, loadRise: 10 } },
        { number: 2, name: 'Intrusion', type: 'physical-security', kind: 'discrete', entity: [0x17, 1] },
      ],
    },
  };
  const p = parseProfile(JSON.stringify(minimal), 'min.json');
  assert.equal(p.bmc.maxUsers, 15);
  assert.deepEqual(p.chassis, { hosts: 1 });
  assert.equal(p.host.selCapacity, 1024);
  assert.deepEqual(p.host.power, { standbyWatts: 8, idleWatts: 65, maxWatts: 190 });
  assert.deepEqual(p.host.sensors[0]!.conversion, { m: 1, b: 0, bExp: 0, rExp: 0, signed: false });
  assert.deepEqual(p.host.sensors[0]!.hysteresis, [2, 2]);
  assert.equal(p.host.sensors[0]!.kind, 'threshold');
  assert.equal(p.host.sensors[0]!.present, true);
  assert.equal(p.host.sensors[1]!.unit, 'unspecified');
});

test('errors name the path and the problem', () => {
  assert.throws(() => parseProfile('{', 'p.json'), (e: unknown) => e instanceof ProfileError && /p\.json: not valid JSON/.test(e.message));
  const bad = JSON.stringify({ name: 'x', bmc: { manufacturerId: 1, productId: 1, firmwareVersion: 'one' }, host: { fru: {}, sensors: [{ number: 1, name: 'A', type: 'fan', unit: 'parsecs', entity: [1, 1] }] } });
  assert.throws(
    () => parseProfile(bad, 'p.json'),
    (e: unknown) =>
      e instanceof ProfileError &&
      /bmc\.firmwareVersion: String does not match pattern/.test(e.message) &&
      /host\.sensors\.0\.unit: Instance does not match any of \["degrees C"/.test(e.message),
  );
  const dup = JSON.parse(readFileSync(DEFAULT_PROFILE_PATH, 'utf8')) as { host: { sensors: { number: number }[] } };
  dup.host.sensors[1]!.number = dup.host.sensors[0]!.number;
  assert.throws(() => parseProfile(JSON.stringify(dup), 'd.json'), /host\.sensors\.1\.number: duplicate sensor number/);
  const typo = JSON.parse(readFileSync(DEFAULT_PROFILE_PATH, 'utf8')) as { host: Record<string, unknown> };
  typo.host.selCapacty = 10;
  assert.throws(() => parseProfile(JSON.stringify(typo), 't.json'), /host: unknown property "selCapacty"/);
});

test('sol.takeover: false unless the profile says so; checked like every field', () => {
  const base = JSON.parse(readFileSync(DEFAULT_PROFILE_PATH, 'utf8')) as Record<string, unknown>;
  delete base.sol;
  assert.deepEqual(parseProfile(JSON.stringify(base), 'd.json').sol, { takeover: false });
  assert.deepEqual(parseProfile(JSON.stringify({ ...base, sol: {} }), 'd.json').sol, { takeover: false });
  assert.deepEqual(parseProfile(JSON.stringify({ ...base, sol: { takeover: true } }), 'd.json').sol, { takeover: true });
  assert.throws(() => parseProfile(JSON.stringify({ ...base, sol: { takeover: 'yes' } }), 'd.json'), /sol\.takeover: /);
  assert.throws(() => parseProfile(JSON.stringify({ ...base, sol: { steal: true } }), 'd.json'), /sol: unknown property "steal"/);
});
