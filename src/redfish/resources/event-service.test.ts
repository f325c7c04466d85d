// EventService and Subscriptions driven in-process: bodies validate against
// the DMTF schemas, POST rules (Destination, Protocol, write-only headers),
// PATCH, DELETE, SubmitTestEvent reaching a subscription.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RedfishSchemas } from '../../../test/helpers/redfish-schemas.js';
import { silentLogger } from '../../log.js';
import { MemoryPersistence } from '../../model/persist.js';
import { makeTestBmc } from '../../model/testing.js';
import { EventService, type Sender } from '../events.js';
import { RedfishService } from '../server.js';
import { eventServiceRoutes } from './event-service.js';

const auth = `Basic ${Buffer.from('admin:password').toString('base64')}`;
const opAuth = `Basic ${Buffer.from('operator:operpass').toString('base64')}`;
let schemas: RedfishSchemas | undefined;
function valid(body: unknown): void {
  schemas ??= new RedfishSchemas();
  assert.deepEqual(schemas.validate(body as Record<string, unknown>), [], JSON.stringify(body));
}

function service() {
  const t = makeTestBmc();
  const sent: { destination: string; headers: Record<string, string>; body: Record<string, any> }[] = [];
  const send: Sender = async (target, body) => {
    sent.push({ destination: target.destination, headers: { ...target.headers }, body: JSON.parse(body) });
    return true;
  };
  const events = new EventService({ bmc: t.bmc, persist: new MemoryPersistence(), send });
  const svc = new RedfishService({ bmc: t.bmc, log: silentLogger, routes: eventServiceRoutes(), services: { events } });
  const call = async (method: string, url: string, body?: unknown, authorization = auth) => {
    const r = await svc.router.handle({ method, url, headers: { authorization }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}), clientAddress: '127.0.0.1' });
    return { status: r.status, headers: r.headers, body: r.body as Record<string, any> };
  };
  return { ...t, call, sent, events };
}

const tick = () => new Promise((r) => setImmediate(r));
const msgId = (r: { body: Record<string, any> }) => r.body.error?.['@Message.ExtendedInfo']?.[0]?.MessageId;

