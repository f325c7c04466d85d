// Unit tests of the Redfish request pipeline (router.ts, DSP0266 7-9):
// literal matching, authentication before lookup, 405 with Allow,
// privileges from the DMTF privilege registry, conditional requests
// (If-Match 412, If-None-Match 304) and the headers of every response.
// Driven in-process with test routes, independent of the resource modules.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { silentLogger } from '../log.js';
import { makeTestBmc } from '../model/testing.js';
import { Errors } from './messages.js';
import type { JsonObject, RedfishResponse, RouteDef } from './router.js';
import { etagOf, normalizePath } from './router.js';
import { RedfishService } from './server.js';

const basic = (user: string, password: string): string => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
const ADMIN = basic('admin', 'password');
const OPERATOR = basic('operator', 'operpass');

interface Thing {
  name: string;
  count: number;
}

function setup(): { bmc: ReturnType<typeof makeTestBmc>["bmc"]; service: RedfishService; things: Map<string, Thing>; call: (method: string, url: string, opts?: { auth?: string | null; body?: string; headers?: Record<string, string> }) => Promise<RedfishResponse & { json: JsonObject }> } {
  const { bmc } = makeTestBmc();
  const things = new Map<string, Thing>([
    ['a', { name: 'Alpha', count: 1 }],
    ['ab', { name: 'AlphaBeta', count: 2 }],
  ]);
  const routes: RouteDef[] = [
    {
      path: '/redfish/v1/Systems',
      entity: 'ComputerSystemCollection',
      get: () => ({
        '@odata.id': '/redfish/v1/Systems',
        '@odata.type': '#ComputerSystemCollection.ComputerSystemCollection',
        Name: 'Things',
        'Members@odata.count': things.size,
        Members: [...things.keys()].map((k) => ({ '@odata.id': `/redfish/v1/Systems/${k}` })),
      }),
    },
    {
      path: '/redfish/v1/Systems/{SystemId}',
      entity: 'ComputerSystem',
      get: (ctx) => {
        const t = things.get(ctx.params.SystemId ?? '');
        if (!t) throw Errors.notFound('ComputerSystem', ctx.params.SystemId ?? '');
        return { '@odata.id': ctx.path, '@odata.type': '#ComputerSystem.v1_27_0.ComputerSystem', Id: ctx.params.SystemId ?? '', Name: t.name, Count: t.count };
      },
      patch: (ctx) => {
        const t = things.get(ctx.params.SystemId ?? '');
        if (!t) throw Errors.notFound('ComputerSystem', ctx.params.SystemId ?? '');
        const b = ctx.body as { Count?: number };
        if (typeof b.Count === 'number') t.count = b.Count;
        return {};
      },
    },
    {
      path: '/redfish/v1/Managers/{ManagerId}',
      entity: 'Manager',
      get: (ctx) => ({ '@odata.id': ctx.path, '@odata.type': '#Manager.v1_24_0.Manager', Id: ctx.params.ManagerId ?? '', Name: 'Manager' }),
      patch: () => ({}),
    },
    {
      path: '/redfish/v1/Managers/{ManagerId}/Actions/Manager.Reset',
      entity: 'Manager',
      post: () => ({ status: 204 }),
    },
    {
      path: '/redfish/v1/Chassis/{ChassisId}',
      entity: 'Chassis',
      get: () => {
        throw new Error('boom');
      },
    },
  ];
  const service = new RedfishService({ bmc, log: silentLogger, routes });
  const call = async (method: string, url: string, opts: { auth?: string | null; body?: string; headers?: Record<string, string> } = {}) => {
    const headers: Record<string, string> = { ...(opts.headers ?? {}) };
    const auth = opts.auth === undefined ? ADMIN : opts.auth;
    if (auth !== null) headers.authorization = auth;
    const res = await service.router.handle({ method, url, headers, ...(opts.body !== undefined ? { body: opts.body } : {}), clientAddress: '127.0.0.1' });
    return { ...res, json: (res.body ?? {}) as JsonObject };
  };
  return { service, things, call, bmc };
}

function messageId(res: { json: JsonObject }): string | undefined {
  const err = res.json.error as { '@Message.ExtendedInfo'?: { MessageId: string }[] } | undefined;
  return err?.['@Message.ExtendedInfo']?.[0]?.MessageId;
}

