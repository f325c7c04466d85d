// Platform Event Filtering: the filter match (table 17-2, 17.8 data
// comparisons), action priority, PEF control and global control, the
// postpone timer and startup delay, and persistence of the configuration.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chosenPowerAction, eventDataMatches, filterMatches, PefAction } from './pef.js';
import { MemoryPersistence } from './persist.js';
import { makeTestBmc } from './testing.js';

/** CPU Temp (sensor 01h, type 01h) upper critical going high: offset 09h, as the BMC logs it. */
const UCR_HIGH = { generatorId: 0x20, evmRev: 4, sensorType: 0x01, sensorNumber: 0x01, eventDirType: 0x01, eventData: [0x59, 0x50, 0x4b] as [number, number, number] };

/** A filter built byte by byte from table 17-2. */
function filter(o: { config?: number; action: number; type?: number; sensor?: number; trigger?: number; offsets?: number; d1?: [number, number, number] }): Uint8Array {
  const off = o.offsets ?? 0xffff;
  const d1 = o.d1 ?? [0, 0, 0];
  return Uint8Array.from([o.config ?? 0x80, o.action, 0x00, 0x10, 0xff, 0xff, o.type ?? 0xff, o.sensor ?? 0xff, o.trigger ?? 0xff, off & 0xff, off >> 8, ...d1, 0, 0, 0, 0, 0, 0]);
}

test('event data comparison: AND mask, exact bits, any-of the other bits', () => {
  // nothing selected: always matches
  assert.equal(eventDataMatches(0x59, 0x00, 0x00, 0x00), true);
  // exact: the low nibble must be 9
  assert.equal(eventDataMatches(0x59, 0x0f, 0x0f, 0x09), true);
  assert.equal(eventDataMatches(0x57, 0x0f, 0x0f, 0x09), false);
  // any-of: bit 0 or bit 3 set
  assert.equal(eventDataMatches(0x01, 0x09, 0x00, 0x09), true);
  assert.equal(eventDataMatches(0x08, 0x09, 0x00, 0x09), true);
  assert.equal(eventDataMatches(0x02, 0x09, 0x00, 0x09), false);
  // mixed: bit 7 must be 0 exactly, and one of bits 0..1 must be 1
  assert.equal(eventDataMatches(0x01, 0x83, 0x80, 0x03), true);
  assert.equal(eventDataMatches(0x81, 0x83, 0x80, 0x03), false);
});

test('filter fields: sensor type, number, trigger, offset mask, disabled entries', () => {
  assert.equal(filterMatches(filter({ action: 2 }), UCR_HIGH), true);
  assert.equal(filterMatches(filter({ action: 2, config: 0x00 }), UCR_HIGH), false);
  assert.equal(filterMatches(filter({ action: 2, type: 0x01, sensor: 0x01, trigger: 0x01, offsets: 1 << 9 }), UCR_HIGH), true);
  assert.equal(filterMatches(filter({ action: 2, type: 0x02 }), UCR_HIGH), false);
  assert.equal(filterMatches(filter({ action: 2, sensor: 0x02 }), UCR_HIGH), false);
  assert.equal(filterMatches(filter({ action: 2, trigger: 0x6f }), UCR_HIGH), false);
  assert.equal(filterMatches(filter({ action: 2, offsets: 1 << 7 }), UCR_HIGH), false);
  // deassertion keeps the trigger (the direction bit is not part of it)
  assert.equal(filterMatches(filter({ action: 2, trigger: 0x01 }), { ...UCR_HIGH, eventDirType: 0x81 }), true);
  assert.equal(filterMatches(filter({ action: 2, d1: [0x0f, 0x0f, 0x09] }), UCR_HIGH), true);
  assert.equal(filterMatches(filter({ action: 2, d1: [0x0f, 0x0f, 0x07] }), UCR_HIGH), false);
});

test('priority: power down, then power cycle, reset, diagnostic interrupt', () => {
  assert.equal(chosenPowerAction(0x2e), 'off');
  assert.equal(chosenPowerAction(0x2c), 'cycle');
  assert.equal(chosenPowerAction(0x24), 'reset');
  assert.equal(chosenPowerAction(0x20), 'diag');
  assert.equal(chosenPowerAction(0x01), undefined);
});

