// Tests of the QEMU external-BMC chardev codec: golden bytes captured on the
// wire, streams cut at every offset, and bad input (checksums, escapes,
// garbage, oversized frames) that must be dropped, counted and recovered from.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  encodeControl,
  encodeRequest,
  encodeResponse,
  ExternDecoder,
  MAX_FRAME_CONTENT,
  type ExternDirection,
  type ExternItem,
} from './extern-protocol.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const bytes = (s: string): number[] => [...hex(s)];

/**
 * Fixtures: raw socket bytes captured by the qemu-guest tools' wire relay
 * (wire-relay.mjs between QEMU 7.2 and ipmi_sim 2.0.33), as printed in
 * /work/shared/tools/qemu-guest/PROTOCOL.md; `from` names the section.
 */
const Q2B = {
  getDeviceId: { raw: '00 18 01 e7 a0', from: 'PROTOCOL.md section 3, worked example (Get Device ID)' },
  invalidCmd: { raw: '69 18 ff 80 a0', from: 'PROTOCOL.md section 3, error response (raw 0x06 0xff)' },
  seqEscaped: { raw: 'aa b0 18 01 47 a0', from: 'PROTOCOL.md section 2, "seq 0xa0 escaped"' },
  csumEscaped: { raw: '06 18 30 08 aa ba a0', from: 'PROTOCOL.md section 2, "checksum 0xaa escaped" (Clear Message Flags)' },
  setWatchdog: { raw: '4f 18 24 04 00 aa b1 00 aa b0 aa ba 86 a0', from: 'PROTOCOL.md section 2, "data a1 a0 aa (Set Watchdog Timer)"' },
  setGlobalEnables: { raw: '03 18 2e 09 ae a0', from: 'PROTOCOL.md section 5, driver start-up' },
  hello: { raw: 'ff 01 a1 08 3f a1', from: 'PROTOCOL.md section 5, QEMU VERSION 1 + CAPABILITIES 0x3f' },
  ssifPadded: { raw: `00 18 01 ${'00 '.repeat(63)} e7 a0`, from: 'PROTOCOL.md section 8, SSIF Get Device ID with 63 zero bytes' },
} as const;

const B2Q = {
  deviceId: { raw: '00 1c 01 00 00 03 09 08 02 9f 91 12 00 02 0f 00 00 00 00 7a a0', from: 'PROTOCOL.md section 3, worked example' },
  invalidCmd: { raw: '69 1c ff c1 bb a0', from: 'PROTOCOL.md section 3, cc 0xc1' },
  selEntry: { raw: '39 2c 43 00 02 00 01 00 02 72 07 00 00 20 00 04 01 01 01 57 aa b0 aa ba 12 a0', from: 'PROTOCOL.md section 3, Get SEL Entry with a0 aa in the record' },
  csumA0: { raw: '08 1c 2f 00 0d aa b0 a0', from: 'PROTOCOL.md section 2, "checksum 0xa0 escaped"' },
  reading: { raw: '33 14 2d 00 aa b0 c0 00 00 2c a0', from: 'PROTOCOL.md section 2, "data 0xa0 (sensor reading)"' },
  hello: { raw: 'ff 01 a1 00 a1', from: 'PROTOCOL.md section 5, ipmi_sim VERSION 1 + NOATTN on accept' },
  irqAndResponse: { raw: '05 a1 03 1c 2e 00 b3 a0', from: 'PROTOCOL.md sections 2 and 5, ENABLE_IRQ and a response in one read' },
  noAttnAndResponse: { raw: '00 a1 06 1c 30 00 ae a0', from: 'PROTOCOL.md section 5, NOATTN and the Clear Message Flags response' },
  powerOff: { raw: '03 a1', from: 'PROTOCOL.md section 5, chassis power off' },
  reset: { raw: '04 a1', from: 'PROTOCOL.md section 5, chassis power reset' },
  soft: { raw: '09 a1', from: 'PROTOCOL.md section 5, chassis power soft' },
} as const;

function decodeAll(direction: ExternDirection, ...chunks: Uint8Array[]): ExternItem[] {
  const d = new ExternDecoder(direction);
  return chunks.flatMap((c) => d.push(c));
}

