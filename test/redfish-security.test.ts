// The Redfish security matrix against the real tsbmc process: every resource
// reachable from the ServiceRoot (walked by its links as it is served when
// the test runs, so new resource families join the matrix by themselves)
// × unauthenticated / ReadOnly / Operator / Administrator, plus hostile
// input: bad JSON, unknown properties, wrong types, huge bodies, garbage ids
// and query options. Nothing may answer 500. Session expiry by inactivity is
// tested with the ManualClock in src/redfish/resources/accounts.test.ts.
import assert from 'node:assert/strict';
import { after, before, describe, it, test } from 'node:test';
import { redfish, startBmcProcess, type BmcProcess } from './helpers/bmc-process.js';

const PUBLIC_GET = ['/redfish', '/redfish/v1', '/redfish/v1/odata', '/redfish/v1/$metadata'];
const WRITES = ['PATCH', 'POST', 'PUT', 'DELETE'] as const;
const MAX_RESOURCES = 400;
const MAX_MEMBERS = 3;

const READER = { user: 'reader', password: 'Readpassw0rd' };
const OPER = { user: 'oper', password: 'Operpassw0rd' };

interface Resource {
  path: string;
  allow: string[];
  body: Record<string, unknown>;
}

let bmc: BmcProcess;
const resources: Resource[] = [];
const actions: string[] = [];
let readerId = '';
let operId = '';

/** Every @odata.id in a body (members of big collections capped), and every action target. */
function links(body: unknown, out: Set<string>, acts: Set<string>): void {
  if (Array.isArray(body)) {
    body.slice(0, MAX_MEMBERS * 4).forEach((v) => links(v, out, acts));
    return;
  }
  if (!body || typeof body !== 'object') return;
  for (const [k, v] of Object.entries(body as Record<string, unknown>)) {
    if (k === '@odata.id' && typeof v === 'string') out.add(v.split('#')[0]!);
    else if (k === 'target' && typeof v === 'string') acts.add(v);
    else if (k === 'Members' && Array.isArray(v)) links(v.slice(0, MAX_MEMBERS), out, acts);
    else if (k !== '@Message.ExtendedInfo') links(v, out, acts);
  }
}

async function walk(): Promise<void> {
  const seen = new Set<string>(['/redfish/v1']);
  const queue = ['/redfish/v1'];
  const acts = new Set<string>();
  while (queue.length > 0 && resources.length < MAX_RESOURCES) {
    const path = queue.shift()!;
    const r = await redfish(bmc, 'GET', path);
    assert.ok(r.status < 500, `GET ${path}: ${r.status} ${r.text}`);
    if (r.status !== 200) continue;
    resources.push({ path, allow: String(r.headers.allow ?? '').split(',').map((s) => s.trim()).filter(Boolean), body: r.body as Record<string, unknown> });
    const found = new Set<string>();
    links(r.body, found, acts);
    for (const p of found) {
      if (!p.startsWith('/redfish/v1') || seen.has(p)) continue;
      seen.add(p);
      queue.push(p);
    }
  }
  actions.push(...acts);
}

const ACCOUNT = /^\/redfish\/v1\/AccountService\/Accounts\/(\d+)$/;
/** Entities whose GET the DMTF privilege registry reserves to ConfigureManager (CertificateLocations, Certificate*). */
const MANAGER_ONLY_GET = /^\/redfish\/v1\/(CertificateService\/CertificateLocations|Managers\/[^/]+\/NetworkProtocol\/HTTPS\/Certificates)(\/|$)/;

function ids(r: { body: any }): string[] {
  const info = (r.body?.error?.['@Message.ExtendedInfo'] ?? []) as { MessageId: string }[];
  return info.map((m) => m.MessageId.replace(/^Base\.\d+\.\d+\.\d+\./, ''));
}

before(async () => {
  bmc = await startBmcProcess();
  for (const [who, role] of [[READER, 'ReadOnly'], [OPER, 'Operator']] as const) {
    const r = await redfish(bmc, 'POST', '/redfish/v1/AccountService/Accounts', { body: { UserName: who.user, Password: who.password, RoleId: role } });
    assert.equal(r.status, 201, r.text);
    if (role === 'ReadOnly') readerId = String(r.body.Id);
    else operId = String(r.body.Id);
  }
  await walk();
});
after(async () => {
  await bmc?.stop();
});