describe('router: matching', () => {
  it('matches literal segments and binds {Param}s', async () => {
    const { call } = setup();
    const r = await call('GET', '/redfish/v1/Systems/a');
    assert.equal(r.status, 200);
    assert.equal(r.json.Name, 'Alpha');
  });

  it('never matches by prefix', async () => {
    const { call } = setup();
    for (const url of ['/redfish/v1/Systems/a/extra', '/redfish/v1/Systemsx', '/redfish/v1/Sys', '/redfish/v1/Systems/a/b/c', '/redfish/v1x']) {
      const r = await call('GET', url);
      assert.equal(r.status, 404, url);
      assert.equal(messageId(r), 'Base.1.22.1.ResourceNotFound', url);
    }
    // an id that is a prefix of another is its own resource, not a match of the longer one
    assert.equal((await call('GET', '/redfish/v1/Systems/ab')).json.Name, 'AlphaBeta');
    assert.equal((await call('GET', '/redfish/v1/Systems/abc')).status, 404);
  });

  it('treats a trailing slash as the same resource', async () => {
    const { call } = setup();
    assert.equal(normalizePath('/redfish/v1/'), '/redfish/v1');
    assert.equal(normalizePath('/'), '/');
    const a = await call('GET', '/redfish/v1/Systems/');
    const b = await call('GET', '/redfish/v1/Systems');
    assert.equal(a.status, 200);
    assert.deepEqual(a.body, b.body);
    assert.equal((await call('GET', '/redfish/v1/')).status, 200);
  });

  it('an empty {Param} segment does not match', async () => {
    const { call } = setup();
    assert.equal((await call('GET', '/redfish/v1/Managers//Actions/Manager.Reset')).status, 404);
  });

  it('a percent-encoded id is decoded; a malformed escape is a 404, not a 500', async () => {
    const { call } = setup();
    assert.equal((await call('GET', '/redfish/v1/Systems/%61')).json.Name, 'Alpha');
    const r = await call('GET', '/redfish/v1/Systems/%zz');
    assert.equal(r.status, 404);
  });

  it('an unknown id is 404 ResourceNotFound from the handler', async () => {
    const { call } = setup();
    const r = await call('GET', '/redfish/v1/Systems/nope');
    assert.equal(r.status, 404);
    assert.equal(messageId(r), 'Base.1.22.1.ResourceNotFound');
    assert.deepEqual((r.json.error as { '@Message.ExtendedInfo': { MessageArgs: string[] }[] })['@Message.ExtendedInfo'][0]?.MessageArgs, ['ComputerSystem', 'nope']);
  });

  it('a handler that throws a plain error answers 500 InternalError with the common headers', async () => {
    const { call } = setup();
    const r = await call('GET', '/redfish/v1/Chassis/x');
    assert.equal(r.status, 500);
    assert.equal(messageId(r), 'Base.1.22.1.InternalError');
    assert.equal(r.headers['OData-Version'], '4.0');
  });
});

describe('router: authentication and privileges', () => {
  it('401 before 404: an unauthenticated request learns nothing about which paths exist', async () => {
    const { call } = setup();
    for (const url of ['/redfish/v1/Systems/a', '/redfish/v1/NoSuchThing', '/redfish/v1/Systems/nope']) {
      const r = await call('GET', url, { auth: null });
      assert.equal(r.status, 401, url);
      assert.equal(messageId(r), 'Base.1.22.1.NoValidSession');
      assert.match(r.headers['WWW-Authenticate'] ?? '', /^Basic realm=/);
    }
  });

  it('the service root, /redfish and /redfish/v1/odata need no authentication', async () => {
    const { call } = setup();
    for (const url of ['/redfish', '/redfish/v1', '/redfish/v1/', '/redfish/v1/odata']) assert.equal((await call('GET', url, { auth: null })).status, 200, url);
  });

  it('wrong passwords, unknown users, bad tokens and malformed Basic headers are 401', async () => {
    const { call } = setup();
    for (const auth of [basic('admin', 'wrong'), basic('nobody', 'x'), 'Basic !!!!', 'Basic ' + Buffer.from('nocolon').toString('base64'), 'Bearer abc']) {
      assert.equal((await call('GET', '/redfish/v1/Systems', { auth })).status, 401, auth);
    }
    assert.equal((await call('GET', '/redfish/v1/Systems', { auth: null, headers: { 'x-auth-token': 'not-a-token' } })).status, 401);
  });

  it('a session token authenticates', async () => {
    const { service, call } = setup();
    const login = await service.router.handle({
      method: 'POST',
      url: '/redfish/v1/SessionService/Sessions',
      headers: {},
      body: JSON.stringify({ UserName: 'operator', Password: 'operpass' }),
      clientAddress: '127.0.0.1',
    });
    assert.equal(login.status, 201);
    const token = login.headers['X-Auth-Token'];
    assert.ok(token);
    assert.equal((await call('GET', '/redfish/v1/Systems/a', { auth: null, headers: { 'x-auth-token': token } })).status, 200);
  });

  it('privileges come from the registry: Operator may PATCH a ComputerSystem but not a Manager', async () => {
    const { call, things } = setup();
    const ok = await call('PATCH', '/redfish/v1/Systems/a', { auth: OPERATOR, body: '{"Count":5}' });
    assert.equal(ok.status, 204);
    assert.equal(things.get('a')?.count, 5);
    const denied = await call('PATCH', '/redfish/v1/Managers/bmc', { auth: OPERATOR, body: '{"X":1}' });
    assert.equal(denied.status, 403);
    assert.equal(messageId(denied), 'Base.1.22.1.InsufficientPrivilege');
    assert.equal((await call('POST', '/redfish/v1/Managers/bmc/Actions/Manager.Reset', { auth: OPERATOR, body: '{}' })).status, 403);
    assert.equal((await call('POST', '/redfish/v1/Managers/bmc/Actions/Manager.Reset', { body: '{}' })).status, 204);
    assert.equal((await call('GET', '/redfish/v1/Managers/bmc', { auth: OPERATOR })).status, 200);
  });

  it('refuses a route whose entity is not in the registry', () => {
    const { service } = setup();
    assert.throws(() => service.router.add({ path: '/redfish/v1/X', entity: 'NoSuchEntity', get: () => ({}) }), /privilege registry/);
    assert.throws(() => service.router.add({ path: '/redfish/v1/Systems', entity: 'ComputerSystemCollection', get: () => ({}) }), /duplicate/);
  });
});

