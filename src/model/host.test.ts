// Host behaviour over a stub backend and a manual clock: boot flag valid-bit
// rules (IPMI v2.0 28.12), restore policy, restart causes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultBootOptions, KeepValidOn, type BootOverride } from './boot.js';
import { makeTestBmc } from './testing.js';

const pxeOnce: BootOverride = { ...defaultBootOptions().override, valid: true, device: 'pxe' };

test('an override set with the 60-second rule clears when no Chassis Control follows', () => {
  const { bmc, clock } = makeTestBmc();
  const host = bmc.hosts[0]!;
  host.setBootOverride(pxeOnce, { timeout: true });
  clock.advance(59_000);
  assert.equal(host.boot.override.valid, true);
  clock.advance(2_000);
  assert.equal(host.boot.override.valid, false);
});

test('a Chassis Control within the window restarts the countdown and the boot uses the flags', () => {
  const { bmc, clock, links } = makeTestBmc();
  const host = bmc.hosts[0]!;
  host.setBootOverride(pxeOnce, { timeout: true });
  clock.advance(50_000);
  host.request('on', 'chassis-control', 1);
  assert.equal(links[0]!.lastBoot?.device, 'pxe');
  assert.equal(host.boot.override.valid, false, 'Once consumed by the boot');
});

test('parameter 3 can keep the valid bit past the timeout', () => {
  const { bmc, clock } = makeTestBmc();
  const host = bmc.hosts[0]!;
  host.setBootOptions({ validBitClearing: KeepValidOn.Timeout });
  host.setBootOverride(pxeOnce, { timeout: true });
  clock.advance(120_000);
  assert.equal(host.boot.override.valid, true);
});

test('an override without the rule (Redfish Once) waits for the next boot', () => {
  const { bmc, clock } = makeTestBmc();
  const host = bmc.hosts[0]!;
  host.setBootOverride(pxeOnce);
  clock.advance(3_600_000);
  assert.equal(host.boot.override.valid, true);
});

test('a watchdog reset clears the valid bit instead of using it, unless parameter 3 keeps it', () => {
  for (const keep of [false, true]) {
    const { bmc, links, clock } = makeTestBmc();
    const host = bmc.hosts[0]!;
    host.request('on');
    host.setBootOptions({ validBitClearing: keep ? KeepValidOn.Watchdog | KeepValidOn.Timeout : KeepValidOn.Timeout });
    host.setBootOverride(pxeOnce, { timeout: true });
    host.watchdog.set({ timerUse: 4, dontLog: false, preTimeoutInterrupt: 0, action: 1, preTimeoutSeconds: 0, initialCountdown: 10 }, false, 0);
    host.watchdog.reset();
    clock.advance(1_100);
    assert.equal(host.restartCause, 'watchdog');
    assert.equal(links[0]!.lastBoot?.device, keep ? 'pxe' : 'none');
    assert.equal(host.boot.override.valid, false);
  }
});

test('restore policy: previous powers on after a restart that found the host on', () => {
  const first = makeTestBmc();
  const host = first.bmc.hosts[0]!;
  host.setRestorePolicy('previous');
  host.request('on');
  const again = makeTestBmc({ persist: first.persist });
  again.bmc.hosts[0]!.applyRestorePolicy();
  assert.equal(again.bmc.hosts[0]!.power, 'on');
  assert.equal(again.bmc.hosts[0]!.restartCause, 'policy-previous');
});