/** Items in a comparable form (Uint8Array data as arrays). */
function plain(items: ExternItem[]): unknown[] {
  return items.map((i) => ('data' in i ? { ...i, data: [...i.data] } : i));
}

test('golden requests from QEMU decode to their fields', () => {
  const one = (raw: string) => plain(decodeAll('requests', hex(raw)));
  assert.deepEqual(one(Q2B.getDeviceId.raw), [{ name: 'request', seq: 0, netFn: 0x06, lun: 0, cmd: 0x01, data: [] }]);
  assert.deepEqual(one(Q2B.invalidCmd.raw), [{ name: 'request', seq: 0x69, netFn: 0x06, lun: 0, cmd: 0xff, data: [] }]);
  assert.deepEqual(one(Q2B.seqEscaped.raw), [{ name: 'request', seq: 0xa0, netFn: 0x06, lun: 0, cmd: 0x01, data: [] }]);
  assert.deepEqual(one(Q2B.csumEscaped.raw), [{ name: 'request', seq: 0x06, netFn: 0x06, lun: 0, cmd: 0x30, data: [0x08] }]);
  assert.deepEqual(one(Q2B.setWatchdog.raw), [
    { name: 'request', seq: 0x4f, netFn: 0x06, lun: 0, cmd: 0x24, data: [0x04, 0x00, 0xa1, 0x00, 0xa0, 0xaa] },
  ]);
  assert.deepEqual(one(Q2B.setGlobalEnables.raw), [{ name: 'request', seq: 0x03, netFn: 0x06, lun: 0, cmd: 0x2e, data: [0x09] }]);
  assert.deepEqual(one(Q2B.hello.raw), [
    { name: 'version', version: 1 },
    { name: 'capabilities', mask: 0x3f },
  ]);
  assert.deepEqual(one(Q2B.ssifPadded.raw), [{ name: 'request', seq: 0, netFn: 0x06, lun: 0, cmd: 0x01, data: new Array(63).fill(0) }]);
});

test('golden frames from the BMC decode as QEMU reads them', () => {
  const one = (raw: string) => plain(decodeAll('responses', hex(raw)));
  assert.deepEqual(one(B2Q.deviceId.raw), [
    { name: 'response', seq: 0, netFn: 0x07, lun: 0, cmd: 0x01, cc: 0, data: bytes('00 03 09 08 02 9f 91 12 00 02 0f 00 00 00 00') },
  ]);
  assert.deepEqual(one(B2Q.selEntry.raw), [
    { name: 'response', seq: 0x39, netFn: 0x0b, lun: 0, cmd: 0x43, cc: 0, data: bytes('02 00 01 00 02 72 07 00 00 20 00 04 01 01 01 57 a0 aa') },
  ]);
  assert.deepEqual(one(B2Q.csumA0.raw), [{ name: 'response', seq: 8, netFn: 0x07, lun: 0, cmd: 0x2f, cc: 0, data: [0x0d] }]);
  assert.deepEqual(one(B2Q.irqAndResponse.raw), [
    { name: 'enable-irq' },
    { name: 'response', seq: 3, netFn: 0x07, lun: 0, cmd: 0x2e, cc: 0, data: [] },
  ]);
  assert.deepEqual(one(B2Q.hello.raw), [{ name: 'version', version: 1 }, { name: 'no-attn' }]);
  assert.deepEqual(one(B2Q.powerOff.raw + B2Q.reset.raw + B2Q.soft.raw), [{ name: 'power-off' }, { name: 'reset' }, { name: 'graceful-shutdown' }]);
});