describe('router: methods', () => {
  it('405 OperationNotAllowed with Allow for a method the resource does not support', async () => {
    const { call } = setup();
    for (const method of ['DELETE', 'POST', 'PUT', 'OPTIONS']) {
      const r = await call(method, '/redfish/v1/Systems/a', { body: '{}' });
      assert.equal(r.status, 405, method);
      assert.equal(r.headers.Allow, 'GET, HEAD, PATCH');
      assert.equal(messageId(r), 'Base.1.22.1.OperationNotAllowed');
    }
    const get = await call('GET', '/redfish/v1/Managers/bmc/Actions/Manager.Reset');
    assert.equal(get.status, 405);
    assert.equal(get.headers.Allow, 'POST');
  });

  it('GET answers carry Allow, ETag, OData-Version, Cache-Control and Link rel=describedby', async () => {
    const { call } = setup();
    const r = await call('GET', '/redfish/v1/Systems/a');
    assert.equal(r.headers['OData-Version'], '4.0');
    assert.equal(r.headers['Cache-Control'], 'no-cache');
    assert.equal(r.headers.Allow, 'GET, HEAD, PATCH');
    assert.match(r.headers.ETag ?? '', /^W\/"[\w-]+"$/);
    assert.equal(r.headers.Link, '<https://redfish.dmtf.org/schemas/v1/ComputerSystem.v1_27_0.json>; rel=describedby');
    const c = await call('GET', '/redfish/v1/Systems');
    assert.equal(c.headers.Link, '<https://redfish.dmtf.org/schemas/v1/ComputerSystemCollection.json>; rel=describedby');
    assert.equal(c.headers.Allow, 'GET, HEAD');
  });

  it('HEAD is GET without a body at the HTTP layer (same status and headers here)', async () => {
    const { call } = setup();
    const h = await call('HEAD', '/redfish/v1/Systems/a');
    const g = await call('GET', '/redfish/v1/Systems/a');
    assert.equal(h.status, 200);
    assert.equal(h.headers.ETag, g.headers.ETag);
  });

  it('malformed JSON is 400 MalformedJSON', async () => {
    const { call } = setup();
    const r = await call('PATCH', '/redfish/v1/Systems/a', { body: '{"Count":' });
    assert.equal(r.status, 400);
    assert.equal(messageId(r), 'Base.1.22.1.MalformedJSON');
  });

  it('query options are ignored on writes', async () => {
    const { call } = setup();
    assert.equal((await call('PATCH', '/redfish/v1/Systems/a?$expand=.', { body: '{"Count":3}' })).status, 204);
  });
});

