// The shared qemu-guest harness's images for the QEMU tests: builds the
// kernel and initramfs once, even when several test files ask for them at
// the same time (the build writes fixed temporary names in the cache: the
// first caller builds under a lock directory, the others wait for it); adds
// a command list and config to the initramfs as run-guest.sh does; and
// builds bootable ISOLINUX CD (or hybrid CD/USB) images from them.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { run, type RunResult } from './bmc-process.js';

/** The project folder (from dist/test/helpers/ it is three levels up). */
export const REPO_DIR = fileURLToPath(new URL('../../../', import.meta.url));
/** The qemu-guest harness: ../shared/tools/qemu-guest beside the project, or $QEMU_GUEST_TOOLS. */
export const QEMU_GUEST_TOOLS = process.env.QEMU_GUEST_TOOLS ?? fileURLToPath(new URL('../../../../shared/tools/qemu-guest', import.meta.url));
/** Where the guest images are built ($QEMU_GUEST_CACHE, or .cache/qemu-guest in the project). */
export const QEMU_GUEST_CACHE = process.env.QEMU_GUEST_CACHE ?? join(REPO_DIR, '.cache', 'qemu-guest');

/** A notice nobody scrolling past can miss. */
export function loud(msg: string): void {
  const line = '!'.repeat(78);
  process.stderr.write(`${line}\n!! ${msg}\n${line}\n`);
}

/** Commands the QEMU tests run, and the Debian packages that have them. */
const QEMU_COMMANDS: Readonly<Record<string, string>> = { 'qemu-system-x86_64': 'qemu-system-x86', cpio: 'cpio', depmod: 'kmod' };

/**
 * Readies a QEMU end-to-end test: QEMU and the harness's tools (and the
 * packages `extraMissing` names) present, the harness there, the guest
 * images built. Without them the test is skipped with a loud notice, and
 * fails under CI=true (bash .ci/run installs them). False when skipped.
 */
export async function prepareQemuGuest(t: TestContext, what: string, extraMissing: () => string[] = () => []): Promise<boolean> {
  const missing = Object.entries(QEMU_COMMANDS)
    .filter(([cmd]) => spawnSync('sh', ['-c', `command -v ${cmd} || [ -x /usr/sbin/${cmd} ] || [ -x /sbin/${cmd} ]`]).status !== 0)
    .map(([, pkg]) => pkg);
  missing.push(...extraMissing());
  if (missing.length > 0) {
    loud(`missing ${missing.join(', ')}: SKIPPING ${what} (apt-get install ${missing.join(' ')})`);
    if (process.env.CI) assert.fail(`CI=true: ${missing.join(', ')} required for ${what} (bash .ci/run installs them)`);
    t.skip(`SKIPPED: ${missing.join(', ')} missing`);
    return false;
  }
  if (!existsSync(join(QEMU_GUEST_TOOLS, 'build-guest.sh'))) {
    loud(`the qemu-guest harness is missing at ${QEMU_GUEST_TOOLS}: SKIPPING ${what} (set QEMU_GUEST_TOOLS)`);
    t.skip(`SKIPPED: no harness at ${QEMU_GUEST_TOOLS}`);
    return false;
  }
  const build = await buildGuestImages(QEMU_GUEST_TOOLS, QEMU_GUEST_CACHE);
  assert.equal(build.code, 0, `build-guest.sh failed:\n${build.stdout}\n${build.stderr}`);
  return true;
}

