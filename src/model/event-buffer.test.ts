// Tests of the event message buffer: the 16-byte record layout (IPMI v2.0
// 22.8, 32.1) built by hand, one message at a time, drops while full.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeEventMessage, EventMessageBuffer, NOT_LOGGED } from './event-buffer.js';

test('encodeEventMessage: record id LS first, type 02h, timestamp LS first, then the event', () => {
  const m = encodeEventMessage(0x1234, {
    timestamp: 0x6955b900,
    generatorId: 0x0020,
    evmRev: 0x04,
    sensorType: 0x01,
    sensorNumber: 0x30,
    eventDirType: 0x81,
    eventData: [0x57, 0x99, 0x98],
  });
  assert.deepEqual([...m], [0x34, 0x12, 0x02, 0x00, 0xb9, 0x55, 0x69, 0x20, 0x00, 0x04, 0x01, 0x30, 0x81, 0x57, 0x99, 0x98]);
  assert.equal(NOT_LOGGED, 0xffff);
});

test('one message: put, take (oldest first), empty; a put while full is dropped and counted, listeners hear only the kept', () => {
  const b = new EventMessageBuffer();
  let heard = 0;
  const off = b.onPut(() => heard++);
  const m = (n: number) => new Uint8Array(16).fill(n);
  assert.equal(b.put(m(1)), true);
  assert.equal(b.put(m(2)), false);
  assert.equal(b.size, 1);
  assert.equal(b.dropped, 1);
  assert.equal(heard, 1);
  assert.deepEqual([...b.take()!], [...m(1)]);
  assert.equal(b.take(), undefined);
  off();
  b.put(m(3));
  assert.equal(heard, 1);
  b.clear();
  assert.equal(b.size, 0);
});

test('a larger capacity queues in order; bad sizes and capacities are refused', () => {
  const b = new EventMessageBuffer(2);
  b.put(new Uint8Array(16).fill(1));
  b.put(new Uint8Array(16).fill(2));
  assert.equal(b.put(new Uint8Array(16).fill(3)), false);
  assert.equal(b.take()![0], 1);
  assert.equal(b.take()![0], 2);
  assert.throws(() => b.put(new Uint8Array(15)), RangeError);
  assert.throws(() => new EventMessageBuffer(0), RangeError);
});
