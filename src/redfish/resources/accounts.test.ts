// Unit tests of AccountService, ManagerAccount and Role (accounts.ts), driven
// in-process over the shared account table: bodies validate against the DMTF
// schemas their @odata.type names; writes change the table IPMI uses.
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import AjvModule from 'ajv';
import addFormatsModule from 'ajv-formats';
import { silentLogger } from '../../log.js';
import { makeTestBmc } from '../../model/testing.js';
import type { JsonObject, RedfishResponse } from '../router.js';
import { RedfishService } from '../server.js';
import { accountRoutes, MIN_PASSWORD_LENGTH } from './accounts.js';

// DMTF's schema bundle: ../shared/redfish/json-schema beside the project (from
// dist/src/redfish/resources/ that is five levels up) or $TSBMC_REDFISH_SCHEMAS
const SCHEMA_DIR = process.env.TSBMC_REDFISH_SCHEMAS ?? fileURLToPath(new URL('../../../../../shared/redfish/json-schema/', import.meta.url));
const SCHEMA_BASE = 'http://redfish.dmtf.org/schemas/v1/';

const Ajv = AjvModule.default;
const addFormats = addFormatsModule.default;
let ajv: InstanceType<typeof Ajv> | undefined;

/** Validates a body against the versioned DMTF schema its @odata.type names. */
function validate(body: unknown): void {
  if (!ajv) {
    ajv = new Ajv({ strict: false, validateSchema: false, allErrors: true });
    addFormats(ajv);
    for (const f of readdirSync(SCHEMA_DIR)) {
      if (!f.endsWith('.json')) continue;
      const s = JSON.parse(readFileSync(SCHEMA_DIR + f, 'utf8')) as Record<string, unknown>;
      delete s.$id;
      ajv.addSchema(s, SCHEMA_BASE + f);
    }
  }
  const type = (body as { '@odata.type'?: string })['@odata.type'] ?? '';
  const m = /^#([A-Za-z]+)\.(v\d+_\d+_\d+)\.[A-Za-z]+$/.exec(type) ?? /^#([A-Za-z]+)\.[A-Za-z]+$/.exec(type);
  assert.ok(m, `no @odata.type in ${JSON.stringify(body)}`);
  const v = ajv.getSchema(`${SCHEMA_BASE}${m[1]}${m[2] ? `.${m[2]}` : ''}.json`);
  assert.ok(v, `no schema for ${type}`);
  assert.ok(v(body), `${type}: ${JSON.stringify(v.errors)}\n${JSON.stringify(body)}`);
}

const basic = (user: string, password: string): string => `Basic ${Buffer.from(`${user}:${password}`, 'latin1').toString('base64')}`;
const ADMIN = basic('admin', 'password');
const OPERATOR = basic('operator', 'operpass');

type Call = (method: string, url: string, opts?: { auth?: string | null; body?: unknown; token?: string }) => Promise<RedfishResponse & { json: JsonObject }>;

function setup(): { service: RedfishService; call: Call } & ReturnType<typeof makeTestBmc> {
  const t = makeTestBmc();
  const service = new RedfishService({ bmc: t.bmc, log: silentLogger, routes: accountRoutes() });
  const call: Call = async (method, url, opts = {}) => {
    const headers: Record<string, string> = {};
    if (opts.token) headers['x-auth-token'] = opts.token;
    else if (opts.auth !== null) headers.authorization = opts.auth ?? ADMIN;
    const res = await service.router.handle({
      method,
      url,
      headers,
      ...(opts.body !== undefined ? { body: typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body) } : {}),
      clientAddress: '127.0.0.1',
    });
    return { ...res, json: (res.body ?? {}) as JsonObject };
  };
  return { ...t, service, call };
}

function messageIds(res: { json: JsonObject }): string[] {
  const err = res.json.error as { '@Message.ExtendedInfo'?: { MessageId: string }[] } | undefined;
  const info = (err?.['@Message.ExtendedInfo'] ?? res.json['@Message.ExtendedInfo'] ?? []) as { MessageId: string }[];
  return info.map((m) => m.MessageId.replace(/^Base\.\d+\.\d+\.\d+\./, ''));
}

