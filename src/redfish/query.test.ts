// Unit tests of the OData query options (query.ts, DSP0266 7.3): parsing of
// $expand/$select/$top/$skip/only with 400 for malformed values and 501 for
// unsupported "$" options, and their effect on bodies, both as pure
// functions and through the router.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { silentLogger } from '../log.js';
import { makeTestBmc } from '../model/testing.js';
import { RedfishError } from './messages.js';
import { expandLinks, MAX_EXPAND_LEVELS, pageMembers, parseQuery, selectProperties, type JsonObject } from './query.js';
import type { RouteDef } from './router.js';
import { RedfishService } from './server.js';

const q = (s: string) => parseQuery(new URLSearchParams(s));

function rejects(s: string, status: number, id: string): void {
  assert.throws(
    () => q(s),
    (e: unknown) => e instanceof RedfishError && e.status === status && e.messages[0]?.MessageId === `Base.1.22.1.${id}`,
    s,
  );
}

describe('parseQuery', () => {
  it('no options', () => {
    assert.deepEqual(q(''), { only: false });
  });

  it('$expand kinds and $levels', () => {
    assert.deepEqual(q('$expand=.').expand, { kind: '.', levels: 1 });
    assert.deepEqual(q('$expand=*').expand, { kind: '*', levels: 1 });
    assert.deepEqual(q('$expand=~').expand, { kind: '~', levels: 1 });
    assert.deepEqual(q('$expand=.($levels=2)').expand, { kind: '.', levels: 2 });
    assert.deepEqual(q(`$expand=*($levels=${MAX_EXPAND_LEVELS})`).expand, { kind: '*', levels: MAX_EXPAND_LEVELS });
    // URL-encoded form as clients send it
    assert.deepEqual(q('%24expand=.%28%24levels%3D3%29').expand, { kind: '.', levels: 3 });
  });

  it('$expand malformed or out of range is 400', () => {
    for (const s of ['$expand=', '$expand=x', '$expand=.($levels=)', '$expand=.($levels=a)', '$expand=.(levels=2)', '$expand=..', '$expand=.($levels=2']) {
      rejects(s, 400, 'QueryParameterValueFormatError');
    }
    rejects('$expand=.($levels=0)', 400, 'QueryParameterOutOfRange');
    rejects(`$expand=.($levels=${MAX_EXPAND_LEVELS + 1})`, 400, 'QueryParameterOutOfRange');
  });

  it('$select lists, nested paths', () => {
    assert.deepEqual(q('$select=Name,Status/Health').select, ['Name', 'Status/Health']);
    assert.deepEqual(q('$select=Name, PowerState').select, ['Name', 'PowerState']);
    for (const s of ['$select=', '$select=Name,,Id', '$select=/Name', '$select=Na me', '$select=Status/', '$select=a;b']) rejects(s, 400, 'QueryParameterValueFormatError');
  });

  it('$top and $skip are non-negative integers', () => {
    assert.deepEqual(q('$top=2&$skip=1'), { only: false, top: 2, skip: 1 });
    assert.equal(q('$top=0').top, 0);
    for (const s of ['$top=-1', '$top=1.5', '$top=abc', '$top=', '$skip=1e3', '$skip=+1', '$top=9999999999']) rejects(s, 400, 'QueryParameterValueFormatError');
  });

  it('only takes no value and excludes $expand and $select', () => {
    assert.equal(q('only').only, true);
    assert.equal(q('only=').only, true);
    rejects('only=1', 400, 'QueryParameterValueFormatError');
    rejects('only&$expand=.', 400, 'QueryNotSupportedOnResource');
    rejects('only&$select=Name', 400, 'QueryNotSupportedOnResource');
  });

  it('unsupported $ options are 501 QueryNotSupported; other parameters are ignored', () => {
    for (const s of ['$filter=Name eq 1', '$orderby=Name', '$count=true', '$search=x', '$format=json', '$apply=x', '$levels=2', 'excerpt&$x=1']) {
      rejects(s, 501, 'QueryNotSupported');
    }
    assert.deepEqual(q('foo=bar&excerpt'), { only: false });
  });
});

