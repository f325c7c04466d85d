// Bios, its Settings object and actions, SecureBoot, and the BIOS attribute
// registry, driven in-process over the host model: bodies validate against
// the DMTF schemas; a PATCH is all or nothing with one Base message per bad
// attribute; pending settings apply when the host next powers on or resets.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RedfishSchemas } from '../../../test/helpers/redfish-schemas.js';
import { silentLogger } from '../../log.js';
import { makeTestBmc } from '../../model/testing.js';
import { RedfishService } from '../server.js';
import { biosRoutes } from './bios.js';
import { registryRoutes } from './registries.js';
import { systemRoutes } from './systems.js';

const basic = (u: string, p: string): string => `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`;
const ADMIN = basic('admin', 'password');
const OPERATOR = basic('operator', 'operpass');
const READER = basic('reader', 'readpass');
const SYS = '/redfish/v1/Systems/system';

let schemas: RedfishSchemas | undefined;
function valid(body: unknown): void {
  schemas ??= new RedfishSchemas();
  assert.deepEqual(schemas.validate(body as Record<string, unknown>), [], JSON.stringify(body));
}

function service(hosts = 1) {
  const t = makeTestBmc({ hosts });
  const u = t.bmc.users;
  u.setName(4, 'reader');
  u.setPassword(4, Buffer.from('readpass'), false);
  u.setAccess(4, 1, { privilege: 2, ipmiMessaging: true, linkAuth: true, payloads: 0 });
  u.setEnabled(4, true);
  // the order of the service's index: the BIOS registry's literal paths before {RegistryId}
  const svc = new RedfishService({ bmc: t.bmc, log: silentLogger, routes: [...systemRoutes(), ...biosRoutes(), ...registryRoutes()] });
  const call = async (method: string, url: string, body?: unknown, authorization = ADMIN) => {
    const r = await svc.router.handle({ method, url, headers: { authorization }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}), clientAddress: '127.0.0.1' });
    return { status: r.status, body: r.body as Record<string, any>, headers: r.headers };
  };
  return { ...t, call };
}

const ids = (b: Record<string, any>): string[] => (b.error['@Message.ExtendedInfo'] as { MessageId: string }[]).map((m) => m.MessageId.replace(/^Base\.[\d.]+\./, ''));

