// AccountService (AccountService.v1_18_1), its Accounts (ManagerAccount.v1_14_1)
// and Roles (Role.v1_3_3), over the one account table IPMI uses: an account
// is a named IPMI user slot (its Id is the slot number), its RoleId is its
// LAN privilege limit, and the lockout settings are the LAN "bad password
// threshold" (IPMI v2.0 table 23-4, parameter 26), so a lockout counts
// failures from both front doors.
//
// Lockout mapping: AccountLockoutThreshold = threshold (0 = never lock);
// AccountLockoutCounterResetAfter = the attempt count reset interval
// (0 = kept until a successful login, reported as
// AccountLockoutCounterResetEnabled false); AccountLockoutDuration = the user
// lockout interval. IPMI keeps both intervals in tens of seconds, so Redfish
// writes must be multiples of 10; a duration of 0 keeps IPMI's meaning
// (locked until an administrator unlocks with Locked: false), and Redfish
// clients turn lockout off with AccountLockoutThreshold 0.
import type { Bmc } from '../../model/bmc.js';
import { MAX_PASSWORD, MAX_USER_NAME, ROLE_CHANNEL, type AccountRole, type User } from '../../model/users.js';
import { readBody } from '../body.js';
import { ROOT, paths } from '../ids.js';
import { Base, Errors, RedfishError } from '../messages.js';
import { ROLE_PRIVILEGES, type RedfishPrivilege } from '../privileges.js';
import type { HandlerResult, JsonObject, RequestContext, RouteDef } from '../router.js';
import { collection, odataType } from '../schemas.js';

const SERVICE = `${ROOT}/AccountService`;
const ACCOUNTS = `${SERVICE}/Accounts`;
const ROLES = `${SERVICE}/Roles`;

/** Redfish-side password policy; IPMI stores at most 20 bytes. */
export const MIN_PASSWORD_LENGTH = 8;
export const MAX_PASSWORD_LENGTH = MAX_PASSWORD;

/** Roles in the order the collection lists them; NoAccess is what IPMI calls "no access". */
export const ROLE_IDS = ['Administrator', 'Operator', 'ReadOnly', 'NoAccess'] as const satisfies readonly AccountRole[];

const ROLE_DESCRIPTIONS: Record<AccountRole, string> = {
  Administrator: 'Administrator User Role',
  Operator: 'Operator User Role',
  ReadOnly: 'ReadOnly User Role',
  NoAccess: 'NoAccess User Role',
};

/** IPMI user names: printable, and no ':' (HTTP Basic splits there). */
const USER_NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
/** Printable ASCII: the bytes ipmitool and Basic both carry unchanged. */
const PASSWORD_CHARS = /^[\x20-\x7e]*$/;

export function rolePath(role: AccountRole): string {
  return `${ROLES}/${role}`;
}

function rolePrivileges(role: AccountRole): readonly RedfishPrivilege[] {
  return role === 'NoAccess' ? [] : ROLE_PRIVILEGES[role];
}

/** The AccountService resource. */
export function accountServiceBody(bmc: Bmc): JsonObject {
  const b = bmc.lan.config.badPassword;
  return {
    '@odata.id': SERVICE,
    '@odata.type': odataType('AccountService'),
    Id: 'AccountService',
    Name: 'Account Service',
    Description: 'Local accounts, shared with IPMI',
    Status: { State: 'Enabled', Health: 'OK' },
    ServiceEnabled: true,
    LocalAccountAuth: 'Enabled',
    MinPasswordLength: MIN_PASSWORD_LENGTH,
    MaxPasswordLength: MAX_PASSWORD_LENGTH,
    AccountLockoutThreshold: b.threshold,
    AccountLockoutDuration: b.lockoutS,
    AccountLockoutCounterResetAfter: b.resetIntervalS,
    AccountLockoutCounterResetEnabled: b.resetIntervalS > 0,
    SupportedAccountTypes: ['Redfish', 'IPMI'],
    Accounts: { '@odata.id': ACCOUNTS },
    Roles: { '@odata.id': ROLES },
  };
}

function accountTypes(bmc: Bmc, u: User): string[] {
  return bmc.users.access(u.id, ROLE_CHANNEL).ipmiMessaging ? ['Redfish', 'IPMI'] : ['Redfish'];
}

