// Coalescer: rate limit per key, urgent keys, latest-only while the peer is slow (fake clock).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ManualClock } from '../model/clock.js';
import { Coalescer } from './coalesce.js';

function make(intervalMs = 250) {
  const clock = new ManualClock();
  const sent: string[][] = [];
  let ready = true;
  const co = new Coalescer<string>({ clock, intervalMs, ready: () => ready, flush: (b) => sent.push([...b]) });
  return { clock, sent, co, setReady: (r: boolean) => (ready = r) };
}

test('at most one value per key per interval, the latest, in first-pending order', () => {
  const { clock, sent, co } = make();
  co.set('a', 'a1');
  clock.advance(0);
  assert.deepEqual(sent, [['a1']]);
  co.set('a', 'a2');
  clock.advance(100);
  co.set('a', 'a3');
  co.set('b', 'b1');
  clock.advance(149);
  assert.equal(sent.length, 1, 'nothing before the interval is up');
  clock.advance(1);
  assert.deepEqual(sent, [['a1'], ['a3', 'b1']]);
  assert.equal(co.superseded, 1);
  // a quiet key waits for nothing: the next value after a quiet spell goes on the next tick
  clock.advance(1000);
  co.set('a', 'a4');
  clock.advance(0);
  assert.deepEqual(sent.at(-1), ['a4']);
});

test('urgent values go at once without taking the pending readings along', () => {
  const { clock, sent, co } = make();
  co.set('r', 'r1');
  clock.advance(0);
  co.set('r', 'r2');
  co.set('power', 'on', true);
  clock.advance(0);
  assert.deepEqual(sent, [['r1'], ['on']]);
  clock.advance(250);
  assert.deepEqual(sent.at(-1), ['r2']);
});

test('a slow peer gets nothing; the backlog is one value per key; it gets the latest when it drains', () => {
  const { clock, sent, co, setReady } = make();
  setReady(false);
  for (let i = 0; i < 1000; i++) {
    co.set('a', `a${i}`);
    co.set('b', `b${i}`);
    if (i % 10 === 0) co.set('power', `p${i}`, true);
    clock.advance(10);
  }
  assert.equal(sent.length, 0);
  assert.equal(co.pending, 3);
  setReady(true);
  clock.advance(250);
  assert.equal(sent.length, 1);
  assert.deepEqual([...sent[0]!].sort(), ['a999', 'b999', 'p990']);
});

test('close cancels everything pending', () => {
  const { clock, sent, co } = make();
  co.set('a', 'x');
  co.set('p', 'y', true);
  co.close();
  co.set('a', 'z');
  clock.advance(1000);
  assert.deepEqual(sent, []);
});