describe('Bios', () => {
  it('is linked from the system and validates, with its Settings object and actions', async () => {
    const { call } = service();
    const sys = await call('GET', SYS);
    assert.deepEqual(sys.body.Bios, { '@odata.id': `${SYS}/Bios` });
    assert.deepEqual(sys.body.SecureBoot, { '@odata.id': `${SYS}/SecureBoot` });
    const b = await call('GET', `${SYS}/Bios`);
    assert.equal(b.status, 200);
    valid(b.body);
    assert.equal(b.body.AttributeRegistry, 'BiosAttributeRegistry.1.0.0');
    assert.equal(b.body.Attributes.BootMode, 'Uefi');
    assert.equal(b.body.Attributes.AdminPassword, null);
    assert.deepEqual(b.body['@Redfish.Settings'].SettingsObject, { '@odata.id': `${SYS}/Bios/Settings` });
    assert.deepEqual(b.body['@Redfish.Settings'].SupportedApplyTimes, ['OnReset']);
    assert.equal(b.body.Actions['#Bios.ResetBios'].target, `${SYS}/Bios/Actions/Bios.ResetBios`);
    assert.equal(b.body.Actions['#Bios.ChangePassword'].target, `${SYS}/Bios/Actions/Bios.ChangePassword`);
    const s = await call('GET', `${SYS}/Bios/Settings`);
    valid(s.body);
    assert.deepEqual(s.body.Attributes, {});
    // the Bios resource itself is not written
    assert.equal((await call('PATCH', `${SYS}/Bios`, { Attributes: { NumLock: 'Off' } })).status, 405);
    assert.equal((await call('GET', '/redfish/v1/Systems/nope/Bios')).status, 404);
  });

  it('PATCH Settings: pending until the host resets, then current', async () => {
    const { call, bmc } = service();
    const r = await call('PATCH', `${SYS}/Bios/Settings`, { Attributes: { ProcHyperThreading: 'Disabled', ProcCoresEnabled: 4, QuietBoot: false } });
    assert.equal(r.status, 200);
    valid(r.body);
    assert.deepEqual(r.body.Attributes, { ProcHyperThreading: 'Disabled', ProcCoresEnabled: 4, QuietBoot: false });
    assert.equal((await call('GET', `${SYS}/Bios`)).body.Attributes.ProcHyperThreading, 'Enabled');
    // an apply time other than OnReset is refused
    const at = await call('PATCH', `${SYS}/Bios/Settings`, { Attributes: { NumLock: 'Off' }, '@Redfish.SettingsApplyTime': { ApplyTime: 'Immediate' } });
    assert.deepEqual(ids(at.body), ['PropertyValueNotInList']);
    assert.equal((await call('PATCH', `${SYS}/Bios/Settings`, { Attributes: { NumLock: 'Off' }, '@Redfish.SettingsApplyTime': { ApplyTime: 'OnReset' } })).status, 200);
    await call('POST', `${SYS}/Actions/ComputerSystem.Reset`, { ResetType: 'On' });
    assert.equal(bmc.hosts[0]!.power, 'on');
    const b = await call('GET', `${SYS}/Bios`);
    valid(b.body);
    assert.equal(b.body.Attributes.ProcHyperThreading, 'Disabled');
    assert.equal(b.body.Attributes.ProcCoresEnabled, 4);
    assert.equal(b.body.Attributes.NumLock, 'Off');
    assert.equal(typeof b.body['@Redfish.Settings'].Time, 'string');
    assert.deepEqual((await call('GET', `${SYS}/Bios/Settings`)).body.Attributes, {});
  });

  it('refuses the whole PATCH when any attribute is bad, naming each', async () => {
    const { call } = service();
    const r = await call('PATCH', `${SYS}/Bios/Settings`, {
      Attributes: { NumLock: 'Off', Bogus: 1, BootMode: 'Bios', ProcCoresEnabled: 99, QuietBoot: 'no', SecureBoot: 'Enabled', AdminPhone: 'x'.repeat(40) },
    });
    assert.equal(r.status, 400);
    assert.deepEqual(ids(r.body), ['PropertyUnknown', 'PropertyValueNotInList', 'PropertyValueOutOfRange', 'PropertyValueTypeError', 'PropertyNotWritable', 'StringValueTooLong']);
    const info = r.body.error['@Message.ExtendedInfo'] as { MessageArgs: string[]; RelatedProperties: string[] }[];
    assert.deepEqual(info[0]!.MessageArgs, ['Attributes/Bogus']);
    assert.deepEqual(info[1]!.RelatedProperties, ['#/Attributes/BootMode']);
    assert.deepEqual((await call('GET', `${SYS}/Bios/Settings`)).body.Attributes, {});
    // passwords are never echoed
    const pw = await call('PATCH', `${SYS}/Bios/Settings`, { Attributes: { AdminPassword: 'short' } });
    assert.deepEqual(ids(pw.body), ['PropertyValueFormatError']);
    assert.ok(!JSON.stringify(pw.body).includes('short'));
    assert.deepEqual(ids((await call('PATCH', `${SYS}/Bios/Settings`, { Attributes: [] })).body), ['PropertyValueTypeError']);
    assert.deepEqual(ids((await call('PATCH', `${SYS}/Bios/Settings`, { Attributes: {} })).body), ['NoOperation']);
    assert.deepEqual(ids((await call('PATCH', `${SYS}/Bios/Settings`, { Id: 'x' })).body), ['PropertyNotWritable']);
    assert.deepEqual(ids((await call('PATCH', `${SYS}/Bios/Settings`, { Foo: 1 })).body), ['PropertyUnknown']);
    assert.equal((await call('PATCH', `${SYS}/Bios/Settings`, undefined)).status, 400);
  });

  it('privileges: ReadOnly reads but cannot PATCH or reset; Operator can', async () => {
    const { call } = service();
    assert.equal((await call('GET', `${SYS}/Bios`, undefined, READER)).status, 200);
    assert.equal((await call('PATCH', `${SYS}/Bios/Settings`, { Attributes: { NumLock: 'Off' } }, READER)).status, 403);
    assert.equal((await call('POST', `${SYS}/Bios/Actions/Bios.ResetBios`, {}, READER)).status, 403);
    assert.equal((await call('PATCH', `${SYS}/SecureBoot`, { SecureBootEnable: true }, READER)).status, 403);
    assert.equal((await call('PATCH', `${SYS}/Bios/Settings`, { Attributes: { NumLock: 'Off' } }, OPERATOR)).status, 200);
  });

  it('ResetBios makes defaults pending; ChangePassword checks the old password', async () => {
    const { call, bmc } = service();
    await call('PATCH', `${SYS}/Bios/Settings`, { Attributes: { PowerProfile: 'MaxPerformance' } });
    bmc.hosts[0]!.request('on');
    assert.equal((await call('POST', `${SYS}/Bios/Actions/Bios.ResetBios`)).status, 200);
    const b = await call('GET', `${SYS}/Bios`);
    assert.equal(b.body.ResetBiosToDefaultsPending, true);
    assert.equal(b.body.Attributes.PowerProfile, 'MaxPerformance');
    assert.deepEqual((await call('GET', `${SYS}/Bios/Settings`)).body.Attributes, { PowerProfile: 'Balanced' });
    bmc.hosts[0]!.request('reset');
    assert.equal((await call('GET', `${SYS}/Bios`)).body.Attributes.PowerProfile, 'Balanced');
    assert.equal((await call('GET', `${SYS}/Bios`)).body.ResetBiosToDefaultsPending, false);
    const cp = (body: unknown) => call('POST', `${SYS}/Bios/Actions/Bios.ChangePassword`, body);
    assert.equal((await cp({ PasswordName: 'AdminPassword', OldPassword: '', NewPassword: 'setup-pass-1' })).status, 200);
    assert.deepEqual(ids((await cp({ PasswordName: 'AdminPassword', OldPassword: 'bad', NewPassword: 'setup-pass-2' })).body), ['ActionParameterValueError']);
    assert.deepEqual(ids((await cp({ PasswordName: 'Nope', OldPassword: '', NewPassword: 'setup-pass-2' })).body), ['ActionParameterValueNotInList']);
    assert.deepEqual(ids((await cp({ PasswordName: 'AdminPassword' })).body), ['ActionParameterMissing', 'ActionParameterMissing']);
    assert.equal((await cp({ PasswordName: 'AdminPassword', OldPassword: 'setup-pass-1', NewPassword: 'setup-pass-2' })).status, 200);
  });
});

