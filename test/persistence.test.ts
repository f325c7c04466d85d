// State that was acknowledged survives a restart and a kill -9: SEL, users,
// boot options, restore policy, thresholds, LAN settings.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ipmitool, keyValues, startBmcProcess } from './helpers/bmc-process.js';

test('restart and SIGKILL keep SEL, users, boot options and settings', async () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'tsbmc-persist-'));
  try {
    let bmc = await startBmcProcess({ stateDir });
    const ok = async (args: string[]): Promise<string> => {
      const r = await ipmitool(bmc, args);
      assert.equal(r.code, 0, `ipmitool ${args.join(' ')}: ${r.stderr}`);
      return r.stdout;
    };
    await ok(['sel', 'clear']);
    const events = join(stateDir, 'ev.txt');
    writeFileSync(events, '0x04 0x01 0x30 0x01 0x07 0x00 0x00\n0x04 0x02 0x31 0x01 0x01 0x00 0x00\n');
    await ok(['sel', 'add', events]);
    await ok(['user', 'set', 'name', '6', 'bob']);
    await ok(['user', 'set', 'password', '6', 'bobpassword']);
    await ok(['chassis', 'bootdev', 'pxe', 'options=persistent,efiboot']);
    await ok(['chassis', 'policy', 'always-on']);
    await ok(['sensor', 'thresh', '12V', 'unc', '12.5']);
    await ok(['lan', 'set', '1', 'ipaddr', '192.0.2.10']);
    const selBefore = await ok(['sel', 'list']);
    // kill -9 right after the acknowledgements
    await bmc.stop('SIGKILL');

    bmc = await startBmcProcess({ stateDir });
    const selAfter = await ok(['sel', 'list']);
    assert.equal(selAfter, selBefore);
    assert.match(await ok(['user', 'list', '1']), /^6\s+bob\s/m);
    const p = await ok(['chassis', 'bootparam', 'get', '5']);
    assert.match(p, /Force PXE/);
    assert.match(p, /Options apply to all future boots/);
    assert.match(p, /BIOS EFI boot/);
    const status = keyValues(await ok(['chassis', 'status']));
    assert.equal(status.get('Power Restore Policy'), 'always-on');
    // always-on applied at start: the host is on
    assert.equal(status.get('System Power'), 'on');
    assert.match(await ok(['sensor', 'get', '12V']), /Upper non-critical\s+: 12\.4\d+|Upper Non-Critical\s+: 12\.\d+/i);
    assert.equal(keyValues(await ok(['lan', 'print', '1'])).get('IP Address'), '192.0.2.10');
    await bmc.stop('SIGTERM');

    // a plain stop and start keeps it as well
    bmc = await startBmcProcess({ stateDir });
    assert.equal(await ok(['sel', 'list']), selBefore);
    await bmc.stop();
  } finally {
    rmSync(stateDir, { recursive: true, force: true });
  }
});

test('SIGKILL in the middle of a stream of SEL writes leaves the store intact', async () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'tsbmc-kill-'));
  try {
    let bmc = await startBmcProcess({ stateDir });
    await ipmitool(bmc, ['sel', 'clear']);
    // several ipmitool processes adding records at once; kill while they run
    const file = join(stateDir, 'many.txt');
    writeFileSync(file, Array.from({ length: 40 }, (_, i) => `0x04 0x01 0x${(i + 1).toString(16)} 0x01 0x07 0x00 0x00`).join('\n') + '\n');
    const writers = [ipmitool(bmc, ['sel', 'add', file]), ipmitool(bmc, ['sel', 'add', file])];
    await new Promise((r) => setTimeout(r, 400));
    await bmc.stop('SIGKILL');
    await Promise.all(writers);
    bmc = await startBmcProcess({ stateDir });
    const info = await ipmitool(bmc, ['sel', 'info']);
    assert.equal(info.code, 0, info.stderr);
    const n = Number(keyValues(info.stdout).get('Entries'));
    assert.ok(n >= 0 && n <= 80);
    const list = await ipmitool(bmc, ['sel', 'list']);
    assert.equal(list.code, 0);
    if (n > 0) assert.equal(list.stdout.trim().split('\n').length, n);
    await bmc.stop();
  } finally {
    rmSync(stateDir, { recursive: true, force: true });
  }
});