test('the encoders reproduce the captured bytes', () => {
  const eq = (got: Buffer, f: { raw: string; from: string }) => assert.equal(got.toString('hex'), hex(f.raw).toString('hex'), f.from);
  eq(encodeRequest({ seq: 0, netFn: 0x06, lun: 0, cmd: 0x01, data: new Uint8Array() }), Q2B.getDeviceId);
  eq(encodeRequest({ seq: 0xa0, netFn: 0x06, lun: 0, cmd: 0x01, data: new Uint8Array() }), Q2B.seqEscaped);
  eq(encodeRequest({ seq: 6, netFn: 0x06, lun: 0, cmd: 0x30, data: Uint8Array.of(8) }), Q2B.csumEscaped);
  eq(encodeRequest({ seq: 0x4f, netFn: 0x06, lun: 0, cmd: 0x24, data: Uint8Array.from(bytes('04 00 a1 00 a0 aa')) }), Q2B.setWatchdog);
  eq(encodeResponse({ seq: 0, netFn: 0x07, lun: 0, cmd: 0x01, cc: 0, data: hex('00 03 09 08 02 9f 91 12 00 02 0f 00 00 00 00') }), B2Q.deviceId);
  eq(encodeResponse({ seq: 0x69, netFn: 0x07, lun: 0, cmd: 0xff, cc: 0xc1, data: new Uint8Array() }), B2Q.invalidCmd);
  eq(encodeResponse({ seq: 0x39, netFn: 0x0b, lun: 0, cmd: 0x43, cc: 0, data: hex('02 00 01 00 02 72 07 00 00 20 00 04 01 01 01 57 a0 aa') }), B2Q.selEntry);
  eq(encodeResponse({ seq: 8, netFn: 0x07, lun: 0, cmd: 0x2f, cc: 0, data: Uint8Array.of(0x0d) }), B2Q.csumA0);
  eq(encodeResponse({ seq: 0x33, netFn: 0x05, lun: 0, cmd: 0x2d, cc: 0, data: hex('a0 c0 00 00') }), B2Q.reading);
  eq(Buffer.concat([encodeControl({ name: 'version', version: 1 }), encodeControl({ name: 'no-attn' })]), B2Q.hello);
  eq(Buffer.concat([encodeControl({ name: 'version', version: 1 }), encodeControl({ name: 'capabilities', mask: 0x3f })]), Q2B.hello);
  eq(encodeControl({ name: 'power-off' }), B2Q.powerOff);
  eq(encodeControl({ name: 'reset' }), B2Q.reset);
  eq(encodeControl({ name: 'graceful-shutdown' }), B2Q.soft);
  assert.throws(() => encodeResponse({ seq: 0, netFn: 7, lun: 0, cmd: 1, cc: 0, data: new Uint8Array(298) }), RangeError);
});

test('a stream of every captured request, cut at every pair of offsets, decodes the same', () => {
  const stream = Buffer.concat(Object.values(Q2B).map((f) => hex(f.raw)));
  const whole = plain(decodeAll('requests', stream));
  assert.equal(whole.length, 9);
  for (let i = 0; i <= stream.length; i++) {
    for (let j = i; j <= stream.length; j++) {
      const got = plain(decodeAll('requests', stream.subarray(0, i), stream.subarray(i, j), stream.subarray(j)));
      assert.deepEqual(got, whole, `cut at ${i} and ${j}`);
    }
  }
  // one byte at a time
  assert.deepEqual(plain(decodeAll('requests', ...[...stream].map((b) => Uint8Array.of(b)))), whole);
});

test('responses cut at every offset decode the same', () => {
  const stream = Buffer.concat(Object.values(B2Q).map((f) => hex(f.raw)));
  const whole = plain(decodeAll('responses', stream));
  assert.equal(whole.filter((i) => (i as { name: string }).name === 'dropped').length, 0);
  for (let i = 0; i <= stream.length; i++) {
    assert.deepEqual(plain(decodeAll('responses', stream.subarray(0, i), stream.subarray(i))), whole, `cut at ${i}`);
  }
});

test('a bad checksum drops that frame only', () => {
  const d = new ExternDecoder('requests');
  assert.deepEqual(d.push(hex('00 18 01 e8 a0')), [{ name: 'dropped', reason: 'checksum', length: 4 }]);
  assert.equal(d.stats.checksum, 1);
  assert.deepEqual(plain(d.push(hex(Q2B.getDeviceId.raw))), [{ name: 'request', seq: 0, netFn: 6, lun: 0, cmd: 1, data: [] }]);
});