describe('selectProperties', () => {
  const body: JsonObject = {
    '@odata.id': '/redfish/v1/Systems/s',
    '@odata.type': '#ComputerSystem.v1_27_0.ComputerSystem',
    Id: 's',
    Name: 'System',
    PowerState: 'On',
    Status: { State: 'Enabled', Health: 'OK' },
    Boot: { BootSourceOverrideTarget: 'Pxe', BootSourceOverrideEnabled: 'Once', Nested: { A: 1, B: 2 } },
    Links: { Chassis: [{ '@odata.id': '/redfish/v1/Chassis/c' }] },
  };

  it('keeps the selected properties and the @odata annotations', () => {
    assert.deepEqual(selectProperties(body, ['PowerState']), { '@odata.id': '/redfish/v1/Systems/s', '@odata.type': '#ComputerSystem.v1_27_0.ComputerSystem', PowerState: 'On' });
    assert.deepEqual(Object.keys(selectProperties(body, ['Name', 'Id'])).sort(), ['@odata.id', '@odata.type', 'Id', 'Name']);
  });

  it('selects inside objects, merging several paths under one property', () => {
    assert.deepEqual(selectProperties(body, ['Status/Health', 'Boot/BootSourceOverrideTarget', 'Boot/Nested/B']), {
      '@odata.id': '/redfish/v1/Systems/s',
      '@odata.type': '#ComputerSystem.v1_27_0.ComputerSystem',
      Status: { Health: 'OK' },
      Boot: { BootSourceOverrideTarget: 'Pxe', Nested: { B: 2 } },
    });
  });

  it('ignores unknown properties, keeps a whole object when selected by name', () => {
    assert.deepEqual(selectProperties(body, ['NoSuch', 'Status']).Status, { State: 'Enabled', Health: 'OK' });
    assert.equal(selectProperties(body, ['NoSuch']).NoSuch, undefined);
  });
});

describe('pageMembers', () => {
  const coll: JsonObject = {
    '@odata.id': '/c',
    Name: 'C',
    'Members@odata.count': 5,
    Members: [1, 2, 3, 4, 5].map((i) => ({ '@odata.id': `/c/${i}` })),
  };
  const ids = (b: JsonObject) => (b.Members as { '@odata.id': string }[]).map((m) => m['@odata.id']);

  it('$top alone gives the first page and a next link', () => {
    const p = pageMembers(coll, 2, undefined, '/c');
    assert.deepEqual(ids(p), ['/c/1', '/c/2']);
    assert.equal(p['Members@odata.nextLink'], '/c?$skip=2&$top=2');
    assert.equal(p['Members@odata.count'], 5, 'the count is of the whole collection');
  });

  it('$skip and $top page through, the last page has no next link', () => {
    assert.deepEqual(ids(pageMembers(coll, 2, 2, '/c')), ['/c/3', '/c/4']);
    const last = pageMembers(coll, 2, 4, '/c');
    assert.deepEqual(ids(last), ['/c/5']);
    assert.equal(last['Members@odata.nextLink'], undefined);
    assert.deepEqual(ids(pageMembers(coll, undefined, 3, '/c')), ['/c/4', '/c/5']);
    assert.deepEqual(ids(pageMembers(coll, 10, 10, '/c')), []);
    assert.deepEqual(ids(pageMembers(coll, 0, undefined, '/c')), []);
  });

  it('leaves a resource without Members alone', () => {
    assert.deepEqual(pageMembers({ Name: 'x' }, 1, 1, '/x'), { Name: 'x' });
  });
});

describe('expandLinks', () => {
  const store: Record<string, JsonObject> = {
    '/a': { '@odata.id': '/a', Name: 'A', Child: { '@odata.id': '/b' }, Links: { Peer: { '@odata.id': '/c' } } },
    '/b': { '@odata.id': '/b', Name: 'B', Child: { '@odata.id': '/d' } },
    '/c': { '@odata.id': '/c', Name: 'C' },
    '/d': { '@odata.id': '/d', Name: 'D' },
  };
  const resolve = async (p: string) => store[p];

  it('"." expands links outside Links only, one level by default', async () => {
    const out = await expandLinks(store['/a']!, { kind: '.', levels: 1 }, resolve);
    assert.deepEqual(out.Child, store['/b']);
    assert.deepEqual(out.Links, { Peer: { '@odata.id': '/c' } });
  });

  it('"~" expands only inside Links; "*" both', async () => {
    const tilde = await expandLinks(store['/a']!, { kind: '~', levels: 1 }, resolve);
    assert.deepEqual(tilde.Child, { '@odata.id': '/b' });
    assert.deepEqual((tilde.Links as JsonObject).Peer, store['/c']);
    const star = await expandLinks(store['/a']!, { kind: '*', levels: 1 }, resolve);
    assert.deepEqual(star.Child, store['/b']);
    assert.deepEqual((star.Links as JsonObject).Peer, store['/c']);
  });

  it('$levels=2 expands the expanded resources once more', async () => {
    const out = await expandLinks(store['/a']!, { kind: '.', levels: 2 }, resolve);
    assert.deepEqual((out.Child as JsonObject).Child, store['/d']);
    const one = await expandLinks(store['/a']!, { kind: '.', levels: 1 }, resolve);
    assert.deepEqual((one.Child as JsonObject).Child, { '@odata.id': '/d' });
  });

  it('keeps the resource\'s own @odata.id and unresolvable links as they are', async () => {
    const out = await expandLinks({ '@odata.id': '/x', Gone: { '@odata.id': '/nowhere' }, Arr: [{ '@odata.id': '/c' }, 5] }, { kind: '.', levels: 1 }, resolve);
    assert.equal(out['@odata.id'], '/x');
    assert.deepEqual(out.Gone, { '@odata.id': '/nowhere' });
    assert.deepEqual(out.Arr, [store['/c'], 5]);
  });
});

