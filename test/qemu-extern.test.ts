// End to end: tsbmc as QEMU's external BMC. Boots the qemu-guest tools' tiny
// Linux guest (KCS interface, ipmi-bmc-extern chardev) against tsbmc's
// --extern-port and runs ipmitool inside it through the kernel driver:
// mc info, raw Get Device ID (compared with the same command over LAN),
// sel list, sensor list, and an in-band watchdog left to expire, whose hard
// reset the model carries out and logs. Needs qemu-system-x86_64 and the
// harness (../shared/tools/qemu-guest beside the project, or $QEMU_GUEST_TOOLS); without
// them it is skipped with a loud notice (under CI a missing QEMU fails).
// About 15 s under TCG once the guest images are cached; the first build
// downloads ~73 MB of Debian packages into .cache/qemu-guest.
import assert from 'node:assert/strict';
import { buildGuestImages } from './helpers/qemu-guest.js';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { ipmitool, keyValues, run, startBmcProcess } from './helpers/bmc-process.js';

// from dist/test/ the project's parent is three levels up
const TOOLS = process.env.QEMU_GUEST_TOOLS ?? fileURLToPath(new URL('../../../shared/tools/qemu-guest', import.meta.url));
const REPO = fileURLToPath(new URL('../../', import.meta.url));
const CACHE = process.env.QEMU_GUEST_CACHE ?? join(REPO, '.cache', 'qemu-guest');

function loud(msg: string): void {
  const line = '!'.repeat(78);
  process.stderr.write(`${line}\n!! ${msg}\n${line}\n`);
}

function freeTcpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

const COMMANDS = `# run by the guest's ipmitool on /dev/ipmi0 (KCS -> QEMU -> chardev -> tsbmc)
mc info
raw 0x06 0x01
sel list
sensor list
# in-band watchdog: timer use SMS/OS, hard reset, 2.0 s; started, then left to expire
raw 0x06 0x24 0x04 0x01 0x00 0x00 0x14 0x00
mc watchdog reset
sh: sleep 4
mc watchdog get
sel list
`;

test('a QEMU guest uses tsbmc as its BMC over KCS (ipmitool in the guest)', { timeout: 290_000 }, async (t) => {
  if (spawnSync('sh', ['-c', 'command -v qemu-system-x86_64']).status !== 0) {
    loud('qemu-system-x86_64 is missing: SKIPPING the QEMU external-BMC end-to-end test (apt-get install qemu-system-x86 cpio kmod)');
    if (process.env.CI) assert.fail('CI=true: qemu-system-x86_64 is required (bash .ci/run installs it)');
    t.skip('SKIPPED: qemu-system-x86_64 missing');
    return;
  }
  if (!existsSync(join(TOOLS, 'run-guest.sh'))) {
    loud(`the qemu-guest harness is missing at ${TOOLS}: SKIPPING the QEMU external-BMC end-to-end test (set QEMU_GUEST_TOOLS)`);
    t.skip(`SKIPPED: no harness at ${TOOLS}`);
    return;
  }
  const build = await buildGuestImages(TOOLS, CACHE);
  assert.equal(build.code, 0, `build-guest.sh failed:\n${build.stdout}\n${build.stderr}`);

  const externPort = await freeTcpPort();
  const bmc = await startBmcProcess({ args: ['--extern-port', String(externPort)] });
  t.after(() => bmc.stop());
  // the watchdog's hard reset acts on a host that is on
  assert.equal((await ipmitool(bmc, ['chassis', 'power', 'on'])).code, 0);
  const lanDeviceId = (await ipmitool(bmc, ['raw', '0x06', '0x01'])).stdout.trim();

  const dir = mkdtempSync(join(tmpdir(), 'tsbmc-qemu-'));
  writeFileSync(join(dir, 'commands.txt'), COMMANDS);
  const r = await run(
    join(TOOLS, 'run-guest.sh'),
    ['--cache', CACHE, '--bmc', `127.0.0.1:${externPort}`, '--commands', join(dir, 'commands.txt'), '--timeout', '150', '--log', join(dir, 'console.log')],
    200_000,
  );
  const out = r.stdout + r.stderr;
  t.diagnostic(`guest run: ${/RESULT .*/.exec(out)?.[0] ?? 'no RESULT line'} (console log ${join(dir, 'console.log')})`);
  assert.equal(r.code, 0, out);
  assert.match(out, /RESULT PASS SUMMARY total=9 passed=9 failed=0 .*end=guest-poweroff/);
  assert.match(out, /Device ID\s+: 32/);
  assert.match(out, /Firmware Revision\s+: /);
  // the same Get Device ID bytes in-band as over LAN
  assert.ok(lanDeviceId.length > 0 && out.includes(lanDeviceId), `guest raw 0x06 0x01 differs from LAN "${lanDeviceId}"`);
  assert.match(out, /SEL has no entries/);
  assert.match(out, /System Temp\s+\|\s+[\d.]+\s+\| degrees C\s+\| ok/);
  assert.match(out, /Timer Expiration Flags: \(0x10\)/);
  assert.match(out, /Watchdog2 #0x[0-9a-f]+ \| Hard reset \| Asserted/);
  // the model carried the expiry out on the host
  assert.equal(keyValues((await ipmitool(bmc, ['chassis', 'restart_cause'])).stdout).get('System restart cause'), 'watchdog expired');
});
