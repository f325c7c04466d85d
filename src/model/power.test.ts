// Table walk of the power state machine: every state x input.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OFF, ON, powerStep, type PowerInput, type PowerMachineState } from './power.js';

const states: PowerMachineState[] = [
  OFF,
  ON,
  { current: 'off', requested: 'cycle', pending: 'cycle-off-interval' },
  { current: 'on', requested: 'soft', pending: 'soft-off' },
];
const inputs: PowerInput[] = [
  ...(['on', 'off', 'cycle', 'reset', 'soft', 'diag'] as const).map(
    (action): PowerInput => ({ kind: 'request', action, cause: 'chassis-control' }),
  ),
  { kind: 'cycle-interval-elapsed' },
  { kind: 'host-off' },
  { kind: 'host-on' },
  { kind: 'soft-off-timeout' },
];

test('every state x input yields a consistent state', () => {
  for (const s of states) {
    for (const i of inputs) {
      const r = powerStep(s, i);
      if (!r.ok) {
        assert.equal(s.current, 'off', `refusal only when off: ${JSON.stringify([s, i])}`);
        continue;
      }
      const changed = r.effects.filter((e) => e.kind === 'changed');
      assert.ok(changed.length <= 1);
      if (changed[0]?.kind === 'changed') assert.equal(changed[0].to, r.state.current);
      if (r.state.pending === 'cycle-off-interval') assert.equal(r.state.current, 'off');
      if (r.state.pending === 'soft-off') assert.equal(r.state.current, 'on');
    }
  }
});

test('power cycle: off, interval, on', () => {
  const a = powerStep(ON, { kind: 'request', action: 'cycle', cause: 'chassis-control' });
  assert.ok(a.ok);
  assert.equal(a.state.current, 'off');
  assert.ok(a.effects.some((e) => e.kind === 'start-cycle-timer'));
  const b = powerStep(a.state, { kind: 'cycle-interval-elapsed' });
  assert.ok(b.ok);
  assert.equal(b.state.current, 'on');
  assert.deepEqual(b.effects.map((e) => e.kind), ['backend-on', 'changed']);
});

test('cycle, reset, soft and diag are refused while off', () => {
  for (const action of ['cycle', 'reset', 'soft', 'diag'] as const) {
    const r = powerStep(OFF, { kind: 'request', action, cause: 'chassis-control' });
    assert.deepEqual(r, { ok: false, reason: 'not-in-present-state' });
  }
});

test('soft off completes when the host turns itself off', () => {
  const a = powerStep(ON, { kind: 'request', action: 'soft', cause: 'chassis-control' });
  assert.ok(a.ok);
  assert.equal(a.state.current, 'on');
  const b = powerStep(a.state, { kind: 'host-off' });
  assert.ok(b.ok);
  assert.equal(b.state.current, 'off');
  assert.equal(b.state.pending, 'none');
});

test('power on while on is a no-op', () => {
  const r = powerStep(ON, { kind: 'request', action: 'on', cause: 'chassis-control' });
  assert.ok(r.ok);
  assert.deepEqual(r.effects, []);
});
