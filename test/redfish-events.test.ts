// EventService against the real tsbmc process: a listener on 127.0.0.1
// subscribes and receives the events ipmitool causes (power, SEL, threshold
// crossings), SubmitTestEvent, subscriptions surviving a restart, the SSE
// stream with $filter, retries ending in a suspended subscription, and the
// 400s for unsupported destinations and protocols.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ADMIN_PASSWORD, ipmitool, redfish, startBmcProcess, waitFor, type BmcProcess } from './helpers/bmc-process.js';

interface Received {
  headers: IncomingMessage['headers'];
  body: { Context?: string; Events: { MessageId: string; OriginOfCondition?: { '@odata.id': string }; MessageArgs: string[] }[] };
}

class Collector {
  readonly received: Received[] = [];
  readonly server: Server;
  constructor() {
    this.server = createServer((req, res) => {
      let text = '';
      req.on('data', (d: Buffer) => (text += d.toString()));
      req.on('end', () => {
        try {
          this.received.push({ headers: req.headers, body: JSON.parse(text) as Received['body'] });
        } catch {
          // not JSON: ignored
        }
        res.writeHead(204).end();
      });
    });
  }
  async listen(): Promise<string> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    const a = this.server.address();
    return `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}/events`;
  }
  find(pred: (e: Received['body']['Events'][number], r: Received) => boolean): Promise<{ event: Received['body']['Events'][number]; r: Received }> {
    return waitFor(async () => {
      for (const r of this.received) for (const event of r.body.Events) if (pred(event, r)) return { event, r };
      return undefined;
    }, 15_000, 100);
  }
  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((r) => this.server.close(() => r()));
  }
}

/** Opens the SSE stream; `frames` fills with parsed `data:` payloads. */
function openSse(bmc: BmcProcess, query = ''): Promise<{ status: number; contentType: string; frames: { id: string; data: any }[]; close: () => void; body: string }> {
  return new Promise((resolve, reject) => {
    const frames: { id: string; data: any }[] = [];
    const req = request(
      {
        host: '127.0.0.1',
        port: bmc.httpsPort,
        path: `/redfish/v1/EventService/SSE${query}`,
        headers: { Authorization: `Basic ${Buffer.from(`admin:${ADMIN_PASSWORD}`).toString('base64')}`, Accept: 'text/event-stream' },
        rejectUnauthorized: false,
      },
      (res) => {
        let buf = '';
        const out = { status: res.statusCode ?? 0, contentType: String(res.headers['content-type']), frames, close: () => req.destroy(), body: '' };
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          buf += d;
          out.body += d;
          let i: number;
          while ((i = buf.indexOf('\n\n')) >= 0) {
            const block = buf.slice(0, i);
            buf = buf.slice(i + 2);
            const id = /^id: (.*)$/m.exec(block)?.[1];
            const data = /^data: (.*)$/m.exec(block)?.[1];
            if (id !== undefined && data !== undefined) frames.push({ id, data: JSON.parse(data) });
          }
        });
        resolve(out);
      },
    );
    req.on('error', (e) => (String(e).includes('socket hang up') ? undefined : reject(e)));
    req.end();
  });
}

