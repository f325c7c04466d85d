// BIOS settings and UEFI Secure Boot of each ComputerSystem: Bios (v1_2_3)
// with its Settings object (@Redfish.Settings, Settings v1_4_0; applied
// OnReset, DSP0266 "Settings resource"), the actions Bios.ResetBios and
// Bios.ChangePassword, SecureBoot (v1_1_2) with SecureBoot.ResetKeys, and
// the BIOS attribute registry (AttributeRegistry v1_4_0) with its registry
// file in /redfish/v1/Registries. All of it reads and changes the host's
// model (src/model/bios.ts); pending settings apply when the host next
// powers on or resets, however that is asked for (Redfish, IPMI, the
// power button). A PATCH of the Settings object is all or nothing: any bad
// attribute refuses the whole request with one Base message per problem,
// naming the property as Attributes/<Name>.
import type { Bmc } from '../../model/bmc.js';
import { RESET_KEYS_TYPES, type AttributeDef, type AttributeProblem, type ResetKeysType } from '../../model/bios.js';
import type { Host } from '../../model/host.js';
import { readBody, type Spec } from '../body.js';
import { hostBySystemId, paths, ROOT, systemId } from '../ids.js';
import { Base, Errors, RedfishError, type RedfishMessage } from '../messages.js';
import type { JsonObject, RequestContext, RouteDef } from '../router.js';
import { odataType } from '../schemas.js';

const SYSTEM = `${ROOT}/Systems/{SystemId}`;
const RESET_BIOS = 'Bios.ResetBios';
const CHANGE_PASSWORD = 'Bios.ChangePassword';
const RESET_KEYS = 'SecureBoot.ResetKeys';

/** The attribute registry's name and version: Bios.AttributeRegistry names it, the registry file's Registry too. */
export const BIOS_REGISTRY_PREFIX = 'BiosAttributeRegistry';
export const BIOS_REGISTRY_VERSION = '1.0.0';
export const BIOS_REGISTRY_ID = `${BIOS_REGISTRY_PREFIX}.${BIOS_REGISTRY_VERSION}`;
/** The registry file resource, a member of the Registries collection. */
export const BIOS_REGISTRY_FILE_PATH = `${ROOT}/Registries/${BIOS_REGISTRY_PREFIX}`;
const BIOS_REGISTRY_PATH = `${BIOS_REGISTRY_FILE_PATH}/${BIOS_REGISTRY_PREFIX}`;

const biosPath = (bmc: Bmc, h: Host): string => `${paths.system(bmc, h)}/Bios`;
const secureBootPath = (bmc: Bmc, h: Host): string => `${paths.system(bmc, h)}/SecureBoot`;

/** A registry message as JSON (its fields are all JSON values). */
const json = (m: RedfishMessage): JsonObject => m as unknown as JsonObject;

function settingsAnnotation(bmc: Bmc, host: Host): JsonObject {
  const last = host.bios.lastApplied;
  return {
    '@odata.type': odataType('Settings'),
    SettingsObject: { '@odata.id': `${biosPath(bmc, host)}/Settings` },
    SupportedApplyTimes: ['OnReset'],
    ...(last
      ? {
          Time: new Date(last.time).toISOString(),
          Messages: [json(Base.message('Success', [], last.attributes.map((a) => `#/Attributes/${a}`)))],
        }
      : {}),
  };
}

/** The Bios resource: the values in effect. */
export function biosBody(bmc: Bmc, host: Host): JsonObject {
  const path = biosPath(bmc, host);
  return {
    '@odata.id': path,
    '@odata.type': odataType('Bios'),
    Id: 'Bios',
    Name: 'BIOS Configuration Current Settings',
    Description: 'Firmware setup attributes in effect; change them through the Settings object, applied at the next reset',
    AttributeRegistry: BIOS_REGISTRY_ID,
    Attributes: { ...host.bios.current },
    ResetBiosToDefaultsPending: host.bios.resetToDefaultsPending,
    '@Redfish.Settings': settingsAnnotation(bmc, host),
    Actions: {
      [`#${RESET_BIOS}`]: { target: `${path}/Actions/${RESET_BIOS}` },
      [`#${CHANGE_PASSWORD}`]: { target: `${path}/Actions/${CHANGE_PASSWORD}` },
    },
  };
}

