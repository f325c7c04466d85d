// LogEntry rendering of SEL records (golden strings written from IPMI v2.0
// tables 42-2/42-3 and `ipmitool sel elist` wording, not from this code),
// the log services over the model, ClearLog, and the audit log.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RedfishSchemas } from '../../../test/helpers/redfish-schemas.js';
import { silentLogger } from '../../log.js';
import { AuditLog } from '../../model/audit.js';
import { ManualClock } from '../../model/clock.js';
import { MemoryPersistence } from '../../model/persist.js';
import { encodeSystemEvent, type SelRecord } from '../../model/sel.js';
import { makeTestBmc } from '../../model/testing.js';
import { RedfishService } from '../server.js';
import { auditLogEntry, isoAt, offsetText, parseOffset, selLogEntry } from './log-services.js';
import { managerRoutes } from './managers.js';

const ENTRIES = '/redfish/v1/Systems/system/LogServices/EventLog/Entries';
// 2024-01-02T03:04:05Z
const T = 1704164645;

function record(id: number, bytes: { type?: number; sensorType: number; sensor: number; dir: number; data: [number, number, number] }): SelRecord {
  return {
    id,
    type: bytes.type ?? 0x02,
    body: encodeSystemEvent({ timestamp: T, generatorId: 0x20, evmRev: 4, sensorType: bytes.sensorType, sensorNumber: bytes.sensor, eventDirType: bytes.dir, eventData: bytes.data }),
  };
}

let schemas: RedfishSchemas | undefined;
function valid(body: Record<string, unknown>): void {
  schemas ??= new RedfishSchemas();
  assert.deepEqual(schemas.validate(body), [], JSON.stringify(body));
}