describe('router: ETag and conditional requests', () => {
  it('the ETag is stable while the resource is unchanged and changes with it', async () => {
    const { call, things, bmc } = setup();
    const a = (await call('GET', '/redfish/v1/Systems/a')).headers.ETag;
    const b = (await call('GET', '/redfish/v1/Systems/a')).headers.ETag;
    assert.equal(a, b);
    things.get('a')!.count = 99;
    // resources change through the model, which announces every change; the
    // router's render cache relies on that
    bmc.events.emit({ type: 'bmc', what: 'test change' });
    assert.notEqual((await call('GET', '/redfish/v1/Systems/a')).headers.ETag, a);
    assert.equal(etagOf({ x: 1 }), etagOf({ x: 1 }));
    assert.notEqual(etagOf({ x: 1 }), etagOf({ x: 2 }));
  });

  it('a cached answer: its bytes are the UTF-8 of its text, its headers frozen and shared; a write renders anew', async () => {
    const { call } = setup();
    const a = await call('GET', '/redfish/v1/Systems/a');
    const b = await call('GET', '/redfish/v1/Systems/a');
    assert.ok(a.bytes && a.text !== undefined);
    assert.deepEqual(a.bytes, Buffer.from(a.text, 'utf8'));
    assert.equal(JSON.stringify(JSON.parse(a.text)), JSON.stringify(a.json));
    assert.ok(Object.isFrozen(a.headers), 'shared headers cannot be changed by one answer');
    assert.equal(a.headers, b.headers, 'one header object per cache entry');
    assert.equal(a.bytes, b.bytes);
    const other = await call('GET', '/redfish/v1/Systems/ab');
    assert.notEqual(other.headers, a.headers);
    assert.equal((await call('PATCH', '/redfish/v1/Systems/a', { body: '{"Count": 9}' })).status, 204);
    const c = await call('GET', '/redfish/v1/Systems/a');
    assert.equal(c.json.Count, 9);
    assert.notEqual(c.headers.ETag, a.headers.ETag);
    assert.deepEqual(c.bytes, Buffer.from(c.text ?? '', 'utf8'));
  });

  it('If-None-Match with the current ETag is 304 without a body; with another, 200', async () => {
    const { call } = setup();
    const etag = (await call('GET', '/redfish/v1/Systems/a')).headers.ETag!;
    const r = await call('GET', '/redfish/v1/Systems/a', { headers: { 'if-none-match': etag } });
    assert.equal(r.status, 304);
    assert.equal(r.body, undefined);
    assert.equal(r.headers.ETag, etag);
    assert.equal((await call('GET', '/redfish/v1/Systems/a', { headers: { 'if-none-match': 'W/"other", ' + etag } })).status, 304);
    assert.equal((await call('GET', '/redfish/v1/Systems/a', { headers: { 'if-none-match': 'W/"other"' } })).status, 200);
  });

  it('If-Match with a stale ETag is 412 PreconditionFailed and changes nothing', async () => {
    const { call, things } = setup();
    const etag = (await call('GET', '/redfish/v1/Systems/a')).headers.ETag!;
    things.get('a')!.count = 7;
    const r = await call('PATCH', '/redfish/v1/Systems/a', { body: '{"Count":8}', headers: { 'if-match': etag } });
    assert.equal(r.status, 412);
    assert.equal(messageId(r), 'Base.1.22.1.PreconditionFailed');
    assert.equal(things.get('a')?.count, 7);
  });

  it('If-Match with the current ETag, or *, lets the write through', async () => {
    const { call, things } = setup();
    const etag = (await call('GET', '/redfish/v1/Systems/a')).headers.ETag!;
    assert.equal((await call('PATCH', '/redfish/v1/Systems/a', { body: '{"Count":8}', headers: { 'if-match': etag } })).status, 204);
    assert.equal(things.get('a')?.count, 8);
    assert.equal((await call('PATCH', '/redfish/v1/Systems/a', { body: '{"Count":9}', headers: { 'if-match': '*' } })).status, 204);
    assert.equal(things.get('a')?.count, 9);
  });
});

describe('route precedence', () => {
  it('a literal segment wins over a parameter, whatever the registration order', async () => {
    const { bmc } = makeTestBmc();
    const service = new RedfishService({
      bmc,
      log: silentLogger,
      routes: [
        { path: '/redfish/v1/Registries/{RegistryId}', entity: 'MessageRegistryFile', get: (ctx) => ({ '@odata.id': ctx.path, Id: `param ${ctx.params.RegistryId ?? ''}` }) },
        { path: '/redfish/v1/Registries/Special', entity: 'MessageRegistryFile', get: (ctx) => ({ '@odata.id': ctx.path, Id: 'literal' }) },
      ],
    });
    const get = async (url: string): Promise<unknown> =>
      (await service.router.handle({ method: 'GET', url, headers: { authorization: `Basic ${Buffer.from('admin:password').toString('base64')}` }, clientAddress: '127.0.0.1' })).body;
    assert.equal((await get('/redfish/v1/Registries/Special') as { Id: string }).Id, 'literal');
    assert.equal((await get('/redfish/v1/Registries/Base') as { Id: string }).Id, 'param Base');
  });
});
