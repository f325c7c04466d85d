// AccountService against the real tsbmc process with real clients: an
// account made over Redfish (redfishtool, raw HTTPS) works with ipmitool at
// its role's privilege, an IPMI user made with ipmitool logs in over Redfish,
// and the bad-password lockout is one lockout for both front doors.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ADMIN_PASSWORD, ipmitool, redfish, run, startBmcProcess, type BmcProcess, type RunResult } from './helpers/bmc-process.js';

let bmc: BmcProcess;
before(async () => {
  bmc = await startBmcProcess();
});
after(async () => {
  await bmc.stop();
});

/** redfishtool over HTTPS (it does not verify the self-signed certificate). */
function redfishtool(args: readonly string[], opts: { user?: string; password?: string } = {}): Promise<RunResult> {
  return run('redfishtool', ['-r', `127.0.0.1:${bmc.httpsPort}`, '-u', opts.user ?? 'admin', '-p', opts.password ?? ADMIN_PASSWORD, '-S', 'Always', ...args]);
}

async function rt(args: readonly string[], opts: { user?: string; password?: string } = {}): Promise<string> {
  const r = await redfishtool(args, opts);
  assert.equal(r.code, 0, `redfishtool ${args.join(' ')}: ${r.stdout}${r.stderr}`);
  return r.stdout;
}

