// The whole Redfish tree of the real tsbmc process against DMTF's JSON
// schemas (DSP8010): walks from /redfish/v1 along every link, validates
// each resource against the versioned schema its @odata.type names, and
// checks the rules the DMTF Service Validator adds (required Id, Name,
// @odata.id equal to the URL, no dangling links, counts). Generic: it
// validates whatever resources the service has.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { redfish, startBmcProcess, type BmcProcess } from './helpers/bmc-process.js';
import { RedfishSchemas, ruleProblems, walkTree, type JsonBody, type WalkResult } from './helpers/redfish-schemas.js';

/** Problems per resource path, for a readable assertion message. */
function report(problems: Map<string, string[]>): string {
  return [...problems].map(([p, xs]) => `${p}\n${xs.map((x) => `    ${x}`).join('\n')}`).join('\n');
}

describe('Redfish tree against the DMTF schemas', { timeout: 170_000 }, () => {
  let bmc: BmcProcess;
  let schemas: RedfishSchemas;
  let token: string;
  let tree: WalkResult;

  before(async () => {
    schemas = new RedfishSchemas();
    bmc = await startBmcProcess();
    const login = await redfish(bmc, 'POST', '/redfish/v1/SessionService/Sessions', { noAuth: true, body: { UserName: 'admin', Password: 'Adm1nPassw0rd' } });
    assert.equal(login.status, 201, login.text);
    token = String(login.headers['x-auth-token']);
    tree = await walkTree(async (path) => {
      const r = await redfish(bmc, 'GET', path, { token });
      return { status: r.status, body: r.body };
    });
  });

  after(async () => {
    await bmc?.stop();
  });

  it('the walk reaches the main services and stays within its bound', () => {
    assert.equal(tree.truncated, false);
    for (const p of ['/redfish/v1', '/redfish/v1/SessionService', '/redfish/v1/SessionService/Sessions']) assert.ok(tree.resources.has(p), `${p} reached`);
    // every collection the service root links is reached
    const root = tree.resources.get('/redfish/v1')!;
    for (const [k, v] of Object.entries(root)) {
      const id = (v as { '@odata.id'?: unknown } | null)?.['@odata.id'];
      if (typeof id === 'string') assert.ok(tree.resources.has(id), `${k} (${id}) reached`);
    }
  });

  it('no dangling links: every @odata.id answers 200', () => {
    const lines = [...tree.dangling].map(([p, d]) => `${p}: HTTP ${d.status} (linked from ${d.from})`);
    assert.deepEqual(lines, []);
  });

  it('every resource validates against the schema its @odata.type names', (t) => {
    const problems = new Map<string, string[]>();
    const types = new Map<string, number>();
    for (const [path, body] of tree.resources) {
      const type = String(body['@odata.type']);
      types.set(type, (types.get(type) ?? 0) + 1);
      const xs = schemas.validate(body);
      if (xs.length > 0) problems.set(`${path} (${type})`, xs);
    }
    t.diagnostic(`${tree.resources.size} resources, ${types.size} types: ${[...types.keys()].sort().join(' ')}`);
    assert.equal(problems.size, 0, `schema violations:\n${report(problems)}`);
  });

  it('the validator is not vacuous: it rejects broken copies of real bodies', () => {
    const root = structuredClone(tree.resources.get('/redfish/v1')!);
    assert.deepEqual(schemas.validate(root), []);
    const cases: [string, (b: JsonBody) => void, RegExp][] = [
      ['unknown property', (b) => (b.Bogus = 1), /Bogus is not in the schema/],
      ['null for a string', (b) => (b.RedfishVersion = null), /RedfishVersion/],
      ['wrong type', (b) => (b.Name = 5), /\/Name/],
      ['missing required', (b) => delete b.Id, /Id missing/],
      ['bad link', (b) => ((b.Systems as JsonBody)['Extra'] = 1), /Systems/],
      ['bad enum in a nested type', (b) => (b.ProtocolFeaturesSupported = { ExpandQuery: { MaxLevels: 'six' } }), /MaxLevels/],
    ];
    for (const [what, mutate, re] of cases) {
      const b = structuredClone(root);
      mutate(b);
      assert.match(schemas.validate(b).join('\n'), re, what);
    }
    assert.match(schemas.validate({ ...root, '@odata.type': '#ServiceRoot.v9_9_9.ServiceRoot' }).join(), /no DMTF schema/);
  });

  it('every resource follows the Redfish rules (Id, Name, @odata.id = URL, counts)', () => {
    const problems = new Map<string, string[]>();
    for (const [path, body] of tree.resources) {
      const xs = ruleProblems(path, body);
      if (xs.length > 0) problems.set(path, xs);
    }
    assert.equal(problems.size, 0, `rule violations:\n${report(problems)}`);
  });

  it('$expand=.($levels=1) of every collection validates too (members inline)', async () => {
    const problems = new Map<string, string[]>();
    for (const [path, body] of tree.resources) {
      if (!Array.isArray(body.Members) || path.includes('?')) continue;
      const r = await redfish(bmc, 'GET', `${path}?$expand=.`, { token });
      assert.equal(r.status, 200, path);
      for (const m of r.body.Members as JsonBody[]) {
        const xs = schemas.validate(m);
        if (xs.length > 0) problems.set(`${path} member ${String(m['@odata.id'])}`, xs);
      }
    }
    assert.equal(problems.size, 0, report(problems));
  });

  it('error bodies carry registry messages that validate against Message', async () => {
    for (const [method, path, body] of [
      ['GET', '/redfish/v1/Systems/no-such-system', undefined],
      ['GET', '/redfish/v1/NoSuchService', undefined],
      ['PATCH', '/redfish/v1/SessionService', { NoSuchProperty: 1 }],
    ] as const) {
      const r = await redfish(bmc, method, path, { token, ...(body ? { body } : {}) });
      assert.ok(r.status >= 400, `${method} ${path}: ${r.status}`);
      const err = r.body?.error as { code?: unknown; message?: unknown; '@Message.ExtendedInfo'?: JsonBody[] } | undefined;
      assert.ok(err, `${method} ${path}: error body`);
      assert.equal(typeof err.code, 'string');
      assert.equal(typeof err.message, 'string');
      assert.ok(Array.isArray(err['@Message.ExtendedInfo']) && err['@Message.ExtendedInfo'].length > 0);
      for (const m of err['@Message.ExtendedInfo']) {
        // Message v1_1_1 is named by the service; the bundle holds the newest errata of 1.1, which validates the same properties
        assert.deepEqual(schemas.check('Message.v1_1_4.json#/definitions/Message', m), [], `${method} ${path}: ${JSON.stringify(m)}`);
      }
    }
  });
});