/** The Settings object: the changes waiting for the next reset (empty when none). */
export function biosSettingsBody(bmc: Bmc, host: Host): JsonObject {
  return {
    '@odata.id': `${biosPath(bmc, host)}/Settings`,
    '@odata.type': odataType('Bios'),
    Id: 'Settings',
    Name: 'BIOS Configuration Pending Settings',
    Description: 'Attribute changes that take effect at the next reset or power-on',
    AttributeRegistry: BIOS_REGISTRY_ID,
    Attributes: { ...host.bios.pending },
    ResetBiosToDefaultsPending: host.bios.resetToDefaultsPending,
    '@Redfish.SettingsApplyTime': {
      '@odata.type': '#Settings.v1_4_0.PreferredApplyTime',
      ApplyTime: 'OnReset',
      'ApplyTime@Redfish.AllowableValues': ['OnReset'],
    },
  };
}

export function secureBootBody(bmc: Bmc, host: Host): JsonObject {
  const path = secureBootPath(bmc, host);
  const sb = host.bios.secureBoot;
  return {
    '@odata.id': path,
    '@odata.type': odataType('SecureBoot'),
    Id: 'SecureBoot',
    Name: 'UEFI Secure Boot',
    Description: 'SecureBootEnable takes effect at the next boot; SecureBootCurrentBoot is the running boot',
    SecureBootEnable: sb.enable,
    SecureBootCurrentBoot: sb.currentBoot,
    SecureBootMode: sb.mode,
    Actions: {
      [`#${RESET_KEYS}`]: {
        target: `${path}/Actions/${RESET_KEYS}`,
        'ResetKeysType@Redfish.AllowableValues': [...RESET_KEYS_TYPES],
      },
    },
  };
}

function menuOf(defs: readonly AttributeDef[]): string[] {
  return [...new Set(defs.map((d) => d.menu))];
}

/** One attribute's registry entry. Pure. */
export function registryAttribute(d: AttributeDef, order: number): JsonObject {
  return {
    AttributeName: d.name,
    Type: d.type,
    DisplayName: d.displayName,
    HelpText: d.helpText,
    MenuPath: `./${d.menu}`,
    DisplayOrder: order,
    ReadOnly: d.readOnly === true,
    ResetRequired: true,
    Hidden: false,
    ...(d.type === 'Password' ? { WriteOnly: true } : { DefaultValue: d.defaultValue ?? null }),
    ...(d.values ? { Value: d.values.map((v) => ({ ValueName: v.name, ValueDisplayName: v.display })) } : {}),
    ...(d.type === 'Integer' ? { LowerBound: d.lowerBound ?? null, UpperBound: d.upperBound ?? null, ScalarIncrement: 1 } : {}),
    ...(d.type === 'String' || d.type === 'Password' ? { MinLength: d.minLength ?? 0, MaxLength: d.maxLength ?? null } : {}),
  };
}

/**
 * The attribute registry document (served as registries are: no @odata.id).
 * Every host of a chassis comes from one profile, so they share it.
 */
export function attributeRegistryBody(bmc: Bmc): JsonObject {
  const defs = bmc.hosts[0]?.bios.registry ?? [];
  return {
    '@odata.type': odataType('AttributeRegistry'),
    Id: BIOS_REGISTRY_ID,
    Name: 'BIOS Attribute Registry',
    Description: 'Setup attributes of the host firmware',
    Language: 'en',
    RegistryVersion: BIOS_REGISTRY_VERSION,
    OwningEntity: 'tsbmc',
    SupportedSystems: bmc.hosts.map((h) => ({
      ProductName: h.frus.get(0)?.info.product?.name ?? 'Computer System',
      SystemId: systemId(bmc, h),
      FirmwareVersion: bmc.firmware.bios(h.index)?.version ?? h.inventory.biosVersion,
    })),
    RegistryEntries: {
      Attributes: defs.map((d, i) => registryAttribute(d, i + 1)),
      Menus: menuOf(defs).map((m, i) => ({ MenuName: m, DisplayName: m, MenuPath: `./${m}`, DisplayOrder: i + 1, ReadOnly: false, Hidden: false })),
    },
  };
}

export function attributeRegistryFileBody(): JsonObject {
  return {
    '@odata.id': BIOS_REGISTRY_FILE_PATH,
    '@odata.type': odataType('MessageRegistryFile'),
    Id: BIOS_REGISTRY_PREFIX,
    Name: 'BIOS Attribute Registry File',
    Description: 'Setup attributes of the host firmware',
    Languages: ['en'],
    Registry: BIOS_REGISTRY_ID,
    Location: [{ Language: 'en', Uri: BIOS_REGISTRY_PATH }],
  };
}

