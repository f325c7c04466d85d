// End to end: the QEMU host boots the device IPMI and Redfish name. The
// harness guest's kernel and initramfs are the "OS on the disk" (direct
// kernel boot, kernel command line marked tsbmc.boot=disk); the same kernel
// with another initramfs is put on a bootable ISOLINUX CD image (marked
// tsbmc.boot=cdrom) that this test serves over HTTP and inserts with
// Redfish VirtualMedia.InsertMedia. Then: `ipmitool chassis bootdev cdrom`
// + power on boots the CD (ISOLINUX's banner and the marked kernel command
// line on the serial console, the guest's ipmitool over KCS works); the
// next power on boots the disk (the Once override was consumed); the
// guest's own reboot after a Redfish Once Cd override boots the CD (QEMU
// restarted without the kernel, one restart for the model, restart cause
// soft reset); a Continuous Cd override boots the CD at power on and at a
// BMC reset (in the same process); after EjectMedia the empty drive falls
// through to the disk; the USB stick (an isohybrid image, plugged in and
// pulled out over QMP while the VM runs) boots with a Once Usb override.
// Needs qemu-system-x86_64, the harness, cpio and the ISO tools (isolinux,
// syslinux-common, genisoimage, syslinux-utils); skipped loudly without
// them (a failure under CI=true). About 50 s under TCG.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ipmitool, keyValues, redfish, startBmcProcess, waitFor, type BmcProcess } from './helpers/bmc-process.js';
import { bootIsoToolsMissing, buildBootIso, guestInitrd, REPO_DIR as REPO, QEMU_GUEST_CACHE as CACHE, prepareQemuGuest } from './helpers/qemu-guest.js';

const SYS = '/redfish/v1/Systems/system';
const SYS_CD = `${SYS}/VirtualMedia/CD`;
/** The kernel command lines of the two boot sources, as the kernel prints them. */
const DISK_LINE = 'Command line: console=ttyS0 panic=-1 tsbmc.boot=disk';
const CD_LINE = 'Command line: BOOT_IMAGE=/vmlinuz console=ttyS0 panic=-1 tsbmc.boot=cdrom';
const USB_LINE = 'Command line: BOOT_IMAGE=/vmlinuz console=ttyS0 panic=-1 tsbmc.boot=usb';
const ISOLINUX_BANNER = /ISOLINUX \d+\.\d+/g;
/**
 * The disk's guest: ipmitool over KCS, then it waits (up to 60 s) for a
 * one-time CD override in the BMC's boot flags, read in-band, and reboots
 * itself when it sees one (the harness shows a command's output when it
 * ends: the markers go to the console directly).
 */
const DISK_COMMANDS = [
  'mc info',
  "sh: echo WAITING-FOR-CD-OVERRIDE > /dev/console; i=0; while [ $i -lt 120 ]; do ipmitool chassis bootparam get 5 > /tmp/b 2>&1; if grep -q 'Boot Flag Valid' /tmp/b && grep -q 'only next boot' /tmp/b && grep -q 'CD/DVD' /tmp/b; then echo REBOOTING-TO-CD > /dev/console; reboot -f; fi; sleep 0.5; i=$((i + 1)); done",
  '',
].join('\n');
/** The CD's guest: ipmitool over KCS, then it stays up until the test powers it off. */
const CD_COMMANDS = 'mc info\n';

/** The QEMU processes the BMC process started, with their command lines. */
function qemuChildren(bmc: BmcProcess): { pid: number; args: string }[] {
  const r = spawnSync('ps', ['-o', 'pid=,args=', '--ppid', String(bmc.proc.pid)]);
  return r.stdout
    .toString()
    .split('\n')
    .filter((l) => l.includes('qemu-system'))
    .map((l) => {
      const m = /^\s*(\d+)\s+(.*)$/.exec(l)!;
      return { pid: Number(m[1]), args: m[2]! };
    });
}

function consoleLog(bmc: BmcProcess): string {
  const f = join(bmc.stateDir, 'console', 'bmc0', 'host0.log');
  return existsSync(f) ? readFileSync(f, 'latin1') : '';
}

const count = (text: string, what: string | RegExp): number => (typeof what === 'string' ? text.split(what).length - 1 : (text.match(what) ?? []).length);

