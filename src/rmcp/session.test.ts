// Session state machine table walk and sequence windows (IPMI v2.0 6.12.13).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SequenceWindow, SESSION_TRANSITIONS, stepSession, type SessionEvent, type SessionState } from './session.js';

const STATES: SessionState[] = ['challenged', 'opened', 'rakp2-sent', 'active', 'closed'];
const EVENTS: SessionEvent[] = ['activate', 'rakp1', 'rakp3-ok', 'fail', 'close', 'timeout'];

test('every state x event follows the table', () => {
  const expected: Record<string, SessionState | undefined> = {
    'challenged/activate': 'active',
    'opened/rakp1': 'rakp2-sent',
    'rakp2-sent/rakp1': 'rakp2-sent',
    'rakp2-sent/rakp3-ok': 'active',
    'active/close': 'closed',
    'active/timeout': 'closed',
  };
  for (const s of STATES) {
    for (const e of EVENTS) {
      const got = stepSession(s, e);
      let want = expected[`${s}/${e}`];
      if (want === undefined && s !== 'closed' && s !== 'active' && (e === 'fail' || e === 'close' || e === 'timeout')) want = 'closed';
      assert.equal(got, want, `${s} + ${e}`);
      assert.equal(got, SESSION_TRANSITIONS[s][e]);
    }
  }
});

test('sequence window: new numbers ahead accepted, replays and far numbers refused', () => {
  const w = new SequenceWindow({ behind: 16, ahead: 16 });
  assert.equal(w.accept(0), false);
  assert.equal(w.accept(1), true);
  assert.equal(w.accept(1), false);
  assert.equal(w.accept(3), true);
  assert.equal(w.accept(2), true);
  assert.equal(w.accept(2), false);
  assert.equal(w.accept(3 + 17), false);
  assert.equal(w.accept(19), true);
  assert.equal(w.accept(2), false);
  assert.equal(w.accept(4), true);
  assert.equal(w.accept(4), false);
});

test('sequence window wraps at 2^32', () => {
  const w = new SequenceWindow({ start: 0xfffffffe, behind: 8, ahead: 8 });
  assert.equal(w.accept(0xffffffff), true);
  assert.equal(w.accept(1), true);
  assert.equal(w.accept(0xffffffff), false);
});