/** A ManagerAccount body for a named slot. */
export function accountBody(bmc: Bmc, u: User): JsonObject {
  const role = bmc.users.roleOf(u.id);
  return {
    '@odata.id': paths.account(u.id),
    '@odata.type': odataType('ManagerAccount'),
    Id: String(u.id),
    Name: 'User Account',
    Description: `User Account (IPMI user ${u.id})`,
    UserName: u.name,
    Password: null,
    RoleId: role,
    Enabled: u.enabled,
    Locked: bmc.users.isLocked(u.id),
    AccountTypes: accountTypes(bmc, u),
    Links: { Role: { '@odata.id': rolePath(role) } },
  };
}

export function roleBody(role: AccountRole): JsonObject {
  return {
    '@odata.id': rolePath(role),
    '@odata.type': odataType('Role'),
    Id: role,
    Name: 'User Role',
    Description: ROLE_DESCRIPTIONS[role],
    RoleId: role,
    IsPredefined: true,
    AssignedPrivileges: [...rolePrivileges(role)],
    OemPrivileges: [],
  };
}

/** The slot an {AccountId} names: decimal, in range, with a name; else 404. */
function accountById(bmc: Bmc, id: string | undefined): User {
  const n = id !== undefined && /^[1-9]\d{0,2}$/.test(id) ? Number(id) : 0;
  const u = n >= 2 ? bmc.users.get(n) : undefined;
  if (!u || u.name === '') throw Errors.notFound('ManagerAccount', id ?? '');
  return u;
}

function canManage(ctx: RequestContext): boolean {
  return ctx.principal?.privileges.has('ConfigureUsers') ?? false;
}

function isSelf(ctx: RequestContext): boolean {
  return ctx.principal !== undefined && ctx.params.AccountId === String(ctx.principal.userId);
}

/** ConfigureSelf: a PATCH of one's own account that changes only Password. */
function ownPasswordOnly(ctx: RequestContext): boolean {
  if (!isSelf(ctx) || !ctx.principal?.privileges.has('ConfigureSelf')) return false;
  const b = ctx.body;
  if (!b || typeof b !== 'object' || Array.isArray(b)) return false;
  const keys = Object.keys(b).filter((k) => !k.startsWith('@odata.'));
  return keys.length > 0 && keys.every((k) => k === 'Password');
}

function checkPassword(password: string): void {
  const rel = ['#/Password'];
  if (password.length < MIN_PASSWORD_LENGTH || Buffer.byteLength(password, 'latin1') > MAX_PASSWORD_LENGTH) {
    throw new RedfishError(400, [Base.message('PasswordIncorrectLength', [], rel)]);
  }
  if (!PASSWORD_CHARS.test(password)) throw new RedfishError(400, [Base.message('PasswordComplexityNotMet', [], rel)]);
}

function checkUserName(bmc: Bmc, name: string, self: number | undefined): void {
  if (!USER_NAME.test(name)) throw Errors.propertyValueFormat(name, 'UserName');
  const other = bmc.users.byName(name);
  if (other && other.id !== self) throw Errors.alreadyExists('ManagerAccount', 'UserName', name);
}

/** True when some enabled account other than `except` would still be an Administrator. */
function anotherAdministrator(bmc: Bmc, except: number): boolean {
  return bmc.users.all().some((u) => u.id !== except && u.id !== 1 && u.name !== '' && u.enabled && bmc.users.roleOf(u.id) === 'Administrator');
}

const NAME_FIELD = { type: 'string', maxLength: MAX_USER_NAME } as const;
const ROLE_FIELD = { type: 'string', enum: ROLE_IDS } as const;
// no maxLength here: StringValueTooLong would echo the password
const PASSWORD_FIELD = { type: 'string' } as const;

const READ_ONLY_ACCOUNT = {
  Id: { type: 'string', readOnly: true },
  Name: { type: 'string', readOnly: true },
  Description: { type: 'string', readOnly: true },
  AccountTypes: { type: 'array', items: { type: 'string' }, readOnly: true },
  Links: { type: 'object', fields: {}, readOnly: true },
} as const;

interface AccountCreate {
  UserName: string;
  Password: string;
  RoleId: AccountRole;
  Enabled?: boolean;
}

interface AccountPatch {
  UserName?: string;
  Password?: string;
  RoleId?: AccountRole;
  Enabled?: boolean;
  Locked?: boolean;
}

