// The firmware's boot plans: every boot device the BMC can ask for ends in
// a defined outcome, fall-throughs reach the disk, and the POST lines.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { BootDevice } from '../../model/boot.js';
import { bootPlan, postLines } from './firmware.js';

const DEVICES: readonly BootDevice[] = [
  'none', 'pxe', 'disk', 'disk-safe', 'diag', 'cdrom', 'bios-setup', 'remote-floppy',
  'remote-cdrom', 'remote-disk', 'floppy', 'usb', 'uefi-http',
];
const ENV = { media: null, osInstalled: true, mac: '02:00:00:00:00:01' };
const texts = (p: ReturnType<typeof bootPlan>): string => p.lines.map((l) => l.text).join('\n');

test('every device: setup stays in setup, the rest boot the OS from disk when nothing else boots', () => {
  for (const device of DEVICES) {
    const plan = bootPlan({ device, mode: 'legacy' }, ENV);
    assert.deepEqual(plan.outcome, device === 'bios-setup' ? { kind: 'setup' } : { kind: 'os' }, device);
    assert.ok(plan.lines.every((l) => l.delay >= 0 && l.delay < 1), device);
    if (device !== 'bios-setup') assert.match(texts(plan), /Booting from Hard Disk/, device);
  }
});

test('CD and virtual CD boot attached media', () => {
  for (const device of ['cdrom', 'remote-cdrom'] as const) {
    const plan = bootPlan({ device, mode: 'uefi' }, { ...ENV, media: 'x.iso' });
    assert.deepEqual(plan.outcome, { kind: 'media', name: 'x.iso' });
    assert.match(texts(plan), /Boot mode: UEFI/);
    assert.doesNotMatch(texts(plan), /Hard Disk/);
  }
});

test('without an OS on the disk the firmware stops with "No bootable device"', () => {
  const plan = bootPlan({ device: 'pxe', mode: 'legacy' }, { ...ENV, osInstalled: false });
  assert.deepEqual(plan.outcome, { kind: 'halt' });
  assert.match(texts(plan), /PXE-E51[\s\S]*No bootable device/);
});

test('an unknown device string from outside the type falls back to the default order', () => {
  const plan = bootPlan({ device: 'toString' as BootDevice, mode: 'legacy' }, ENV);
  assert.deepEqual(plan.outcome, { kind: 'os' });
});

test('POST shows the memory it found', () => {
  const text = postLines({ cpus: 8, memoryMiB: 32768, dimms: 2 }).map((l) => l.text).join('\n');
  assert.match(text, /Memory Test: 32768 MB OK \(2 DIMMs\)/);
  assert.match(text, /8 x Simulated/);
});
