// Chassis and MC commands with real ipmitool: power actions change the
// simulated host and show in the next chassis status, the SEL and the
// readings; boot device settings round-trip; the watchdog really resets.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ipmitool, keyValues, startBmcProcess, waitFor, type BmcProcess } from './helpers/bmc-process.js';

let bmc: BmcProcess;
before(async () => {
  bmc = await startBmcProcess();
});
after(async () => {
  await bmc.stop();
});

async function ok(args: string[]): Promise<string> {
  const r = await ipmitool(bmc, args);
  assert.equal(r.code, 0, `ipmitool ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

async function powerIs(): Promise<string> {
  return keyValues(await ok(['chassis', 'status'])).get('System Power') ?? '';
}

/** A sensor's reading column in `sensor list` ("na" while unavailable). */
async function reading(name: string): Promise<string> {
  const row = (await ok(['sensor', 'list'])).split('\n').find((l) => l.split('|')[0]?.trim() === name);
  return row?.split('|')[1]?.trim() ?? '';
}

test('mc info, guid, selftest', async () => {
  const info = keyValues(await ok(['mc', 'info']));
  assert.equal(info.get('Device ID'), '32');
  assert.equal(info.get('Device Available'), 'yes');
  const guid = await ok(['mc', 'guid']);
  assert.match(guid, /System GUID\s*:\s*[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}/);
  assert.match(guid, /GUID Version\s*:\s*Random or pseudo-random/);
  assert.match(await ok(['mc', 'selftest']), /Selftest: passed/);
});

test('power on, off, cycle, reset, soft, diag drive the host', async () => {
  assert.equal(await powerIs(), 'off');
  // main-power-domain sensors read na while the host is off
  assert.equal(await reading('CPU Temp'), 'na');
  assert.match(await reading('5VSB'), /^\d\.\d{3}$/);
  assert.match(await ok(['chassis', 'power', 'on']), /Chassis Power Control: Up\/On/);
  assert.equal(await powerIs(), 'on');
  assert.match(await ok(['power', 'status']), /Chassis Power is on/);
  // readings of the main power domain appear once the host runs
  await waitFor(async () => (/^\d+\.000$/.test(await reading('CPU Temp')) ? true : undefined), 5000);
  assert.match(await ok(['chassis', 'restart_cause']), /System restart cause: chassis power control command/);

  assert.match(await ok(['chassis', 'power', 'reset']), /Chassis Power Control: Reset/);
  assert.equal(await powerIs(), 'on');

  assert.match(await ok(['chassis', 'power', 'diag']), /Chassis Power Control: Diag/);
  assert.match(await ok(['chassis', 'power', 'cycle']), /Chassis Power Control: Cycle/);
  await waitFor(async () => ((await powerIs()) === 'on' ? true : undefined), 5000);

  // soft off: the simulated OS shuts down after it has booted
  await new Promise((r) => setTimeout(r, 4000));
  assert.match(await ok(['chassis', 'power', 'soft']), /Chassis Power Control: Soft/);
  await waitFor(async () => ((await powerIs()) === 'off' ? true : undefined), 10_000);

  // cycle while off is refused per spec (0xD5)
  const r = await ipmitool(bmc, ['chassis', 'power', 'cycle']);
  assert.notEqual(r.code, 0);

  assert.match(await ok(['chassis', 'power', 'on']), /Up\/On/);
  assert.match(await ok(['chassis', 'power', 'off']), /Down\/Off/);
  assert.equal(await powerIs(), 'off');
  assert.match(await ok(['chassis', 'poh']), /POH Counter\s+: \d+ days, \d+ hours/);
});

test('chassis identify and its status bit', async () => {
  assert.match(await ok(['chassis', 'identify', '10']), /Chassis identify interval: 10 seconds/);
  assert.match(await ok(['chassis', 'identify', 'force']), /Chassis identify interval: indefinite/);
  assert.match(await ok(['chassis', 'identify', '0']), /Chassis identify interval: off/);
});

test('power restore policy', async () => {
  assert.match(await ok(['chassis', 'policy', 'list']), /Supported chassis power policy:\s+always-off always-on previous/);
  await ok(['chassis', 'policy', 'previous']);
  assert.equal(keyValues(await ok(['chassis', 'status'])).get('Power Restore Policy'), 'previous');
  await ok(['chassis', 'policy', 'always-off']);
  assert.equal(keyValues(await ok(['chassis', 'status'])).get('Power Restore Policy'), 'always-off');
});

test('bootdev and bootparam round trip', async () => {
  assert.match(await ok(['chassis', 'bootdev', 'pxe']), /Set Boot Device to pxe/);
  let p = await ok(['chassis', 'bootparam', 'get', '5']);
  assert.match(p, /Boot Flag Valid/);
  assert.match(p, /Options apply to only next boot/);
  assert.match(p, /BIOS PC Compatible \(legacy\) boot/);
  assert.match(p, /Force PXE/);

  await ok(['chassis', 'bootdev', 'disk', 'options=efiboot,persistent']);
  p = await ok(['chassis', 'bootparam', 'get', '5']);
  assert.match(p, /Options apply to all future boots/);
  assert.match(p, /BIOS EFI boot/);
  assert.match(p, /Force Boot from default Hard-Drive/);

  await ok(['chassis', 'bootdev', 'cdrom']);
  p = await ok(['chassis', 'bootparam', 'get', '5']);
  assert.match(p, /Force Boot from CD\/DVD/);
  // a one-time override is consumed by the next boot
  await ok(['chassis', 'power', 'on']);
  // the firmware takes the boot device after POST
  p = await waitFor(async () => {
    const out = await ok(['chassis', 'bootparam', 'get', '5']);
    return /Boot Flag Invalid/.test(out) ? out : undefined;
  }, 5000);
  assert.match(p, /Force Boot from CD\/DVD/);
  await ok(['chassis', 'power', 'off']);
});

test('watchdog: get, reset, off, and a real reset on expiry', async () => {
  await ok(['chassis', 'power', 'on']);
  await ok(['sel', 'clear']);
  // Set Watchdog: SMS/OS use, hard reset action, 2.0 s countdown
  await ok(['raw', '0x06', '0x24', '0x04', '0x01', '0x00', '0x10', '0x14', '0x00']);
  let g = await ok(['mc', 'watchdog', 'get']);
  assert.match(g, /Watchdog Timer Use:\s+SMS\/OS/);
  assert.match(g, /Watchdog Timer Is:\s+Stopped/);
  assert.match(g, /Watchdog Timer Action:\s+Hard Reset \(0x01\)/);
  assert.match(await ok(['mc', 'watchdog', 'reset']), /countdown restarted/i);
  g = await ok(['mc', 'watchdog', 'get']);
  assert.match(g, /Watchdog Timer Is:\s+Started\/Running/);
  await new Promise((r) => setTimeout(r, 2600));
  assert.match(await ok(['chassis', 'restart_cause']), /watchdog expired/i);
  const sel = await ok(['sel', 'elist']);
  assert.match(sel, /Watchdog.*Hard reset/i);
  g = await ok(['mc', 'watchdog', 'get']);
  assert.match(g, /Watchdog Timer Is:\s+Stopped/);
  assert.match(g, /Timer Expiration Flags:\s+0x10|SMS\/OS/);
  // off stops an armed timer
  await ok(['raw', '0x06', '0x24', '0x04', '0x01', '0x00', '0x10', '0x64', '0x00']);
  await ok(['mc', 'watchdog', 'reset']);
  await ok(['mc', 'watchdog', 'off']);
  assert.match(await ok(['mc', 'watchdog', 'get']), /Stopped/);
  await ok(['chassis', 'power', 'off']);
});
