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

test("the OS's own reboot takes a pending override (Once consumed, persistent kept), as servers' firmware does", () => {
  for (const persistent of [false, true]) {
    const { bmc, links } = makeTestBmc();
    const host = bmc.hosts[0]!;
    host.request('on');
    host.setBootOverride({ ...pxeOnce, persistent }, { timeout: true });
    const reports = links[0]!.reports!;
    reports.restarted('vm-reset');
    assert.equal(host.restartCause, 'soft-reset');
    assert.equal(reports.takeBootChoice().device, 'pxe');
    assert.equal(host.boot.override.valid, persistent);
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

test('DCMI power limit: the cap reaches the platform; an excursion past the correction time logs once (11h)', () => {
  const { bmc, clock, links } = makeTestBmc();
  const host = bmc.hosts[0]!;
  const link = links[0]!;
  host.request('on', 'chassis-control', 1);
  host.setPowerLimit({ exceptionAction: 0x11, limitWatts: 120, correctionMs: 3000, samplingSeconds: 1, active: true });
  assert.equal(link.powerCap, 120);
  const before = host.sel.count;
  link.powerWatts = 150;
  for (let i = 0; i < 3; i++) {
    clock.advance(1000);
    host.scan();
  }
  assert.equal(host.sel.count, before, 'within the correction time');
  for (let i = 0; i < 5; i++) {
    clock.advance(1000);
    host.scan();
  }
  assert.equal(host.sel.count, before + 1, 'one record per excursion');
  const rec = host.sel.last()!;
  assert.equal(rec.type, 0xc0);
  // manufacturer 000000, DCh, action, average 150 W, limit 120 W
  assert.deepEqual([...rec.body.subarray(4)], [0, 0, 0, 0xdc, 0x11, 150, 0, 120, 0]);
  assert.equal(host.power, 'on', 'log only');
  // back under the limit (the average over the sampling period too), then over again: a new excursion
  link.powerWatts = 100;
  for (let i = 0; i < 2; i++) {
    clock.advance(1000);
    host.scan();
  }
  link.powerWatts = 150;
  for (let i = 0; i < 5; i++) {
    clock.advance(1000);
    host.scan();
  }
  assert.equal(host.sel.count, before + 2);
  host.setPowerLimit({ ...host.powerLimit, active: false });
  assert.equal(link.powerCap, null);
});

test('DCMI power limit: exception action 01h logs and hard powers the host off; 00h does nothing', () => {
  const { bmc, clock, links } = makeTestBmc({ hosts: 2 });
  const [a, b] = [bmc.hosts[0]!, bmc.hosts[1]!];
  for (const [i, h] of [a, b].entries()) {
    h.request('on', 'chassis-control', 1);
    links[i]!.powerWatts = 200;
  }
  a.setPowerLimit({ exceptionAction: 0x01, limitWatts: 150, correctionMs: 1000, samplingSeconds: 1, active: true });
  b.setPowerLimit({ exceptionAction: 0x00, limitWatts: 150, correctionMs: 1000, samplingSeconds: 1, active: true });
  const selB = b.sel.count;
  for (let i = 0; i < 4; i++) {
    clock.advance(1000);
    a.scan();
    b.scan();
  }
  assert.equal(a.power, 'off');
  assert.equal(a.sel.last()?.type, 0xc0);
  assert.equal(b.power, 'on');
  assert.equal(b.sel.count, selB);
});