function createAccount(ctx: RequestContext): HandlerResult {
  const b = readBody<AccountCreate>(
    ctx.body,
    { UserName: NAME_FIELD, Password: PASSWORD_FIELD, RoleId: ROLE_FIELD, Enabled: { type: 'boolean' }, ...READ_ONLY_ACCOUNT },
    { required: ['UserName', 'Password', 'RoleId'] },
  );
  const users = ctx.bmc.users;
  checkUserName(ctx.bmc, b.UserName, undefined);
  checkPassword(b.Password);
  const id = users.freeSlot();
  if (id === undefined) throw Errors.createLimit();
  const failed =
    users.setName(id, b.UserName) ??
    users.setPassword(id, Buffer.from(b.Password, 'latin1'), Buffer.byteLength(b.Password, 'latin1') > 16) ??
    users.setRole(id, b.RoleId) ??
    users.setEnabled(id, b.Enabled ?? true);
  if (failed) {
    users.clear(id);
    throw Errors.internal();
  }
  ctx.services.log.info('Redfish account created', { id, user: b.UserName, role: b.RoleId, by: ctx.principal?.userName });
  const u = users.get(id)!;
  return { status: 201, headers: { Location: paths.account(id) }, body: accountBody(ctx.bmc, u) };
}

function patchAccount(ctx: RequestContext): HandlerResult {
  const u = accountById(ctx.bmc, ctx.params.AccountId);
  const b = readBody<AccountPatch>(ctx.body, {
    UserName: NAME_FIELD,
    Password: { ...PASSWORD_FIELD },
    RoleId: ROLE_FIELD,
    Enabled: { type: 'boolean' },
    Locked: { type: 'boolean' },
    ...READ_ONLY_ACCOUNT,
  });
  const users = ctx.bmc.users;
  const path = paths.account(u.id);
  // Validate everything before changing anything.
  if (b.UserName !== undefined) checkUserName(ctx.bmc, b.UserName, u.id);
  if (b.Password !== undefined) checkPassword(b.Password);
  if (b.Locked === true) throw Errors.propertyValueNotInList(true, 'Locked');
  const staysAdmin = (b.RoleId ?? users.roleOf(u.id)) === 'Administrator' && (b.Enabled ?? u.enabled);
  if (!staysAdmin && !anotherAdministrator(ctx.bmc, u.id) && users.roleOf(u.id) === 'Administrator' && u.enabled) {
    const [prop, value] = b.Enabled === false ? ['Enabled', 'false'] : ['RoleId', String(b.RoleId)];
    throw new RedfishError(409, [Base.message('PropertyValueResourceConflict', [prop, value, path], [`#/${prop}`])]);
  }
  if (b.UserName !== undefined && b.UserName !== u.name) users.setName(u.id, b.UserName);
  if (b.Password !== undefined) users.setPassword(u.id, Buffer.from(b.Password, 'latin1'), Buffer.byteLength(b.Password, 'latin1') > 16);
  if (b.RoleId !== undefined && b.RoleId !== users.roleOf(u.id)) users.setRole(u.id, b.RoleId);
  if (b.Enabled !== undefined && b.Enabled !== u.enabled) users.setEnabled(u.id, b.Enabled);
  if (b.Locked === false) users.unlock(u.id);
  if (b.UserName !== undefined || b.Password !== undefined || b.RoleId !== undefined || b.Enabled === false) {
    // the caller keeps the session it is using to change its own account
    ctx.services.sessions.deleteForUser(u.id, isSelf(ctx) ? ctx.principal?.session?.id : undefined);
  }
  ctx.services.log.info('Redfish account modified', { id: u.id, by: ctx.principal?.userName, properties: Object.keys(b).join(',') });
  return { status: 200, body: { ...accountBody(ctx.bmc, u), '@Message.ExtendedInfo': [Base.message('AccountModified')] } };
}

function deleteAccount(ctx: RequestContext): HandlerResult {
  const u = accountById(ctx.bmc, ctx.params.AccountId);
  const users = ctx.bmc.users;
  if (u.enabled && users.roleOf(u.id) === 'Administrator' && !anotherAdministrator(ctx.bmc, u.id)) {
    throw new RedfishError(409, [Base.message('ResourceCannotBeDeleted')]);
  }
  ctx.services.sessions.deleteForUser(u.id);
  users.clear(u.id);
  ctx.services.log.info('Redfish account deleted', { id: u.id, by: ctx.principal?.userName });
  return { status: 200, body: { '@Message.ExtendedInfo': [Base.message('Success')] } };
}

