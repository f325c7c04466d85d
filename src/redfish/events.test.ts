// The event engine: model events → EventRecords, the SSE $filter grammar,
// subscription matching, delivery with retries and backoff on a ManualClock,
// and subscriptions surviving a restart (persistence).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ModelEvent } from '../model/events.js';
import { MemoryPersistence } from '../model/persist.js';
import type { Subscription } from '../model/subscriptions.js';
import { makeTestBmc } from '../model/testing.js';
import {
  afterFailure,
  eventBody,
  EventEngine,
  EventService,
  eventsFor,
  filterMatches,
  messageIdMatches,
  parseEventFilter,
  retryDelayMs,
  subscriptionMatches,
  type DeliveryTarget,
  type PublishedEvent,
  type Sender,
} from './events.js';

function collect(engine: EventEngine): PublishedEvent[] {
  const out: PublishedEvent[] = [];
  engine.on((e) => out.push(e));
  return out;
}

const SEL_EVENT = { generatorId: 0x20, evmRev: 4, sensorType: 0x07, sensorNumber: 0x01, eventDirType: 0x6f, eventData: [0, 0xff, 0xff] as [number, number, number] };

describe('eventsFor: model events → registry messages', () => {
  const { bmc } = makeTestBmc();
  const one = (ev: ModelEvent) => eventsFor(bmc, ev).map((s) => ({ id: `${s.registry.id}.${s.key}`, args: s.args, origin: s.origin, type: s.resourceType }));

  it('power on/off → ResourcePoweredOn/Off on the system', () => {
    assert.deepEqual(one({ type: 'power', host: 0, state: 'off', cause: 'x' }), [
      { id: 'ResourceEvent.1.4.3.ResourcePoweredOff', args: ['/redfish/v1/Systems/system'], origin: '/redfish/v1/Systems/system', type: 'ComputerSystem' },
    ]);
    assert.equal(one({ type: 'power', host: 0, state: 'on', cause: 'x' })[0]?.id, 'ResourceEvent.1.4.3.ResourcePoweredOn');
  });
  it('host reset → ResourceStateChanged', () => {
    assert.deepEqual(one({ type: 'host-reset', host: 0, cause: 'x' })[0]?.args, ['/redfish/v1/Systems/system', 'Reset']);
  });
  it('SEL added/deleted/cleared → ResourceCreated/Removed on the entry, LogCleared on the service', () => {
    assert.deepEqual(one({ type: 'sel-added', host: 0, recordId: 7 }), [
      { id: 'ResourceEvent.1.4.3.ResourceCreated', args: [], origin: '/redfish/v1/Systems/system/LogServices/EventLog/Entries/7', type: 'LogEntry' },
    ]);
    assert.equal(one({ type: 'sel-deleted', host: 0, recordId: 7 })[0]?.id, 'ResourceEvent.1.4.3.ResourceRemoved');
    assert.deepEqual(one({ type: 'sel-cleared', host: 0 }), [
      {
        id: 'LogService.1.1.0.LogCleared',
        args: ['/redfish/v1/Systems/system/LogServices/EventLog'],
        origin: '/redfish/v1/Systems/system/LogServices/EventLog',
        type: 'LogService',
      },
    ]);
  });
  it('threshold crossings → SensorEvent, by threshold and direction', () => {
    const offsets: [number, boolean, string][] = [
      [7, true, 'ReadingAboveUpperCautionThreshold'],
      [9, true, 'ReadingAboveUpperCriticalThreshold'],
      [11, true, 'ReadingAboveUpperFatalThreshold'],
      [0, true, 'ReadingBelowLowerCautionThreshold'],
      [2, true, 'ReadingBelowLowerCriticalThreshold'],
      [4, true, 'ReadingBelowLowerFatalThreshold'],
      [7, false, 'SensorReadingNormalRange'],
      [9, false, 'ReadingBelowUpperCriticalThreshold'],
      [2, false, 'ReadingAboveLowerCriticalThreshold'],
    ];
    for (const [offset, assertion, key] of offsets) {
      const r = one({ type: 'threshold', host: 0, sensor: 0x01, offset, assertion });
      assert.equal(r[0]?.id, `SensorEvent.1.1.0.${key}`, `offset ${offset} ${assertion}`);
      assert.equal(r[0]?.origin, '/redfish/v1/Chassis/chassis/Sensors/CPU_Temp');
      assert.equal(r[0]?.args[0], 'CPU Temp');
    }
    assert.equal(one({ type: 'threshold', host: 0, sensor: 0x01, offset: 9, assertion: true })[0]?.args[3], 92);
    assert.deepEqual(one({ type: 'threshold', host: 0, sensor: 0x77, offset: 9, assertion: true }), []);
  });
  it('configuration changes → ResourceChanged on the resource that shows them', () => {
    const cases: [ModelEvent, string][] = [
      [{ type: 'boot-options', host: 0 }, '/redfish/v1/Systems/system'],
      [{ type: 'power-policy', host: 0 }, '/redfish/v1/Systems/system'],
      [{ type: 'watchdog', host: 0, action: 'armed' }, '/redfish/v1/Systems/system'],
      [{ type: 'identify', host: 0, on: true }, '/redfish/v1/Chassis/chassis'],
      [{ type: 'fru', host: 0, fruId: 0 }, '/redfish/v1/Chassis/chassis'],
      [{ type: 'dcmi', host: 0 }, '/redfish/v1/Chassis/chassis'],
      [{ type: 'sensor-config', host: 0, sensor: 0x01 }, '/redfish/v1/Chassis/chassis/Sensors/CPU_Temp'],
      [{ type: 'users', userId: 3 }, '/redfish/v1/AccountService/Accounts/3'],
      [{ type: 'lan', channel: 1, parameter: 3 }, '/redfish/v1/Managers/bmc'],
      [{ type: 'channel', channel: 1 }, '/redfish/v1/Managers/bmc'],
      [{ type: 'sol-config', channel: 1 }, '/redfish/v1/Managers/bmc'],
      [{ type: 'bmc', what: 'ntp' }, '/redfish/v1/Managers/bmc'],
    ];
    for (const [ev, origin] of cases) {
      assert.deepEqual(one(ev).map((e) => [e.id, e.origin]), [['ResourceEvent.1.4.3.ResourceChanged', origin]], ev.type);
    }
  });
  it('readings and unknown hosts produce nothing', () => {
    assert.deepEqual(one({ type: 'reading', host: 0, sensor: 1, value: 40 }), []);
    assert.deepEqual(one({ type: 'power', host: 9, state: 'on', cause: 'x' }), []);
  });
});