test('short frames, empty frames and bad control frames are dropped and counted', () => {
  const d = new ExternDecoder('requests');
  const reasons = d.push(hex('a0 18 01 a0 a1 77 a1 ff a1 08 3f 00 a1')).map((i) => (i.name === 'dropped' ? i.reason : i.name));
  assert.deepEqual(reasons, ['empty', 'short', 'empty', 'bad-control', 'bad-control', 'bad-control']);
  assert.deepEqual(d.stats, { oversized: 0, 'bad-escape': 0, checksum: 0, short: 1, 'bad-control': 3, empty: 2 });
  // a response shorter than seq netFn cmd cc csum
  assert.deepEqual(decodeAll('responses', hex('00 1c 01 e3 a0')), [{ name: 'dropped', reason: 'short', length: 4 }]);
});

test('bad escapes: escape before a terminator, doubled, or of an ordinary byte', () => {
  for (const raw of ['00 18 aa a0', '00 aa aa b0 18 01 47 a0', '00 18 01 aa 20 a0', 'aa a1']) {
    const d = new ExternDecoder('requests');
    const items = d.push(hex(raw));
    assert.equal(items.length, 1, raw);
    assert.equal(items[0]!.name === 'dropped' && items[0]!.reason, 'bad-escape', raw);
    assert.deepEqual(plain(d.push(hex(Q2B.getDeviceId.raw))), [{ name: 'request', seq: 0, netFn: 6, lun: 0, cmd: 1, data: [] }], `recovers after ${raw}`);
  }
});

test('oversized frames are dropped without being buffered; the largest legal frame passes', () => {
  const d = new ExternDecoder('requests');
  const big = new Uint8Array(100_000).fill(0x11);
  assert.deepEqual(d.push(big), []);
  assert.deepEqual(d.push(Uint8Array.of(0xa0)), [{ name: 'dropped', reason: 'oversized', length: 100_000 }]);
  assert.equal(d.stats.oversized, 1);
  // seq + netFn + cmd + 298 data bytes + csum = 302 content bytes: the most QEMU sends
  const largest = encodeRequest({ seq: 1, netFn: 0x0a, lun: 0, cmd: 0x44, data: new Uint8Array(298).fill(0x01) });
  const got = d.push(largest);
  assert.equal(got[0]?.name, 'request');
  // one byte more is oversized (an independent frame: 303 bytes of 01 and a terminator)
  const tooBig = Buffer.concat([Buffer.alloc(MAX_FRAME_CONTENT + 1, 0x01), Buffer.of(0xa0)]);
  assert.deepEqual(d.push(tooBig), [{ name: 'dropped', reason: 'oversized', length: MAX_FRAME_CONTENT + 1 }]);
  assert.equal(d.pending, false);
});

test('garbage followed by a terminator never hides the next frame (property)', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 400 }), fc.integer({ min: 0, max: 255 }), (garbage, seq) => {
      const d = new ExternDecoder('requests');
      const req = encodeRequest({ seq, netFn: 0x06, lun: 0, cmd: 0x01, data: new Uint8Array() });
      const items = d.push(Buffer.concat([garbage, Buffer.of(0xa0), req]));
      const last = items[items.length - 1];
      assert.equal(last?.name, 'request');
      assert.equal(last.name === 'request' && last.seq, seq);
    }),
  );
});

test('any request survives encode, a random cut and decode (property)', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 255 }),
      fc.integer({ min: 0, max: 0x3f }),
      fc.integer({ min: 0, max: 3 }),
      fc.integer({ min: 0, max: 255 }),
      fc.uint8Array({ maxLength: 298 }),
      fc.nat(),
      (seq, netFn, lun, cmd, data, cut) => {
        const wire = encodeRequest({ seq, netFn, lun, cmd, data });
        const at = cut % (wire.length + 1);
        const items = decodeAll('requests', wire.subarray(0, at), wire.subarray(at));
        assert.deepEqual(plain(items), [{ name: 'request', seq, netFn, lun, cmd, data: [...data] }]);
      },
    ),
  );
});

test('the decoder never throws on arbitrary input (property)', () => {
  fc.assert(
    fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 20 }), fc.boolean(), (chunks, responses) => {
      const d = new ExternDecoder(responses ? 'responses' : 'requests');
      for (const c of chunks) d.push(c);
    }),
  );
});