describe('SEL record → LogEntry', () => {
  const { bmc } = makeTestBmc();
  const host = bmc.hosts[0]!;

  it('threshold assertion: upper non-critical going high on CPU Temp (0x01), reading 81 threshold 80', () => {
    const e = selLogEntry(host, record(5, { sensorType: 0x01, sensor: 0x01, dir: 0x01, data: [0x57, 81, 80] }), ENTRIES);
    assert.deepEqual(e, {
      '@odata.id': `${ENTRIES}/5`,
      '@odata.type': '#LogEntry.v1_21_0.LogEntry',
      Id: '5',
      Name: 'SEL Entry 5',
      EntryType: 'SEL',
      Created: '2024-01-02T03:04:05+00:00',
      EventTimestamp: '2024-01-02T03:04:05+00:00',
      Severity: 'Warning',
      Message: 'CPU Temp: Upper Non-critical going high, Asserted, reading 81 threshold 80 degrees C',
      MessageId: 'SensorEvent.1.1.0.ReadingAboveUpperCautionThreshold',
      MessageArgs: ['CPU Temp', '81', 'degrees C', '80'],
      EntryCode: 'Assert',
      SensorType: 'Temperature',
      SensorNumber: 1,
      GeneratorId: '0x0020',
    });
    valid(e);
  });

  it('threshold critical assertion and deassertions', () => {
    const uc = selLogEntry(host, record(6, { sensorType: 0x01, sensor: 0x01, dir: 0x01, data: [0x59, 93, 92] }), ENTRIES);
    assert.equal(uc.Severity, 'Critical');
    assert.equal(uc.MessageId, 'SensorEvent.1.1.0.ReadingAboveUpperCriticalThreshold');
    assert.equal(uc.Message, 'CPU Temp: Upper Critical going high, Asserted, reading 93 threshold 92 degrees C');
    const unr = selLogEntry(host, record(7, { sensorType: 0x01, sensor: 0x01, dir: 0x01, data: [0x5b, 93, 92] }), ENTRIES);
    assert.equal(unr.Severity, 'Critical');
    assert.equal(unr.MessageId, 'SensorEvent.1.1.0.ReadingAboveUpperFatalThreshold');
    const de = selLogEntry(host, record(8, { sensorType: 0x01, sensor: 0x01, dir: 0x81, data: [0x57, 77, 80] }), ENTRIES);
    assert.equal(de.Severity, 'OK');
    assert.equal(de.EntryCode, 'Deassert');
    assert.equal(de.Message, 'CPU Temp: Upper Non-critical going high, Deasserted, reading 77 threshold 80 degrees C');
    assert.equal(de.MessageId, 'SensorEvent.1.1.0.SensorReadingNormalRange');
    assert.deepEqual(de.MessageArgs, ['CPU Temp', '77', 'degrees C']);
    const ucDe = selLogEntry(host, record(9, { sensorType: 0x01, sensor: 0x01, dir: 0x81, data: [0x59, 90, 92] }), ENTRIES);
    assert.equal(ucDe.MessageId, 'SensorEvent.1.1.0.ReadingBelowUpperCriticalThreshold');
    valid(de);
  });

  it('lower threshold on 12V converts counts with the sensor factors (M=63, R=-3)', () => {
    // 160 counts = 10.080 V, 163 counts = 10.269 V
    const e = selLogEntry(host, record(10, { sensorType: 0x02, sensor: 0x30, dir: 0x01, data: [0x52, 160, 163] }), ENTRIES);
    assert.equal(e.Message, '12V: Lower Critical going low, Asserted, reading 10.08 threshold 10.269 Volts');
    assert.equal(e.MessageId, 'SensorEvent.1.1.0.ReadingBelowLowerCriticalThreshold');
    assert.equal(e.Severity, 'Critical');
    assert.equal(e.SensorType, 'Voltage');
  });

  it('a threshold event without readings (ipmitool sel add) and an unknown sensor number', () => {
    const e = selLogEntry(host, record(11, { sensorType: 0x02, sensor: 0x99, dir: 0x01, data: [0x07, 0xff, 0xff] }), ENTRIES);
    assert.equal(e.Message, 'Voltage #0x99: Upper Non-critical going high, Asserted');
    assert.equal(e.MessageId, '0x0107ffff');
    assert.equal(e.MessageArgs, undefined);
    assert.equal(e.Severity, 'Warning');
    valid(e);
  });

  it('watchdog expiry (hard reset) and pre-timeout interrupt', () => {
    const wd = selLogEntry(host, record(12, { sensorType: 0x23, sensor: 0xca, dir: 0x6f, data: [0xc1, 0x04, 0xff] }), ENTRIES);
    assert.equal(wd.Message, 'Watchdog2 #0xca: Hard reset, Asserted');
    assert.equal(wd.Severity, 'Critical');
    assert.equal(wd.SensorType, 'Watchdog');
    assert.equal(wd.MessageId, '0x6fc104ff');
    assert.equal(wd.EntryCode, 'Assert');
    valid(wd);
    const pre = selLogEntry(host, record(13, { sensorType: 0x23, sensor: 0xca, dir: 0x6f, data: [0xc8, 0x14, 0xff] }), ENTRIES);
    assert.equal(pre.Message, 'Watchdog2 #0xca: Timer interrupt, Asserted');
    assert.equal(pre.Severity, 'Warning');
  });

  it('chassis intrusion (sensor-specific, physical security)', () => {
    const e = selLogEntry(host, record(14, { sensorType: 0x05, sensor: 0xaa, dir: 0x6f, data: [0x00, 0xff, 0xff] }), ENTRIES);
    assert.equal(e.Message, 'Chassis Intru: General Chassis intrusion, Asserted');
    assert.equal(e.Severity, 'Critical');
    assert.equal(e.SensorType, 'Physical Chassis Security');
  });

  it('OEM records carry their raw bytes', () => {
    const oem: SelRecord = { id: 15, type: 0xe0, body: Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13]) };
    const e = selLogEntry(host, oem, ENTRIES);
    assert.deepEqual(e, {
      '@odata.id': `${ENTRIES}/15`,
      '@odata.type': '#LogEntry.v1_21_0.LogEntry',
      Id: '15',
      Name: 'SEL Entry 15',
      EntryType: 'SEL',
      Severity: 'OK',
      Message: 'OEM record type 0xe0: 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d',
      EntryCode: 'OEM',
    });
    valid(e);
    const ts: SelRecord = { id: 16, type: 0xc1, body: Uint8Array.from([0x25, 0x7d, 0x93, 0x65, 0x57, 0x01, 0, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff]) };
    assert.equal(selLogEntry(host, ts, ENTRIES).Created, '2024-01-02T03:04:05+00:00');
  });

  it('time text: offsets and ISO', () => {
    assert.equal(offsetText(0x7ff), '+00:00');
    assert.equal(offsetText(-330), '-05:30');
    assert.equal(parseOffset('+05:30'), 330);
    assert.equal(parseOffset('-12:00'), -720);
    assert.equal(parseOffset('5:30'), undefined);
    assert.equal(parseOffset('+25:00'), undefined);
    assert.equal(isoAt(T, 120), '2024-01-02T05:04:05+02:00');
  });
});

