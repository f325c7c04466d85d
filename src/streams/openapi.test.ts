// The OpenAPI document covers every non-Redfish route the HTTPS app has, and
// nothing else; the page renders it without script; the stream endpoints
// answer a plain GET with 426 and refuse a WebSocket without a session (4401).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import Fastify from 'fastify';
import { WebSocket } from 'ws';
import { silentLogger } from '../log.js';
import { MemoryPersistence } from '../model/persist.js';
import { makeTestBmc } from '../model/testing.js';
import { EventService } from '../redfish/events.js';
import { RedfishService } from '../redfish/server.js';
import { defaultStreams, StreamHub } from './index.js';
import { openApiDocument, openApiHtml } from './openapi.js';

async function app() {
  const { bmc, clock } = makeTestBmc();
  const service = new RedfishService({ bmc, log: silentLogger });
  const events = new EventService({ bmc, persist: new MemoryPersistence() });
  const hub = new StreamHub({ bmc, sessions: service.sessions, streams: defaultStreams(events), log: silentLogger });
  const a = Fastify();
  const routes: { method: string; url: string }[] = [];
  a.addHook('onRoute', (r) => {
    for (const m of [r.method].flat()) routes.push({ method: m, url: r.url });
  });
  service.register(a);
  hub.register(a);
  await a.ready();
  return { a, routes, service, hub, bmc, clock };
}

test('every non-Redfish route is documented, and every documented path exists', async () => {
  const { a, routes } = await app();
  const doc = openApiDocument() as { paths: Record<string, Record<string, unknown>> };
  const nonRedfish = routes.filter((r) => r.url !== '/redfish' && !r.url.startsWith('/redfish/') && r.method !== 'HEAD');
  const served = new Set(nonRedfish.map((r) => `${r.method} ${r.url}`));
  const documented = new Set(Object.entries(doc.paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`)));
  assert.deepEqual([...served].sort(), [...documented].sort());
  await a.close();
});

test('the document is OpenAPI 3.1 JSON; the page escapes and has no script', async () => {
  const { a } = await app();
  const r = await a.inject({ method: 'GET', url: '/openapi.json' });
  assert.equal(r.statusCode, 200);
  assert.match(String(r.headers['content-type']), /^application\/json/);
  const doc = JSON.parse(r.body) as { openapi: string; paths: Record<string, { get: { responses: Record<string, unknown> } }> };
  assert.equal(doc.openapi, '3.1.0');
  assert.ok(doc.paths['/ws/console']!.get.responses['101']);
  const page = await a.inject({ method: 'GET', url: '/openapi' });
  assert.equal(page.statusCode, 200);
  assert.match(String(page.headers['content-security-policy']), /default-src 'none'/);
  assert.doesNotMatch(page.body, /<script/i);
  assert.match(page.body, /\/ws\/sensors/);
  const html = openApiHtml({ info: { title: '<script>x</script>' }, paths: { '/a"b': { get: { summary: '<b>' } } } });
  assert.doesNotMatch(html, /<script>/);
  assert.match(html, /<b>&#60;b&#62;<\/b>/);
  assert.match(html, /&#60;script&#62;/);
  await a.close();
});

async function connect(a: Awaited<ReturnType<typeof app>>['a'], path: string, headers: Record<string, string> = {}, onMessage?: (d: string) => void): Promise<WebSocket> {
  const addr = await a.listen({ host: '127.0.0.1', port: 0 });
  const ws = new WebSocket(addr.replace(/^http/, 'ws') + path, { headers });
  if (onMessage) ws.on('message', (d: Buffer) => onMessage(d.toString()));
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  return ws;
}

test('a plain GET on a stream is 426; an upgrade without a session closes with 4401', async () => {
  const { a } = await app();
  const r = await a.inject({ method: 'GET', url: '/ws/events' });
  assert.equal(r.statusCode, 426);
  assert.equal(r.headers.upgrade, 'websocket');
  const ws = await connect(a, '/ws/events');
  const code = await new Promise<number>((resolve) => ws.once('close', (c: number) => resolve(c)));
  assert.equal(code, 4401);
  await a.close();
});

test('a session that ends closes its streams at the next sweep', async () => {
  const { a, service, hub, clock } = await app();
  const s = service.sessions.create(2, 'admin', '127.0.0.1')!;
  const pending: ((s: string) => void)[] = [];
  const first = new Promise<string>((resolve) => pending.push(resolve));
  const ws = await connect(a, '/ws/sensors', { 'x-auth-token': s.token }, (d) => pending.shift()?.(d));
  assert.equal((JSON.parse(await first) as { type: string }).type, 'snapshot');
  assert.equal(hub.size, 1);
  const closed = new Promise<number>((resolve) => ws.once('close', (c: number) => resolve(c)));
  service.sessions.delete(s.id);
  clock.advance(1000);
  assert.equal(await closed, 4401);
  assert.equal(hub.size, 0);
  await a.close();
});

test('an Upgrade request to an ordinary route gets its answer and the socket is ended', async () => {
  const { a } = await app();
  const addr = new URL(await a.listen({ host: '127.0.0.1', port: 0 }));
  const { connect: tcp } = await import('node:net');
  for (const path of ['/openapi.json', '/redfish/v1', '/nowhere']) {
    const s = tcp(Number(addr.port), '127.0.0.1');
    let out = '';
    s.on('data', (d: Buffer) => (out += d.toString()));
    s.write(`GET ${path} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`);
    await new Promise((resolve) => s.once('close', resolve));
    assert.match(out, /^HTTP\/1\.1 (200|404) /, path);
  }
  await a.close();
});

test('the KVM stream is documented: ConfigureComponents, binary RFB both ways, its own close codes', () => {
  const doc = openApiDocument() as { paths: Record<string, { get: { 'x-websocket': { privilege: string; closeCodes: Record<string, string>; messages: Record<string, { contentMediaType?: string }> } } }> };
  const ws = doc.paths['/ws/kvm']!.get['x-websocket'];
  assert.equal(ws.privilege, 'ConfigureComponents');
  assert.match(ws.closeCodes['4503']!, /no display/);
  assert.match(ws.closeCodes['1003']!, /text message/);
  assert.ok(ws.closeCodes['4401'] && ws.closeCodes['4403'] && ws.closeCodes['4429']);
  assert.equal(ws.messages.serverToClient!.contentMediaType, 'application/octet-stream');
  assert.equal(ws.messages.clientToServer!.contentMediaType, 'application/octet-stream');
  // the other streams keep the general meaning of 4503
  assert.match(doc.paths['/ws/console']!.get['x-websocket'].closeCodes['4503']!, /Internal error/);
});