test('a matching event powers the host off with a PEF Action record and restart cause for a cycle', () => {
  const { bmc, links } = makeTestBmc();
  const host = bmc.hosts[0]!;
  host.request('on');
  assert.equal(host.pef.setFilter(1, filter({ action: PefAction.PowerCycle | PefAction.Reset, type: 0x01 })), undefined);
  host.platformEvent(UCR_HIGH);
  assert.equal(host.power, 'off');
  assert.equal(host.restartCause, 'pef-cycle');
  const records = host.sel.list();
  assert.equal(records.length, 2);
  // the event, then System Event (12h) sensor-specific offset 04h "PEF Action", data 2 = power cycle
  assert.deepEqual([...records[1]!.body.subarray(7)], [0x12, 0xff, 0x6f, 0xc4, 0x08, 0xff]);
  assert.equal(host.pef.lastProcessed.bmc, records[0]!.id);
  assert.ok(links[0]!.calls.includes('off'));
});

test('PEF control off, a disabled action and a disabled filter do nothing; control bit 1 off logs no record', () => {
  const { bmc } = makeTestBmc();
  const host = bmc.hosts[0]!;
  host.request('on');
  host.pef.setFilter(1, filter({ action: PefAction.PowerDown }));
  host.pef.setControl(0x02);
  host.platformEvent(UCR_HIGH);
  assert.equal(host.power, 'on');
  host.pef.setControl(0x03);
  host.pef.setActionControl(PefAction.Reset);
  host.platformEvent(UCR_HIGH);
  assert.equal(host.power, 'on');
  host.pef.setActionControl(0x2e);
  host.pef.setFilterConfig(1, 0x00);
  host.platformEvent(UCR_HIGH);
  assert.equal(host.power, 'on');
  assert.equal(host.sel.count, 3);
  host.pef.setFilterConfig(1, 0x80);
  host.pef.setControl(0x01);
  host.platformEvent(UCR_HIGH);
  assert.equal(host.power, 'off');
  assert.equal(host.sel.count, 4);
});

test('the postpone timer defers events; those software processed are skipped', () => {
  const { bmc, clock } = makeTestBmc();
  const host = bmc.hosts[0]!;
  host.request('on');
  host.pef.setFilter(1, filter({ action: PefAction.Reset, sensor: 0x01 }));
  assert.equal(host.pef.armPostpone(10), 10);
  host.platformEvent(UCR_HIGH);
  const first = host.sel.last()!.id;
  clock.advance(4000);
  assert.equal(host.pef.postponeCountdown, 6);
  assert.equal(host.restartCause, 'chassis-control');
  // software handled the event itself
  host.pef.setLastProcessed('software', first);
  clock.advance(6000);
  assert.equal(host.pef.postponeCountdown, 0);
  assert.equal(host.restartCause, 'chassis-control');
  assert.equal(host.sel.count, 1);
  // temporary disable holds events until the timer is disabled
  assert.equal(host.pef.armPostpone(0xfe), 0xfe);
  host.platformEvent(UCR_HIGH);
  clock.advance(60_000);
  assert.equal(host.restartCause, 'chassis-control');
  assert.equal(host.pef.armPostpone(0), 0);
  assert.equal(host.restartCause, 'pef-reset');
});

test('the startup delay holds PEF after a power-up when enabled', () => {
  const { bmc, clock } = makeTestBmc();
  const host = bmc.hosts[0]!;
  host.pef.setFilter(1, filter({ action: PefAction.PowerDown }));
  host.pef.setStartupDelay(5);
  host.pef.setControl(0x0b);
  host.request('on');
  host.platformEvent(UCR_HIGH);
  clock.advance(4000);
  assert.equal(host.power, 'on');
  clock.advance(1000);
  assert.equal(host.power, 'off');
});

test('configuration and last processed ids persist; bad entries are refused', () => {
  const persist = new MemoryPersistence();
  const a = makeTestBmc({ persist });
  const pef = a.bmc.hosts[0]!.pef;
  const f = filter({ action: PefAction.PowerDown, type: 0x01 });
  assert.equal(pef.setFilter(3, f), undefined);
  assert.equal(pef.setControl(0x01), undefined);
  pef.setLastProcessed('software', 0x1234);
  assert.equal(pef.setFilter(0, f), 'no-such-filter');
  assert.equal(pef.setFilter(17, f), 'no-such-filter');
  assert.equal(pef.setFilter(2, filter({ action: PefAction.Oem })), 'unsupported-action');
  assert.equal(pef.setFilter(2, filter({ action: 2, config: 0xa0 })), 'reserved-bits');
  assert.equal(pef.setControl(0x04), 'unsupported-control');
  assert.equal(pef.setControl(0x10), 'reserved-bits');
  assert.equal(pef.setActionControl(0x10), 'unsupported-action');
  const b = makeTestBmc({ persist }).bmc.hosts[0]!.pef;
  assert.deepEqual([...b.filter(3)!], [...f]);
  assert.equal(b.config.control, 0x01);
  assert.equal(b.lastProcessed.software, 0x1234);
  assert.deepEqual([...b.filter(2)!], new Array(20).fill(0));
});