test('the walk from the ServiceRoot finds the core resources', (t) => {
  t.diagnostic(`walked ${resources.length} resources and ${actions.length} action targets`);
  const paths = resources.map((r) => r.path);
  for (const p of ['/redfish/v1', '/redfish/v1/SessionService', '/redfish/v1/SessionService/Sessions', '/redfish/v1/AccountService', '/redfish/v1/AccountService/Accounts', '/redfish/v1/AccountService/Roles']) {
    assert.ok(paths.includes(p), `${p} not reached; walked ${paths.join(' ')}`);
  }
});

describe('unauthenticated', () => {
  it('the public documents answer without credentials', async () => {
    for (const p of PUBLIC_GET) assert.equal((await redfish(bmc, 'GET', p, { noAuth: true })).status, 200, p);
  });

  it('every other resource and every write is 401 NoValidSession', async () => {
    for (const { path } of resources) {
      if (!PUBLIC_GET.includes(path)) {
        const r = await redfish(bmc, 'GET', path, { noAuth: true });
        assert.equal(r.status, 401, `GET ${path}`);
        assert.ok(r.headers['www-authenticate'], `GET ${path}: WWW-Authenticate`);
      }
      for (const m of WRITES) {
        if (m === 'POST' && path === '/redfish/v1/SessionService/Sessions') continue;
        assert.equal((await redfish(bmc, m, path, { noAuth: true, body: { Name: 'x' } })).status, 401, `${m} ${path}`);
      }
    }
    for (const t of actions) assert.equal((await redfish(bmc, 'POST', t, { noAuth: true, body: {} })).status, 401, `POST ${t}`);
  });

  it('wrong passwords, unknown users and garbage tokens are 401', async () => {
    assert.equal((await redfish(bmc, 'GET', '/redfish/v1/Managers', { user: 'admin', password: 'nope' })).status, 401);
    assert.equal((await redfish(bmc, 'GET', '/redfish/v1/Managers', { user: 'nobody', password: 'nope' })).status, 401);
    assert.equal((await redfish(bmc, 'GET', '/redfish/v1/Managers', { token: 'garbage' })).status, 401);
    assert.equal((await redfish(bmc, 'GET', '/redfish/v1/Managers', { noAuth: true, headers: { Authorization: 'Basic !!!' } })).status, 401);
    assert.equal((await redfish(bmc, 'GET', '/redfish/v1/Managers', { noAuth: true, headers: { Authorization: 'Bearer abc' } })).status, 401);
    const login = await redfish(bmc, 'POST', '/redfish/v1/SessionService/Sessions', { noAuth: true, body: { UserName: 'admin', Password: 'nope' } });
    assert.equal(login.status, 401);
  });

  it('a deleted session\'s token is 401', async () => {
    const login = await redfish(bmc, 'POST', '/redfish/v1/SessionService/Sessions', { noAuth: true, body: { UserName: READER.user, Password: READER.password } });
    assert.equal(login.status, 201);
    const token = String(login.headers['x-auth-token']);
    assert.equal((await redfish(bmc, 'DELETE', String(login.headers.location), { token })).status, 204);
    assert.equal((await redfish(bmc, 'GET', '/redfish/v1/SessionService', { token })).status, 401);
  });
});

describe('ReadOnly', () => {
  it('can GET every resource (other accounts: 403)', async () => {
    for (const { path } of resources) {
      const m = ACCOUNT.exec(path);
      const expected = (m && m[1] !== readerId) || MANAGER_ONLY_GET.test(path) ? 403 : 200;
      assert.equal((await redfish(bmc, 'GET', path, READER)).status, expected, `GET ${path}`);
    }
  });

  it('cannot PATCH/POST/PUT/DELETE anything: 403 where the method exists, 405 where it does not', async () => {
    for (const { path, allow } of resources) {
      for (const m of WRITES) {
        if (m === 'POST' && path === '/redfish/v1/SessionService/Sessions') continue;
        const r = await redfish(bmc, m, path, { ...READER, body: { RoleId: 'Administrator' } });
        const expected = allow.includes(m) ? 403 : 405;
        assert.equal(r.status, expected, `${m} ${path}: ${r.text}`);
      }
    }
    for (const t of actions) assert.equal((await redfish(bmc, 'POST', t, { ...READER, body: {} })).status, 403, `POST ${t}`);
  });

  it('may change its own password, nothing else of its account', async () => {
    const own = `/redfish/v1/AccountService/Accounts/${readerId}`;
    assert.equal((await redfish(bmc, 'PATCH', own, { ...READER, body: { Enabled: false } })).status, 403);
    assert.equal((await redfish(bmc, 'PATCH', own, { ...READER, body: { Password: 'Readpassw0rd2', RoleId: 'Administrator' } })).status, 403);
    assert.equal((await redfish(bmc, 'PATCH', own, { ...READER, body: { Password: 'Readpassw0rd2' } })).status, 200);
    assert.equal((await redfish(bmc, 'PATCH', own, { user: READER.user, password: 'Readpassw0rd2', body: { Password: READER.password } })).status, 200);
  });
});