async function ipmiOk(args: string[], opts: Parameters<typeof ipmitool>[2] = {}): Promise<string> {
  const r = await ipmitool(bmc, args, opts);
  assert.equal(r.code, 0, `ipmitool ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

test('redfishtool reads the AccountService, its Accounts and Roles', async () => {
  const svc = JSON.parse(await rt(['AccountService'])) as Record<string, unknown>;
  assert.equal(svc['@odata.type'], '#AccountService.v1_18_1.AccountService');
  assert.equal(svc.MaxPasswordLength, 20);
  const list = JSON.parse(await rt(['AccountService', 'Accounts', 'list'])) as { Members: { Id: string; UserName: string }[] };
  assert.deepEqual(list.Members.map((m) => [m.Id, m.UserName]), [['2', 'admin']]);
  const roles = JSON.parse(await rt(['AccountService', 'Roles', 'list'])) as { Members: { Id: string; IsPredefined: boolean }[] };
  assert.deepEqual(roles.Members.map((m) => m.Id), ['Administrator', 'Operator', 'ReadOnly', 'NoAccess']);
  assert.ok(roles.Members.every((m) => m.IsPredefined));
});

test('an account added with redfishtool works with ipmitool at its role, and goes away with deleteuser', async () => {
  const added = JSON.parse(await rt(['AccountService', 'adduser', 'rfuser', 'Rfpassw0rd', 'Operator'])) as Record<string, unknown>;
  assert.equal(added.UserName, 'rfuser');
  assert.equal(added.RoleId, 'Operator');
  const id = String(added.Id);
  // the IPMI user table shows it at the Operator limit on the LAN channel
  assert.match(await ipmiOk(['user', 'list', '1']), new RegExp(`^${id}\\s+rfuser\\s+true\\s+true\\s+true\\s+OPERATOR`, 'm'));
  const status = await ipmiOk(['-L', 'OPERATOR', 'chassis', 'status'], { user: 'rfuser', password: 'Rfpassw0rd' });
  assert.match(status, /System Power\s+:/);
  const asAdmin = await ipmitool(bmc, ['-L', 'ADMINISTRATOR', 'chassis', 'status'], { user: 'rfuser', password: 'Rfpassw0rd' });
  assert.notEqual(asAdmin.code, 0, 'an Operator cannot open an Administrator session');
  // password, role and enable changes made with redfishtool reach IPMI
  await rt(['AccountService', 'setpassword', 'rfuser', 'N3wpassw0rd']);
  assert.notEqual((await ipmitool(bmc, ['-L', 'OPERATOR', 'chassis', 'status'], { user: 'rfuser', password: 'Rfpassw0rd' })).code, 0);
  await ipmiOk(['-L', 'OPERATOR', 'chassis', 'status'], { user: 'rfuser', password: 'N3wpassw0rd' });
  await rt(['AccountService', 'useradmin', 'rfuser', 'setRoleId', 'ReadOnly']);
  await ipmiOk(['-L', 'USER', 'chassis', 'status'], { user: 'rfuser', password: 'N3wpassw0rd' });
  assert.notEqual((await ipmitool(bmc, ['-L', 'OPERATOR', 'chassis', 'status'], { user: 'rfuser', password: 'N3wpassw0rd' })).code, 0);
  await rt(['AccountService', 'useradmin', 'rfuser', 'disable']);
  assert.notEqual((await ipmitool(bmc, ['-L', 'USER', 'chassis', 'status'], { user: 'rfuser', password: 'N3wpassw0rd' })).code, 0);
  assert.equal((await redfish(bmc, 'GET', '/redfish/v1/AccountService', { user: 'rfuser', password: 'N3wpassw0rd' })).status, 401);
  await rt(['AccountService', 'useradmin', 'rfuser', 'enable']);
  assert.equal((await redfish(bmc, 'GET', `/redfish/v1/AccountService/Accounts/${id}`, { user: 'rfuser', password: 'N3wpassw0rd' })).status, 200);
  await rt(['AccountService', 'deleteuser', 'rfuser']);
  assert.doesNotMatch(await ipmiOk(['user', 'list', '1']), /rfuser/);
  assert.notEqual((await ipmitool(bmc, ['-L', 'USER', 'chassis', 'status'], { user: 'rfuser', password: 'N3wpassw0rd' })).code, 0);
  assert.equal((await redfish(bmc, 'GET', `/redfish/v1/AccountService/Accounts/${id}`)).status, 404);
});

test('POST Accounts over HTTPS: 201 with Location; duplicate 409; weak password refused', async () => {
  const r = await redfish(bmc, 'POST', '/redfish/v1/AccountService/Accounts', { body: { UserName: 'bob', Password: 'b0bpassword', RoleId: 'Administrator' } });
  assert.equal(r.status, 201, r.text);
  assert.match(String(r.headers.location), /^\/redfish\/v1\/AccountService\/Accounts\/\d+$/);
  await ipmiOk(['-L', 'ADMINISTRATOR', 'mc', 'info'], { user: 'bob', password: 'b0bpassword' });
  const dup = await redfish(bmc, 'POST', '/redfish/v1/AccountService/Accounts', { body: { UserName: 'bob', Password: 'b0bpassword', RoleId: 'ReadOnly' } });
  assert.equal(dup.status, 409);
  assert.match(dup.body.error['@Message.ExtendedInfo'][0].MessageId, /ResourceAlreadyExists$/);
  const weak = await redfish(bmc, 'POST', '/redfish/v1/AccountService/Accounts', { body: { UserName: 'carol', Password: 'short', RoleId: 'ReadOnly' } });
  assert.equal(weak.status, 400);
  assert.match(weak.body.error['@Message.ExtendedInfo'][0].MessageId, /PasswordIncorrectLength$/);
  assert.ok(!weak.text.includes('short'));
  const del = await redfish(bmc, 'DELETE', String(r.headers.location));
  assert.equal(del.status, 200);
});

test('a user made with ipmitool logs in over Redfish: session token works, DELETE logs out', async () => {
  await ipmiOk(['user', 'set', 'name', '9', 'ipmiuser']);
  await ipmiOk(['user', 'set', 'password', '9', 'Ipmipassw0rd']);
  await ipmiOk(['user', 'priv', '9', '3', '1']);
  await ipmiOk(['user', 'enable', '9']);
  const acct = await redfish(bmc, 'GET', '/redfish/v1/AccountService/Accounts/9');
  assert.equal(acct.status, 200);
  assert.equal(acct.body.UserName, 'ipmiuser');
  assert.equal(acct.body.RoleId, 'Operator');
  const login = await redfish(bmc, 'POST', '/redfish/v1/SessionService/Sessions', { noAuth: true, body: { UserName: 'ipmiuser', Password: 'Ipmipassw0rd' } });
  assert.equal(login.status, 201, login.text);
  const token = String(login.headers['x-auth-token']);
  const location = String(login.headers.location);
  assert.equal((await redfish(bmc, 'GET', '/redfish/v1/AccountService/Accounts/9', { token })).status, 200);
  assert.equal((await redfish(bmc, 'GET', '/redfish/v1/AccountService/Accounts/2', { token })).status, 403);
  assert.equal((await redfish(bmc, 'DELETE', location, { token })).status, 204);
  assert.equal((await redfish(bmc, 'GET', '/redfish/v1/AccountService/Accounts/9', { token })).status, 401);
  // redfishtool's own session login (-A Session) with the same account
  const viaSession = await rt(['-A', 'Session', 'AccountService', 'Accounts', '-i', '9'], { user: 'ipmiuser', password: 'Ipmipassw0rd' });
  assert.match(viaSession, /"UserName": "ipmiuser"/);
  const tokenLogin = JSON.parse(await rt(['SessionService', 'login'], { user: 'ipmiuser', password: 'Ipmipassw0rd' })) as Record<string, string>;
  const t2 = tokenLogin['X-Auth-Token']!;
  assert.equal((await redfish(bmc, 'GET', '/redfish/v1/SessionService', { token: t2 })).status, 200);
  await rt(['-A', 'Session', '-t', t2, 'SessionService', 'logout', '-l', tokenLogin.SessionLocation!]);
  assert.equal((await redfish(bmc, 'GET', '/redfish/v1/SessionService', { token: t2 })).status, 401);
  // the IPMI side disables the user: Redfish refuses it too
  const t3 = (await redfish(bmc, 'POST', '/redfish/v1/SessionService/Sessions', { noAuth: true, body: { UserName: 'ipmiuser', Password: 'Ipmipassw0rd' } })).headers['x-auth-token'];
  await ipmiOk(['user', 'disable', '9']);
  assert.equal((await redfish(bmc, 'GET', '/redfish/v1/SessionService', { token: String(t3) })).status, 401);
  assert.equal((await redfish(bmc, 'POST', '/redfish/v1/SessionService/Sessions', { noAuth: true, body: { UserName: 'ipmiuser', Password: 'Ipmipassw0rd' } })).status, 401);
});

test('lockout: wrong Basic passwords lock the account for Redfish and IPMI; Locked false unlocks', async () => {
  // the threshold is the LAN bad password threshold: set it with ipmitool
  // (intervals in tens of seconds), read it over Redfish
  await ipmiOk(['lan', 'set', '1', 'bad_pass_thresh', '3', '1', '6', '12']);
  const svc = await redfish(bmc, 'GET', '/redfish/v1/AccountService');
  assert.equal(svc.body.AccountLockoutThreshold, 3);
  assert.equal(svc.body.AccountLockoutCounterResetAfter, 60);
  assert.equal(svc.body.AccountLockoutDuration, 120);
  const created = await redfish(bmc, 'POST', '/redfish/v1/AccountService/Accounts', { body: { UserName: 'locky', Password: 'L0ckypassw0rd', RoleId: 'Operator' } });
  assert.equal(created.status, 201);
  const path = String(created.headers.location);
  await ipmiOk(['-L', 'OPERATOR', 'chassis', 'status'], { user: 'locky', password: 'L0ckypassw0rd' });
  for (let i = 0; i < 3; i++) assert.equal((await redfish(bmc, 'GET', '/redfish/v1/AccountService', { user: 'locky', password: 'wrong-one' })).status, 401);
  assert.equal((await redfish(bmc, 'GET', '/redfish/v1/AccountService', { user: 'locky', password: 'L0ckypassw0rd' })).status, 401);
  assert.notEqual((await ipmitool(bmc, ['-L', 'OPERATOR', 'chassis', 'status'], { user: 'locky', password: 'L0ckypassw0rd' })).code, 0);
  assert.equal((await redfish(bmc, 'GET', path)).body.Locked, true);
  assert.equal((await redfish(bmc, 'PATCH', path, { body: { Locked: true } })).status, 400);
  assert.equal((await redfish(bmc, 'PATCH', path, { body: { Locked: false } })).status, 200);
  assert.equal((await redfish(bmc, 'GET', path)).body.Locked, false);
  await ipmiOk(['-L', 'OPERATOR', 'chassis', 'status'], { user: 'locky', password: 'L0ckypassw0rd' });
  assert.equal((await redfish(bmc, 'GET', '/redfish/v1/AccountService', { user: 'locky', password: 'L0ckypassw0rd' })).status, 200);
  // and the other way: PATCH over Redfish, read with ipmitool
  const p = await redfish(bmc, 'PATCH', '/redfish/v1/AccountService', { body: { AccountLockoutThreshold: 7, AccountLockoutDuration: 300, AccountLockoutCounterResetAfter: 100 } });
  assert.equal(p.status, 200, p.text);
  const lan = await ipmiOk(['lan', 'print', '1']);
  assert.match(lan, /Bad Password Threshold\s*:\s*7/);
  assert.match(lan, /Attempt Count Reset Int\.\s*:\s*100/);
  assert.match(lan, /User Lockout Interval\s*:\s*300/);
});