describe('SecureBoot', () => {
  it('SecureBootEnable applies at the next boot; ResetKeys changes the mode', async () => {
    const { call, bmc } = service();
    const s = await call('GET', `${SYS}/SecureBoot`);
    valid(s.body);
    assert.deepEqual([s.body.SecureBootEnable, s.body.SecureBootCurrentBoot, s.body.SecureBootMode], [false, 'Disabled', 'UserMode']);
    const p = await call('PATCH', `${SYS}/SecureBoot`, { SecureBootEnable: true });
    assert.equal(p.status, 200);
    assert.deepEqual([p.body.SecureBootEnable, p.body.SecureBootCurrentBoot], [true, 'Disabled']);
    bmc.hosts[0]!.request('on');
    assert.equal((await call('GET', `${SYS}/SecureBoot`)).body.SecureBootCurrentBoot, 'Enabled');
    assert.equal((await call('GET', `${SYS}/Bios`)).body.Attributes.SecureBoot, 'Enabled');
    const rk = (t: unknown) => call('POST', `${SYS}/SecureBoot/Actions/SecureBoot.ResetKeys`, { ResetKeysType: t });
    assert.equal((await rk('DeletePK')).status, 200);
    assert.equal((await call('GET', `${SYS}/SecureBoot`)).body.SecureBootMode, 'SetupMode');
    assert.equal((await rk('ResetAllKeysToDefault')).status, 200);
    assert.equal((await call('GET', `${SYS}/SecureBoot`)).body.SecureBootMode, 'UserMode');
    assert.deepEqual(ids((await rk('Everything')).body), ['ActionParameterValueNotInList']);
    assert.deepEqual(ids((await call('POST', `${SYS}/SecureBoot/Actions/SecureBoot.ResetKeys`, {})).body), ['ActionParameterMissing']);
    assert.deepEqual(ids((await call('PATCH', `${SYS}/SecureBoot`, { SecureBootMode: 'SetupMode' })).body), ['PropertyNotWritable']);
    assert.deepEqual(ids((await call('PATCH', `${SYS}/SecureBoot`, { SecureBootEnable: 'yes' })).body), ['PropertyValueTypeError']);
    // Legacy boot mode pending: enabling is refused
    await call('PATCH', `${SYS}/SecureBoot`, { SecureBootEnable: false });
    await call('PATCH', `${SYS}/Bios/Settings`, { Attributes: { BootMode: 'Legacy' } });
    assert.deepEqual(ids((await call('PATCH', `${SYS}/SecureBoot`, { SecureBootEnable: true })).body), ['PropertyValueConflict']);
  });
});

