// End to end: a QEMU virtual machine as the managed host (host.backend
// "qemu"). tsbmc starts the qemu-guest harness's tiny Linux guest on
// `chassis power on`, shows its serial console in the host's console log,
// answers its ipmitool over KCS (the extern server is enabled by itself),
// and maps power off (QMP quit), reset (system_reset), soft off
// (system_powerdown) and the guest's own poweroff (QMP SHUTDOWN) onto the
// model, seen through IPMI and Redfish. Needs qemu-system-x86_64 and the
// harness (../shared/tools/qemu-guest beside the project, or
// $QEMU_GUEST_TOOLS); without them it is skipped with a loud notice (under CI
// a missing QEMU fails). About 60 s under TCG once the images are cached.
import assert from 'node:assert/strict';
import { guestInitrd as guestInitrdWith, REPO_DIR as REPO, QEMU_GUEST_CACHE as CACHE, prepareQemuGuest } from './helpers/qemu-guest.js';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ipmitool, keyValues, redfish, startBmcProcess, waitFor, type BmcProcess } from './helpers/bmc-process.js';

/** How long the guest stays up after its commands before powering itself off. */
const HOLD_S = 12;

/** The base initramfs plus an overlay with the harness's config and command list (as run-guest.sh builds it). */
function guestInitrd(dir: string): string {
  return guestInitrdWith(CACHE, dir, { commands: 'mc info\nraw 0x06 0x01\nchassis status\n', config: `IFACE=kcs\nHOLD=${HOLD_S}\nCMD_TIMEOUT=60\nDEV_TIMEOUT=30\n` });
}

/** QEMU processes started by the BMC process (its children). */
function qemuChildren(bmc: BmcProcess): number[] {
  const r = spawnSync('ps', ['-o', 'pid=,comm=', '--ppid', String(bmc.proc.pid)]);
  return r.stdout
    .toString()
    .split('\n')
    .filter((l) => l.includes('qemu-system'))
    .map((l) => Number(l.trim().split(/\s+/)[0]));
}

function consoleLog(bmc: BmcProcess): string {
  const f = join(bmc.stateDir, 'console', 'bmc0', 'host0.log');
  return existsSync(f) ? readFileSync(f, 'latin1') : '';
}

const count = (text: string, what: string): number => text.split(what).length - 1;

async function powerState(bmc: BmcProcess): Promise<{ ipmi: string | undefined; redfish: string }> {
  const st = keyValues((await ipmitool(bmc, ['chassis', 'status'])).stdout).get('System Power');
  const sys = await redfish(bmc, 'GET', '/redfish/v1/Systems/system');
  return { ipmi: st, redfish: sys.body.PowerState as string };
}