describe('Operator', () => {
  it('cannot manage accounts', async () => {
    const accounts = '/redfish/v1/AccountService/Accounts';
    assert.equal((await redfish(bmc, 'POST', accounts, { ...OPER, body: { UserName: 'evil', Password: 'Evilpassw0rd', RoleId: 'Administrator' } })).status, 403);
    assert.equal((await redfish(bmc, 'PATCH', `${accounts}/2`, { ...OPER, body: { Password: 'Hijackedpw1' } })).status, 403);
    assert.equal((await redfish(bmc, 'PATCH', `${accounts}/${readerId}`, { ...OPER, body: { Password: 'Hijackedpw1' } })).status, 403);
    assert.equal((await redfish(bmc, 'PATCH', `${accounts}/${operId}`, { ...OPER, body: { RoleId: 'Administrator' } })).status, 403);
    assert.equal((await redfish(bmc, 'DELETE', `${accounts}/${readerId}`, OPER)).status, 403);
    assert.equal((await redfish(bmc, 'PATCH', '/redfish/v1/AccountService', { ...OPER, body: { AccountLockoutThreshold: 0 } })).status, 403);
    assert.equal((await redfish(bmc, 'GET', `${accounts}/2`, OPER)).status, 403);
    assert.equal((await redfish(bmc, 'GET', `${accounts}/${readerId}`, { user: READER.user, password: READER.password })).status, 200);
  });

  it('can reset a system (skipped while no Systems resource is served)', async (t) => {
    const systems = resources.filter((r) => /^\/redfish\/v1\/Systems\/[^/]+$/.test(r.path));
    if (systems.length === 0) {
      t.skip('no /redfish/v1/Systems members yet');
      return;
    }
    for (const s of systems) {
      const reset = (s.body.Actions as Record<string, { target?: string; 'ResetType@Redfish.AllowableValues'?: string[] }> | undefined)?.['#ComputerSystem.Reset'];
      assert.ok(reset?.target, `${s.path} has no #ComputerSystem.Reset`);
      const allowed = reset['ResetType@Redfish.AllowableValues'] ?? ['On'];
      const type = allowed.includes('On') ? 'On' : allowed[0]!;
      assert.equal((await redfish(bmc, 'POST', reset.target, { ...READER, body: { ResetType: type } })).status, 403, 'ReadOnly reset');
      const r = await redfish(bmc, 'POST', reset.target, { ...OPER, body: { ResetType: type } });
      assert.ok([200, 202, 204].includes(r.status), `Operator ${type} on ${s.path}: ${r.status} ${r.text}`);
    }
  });
});