interface ServicePatch {
  AccountLockoutThreshold?: number;
  AccountLockoutDuration?: number;
  AccountLockoutCounterResetAfter?: number;
}

/** IPMI keeps the intervals as 16-bit counts of 10 s. */
const INTERVAL = { type: 'integer', min: 0, max: 0xffff * 10 } as const;

function patchService(ctx: RequestContext): HandlerResult {
  const b = readBody<ServicePatch>(ctx.body, {
    AccountLockoutThreshold: { type: 'integer', min: 0, max: 255 },
    AccountLockoutDuration: INTERVAL,
    AccountLockoutCounterResetAfter: INTERVAL,
    ServiceEnabled: { type: 'boolean', readOnly: true },
    MinPasswordLength: { type: 'integer', readOnly: true },
    MaxPasswordLength: { type: 'integer', readOnly: true },
    LocalAccountAuth: { type: 'string', readOnly: true },
    AccountLockoutCounterResetEnabled: { type: 'boolean', readOnly: true },
    Id: { type: 'string', readOnly: true },
    Name: { type: 'string', readOnly: true },
  });
  for (const p of ['AccountLockoutDuration', 'AccountLockoutCounterResetAfter'] as const) {
    const v = b[p];
    if (v !== undefined && v % 10 !== 0) throw Errors.propertyValueFormat(v, p);
  }
  const cur = ctx.bmc.lan.config.badPassword;
  const next = {
    ...cur,
    ...(b.AccountLockoutThreshold !== undefined ? { threshold: b.AccountLockoutThreshold } : {}),
    ...(b.AccountLockoutDuration !== undefined ? { lockoutS: b.AccountLockoutDuration } : {}),
    ...(b.AccountLockoutCounterResetAfter !== undefined ? { resetIntervalS: b.AccountLockoutCounterResetAfter } : {}),
  };
  if (next.lockoutS > 0 && next.resetIntervalS > next.lockoutS) {
    const p = b.AccountLockoutCounterResetAfter !== undefined ? 'AccountLockoutCounterResetAfter' : 'AccountLockoutDuration';
    const other = p === 'AccountLockoutDuration' ? 'AccountLockoutCounterResetAfter' : 'AccountLockoutDuration';
    throw new RedfishError(400, [Base.message('PropertyValueConflict', [p, other], [`#/${p}`])]);
  }
  ctx.bmc.lan.update({ badPassword: next }, 26);
  return { status: 200, body: { ...accountServiceBody(ctx.bmc), '@Message.ExtendedInfo': [Base.message('Success')] } };
}

export function accountRoutes(): RouteDef[] {
  return [
    {
      path: SERVICE,
      entity: 'AccountService',
      get: (ctx) => accountServiceBody(ctx.bmc),
      patch: patchService,
    },
    {
      path: ACCOUNTS,
      entity: 'ManagerAccountCollection',
      get: (ctx) => {
        const named = ctx.bmc.users.all().filter((u) => u.id !== 1 && u.name !== '');
        // without ConfigureUsers an account sees only itself (as bmcweb does)
        const visible = canManage(ctx) ? named : named.filter((u) => u.id === ctx.principal?.userId);
        return collection('ManagerAccount', ACCOUNTS, 'Accounts Collection', visible.map((u) => paths.account(u.id)));
      },
      post: createAccount,
    },
    {
      path: `${ACCOUNTS}/{AccountId}`,
      entity: 'ManagerAccount',
      allowIf: { PATCH: ownPasswordOnly },
      get: (ctx) => {
        const u = accountById(ctx.bmc, ctx.params.AccountId);
        if (!canManage(ctx) && !ctx.principal?.privileges.has('ConfigureManager') && u.id !== ctx.principal?.userId) {
          throw Errors.insufficientPrivilege();
        }
        return accountBody(ctx.bmc, u);
      },
      patch: patchAccount,
      delete: deleteAccount,
    },
    {
      path: ROLES,
      entity: 'RoleCollection',
      get: () => collection('Role', ROLES, 'Roles Collection', ROLE_IDS.map(rolePath)),
    },
    {
      path: `${ROLES}/{RoleId}`,
      entity: 'Role',
      get: (ctx) => {
        const role = ROLE_IDS.find((r) => r === ctx.params.RoleId);
        if (!role) throw Errors.notFound('Role', ctx.params.RoleId ?? '');
        return roleBody(role);
      },
    },
  ];
}