describe('EventEngine', () => {
  it('publishes model events as records with ids, times and a replay buffer', () => {
    const { bmc, links, clock } = makeTestBmc();
    const engine = new EventEngine({ bmc, capacity: 3 });
    const seen = collect(engine);
    bmc.hosts[0]!.sel.addSystemEvent(SEL_EVENT);
    links[0]!.readings.set(0x01, 95);
    bmc.hosts[0]!.scan();
    const ids = seen.map((e) => e.messageId);
    assert.ok(ids.includes('ResourceEvent.1.4.3.ResourceCreated'), ids.join());
    assert.ok(ids.includes('SensorEvent.1.1.0.ReadingAboveUpperCriticalThreshold'), ids.join());
    const rec = seen[0]!.record;
    assert.equal(rec.EventId, '1');
    assert.equal(rec.EventTimestamp, new Date(clock.now()).toISOString().replace(/\.\d{3}Z$/, '+00:00'));
    assert.equal(rec.MessageSeverity, 'OK');
    assert.ok(seen.length > 3);
    assert.deepEqual(engine.since(0).map((e) => e.seq), seen.slice(-3).map((e) => e.seq));
    assert.deepEqual(engine.since(seen.at(-1)!.seq), []);
    const body = eventBody([seen[0]!], 'ctx');
    assert.equal(body['@odata.type'], '#Event.v1_13_0.Event');
    assert.equal(body.Context, 'ctx');
    engine.close();
    bmc.hosts[0]!.sel.addSystemEvent(SEL_EVENT);
    assert.equal(seen.length, ids.length);
  });
});

