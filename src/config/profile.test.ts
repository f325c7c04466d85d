import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { quantize, THRESHOLD_NAMES } from '../model/sensors.js';
import { DEFAULT_PROFILE_PATH, loadProfile, parseProfile, ProfileError, profileJsonSchema, sensorDef } from './profile.js';

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

test('profiles/profile.schema.json is the generated schema', () => {
  const file = fileURLToPath(new URL('../../../profiles/profile.schema.json', import.meta.url));
  const onDisk = JSON.parse(readFileSync(file, 'utf8')) as unknown;
  assert.deepEqual(onDisk, profileJsonSchema(), 'run: node scripts/gen-profile-schema.mjs');
});

test('errors name the path and the problem', () => {
  assert.throws(() => parseProfile('{', 'p.json'), (e: unknown) => e instanceof ProfileError && /p\.json: not valid JSON/.test(e.message));
  const bad = JSON.stringify({ name: 'x', bmc: { manufacturerId: 1, productId: 1, firmwareVersion: 'one' }, host: { fru: {}, sensors: [{ number: 1, name: 'A', type: 'fan', unit: 'parsecs', entity: [1, 1] }] } });
  assert.throws(
    () => parseProfile(bad, 'p.json'),
    (e: unknown) => e instanceof ProfileError && /bmc\.firmwareVersion/.test(e.message) && /host\.sensors\.0\.unit: unknown unit "parsecs"/.test(e.message),
  );
  const dup = JSON.parse(readFileSync(DEFAULT_PROFILE_PATH, 'utf8')) as { host: { sensors: { number: number }[] } };
  dup.host.sensors[1]!.number = dup.host.sensors[0]!.number;
  assert.throws(() => parseProfile(JSON.stringify(dup), 'd.json'), /duplicate sensor number/);
});