/** Waits until the console log holds `n` of `what`. */
async function seen(bmc: BmcProcess, what: string | RegExp, n: number, ms = 60_000): Promise<void> {
  try {
    await waitFor(async () => (count(consoleLog(bmc), what) >= n ? true : undefined), ms, 250);
  } catch {
    // what booted (the kernel command lines and boot loader banners on the console) and what the BMC did about it
    const log = consoleLog(bmc);
    const boots = log.split('\n').filter((l) => /Command line:|ISOLINUX|SeaBIOS|Booting from|No bootable device/.test(l));
    const bmcLog = (bmc.stdout() + bmc.stderr()).split('\n').filter((l) => /QEMU|qemu|boot|media|CD|WARN|ERROR/.test(l));
    assert.fail(
      `${n} × ${String(what)} not on the console in ${ms} ms\nboots seen:\n${boots.join('\n')}\nBMC log:\n${bmcLog.slice(-40).join('\n')}\nthe console ends:\n${log.slice(-2000)}`,
    );
  }
}

async function powerOff(bmc: BmcProcess): Promise<void> {
  assert.equal((await ipmitool(bmc, ['chassis', 'power', 'off'])).code, 0);
  await waitFor(async () => (qemuChildren(bmc).length === 0 ? true : undefined), 8000, 100);
}