describe('filters', () => {
  const ev = (messageId: string, origin?: string, resourceType?: string): PublishedEvent => ({
    seq: 1,
    record: {},
    messageId,
    registryPrefix: messageId.split('.')[0]!,
    origin,
    resourceType,
  });
  const power = ev('ResourceEvent.1.4.3.ResourcePoweredOff', '/redfish/v1/Systems/system', 'ComputerSystem');
  const sensor = ev('SensorEvent.1.1.0.ReadingAboveUpperCriticalThreshold', '/redfish/v1/Chassis/chassis/Sensors/CPU_Temp', 'Sensor');

  it('MessageId matches with or without the registry version', () => {
    assert.ok(messageIdMatches('ResourceEvent.1.4.3.ResourcePoweredOff', power.messageId));
    assert.ok(messageIdMatches('ResourceEvent.ResourcePoweredOff', power.messageId));
    assert.ok(!messageIdMatches('ResourceEvent.ResourcePoweredOn', power.messageId));
    assert.ok(!messageIdMatches('ResourceEvent', power.messageId));
  });

  it('parses eq/and/or/parentheses on the supported properties', () => {
    const f = (t: string) => {
      const p = parseEventFilter(t);
      assert.ok(p, t);
      return [filterMatches(p, power), filterMatches(p, sensor)];
    };
    assert.deepEqual(f("MessageId eq 'ResourceEvent.1.4.3.ResourcePoweredOff'"), [true, false]);
    assert.deepEqual(f('RegistryPrefix eq SensorEvent'), [false, true]);
    assert.deepEqual(f("RegistryPrefix eq 'SensorEvent' or ResourceType eq 'ComputerSystem'"), [true, true]);
    assert.deepEqual(f("EventFormatType eq Event and OriginResource eq '/redfish/v1/Systems/system'"), [true, false]);
    assert.deepEqual(f("(RegistryPrefix eq ResourceEvent or RegistryPrefix eq SensorEvent) and ResourceType eq 'Sensor'"), [false, true]);
    assert.deepEqual(f("EventFormatType eq 'MetricReport'"), [false, false]);
    // and binds tighter than or
    assert.deepEqual(f("RegistryPrefix eq ResourceEvent or RegistryPrefix eq SensorEvent and ResourceType eq Nope"), [true, false]);
    assert.deepEqual(f("MessageId eq 'it''s'"), [false, false]);
  });

  it('refuses everything else', () => {
    for (const bad of [
      '',
      'MessageId',
      "MessageId ne 'x'",
      "Severity eq 'OK'",
      "MessageId eq 'x' and",
      "(MessageId eq 'x'",
      "MessageId eq 'x')",
      "MessageId eq 'unterminated",
      'MessageId eq x y',
      "MessageId gt 'x'",
      'MessageId eq $x',
      '('.repeat(40) + "MessageId eq 'x'" + ')'.repeat(40),
      'x'.repeat(2000),
    ]) {
      assert.equal(parseEventFilter(bad), undefined, bad);
    }
  });

  it('subscription filters: empty means everything; origins with subordinates', () => {
    const none = { registryPrefixes: [], messageIds: [], resourceTypes: [], originResources: [], subordinateResources: false };
    assert.ok(subscriptionMatches(none, power));
    assert.ok(!subscriptionMatches({ ...none, registryPrefixes: ['SensorEvent'] }, power));
    assert.ok(subscriptionMatches({ ...none, messageIds: ['ResourceEvent.ResourcePoweredOff'] }, power));
    assert.ok(!subscriptionMatches({ ...none, resourceTypes: ['Sensor'] }, power));
    assert.ok(!subscriptionMatches({ ...none, originResources: ['/redfish/v1/Chassis/chassis'] }, sensor));
    assert.ok(subscriptionMatches({ ...none, originResources: ['/redfish/v1/Chassis/chassis'], subordinateResources: true }, sensor));
    assert.ok(!subscriptionMatches({ ...none, originResources: ['/redfish/v1/Chassis/chas'], subordinateResources: true }, sensor));
  });
});

