// The WebSocket streams against the real tsbmc process with a real
// WebSocket client (ws): sensors see an IPMI power change, the console
// logs in to the simulated host and echoes, a ReadOnly user may watch but
// not type, no token is 4401, /ws/events sees an `ipmitool sel add`, and
// /openapi.json describes the endpoints.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { WebSocket } from 'ws';
import { ipmitool, redfish, startBmcProcess, type BmcProcess } from './helpers/bmc-process.js';

let bmc: BmcProcess;
let token: string;

before(async () => {
  bmc = await startBmcProcess();
  token = await login('admin', 'Adm1nPassw0rd');
});

after(async () => {
  await bmc?.stop();
});

async function login(user: string, password: string): Promise<string> {
  const r = await redfish(bmc, 'POST', '/redfish/v1/SessionService/Sessions', { noAuth: true, body: { UserName: user, Password: password } });
  assert.equal(r.status, 201, r.text);
  return String(r.headers['x-auth-token']);
}

type Msg = { type: string; [k: string]: unknown };

/** A client that collects what it receives: JSON text messages and console bytes. */
class Client {
  readonly ws: WebSocket;
  readonly messages: Msg[] = [];
  bytes = Buffer.alloc(0);
  closed: { code: number; reason: string } | undefined;
  readonly opened: Promise<void>;
  readonly done: Promise<{ code: number; reason: string }>;

