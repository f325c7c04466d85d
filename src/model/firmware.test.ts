// Firmware inventory: manifest parsing, refusal of garbage, the timed update
// procedure reported through a task, and activation on resets.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { parseImage } from './firmware.js';
import { MemoryPersistence } from './persist.js';
import { makeTestBmc } from './testing.js';

const enc = (s: string) => new TextEncoder().encode(s);
export function image(manifest: Record<string, unknown>, payload = 'PAYLOAD'): Uint8Array {
  return enc(`${JSON.stringify(manifest)}\n${payload}`);
}
const flush = () => new Promise((r) => setImmediate(r));

describe('parseImage', () => {
  it('reads a manifest line', () => {
    const r = parseImage(image({ component: 'bios', version: '1.0.4', releaseDate: '2026-02-01' }), 'x.bin');
    assert.deepEqual(r, { ok: true, manifest: { component: 'bios', version: '1.0.4', releaseDate: '2026-02-01', source: 'header', payloadBytes: 7 } });
  });
  it('checks the payload digest when the manifest has one', () => {
    const sha256 = createHash('sha256').update('PAYLOAD').digest('hex');
    assert.equal(parseImage(image({ component: 'bmc', version: '2.0', sha256 }), 'x').ok, true);
    assert.deepEqual(parseImage(image({ component: 'bmc', version: '2.0', sha256 }, 'PAYLOAd'), 'x'), { ok: false, reason: 'checksum-mismatch' });
  });
  it('takes component and version from the file name of an image without a manifest', () => {
    const r = parseImage(new Uint8Array([1, 2, 3]), 'bios-1.0.4.bin');
    assert.ok(r.ok);
    assert.equal(r.manifest.component, 'bios');
    assert.equal(r.manifest.version, '1.0.4');
    assert.equal(r.manifest.source, 'file-name');
  });
  const garbage: [string, Uint8Array, string, string][] = [
    ['empty', new Uint8Array(0), 'bios-1.0.bin', 'empty'],
    ['random bytes, no version in the name', new Uint8Array([0xde, 0xad, 0xbe, 0xef]), 'garbage.bin', 'no-manifest'],
    ['a header without newline', enc('{"component":"bios","version":"1"}'), 'x', 'bad-manifest'],
    ['a header that is not JSON', enc('{component: bios}\nxx'), 'x', 'bad-manifest'],
    ['an unknown component', image({ component: 'gpu', version: '1' }), 'x', 'bad-manifest'],
    ['a non-updateable component', image({ component: 'psu', version: '1' }), 'x', 'bad-manifest'],
    ['a bad version', image({ component: 'bios', version: '1 0; rm -rf' }), 'x', 'bad-manifest'],
    ['an unknown key', image({ component: 'bios', version: '1', extra: 1 }), 'x', 'bad-manifest'],
    ['a bad date', image({ component: 'bios', version: '1', releaseDate: 'yesterday' }), 'x', 'bad-manifest'],
    ['an array (no manifest, no version in the name)', enc('[1]\nx'), 'x', 'no-manifest'],
    ['no payload', enc('{"component":"bios","version":"1"}\n'), 'x', 'no-payload'],
    ['invalid UTF-8 header', new Uint8Array([0x7b, 0xff, 0xfe, 0x7d, 0x0a, 0x41]), 'x', 'bad-manifest'],
  ];
  for (const [what, bytes, name, reason] of garbage) {
    it(`refuses ${what}`, () => assert.deepEqual(parseImage(bytes, name), { ok: false, reason }));
  }
});

async function runUpdate(t: ReturnType<typeof makeTestBmc>, bytes: Uint8Array, name: string, targets?: string[]) {
  const task = t.bmc.tasks.create({ name: 'fw', owner: 'admin' });
  assert.ok(typeof task !== 'string');
  const percents: number[] = [];
  t.bmc.tasks.on((c) => c.task === task && percents.push(c.task.percent));
  assert.equal(t.bmc.firmware.update({ task, imageName: name, ...(targets ? { targets } : {}), source: async () => bytes }), undefined);
  for (let i = 0; i < 200 && !task.finished; i++) {
    await flush();
    t.clock.advance(100);
  }
  await flush();
  return { task, percents };
}