describe('query options through the router', () => {
  const AUTH = { authorization: `Basic ${Buffer.from('admin:password').toString('base64')}` };
  function service(n: number): RedfishService {
    const { bmc } = makeTestBmc();
    const ids = Array.from({ length: n }, (_, i) => `m${i}`);
    const routes: RouteDef[] = [
      {
        path: '/redfish/v1/Chassis',
        entity: 'ChassisCollection',
        get: () => ({
          '@odata.id': '/redfish/v1/Chassis',
          '@odata.type': '#ChassisCollection.ChassisCollection',
          Name: 'Chassis',
          'Members@odata.count': ids.length,
          Members: ids.map((i) => ({ '@odata.id': `/redfish/v1/Chassis/${i}` })),
        }),
      },
      {
        path: '/redfish/v1/Chassis/{ChassisId}',
        entity: 'Chassis',
        get: (ctx) => ({ '@odata.id': ctx.path, '@odata.type': '#Chassis.v1_28_0.Chassis', Id: ctx.params.ChassisId ?? '', Name: 'Chassis', Status: { State: 'Enabled', Health: 'OK' } }),
      },
    ];
    return new RedfishService({ bmc, log: silentLogger, routes });
  }
  const get = async (s: RedfishService, url: string) => {
    const r = await s.router.handle({ method: 'GET', url, headers: AUTH, clientAddress: '127.0.0.1' });
    return { status: r.status, body: r.body as JsonObject };
  };

  it('$top/$skip page a collection with Members@odata.nextLink on the path', async () => {
    const s = service(5);
    const r = await get(s, '/redfish/v1/Chassis?$top=2&$skip=1');
    assert.equal(r.status, 200);
    assert.deepEqual((r.body.Members as JsonObject[]).map((m) => m['@odata.id']), ['/redfish/v1/Chassis/m1', '/redfish/v1/Chassis/m2']);
    assert.equal(r.body['Members@odata.nextLink'], '/redfish/v1/Chassis?$skip=3&$top=2');
    const next = await get(s, r.body['Members@odata.nextLink'] as string);
    assert.deepEqual((next.body.Members as JsonObject[]).map((m) => m['@odata.id']), ['/redfish/v1/Chassis/m3', '/redfish/v1/Chassis/m4']);
    assert.equal(next.body['Members@odata.nextLink'], undefined);
  });

  it('only on a one-member collection answers the member; otherwise the collection', async () => {
    const one = await get(service(1), '/redfish/v1/Chassis?only');
    assert.equal(one.body['@odata.id'], '/redfish/v1/Chassis/m0');
    assert.equal(one.body.Id, 'm0');
    const two = await get(service(2), '/redfish/v1/Chassis?only');
    assert.equal(two.body['@odata.id'], '/redfish/v1/Chassis');
    const notColl = await get(service(1), '/redfish/v1/Chassis/m0?only');
    assert.equal(notColl.status, 400);
  });

  it('$expand=. fills Members; $select trims; 501 for $filter', async () => {
    const s = service(2);
    const e = await get(s, '/redfish/v1/Chassis?$expand=.');
    assert.equal((e.body.Members as JsonObject[])[1]?.Id, 'm1');
    const sel = await get(s, '/redfish/v1/Chassis/m0?$select=Status/Health');
    assert.deepEqual(sel.body, { '@odata.id': '/redfish/v1/Chassis/m0', '@odata.type': '#Chassis.v1_28_0.Chassis', Status: { Health: 'OK' } });
    assert.equal((await get(s, '/redfish/v1/Chassis?$filter=Id%20eq%20m0')).status, 501);
    assert.equal((await get(s, '/redfish/v1/Chassis?$top=x')).status, 400);
  });
});