async function login(call: Call, user: string, password: string): Promise<string> {
  const r = await call('POST', '/redfish/v1/SessionService/Sessions', { auth: null, body: { UserName: user, Password: password } });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.headers['X-Auth-Token']!;
}

describe('AccountService', () => {
  it('serves the lockout policy of the LAN bad password threshold and validates', async () => {
    const { call, bmc } = setup();
    const r = await call('GET', '/redfish/v1/AccountService');
    assert.equal(r.status, 200);
    validate(r.json);
    const b = bmc.lan.config.badPassword;
    assert.equal(r.json.AccountLockoutThreshold, b.threshold);
    assert.equal(r.json.AccountLockoutDuration, b.lockoutS);
    assert.equal(r.json.AccountLockoutCounterResetAfter, b.resetIntervalS);
    assert.equal(r.json.MinPasswordLength, MIN_PASSWORD_LENGTH);
    assert.equal(r.json.MaxPasswordLength, 20);
    assert.equal(r.json.LocalAccountAuth, 'Enabled');
    assert.deepEqual(r.json.Accounts, { '@odata.id': '/redfish/v1/AccountService/Accounts' });
  });

  it('PATCH lockout settings changes the policy IPMI uses', async () => {
    const { call, bmc } = setup();
    const r = await call('PATCH', '/redfish/v1/AccountService', {
      body: { AccountLockoutThreshold: 3, AccountLockoutDuration: 120, AccountLockoutCounterResetAfter: 30 },
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(bmc.lan.config.badPassword, { generateEvent: true, threshold: 3, lockoutS: 120, resetIntervalS: 30 });
    assert.deepEqual(bmc.users.lockout, { threshold: 3, lockoutMs: 120_000, resetIntervalMs: 30_000 });
  });

  it('PATCH refuses bad values, read-only and unknown properties, and non-administrators', async () => {
    const { call, bmc } = setup();
    const before = { ...bmc.lan.config.badPassword };
    const cases: [unknown, string][] = [
      [{ AccountLockoutThreshold: 256 }, 'PropertyValueOutOfRange'],
      [{ AccountLockoutThreshold: -1 }, 'PropertyValueOutOfRange'],
      [{ AccountLockoutThreshold: '3' }, 'PropertyValueTypeError'],
      [{ AccountLockoutDuration: 15 }, 'PropertyValueFormatError'],
      [{ AccountLockoutDuration: 30, AccountLockoutCounterResetAfter: 60 }, 'PropertyValueConflict'],
      [{ MinPasswordLength: 4 }, 'PropertyNotWritable'],
      [{ Bogus: 1 }, 'PropertyUnknown'],
      [{}, 'NoOperation'],
    ];
    for (const [body, id] of cases) {
      const r = await call('PATCH', '/redfish/v1/AccountService', { body });
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.deepEqual(messageIds(r), [id], JSON.stringify(body));
    }
    const r = await call('PATCH', '/redfish/v1/AccountService', { auth: OPERATOR, body: { AccountLockoutThreshold: 0 } });
    assert.equal(r.status, 403);
    assert.deepEqual(bmc.lan.config.badPassword, before);
  });
});

describe('Accounts', () => {
  it('lists the named slots; without ConfigureUsers only one\'s own', async () => {
    const { call } = setup();
    const all = await call('GET', '/redfish/v1/AccountService/Accounts');
    validate(all.json);
    assert.deepEqual(all.json.Members, [{ '@odata.id': '/redfish/v1/AccountService/Accounts/2' }, { '@odata.id': '/redfish/v1/AccountService/Accounts/3' }]);
    const own = await call('GET', '/redfish/v1/AccountService/Accounts', { auth: OPERATOR });
    assert.deepEqual(own.json.Members, [{ '@odata.id': '/redfish/v1/AccountService/Accounts/3' }]);
  });

  it('GET an account: schema-valid, Password null, role from the LAN privilege', async () => {
    const { call } = setup();
    const r = await call('GET', '/redfish/v1/AccountService/Accounts/3');
    assert.equal(r.status, 200);
    validate(r.json);
    assert.equal(r.json.UserName, 'operator');
    assert.equal(r.json.RoleId, 'Operator');
    assert.equal(r.json.Password, null);
    assert.equal(r.json.Enabled, true);
    assert.equal(r.json.Locked, false);
    assert.deepEqual(r.json.AccountTypes, ['Redfish', 'IPMI']);
    assert.deepEqual(r.json.Links, { Role: { '@odata.id': '/redfish/v1/AccountService/Roles/Operator' } });
    assert.equal((await call('GET', '/redfish/v1/AccountService/Accounts/3', { auth: OPERATOR })).status, 200);
    assert.equal((await call('GET', '/redfish/v1/AccountService/Accounts/2', { auth: OPERATOR })).status, 403);
  });

  it('unknown, empty, anonymous and malformed ids are 404', async () => {
    const { call } = setup();
    for (const id of ['0', '1', '4', '99', '64', '999', 'abc', '02', '2x', '%00', '3.0', '-3']) {
      for (const method of ['GET', 'PATCH', 'DELETE']) {
        const r = await call(method, `/redfish/v1/AccountService/Accounts/${id}`, method === 'PATCH' ? { body: { Enabled: true } } : {});
        assert.equal(r.status, 404, `${method} ${id}`);
        assert.deepEqual(messageIds(r), ['ResourceNotFound']);
      }
    }
  });

  it('POST creates an account in a free slot that IPMI and Redfish both accept', async () => {
    const { call, bmc } = setup();
    const r = await call('POST', '/redfish/v1/AccountService/Accounts', { body: { UserName: 'newuser', Password: 'n3wPassw0rd', RoleId: 'ReadOnly' } });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.equal(r.headers.Location, '/redfish/v1/AccountService/Accounts/4');
    validate(r.json);
    assert.equal(r.json.Id, '4');
    const u = bmc.users.get(4)!;
    assert.equal(u.name, 'newuser');
    assert.equal(u.enabled, true);
    assert.equal(bmc.users.access(4, 1).privilege, 2);
    assert.equal(bmc.users.access(4, 1).ipmiMessaging, true);
    assert.deepEqual(Buffer.from(bmc.users.key(4)).subarray(0, 11).toString(), 'n3wPassw0rd');
    const g = await call('GET', '/redfish/v1/AccountService/Accounts/4', { auth: basic('newuser', 'n3wPassw0rd') });
    assert.equal(g.status, 200);
    assert.equal(g.json.RoleId, 'ReadOnly');
    const disabled = await call('POST', '/redfish/v1/AccountService/Accounts', { body: { UserName: 'off', Password: 'offPassw0rd', RoleId: 'Operator', Enabled: false } });
    assert.equal(disabled.status, 201);
    assert.equal(bmc.users.get(5)!.enabled, false);
  });

  it('POST refuses duplicates, bad names, bad passwords and missing properties without echoing passwords', async () => {
    const { call, bmc } = setup();
    const post = (body: unknown): ReturnType<Call> => call('POST', '/redfish/v1/AccountService/Accounts', { body });
    const dup = await post({ UserName: 'operator', Password: 'whatever12', RoleId: 'ReadOnly' });
    assert.equal(dup.status, 409);
    assert.deepEqual(messageIds(dup), ['ResourceAlreadyExists']);
    const cases: [unknown, string[]][] = [
      [{ UserName: 'x'.repeat(17), Password: 'whatever12', RoleId: 'ReadOnly' }, ['StringValueTooLong']],
      [{ UserName: 'bad:name', Password: 'whatever12', RoleId: 'ReadOnly' }, ['PropertyValueFormatError']],
      [{ UserName: '', Password: 'whatever12', RoleId: 'ReadOnly' }, ['PropertyValueFormatError']],
      [{ UserName: 'ok', Password: 'short', RoleId: 'ReadOnly' }, ['PasswordIncorrectLength']],
      [{ UserName: 'ok', Password: 'p'.repeat(21), RoleId: 'ReadOnly' }, ['PasswordIncorrectLength']],
      [{ UserName: 'ok', Password: 'pässwörd123', RoleId: 'ReadOnly' }, ['PasswordComplexityNotMet']],
      [{ UserName: 'ok', Password: 'whatever12', RoleId: 'Root' }, ['PropertyValueNotInList']],
      [{ UserName: 'ok', Password: 12345678, RoleId: 'ReadOnly' }, ['PropertyValueTypeError']],
      [{ UserName: 'ok', RoleId: 'ReadOnly' }, ['PropertyMissing']],
      [{ Password: 'whatever12' }, ['PropertyMissing', 'PropertyMissing']],
      [{ UserName: 'ok', Password: 'whatever12', RoleId: 'ReadOnly', Id: '9' }, ['PropertyNotWritable']],
      [{ UserName: 'ok', Password: 'whatever12', RoleId: 'ReadOnly', Shell: 'bash' }, ['PropertyUnknown']],
      ['[1,2', ['MalformedJSON']],
      [[1, 2], ['MalformedJSON']],
    ];
    for (const [body, ids] of cases) {
      const r = await post(body);
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.deepEqual(messageIds(r), ids, JSON.stringify(body));
      const text = JSON.stringify(r.body);
      for (const secret of ['short', 'p'.repeat(21), 'pässwörd123']) assert.ok(!text.includes(secret), `password echoed: ${text}`);
    }
    assert.equal(bmc.users.freeSlot(), 4);
  });

  it('POST answers CreateLimitReachedForResource when every slot is taken', async () => {
    const { call, bmc } = setup();
    for (let i = 4; i <= bmc.users.maxUsers; i++) {
      const r = await call('POST', '/redfish/v1/AccountService/Accounts', { body: { UserName: `user${i}`, Password: 'whatever12', RoleId: 'ReadOnly' } });
      assert.equal(r.status, 201);
    }
    const r = await call('POST', '/redfish/v1/AccountService/Accounts', { body: { UserName: 'onemore', Password: 'whatever12', RoleId: 'ReadOnly' } });
    assert.equal(r.status, 400);
    assert.deepEqual(messageIds(r), ['CreateLimitReachedForResource']);
  });

  it('only ConfigureUsers creates, changes others or deletes; anyone may change their own password', async () => {
    const { call, bmc } = setup();
    const acct = '/redfish/v1/AccountService/Accounts';
    assert.equal((await call('POST', acct, { auth: OPERATOR, body: { UserName: 'x1', Password: 'whatever12', RoleId: 'Administrator' } })).status, 403);
    assert.equal((await call('PATCH', `${acct}/2`, { auth: OPERATOR, body: { Password: 'hijacked12' } })).status, 403);
    assert.equal((await call('DELETE', `${acct}/2`, { auth: OPERATOR })).status, 403);
    assert.equal((await call('PATCH', `${acct}/3`, { auth: OPERATOR, body: { RoleId: 'Administrator' } })).status, 403);
    assert.equal((await call('PATCH', `${acct}/3`, { auth: OPERATOR, body: { Password: 'newoperpass', RoleId: 'Administrator' } })).status, 403);
    assert.equal(bmc.users.roleOf(3), 'Operator');
    const own = await call('PATCH', `${acct}/3`, { auth: OPERATOR, body: { Password: 'newoperpass' } });
    assert.equal(own.status, 200, JSON.stringify(own.body));
    assert.ok(messageIds(own).includes('AccountModified'));
    assert.equal((await call('GET', `${acct}/3`, { auth: OPERATOR })).status, 401);
    assert.equal((await call('GET', `${acct}/3`, { auth: basic('operator', 'newoperpass') })).status, 200);
    const short = await call('PATCH', `${acct}/3`, { auth: basic('operator', 'newoperpass'), body: { Password: 'x' } });
    assert.deepEqual(messageIds(short), ['PasswordIncorrectLength']);
  });

  it('changing password, role or enabled ends the account\'s sessions (the caller keeps its own)', async () => {
    const { call } = setup();
    const acct = '/redfish/v1/AccountService/Accounts/3';
    const t1 = await login(call, 'operator', 'operpass');
    const t2 = await login(call, 'operator', 'operpass');
    const self = await call('PATCH', acct, { token: t1, body: { Password: 'newoperpass' } });
    assert.equal(self.status, 200);
    assert.equal((await call('GET', acct, { token: t1 })).status, 200);
    assert.equal((await call('GET', acct, { token: t2 })).status, 401);
    for (const body of [{ RoleId: 'ReadOnly' }, { Enabled: false }, { Password: 'another123' }] as const) {
      await call('PATCH', acct, { body: { Enabled: true } });
      const t = await login(call, 'operator', 'newoperpass');
      assert.equal((await call('PATCH', acct, { body })).status, 200);
      assert.equal((await call('GET', acct, { token: t })).status, 401, JSON.stringify(body));
    }
  });

  it('Locked reflects the shared lockout; PATCH Locked false unlocks, true is refused', async () => {
    const { call, bmc } = setup();
    const acct = '/redfish/v1/AccountService/Accounts/3';
    for (let i = 0; i < bmc.users.lockout.threshold; i++) assert.equal((await call('GET', acct, { auth: basic('operator', 'wrong') })).status, 401);
    assert.equal(bmc.users.isLocked(3), true);
    assert.equal((await call('GET', acct, { auth: OPERATOR })).status, 401);
    const g = await call('GET', acct);
    assert.equal(g.json.Locked, true);
    const bad = await call('PATCH', acct, { body: { Locked: true } });
    assert.equal(bad.status, 400);
    assert.deepEqual(messageIds(bad), ['PropertyValueNotInList']);
    assert.equal((await call('PATCH', acct, { body: { Locked: false } })).status, 200);
    assert.equal(bmc.users.isLocked(3), false);
    assert.equal((await call('GET', acct, { auth: OPERATOR })).status, 200);
  });

  it('the lockout ends after AccountLockoutDuration', async () => {
    const { call, bmc, clock } = setup();
    await call('PATCH', '/redfish/v1/AccountService', { body: { AccountLockoutThreshold: 2, AccountLockoutDuration: 30, AccountLockoutCounterResetAfter: 30 } });
    await call('GET', '/redfish/v1/AccountService', { auth: basic('operator', 'wrong') });
    await call('GET', '/redfish/v1/AccountService', { auth: basic('operator', 'wrong') });
    assert.equal(bmc.users.isLocked(3), true);
    clock.advance(29_000);
    assert.equal((await call('GET', '/redfish/v1/AccountService', { auth: OPERATOR })).status, 401);
    clock.advance(1_001);
    assert.equal((await call('GET', '/redfish/v1/AccountService', { auth: OPERATOR })).status, 200);
  });

  it('never leaves the BMC without an enabled Administrator', async () => {
    const { call, bmc } = setup();
    const acct = '/redfish/v1/AccountService/Accounts';
    for (const body of [{ RoleId: 'Operator' }, { Enabled: false }, { RoleId: 'NoAccess' }]) {
      const r = await call('PATCH', `${acct}/2`, { body });
      assert.equal(r.status, 409, JSON.stringify(body));
      assert.deepEqual(messageIds(r), ['PropertyValueResourceConflict']);
    }
    const del = await call('DELETE', `${acct}/2`);
    assert.equal(del.status, 409);
    assert.deepEqual(messageIds(del), ['ResourceCannotBeDeleted']);
    assert.equal(bmc.users.roleOf(2), 'Administrator');
    assert.equal(bmc.users.get(2)!.enabled, true);
    // a disabled second administrator does not count
    await call('POST', acct, { body: { UserName: 'admin2', Password: 'admin2pass', RoleId: 'Administrator', Enabled: false } });
    assert.equal((await call('DELETE', `${acct}/2`)).status, 409);
    assert.equal((await call('PATCH', `${acct}/4`, { body: { Enabled: true } })).status, 200);
    assert.equal((await call('PATCH', `${acct}/2`, { body: { RoleId: 'ReadOnly' } })).status, 200);
    assert.equal((await call('PATCH', `${acct}/2`, { body: { RoleId: 'Administrator' } })).status, 403, 'admin lost ConfigureUsers');
    const d = await call('DELETE', `${acct}/2`, { auth: basic('admin2', 'admin2pass') });
    assert.equal(d.status, 200);
    assert.equal(bmc.users.get(2)!.name, '');
    assert.equal((await call('GET', `${acct}/2`, { auth: basic('admin2', 'admin2pass') })).status, 404);
  });

  it('DELETE clears the slot, ends its sessions, and frees the slot for reuse', async () => {
    const { call, bmc } = setup();
    const t = await login(call, 'operator', 'operpass');
    const r = await call('DELETE', '/redfish/v1/AccountService/Accounts/3');
    assert.equal(r.status, 200);
    assert.equal((await call('GET', '/redfish/v1/SessionService', { token: t })).status, 401);
    assert.equal(bmc.users.byName('operator'), undefined);
    assert.equal(bmc.users.freeSlot(), 3);
    assert.equal(bmc.users.access(3, 1).privilege, 0xf);
  });

  it('an IPMI user with no LAN access shows as NoAccess and cannot log in', async () => {
    const { call, bmc } = setup();
    bmc.users.setName(6, 'ipmionly');
    bmc.users.setPassword(6, Buffer.from('ipmipass'), false);
    bmc.users.setEnabled(6, true);
    const r = await call('GET', '/redfish/v1/AccountService/Accounts/6');
    validate(r.json);
    assert.equal(r.json.RoleId, 'NoAccess');
    assert.deepEqual(r.json.AccountTypes, ['Redfish']);
    assert.equal((await call('GET', '/redfish/v1/AccountService', { auth: basic('ipmionly', 'ipmipass') })).status, 401);
  });
});

describe('Roles', () => {
  it('lists the predefined roles, each schema-valid with the DSP0266 privileges', async () => {
    const { call } = setup();
    const c = await call('GET', '/redfish/v1/AccountService/Roles', { auth: basic('operator', 'operpass') });
    validate(c.json);
    assert.equal(c.json['Members@odata.count'], 4);
    const expected: Record<string, string[]> = {
      Administrator: ['Login', 'ConfigureManager', 'ConfigureUsers', 'ConfigureSelf', 'ConfigureComponents'],
      Operator: ['Login', 'ConfigureSelf', 'ConfigureComponents'],
      ReadOnly: ['Login', 'ConfigureSelf'],
      NoAccess: [],
    };
    for (const [id, privs] of Object.entries(expected)) {
      const r = await call('GET', `/redfish/v1/AccountService/Roles/${id}`);
      assert.equal(r.status, 200);
      validate(r.json);
      assert.equal(r.json.IsPredefined, true);
      assert.deepEqual(r.json.AssignedPrivileges, privs);
    }
  });

  it('roles are read-only and unknown roles are 404', async () => {
    const { call } = setup();
    for (const method of ['PATCH', 'POST', 'PUT', 'DELETE']) {
      const r = await call(method, '/redfish/v1/AccountService/Roles/Operator', { body: { AssignedPrivileges: ['Login'] } });
      assert.equal(r.status, 405, method);
      assert.equal(r.headers.Allow, 'GET, HEAD');
    }
    assert.equal((await call('POST', '/redfish/v1/AccountService/Roles', { body: { RoleId: 'x' } })).status, 405);
    for (const id of ['Admin', 'administrator', 'Administrator2', 'x']) {
      assert.equal((await call('GET', `/redfish/v1/AccountService/Roles/${id}`)).status, 404);
    }
  });
});

describe('Sessions and accounts', () => {
  it('a session expires after SessionTimeout of inactivity (ManualClock)', async () => {
    const { call, clock } = setup();
    assert.equal((await call('PATCH', '/redfish/v1/SessionService', { body: { SessionTimeout: 30 } })).status, 200);
    const t = await login(call, 'operator', 'operpass');
    clock.advance(29_000);
    assert.equal((await call('GET', '/redfish/v1/AccountService', { token: t })).status, 200, 'activity refreshes');
    clock.advance(29_000);
    assert.equal((await call('GET', '/redfish/v1/AccountService', { token: t })).status, 200);
    clock.advance(30_001);
    assert.equal((await call('GET', '/redfish/v1/AccountService', { token: t })).status, 401);
  });
});