describe('EventService', () => {
  it('describes itself and validates; PATCH changes the retry settings', async () => {
    const { call } = service();
    const r = await call('GET', '/redfish/v1/EventService');
    assert.equal(r.status, 200);
    valid(r.body);
    assert.equal(r.body.ServerSentEventUri, '/redfish/v1/EventService/SSE');
    assert.deepEqual(r.body.EventFormatTypes, ['Event']);
    assert.ok(r.body.RegistryPrefixes.includes('SensorEvent'));
    const p = await call('PATCH', '/redfish/v1/EventService', { DeliveryRetryAttempts: 5, DeliveryRetryIntervalSeconds: 7 });
    assert.equal(p.status, 200);
    assert.equal(p.body.DeliveryRetryAttempts, 5);
    assert.equal(p.body.DeliveryRetryIntervalSeconds, 7);
    assert.equal(msgId(await call('PATCH', '/redfish/v1/EventService', { DeliveryRetryIntervalSeconds: 0 })), 'Base.1.22.1.PropertyValueOutOfRange');
    assert.equal(msgId(await call('PATCH', '/redfish/v1/EventService', { ServerSentEventUri: '/x' })), 'Base.1.22.1.PropertyUnknown');
    assert.equal((await call('PATCH', '/redfish/v1/EventService', { ServiceEnabled: false }, opAuth)).status, 403);
    const info = await call('GET', '/redfish/v1/EventService/SubmitTestEventActionInfo');
    valid(info.body);
  });

  it('creates, reads, patches and deletes a subscription; headers are write-only', async () => {
    const { call } = service();
    const c = await call('POST', '/redfish/v1/EventService/Subscriptions', {
      Destination: 'https://collector.example:8443/events',
      Protocol: 'Redfish',
      Context: 'mine',
      RegistryPrefixes: ['ResourceEvent'],
      MessageIds: ['ResourceEvent.ResourcePoweredOff'],
      OriginResources: [{ '@odata.id': '/redfish/v1/Systems/system' }],
      HttpHeaders: [{ Authorization: 'Bearer secret' }],
      DeliveryRetryPolicy: 'RetryForever',
    });
    assert.equal(c.status, 201, JSON.stringify(c.body));
    assert.equal(c.headers.Location, '/redfish/v1/EventService/Subscriptions/1');
    valid(c.body);
    assert.deepEqual(c.body.HttpHeaders, []);
    assert.ok(!JSON.stringify(c.body).includes('secret'));
    const g = await call('GET', '/redfish/v1/EventService/Subscriptions/1');
    valid(g.body);
    assert.deepEqual(g.body.OriginResources, [{ '@odata.id': '/redfish/v1/Systems/system' }]);
    assert.equal(g.body.Status.State, 'Enabled');
    const coll = await call('GET', '/redfish/v1/EventService/Subscriptions');
    valid(coll.body);
    assert.equal(coll.body['Members@odata.count'], 1);
    const p = await call('PATCH', '/redfish/v1/EventService/Subscriptions/1', { Context: 'new', DeliveryRetryPolicy: 'SuspendRetries' });
    assert.equal(p.status, 200);
    assert.equal(p.body.Context, 'new');
    assert.equal(msgId(await call('PATCH', '/redfish/v1/EventService/Subscriptions/1', { Destination: 'http://x/' })), 'Base.1.22.1.PropertyNotWritable');
    assert.equal((await call('POST', '/redfish/v1/EventService/Subscriptions/1/Actions/EventDestination.SuspendSubscription', {})).status, 204);
    assert.equal((await call('GET', '/redfish/v1/EventService/Subscriptions/1')).body.Status.State, 'Disabled');
    assert.equal((await call('POST', '/redfish/v1/EventService/Subscriptions/1/Actions/EventDestination.ResumeSubscription', {})).status, 204);
    assert.equal((await call('DELETE', '/redfish/v1/EventService/Subscriptions/1')).status, 204);
    assert.equal((await call('GET', '/redfish/v1/EventService/Subscriptions/1')).status, 404);
    assert.equal((await call('DELETE', '/redfish/v1/EventService/Subscriptions/1')).status, 404);
  });

  it('refuses bad subscriptions with Base messages', async () => {
    const { call } = service();
    const post = (b: unknown, a = auth) => call('POST', '/redfish/v1/EventService/Subscriptions', b, a);
    const cases: [unknown, string][] = [
      [{ Destination: 'ftp://x.example/e', Protocol: 'Redfish' }, 'PropertyValueNotInList'],
      [{ Destination: 'not a url', Protocol: 'Redfish' }, 'PropertyValueFormatError'],
      [{ Destination: 'http://x.example/e', Protocol: 'SNMPv2c' }, 'PropertyValueNotInList'],
      [{ Destination: 'http://x.example/e' }, 'PropertyMissing'],
      [{ Protocol: 'Redfish' }, 'PropertyMissing'],
      [{ Destination: 'http://x.example/e', Protocol: 'Redfish', EventFormatType: 'MetricReport' }, 'PropertyValueNotInList'],
      [{ Destination: 'http://x.example/e', Protocol: 'Redfish', RegistryPrefixes: ['Nope'] }, 'PropertyValueNotInList'],
      [{ Destination: 'http://x.example/e', Protocol: 'Redfish', MessageIds: ['ResourceEvent.Nope'] }, 'PropertyValueNotInList'],
      [{ Destination: 'http://x.example/e', Protocol: 'Redfish', HttpHeaders: [{ 'Bad Name': 'x' }] }, 'PropertyValueFormatError'],
      [{ Destination: 'http://x.example/e', Protocol: 'Redfish', HttpHeaders: [{ A: 'x\r\nB: y' }] }, 'PropertyValueFormatError'],
      [{ Destination: 'http://x.example/e', Protocol: 'Redfish', OriginResources: ['/redfish/v1'] }, 'PropertyValueFormatError'],
      [{ Destination: 'http://x.example/e', Protocol: 'Redfish', Bogus: 1 }, 'PropertyUnknown'],
    ];
    for (const [b, id] of cases) {
      const r = await post(b);
      assert.equal(r.status, 400, JSON.stringify(b));
      assert.equal(msgId(r), `Base.1.22.1.${id}`, JSON.stringify(b));
    }
    assert.equal((await post({ Destination: 'http://x.example/e', Protocol: 'Redfish' })).status, 201);
    assert.equal((await post({ Destination: 'http://x.example/e', Protocol: 'Redfish' })).status, 409);
    // ConfigureComponents may subscribe; ConfigureSelf changes only its own subscriptions
    const mine = await post({ Destination: 'http://op.example/e', Protocol: 'Redfish' }, opAuth);
    assert.equal(mine.status, 201);
    assert.equal((await call('DELETE', '/redfish/v1/EventService/Subscriptions/1', undefined, opAuth)).status, 403);
    assert.equal((await call('PATCH', '/redfish/v1/EventService/Subscriptions/1', { Context: 'x' }, opAuth)).status, 403);
    assert.equal((await call('DELETE', mine.headers.Location!, undefined, opAuth)).status, 204);
  });

  it('model events and SubmitTestEvent reach matching subscriptions', async () => {
    const { call, sent, bmc } = service();
    await call('POST', '/redfish/v1/EventService/Subscriptions', { Destination: 'http://a.example/', Protocol: 'Redfish', Context: 'A', HttpHeaders: [{ 'X-Key': 'k' }] });
    await call('POST', '/redfish/v1/EventService/Subscriptions', { Destination: 'http://b.example/', Protocol: 'Redfish', Context: 'B', RegistryPrefixes: ['SensorEvent'] });
    bmc.hosts[0]!.sel.addSystemEvent({ generatorId: 0x20, evmRev: 4, sensorType: 7, sensorNumber: 1, eventDirType: 0x6f, eventData: [0, 0xff, 0xff] });
    await tick();
    assert.deepEqual(sent.map((s) => [s.destination, s.body.Events[0].MessageId]), [['http://a.example/', 'ResourceEvent.1.4.3.ResourceCreated']]);
    assert.deepEqual(sent[0]!.headers, { 'X-Key': 'k' });
    const t = await call('POST', '/redfish/v1/EventService/Actions/EventService.SubmitTestEvent', {
      MessageId: 'SensorEvent.1.1.0.ReadingCritical',
      MessageArgs: ['CPU Temp', '99', 'Cel'],
      MessageSeverity: 'Critical',
      OriginOfCondition: '/redfish/v1/Chassis/chassis',
    });
    assert.equal(t.status, 200);
    await tick();
    assert.deepEqual(sent.slice(1).map((s) => s.body.Context).sort(), ['A', 'B']);
    const ev = sent[1]!.body;
    valid(ev);
    assert.equal(ev.Events[0].MessageSeverity, 'Critical');
    assert.deepEqual(ev.Events[0].OriginOfCondition, { '@odata.id': '/redfish/v1/Chassis/chassis' });
    const bad = await call('POST', '/redfish/v1/EventService/Actions/EventService.SubmitTestEvent', {});
    assert.equal(bad.status, 400);
    assert.equal(msgId(bad), 'Base.1.22.1.ActionParameterMissing');
  });
});