describe('log services over the model', () => {
  const auth = `Basic ${Buffer.from('admin:password').toString('base64')}`;
  const opAuth = `Basic ${Buffer.from('operator:operpass').toString('base64')}`;
  function service(hosts = 1) {
    const t = makeTestBmc({ hosts });
    const svc = new RedfishService({ bmc: t.bmc, log: silentLogger, routes: managerRoutes() });
    const call = async (method: string, url: string, body?: unknown, authorization = auth) =>
      svc.router.handle({ method, url, headers: { authorization }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}), clientAddress: '127.0.0.1' });
    return { ...t, svc, call };
  }

  it('the EventLog lists SEL records as LogEntries; $top/$skip page them; ClearLog empties the SEL', async () => {
    const { bmc, call } = service();
    const sel = bmc.hosts[0]!.sel;
    for (let i = 0; i < 5; i++) sel.addSystemEvent({ generatorId: 0x20, evmRev: 4, sensorType: 1, sensorNumber: 1, eventDirType: 1, eventData: [0x57, 81, 80] });
    const svcBody = await call('GET', '/redfish/v1/Systems/system/LogServices/EventLog');
    assert.equal(svcBody.status, 200);
    const ls = svcBody.body as Record<string, unknown>;
    assert.equal(ls.MaxNumberOfRecords, 64);
    assert.equal(ls.OverWritePolicy, 'NeverOverWrites');
    valid(ls);
    const page = await call('GET', `${ENTRIES}?$top=2&$skip=1`);
    const pb = page.body as { Members: { Id: string }[]; 'Members@odata.count': number };
    assert.equal(pb['Members@odata.count'], 5);
    assert.deepEqual(pb.Members.map((m) => m.Id), ['2', '3']);
    const one = await call('GET', `${ENTRIES}/3`);
    assert.equal(one.status, 200);
    assert.equal((await call('GET', `${ENTRIES}/99`)).status, 404);
    assert.equal((await call('GET', `${ENTRIES}/03`)).status, 404);
    // the Manager's SEL is the same log for a single host
    const mgr = await call('GET', '/redfish/v1/Managers/bmc/LogServices/SEL/Entries');
    assert.equal((mgr.body as { 'Members@odata.count': number })['Members@odata.count'], 5);
    // ClearLog with a stale ETag is refused
    const stale = await call('POST', '/redfish/v1/Systems/system/LogServices/EventLog/Actions/LogService.ClearLog', { LogEntriesETag: 'W/"nope"' });
    assert.equal(stale.status, 428);
    // an operator may clear a system's log (ConfigureComponents), not the Manager's
    assert.equal((await call('POST', '/redfish/v1/Managers/bmc/LogServices/SEL/Actions/LogService.ClearLog', {}, opAuth)).status, 403);
    const cleared = await call('POST', '/redfish/v1/Systems/system/LogServices/EventLog/Actions/LogService.ClearLog', {}, opAuth);
    assert.equal(cleared.status, 200);
    assert.equal(sel.count, 0);
  });

  it('1024 entries render fast', () => {
    const { bmc } = makeTestBmc();
    const host = bmc.hosts[0]!;
    const records = Array.from({ length: 1024 }, (_, i) => record(i + 1, { sensorType: 1, sensor: 1, dir: 1, data: [0x57, 81, 80] }));
    const start = performance.now();
    const out = records.map((r) => selLogEntry(host, r, ENTRIES));
    assert.equal(out.length, 1024);
    assert.ok(performance.now() - start < 100, 'rendering 1024 entries takes < 100 ms');
  });

  it('multi-host: one EventLog per system, no Manager SEL', async () => {
    const { call } = service(2);
    assert.equal((await call('GET', '/redfish/v1/Systems/node1/LogServices/EventLog')).status, 200);
    assert.equal((await call('GET', '/redfish/v1/Systems/node2/LogServices/EventLog')).status, 404);
    const logs = (await call('GET', '/redfish/v1/Managers/bmc/LogServices')).body as { Members: { '@odata.id': string }[] };
    assert.deepEqual(logs.Members.map((m) => m['@odata.id']), ['/redfish/v1/Managers/bmc/LogServices/AuditLog', '/redfish/v1/Managers/bmc/LogServices/Diagnostics']);
    assert.equal((await call('GET', '/redfish/v1/Managers/bmc/LogServices/SEL')).status, 404);
  });

  it('the audit log records Redfish writes with the user and result', async () => {
    const { bmc, call } = service();
    await call('PATCH', '/redfish/v1/Managers/bmc', { DateTimeLocalOffset: '+01:00' });
    await call('PATCH', '/redfish/v1/Managers/bmc', { Bogus: 1 }, opAuth);
    const list = bmc.audit.list();
    assert.equal(list.length, 2);
    assert.deepEqual({ ...list[0], time: 0 }, { id: 1, time: 0, user: 'admin', source: '127.0.0.1', via: 'Redfish', operation: 'PATCH', target: '/redfish/v1/Managers/bmc', status: 200 });
    // refused by privilege: recorded too
    assert.equal(list[1]!.user, 'operator');
    assert.equal(list[1]!.status, 403);
    const entries = (await call('GET', '/redfish/v1/Managers/bmc/LogServices/AuditLog/Entries')).body as { Members: Record<string, unknown>[] };
    assert.equal(entries.Members[0]!.Message, 'admin PATCH /redfish/v1/Managers/bmc via Redfish from 127.0.0.1: 200');
    assert.equal(entries.Members[0]!.Username, 'admin');
    valid(entries.Members[0]!);
    valid((await call('GET', '/redfish/v1/Managers/bmc/LogServices/AuditLog')).body as Record<string, unknown>);
  });
});