test('a QEMU VM as the managed host: power, console, KCS, guest poweroff', { timeout: 200_000 }, async (t) => {
  if (!(await prepareQemuGuest(t, 'the QEMU host backend end-to-end test'))) return;

  const dir = mkdtempSync(join(tmpdir(), 'tsbmc-qemu-host-'));
  const profile = JSON.parse(readFileSync(join(REPO, 'profiles', 'qemu-guest.json'), 'utf8')) as { $schema?: string; host: { qemu: Record<string, unknown> } };
  delete profile.$schema;
  profile.host.qemu.kernel = join(CACHE, 'vmlinuz');
  profile.host.qemu.initrd = guestInitrd(dir);
  writeFileSync(join(dir, 'profile.json'), JSON.stringify(profile));

  const bmc = await startBmcProcess({ args: ['--profile', join(dir, 'profile.json'), '--log-level', 'info'] });
  t.after(() => bmc.stop());
  const t0 = Date.now();
  const at = (): string => `+${((Date.now() - t0) / 1000).toFixed(1)}s`;
  // the extern server was enabled without --extern-port
  assert.match(bmc.stdout(), /QEMU external BMC \(host 0\): tcp 127\.0\.0\.1:\d+/);
  assert.deepEqual(await powerState(bmc), { ipmi: 'off', redfish: 'Off' });
  assert.deepEqual(qemuChildren(bmc), []);

  // power on: QEMU starts, the guest's console reaches the console log, its ipmitool works over KCS
  assert.equal((await ipmitool(bmc, ['chassis', 'power', 'on'])).code, 0);
  await waitFor(async () => (qemuChildren(bmc).length === 1 ? true : undefined), 10_000, 100);
  await waitFor(async () => (count(consoleLog(bmc), '===QG=== SUMMARY total=3 passed=3 failed=0') >= 1 ? true : undefined), 60_000);
  t.diagnostic(`${at()} boot 1: guest ran its ipmitool commands over KCS`);
  const log1 = consoleLog(bmc);
  assert.match(log1, /Linux version 6\./, 'the kernel boot log is on the host console');
  assert.match(log1, /Device ID\s+: 32/);
  assert.match(log1, /System Power\s+: on/, "the guest's own chassis status sees the host on");
  assert.deepEqual(await powerState(bmc), { ipmi: 'on', redfish: 'On' });

  // power off: QMP quit, the process ends
  assert.equal((await ipmitool(bmc, ['chassis', 'power', 'off'])).code, 0);
  await waitFor(async () => (qemuChildren(bmc).length === 0 ? true : undefined), 6000, 100);
  t.diagnostic(`${at()} power off: QEMU ended`);
  assert.deepEqual(await powerState(bmc), { ipmi: 'off', redfish: 'Off' });

  // power on again, then reset: the guest boots a second time in the same process
  assert.equal((await ipmitool(bmc, ['chassis', 'power', 'on'])).code, 0);
  await waitFor(async () => (count(consoleLog(bmc), '===QG=== SUMMARY') >= 2 ? true : undefined), 60_000);
  const pid = qemuChildren(bmc);
  assert.equal(pid.length, 1);
  t.diagnostic(`${at()} boot 2 done; reset`);
  assert.equal((await ipmitool(bmc, ['chassis', 'power', 'reset'])).code, 0);
  await waitFor(async () => (count(consoleLog(bmc), '===QG=== SUMMARY') >= 3 ? true : undefined), 60_000);
  assert.deepEqual(qemuChildren(bmc), pid, 'a reset keeps the QEMU process');
  assert.equal(keyValues((await ipmitool(bmc, ['chassis', 'restart_cause'])).stdout).get('System restart cause'), 'chassis power control command');
  t.diagnostic(`${at()} boot 3 (after reset) done; waiting for the guest's own poweroff after ${HOLD_S} s`);

  // the guest powers itself off after its hold: QMP SHUTDOWN -> off in IPMI and Redfish
  await waitFor(async () => (consoleLog(bmc).includes('===QG=== POWEROFF') ? true : undefined), (HOLD_S + 10) * 1000);
  await waitFor(async () => ((await powerState(bmc)).redfish === 'Off' ? true : undefined), 5000);
  assert.deepEqual(await powerState(bmc), { ipmi: 'off', redfish: 'Off' });
  await waitFor(async () => (qemuChildren(bmc).length === 0 ? true : undefined), 5000, 100);
  t.diagnostic(`${at()} guest poweroff: host off in IPMI and Redfish`);

  // soft off: ACPI power button, the guest powers off
  assert.equal((await ipmitool(bmc, ['chassis', 'power', 'on'])).code, 0);
  await waitFor(async () => (count(consoleLog(bmc), '===QG=== SUMMARY') >= 4 ? true : undefined), 60_000);
  assert.equal((await ipmitool(bmc, ['chassis', 'power', 'soft'])).code, 0);
  await waitFor(async () => (consoleLog(bmc).includes('===QG=== ACPI-POWERBUTTON') ? true : undefined), 15_000);
  await waitFor(async () => ((await powerState(bmc)).ipmi === 'off' ? true : undefined), 10_000);
  await waitFor(async () => (qemuChildren(bmc).length === 0 ? true : undefined), 5000, 100);
  t.diagnostic(`${at()} soft off: ACPI power button, guest off`);
  assert.doesNotMatch(bmc.stdout() + bmc.stderr(), /QEMU exited unexpectedly|QMP command failed|ERROR/);
});