function show(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v) ?? String(v);
}

/** The Base message for an attribute problem; passwords are never echoed. */
export function attributeMessage(p: AttributeProblem, isPassword: boolean): RedfishMessage {
  const prop = `Attributes/${p.name}`;
  const rel = [`#/${prop}`];
  const value = (v: unknown): string => (isPassword ? '******' : show(v));
  switch (p.kind) {
    case 'unknown':
      return Base.message('PropertyUnknown', [prop], rel);
    case 'read-only':
      return Base.message('PropertyNotWritable', [prop], rel);
    case 'type':
      return Base.message('PropertyValueTypeError', [value(p.value), prop], rel);
    case 'not-in-list':
      return Base.message('PropertyValueNotInList', [value(p.value), prop], rel);
    case 'out-of-range':
      return Base.message('PropertyValueOutOfRange', [value(p.value), prop], rel);
    case 'too-long':
      return Base.message('StringValueTooLong', [value(p.value), p.limit], rel);
    case 'too-short':
      return Base.message('PropertyValueFormatError', [value(p.value), prop], rel);
  }
}

/** Properties of a Bios resource a client may send back unchanged: writing them is refused. */
const SETTINGS_READ_ONLY: Spec = Object.fromEntries(
  ['Id', 'Name', 'Description', 'AttributeRegistry', 'ResetBiosToDefaultsPending', 'Actions', 'Links'].map((k) => [k, { type: 'string', readOnly: true }] as const),
);
const APPLY_TIME: Spec = { ApplyTime: { type: 'string', enum: ['OnReset'] } };

function patchSettings(ctx: RequestContext): JsonObject {
  const host = hostBySystemId(ctx.bmc, ctx.params.SystemId);
  const body = ctx.body;
  if (body === undefined || body === null || typeof body !== 'object' || Array.isArray(body)) throw Errors.malformedJson();
  const { Attributes: attrs, '@Redfish.SettingsApplyTime': applyTime, ...rest } = body as Record<string, unknown>;
  const out: RedfishMessage[] = [];
  const collect = (f: () => void): void => {
    try {
      f();
    } catch (e) {
      if (!(e instanceof RedfishError)) throw e;
      out.push(...e.messages);
    }
  };
  collect(() => readBody(rest, SETTINGS_READ_ONLY, { allowEmpty: true }));
  if (applyTime !== undefined) {
    if (applyTime === null || typeof applyTime !== 'object' || Array.isArray(applyTime)) {
      out.push(Base.message('PropertyValueTypeError', [show(applyTime), '@Redfish.SettingsApplyTime'], ['#/@Redfish.SettingsApplyTime']));
    } else {
      collect(() => readBody(applyTime, APPLY_TIME, { allowEmpty: true }));
    }
  }
  let changes: Record<string, unknown> = {};
  if (attrs !== undefined) {
    if (attrs === null || typeof attrs !== 'object' || Array.isArray(attrs)) {
      out.push(Base.message('PropertyValueTypeError', [show(attrs), 'Attributes'], ['#/Attributes']));
    } else {
      changes = Object.fromEntries(Object.entries(attrs as Record<string, unknown>).filter(([k]) => !k.startsWith('@odata.')));
      for (const p of host.bios.check(changes)) out.push(attributeMessage(p, host.bios.attribute(p.name)?.type === 'Password'));
    }
  }
  if (out.length > 0) throw new RedfishError(400, out);
  if (Object.keys(changes).length === 0) throw new RedfishError(400, [Base.message('NoOperation')]);
  const problems = host.bios.setPending(changes);
  if (problems.length > 0) throw new RedfishError(400, problems.map((p) => attributeMessage(p, host.bios.attribute(p.name)?.type === 'Password')));
  return biosSettingsBody(ctx.bmc, host);
}

function postResetBios(ctx: RequestContext): { status: number; body: JsonObject } {
  const host = hostBySystemId(ctx.bmc, ctx.params.SystemId);
  readBody(ctx.body ?? {}, {}, { allowEmpty: true, action: RESET_BIOS });
  host.bios.resetToDefaults();
  return { status: 200, body: { '@Message.ExtendedInfo': [json(Base.message('Success'))] } };
}

