// Unit tests of the firmware setup model (bios.ts): registry checks, pending
// settings applied at the host's next power-on or reset, reset to defaults,
// passwords, Secure Boot, and persistence across a BMC restart.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BiosSettings, biosAttributeDefs, checkAttribute } from './bios.js';
import { DEFAULT_INVENTORY } from './inventory.js';
import { MemoryPersistence } from './persist.js';
import { makeTestBmc } from './testing.js';

const defs = biosAttributeDefs(DEFAULT_INVENTORY);
const fresh = (persist = new MemoryPersistence()) => new BiosSettings({ attributes: defs, persist, now: () => 1_700_000_000_000 });

describe('BIOS attribute registry', () => {
  it('has 15-30 attributes of every type, unique names fit for the Bios schema', () => {
    assert.ok(defs.length >= 15 && defs.length <= 30, String(defs.length));
    assert.equal(new Set(defs.map((d) => d.name)).size, defs.length);
    for (const d of defs) assert.match(d.name, /^[A-Za-z][A-Za-z0-9_]+$/);
    assert.deepEqual([...new Set(defs.map((d) => d.type))].sort(), ['Boolean', 'Enumeration', 'Integer', 'Password', 'String']);
    // defaults are valid values
    for (const d of defs) if (d.defaultValue !== undefined) assert.equal(checkAttribute({ ...d, readOnly: false }, d.name, d.defaultValue), undefined, d.name);
  });

  it('derives core bounds and PXE per NIC from the inventory', () => {
    const cores = defs.find((d) => d.name === 'ProcCoresEnabled')!;
    assert.equal(cores.upperBound, 8);
    assert.deepEqual(defs.filter((d) => /^Nic\dPxeBoot$/.test(d.name)).map((d) => d.name), ['Nic1PxeBoot', 'Nic2PxeBoot']);
  });

  it('checks each value against its definition', () => {
    const b = fresh();
    assert.deepEqual(b.check({ Nope: 1 }), [{ kind: 'unknown', name: 'Nope' }]);
    assert.deepEqual(b.check({ SecureBoot: 'Enabled' }), [{ kind: 'read-only', name: 'SecureBoot' }]);
    assert.deepEqual(b.check({ BootMode: 1 }), [{ kind: 'type', name: 'BootMode', value: 1 }]);
    assert.deepEqual(b.check({ BootMode: 'Bios' }), [{ kind: 'not-in-list', name: 'BootMode', value: 'Bios' }]);
    assert.deepEqual(b.check({ ProcCoresEnabled: 9 }), [{ kind: 'out-of-range', name: 'ProcCoresEnabled', value: 9 }]);
    assert.deepEqual(b.check({ ProcCoresEnabled: 2.5 }), [{ kind: 'type', name: 'ProcCoresEnabled', value: 2.5 }]);
    assert.deepEqual(b.check({ QuietBoot: 'true' }), [{ kind: 'type', name: 'QuietBoot', value: 'true' }]);
    assert.equal(b.check({ AdminPhone: 'x'.repeat(33) })[0]?.kind, 'too-long');
    assert.equal(b.check({ AdminPassword: 'short' })[0]?.kind, 'too-short');
    assert.deepEqual(b.check({ AdminPassword: '', ProcCoresEnabled: 8, QuietBoot: false, AdminPhone: '555' }), []);
  });
});