describe('delivery', () => {
  it('retry policy table and backoff', () => {
    assert.equal(afterFailure('SuspendRetries', 3, 3), 'retry');
    assert.equal(afterFailure('SuspendRetries', 4, 3), 'suspend');
    assert.equal(afterFailure('TerminateAfterRetries', 4, 3), 'terminate');
    assert.equal(afterFailure('RetryForever', 100, 3), 'retry');
    assert.equal(afterFailure('RetryForeverWithBackoff', 100, 3), 'retry');
    assert.deepEqual([1, 2, 3, 4].map((n) => retryDelayMs('SuspendRetries', n, 30)), [30_000, 60_000, 120_000, 240_000]);
    assert.deepEqual([1, 5].map((n) => retryDelayMs('RetryForever', n, 30)), [30_000, 30_000]);
    assert.equal(retryDelayMs('RetryForeverWithBackoff', 50, 30), 3_600_000);
  });

  function fakeSender(results: boolean[]): { send: Sender; calls: { target: DeliveryTarget; body: string }[] } {
    const calls: { target: DeliveryTarget; body: string }[] = [];
    return {
      calls,
      send: async (target, body) => {
        calls.push({ target, body });
        return results.shift() ?? true;
      },
    };
  }
  const tick = () => new Promise((r) => setImmediate(r));
  const newSub = (over: Partial<Subscription> = {}) => ({
    destination: 'http://127.0.0.1:9/events',
    context: 'c1',
    eventFormatType: 'Event' as const,
    registryPrefixes: [],
    messageIds: [],
    resourceTypes: [],
    originResources: [],
    subordinateResources: false,
    httpHeaders: { Authorization: 'Bearer x' },
    retryPolicy: 'SuspendRetries' as const,
    verifyCertificate: true,
    createdBy: 'admin',
    ...over,
  });

  it('delivers matching events with the subscription headers and context', async () => {
    const { bmc } = makeTestBmc();
    const f = fakeSender([]);
    const svc = new EventService({ bmc, persist: new MemoryPersistence(), send: f.send });
    svc.create(newSub({ registryPrefixes: ['ResourceEvent'] }));
    bmc.events.emit({ type: 'power', host: 0, state: 'off', cause: 'test' });
    bmc.events.emit({ type: 'sel-cleared', host: 0 });
    await tick();
    assert.equal(f.calls.length, 1);
    const body = JSON.parse(f.calls[0]!.body);
    assert.equal(body.Context, 'c1');
    assert.equal(body.Events[0].MessageId, 'ResourceEvent.1.4.3.ResourcePoweredOff');
    assert.deepEqual(f.calls[0]!.target.headers, { Authorization: 'Bearer x' });
    svc.close();
  });

  it('retries with exponential backoff, then suspends (SuspendRetries); resume sends what waited', async () => {
    const { bmc, clock } = makeTestBmc();
    const f = fakeSender([false, false, false, false]);
    const svc = new EventService({ bmc, persist: new MemoryPersistence(), send: f.send });
    svc.store.setSettings({ retryAttempts: 3, retryIntervalS: 10 });
    const sub = svc.create(newSub());
    bmc.events.emit({ type: 'power', host: 0, state: 'off', cause: 'test' });
    await tick();
    assert.equal(f.calls.length, 1);
    clock.advance(9_999);
    await tick();
    assert.equal(f.calls.length, 1, 'no retry before the interval');
    clock.advance(1);
    await tick();
    assert.equal(f.calls.length, 2);
    clock.advance(19_999);
    await tick();
    assert.equal(f.calls.length, 2, 'second retry waits twice as long');
    clock.advance(1);
    await tick();
    assert.equal(f.calls.length, 3);
    clock.advance(40_000);
    await tick();
    assert.equal(f.calls.length, 4);
    assert.equal(svc.store.get(sub.id)?.suspended, true);
    // suspended: new events queue, nothing is sent
    bmc.events.emit({ type: 'power', host: 0, state: 'on', cause: 'test' });
    clock.advance(1_000_000);
    await tick();
    assert.equal(f.calls.length, 4);
    svc.resume(sub.id);
    await tick();
    await tick();
    assert.equal(f.calls.length, 5);
    assert.equal(svc.store.get(sub.id)?.suspended, false);
    svc.close();
  });

  it('TerminateAfterRetries deletes the subscription', async () => {
    const { bmc, clock } = makeTestBmc();
    const f = fakeSender([false, false]);
    const svc = new EventService({ bmc, persist: new MemoryPersistence(), send: f.send });
    svc.store.setSettings({ retryAttempts: 1, retryIntervalS: 1 });
    const sub = svc.create(newSub({ retryPolicy: 'TerminateAfterRetries' }));
    bmc.events.emit({ type: 'power', host: 0, state: 'off', cause: 'test' });
    await tick();
    clock.advance(1000);
    await tick();
    assert.equal(f.calls.length, 2);
    assert.equal(svc.store.get(sub.id), undefined);
    svc.close();
  });

  it('the queue is bounded: the oldest events are dropped', async () => {
    const { bmc } = makeTestBmc();
    const f = fakeSender([false]);
    const svc = new EventService({ bmc, persist: new MemoryPersistence(), send: f.send });
    const sub = svc.create(newSub());
    for (let i = 0; i < 200; i++) bmc.events.emit({ type: 'boot-options', host: 0 });
    await tick();
    assert.equal(svc.pending(sub.id), 64);
    svc.close();
  });

  it('nothing is sent while the service is disabled', async () => {
    const { bmc } = makeTestBmc();
    const f = fakeSender([]);
    const svc = new EventService({ bmc, persist: new MemoryPersistence(), send: f.send });
    svc.create(newSub());
    svc.store.setSettings({ serviceEnabled: false });
    bmc.events.emit({ type: 'boot-options', host: 0 });
    await tick();
    assert.equal(f.calls.length, 0);
    svc.close();
  });
});