describe('BIOS attribute registry', () => {
  it('is listed in Registries and served at its Location', async () => {
    const { call } = service();
    const col = await call('GET', '/redfish/v1/Registries');
    valid(col.body);
    assert.ok((col.body.Members as { '@odata.id': string }[]).some((m) => m['@odata.id'] === '/redfish/v1/Registries/BiosAttributeRegistry'));
    const file = await call('GET', '/redfish/v1/Registries/BiosAttributeRegistry');
    assert.equal(file.status, 200);
    valid(file.body);
    assert.equal(file.body.Registry, 'BiosAttributeRegistry.1.0.0');
    const reg = await call('GET', file.body.Location[0].Uri);
    assert.equal(reg.status, 200);
    valid(reg.body);
    const attrs = reg.body.RegistryEntries.Attributes as Record<string, any>[];
    const bios = (await call('GET', `${SYS}/Bios`)).body.Attributes as Record<string, unknown>;
    assert.deepEqual(attrs.map((a) => a.AttributeName).sort(), Object.keys(bios).sort());
    const cores = attrs.find((a) => a.AttributeName === 'ProcCoresEnabled')!;
    assert.deepEqual([cores.Type, cores.LowerBound, cores.UpperBound, cores.DefaultValue], ['Integer', 0, 8, 0]);
    const mode = attrs.find((a) => a.AttributeName === 'BootMode')!;
    assert.deepEqual(mode.Value.map((v: { ValueName: string }) => v.ValueName), ['Uefi', 'Legacy']);
    const pw = attrs.find((a) => a.AttributeName === 'AdminPassword')!;
    assert.deepEqual([pw.Type, pw.WriteOnly, 'DefaultValue' in pw], ['Password', true, false]);
    assert.equal(attrs.find((a) => a.AttributeName === 'SecureBoot')!.ReadOnly, true);
    // the message registries are still served
    assert.equal((await call('GET', '/redfish/v1/Registries/Base')).status, 200);
    assert.equal((await call('GET', '/redfish/v1/Registries/BiosAttributeRegistry/Other')).status, 404);
  });

  it('serves every host of a multi-node chassis', async () => {
    const { call } = service(2);
    assert.equal((await call('GET', '/redfish/v1/Systems/node1/Bios')).status, 200);
    const reg = await call('GET', '/redfish/v1/Registries/BiosAttributeRegistry/BiosAttributeRegistry');
    assert.deepEqual(reg.body.SupportedSystems.map((s: { SystemId: string }) => s.SystemId), ['node0', 'node1']);
  });
});