  constructor(path: string, opts: { token?: string; protocols?: string[]; headers?: Record<string, string> } = {}) {
    const headers: Record<string, string> = { ...(opts.token ? { 'X-Auth-Token': opts.token } : {}), ...opts.headers };
    this.ws = new WebSocket(`wss://127.0.0.1:${bmc.httpsPort}${path}`, opts.protocols ?? [], { headers, rejectUnauthorized: false });
    this.ws.on('message', (data: Buffer, binary: boolean) => {
      if (binary) this.bytes = Buffer.concat([this.bytes, data]);
      else this.messages.push(JSON.parse(data.toString('utf8')) as Msg);
    });
    this.opened = new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('error', reject);
    });
    this.done = new Promise((resolve) => this.ws.once('close', (code, reason) => resolve((this.closed = { code, reason: reason.toString() }))));
  }

  async waitFor<T>(fn: () => T | undefined, what: string, ms = 15_000): Promise<T> {
    const end = Date.now() + ms;
    for (;;) {
      const v = fn();
      if (v !== undefined && v !== false) return v;
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}; got ${JSON.stringify(this.messages).slice(-1500)} / ${this.text().slice(-500)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  message(pred: (m: Msg) => boolean, what: string): Promise<Msg> {
    return this.waitFor(() => this.messages.find(pred), what);
  }

  text(): string {
    return this.bytes.toString('utf8');
  }

  close(): void {
    this.ws.close();
  }
}

test('no token, a bad token, Basic credentials: 4401 after the upgrade', async () => {
  const basic = { Authorization: `Basic ${Buffer.from('admin:Adm1nPassw0rd').toString('base64')}` };
  for (const opts of [{}, { token: 'not-a-session' }, { headers: basic }, { protocols: ['tsbmc.v1', 'x-auth-token.nope'] }]) {
    const c = new Client('/ws/sensors', opts);
    await c.opened;
    assert.equal((await c.done).code, 4401);
  }
});

test('a plain GET on a stream endpoint is 426 Upgrade Required', async () => {
  const r = await redfish(bmc, 'GET', '/ws/sensors', { token });
  assert.equal(r.status, 426);
});

test('/ws/sensors: snapshot, then an IPMI power-on arrives with readings', async () => {
  await ipmitool(bmc, ['chassis', 'power', 'off']);
  const c = new Client('/ws/sensors?host=0', { token });
  await c.opened;
  const snap = await c.message((m) => m.type === 'snapshot', 'snapshot');
  assert.equal(snap.system, '/redfish/v1/Systems/system');
  assert.ok(Array.isArray(snap.sensors) && snap.sensors.length > 0);
  const r = await ipmitool(bmc, ['chassis', 'power', 'on']);
  assert.equal(r.code, 0, r.stderr);
  const p = await c.message((m) => m.type === 'power' && m.state === 'On', 'power On');
  assert.equal(typeof p.cause, 'string');
  const readings = await c.message((m) => m.type === 'readings', 'readings');
  const first = (readings.readings as { id: string; value: unknown }[])[0]!;
  assert.equal(typeof first.id, 'string');
  // at most one value per sensor in a batch
  const ids = (readings.readings as { id: string }[]).map((x) => x.id);
  assert.equal(new Set(ids).size, ids.length);
  c.close();
});

test('/ws/sensors: unknown host is 4404; the browser subprotocol carries the token', async () => {
  const bad = new Client('/ws/sensors?host=7', { token });
  await bad.opened;
  assert.equal((await bad.done).code, 4404);
  const c = new Client('/ws/sensors', { protocols: ['tsbmc.v1', `x-auth-token.${token}`] });
  await c.opened;
  assert.equal(c.ws.protocol, 'tsbmc.v1');
  await c.message((m) => m.type === 'snapshot', 'snapshot');
  c.close();
});

test('/ws/events: an ipmitool sel add arrives as a Redfish event', async () => {
  const c = new Client(`/ws/events?$filter=${encodeURIComponent("MessageId eq 'ResourceEvent.ResourceCreated'")}`, { token });
  await c.opened;
  await c.message((m) => m.type === 'ready', 'ready');
  const file = `${bmc.stateDir}/ws-events.txt`;
  writeFileSync(file, '0x04 0x01 0x30 0x01 0x07 0x00 0x00\n');
  const r = await ipmitool(bmc, ['sel', 'add', file]);
  assert.equal(r.code, 0, r.stderr);
  const ev = await c.message((m) => m.type === 'event', 'event');
  const rec = ev.event as { MessageId: string; OriginOfCondition: { '@odata.id': string } };
  assert.match(rec.MessageId, /^ResourceEvent\.\d+\.\d+\.\d+\.ResourceCreated$/);
  assert.match(rec.OriginOfCondition['@odata.id'], /\/LogServices\/EventLog\/Entries\/\d+$/);
  c.close();
});

test('/ws/console: history, login as root, echo hello; resume with since', async () => {
  const power = await redfish(bmc, 'GET', '/redfish/v1/Systems/system', { token });
  if (power.body.PowerState !== 'On') await ipmitool(bmc, ['chassis', 'power', 'on']);
  const c = new Client('/ws/console?host=0', { token });
  await c.opened;
  const ready = await c.message((m) => m.type === 'ready', 'ready');
  assert.equal(ready.input, true);
  // the history (the boot log so far) and then the login prompt
  await c.waitFor(() => /login: $/.test(c.text()), 'login prompt', 30_000);
  c.ws.send(Buffer.from('root\r'), { binary: true });
  await c.waitFor(() => c.text().endsWith('Password: '), 'password prompt');
  c.ws.send(JSON.stringify({ type: 'input', data: 'tsbmc\r' }));
  await c.waitFor(() => /# $/.test(c.text()), 'shell prompt');
  c.ws.send(Buffer.from('echo hello\r'), { binary: true });
  await c.waitFor(() => /echo hello\r?\n(\r)?hello\r?\n/.test(c.text()), 'hello');

  // resume: the bytes after a known offset, exactly
  const offset = Number(ready.offset) + c.bytes.length - 20;
  const tail = c.bytes.subarray(c.bytes.length - 20);
  const r = new Client(`/ws/console?since=${offset}`, { token });
  await r.opened;
  const rr = await r.message((m) => m.type === 'ready', 'ready');
  assert.equal(rr.offset, offset);
  assert.equal(rr.lost, 0);
  await r.waitFor(() => r.bytes.length >= 20, 'resumed bytes');
  assert.deepEqual(r.bytes.subarray(0, 20), tail);
  r.close();
  c.close();
});

test('/ws/console: a ReadOnly user watches but cannot type', async () => {
  const created = await redfish(bmc, 'POST', '/redfish/v1/AccountService/Accounts', { body: { UserName: 'watcher', Password: 'Watch3rpassword', RoleId: 'ReadOnly' } });
  assert.equal(created.status, 201, created.text);
  const ro = await login('watcher', 'Watch3rpassword');
  const c = new Client('/ws/console', { token: ro });
  await c.opened;
  const ready = await c.message((m) => m.type === 'ready', 'ready');
  assert.equal(ready.input, false);
  const before = c.bytes.length;
  c.ws.send(Buffer.from('reboot\r'), { binary: true });
  const err = await c.message((m) => m.type === 'error', 'refusal');
  assert.equal(err.error, 'InsufficientPrivilege');
  await new Promise((r) => setTimeout(r, 300));
  assert.ok(!c.text().slice(before).includes('reboot'), 'nothing was echoed');
  c.close();
});

test('logging out closes the session\'s streams with 4401', async () => {
  const login2 = await redfish(bmc, 'POST', '/redfish/v1/SessionService/Sessions', { noAuth: true, body: { UserName: 'admin', Password: 'Adm1nPassw0rd' } });
  const t = String(login2.headers['x-auth-token']);
  const session = String(login2.headers.location);
  const c = new Client('/ws/events', { token: t });
  await c.opened;
  await c.message((m) => m.type === 'ready', 'ready');
  const del = await redfish(bmc, 'DELETE', session, { token: t });
  assert.equal(del.status, 204);
  const closed = await Promise.race([c.done, new Promise<undefined>((r) => setTimeout(() => r(undefined), 5000))]);
  assert.equal(closed?.code, 4401);
});

test('/ws/console: at most 4 per host (4429)', async () => {
  const open = await Promise.all([0, 1, 2, 3].map(async () => {
    const c = new Client('/ws/console', { token });
    await c.opened;
    await c.message((m) => m.type === 'ready', 'ready');
    return c;
  }));
  const fifth = new Client('/ws/console', { token });
  await fifth.opened;
  assert.equal((await fifth.done).code, 4429);
  for (const c of open) c.close();
  await Promise.all(open.map((c) => c.done));
});

test('/openapi.json describes the endpoints; /openapi renders them', async () => {
  const r = await redfish(bmc, 'GET', '/openapi.json', { noAuth: true });
  assert.equal(r.status, 200);
  const doc = JSON.parse(r.text) as { openapi: string; paths: Record<string, unknown> };
  assert.equal(doc.openapi, '3.1.0');
  for (const p of ['/ws/sensors', '/ws/events', '/ws/console', '/openapi.json', '/openapi']) assert.ok(p in doc.paths, p);
  const html = await redfish(bmc, 'GET', '/openapi', { noAuth: true, headers: { Accept: 'text/html' } });
  assert.equal(html.status, 200);
  assert.match(html.text, /<code>\/ws\/console<\/code>/);
  assert.doesNotMatch(html.text, /<script/i);
});
