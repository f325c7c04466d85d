// Sensor stream: the snapshot, coalesced readings, state changes at once, latest-only for a slow client.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { makeTestBmc } from '../model/testing.js';
import { SessionStore } from '../redfish/sessions.js';
import { CloseCode, StreamError } from './auth.js';
import { openSensorStream, SENSOR_BUFFER_LIMIT, sensorStream } from './sensors.js';
import { FakePeer, streamContext } from './testing.js';

function setup(query = '') {
  const t = makeTestBmc();
  const sessions = new SessionStore(t.bmc);
  const peer = new FakePeer();
  const host = t.bmc.hosts[0]!;
  const link = t.links[0]!;
  link.readings.set(0x01, 40);
  link.readings.set(0x30, 12);
  host.scan();
  const h = openSensorStream(streamContext(t.bmc, t.clock, sessions, 2, query), peer);
  return { ...t, sessions, peer, host, link, h };
}

type Reading = { id: string; value: number | null; health: string | null };

test('the snapshot names the host, its state and every threshold sensor with its Redfish id', () => {
  const { peer } = setup();
  const [snap] = peer.json();
  assert.equal(snap!.type, 'snapshot');
  assert.equal(snap!.system, '/redfish/v1/Systems/system');
  assert.equal(snap!.power, 'Off');
  assert.equal(snap!.health, 'OK');
  assert.equal(snap!.intervalMs, 250);
  const sensors = snap!.sensors as (Reading & { uri: string; units: string; thresholds: Record<string, number> })[];
  assert.deepEqual(sensors.map((s) => s.id), ['CPU_Temp', '12V', 'FAN3']);
  assert.equal(sensors[0]!.value, 40);
  assert.equal(sensors[0]!.uri, '/redfish/v1/Chassis/chassis/Sensors/CPU_Temp');
  assert.equal(sensors[0]!.units, 'Cel');
  assert.equal(sensors[0]!.thresholds.UpperCritical, 92);
  assert.equal(sensors[2]!.value, null, 'absent');
});

test('readings: one per sensor per interval, the latest', () => {
  const { peer, host, link, clock } = setup();
  peer.clear();
  for (const v of [41, 42, 43]) {
    link.readings.set(0x01, v);
    host.scan();
  }
  clock.advance(0);
  // the first change goes on the first tick; the next ones wait for the interval
  let batches = peer.json().filter((m) => m.type === 'readings');
  assert.equal(batches.length, 1);
  assert.deepEqual((batches[0]!.readings as Reading[]).map((r) => [r.id, r.value]), [['CPU_Temp', 43]]);
  link.readings.set(0x01, 44);
  host.scan();
  link.readings.set(0x01, 45);
  link.readings.set(0x30, 12.5);
  host.scan();
  clock.advance(249);
  assert.equal(peer.json().filter((m) => m.type === 'readings').length, 1);
  clock.advance(1);
  batches = peer.json().filter((m) => m.type === 'readings');
  assert.equal(batches.length, 2);
  const last = batches[1]!.readings as Reading[];
  assert.deepEqual(last.map((r) => r.id), ['CPU_Temp', '12V']);
  assert.equal(last[0]!.value, 45);
});

test('power, identify, SEL and threshold/health changes go at once', () => {
  const { peer, host, link, clock } = setup();
  peer.clear();
  host.request('on');
  clock.advance(0);
  assert.ok(peer.json().some((m) => m.type === 'power' && m.state === 'On'));
  host.setIdentify('force-on');
  clock.advance(0);
  assert.ok(peer.json().some((m) => m.type === 'identify' && m.on === true));
  // CPU Temp over its upper caution (87) and critical (92)
  link.readings.set(0x01, 95);
  host.scan();
  clock.advance(0);
  const th = peer.json().filter((m) => m.type === 'threshold');
  assert.ok(th.some((m) => m.sensor === 'CPU_Temp' && m.threshold === 'UpperCritical' && m.assertion === true));
  assert.ok(peer.json().some((m) => m.type === 'health' && m.health === 'Critical'));
  assert.ok(peer.json().some((m) => m.type === 'sel' && m.change === 'added' && (m.entries as number) > 0));
});

test('a slow client gets nothing until it drains, then only the latest value of each key', () => {
  const { peer, host, link, clock } = setup();
  peer.clear();
  peer.bufferedAmount = SENSOR_BUFFER_LIMIT + 1;
  for (let i = 0; i < 50; i++) {
    link.readings.set(0x01, 50 + (i % 5));
    host.scan();
    if (i === 10) host.request('on');
    if (i === 20) host.request('off');
    clock.advance(100);
  }
  assert.equal(peer.sent.length, 0);
  peer.bufferedAmount = 0;
  clock.advance(250);
  const msgs = peer.json();
  assert.deepEqual(msgs.filter((m) => m.type === 'power').map((m) => m.state), ['Off'], 'latest power state only');
  const readings = msgs.filter((m) => m.type === 'readings');
  assert.equal(readings.length, 1);
  assert.deepEqual((readings[0]!.readings as Reading[]).map((r) => [r.id, r.value]), [['CPU_Temp', 54]]);
});

test('close unsubscribes; other hosts are not reported', () => {
  const { peer, host, link, clock, h, bmc } = setup();
  peer.clear();
  h.close();
  link.readings.set(0x01, 60);
  host.scan();
  clock.advance(1000);
  assert.equal(peer.sent.length, 0);
  bmc.events.emit({ type: 'power', host: 5, state: 'on', cause: 'x' });
});

test('the endpoint: bad interval 4400, unknown host 4404, cap 4429', () => {
  const t = makeTestBmc();
  const sessions = new SessionStore(t.bmc);
  const def = sensorStream({ max: 2 });
  const codeOf = (q: string) => {
    try {
      def.open(streamContext(t.bmc, t.clock, sessions, 2, q), new FakePeer());
      return undefined;
    } catch (e) {
      assert.ok(e instanceof StreamError);
      return e.code;
    }
  };
  assert.equal(codeOf('interval=5'), CloseCode.BadRequest);
  assert.equal(codeOf('interval=abc'), CloseCode.BadRequest);
  assert.equal(codeOf('host=1'), CloseCode.UnknownHost);
  assert.equal(codeOf('host=0&system=system'), CloseCode.BadRequest);
  assert.equal(codeOf('interval=1000'), undefined);
  assert.equal(codeOf('system=system'), undefined);
  assert.equal(codeOf(''), CloseCode.TooMany);
});