describe('Redfish EventService against the real process', { timeout: 180_000 }, () => {
  let bmc: BmcProcess;
  const stateDir = mkdtempSync(join(tmpdir(), 'tsbmc-events-'));
  const collector = new Collector();
  let destination = '';
  let subscription = '';

  before(async () => {
    destination = await collector.listen();
    bmc = await startBmcProcess({ stateDir });
  });
  after(async () => {
    await bmc?.stop();
    await collector.close();
    rmSync(stateDir, { recursive: true, force: true });
  });

  async function ok(args: string[]): Promise<string> {
    const r = await ipmitool(bmc, args);
    assert.equal(r.code, 0, `ipmitool ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  }

  it('subscribes a listener (201, Location, headers never echoed)', async () => {
    const r = await redfish(bmc, 'POST', '/redfish/v1/EventService/Subscriptions', {
      body: { Destination: destination, Protocol: 'Redfish', Context: 'itest', HttpHeaders: [{ 'X-Collector-Key': 's3cret' }] },
    });
    assert.equal(r.status, 201, r.text);
    subscription = String(r.headers.location);
    assert.match(subscription, /^\/redfish\/v1\/EventService\/Subscriptions\/\d+$/);
    assert.ok(!r.text.includes('s3cret'));
  });

  it('ipmitool chassis power on/off → ResourcePoweredOn/Off events for the system', async () => {
    await ok(['chassis', 'power', 'on']);
    await collector.find((e) => e.MessageId === 'ResourceEvent.1.4.3.ResourcePoweredOn');
    await ok(['chassis', 'power', 'off']);
    const { event, r } = await collector.find((e) => e.MessageId === 'ResourceEvent.1.4.3.ResourcePoweredOff');
    assert.deepEqual(event.OriginOfCondition, { '@odata.id': '/redfish/v1/Systems/system' });
    assert.equal(r.body.Context, 'itest');
    assert.equal(r.headers['x-collector-key'], 's3cret');
    assert.match(String(r.headers['content-type']), /application\/json/);
  });

  it('ipmitool sel add → ResourceCreated for the new LogEntry', async () => {
    const file = join(stateDir, 'sel.txt');
    writeFileSync(file, '0x04 0x01 0x30 0x01 0x07 0x00 0x00 # 12V\n');
    await ok(['sel', 'add', file]);
    const { event } = await collector.find((e) => e.MessageId === 'ResourceEvent.1.4.3.ResourceCreated');
    const origin = event.OriginOfCondition?.['@odata.id'] ?? '';
    assert.match(origin, /^\/redfish\/v1\/Systems\/system\/LogServices\/EventLog\/Entries\/\d+$/);
    // regression: the origin once named a SEL log service that does not exist under the system
    assert.equal((await redfish(bmc, 'GET', origin)).status, 200);
  });

  it('ipmitool sensor thresh below the reading → SensorEvent ReadingAboveUpperCautionThreshold', async () => {
    await ok(['sensor', 'thresh', 'System Temp', 'unc', '1']);
    const { event } = await collector.find((e) => e.MessageId === 'SensorEvent.1.1.0.ReadingAboveUpperCautionThreshold');
    assert.equal(event.MessageArgs[0], 'System Temp');
    assert.match(event.OriginOfCondition?.['@odata.id'] ?? '', /^\/redfish\/v1\/Chassis\/chassis\/Sensors\//);
    await ok(['sensor', 'thresh', 'System Temp', 'unc', '80']);
    await collector.find((e) => e.MessageId === 'SensorEvent.1.1.0.SensorReadingNormalRange');
  });

  it('SubmitTestEvent reaches the subscription', async () => {
    const r = await redfish(bmc, 'POST', '/redfish/v1/EventService/Actions/EventService.SubmitTestEvent', {
      body: { MessageId: 'ResourceEvent.1.4.3.TestMessage', Message: 'hello from the test', MessageSeverity: 'Warning' },
    });
    assert.equal(r.status, 200, r.text);
    const { event } = await collector.find((e) => e.MessageId === 'ResourceEvent.1.4.3.TestMessage');
    assert.equal((event as unknown as { Message: string }).Message, 'hello from the test');
  });

  it('the SSE stream delivers events; $filter on MessageId filters; bad filters are 400', async () => {
    const all = await openSse(bmc);
    assert.equal(all.status, 200);
    assert.match(all.contentType, /^text\/event-stream/);
    const only = await openSse(bmc, `?$filter=${encodeURIComponent("MessageId eq 'ResourceEvent.1.4.3.ResourcePoweredOn'")}`);
    assert.equal(only.status, 200);
    await ok(['sel', 'add', join(stateDir, 'sel.txt')]);
    await ok(['chassis', 'power', 'on']);
    await waitFor(async () => (all.frames.some((f) => f.data.Events[0].MessageId === 'ResourceEvent.1.4.3.ResourcePoweredOn') ? true : undefined), 10_000, 100);
    await waitFor(async () => (only.frames.length > 0 ? true : undefined), 10_000, 100);
    assert.ok(all.frames.some((f) => f.data.Events[0].MessageId === 'ResourceEvent.1.4.3.ResourceCreated'));
    assert.ok(only.frames.every((f) => f.data.Events[0].MessageId === 'ResourceEvent.1.4.3.ResourcePoweredOn'), JSON.stringify(only.frames));
    assert.match(only.frames[0]!.id, /^\d+$/);
    assert.equal(only.frames[0]!.data['@odata.type'], '#Event.v1_13_0.Event');
    all.close();
    only.close();
    const bad = await redfish(bmc, 'GET', `/redfish/v1/EventService/SSE?$filter=${encodeURIComponent("Severity eq 'OK'")}`);
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error['@Message.ExtendedInfo'][0].MessageId, 'Base.1.22.1.QueryParameterValueFormatError');
    const noAuth = await redfish(bmc, 'GET', '/redfish/v1/EventService/SSE', { noAuth: true });
    assert.equal(noAuth.status, 401);
    await ok(['chassis', 'power', 'off']);
  });

  it('refuses ftp:// destinations and the SNMPv2c protocol with 400', async () => {
    const ftp = await redfish(bmc, 'POST', '/redfish/v1/EventService/Subscriptions', { body: { Destination: 'ftp://127.0.0.1/x', Protocol: 'Redfish' } });
    assert.equal(ftp.status, 400);
    assert.equal(ftp.body.error['@Message.ExtendedInfo'][0].MessageId, 'Base.1.22.1.PropertyValueNotInList');
    const snmp = await redfish(bmc, 'POST', '/redfish/v1/EventService/Subscriptions', { body: { Destination: 'http://127.0.0.1/x', Protocol: 'SNMPv2c' } });
    assert.equal(snmp.status, 400);
    assert.equal(snmp.body.error['@Message.ExtendedInfo'][0].MessageId, 'Base.1.22.1.PropertyValueNotInList');
  });

  it('a destination refusing connections is retried, then the subscription is suspended', async () => {
    const dead = createServer();
    await new Promise<void>((r) => dead.listen(0, '127.0.0.1', r));
    const a = dead.address();
    const port = typeof a === 'object' && a ? a.port : 0;
    await new Promise<void>((r) => dead.close(() => r()));
    assert.equal((await redfish(bmc, 'PATCH', '/redfish/v1/EventService', { body: { DeliveryRetryAttempts: 2, DeliveryRetryIntervalSeconds: 1 } })).status, 200);
    const s = await redfish(bmc, 'POST', '/redfish/v1/EventService/Subscriptions', {
      body: { Destination: `http://127.0.0.1:${port}/gone`, Protocol: 'Redfish', DeliveryRetryPolicy: 'SuspendRetries' },
    });
    assert.equal(s.status, 201);
    const path = String(s.headers.location);
    const t0 = Date.now();
    await redfish(bmc, 'POST', '/redfish/v1/EventService/Actions/EventService.SubmitTestEvent', { body: { MessageId: 'ResourceEvent.1.4.3.TestMessage' } });
    const state = await waitFor(async () => {
      const g = await redfish(bmc, 'GET', path);
      return g.body.Status.State === 'Disabled' ? g.body.Status : undefined;
    }, 15_000, 200);
    // three attempts: at once, after 1 s, after 2 s more
    assert.ok(Date.now() - t0 >= 2_500, `suspended after ${Date.now() - t0} ms`);
    assert.equal(state.Health, 'Warning');
    // the working subscription is unaffected
    const before = collector.received.length;
    await redfish(bmc, 'POST', '/redfish/v1/EventService/Actions/EventService.SubmitTestEvent', { body: { MessageId: 'ResourceEvent.1.4.3.TestMessage' } });
    await waitFor(async () => (collector.received.length > before ? true : undefined), 10_000, 100);
    assert.equal((await redfish(bmc, 'DELETE', path)).status, 204);
  });

  it('subscriptions survive a restart of tsbmc with the same state directory', async () => {
    await bmc.stop();
    bmc = await startBmcProcess({ stateDir });
    const g = await redfish(bmc, 'GET', subscription);
    assert.equal(g.status, 200, g.text);
    assert.equal(g.body.Destination, destination);
    assert.equal(g.body.Context, 'itest');
    assert.deepEqual(g.body.HttpHeaders, []);
    const es = await redfish(bmc, 'GET', '/redfish/v1/EventService');
    assert.equal(es.body.DeliveryRetryIntervalSeconds, 1);
    const before = collector.received.length;
    await redfish(bmc, 'POST', '/redfish/v1/EventService/Actions/EventService.SubmitTestEvent', { body: { MessageId: 'ResourceEvent.1.4.3.TestMessage', Message: 'after restart' } });
    const { r } = await collector.find((e) => (e as unknown as { Message: string }).Message === 'after restart');
    assert.equal(r.headers['x-collector-key'], 's3cret');
    assert.ok(collector.received.length > before);
    assert.equal((await redfish(bmc, 'DELETE', subscription)).status, 204);
  });
});