describe('BiosSettings', () => {
  it('keeps changes pending until the next boot, all or none', () => {
    const b = fresh();
    assert.equal(b.current.ProcHyperThreading, 'Enabled');
    assert.equal(b.setPending({ ProcHyperThreading: 'Disabled', BootMode: 'Bogus' }).length, 1);
    assert.deepEqual(b.pending, {});
    assert.deepEqual(b.setPending({ ProcHyperThreading: 'Disabled', ProcCoresEnabled: 4 }), []);
    assert.deepEqual(b.pending, { ProcHyperThreading: 'Disabled', ProcCoresEnabled: 4 });
    assert.equal(b.current.ProcHyperThreading, 'Enabled');
    // setting the value in effect withdraws the pending change
    b.setPending({ ProcCoresEnabled: 0 });
    assert.deepEqual(b.pending, { ProcHyperThreading: 'Disabled' });
    assert.deepEqual(b.boot(), ['ProcHyperThreading']);
    assert.equal(b.current.ProcHyperThreading, 'Disabled');
    assert.deepEqual(b.pending, {});
    assert.deepEqual(b.lastApplied, { time: 1_700_000_000_000, attributes: ['ProcHyperThreading'] });
  });

  it('ResetBios makes the defaults pending and flags it', () => {
    const b = fresh();
    b.setPending({ PowerProfile: 'MaxPerformance', QuietBoot: false });
    b.boot();
    b.resetToDefaults();
    assert.equal(b.resetToDefaultsPending, true);
    assert.deepEqual(b.pending, { PowerProfile: 'Balanced', QuietBoot: true });
    b.boot();
    assert.equal(b.resetToDefaultsPending, false);
    assert.equal(b.current.PowerProfile, 'Balanced');
    assert.equal(b.current.QuietBoot, true);
  });

  it('never shows passwords; a pending password applies at boot; ChangePassword checks the old one', () => {
    const b = fresh();
    assert.equal(b.current.AdminPassword, null);
    b.setPending({ AdminPassword: 'secret-one' });
    assert.deepEqual(b.pending, { AdminPassword: null });
    assert.equal(b.hasPassword('AdminPassword'), false);
    b.boot();
    assert.equal(b.hasPassword('AdminPassword'), true);
    assert.equal(b.changePassword('AdminPassword', 'wrong', 'secret-two'), 'wrong-old-password');
    assert.equal(b.changePassword('Nope', '', 'secret-two'), 'unknown-password');
    assert.equal(b.changePassword('AdminPassword', 'secret-one', 'short'), 'bad-new-password');
    assert.equal(b.changePassword('AdminPassword', 'secret-one', 'secret-two'), 'ok');
    assert.equal(b.changePassword('AdminPassword', 'secret-two', ''), 'ok');
    assert.equal(b.hasPassword('AdminPassword'), false);
    assert.equal(b.changePassword('UserPassword', '', 'user-pass-1'), 'ok');
    assert.ok(!JSON.stringify(b.current).includes('user-pass-1'));
  });

  it('Secure Boot takes effect at the next boot, in UEFI mode with a platform key', () => {
    const b = fresh();
    assert.deepEqual(b.secureBoot, { enable: false, currentBoot: 'Disabled', mode: 'UserMode', keys: 'default' });
    assert.equal(b.setSecureBootEnable(true), undefined);
    assert.equal(b.secureBoot.currentBoot, 'Disabled');
    b.boot();
    assert.equal(b.secureBoot.currentBoot, 'Enabled');
    assert.equal(b.current.SecureBoot, 'Enabled');
    // no PK: setup mode, not enforced from the next boot
    b.resetKeys('DeletePK');
    assert.equal(b.secureBoot.mode, 'SetupMode');
    assert.equal(b.secureBoot.currentBoot, 'Enabled');
    b.boot();
    assert.equal(b.secureBoot.currentBoot, 'Disabled');
    b.resetKeys('ResetAllKeysToDefault');
    assert.equal(b.secureBoot.mode, 'UserMode');
    b.resetKeys('DeleteAllKeys');
    assert.equal(b.secureBoot.mode, 'SetupMode');
    assert.equal(b.secureBoot.keys, 'none');
    b.resetKeys('ResetAllKeysToDefault');
    // Legacy boot mode: enabling is refused, and a Legacy boot has no Secure Boot
    b.setPending({ BootMode: 'Legacy' });
    b.setSecureBootEnable(false);
    assert.equal(b.setSecureBootEnable(true), 'needs-uefi');
    b.setPending({ BootMode: 'Uefi' });
    assert.equal(b.setSecureBootEnable(true), undefined);
    b.setPending({ BootMode: 'Legacy' });
    b.boot();
    assert.equal(b.secureBoot.currentBoot, 'Disabled');
  });

  it('persists current, pending, passwords and Secure Boot; drops stored values the registry no longer allows', () => {
    const persist = new MemoryPersistence();
    const a = fresh(persist);
    a.setPending({ PowerProfile: 'PowerSaver', AdminPassword: 'persisted-pw' });
    a.boot();
    a.setPending({ ProcTurboMode: 'Disabled' });
    a.setSecureBootEnable(true);
    const b = fresh(persist);
    assert.equal(b.current.PowerProfile, 'PowerSaver');
    assert.deepEqual(b.pending, { ProcTurboMode: 'Disabled' });
    assert.equal(b.hasPassword('AdminPassword'), true);
    assert.equal(b.secureBoot.enable, true);
    assert.ok(!JSON.stringify(persist.load('bios')).includes('persisted-pw'));
    persist.save('bios', { current: { PowerProfile: 'Turbo', Gone: 1, QuietBoot: 'yes' }, pending: { SecureBoot: 'Enabled', Nope: 2 }, secureBoot: { mode: 'Weird' } });
    const c = fresh(persist);
    assert.equal(c.current.PowerProfile, 'Balanced');
    assert.equal(c.current.QuietBoot, true);
    assert.equal('Gone' in c.current, false);
    assert.deepEqual(c.pending, {});
    assert.equal(c.secureBoot.mode, 'UserMode');
  });
});

describe('Host applies BIOS settings when it boots', () => {
  it('at power-on and at reset, not before', () => {
    const { bmc } = makeTestBmc();
    const h = bmc.hosts[0]!;
    h.bios.setPending({ ProcVirtualization: 'Disabled' });
    h.bios.setSecureBootEnable(true);
    assert.equal(h.request('on'), undefined);
    assert.equal(h.bios.current.ProcVirtualization, 'Disabled');
    assert.equal(h.bios.secureBoot.currentBoot, 'Enabled');
    h.bios.setPending({ SriovGlobalEnable: 'Enabled' });
    assert.equal(h.bios.current.SriovGlobalEnable, 'Disabled');
    assert.equal(h.request('reset'), undefined);
    assert.equal(h.bios.current.SriovGlobalEnable, 'Enabled');
    assert.deepEqual(h.bios.pending, {});
  });

  it('at the power-on half of a power cycle', () => {
    const { bmc, clock } = makeTestBmc();
    const h = bmc.hosts[0]!;
    h.request('on');
    h.bios.setPending({ NumLock: 'Off' });
    h.request('cycle');
    assert.equal(h.bios.current.NumLock, 'On');
    clock.advance(2000);
    assert.equal(h.power, 'on');
    assert.equal(h.bios.current.NumLock, 'Off');
  });
});
