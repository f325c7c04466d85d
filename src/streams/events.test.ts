// Event stream: the EventService's records, $filter, resume with since, gaps for a slow client.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryPersistence } from '../model/persist.js';
import { makeTestBmc } from '../model/testing.js';
import { EventService } from '../redfish/events.js';
import { SessionStore } from '../redfish/sessions.js';
import { CloseCode, StreamError } from './auth.js';
import { EVENT_BUFFER_LIMIT, EVENT_RESUME_POLL_MS, eventStream, openEventStream } from './events.js';
import { FakePeer, streamContext } from './testing.js';

function setup(capacity = 256) {
  const t = makeTestBmc();
  const sessions = new SessionStore(t.bmc);
  const svc = new EventService({ bmc: t.bmc, persist: new MemoryPersistence(), capacity });
  const identify = () => t.bmc.hosts[0]!.setIdentify('force-on');
  const selAdd = () => t.bmc.events.emit({ type: 'sel-added', host: 0, recordId: 7 });
  return { ...t, sessions, svc, identify, selAdd };
}

type Ev = { type: string; id?: string; event?: { MessageId: string; EventId: string } };

test('records from the engine, after a ready message; filtered with the SSE grammar', () => {
  const { bmc, clock, sessions, svc, identify, selAdd } = setup();
  const all = new FakePeer();
  const created = new FakePeer();
  openEventStream(svc, streamContext(bmc, clock, sessions, 2), all);
  openEventStream(svc, streamContext(bmc, clock, sessions, 2, `$filter=${encodeURIComponent("MessageId eq 'ResourceEvent.ResourceCreated'")}`), created);
  identify();
  selAdd();
  const a = all.json() as Ev[];
  assert.deepEqual(a[0], { type: 'ready', lastEventId: '0' });
  assert.deepEqual(a.slice(1).map((m) => m.event!.MessageId.split('.').at(-1)), ['ResourceChanged', 'ResourceCreated']);
  assert.equal(a[2]!.id, a[2]!.event!.EventId);
  const c = created.json() as Ev[];
  assert.deepEqual(c.slice(1).map((m) => m.event!.MessageId), ['ResourceEvent.1.4.3.ResourceCreated']);
});

test('since replays what the buffer holds, with a gap for what it dropped', () => {
  const { bmc, clock, sessions, svc, selAdd } = setup(4);
  for (let i = 0; i < 6; i++) selAdd();
  const p = new FakePeer();
  openEventStream(svc, streamContext(bmc, clock, sessions, 2, 'since=1'), p);
  const m = p.json() as (Ev & { lost?: number })[];
  assert.deepEqual(m[0], { type: 'ready', lastEventId: '6' });
  assert.deepEqual(m[1], { type: 'gap', after: '1', next: '3', lost: 1 });
  assert.deepEqual(m.slice(2).map((x) => x.id), ['3', '4', '5', '6']);
  selAdd();
  assert.equal((p.json().at(-1) as Ev).id, '7');
});

test('a slow client catches up from the buffer; what fell out becomes a gap', () => {
  const { bmc, clock, sessions, svc, selAdd } = setup(4);
  const p = new FakePeer();
  openEventStream(svc, streamContext(bmc, clock, sessions, 2), p);
  selAdd();
  p.bufferedAmount = EVENT_BUFFER_LIMIT + 1;
  selAdd();
  selAdd();
  p.bufferedAmount = 0;
  clock.advance(EVENT_RESUME_POLL_MS);
  assert.deepEqual((p.json() as Ev[]).filter((m) => m.type === 'event').map((m) => m.id), ['1', '2', '3']);
  p.bufferedAmount = EVENT_BUFFER_LIMIT + 1;
  for (let i = 0; i < 10; i++) selAdd();
  p.bufferedAmount = 0;
  p.clear();
  clock.advance(EVENT_RESUME_POLL_MS);
  const m = p.json() as (Ev & { lost?: number })[];
  assert.deepEqual(m[0], { type: 'gap', after: '3', next: '10', lost: 6 });
  assert.deepEqual(m.slice(1).map((x) => x.id), ['10', '11', '12', '13']);
});

test('nothing while the EventService is disabled; bad $filter 4400; cap 4429', () => {
  const { bmc, clock, sessions, svc, selAdd } = setup();
  const p = new FakePeer();
  openEventStream(svc, streamContext(bmc, clock, sessions, 2), p);
  svc.store.setSettings({ serviceEnabled: false });
  selAdd();
  assert.equal(p.json().length, 1);
  const def = eventStream(svc, { max: 1 });
  const codeOf = (q: string) => {
    try {
      def.open(streamContext(bmc, clock, sessions, 2, q), new FakePeer());
      return undefined;
    } catch (e) {
      assert.ok(e instanceof StreamError);
      return e.code;
    }
  };
  assert.equal(codeOf('$filter=Bogus%20eq%201'), CloseCode.BadRequest);
  assert.equal(codeOf('filter=x'), CloseCode.BadRequest);
  assert.equal(codeOf(''), undefined);
  assert.equal(codeOf(''), CloseCode.TooMany);
});