describe('hostile input (Administrator)', () => {
  const writable = (m: string): Resource[] => resources.filter((r) => r.allow.includes(m));

  it('bad JSON is 400 MalformedJSON on every PATCH and POST', async () => {
    for (const m of ['PATCH', 'POST'] as const) {
      for (const { path } of writable(m)) {
        for (const raw of ['{', '{"a":}', 'nul', '"\\u12"', '{"a":1}{']) {
          const r = await redfish(bmc, m, path, { rawBody: raw });
          assert.equal(r.status, 400, `${m} ${path} ${raw}: ${r.text}`);
          assert.deepEqual(ids(r), ['MalformedJSON'], `${m} ${path} ${raw}`);
        }
      }
    }
  });

  it('unknown properties are 400 PropertyUnknown on every PATCH', async () => {
    for (const { path } of writable('PATCH')) {
      const r = await redfish(bmc, 'PATCH', path, { body: { NoSuchProperty: 1 } });
      assert.equal(r.status, 400, `PATCH ${path}: ${r.text}`);
      assert.ok(ids(r).includes('PropertyUnknown'), `PATCH ${path}: ${r.text}`);
    }
  });

  it('wrong types are 400 PropertyValueTypeError', async () => {
    const cases: [string, string, unknown][] = [
      ['PATCH', '/redfish/v1/AccountService', { AccountLockoutThreshold: 'three' }],
      ['PATCH', '/redfish/v1/AccountService', { AccountLockoutDuration: 1.5 }],
      ['PATCH', '/redfish/v1/SessionService', { SessionTimeout: '60' }],
      ['PATCH', '/redfish/v1/AccountService/Accounts/2', { Enabled: 'yes' }],
      ['PATCH', '/redfish/v1/AccountService/Accounts/2', { UserName: ['admin'] }],
      ['POST', '/redfish/v1/AccountService/Accounts', { UserName: 5, Password: 'Somepassw0rd', RoleId: 'ReadOnly' }],
      ['POST', '/redfish/v1/SessionService/Sessions', { UserName: 'admin', Password: { x: 1 } }],
    ];
    for (const [m, path, body] of cases) {
      const r = await redfish(bmc, m, path, { body });
      assert.equal(r.status, 400, `${m} ${path} ${JSON.stringify(body)}`);
      assert.ok(ids(r).includes('PropertyValueTypeError'), `${m} ${path}: ${r.text}`);
    }
  });

  it('huge bodies are 413', async () => {
    const huge = JSON.stringify({ Name: 'x'.repeat(2 * 1024 * 1024) });
    for (const [m, path] of [['PATCH', '/redfish/v1/AccountService'], ['POST', '/redfish/v1/AccountService/Accounts'], ['POST', '/redfish/v1/SessionService/Sessions']] as const) {
      const r = await redfish(bmc, m, path, { rawBody: huge });
      assert.equal(r.status, 413, `${m} ${path}`);
    }
  });

  it('garbage ids are 404 ResourceNotFound, never 500', async () => {
    const garbage = ['nonexistent', '0', '-1', '99999999999999999999', '%2e%2e', 'a%00b', '%25', 'x'.repeat(1000), '%F0%9F%92%A9', "'%20or%20'1'='1", '%zz', '2%2F..', '$metadata'];
    const parents = new Set(resources.map((r) => r.path).filter((p) => p !== '/redfish/v1'));
    for (const path of parents) {
      const base = path.slice(0, path.lastIndexOf('/'));
      for (const g of garbage) {
        for (const p of [`${base}/${g}`, `${path}/${g}`]) {
          if (PUBLIC_GET.includes(p)) continue;
          const r = await redfish(bmc, 'GET', p);
          if (r.status === 200 && resources.some((x) => x.path === p)) continue;
          assert.equal(r.status, 404, `GET ${p}: ${r.status} ${r.text.slice(0, 300)}`);
          assert.deepEqual(ids(r), ['ResourceNotFound'], `GET ${p}`);
        }
      }
    }
  });

  it('garbage query options: unknown $ options 501, bad values 400', async () => {
    const collections = resources.filter((r) => Array.isArray(r.body.Members));
    for (const { path } of collections) {
      assert.equal((await redfish(bmc, 'GET', `${path}?$foo=1`)).status, 501, `${path}?$foo`);
      for (const q of ['$top=x', '$top=-1', '$skip=x', '$expand=bogus', '$expand=*($levels=99)', '$select=a,,b', 'only=yes']) {
        const r = await redfish(bmc, 'GET', `${path}?${q}`);
        assert.equal(r.status, 400, `${path}?${q}: ${r.text}`);
      }
    }
    const leaf = resources.find((r) => !Array.isArray(r.body.Members) && r.path !== '/redfish/v1')!;
    assert.equal((await redfish(bmc, 'GET', `${leaf.path}?only`)).status, 400, `${leaf.path}?only`);
  });

  it('SessionTimeout refuses values below the 30 s minimum', async () => {
    const r = await redfish(bmc, 'PATCH', '/redfish/v1/SessionService', { body: { SessionTimeout: 29 } });
    assert.equal(r.status, 400);
    assert.deepEqual(ids(r), ['PropertyValueOutOfRange']);
  });
});
