// Redfish protocol conformance of the real tsbmc process (DSP0266 1.21):
// response headers, 405 with Allow, OData query options ($expand with
// $levels, $select, $top/$skip, only, 501 for $filter), the HTTP to HTTPS
// redirect, keep-alive, body limits (413 PayloadTooLarge), malformed JSON
// (400 MalformedJSON), $metadata and the OData service document.
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { Agent, request } from 'node:https';
import { after, before, describe, it } from 'node:test';
import { ADMIN_PASSWORD, redfish, startBmcProcess, type BmcProcess } from './helpers/bmc-process.js';
import { walkTree, type JsonBody } from './helpers/redfish-schemas.js';

type Res = Awaited<ReturnType<typeof redfish>>;

function messageIds(r: Res): string[] {
  const info = (r.body?.error?.['@Message.ExtendedInfo'] ?? []) as { MessageId: string }[];
  return info.map((m) => m.MessageId.replace(/^Base\.\d+\.\d+\.\d+\./, 'Base.'));
}

function h(r: Res, name: string): string | undefined {
  const v = r.headers[name.toLowerCase()];
  return Array.isArray(v) ? v.join(', ') : v;
}

describe('Redfish protocol (real process)', { timeout: 120_000 }, () => {
  let bmc: BmcProcess;
  let token: string;
  const get = (path: string, headers: Record<string, string> = {}) => redfish(bmc, 'GET', path, { token, headers });

  before(async () => {
    bmc = await startBmcProcess();
    const login = await redfish(bmc, 'POST', '/redfish/v1/SessionService/Sessions', { noAuth: true, body: { UserName: 'admin', Password: ADMIN_PASSWORD } });
    assert.equal(login.status, 201, login.text);
    token = String(login.headers['x-auth-token']);
  });

  after(async () => {
    await bmc?.stop();
  });

  describe('headers', () => {
    it('a GET carries OData-Version, Cache-Control, ETag, Allow, Link rel=describedby and a JSON Content-Type', async () => {
      for (const path of ['/redfish/v1', '/redfish/v1/Systems', '/redfish/v1/Systems/system', '/redfish/v1/SessionService']) {
        const r = await get(path);
        assert.equal(r.status, 200, path);
        assert.equal(h(r, 'OData-Version'), '4.0', path);
        assert.equal(h(r, 'Cache-Control'), 'no-cache', path);
        assert.match(h(r, 'ETag') ?? '', /^W\/"[^"]+"$/, path);
        assert.match(h(r, 'Allow') ?? '', /^GET, HEAD/, path);
        assert.match(h(r, 'Content-Type') ?? '', /^application\/json; charset=utf-8$/, path);
        const type = String(r.body['@odata.type']);
        const file = type.replace(/^#([A-Za-z]+)\.(v\d+_\d+_\d+)\.[A-Za-z]+$/, '$1.$2.json').replace(/^#([A-Za-z]+)\.[A-Za-z]+$/, '$1.json');
        assert.equal(h(r, 'Link'), `<https://redfish.dmtf.org/schemas/v1/${file}>; rel=describedby`, path);
        assert.equal(h(r, 'X-Frame-Options'), 'DENY');
        assert.match(h(r, 'Strict-Transport-Security') ?? '', /max-age=\d+/);
      }
    });

    it('errors carry OData-Version, a JSON Content-Type and a registry message', async () => {
      const cases: [Res, number, string][] = [
        [await get('/redfish/v1/Systems/nope'), 404, 'Base.ResourceNotFound'],
        [await redfish(bmc, 'GET', '/redfish/v1/Systems', { noAuth: true }), 401, 'Base.NoValidSession'],
        [await redfish(bmc, 'DELETE', '/redfish/v1', { token }), 405, 'Base.OperationNotAllowed'],
        [await redfish(bmc, 'GET', '/redfish/v1/Systems?$filter=Id%20eq%20x', { token }), 501, 'Base.QueryNotSupported'],
      ];
      for (const [r, status, id] of cases) {
        assert.equal(r.status, status, r.text);
        assert.equal(h(r, 'OData-Version'), '4.0');
        assert.equal(h(r, 'Cache-Control'), 'no-cache');
        assert.match(h(r, 'Content-Type') ?? '', /^application\/json/);
        assert.deepEqual(messageIds(r), [id]);
        assert.equal(r.body.error.code, r.body.error['@Message.ExtendedInfo'][0].MessageId);
      }
      assert.match(h(cases[1]![0], 'WWW-Authenticate') ?? '', /^Basic /);
    });

    it('HEAD answers the GET headers without a body', async () => {
      const g = await get('/redfish/v1/Systems/system');
      const r = await redfish(bmc, 'HEAD', '/redfish/v1/Systems/system', { token });
      assert.equal(r.status, 200);
      assert.equal(r.text, '');
      assert.equal(h(r, 'ETag'), h(g, 'ETag'));
      assert.equal(h(r, 'OData-Version'), '4.0');
    });

    it('If-None-Match with the current ETag is 304', async () => {
      const g = await get('/redfish/v1/Systems/system');
      const r = await get('/redfish/v1/Systems/system', { 'If-None-Match': h(g, 'ETag')! });
      assert.equal(r.status, 304);
      assert.equal(r.text, '');
    });
  });

  describe('methods', () => {
    it('405 with Allow for methods a resource does not support', async () => {
      const cases: [string, string, RegExp][] = [
        ['DELETE', '/redfish/v1', /^GET, HEAD$/],
        ['POST', '/redfish/v1/Systems/system', /^GET, HEAD, PATCH/],
        ['PUT', '/redfish/v1/Systems', /^GET, HEAD$/],
        ['PATCH', '/redfish/v1/Systems', /^GET, HEAD$/],
        ['DELETE', '/redfish/v1/SessionService', /^GET, HEAD, PATCH$/],
      ];
      for (const [method, path, allow] of cases) {
        const r = await redfish(bmc, method, path, { token, body: {} });
        assert.equal(r.status, 405, `${method} ${path}: ${r.text}`);
        assert.match(h(r, 'Allow') ?? '', allow, `${method} ${path}`);
        assert.deepEqual(messageIds(r), ['Base.OperationNotAllowed']);
      }
    });

    it('a write to a read-only resource answers 405, not 500 or 404', async () => {
      const r = await redfish(bmc, 'OPTIONS', '/redfish/v1/Systems', { token });
      assert.ok(r.status === 405 || r.status === 200 || r.status === 204, `OPTIONS ${r.status}`);
      assert.ok(r.status < 500);
    });
  });

  describe('query options', () => {
    it('$expand=.($levels=2) on the service root expands the collections and their members', async () => {
      const r = await get('/redfish/v1?$expand=.($levels=2)');
      assert.equal(r.status, 200, r.text);
      const systems = r.body.Systems as JsonBody;
      assert.equal(systems['@odata.type'], '#ComputerSystemCollection.ComputerSystemCollection');
      const member = (systems.Members as JsonBody[])[0]!;
      assert.match(String(member['@odata.type']), /^#ComputerSystem\.v\d+_\d+_\d+\.ComputerSystem$/);
      assert.equal(typeof member.PowerState, 'string');
      // level 3 is not expanded: the system's own links stay links
      const logServices = member.LogServices as JsonBody | undefined;
      if (logServices) assert.deepEqual(Object.keys(logServices), ['@odata.id']);
      // Links are not expanded by "."
      assert.deepEqual(r.body.Links, { Sessions: { '@odata.id': '/redfish/v1/SessionService/Sessions' } });
      const one = await get('/redfish/v1?$expand=.');
      assert.deepEqual(Object.keys((((one.body.Systems as JsonBody).Members as JsonBody[])[0]!)), ['@odata.id']);
    });

    it('$expand=.($levels=2) on Systems expands the members and their subordinate resources', async () => {
      const r = await get('/redfish/v1/Systems?$expand=.($levels=2)');
      assert.equal(r.status, 200);
      const sys = (r.body.Members as JsonBody[])[0]!;
      assert.equal(sys.Id, 'system');
      const expandedChild = Object.values(sys).find((v) => v && typeof v === 'object' && !Array.isArray(v) && typeof (v as JsonBody)['@odata.type'] === 'string');
      assert.ok(expandedChild, 'some subordinate resource of the system is expanded at level 2');
      assert.ok(Object.values(sys.Links as JsonBody).every((v) => (Array.isArray(v) ? v : [v]).every((x) => typeof x !== 'object' || x === null || Object.keys(x).length === 1 || !('@odata.type' in x))));
      const star = await get('/redfish/v1/Systems/system?$expand=*');
      assert.equal(star.status, 200);
      const chassis = ((star.body.Links as JsonBody).Chassis as JsonBody[] | undefined)?.[0];
      if (chassis) assert.match(String(chassis['@odata.type']), /^#Chassis\./, '"*" expands Links too');
      assert.equal((await get('/redfish/v1/Systems?$expand=.($levels=7)')).status, 400);
    });

    it('$select keeps the named properties (nested too) and the @odata annotations', async () => {
      const r = await get('/redfish/v1/Systems/system?$select=PowerState,Status/Health');
      assert.equal(r.status, 200);
      assert.deepEqual(Object.keys(r.body).sort(), ['@odata.id', '@odata.type', 'PowerState', 'Status']);
      assert.deepEqual(Object.keys(r.body.Status), ['Health']);
      assert.equal((await get('/redfish/v1/Systems/system?$select=,')).status, 400);
    });

    it('$top/$skip page a collection with a next link', async () => {
      const all = await get('/redfish/v1/AccountService/Roles');
      const n = (all.body.Members as unknown[]).length;
      assert.ok(n >= 3, 'several roles');
      const p1 = await get('/redfish/v1/AccountService/Roles?$top=1');
      assert.deepEqual(p1.body.Members, (all.body.Members as unknown[]).slice(0, 1));
      assert.equal(p1.body['Members@odata.count'], n);
      assert.equal(p1.body['Members@odata.nextLink'], '/redfish/v1/AccountService/Roles?$skip=1&$top=1');
      const p2 = await get(String(p1.body['Members@odata.nextLink']));
      assert.deepEqual(p2.body.Members, (all.body.Members as unknown[]).slice(1, 2));
      const last = await get(`/redfish/v1/AccountService/Roles?$skip=${n - 1}&$top=5`);
      assert.equal((last.body.Members as unknown[]).length, 1);
      assert.equal(last.body['Members@odata.nextLink'], undefined);
      assert.equal((await get('/redfish/v1/AccountService/Roles?$top=-1')).status, 400);
      assert.equal((await get('/redfish/v1/AccountService/Roles?$skip=x')).status, 400);
    });

    it('only answers the single member of a one-member collection', async () => {
      const r = await get('/redfish/v1/Systems?only');
      assert.equal(r.status, 200);
      assert.equal(r.body['@odata.id'], '/redfish/v1/Systems/system');
      const roles = await get('/redfish/v1/AccountService/Roles?only');
      assert.equal(roles.body['@odata.id'], '/redfish/v1/AccountService/Roles', 'several members: the collection itself');
    });

    it('$filter and other unsupported options are 501 QueryNotSupported', async () => {
      for (const q of ['$filter=Id%20eq%20%27system%27', '$orderby=Id', '$count=true']) {
        const r = await get(`/redfish/v1/Systems?${q}`);
        assert.equal(r.status, 501, q);
        assert.deepEqual(messageIds(r), ['Base.QueryNotSupported']);
      }
      const root = await redfish(bmc, 'GET', '/redfish/v1', { noAuth: true });
      assert.equal(root.body.ProtocolFeaturesSupported.FilterQuery, false);
    });
  });

  describe('transport', () => {
    it('plain HTTP redirects to HTTPS, keeping the path and query', async () => {
      assert.ok(bmc.httpPort, 'HTTP redirect port announced');
      const r = await new Promise<{ status: number; location: string | undefined }>((resolve, reject) => {
        const req = httpRequest({ host: '127.0.0.1', port: bmc.httpPort, path: '/redfish/v1/Systems?$top=1', method: 'GET' }, (res) => {
          res.resume();
          res.on('end', () => resolve({ status: res.statusCode ?? 0, location: res.headers.location }));
        });
        req.on('error', reject);
        req.end();
      });
      assert.equal(r.status, 301);
      assert.equal(r.location, `https://127.0.0.1:${bmc.httpsPort}/redfish/v1/Systems?$top=1`);
    });

    it('keeps connections alive: several requests over one TLS connection', async () => {
      const agent = new Agent({ keepAlive: true, maxSockets: 1, rejectUnauthorized: false });
      const sockets = new Set<unknown>();
      try {
        for (let i = 0; i < 5; i++) {
          const status = await new Promise<number>((resolve, reject) => {
            const req = request({ host: '127.0.0.1', port: bmc.httpsPort, path: '/redfish/v1/Systems/system', agent, headers: { 'X-Auth-Token': token } }, (res) => {
              sockets.add(res.socket);
              assert.match(String(res.headers.connection ?? 'keep-alive'), /keep-alive/i);
              res.resume();
              res.on('end', () => resolve(res.statusCode ?? 0));
            });
            req.on('error', reject);
            req.end();
          });
          assert.equal(status, 200);
        }
        assert.equal(sockets.size, 1, 'one connection served all requests');
      } finally {
        agent.destroy();
      }
    });

    it('a body over 1 MB is 413 PayloadTooLarge with the error body', async () => {
      const big = JSON.stringify({ UserName: 'x'.repeat(1024 * 1024 + 10), Password: 'y' });
      const r = await redfish(bmc, 'POST', '/redfish/v1/SessionService/Sessions', { noAuth: true, rawBody: big });
      assert.equal(r.status, 413);
      assert.deepEqual(messageIds(r), ['Base.PayloadTooLarge']);
      assert.equal(h(r, 'OData-Version'), '4.0');
      assert.match(h(r, 'Content-Type') ?? '', /^application\/json/);
      // the service is still there
      assert.equal((await get('/redfish/v1')).status, 200);
    });

    it('a body of exactly 1 MB is read (and then refused on its merits)', async () => {
      const pad = 1024 * 1024 - JSON.stringify({ UserName: '', Password: 'y' }).length;
      const r = await redfish(bmc, 'POST', '/redfish/v1/SessionService/Sessions', { noAuth: true, rawBody: JSON.stringify({ UserName: 'x'.repeat(pad), Password: 'y' }) });
      assert.notEqual(r.status, 413);
      assert.ok(r.status < 500, r.text.slice(0, 200));
    });

    it('malformed JSON is 400 MalformedJSON', async () => {
      for (const raw of ['{"UserName": "admin",', 'not json', '{"a":1}}']) {
        const r = await redfish(bmc, 'POST', '/redfish/v1/SessionService/Sessions', { noAuth: true, rawBody: raw });
        assert.equal(r.status, 400, raw);
        assert.deepEqual(messageIds(r), ['Base.MalformedJSON'], raw);
      }
      const p = await redfish(bmc, 'PATCH', '/redfish/v1/SessionService', { token, rawBody: '{"SessionTimeout": }' });
      assert.equal(p.status, 400);
      assert.deepEqual(messageIds(p), ['Base.MalformedJSON']);
    });
  });

  describe('service documents', () => {
    it('/redfish names the v1 service', async () => {
      const r = await redfish(bmc, 'GET', '/redfish', { noAuth: true });
      assert.equal(r.status, 200);
      assert.deepEqual(r.body, { v1: '/redfish/v1/' });
    });

    it('/redfish/v1/$metadata is CSDL XML naming every schema the service uses', async () => {
      const r = await redfish(bmc, 'GET', '/redfish/v1/$metadata', { noAuth: true, headers: { Accept: 'application/xml' } });
      assert.equal(r.status, 200);
      assert.match(h(r, 'Content-Type') ?? '', /^application\/xml/);
      assert.equal(h(r, 'OData-Version'), '4.0');
      assert.match(r.text, /^<\?xml version="1.0" encoding="UTF-8"\?>\n<edmx:Edmx xmlns:edmx="http:\/\/docs.oasis-open.org\/odata\/ns\/edmx" Version="4.0">/);
      assert.match(r.text, /<EntityContainer Name="Service" Extends="ServiceRoot\.v\d+_\d+_\d+\.ServiceContainer"\/>/);
      assert.match(r.text, /<\/edmx:Edmx>\s*$/);
      const included = new Set([...r.text.matchAll(/<edmx:Include Namespace="([^"]+)"\/>/g)].map((m) => m[1]));
      // every @odata.type the tree uses is declared (registry documents are files, not entity types)
      const tree = await walkTree(async (path) => {
        const x = await redfish(bmc, 'GET', path, { token });
        return { status: x.status, body: x.body };
      });
      const missing = new Set<string>();
      for (const body of tree.resources.values()) {
        const type = String(body['@odata.type']);
        if (/^#(MessageRegistry|PrivilegeRegistry)\./.test(type)) continue;
        const ns = type.replace(/^#/, '').replace(/\.[A-Za-z]+$/, '');
        if (!included.has(ns)) missing.add(ns);
        const unversioned = ns.replace(/\.v\d+_\d+_\d+$/, '');
        if (!included.has(unversioned)) missing.add(unversioned);
      }
      assert.deepEqual([...missing].sort(), [], 'namespaces used but not in $metadata');
    });

    it('/redfish/v1/odata lists the service root and its top-level services, each resolvable', async () => {
      const r = await redfish(bmc, 'GET', '/redfish/v1/odata', { noAuth: true });
      assert.equal(r.status, 200);
      assert.equal(r.body['@odata.context'], '/redfish/v1/$metadata');
      const value = r.body.value as { name: string; kind: string; url: string }[];
      assert.deepEqual(value[0], { name: 'Service', kind: 'Singleton', url: '/redfish/v1/' });
      for (const name of ['Systems', 'Chassis', 'Managers', 'SessionService']) assert.ok(value.some((v) => v.name === name), name);
      for (const v of value) {
        assert.equal(v.kind, 'Singleton');
        assert.equal((await get(v.url)).status, 200, v.url);
      }
    });
  });
});

describe('compression', () => {
  it('large answers are gzip-compressed for clients that accept it, small ones are not', async () => {
    const { gunzipSync } = await import('node:zlib');
    const bmc = await startBmcProcess();
    try {
      const big = await redfish(bmc, 'GET', '/redfish/v1/Registries/Base/Base', { headers: { 'Accept-Encoding': 'gzip' }, raw: true });
      assert.equal(big.status, 200);
      assert.equal(big.headers['content-encoding'], 'gzip');
      const doc = JSON.parse(gunzipSync(big.raw!).toString('utf8')) as { Id: string };
      assert.match(doc.Id, /^Base\./);
      const plain = await redfish(bmc, 'GET', '/redfish/v1/Registries/Base/Base');
      assert.equal(plain.headers['content-encoding'], undefined);
      const small = await redfish(bmc, 'GET', '/redfish/v1', { headers: { 'Accept-Encoding': 'gzip' } });
      assert.equal(small.headers['content-encoding'], undefined);
    } finally {
      await bmc.stop();
    }
  });
});
