// BIOS settings and Secure Boot against the real tsbmc process with
// python3-sushy (what Ironic's redfish BIOS interface uses): attributes set
// through the Settings object stay pending until the host resets, whether
// the reset comes over IPMI (ipmitool chassis power cycle) or Redfish;
// ResetBios, Secure Boot and key resets; refusals with the Base messages.
import assert from 'node:assert/strict';
import { sushy as runSushy } from './helpers/sushy.js';
import { after, before, test } from 'node:test';
import { ipmitool, redfish, startBmcProcess, waitFor, type BmcProcess } from './helpers/bmc-process.js';

let bmc: BmcProcess;
before(async () => {
  bmc = await startBmcProcess();
});
after(async () => {
  await bmc.stop();
});

const SYS = '/redfish/v1/Systems/system';
/** requests lets these override verify=False (psf/requests#3829): blank them for the self-signed certificate. */

/** Runs Python with `s` = a sushy client and `system` = the one ComputerSystem; returns what it prints. */
function sushy(code: string, opts: { user?: string; password?: string } = {}): Promise<string> {
  return runSushy(bmc, code, { ...opts, withoutStandardRegistries: true });
}

async function ipmi(args: string[]): Promise<string> {
  const r = await ipmitool(bmc, args);
  assert.equal(r.code, 0, `ipmitool ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

const messageIds = (body: { error: { '@Message.ExtendedInfo': { MessageId: string }[] } }): string[] =>
  body.error['@Message.ExtendedInfo'].map((m) => m.MessageId.replace(/^Base\.[\d.]+\./, ''));

test('sushy reads the BIOS attributes and the attribute registry', async () => {
  const out = JSON.parse(
    await sushy(
      [
        'b = system.bios',
        'reg = b.get_attribute_registry()',
        'attrs = {a.name: a for a in reg.registry_entries.attributes}',
        'print(json.dumps({"attrs": b.attributes, "registry": b._attribute_registry, "pending": b.pending_attributes,',
        ' "applyTimes": [t.value if hasattr(t, "value") else t for t in b.supported_apply_times],',
        ' "regId": reg.identity, "bootModeValues": [v["ValueName"] for v in attrs["BootMode"].allowable_values],',
        ' "cores": [attrs["ProcCoresEnabled"].lower_bound, attrs["ProcCoresEnabled"].upper_bound], "ro": attrs["SecureBoot"].read_only}))',
      ].join('\n'),
    ),
  ) as Record<string, any>;
  assert.equal(out.attrs.BootMode, 'Uefi');
  assert.equal(out.attrs.ProcHyperThreading, 'Enabled');
  assert.equal(out.attrs.AdminPassword, null);
  assert.equal(out.registry, 'BiosAttributeRegistry.1.0.0');
  assert.equal(out.regId, 'BiosAttributeRegistry.1.0.0');
  assert.deepEqual(out.pending, {});
  assert.deepEqual(out.applyTimes, ['OnReset']);
  assert.deepEqual(out.bootModeValues, ['Uefi', 'Legacy']);
  assert.deepEqual(out.cores, [0, 8]);
  assert.equal(out.ro, true);
});

test('set_attributes stays pending until ipmitool power cycles the host', async () => {
  await ipmi(['chassis', 'power', 'on']);
  await sushy('system.bios.set_attributes({"ProcHyperThreading": "Disabled", "PowerProfile": "MaxPerformance", "ProcCoresEnabled": 4})');
  const pending = await redfish(bmc, 'GET', `${SYS}/Bios/Settings`);
  assert.deepEqual(pending.body.Attributes, { ProcHyperThreading: 'Disabled', PowerProfile: 'MaxPerformance', ProcCoresEnabled: 4 });
  assert.equal(await sushy('b = system.bios\nprint(b.attributes["ProcHyperThreading"], b.pending_attributes["ProcHyperThreading"])'), 'Enabled Disabled');
  await ipmi(['chassis', 'power', 'cycle']);
  // off for the cycle interval (1 s), then on: the firmware applies the settings
  await waitFor(async () => ((await redfish(bmc, 'GET', `${SYS}/Bios`)).body.Attributes.ProcHyperThreading === 'Disabled' ? true : undefined), 15_000, 200);
  const out = JSON.parse(await sushy('b = system.bios\nprint(json.dumps({"a": b.attributes, "p": b.pending_attributes, "ok": b.update_status.status == sushy.resources.settings.UPDATE_SUCCESS}))')) as Record<string, any>;
  assert.equal(out.a.PowerProfile, 'MaxPerformance');
  assert.equal(out.a.ProcCoresEnabled, 4);
  assert.deepEqual(out.p, {});
  // @Redfish.Settings Time and Messages of the last application
  assert.equal(out.ok, true);
});

test('reset_bios makes the defaults pending; a sushy ForceRestart applies them', async () => {
  await sushy('system.bios.reset_bios()');
  const b = await redfish(bmc, 'GET', `${SYS}/Bios`);
  assert.equal(b.body.ResetBiosToDefaultsPending, true);
  assert.deepEqual((await redfish(bmc, 'GET', `${SYS}/Bios/Settings`)).body.Attributes, { ProcHyperThreading: 'Enabled', PowerProfile: 'Balanced', ProcCoresEnabled: 0 });
  await sushy('system.reset_system(sushy.RESET_FORCE_RESTART)');
  const after = await redfish(bmc, 'GET', `${SYS}/Bios`);
  assert.equal(after.body.ResetBiosToDefaultsPending, false);
  assert.equal(after.body.Attributes.ProcHyperThreading, 'Enabled');
  assert.equal(after.body.Attributes.PowerProfile, 'Balanced');
});

test('secure boot: set_enabled applies at the next reset; reset_keys moves the mode', async () => {
  const before = await sushy('sb = system.secure_boot\nprint(sb.enabled, sb.current_boot.value, sb.mode.value, sorted(v.value for v in sb.get_allowed_reset_keys_values()))');
  assert.equal(before, "False Disabled UserMode ['DeleteAllKeys', 'DeletePK', 'ResetAllKeysToDefault']");
  await sushy('system.secure_boot.set_enabled(True)');
  assert.equal(await sushy('sb = system.secure_boot\nprint(sb.enabled, sb.current_boot.value)'), 'True Disabled');
  await ipmi(['chassis', 'power', 'reset']);
  assert.equal(await sushy('sb = system.secure_boot\nprint(sb.enabled, sb.current_boot.value)'), 'True Enabled');
  assert.equal((await redfish(bmc, 'GET', `${SYS}/Bios`)).body.Attributes.SecureBoot, 'Enabled');
  await sushy('system.secure_boot.reset_keys(sushy.SECURE_BOOT_RESET_KEYS_DELETE_PK)');
  assert.equal(await sushy('print(system.secure_boot.mode.value)'), 'SetupMode');
  await sushy('system.secure_boot.reset_keys(sushy.SECURE_BOOT_RESET_KEYS_TO_DEFAULT)');
  assert.equal(await sushy('print(system.secure_boot.mode.value)'), 'UserMode');
});

test('bad values: 400 with the Base messages, nothing pending', async () => {
  const out = await sushy(
    [
      'try:',
      '    system.bios.set_attributes({"BootMode": "Bios", "NoSuch": 1})',
      '    print("accepted")',
      'except sushy.exceptions.BadRequestError as e:',
      '    print(e.status_code, e.code, sorted(m["MessageId"].split(".")[-1] for m in e.body["@Message.ExtendedInfo"]))',
    ].join('\n'),
  );
  assert.equal(out, "400 Base.1.22.1.GeneralError ['PropertyUnknown', 'PropertyValueNotInList']");
  const cases: [unknown, string[]][] = [
    [{ Attributes: { ProcCoresEnabled: 64 } }, ['PropertyValueOutOfRange']],
    [{ Attributes: { QuietBoot: 'yes' } }, ['PropertyValueTypeError']],
    [{ Attributes: { SecureBoot: 'Disabled' } }, ['PropertyNotWritable']],
  ];
  for (const [body, want] of cases) {
    const r = await redfish(bmc, 'PATCH', `${SYS}/Bios/Settings`, { body });
    assert.equal(r.status, 400, JSON.stringify(body));
    assert.deepEqual(messageIds(r.body), want);
  }
  const k = await redfish(bmc, 'POST', `${SYS}/SecureBoot/Actions/SecureBoot.ResetKeys`, { body: { ResetKeysType: 'All' } });
  assert.equal(k.status, 400);
  assert.deepEqual(messageIds(k.body), ['ActionParameterValueNotInList']);
  assert.deepEqual((await redfish(bmc, 'GET', `${SYS}/Bios/Settings`)).body.Attributes, {});
});

test('a ReadOnly account reads the BIOS but cannot change it (403)', async () => {
  const created = await redfish(bmc, 'POST', '/redfish/v1/AccountService/Accounts', { body: { UserName: 'biosreader', Password: 'R3adOnlyPassw0rd', RoleId: 'ReadOnly' } });
  assert.equal(created.status, 201, created.text);
  const ro = { user: 'biosreader', password: 'R3adOnlyPassw0rd' };
  assert.equal((await redfish(bmc, 'GET', `${SYS}/Bios`, ro)).status, 200);
  const r = await redfish(bmc, 'PATCH', `${SYS}/Bios/Settings`, { ...ro, body: { Attributes: { NumLock: 'Off' } } });
  assert.equal(r.status, 403);
  assert.deepEqual(messageIds(r.body), ['InsufficientPrivilege']);
  assert.equal((await redfish(bmc, 'PATCH', `${SYS}/SecureBoot`, { ...ro, body: { SecureBootEnable: false } })).status, 403);
  // with Basic auth: on a 403 over a session, sushy 4.3 logs in again and
  // returns the retried request's answer without raising
  const out = await sushy(
    [
      `ro = sushy.Sushy("${bmc.baseUrl}/redfish/v1", auth=sushy.auth.BasicAuth(username="biosreader", password="R3adOnlyPassw0rd"), verify=False)`,
      'try:',
      '    ro.get_system().bios.set_attributes({"NumLock": "Off"})',
      '    print("accepted")',
      'except sushy.exceptions.AccessError as e:',
      '    print(e.status_code)',
    ].join('\n'),
  );
  assert.equal(out, '403');
  assert.deepEqual((await redfish(bmc, 'GET', `${SYS}/Bios/Settings`)).body.Attributes, {});
  await ipmi(['chassis', 'power', 'off']);
});