describe('FirmwareInventory', () => {
  it('lists BMC, BIOS, CPLD and PSU firmware', () => {
    const { bmc } = makeTestBmc();
    assert.deepEqual(
      bmc.firmware.components().map((c) => [c.id, c.version, c.updateable]),
      [['bmc', '1.2.0', true], ['bios', bmc.hosts[0]!.inventory.biosVersion, true], ['cpld', '1.2', true], ['psu', '02.10', false]],
    );
    assert.equal(bmc.firmware.component('bios')?.host, 0);
  });

  it('updates the BIOS in ~6 s with rising progress; it activates on the next power-on', async () => {
    const t = makeTestBmc();
    const { task, percents } = await runUpdate(t, image({ component: 'bios', version: '9.9.9' }), 'bios.bin', ['bios']);
    assert.equal(task.state, 'Completed');
    assert.ok(task.endTime! - task.startTime >= 5000, `took ${task.endTime! - task.startTime} ms`);
    assert.ok(percents.length >= 10);
    assert.deepEqual([...percents].sort((a, b) => a - b), percents);
    assert.equal(percents.at(-1), 100);
    assert.deepEqual(
      task.messages.map((m) => m.key),
      ['TaskStarted', 'TransferringToComponent', 'VerifyingAtComponent', 'TargetDetermined', 'AllTargetsDetermined', 'InstallingOnComponent', 'AwaitToActivate', 'TaskCompletedOK'],
    );
    const bios = t.bmc.firmware.component('bios')!;
    assert.equal(bios.pending?.version, '9.9.9');
    assert.notEqual(bios.version, '9.9.9');
    t.bmc.hosts[0]!.request('on');
    assert.equal(t.bmc.firmware.component('bios')!.version, '9.9.9');
    assert.equal(t.bmc.firmware.component('bios')!.pending, undefined);
  });

  it('activates a staged BIOS on a host reset too', async () => {
    const t = makeTestBmc();
    t.bmc.hosts[0]!.request('on');
    await runUpdate(t, image({ component: 'bios', version: '3.0' }), 'b.bin');
    t.bmc.hosts[0]!.request('reset');
    assert.equal(t.bmc.firmware.component('bios')!.version, '3.0');
  });

  it('activates the BMC image on activatePending("bmc") (Manager.Reset) and IPMI sees it', async () => {
    const t = makeTestBmc();
    await runUpdate(t, image({ component: 'bmc', version: '4.7.1' }), 'bmc.bin');
    assert.equal(t.bmc.device.firmwareVersion, '1.2.0');
    assert.equal(t.bmc.firmware.activatePending('bmc')?.version, '4.7.1');
    assert.equal(t.bmc.device.firmwareVersion, '4.7.1');
    assert.equal(t.bmc.device.firmwareMajor, 4);
    assert.equal(t.bmc.device.firmwareMinor, 7);
    assert.equal(t.bmc.firmware.activatePending('bmc'), undefined);
  });

  it('activates a staged BMC image when the BMC starts again, and keeps flashed versions', async () => {
    const persist = new MemoryPersistence();
    const t = makeTestBmc({ persist });
    await runUpdate(t, image({ component: 'bmc', version: '5.0' }), 'bmc.bin');
    await runUpdate(t, image({ component: 'bios', version: '7.0' }), 'bios.bin');
    t.bmc.hosts[0]!.request('on');
    const again = makeTestBmc({ persist });
    assert.equal(again.bmc.firmware.component('bmc')!.version, '5.0');
    assert.equal(again.bmc.device.firmwareVersion, '5.0');
    assert.equal(again.bmc.firmware.component('bios')!.version, '7.0');
  });

  it('ends garbage in Exception with VerificationFailed and changes nothing', async () => {
    const t = makeTestBmc();
    const { task } = await runUpdate(t, new Uint8Array([1, 2, 3, 4]), 'garbage.bin');
    assert.equal(task.state, 'Exception');
    assert.equal(task.health, 'Critical');
    assert.ok(task.messages.some((m) => m.key === 'VerificationFailed'));
    assert.ok(t.bmc.firmware.components().every((c) => c.pending === undefined));
  });

  it('refuses an image for another component than the targets (UpdateNotApplicable)', async () => {
    const t = makeTestBmc();
    const { task } = await runUpdate(t, image({ component: 'bmc', version: '2.0' }), 'bmc.bin', ['bios']);
    assert.equal(task.state, 'Exception');
    assert.deepEqual(task.messages.find((m) => m.key === 'UpdateNotApplicable')?.args, ['bmc.bin', 'BIOS']);
  });

  it('ends in Exception with TransferFailed when the image cannot be fetched', async () => {
    const t = makeTestBmc();
    const task = t.bmc.tasks.create({ name: 'fw', owner: 'admin' });
    assert.ok(typeof task !== 'string');
    t.bmc.firmware.update({ task, imageName: 'x.bin', source: () => Promise.reject(new Error('HTTP 404')) });
    await flush();
    assert.equal(task.state, 'Exception');
    assert.ok(task.messages.some((m) => m.key === 'TransferFailed'));
    assert.equal(t.bmc.firmware.activeUpdate, undefined);
  });

  it('runs one update at a time; cancel works until writing starts', async () => {
    const t = makeTestBmc();
    const a = t.bmc.tasks.create({ name: 'a', owner: 'admin' });
    const b = t.bmc.tasks.create({ name: 'b', owner: 'admin' });
    assert.ok(typeof a !== 'string' && typeof b !== 'string');
    const bytes = image({ component: 'bios', version: '2' });
    assert.equal(t.bmc.firmware.update({ task: a, imageName: 'x', source: async () => bytes }), undefined);
    assert.equal(t.bmc.firmware.update({ task: b, imageName: 'x', source: async () => bytes }), 'update-in-progress');
    await flush();
    t.clock.advance(500);
    assert.equal(a.cancel(), undefined);
    await flush();
    assert.equal(a.state, 'Cancelled');
    assert.equal(t.bmc.firmware.activeUpdate, undefined);
    t.clock.advance(20_000);
    await flush();
    assert.equal(t.bmc.firmware.component('bios')!.pending, undefined);
    // a second one, past verification: no longer cancellable
    assert.equal(t.bmc.firmware.update({ task: b, imageName: 'x', source: async () => bytes }), undefined);
    for (let i = 0; i < 30; i++) {
      await flush();
      t.clock.advance(100);
    }
    await flush();
    assert.ok(b.percent >= 40, String(b.percent));
    assert.equal(b.cancel(), 'not-cancellable');
  });
});
