// PET encoding against hand-assembled BER (X.690, RFC 1157) and the policy
// walk of the alert action (IPMI v2.0 17.11).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodePolicy, walkPolicy, type AlertPolicy } from './pef.js';
import { berInteger, berOid, berUnsigned, encodeTrap, PET_ENTERPRISE, petSpecificTrap } from './pet.js';

const hex = (b: readonly number[] | Uint8Array): string => Buffer.from(b).toString('hex');

test('BER primitives: OID arcs above 127, minimal integers, unsigned TimeTicks', () => {
  assert.equal(hex(berOid(PET_ENTERPRISE)), '06092b06010401986f0101');
  assert.equal(hex(berInteger(0)), '020100');
  assert.equal(hex(berInteger(0x010109)), '0203010109');
  assert.equal(hex(berInteger(128)), '02020080');
  assert.equal(hex(berInteger(-1)), '0201ff');
  assert.equal(hex(berUnsigned(0x80000000, 0x43)), '43050080000000');
});

test('a Trap-PDU matches the hand-assembled message', () => {
  const trap = encodeTrap({ community: 'public', agentAddress: Uint8Array.of(127, 0, 0, 1), specificTrap: 0x010109, uptimeTicks: 100, data: Uint8Array.of(0xaa, 0xbb) });
  const expected =
    '303d' + '020100' + '0406' + Buffer.from('public').toString('hex') +
    'a430' + '06092b06010401986f0101' + '40047f000001' + '020106' + '0203010109' + '430164' +
    '3012' + '3010' + '060a2b06010401986f010101' + '0402aabb';
  assert.equal(hex(trap), expected);
});

test('the specific trap packs sensor type, event type, direction and offset', () => {
  assert.equal(petSpecificTrap({ sensorType: 0x01, eventType: 0x01, deassertion: false, eventData: [0x59, 0, 0] }), 0x010109);
  assert.equal(petSpecificTrap({ sensorType: 0x07, eventType: 0x6f, deassertion: true, eventData: [0x01, 0, 0] }), 0x076f81);
});

const entry = (n: number, b0: number, b1: number): AlertPolicy => decodePolicy(n, Uint8Array.of(b0, b1, 0));

test('policy walk: always, next if failed, stop, other channel, disabled and other policies skipped', async () => {
  const run = async (entries: AlertPolicy[], fails: number[]): Promise<number[]> =>
    (await walkPolicy(entries, 1, async (p) => !fails.includes(p.entry))).map((r) => r.entry);
  // policy 1 entries: 1 always, 2 next-if-failed, 3 disabled, 4 other policy, 5 always
  const table = [entry(1, 0x18, 0x11), entry(2, 0x19, 0x12), entry(3, 0x10, 0x13), entry(4, 0x28, 0x11), entry(5, 0x18, 0x13)];
  assert.deepEqual(await run(table, []), [1, 5]);
  assert.deepEqual(await run(table, [1]), [1, 2, 5]);
  // stop after a success
  const stop = [entry(1, 0x18, 0x11), entry(2, 0x1a, 0x12), entry(3, 0x18, 0x13)];
  assert.deepEqual(await run(stop, []), [1]);
  assert.deepEqual(await run(stop, [1]), [1, 2, 3]);
  // other channel: skips entries on the channel that succeeded
  const chan = [entry(1, 0x18, 0x11), entry(2, 0x1b, 0x12), entry(3, 0x1b, 0x21)];
  assert.deepEqual(await run(chan, []), [1, 3]);
  // a sender that throws counts as a failure
  const thrown = await walkPolicy([entry(1, 0x18, 0x11), entry(2, 0x19, 0x12)], 1, async (p) => {
    if (p.entry === 1) throw new Error('boom');
    return true;
  });
  assert.deepEqual(thrown, [{ entry: 1, ok: false }, { entry: 2, ok: true }]);
});
