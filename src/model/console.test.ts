// ConsoleBuffer: ring wrap-around, resume by offset, several readers, and a
// property check against a plain concatenation of everything appended.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { ConsoleBuffer, DEFAULT_CONSOLE_CAPACITY } from './console.js';

const text = (b: Uint8Array): string => Buffer.from(b).toString('latin1');

test('default capacity is 64 KiB and a bad capacity is refused', () => {
  assert.equal(new ConsoleBuffer().capacity, DEFAULT_CONSOLE_CAPACITY);
  assert.equal(DEFAULT_CONSOLE_CAPACITY, 65536);
  for (const capacity of [0, -1, 1.5, Number.NaN]) assert.throws(() => new ConsoleBuffer({ capacity }), RangeError);
});

test('history wraps around and keeps the newest bytes', () => {
  const b = new ConsoleBuffer({ capacity: 8 });
  b.append('abcde');
  assert.equal(text(b.history()), 'abcde');
  b.append('fghij');
  assert.equal(text(b.history()), 'cdefghij');
  assert.equal(b.start, 2);
  assert.equal(b.end, 10);
  assert.equal(b.size, 8);
  b.append('klm');
  assert.equal(text(b.history()), 'fghijklm');
});

test('an append longer than the ring keeps its last bytes and counts them all', () => {
  const b = new ConsoleBuffer({ capacity: 4 });
  b.append('x');
  b.append('0123456789');
  assert.equal(text(b.history()), '6789');
  assert.equal(b.end, 11);
  assert.equal(b.start, 7);
});

test('since() resumes where a reader left off and reports what it lost', () => {
  const b = new ConsoleBuffer({ capacity: 8 });
  b.append('hello ');
  const first = b.since(0);
  assert.equal(text(first.data), 'hello ');
  assert.equal(first.lost, 0);
  assert.equal(first.next, 6);
  b.append('world');
  const second = b.since(first.next);
  assert.equal(text(second.data), 'world');
  assert.equal(second.offset, 6);
  assert.equal(second.lost, 0);
  b.append('0123456789');
  const third = b.since(second.next);
  assert.equal(third.lost, 2, 'two bytes were overwritten before the reader came back');
  assert.equal(third.offset, 13);
  assert.equal(text(third.data), '23456789');
  assert.equal(b.since(b.end + 100).data.length, 0, 'an offset beyond the end yields nothing');
  assert.equal(b.since(b.end + 100).next, b.end);
});

test('several readers each get every chunk with its offset; unsubscribe stops one', () => {
  const b = new ConsoleBuffer({ capacity: 16 });
  const a: string[] = [];
  const c: string[] = [];
  const stopA = b.subscribe((d, off) => a.push(`${off}:${text(d)}`));
  b.subscribe((d, off) => c.push(`${off}:${text(d)}`));
  assert.equal(b.readers, 2);
  b.append('one');
  b.append('two');
  stopA();
  b.append('three');
  assert.deepEqual(a, ['0:one', '3:two']);
  assert.deepEqual(c, ['0:one', '3:two', '6:three']);
  stopA();
  assert.equal(b.readers, 1);
});

test('listeners get a copy, not the appended array', () => {
  const b = new ConsoleBuffer({ capacity: 16 });
  let seen: Uint8Array | undefined;
  b.subscribe((d) => (seen = d));
  const input = new Uint8Array([1, 2, 3]);
  b.append(input);
  input[0] = 9;
  assert.deepEqual([...(seen ?? [])], [1, 2, 3]);
  assert.deepEqual([...b.history()], [1, 2, 3]);
});

test('a listener that appends (echo) does not reorder what others see', () => {
  const b = new ConsoleBuffer({ capacity: 64 });
  const order: string[] = [];
  b.subscribe((d) => {
    if (text(d) === 'ping') b.append('pong');
  });
  b.subscribe((d, off) => order.push(`${off}:${text(d)}`));
  b.append('ping');
  assert.deepEqual(order, ['0:ping', '4:pong']);
});

test('a throwing listener does not starve the others; the error reaches the appender', () => {
  const b = new ConsoleBuffer({ capacity: 64 });
  const got: string[] = [];
  b.subscribe(() => {
    throw new Error('reader gone');
  });
  b.subscribe((d) => got.push(text(d)));
  assert.throws(() => b.append('x'), /reader gone/);
  assert.deepEqual(got, ['x']);
  assert.equal(text(b.history()), 'x');
});

test('property: history and since() agree with the concatenation of all appends', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 40 }),
      fc.array(fc.uint8Array({ maxLength: 60 }), { maxLength: 30 }),
      fc.nat(),
      (capacity, chunks, probe) => {
        const b = new ConsoleBuffer({ capacity });
        const all: number[] = [];
        for (const c of chunks) {
          b.append(c);
          all.push(...c);
        }
        assert.equal(b.end, all.length);
        assert.deepEqual([...b.history()], all.slice(Math.max(0, all.length - capacity)));
        const at = all.length === 0 ? 0 : probe % (all.length + 1);
        const r = b.since(at);
        assert.equal(r.offset, Math.max(at, b.start));
        assert.equal(r.lost, Math.max(0, b.start - at));
        assert.deepEqual([...r.data], all.slice(r.offset));
      },
    ),
  );
});
