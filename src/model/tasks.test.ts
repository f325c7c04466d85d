// The task state machine (every state × input), progress and the bounded list.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ManualClock } from './clock.js';
import { TaskList, taskStep, type TaskInput, type TaskState } from './tasks.js';

const STATES: TaskState[] = ['New', 'Running', 'Completed', 'Exception', 'Cancelled'];
const INPUTS: TaskInput['kind'][] = ['start', 'progress', 'complete', 'fail', 'cancel'];
// expected next state; '-' = refused
const TABLE: Record<TaskState, Record<TaskInput['kind'], TaskState | '-'>> = {
  New: { start: 'Running', progress: '-', complete: '-', fail: 'Exception', cancel: 'Cancelled' },
  Running: { start: '-', progress: 'Running', complete: 'Completed', fail: 'Exception', cancel: 'Cancelled' },
  Completed: { start: '-', progress: '-', complete: '-', fail: '-', cancel: '-' },
  Exception: { start: '-', progress: '-', complete: '-', fail: '-', cancel: '-' },
  Cancelled: { start: '-', progress: '-', complete: '-', fail: '-', cancel: '-' },
};

describe('taskStep', () => {
  for (const s of STATES) {
    for (const i of INPUTS) {
      it(`${s} × ${i}`, () => {
        const r = taskStep(s, { kind: i });
        const want = TABLE[s][i];
        if (want === '-') {
          assert.equal(r.ok, false);
          if (!r.ok) assert.equal(r.reason, ['Completed', 'Exception', 'Cancelled'].includes(s) ? 'task-finished' : 'task-not-running');
        } else assert.deepEqual(r, { ok: true, state: want });
      });
    }
  }
});

describe('Task', () => {
  it('runs to completion with rising progress, messages and times', () => {
    const clock = new ManualClock();
    const list = new TaskList({ clock });
    const seen: string[] = [];
    list.on((c) => seen.push(`${c.what}:${c.task.state}:${c.task.percent}`));
    const t = list.create({ name: 'x', owner: 'admin' });
    assert.ok(typeof t !== 'string');
    assert.equal(t.state, 'New');
    assert.equal(t.progress(10), 'task-not-running');
    assert.equal(t.start(), undefined);
    t.progress(30);
    t.progress(20); // never goes down
    assert.equal(t.percent, 30);
    t.progress(150); // capped below 100 until complete
    assert.equal(t.percent, 99);
    clock.advance(5000);
    t.complete();
    assert.equal(t.state, 'Completed');
    assert.equal(t.percent, 100);
    assert.equal(t.endTime! - t.startTime, 5000);
    assert.deepEqual(t.messages.map((m) => m.key), ['TaskStarted', 'TaskCompletedOK']);
    assert.equal(t.complete(), 'task-finished');
    assert.deepEqual(seen, ['state:Running:0', 'progress:Running:30', 'progress:Running:99', 'state:Completed:100']);
  });

  it('fails with Critical health and TaskAborted', () => {
    const list = new TaskList({ clock: new ManualClock() });
    const t = list.create({ name: 'x', owner: 'a' });
    assert.ok(typeof t !== 'string');
    t.start();
    t.fail({ registry: 'Update', key: 'VerificationFailed', args: ['img', 'BMC'] });
    assert.equal(t.state, 'Exception');
    assert.equal(t.health, 'Critical');
    assert.deepEqual(t.messages.map((m) => m.key), ['TaskStarted', 'VerificationFailed', 'TaskAborted']);
  });

  it('cancels only while a cancel hook is set', () => {
    const list = new TaskList({ clock: new ManualClock() });
    const t = list.create({ name: 'x', owner: 'a' });
    assert.ok(typeof t !== 'string');
    t.start();
    assert.equal(t.cancel(), 'not-cancellable');
    let stopped = false;
    t.setCancellable(() => (stopped = true));
    assert.equal(t.cancellable, true);
    assert.equal(t.cancel(), undefined);
    assert.equal(stopped, true);
    assert.equal(t.state, 'Cancelled');
    assert.equal(t.cancel(), 'task-finished');
  });

  it('keeps at most `capacity` tasks, dropping the oldest finished', () => {
    const list = new TaskList({ clock: new ManualClock(), capacity: 3 });
    const [a, b, c] = [1, 2, 3].map(() => list.create({ name: 'x', owner: 'a' }));
    assert.ok(a && b && c && typeof a !== 'string' && typeof b !== 'string' && typeof c !== 'string');
    a.start();
    b.start();
    b.complete();
    c.start();
    const d = list.create({ name: 'x', owner: 'a' });
    assert.ok(typeof d !== 'string');
    assert.deepEqual(list.list().map((t) => t.id), ['1', '3', '4']); // b (finished) went, a (running) stayed
    d.start();
    assert.equal(list.create({ name: 'x', owner: 'a' }), 'task-limit');
    assert.equal(list.get('2'), undefined);
  });
});