describe('AuditLog model', () => {
  it('is a bounded ring that persists and reloads', () => {
    const persist = new MemoryPersistence();
    const clock = new ManualClock();
    const a = new AuditLog({ clock, persist, capacity: 3 });
    for (let i = 0; i < 5; i++) a.record({ user: `u${i}`, source: '10.0.0.1', via: 'Redfish', operation: 'PATCH', target: '/x', status: 200 });
    assert.deepEqual(a.list().map((r) => r.id), [3, 4, 5]);
    assert.equal(a.get(4)?.user, 'u3');
    assert.equal(a.get(1), undefined);
    const b = new AuditLog({ clock, persist, capacity: 3 });
    assert.deepEqual(b.list().map((r) => r.user), ['u2', 'u3', 'u4']);
    assert.equal(b.record({ user: 'x', source: '', via: 'Redfish', operation: 'POST', target: '/y', status: 201 }).id, 6);
    b.clear();
    assert.equal(new AuditLog({ clock, persist }).count, 0);
  });

  it('renders an anonymous failed login', () => {
    const e = auditLogEntry({ id: 9, time: T * 1000, user: '', source: '', via: 'Redfish', operation: 'POST', target: '/redfish/v1/SessionService/Sessions', status: 401 }, '/e');
    assert.equal(e.Message, '(anonymous) POST /redfish/v1/SessionService/Sessions via Redfish from unknown: 401');
    assert.equal(e.Severity, 'Warning');
    assert.equal(e.Created, '2024-01-02T03:04:05+00:00');
  });
});
