// ComputerSystem against the real tsbmc process with python3-sushy (the
// library OpenStack Ironic drives BMCs with), cross-checked with ipmitool:
// a Redfish reset or boot override shows over IPMI at once and the other way
// round, since both front doors share one model.
import assert from 'node:assert/strict';
import { NO_CA_ENV, sushy as runSushy } from './helpers/sushy.js';
import { after, before, test } from 'node:test';
import { ADMIN_PASSWORD, ipmitool, keyValues, python, redfish, startBmcProcess, waitFor, type BmcProcess } from './helpers/bmc-process.js';

let bmc: BmcProcess;
before(async () => {
  bmc = await startBmcProcess();
});
after(async () => {
  await bmc.stop();
});

const SYS = '/redfish/v1/Systems/system';
/**
 * requests lets REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE override a session's
 * verify=False (psf/requests#3829), so a CA bundle in the environment would
 * make sushy refuse the self-signed certificate despite verify=False.
 */

/** Runs Python with `s` = a sushy client and `system` = the one ComputerSystem; prints what the code prints. */
function sushy(code: string): Promise<string> {
  return runSushy(bmc, code);
}

async function ipmi(args: string[]): Promise<string> {
  const r = await ipmitool(bmc, args);
  assert.equal(r.code, 0, `ipmitool ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

const powerIs = async (): Promise<string> => keyValues(await ipmi(['chassis', 'status'])).get('System Power') ?? '';

test('sushy reads the system collection and the system', async () => {
  const out = await sushy(
    [
      'print(json.dumps({"members": s.get_system_collection().members_identities, "id": system.identity, "type": system.system_type.value,',
      ' "uuid": system.uuid, "manufacturer": system.manufacturer, "serial": system.serial_number, "power": system.power_state.value,',
      ' "allowed": sorted(str(v.value) for v in system.get_allowed_reset_system_values()),',
      ' "targets": sorted(str(v.value) for v in system.get_allowed_system_boot_source_values())}))',
    ].join('\n'),
  );
  const j = JSON.parse(out) as Record<string, unknown>;
  assert.deepEqual(j.members, [SYS]);
  assert.equal(j.id, 'system');
  assert.equal(j.power, 'Off');
  assert.equal(j.manufacturer, 'tsbmc');
  assert.equal(j.serial, 'S26TS000001');
  assert.deepEqual(j.allowed, ['ForceOff', 'ForceRestart', 'GracefulRestart', 'GracefulShutdown', 'Nmi', 'On', 'PowerCycle', 'PushPowerButton']);
  assert.deepEqual(j.targets, ['BiosSetup', 'Cd', 'Diags', 'Floppy', 'Hdd', 'None', 'Pxe', 'UefiHttp', 'Usb']);
  const guid = /System GUID\s*:\s*(\S+)/.exec(await ipmi(['mc', 'guid']))?.[1];
  assert.equal(j.uuid, guid);
});

test('sushy power actions show in ipmitool chassis status at once', async () => {
  assert.equal(await sushy('system.reset_system(sushy.RESET_ON)\nsystem.refresh()\nprint(system.power_state.value)'), 'On');
  assert.equal(await powerIs(), 'on');
  assert.equal(await sushy('system.reset_system(sushy.RESET_FORCE_OFF)\nprint("done")'), 'done');
  assert.equal(await powerIs(), 'off');
  assert.equal(await sushy('system.refresh()\nprint(system.power_state.value)'), 'Off');
  // and IPMI's change shows in sushy
  await ipmi(['chassis', 'power', 'on']);
  assert.equal(await sushy('print(system.power_state.value)'), 'On');
  // refusals: a restart of a host that is off
  await ipmi(['chassis', 'power', 'off']);
  const r = await redfish(bmc, 'POST', `${SYS}/Actions/ComputerSystem.Reset`, { body: { ResetType: 'ForceRestart' } });
  assert.equal(r.status, 409);
  assert.match(r.body.error['@Message.ExtendedInfo'][0].MessageId, /ActionParameterValueConflict$/);
});

test('boot override: sushy Pxe/Once/UEFI, seen by ipmitool, consumed by the next boot', async () => {
  await ipmi(['chassis', 'power', 'off']);
  await sushy('system.set_system_boot_options(sushy.BOOT_SOURCE_TARGET_PXE, enabled=sushy.BOOT_SOURCE_ENABLED_ONCE, mode=sushy.BOOT_SOURCE_MODE_UEFI)');
  const flags = await ipmi(['chassis', 'bootparam', 'get', '5']);
  assert.match(flags, /Boot Flag Valid/);
  assert.match(flags, /Options apply to only next boot/);
  assert.match(flags, /BIOS EFI boot/);
  assert.match(flags, /Force PXE/);
  assert.equal(
    await sushy('b = system.boot\nprint(b.target.value, b.enabled.value, b.mode.value)'),
    'Pxe Once UEFI',
  );
  // well past IPMI's 60-second rule would matter only for IPMI-set flags; power on through sushy
  await sushy('system.reset_system(sushy.RESET_ON)');
  // the simulated firmware takes the boot device after POST
  await waitFor(async () => ((await sushy('system.refresh()\nprint(system.boot.enabled.value)')) === 'Disabled' ? true : undefined), 15_000, 300);
  assert.match(await ipmi(['chassis', 'bootparam', 'get', '5']), /Boot Flag Invalid/);
  // IPMI's bootdev reads back in sushy
  await ipmi(['chassis', 'bootdev', 'cdrom']);
  assert.equal(await sushy('b = system.boot\nprint(b.target.value, b.enabled.value)'), 'Cd Once');
  // Mode alone keeps target and enabled
  await sushy('system.set_system_boot_options(mode=sushy.BOOT_SOURCE_MODE_UEFI)');
  assert.equal(await sushy('b = system.boot\nprint(b.target.value, b.enabled.value, b.mode.value)'), 'Cd Once UEFI');
  await sushy('system.reset_system(sushy.RESET_FORCE_OFF)');
});

test('sushy inventory summaries: processors, memory, NICs, storage', async () => {
  const out = await sushy(
    [
      'p = system.processors.summary',
      'cpu = system.processors.get_members()[0]',
      'm = system.memory_summary',
      'eth = system.ethernet_interfaces.summary',
      'st = system.storage',
      'drives = [d for stor in st.get_members() for d in stor.drives]',
      'print(json.dumps({"count": p.count, "arch": p.architecture.value, "cores": cpu.total_cores, "threads": cpu.total_threads, "speed": cpu.max_speed_mhz,',
      ' "mem": m.size_gib, "macs": sorted(eth.keys()), "states": sorted(v.value for v in eth.values()),',
      ' "max": st.max_drive_size_bytes, "sizes": sorted(st.drives_sizes_bytes),',
      ' "drives": sorted([d.model, d.serial_number, d.protocol.value, d.media_type] for d in drives),',
      ' "controllers": [c.name for stor in st.get_members() for c in stor.storage_controllers]}))',
    ].join('\n'),
  );
  const j = JSON.parse(out) as Record<string, unknown>;
  assert.equal(j.count, 16);
  assert.equal(j.arch, 'x86');
  assert.deepEqual([j.cores, j.threads, j.speed], [8, 16, 4800]);
  assert.equal(j.mem, 32);
  const macs = j.macs as string[];
  assert.equal(macs.length, 2);
  for (const m of macs) assert.match(m, /^02:[0-9a-f]{2}(:[0-9a-f]{2}){4}$/);
  assert.deepEqual(j.states, ['Enabled', 'Enabled']);
  assert.equal(j.max, 2_000_398_934_016);
  assert.deepEqual(j.sizes, [480_103_981_056, 2_000_398_934_016]);
  assert.deepEqual(j.drives, [
    ['SAMSUNG MZ7L3480HCHQ', 'S6RSNE0T100001', 'SATA', 'SSD'],
    ['ST2000NM000B', 'ZPT0AB01', 'SATA', 'HDD'],
  ]);
  assert.deepEqual(j.controllers, ['Onboard SATA Controller']);
  const absent = await redfish(bmc, 'GET', `${SYS}/Memory/DIMMA2`);
  assert.deepEqual(absent.body.Status, { State: 'Absent' });
});

test('AssetTag and identify: PATCHed over Redfish, read over IPMI', async () => {
  let r = await redfish(bmc, 'PATCH', SYS, { body: { AssetTag: 'RACK7-U12' } });
  assert.equal(r.status, 200);
  assert.match(await ipmi(['fru', 'print', '0']), /Product Asset Tag\s*:\s*RACK7-U12/);
  r = await redfish(bmc, 'PATCH', SYS, { body: { LocationIndicatorActive: true } });
  assert.equal(r.body.IndicatorLED, 'Lit');
  await ipmi(['chassis', 'identify', '0']);
  r = await redfish(bmc, 'GET', SYS);
  assert.equal(r.body.LocationIndicatorActive, false);
  await ipmi(['chassis', 'policy', 'always-on']);
  assert.equal((await redfish(bmc, 'GET', SYS)).body.PowerRestorePolicy, 'AlwaysOn');
  r = await redfish(bmc, 'PATCH', SYS, { body: { PowerRestorePolicy: 'AlwaysOff' } });
  assert.match(await ipmi(['chassis', 'status']), /Power Restore Policy\s*:\s*always-off/);
});

test('bad input: unknown ResetType, unknown property, wrong type, value not in list, unknown system', async () => {
  const ids = (r: { body: { error: { '@Message.ExtendedInfo': { MessageId: string }[] } } }): string[] =>
    r.body.error['@Message.ExtendedInfo'].map((m) => m.MessageId.replace(/^Base\.[\d.]+\./, ''));
  let r = await redfish(bmc, 'POST', `${SYS}/Actions/ComputerSystem.Reset`, { body: { ResetType: 'Reboot' } });
  assert.equal(r.status, 400);
  assert.deepEqual(ids(r), ['ActionParameterValueNotInList']);
  r = await redfish(bmc, 'POST', `${SYS}/Actions/ComputerSystem.Reset`, { body: {} });
  assert.deepEqual(ids(r), ['ActionParameterMissing']);
  r = await redfish(bmc, 'PATCH', SYS, { body: { Frobnicate: true } });
  assert.equal(r.status, 400);
  assert.deepEqual(ids(r), ['PropertyUnknown']);
  r = await redfish(bmc, 'PATCH', SYS, { body: { Boot: { BootSourceOverrideEnabled: true } } });
  assert.deepEqual(ids(r), ['PropertyValueTypeError']);
  r = await redfish(bmc, 'PATCH', SYS, { body: { Boot: { BootSourceOverrideTarget: 'Network' } } });
  assert.deepEqual(ids(r), ['PropertyValueNotInList']);
  r = await redfish(bmc, 'GET', '/redfish/v1/Systems/node7');
  assert.equal(r.status, 404);
  assert.deepEqual(ids(r), ['ResourceNotFound']);
  const bad = await python(
    [
      'import sushy, warnings',
      'warnings.filterwarnings("ignore")',
      `s = sushy.Sushy("${bmc.baseUrl}/redfish/v1", username="admin", password="${ADMIN_PASSWORD}", verify=False)`,
      'try:',
      '    s.get_system("/redfish/v1/Systems/nope")',
      'except sushy.exceptions.ResourceNotFoundError as e:',
      '    print("404", e.status_code)',
    ].join('\n'),
    NO_CA_ENV,
  );
  assert.match(bad.stdout, /^404 404/);
});