function postChangePassword(ctx: RequestContext): { status: number; body: JsonObject } {
  const host = hostBySystemId(ctx.bmc, ctx.params.SystemId);
  const b = readBody<{ PasswordName: string; OldPassword: string; NewPassword: string }>(
    ctx.body ?? {},
    { PasswordName: { type: 'string', maxLength: 64 }, OldPassword: { type: 'string', maxLength: 64 }, NewPassword: { type: 'string', maxLength: 64 } },
    { required: ['PasswordName', 'OldPassword', 'NewPassword'], action: CHANGE_PASSWORD, allowEmpty: true },
  );
  switch (host.bios.changePassword(b.PasswordName, b.OldPassword, b.NewPassword)) {
    case 'ok':
      return { status: 200, body: { '@Message.ExtendedInfo': [json(Base.message('Success'))] } };
    case 'unknown-password':
      throw Errors.actionParameterNotInList(b.PasswordName, 'PasswordName', CHANGE_PASSWORD);
    case 'wrong-old-password':
      throw Errors.actionParameterValue('OldPassword', CHANGE_PASSWORD);
    case 'bad-new-password':
      throw Errors.actionParameterValue('NewPassword', CHANGE_PASSWORD);
  }
}

const SECURE_BOOT_PATCH: Spec = {
  SecureBootEnable: { type: 'boolean' },
  Id: { type: 'string', readOnly: true },
  Name: { type: 'string', readOnly: true },
  Description: { type: 'string', readOnly: true },
  SecureBootCurrentBoot: { type: 'string', readOnly: true },
  SecureBootMode: { type: 'string', readOnly: true },
};

function patchSecureBoot(ctx: RequestContext): JsonObject {
  const host = hostBySystemId(ctx.bmc, ctx.params.SystemId);
  const b = readBody<{ SecureBootEnable?: boolean }>(ctx.body, SECURE_BOOT_PATCH);
  if (b.SecureBootEnable !== undefined && host.bios.setSecureBootEnable(b.SecureBootEnable) === 'needs-uefi') {
    throw new RedfishError(400, [Base.message('PropertyValueConflict', ['SecureBootEnable', 'Bios/Attributes/BootMode'], ['#/SecureBootEnable'])]);
  }
  return secureBootBody(ctx.bmc, host);
}

function postResetKeys(ctx: RequestContext): { status: number; body: JsonObject } {
  const host = hostBySystemId(ctx.bmc, ctx.params.SystemId);
  const b = readBody<{ ResetKeysType: string }>(ctx.body ?? {}, { ResetKeysType: { type: 'string' } }, { required: ['ResetKeysType'], action: RESET_KEYS, allowEmpty: true });
  if (!(RESET_KEYS_TYPES as readonly string[]).includes(b.ResetKeysType)) throw Errors.actionParameterNotInList(b.ResetKeysType, 'ResetKeysType', RESET_KEYS);
  host.bios.resetKeys(b.ResetKeysType as ResetKeysType);
  return { status: 200, body: { '@Message.ExtendedInfo': [json(Base.message('Success'))] } };
}

/**
 * The routes. The registry file's literal paths must be registered before
 * the Registries family's {RegistryId} routes (the router takes the first
 * route that matches).
 */
export function biosRoutes(): RouteDef[] {
  const host = (ctx: RequestContext): Host => hostBySystemId(ctx.bmc, ctx.params.SystemId);
  return [
    { path: `${SYSTEM}/Bios`, entity: 'Bios', get: (ctx) => biosBody(ctx.bmc, host(ctx)) },
    {
      path: `${SYSTEM}/Bios/Settings`,
      entity: 'Bios',
      get: (ctx) => biosSettingsBody(ctx.bmc, host(ctx)),
      patch: (ctx) => ({ status: 200, body: patchSettings(ctx) }),
    },
    { path: `${SYSTEM}/Bios/Actions/${RESET_BIOS}`, entity: 'Bios', post: postResetBios },
    { path: `${SYSTEM}/Bios/Actions/${CHANGE_PASSWORD}`, entity: 'Bios', post: postChangePassword },
    {
      path: `${SYSTEM}/SecureBoot`,
      entity: 'SecureBoot',
      get: (ctx) => secureBootBody(ctx.bmc, host(ctx)),
      patch: (ctx) => ({ status: 200, body: patchSecureBoot(ctx) }),
    },
    { path: `${SYSTEM}/SecureBoot/Actions/${RESET_KEYS}`, entity: 'SecureBoot', post: postResetKeys },
    { path: BIOS_REGISTRY_FILE_PATH, entity: 'MessageRegistryFile', get: () => attributeRegistryFileBody() },
    { path: BIOS_REGISTRY_PATH, entity: 'AttributeRegistry', get: (ctx) => attributeRegistryBody(ctx.bmc) },
  ];
}