export async function buildGuestImages(tools: string, cache: string, timeoutMs = 240_000): Promise<RunResult> {
  mkdirSync(cache, { recursive: true });
  const lock = join(cache, '.build-lock');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      // a lock older than the timeout was left by a killed build
      try {
        if (Date.now() - statSync(lock).mtimeMs > timeoutMs) rmSync(lock, { recursive: true, force: true });
      } catch {
        // gone meanwhile
      }
      if (Date.now() > deadline) return { code: -1, stdout: '', stderr: `timed out waiting for ${lock}` };
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  try {
    return await run(join(tools, 'build-guest.sh'), [cache], timeoutMs);
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/**
 * The harness's initramfs (from `cache`) plus an overlay with /etc/qg/commands
 * and /etc/qg/config, written to `dir/<name>.gz` (a concatenated cpio archive,
 * as run-guest.sh builds it). Returns its path.
 */
export function guestInitrd(cache: string, dir: string, opts: { commands: string; config: string; name?: string }): string {
  const name = opts.name ?? 'initrd';
  const ov = join(dir, `${name}-overlay`);
  mkdirSync(join(ov, 'etc', 'qg'), { recursive: true });
  writeFileSync(join(ov, 'etc', 'qg', 'commands'), opts.commands);
  writeFileSync(join(ov, 'etc', 'qg', 'config'), opts.config);
  const overlay = join(dir, `${name}-overlay.cpio.gz`);
  const r = spawnSync('sh', ['-c', `cd "${ov}" && find . -mindepth 1 | cpio -o -H newc -R 0:0 --quiet | gzip -1 > "${overlay}"`]);
  if (r.status !== 0) throw new Error(`overlay: ${r.stderr?.toString()}`);
  const initrd = join(dir, `${name}.gz`);
  writeFileSync(initrd, Buffer.concat([readFileSync(join(cache, 'initramfs.cpio.gz')), readFileSync(overlay)]));
  return initrd;
}

/** Debian's ISOLINUX boot sector and its core module (packages isolinux, syslinux-common). */
const ISOLINUX_BIN = '/usr/lib/ISOLINUX/isolinux.bin';
const LDLINUX_C32 = '/usr/lib/syslinux/modules/bios/ldlinux.c32';

/** What building a boot ISO needs that this machine lacks (Debian package names), empty when nothing. */
export function bootIsoToolsMissing(): string[] {
  const missing: string[] = [];
  if (!existsSync(ISOLINUX_BIN)) missing.push('isolinux');
  if (!existsSync(LDLINUX_C32)) missing.push('syslinux-common');
  if (spawnSync('sh', ['-c', 'command -v genisoimage']).status !== 0) missing.push('genisoimage');
  if (spawnSync('sh', ['-c', 'command -v isohybrid']).status !== 0) missing.push('syslinux-utils');
  return missing;
}

/**
 * A bootable CD image (ISO 9660 with Rock Ridge and Joliet, El Torito
 * no-emulation boot of ISOLINUX with its boot info table) that boots
 * `kernel` with `initrd` and `append` at once, ISOLINUX talking on the first
 * serial port at 115200 baud. `hybrid` adds an MBR (isohybrid) so the same
 * image boots from a USB stick. Returns `out`.
 */
export function buildBootIso(opts: { dir: string; kernel: string; initrd: string; append: string; out: string; hybrid?: boolean }): string {
  const root = join(opts.dir, `${basename(opts.out)}-root`);
  mkdirSync(join(root, 'isolinux'), { recursive: true });
  copyFileSync(ISOLINUX_BIN, join(root, 'isolinux', 'isolinux.bin'));
  copyFileSync(LDLINUX_C32, join(root, 'isolinux', 'ldlinux.c32'));
  copyFileSync(opts.kernel, join(root, 'vmlinuz'));
  copyFileSync(opts.initrd, join(root, 'initrd.gz'));
  // SERIAL must come first; no prompt, no timeout: the one label boots at once
  writeFileSync(
    join(root, 'isolinux', 'isolinux.cfg'),
    ['SERIAL 0 115200', 'DEFAULT live', 'PROMPT 0', 'TIMEOUT 0', 'LABEL live', '  KERNEL /vmlinuz', '  INITRD /initrd.gz', `  APPEND ${opts.append}`, ''].join('\n'),
  );
  const r = spawnSync('genisoimage', [
    '-quiet', '-o', opts.out,
    '-b', 'isolinux/isolinux.bin', '-c', 'isolinux/boot.cat',
    '-no-emul-boot', '-boot-load-size', '4', '-boot-info-table',
    '-J', '-R', '-V', 'TSBMC_TEST', root,
  ]);
  if (r.status !== 0) throw new Error(`genisoimage: ${r.stderr?.toString()}`);
  if (opts.hybrid) {
    const h = spawnSync('isohybrid', [opts.out]);
    if (h.status !== 0) throw new Error(`isohybrid: ${h.stderr?.toString()}`);
  }
  return opts.out;
}