test('QEMU host: boot device from IPMI and Redfish, virtual CD over HTTP, the guest reboot honours the override', { timeout: 300_000 }, async (t) => {
  if (!(await prepareQemuGuest(t, 'the QEMU boot device end-to-end test', bootIsoToolsMissing))) return;

  const dir = mkdtempSync(join(tmpdir(), 'tsbmc-qemu-boot-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const config = 'IFACE=kcs\nHOLD=120\nCMD_TIMEOUT=90\nDEV_TIMEOUT=30\n';
  const diskInitrd = guestInitrd(CACHE, dir, { name: 'disk-initrd', commands: DISK_COMMANDS, config });
  const cdInitrd = guestInitrd(CACHE, dir, { name: 'cd-initrd', commands: CD_COMMANDS, config });
  const iso = buildBootIso({ dir, kernel: join(CACHE, 'vmlinuz'), initrd: cdInitrd, append: 'console=ttyS0 panic=-1 tsbmc.boot=cdrom', out: join(dir, 'live.iso') });
  const stick = buildBootIso({ dir, kernel: join(CACHE, 'vmlinuz'), initrd: cdInitrd, append: 'console=ttyS0 panic=-1 tsbmc.boot=usb', out: join(dir, 'stick.img'), hybrid: true });
  const images: Record<string, Buffer> = { '/images/live.iso': readFileSync(iso), '/images/stick.img': readFileSync(stick) };
  t.diagnostic(`boot ISO: ${(statSync(iso).size / 1048576).toFixed(1)} MiB; USB stick image (isohybrid): ${(statSync(stick).size / 1048576).toFixed(1)} MiB`);

  // the image server the BMC downloads from
  const http: Server = createServer((req, res) => {
    const body = images[req.url ?? ''];
    if (body) res.writeHead(200, { 'content-length': body.length, 'content-type': 'application/octet-stream' }).end(body);
    else res.writeHead(404).end();
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  t.after(() => {
    http.closeAllConnections();
    http.close();
  });
  const base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  const imageUrl = `${base}/images/live.iso`;
  const stickUrl = `${base}/images/stick.img`;

  const profile = JSON.parse(readFileSync(join(REPO, 'profiles', 'qemu-guest.json'), 'utf8')) as { $schema?: string; host: { qemu: Record<string, unknown> } };
  delete profile.$schema;
  profile.host.qemu.kernel = join(CACHE, 'vmlinuz');
  profile.host.qemu.initrd = diskInitrd;
  profile.host.qemu.append = 'console=ttyS0 panic=-1 tsbmc.boot=disk';
  writeFileSync(join(dir, 'profile.json'), JSON.stringify(profile));
  const bmc = await startBmcProcess({ args: ['--profile', join(dir, 'profile.json'), '--log-level', 'info'] });
  t.after(() => bmc.stop());
  const t0 = Date.now();
  const at = (): string => `+${((Date.now() - t0) / 1000).toFixed(1)}s`;

  // the CD: Redfish InsertMedia with an http URL; the BMC downloads it
  const ins = await redfish(bmc, 'POST', `${SYS_CD}/Actions/VirtualMedia.InsertMedia`, { body: { Image: imageUrl } });
  assert.ok(ins.status === 202 || ins.status === 204 || ins.status === 200, `InsertMedia: ${ins.status} ${ins.text}`);
  const cd = await waitFor(async () => {
    const b = (await redfish(bmc, 'GET', SYS_CD)).body as { Inserted: boolean; ImageName: string; Status: { State: string } };
    return b.Inserted && b.Status.State === 'Enabled' ? b : undefined;
  }, 20_000);
  assert.equal(cd.ImageName, 'live.iso');
  t.diagnostic(`${at()} CD inserted over Redfish (downloaded from ${imageUrl})`);

  // 1. chassis bootdev cdrom (once) + power on: SeaBIOS boots the CD (no -kernel), ISOLINUX, the marked kernel
  assert.equal((await ipmitool(bmc, ['chassis', 'bootdev', 'cdrom'])).code, 0);
  assert.equal((await ipmitool(bmc, ['chassis', 'power', 'on'])).code, 0);
  await seen(bmc, CD_LINE, 1);
  const [cdVm] = qemuChildren(bmc);
  assert.ok(cdVm, 'QEMU runs');
  assert.doesNotMatch(cdVm.args, / -kernel /, 'a CD boot runs without the profile kernel');
  assert.match(cdVm.args, / -boot order=dcn /);
  assert.match(cdVm.args, /media=cdrom,file=[^ ]*\/media\/bmc0\/host0\/cd-[0-9a-f]+\.img,format=raw,readonly=on /, 'the downloaded image is in the CD drive');
  await seen(bmc, '===QG=== SUMMARY total=1 passed=1 failed=0', 1);
  let log = consoleLog(bmc);
  assert.equal(count(log, ISOLINUX_BANNER), 1, 'ISOLINUX announced itself on the serial console');
  assert.equal(count(log, DISK_LINE), 0);
  assert.match(log, /Device ID\s+: 32/, "the CD guest's ipmitool reached the BMC over KCS");
  const flags = (await ipmitool(bmc, ['chassis', 'bootparam', 'get', '5'])).stdout;
  assert.match(flags, /Boot Flag Invalid/, 'the Once override was consumed by that boot');
  t.diagnostic(`${at()} boot 1: CD (ISOLINUX, ${CD_LINE})`);
  await powerOff(bmc);

  // 2. power on: the override was consumed, the disk (the profile kernel) boots
  assert.equal((await ipmitool(bmc, ['chassis', 'power', 'on'])).code, 0);
  await seen(bmc, DISK_LINE, 1);
  const [diskVm] = qemuChildren(bmc);
  assert.ok(diskVm);
  assert.match(diskVm.args, / -kernel [^ ]*vmlinuz -initrd [^ ]*disk-initrd\.gz -append console=ttyS0 panic=-1 tsbmc\.boot=disk /);
  t.diagnostic(`${at()} boot 2: disk (the profile kernel)`);

  // 3. the guest reboots itself after a Redfish Once Cd override: the firmware takes it, QEMU restarts without the kernel
  await seen(bmc, /^WAITING-FOR-CD-OVERRIDE\r?$/gm, 1);
  const patch = await redfish(bmc, 'PATCH', SYS, { body: { Boot: { BootSourceOverrideTarget: 'Cd', BootSourceOverrideEnabled: 'Once' } } });
  assert.ok(patch.status === 200 || patch.status === 204, `PATCH Boot: ${patch.status} ${patch.text}`);
  await seen(bmc, /^REBOOTING-TO-CD\r?$/gm, 1, 20_000);
  await seen(bmc, CD_LINE, 2);
  const [rebootVm] = qemuChildren(bmc);
  assert.ok(rebootVm);
  assert.notEqual(rebootVm.pid, diskVm.pid, 'a new QEMU process without the kernel');
  assert.doesNotMatch(rebootVm.args, / -kernel /);
  assert.equal(count(consoleLog(bmc), ISOLINUX_BANNER), 2);
  assert.equal(keyValues((await ipmitool(bmc, ['chassis', 'restart_cause'])).stdout).get('System restart cause'), 'soft reset');
  assert.equal((await redfish(bmc, 'GET', SYS)).body.PowerState, 'On');
  assert.equal((await redfish(bmc, 'GET', SYS)).body.Boot.BootSourceOverrideEnabled, 'Disabled', 'Once consumed by the reboot');
  assert.match(bmc.stdout() + bmc.stderr(), /restarting QEMU without the profile's kernel/);
  await seen(bmc, '===QG=== SUMMARY total=1 passed=1 failed=0', 2);
  t.diagnostic(`${at()} boot 3: the guest's reboot booted the CD (new process, restart cause soft reset)`);
  await powerOff(bmc);

  // 4. a persistent override over Redfish boots the CD at every start, and at a BMC reset in the same process
  const cont = await redfish(bmc, 'PATCH', SYS, { body: { Boot: { BootSourceOverrideTarget: 'Cd', BootSourceOverrideEnabled: 'Continuous' } } });
  assert.ok(cont.status === 200 || cont.status === 204, `PATCH Boot: ${cont.status} ${cont.text}`);
  assert.equal((await ipmitool(bmc, ['chassis', 'power', 'on'])).code, 0);
  await seen(bmc, CD_LINE, 3);
  await seen(bmc, '===QG=== SUMMARY total=1 passed=1 failed=0', 3);
  const [persistVm] = qemuChildren(bmc);
  assert.ok(persistVm);
  assert.equal((await ipmitool(bmc, ['chassis', 'power', 'reset'])).code, 0);
  await seen(bmc, CD_LINE, 4);
  assert.deepEqual(
    qemuChildren(bmc).map((q) => q.pid),
    [persistVm.pid],
    'the same boot setup: system_reset in the same process',
  );
  assert.equal(count(consoleLog(bmc), ISOLINUX_BANNER), 4);
  assert.equal((await redfish(bmc, 'GET', SYS)).body.Boot.BootSourceOverrideEnabled, 'Continuous');
  t.diagnostic(`${at()} boots 4, 5: Continuous Cd at power on and at a reset (same process)`);

  // the USB stick while the VM runs: QMP blockdev-add + device_add, then device_del, DEVICE_DELETED, blockdev-del
  const usb = `${SYS}/VirtualMedia/USB`;
  assert.equal((await redfish(bmc, 'POST', `${usb}/Actions/VirtualMedia.InsertMedia`, { body: { Image: stickUrl } })).status, 204);
  await waitFor(async () => (/USB stick plugged in/.test(bmc.stdout() + bmc.stderr()) ? true : undefined), 20_000);
  assert.equal((await redfish(bmc, 'POST', `${usb}/Actions/VirtualMedia.EjectMedia`, { body: {} })).status, 204);
  await waitFor(async () => (/USB stick pulled out/.test(bmc.stdout() + bmc.stderr()) ? true : undefined), 10_000);
  assert.deepEqual(qemuChildren(bmc).map((q) => q.pid), [persistVm.pid]);
  t.diagnostic(`${at()} USB stick plugged into the running VM and pulled out over QMP`);
  await powerOff(bmc);

  // 5. EjectMedia: the override still says CD, the empty drive falls through to the disk
  assert.equal((await redfish(bmc, 'POST', `${SYS_CD}/Actions/VirtualMedia.EjectMedia`, { body: {} })).status, 204);
  assert.equal((await redfish(bmc, 'GET', SYS_CD)).body.Inserted, false);
  assert.equal((await ipmitool(bmc, ['chassis', 'power', 'on'])).code, 0);
  await seen(bmc, DISK_LINE, 2);
  const [fallVm] = qemuChildren(bmc);
  assert.ok(fallVm);
  assert.match(fallVm.args, / -kernel /);
  assert.doesNotMatch(fallVm.args, /media=cdrom,file=/, 'the CD drive is empty');
  log = consoleLog(bmc);
  assert.equal(count(log, ISOLINUX_BANNER), 4, 'no CD boot after the eject');
  t.diagnostic(`${at()} boot 6: the drive is empty, the disk boots`);
  await powerOff(bmc);

  // 6. a USB stick and a Once Usb override: SeaBIOS boots the stick (bootindex 0), no kernel
  assert.equal((await redfish(bmc, 'POST', `${usb}/Actions/VirtualMedia.InsertMedia`, { body: { Image: stickUrl } })).status, 204);
  await waitFor(async () => {
    const b = (await redfish(bmc, 'GET', usb)).body as { Inserted: boolean; Status: { State: string } };
    return b.Inserted && b.Status.State === 'Enabled' ? true : undefined;
  }, 20_000);
  const once = await redfish(bmc, 'PATCH', SYS, { body: { Boot: { BootSourceOverrideTarget: 'Usb', BootSourceOverrideEnabled: 'Once' } } });
  assert.ok(once.status === 200 || once.status === 204, `PATCH Boot: ${once.status} ${once.text}`);
  assert.equal((await ipmitool(bmc, ['chassis', 'power', 'on'])).code, 0);
  await seen(bmc, USB_LINE, 1);
  const [usbVm] = qemuChildren(bmc);
  assert.ok(usbVm);
  assert.doesNotMatch(usbVm.args, / -kernel /);
  assert.match(usbVm.args, / -device usb-storage,bus=usb\.0,drive=usb0img,id=usb0,removable=on,bootindex=0 /);
  assert.equal(count(consoleLog(bmc), ISOLINUX_BANNER), 5);
  assert.equal((await redfish(bmc, 'GET', SYS)).body.Boot.BootSourceOverrideEnabled, 'Disabled', 'Once consumed');
  t.diagnostic(`${at()} boot 7: the USB stick (bootindex 0)`);
  await powerOff(bmc);
  assert.doesNotMatch(bmc.stdout() + bmc.stderr(), /QEMU exited unexpectedly|QMP command failed|ERROR/);
});