describe('persistence', () => {
  it('subscriptions, their headers, suspension and settings survive a restart; ids are not reused', () => {
    const persist = new MemoryPersistence();
    const { bmc } = makeTestBmc();
    const a = new EventService({ bmc, persist });
    a.store.setSettings({ retryAttempts: 5, retryIntervalS: 2 });
    const s1 = a.create({
      destination: 'https://collector.example/ev',
      context: 'ctx',
      eventFormatType: 'Event',
      registryPrefixes: ['SensorEvent'],
      messageIds: [],
      resourceTypes: [],
      originResources: ['/redfish/v1/Chassis/chassis'],
      subordinateResources: true,
      httpHeaders: { 'X-Token': 't' },
      retryPolicy: 'RetryForever',
      verifyCertificate: false,
      createdBy: 'admin',
    });
    const s2 = a.create({ ...s1, destination: 'http://b.example/' });
    a.suspend(s1.id);
    a.delete(s2.id);
    a.close();
    const b = new EventService({ bmc, persist });
    assert.deepEqual(b.store.settings, { serviceEnabled: true, retryAttempts: 5, retryIntervalS: 2 });
    const list = b.store.list();
    assert.equal(list.length, 1);
    assert.deepEqual(list[0], { ...s1, suspended: true });
    const s3 = b.create({ ...s1, destination: 'http://c.example/' });
    assert.equal(s3.id, '3');
    b.close();
  });
});

it('subscription HttpHeaders are sealed at rest and come back after a restart', async () => {
  const { MemoryPersistence } = await import('../model/persist.js');
  const { SubscriptionStore } = await import('../model/subscriptions.js');
  const { plainBox } = await import('../model/testing.js');
  const persist = new MemoryPersistence();
  const box = {
    seal: (b: Uint8Array) => 'sealed:' + plainBox.seal(b),
    open: (s: string) => plainBox.open(s.slice('sealed:'.length)),
  };
  const store = new SubscriptionStore(persist, box);
  assert.equal(store.list().length, 0);
  const added = store.add({
    destination: 'https://127.0.0.1:1/ev',
    context: 'c',
    httpHeaders: { Authorization: 'Bearer s3cret' },
  } as unknown as Parameters<typeof store.add>[0]);
  const onDisk = [...persist.docs.values()].join('');
  assert.ok(!onDisk.includes('s3cret'), 'header value not stored in clear');
  assert.ok(onDisk.includes('sealed:'));
  const again = new SubscriptionStore(persist, box);
  assert.deepEqual(again.get(added.id)?.httpHeaders, { Authorization: 'Bearer s3cret' });
});

describe('task events', () => {
  it('a task announces start, progress and completion with TaskEvent messages', async () => {
    const { makeTestBmc } = await import('../model/testing.js');
    const { EventEngine } = await import('./events.js');
    const { bmc } = makeTestBmc();
    const engine = new EventEngine({ bmc });
    const seen: string[] = [];
    engine.on((e) => seen.push(e.messageId));
    const task = bmc.tasks.create({ name: 'Firmware update', owner: 'admin' });
    assert.ok(task !== 'task-limit');
    task.start();
    task.progress(40);
    task.complete();
    engine.close();
    assert.deepEqual(seen, [
      'TaskEvent.1.0.5.TaskStarted',
      'TaskEvent.1.0.5.TaskProgressChanged',
      'TaskEvent.1.0.5.TaskCompletedOK',
    ]);
  });
});
