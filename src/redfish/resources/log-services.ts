// Log services (Redfish LogService v1_9 / LogEntry v1_21): each host's System
// Event Log as /Systems/{id}/LogServices/EventLog (as bmcweb does), the same
// log as the Manager's "SEL" when the BMC manages one host, and the BMC's
// audit log as the Manager's "AuditLog". SEL records stay in their IPMI form
// (IPMI v2.0 section 32); `selLogEntry` renders one record as a LogEntry:
// EntryType SEL, Message in words as `ipmitool sel elist` prints it, Severity
// from the event, MessageId from the DMTF SensorEvent registry where a
// message fits (threshold crossings), otherwise the schema's "0xNNaabbcc"
// form (EventDir/Type byte and the three event data bytes). ClearLog clears
// the log exactly as IPMI Clear SEL does (one model call).
import type { AuditRecord } from '../../model/audit.js';
import type { Bmc } from '../../model/bmc.js';
import type { Host } from '../../model/host.js';
import { decodeSystemEvent, isTimestamped, type SelRecord, type SystemEvent } from '../../model/sel.js';
import { byteToRaw, EventReadingType, fromRaw, SensorType } from '../../model/sensors.js';
import { readBody } from '../body.js';
import { hostBySystemId, MANAGER_ID, paths, requireManager, ROOT } from '../ids.js';
import { Base, Errors, RedfishError } from '../messages.js';
import { etagOf, type JsonObject, type RequestContext, type RouteDef } from '../router.js';
import { collection, odataType } from '../schemas.js';

// ---- time ------------------------------------------------------------------

/** "+HH:MM" for minutes from UTC; the unspecified offset (0x7FF) is UTC. */
export function offsetText(minutes: number): string {
  const m = minutes === 0x7ff ? 0 : minutes;
  const sign = m < 0 ? '-' : '+';
  const a = Math.abs(m);
  return `${sign}${String(Math.floor(a / 60)).padStart(2, '0')}:${String(a % 60).padStart(2, '0')}`;
}

/** Minutes from "+HH:MM", or undefined when malformed or beyond ±24 h. */
export function parseOffset(text: string): number | undefined {
  const m = /^([-+])([0-2][0-9]):([0-5][0-9])$/.exec(text);
  if (!m) return undefined;
  const v = (Number(m[2]) * 60 + Number(m[3])) * (m[1] === '-' ? -1 : 1);
  return Math.abs(v) > 1440 ? undefined : v;
}

/** RFC 3339 text of epoch seconds, shown in the given UTC offset (minutes). */
export function isoAt(seconds: number, offsetMinutes = 0): string {
  const m = offsetMinutes === 0x7ff ? 0 : offsetMinutes;
  return `${new Date((seconds + m * 60) * 1000).toISOString().slice(0, 19)}${offsetText(m)}`;
}

// ---- SEL records as LogEntry -------------------------------------------------

type Severity = 'OK' | 'Warning' | 'Critical';

/** Redfish LogEntry SensorType names, by IPMI sensor type code (table 42-3). */
const SENSOR_TYPE_NAMES: Readonly<Record<number, string>> = {
  0x01: 'Temperature',
  0x02: 'Voltage',
  0x03: 'Current',
  0x04: 'Fan',
  0x05: 'Physical Chassis Security',
  0x06: 'Platform Security Violation Attempt',
  0x07: 'Processor',
  0x08: 'Power Supply / Converter',
  0x09: 'PowerUnit',
  0x0a: 'CoolingDevice',
  0x0b: 'Other Units-based Sensor',
  0x0c: 'Memory',
  0x0d: 'Drive Slot/Bay',
  0x0e: 'POST Memory Resize',
  0x0f: 'System Firmware Progress',
  0x10: 'Event Logging Disabled',
  0x11: 'Watchdog',
  0x12: 'System Event',
  0x13: 'Critical Interrupt',
  0x14: 'Button/Switch',
  0x15: 'Module/Board',
  0x16: 'Microcontroller/Coprocessor',
  0x17: 'Add-in Card',
  0x18: 'Chassis',
  0x19: 'ChipSet',
  0x1a: 'Other FRU',
  0x1b: 'Cable/Interconnect',
  0x1c: 'Terminator',
  0x1d: 'SystemBoot/Restart',
  0x1e: 'Boot Error',
  0x1f: 'BaseOSBoot/InstallationStatus',
  0x20: 'OS Stop/Shutdown',
  0x21: 'Slot/Connector',
  0x22: 'System ACPI PowerState',
  0x23: 'Watchdog',
  0x24: 'Platform Alert',
  0x25: 'Entity Presence',
  0x26: 'Monitor ASIC/IC',
  0x27: 'LAN',
  0x28: 'Management Subsystem Health',
  0x29: 'Battery',
  0x2a: 'Session Audit',
  0x2b: 'Version Change',
  0x2c: 'FRUState',
};

/** How ipmitool names a sensor type when no sensor of that number is known. */
const IPMITOOL_TYPE_NAMES: Readonly<Record<number, string>> = {
  0x05: 'Physical Security',
  0x08: 'Power Supply',
  0x09: 'Power Unit',
  0x0a: 'Cooling Device',
  0x0b: 'Other',
  0x23: 'Watchdog2',
};

export function sensorTypeName(type: number): string | undefined {
  if (type >= 0xc0) return 'OEM';
  return SENSOR_TYPE_NAMES[type];
}

/** Generic threshold offsets (table 42-2), as ipmitool words them, and the severity an assertion has. */
const THRESHOLD_EVENTS: readonly (readonly [string, Severity])[] = [
  ['Lower Non-critical going low', 'Warning'],
  ['Lower Non-critical going high', 'Warning'],
  ['Lower Critical going low', 'Critical'],
  ['Lower Critical going high', 'Critical'],
  ['Lower Non-recoverable going low', 'Critical'],
  ['Lower Non-recoverable going high', 'Critical'],
  ['Upper Non-critical going low', 'Warning'],
  ['Upper Non-critical going high', 'Warning'],
  ['Upper Critical going low', 'Critical'],
  ['Upper Critical going high', 'Critical'],
  ['Upper Non-recoverable going low', 'Critical'],
  ['Upper Non-recoverable going high', 'Critical'],
];

/**
 * SensorEvent 1.1.0 messages for threshold crossings: by offset, the message
 * an assertion and a deassertion has. Crossings in the "other" direction
 * (an upper threshold going low) have no registry message.
 */
const THRESHOLD_MESSAGES: Readonly<Record<number, { assert: string; deassert: string }>> = {
  0: { assert: 'ReadingBelowLowerCautionThreshold', deassert: 'SensorReadingNormalRange' },
  2: { assert: 'ReadingBelowLowerCriticalThreshold', deassert: 'ReadingAboveLowerCriticalThreshold' },
  4: { assert: 'ReadingBelowLowerFatalThreshold', deassert: 'ReadingAboveLowerFatalThreshold' },
  7: { assert: 'ReadingAboveUpperCautionThreshold', deassert: 'SensorReadingNormalRange' },
  9: { assert: 'ReadingAboveUpperCriticalThreshold', deassert: 'ReadingBelowUpperCriticalThreshold' },
  11: { assert: 'ReadingAboveUpperFatalThreshold', deassert: 'ReadingBelowUpperFatalThreshold' },
};

export const SENSOR_EVENT_REGISTRY = 'SensorEvent.1.1.0';

/** Sensor-specific offsets (table 42-3) of the sensor types this BMC logs, worded as ipmitool does. */
const SPECIFIC_EVENTS: Readonly<Record<number, Readonly<Record<number, readonly [string, Severity]>>>> = {
  [SensorType.PhysicalSecurity]: {
    0: ['General Chassis intrusion', 'Critical'],
    1: ['Drive Bay intrusion', 'Critical'],
    2: ['I/O Card area intrusion', 'Critical'],
    3: ['Processor area intrusion', 'Critical'],
    4: ['System unplugged from LAN', 'Warning'],
    5: ['Unauthorized dock', 'Warning'],
    6: ['FAN area intrusion', 'Critical'],
  },
  [SensorType.Processor]: {
    0: ['IERR', 'Critical'],
    1: ['Thermal Trip', 'Critical'],
    2: ['FRB1/BIST failure', 'Critical'],
    3: ['FRB2/Hang in POST failure', 'Critical'],
    4: ['FRB3/Processor Startup/Init failure', 'Critical'],
    5: ['Configuration Error', 'Critical'],
    6: ['SM BIOS Uncorrectable CPU-complex Error', 'Critical'],
    7: ['Presence detected', 'OK'],
    8: ['Disabled', 'Warning'],
    9: ['Terminator presence detected', 'OK'],
    10: ['Throttled', 'Warning'],
  },
  [SensorType.PowerSupply]: {
    0: ['Presence detected', 'OK'],
    1: ['Failure detected', 'Critical'],
    2: ['Predictive failure', 'Warning'],
    3: ['Power Supply AC lost', 'Critical'],
    4: ['AC lost or out-of-range', 'Critical'],
    5: ['AC out-of-range, but present', 'Warning'],
    6: ['Config Error', 'Warning'],
  },
  [SensorType.PowerUnit]: {
    0: ['Power off/down', 'OK'],
    1: ['Power cycle', 'OK'],
    2: ['240VA power down', 'Warning'],
    3: ['Interlock power down', 'Warning'],
    4: ['AC lost', 'Critical'],
    5: ['Soft-power control failure', 'Critical'],
    6: ['Failure detected', 'Critical'],
    7: ['Predictive failure', 'Warning'],
  },
  [SensorType.Memory]: {
    0: ['Correctable ECC', 'Warning'],
    1: ['Uncorrectable ECC', 'Critical'],
    2: ['Parity', 'Critical'],
    3: ['Memory Scrub Failed', 'Critical'],
    4: ['Memory Device Disabled', 'Warning'],
    5: ['Correctable ECC logging limit reached', 'Warning'],
    6: ['Presence Detected', 'OK'],
    7: ['Configuration Error', 'Critical'],
    8: ['Spare', 'OK'],
    9: ['Throttled', 'Warning'],
    10: ['Critical Overtemperature', 'Critical'],
  },
  [SensorType.SystemEvent]: {
    0: ['System Reconfigured', 'OK'],
    1: ['OEM System boot event', 'OK'],
    2: ['Undetermined system hardware failure', 'Critical'],
    3: ['Entry added to auxiliary log', 'OK'],
    4: ['PEF Action', 'OK'],
    5: ['Timestamp Clock Sync', 'OK'],
  },
  [SensorType.CriticalInterrupt]: {
    0: ['NMI/Diag Interrupt', 'Critical'],
    1: ['Bus Timeout', 'Critical'],
    2: ['I/O Channel check NMI', 'Critical'],
    3: ['Software NMI', 'Critical'],
    4: ['PCI PERR', 'Critical'],
    5: ['PCI SERR', 'Critical'],
  },
  [SensorType.Watchdog2]: {
    0: ['Timer expired, status only', 'Warning'],
    1: ['Hard reset', 'Critical'],
    2: ['Power down', 'Critical'],
    3: ['Power cycle', 'Critical'],
    8: ['Timer interrupt', 'Warning'],
  },
};

/** Generic discrete event types (table 42-2) this BMC's sensors use. */
const GENERIC_EVENTS: Readonly<Record<number, Readonly<Record<number, readonly [string, Severity]>>>> = {
  [EventReadingType.DiscreteState]: { 0: ['State Deasserted', 'OK'], 1: ['State Asserted', 'Warning'] },
  [EventReadingType.DiscretePresence]: { 0: ['Device Absent', 'Warning'], 1: ['Device Present', 'OK'] },
};

function hex2(n: number): string {
  return n.toString(16).padStart(2, '0');
}

function showValue(v: number): string {
  return String(Number(v.toPrecision(6)));
}

/** The pieces of a decoded system event, as words and Redfish values. */
export interface SelEventText {
  sensorName: string;
  event: string;
  asserted: boolean;
  severity: Severity;
  /** "reading 81 threshold 80 degrees C", when the record carries them. */
  detail?: string;
  registry?: { key: string; args: string[] };
}

/** Words for one system event record of a host (what `ipmitool sel elist` prints). */
export function describeSystemEvent(host: Host | undefined, e: SystemEvent): SelEventText {
  const sensor = host?.sensors.get(e.sensorNumber);
  const typeName = IPMITOOL_TYPE_NAMES[e.sensorType] ?? SENSOR_TYPE_NAMES[e.sensorType] ?? `Unknown #0x${hex2(e.sensorType)}`;
  const sensorName = sensor?.def.name ?? `${typeName} #0x${hex2(e.sensorNumber)}`;
  const asserted = (e.eventDirType & 0x80) === 0;
  const ert = e.eventDirType & 0x7f;
  const offset = e.eventData[0] & 0x0f;
  let event: string;
  let severity: Severity;
  let detail: string | undefined;
  let registry: SelEventText['registry'];
  if (ert === EventReadingType.Threshold) {
    const t = THRESHOLD_EVENTS[offset];
    event = t ? t[0] : `Threshold offset 0x${hex2(offset)}`;
    severity = t ? t[1] : 'Warning';
    // event data 2 and 3 hold the trigger reading and threshold (data 1 bits 7:4 = 0101b)
    if ((e.eventData[0] & 0xf0) === 0x50) {
      const unit = sensor?.def.unit ?? '';
      const conv = sensor?.def.conversion;
      const reading = conv ? showValue(fromRaw(byteToRaw(e.eventData[1], conv), conv)) : `0x${hex2(e.eventData[1])}`;
      const threshold = conv ? showValue(fromRaw(byteToRaw(e.eventData[2], conv), conv)) : `0x${hex2(e.eventData[2])}`;
      detail = `reading ${reading} threshold ${threshold}${unit ? ` ${unit}` : ''}`;
      const m = THRESHOLD_MESSAGES[offset];
      if (m) {
        const key = asserted ? m.assert : m.deassert;
        registry = { key, args: key === 'SensorReadingNormalRange' ? [sensorName, reading, unit] : [sensorName, reading, unit, threshold] };
      }
    }
  } else {
    const table = ert === EventReadingType.SensorSpecific ? SPECIFIC_EVENTS[e.sensorType] : GENERIC_EVENTS[ert];
    const t = table?.[offset];
    event = t ? t[0] : `${ert === EventReadingType.SensorSpecific ? 'Sensor-specific' : 'Discrete'} offset 0x${hex2(offset)}`;
    severity = t ? t[1] : 'Warning';
  }
  if (!asserted) severity = 'OK';
  return { sensorName, event, asserted, severity, ...(detail ? { detail } : {}), ...(registry ? { registry } : {}) };
}

/** One SEL record as a LogEntry under `entriesPath`. */
export function selLogEntry(host: Host | undefined, r: SelRecord, entriesPath: string): JsonObject {
  const id = String(r.id);
  const body: JsonObject = {
    '@odata.id': `${entriesPath}/${id}`,
    '@odata.type': odataType('LogEntry'),
    Id: id,
    Name: `SEL Entry ${id}`,
    EntryType: 'SEL',
  };
  const e = decodeSystemEvent(r);
  if (e) {
    const t = describeSystemEvent(host, e);
    const created = isoAt(e.timestamp);
    const raw = `0x${hex2(e.eventDirType)}${hex2(e.eventData[0])}${hex2(e.eventData[1])}${hex2(e.eventData[2])}`;
    Object.assign(body, {
      Created: created,
      EventTimestamp: created,
      Severity: t.severity,
      Message: `${t.sensorName}: ${t.event}, ${t.asserted ? 'Asserted' : 'Deasserted'}${t.detail ? `, ${t.detail}` : ''}`,
      MessageId: t.registry ? `${SENSOR_EVENT_REGISTRY}.${t.registry.key}` : raw,
      ...(t.registry ? { MessageArgs: t.registry.args } : {}),
      EntryCode: t.asserted ? 'Assert' : 'Deassert',
      ...(sensorTypeName(e.sensorType) ? { SensorType: sensorTypeName(e.sensorType) } : {}),
      SensorNumber: e.sensorNumber,
      GeneratorId: `0x${e.generatorId.toString(16).padStart(4, '0')}`,
    });
    return body;
  }
  // OEM records (types 0xC0-0xFF) or a malformed system record: raw bytes.
  const bytes = [...r.body].map(hex2).join(' ');
  if (isTimestamped(r.type) && r.body.length >= 4) {
    const ts = (r.body[0]! | (r.body[1]! << 8) | (r.body[2]! << 16) | (r.body[3]! << 24)) >>> 0;
    body.Created = isoAt(ts);
  }
  Object.assign(body, {
    Severity: 'OK',
    Message: `OEM record type 0x${hex2(r.type)}: ${bytes}`,
    EntryCode: 'OEM',
  });
  return body;
}

// ---- audit records as LogEntry ----------------------------------------------------

export function auditLogEntry(r: AuditRecord, entriesPath: string): JsonObject {
  const id = String(r.id);
  // IPMI records carry a completion code (0 = success), the others an HTTP status
  const ipmi = r.via.startsWith('IPMI');
  const ok = ipmi ? r.status === 0 : r.status >= 200 && r.status < 400;
  const result = ipmi ? `completion code 0x${r.status.toString(16).padStart(2, '0')}` : String(r.status);
  return {
    '@odata.id': `${entriesPath}/${id}`,
    '@odata.type': odataType('LogEntry'),
    Id: id,
    Name: `Audit Entry ${id}`,
    EntryType: 'Oem',
    OemRecordFormat: 'tsbmc Audit',
    Created: isoAt(Math.floor(r.time / 1000)),
    Severity: ok ? 'OK' : 'Warning',
    Message: `${r.user || '(anonymous)'} ${r.operation} ${r.target} via ${r.via} from ${r.source || 'unknown'}: ${result}`,
    ...(r.user ? { Username: r.user } : {}),
    ...(r.source ? { Originator: r.source, OriginatorType: 'Client' } : {}),
  };
}

// ---- routes ------------------------------------------------------------------

const SEL_ID = 'SEL';
const EVENT_LOG_ID = 'EventLog';
const AUDIT_ID = 'AuditLog';
/** The support bundles' log service (diagnostics.ts). */
const DIAGNOSTICS_ID = 'Diagnostics';
const MANAGER_LOGS = `${ROOT}/Managers/${MANAGER_ID}/LogServices`;

function systemLogs(bmc: Bmc, host: Host): string {
  return `${paths.system(bmc, host)}/LogServices`;
}

/** The host whose SEL the Manager serves as "SEL": the only one. */
function managerSelHost(bmc: Bmc): Host | undefined {
  return bmc.hosts.length === 1 ? bmc.hosts[0] : undefined;
}

function selService(host: Host, path: string, id: string): JsonObject {
  const sel = host.sel;
  return {
    '@odata.id': path,
    '@odata.type': odataType('LogService'),
    Id: id,
    Name: 'System Event Log',
    Description: `IPMI System Event Log of ${host.name}`,
    LogEntryType: 'SEL',
    LogPurposes: ['Diagnostic', 'Operations'],
    MaxNumberOfRecords: sel.capacity,
    OverWritePolicy: sel.overflowPolicy === 'wrap' ? 'WrapsWhenFull' : 'NeverOverWrites',
    Overflow: sel.overflow,
    DateTime: isoAt(sel.time(), sel.utcOffset),
    DateTimeLocalOffset: offsetText(sel.utcOffset),
    ServiceEnabled: true,
    Persistency: true,
    Status: { State: 'Enabled', Health: 'OK' },
    Entries: { '@odata.id': `${path}/Entries` },
    Actions: { '#LogService.ClearLog': { target: `${path}/Actions/LogService.ClearLog` } },
  };
}

function selEntries(host: Host, path: string): JsonObject {
  const entries = `${path}/Entries`;
  const members = host.sel.list().map((r) => selLogEntry(host, r, entries));
  return {
    '@odata.id': entries,
    '@odata.type': '#LogEntryCollection.LogEntryCollection',
    Name: 'System Event Log Entries',
    'Members@odata.count': members.length,
    Members: members,
  };
}

function entryId(text: string | undefined, type = 'LogEntry'): number {
  if (!text || !/^[1-9][0-9]{0,9}$/.test(text)) throw Errors.notFound(type, text ?? '');
  return Number(text);
}

/**
 * ClearLog: the optional LogEntriesETag must match the entries collection's
 * current ETag (428 otherwise, as the schema says).
 */
async function clearLog(ctx: RequestContext, entries: () => JsonObject, clear: () => void): Promise<{ status: number; body: unknown }> {
  const b = readBody<{ LogEntriesETag?: string }>(ctx.body ?? {}, { LogEntriesETag: { type: 'string', maxLength: 64 } }, { allowEmpty: true });
  if (b.LogEntriesETag !== undefined && b.LogEntriesETag !== etagOf(entries())) {
    throw new RedfishError(428, [Base.message('PreconditionFailed')]);
  }
  clear();
  return { status: 200, body: { '@Message.ExtendedInfo': [Base.message('Success')] } };
}

/** ConfigureComponents may clear a system's log (privilege registry: LogService under ComputerSystem). */
const componentsMay = (ctx: RequestContext): boolean => ctx.principal?.privileges.has('ConfigureComponents') ?? false;

function selRoutes(base: string, entity: string, resolve: (ctx: RequestContext) => { host: Host; path: string; id: string }, system: boolean): RouteDef[] {
  const allowIf = system ? { POST: componentsMay } : undefined;
  return [
    {
      path: base,
      entity: 'LogService',
      get: (ctx) => {
        const r = resolve(ctx);
        return selService(r.host, r.path, r.id);
      },
    },
    {
      path: `${base}/Entries`,
      entity: 'LogEntryCollection',
      get: (ctx) => {
        const r = resolve(ctx);
        return selEntries(r.host, r.path);
      },
    },
    {
      path: `${base}/Entries/{EntryId}`,
      entity: 'LogEntry',
      get: (ctx) => {
        const r = resolve(ctx);
        const rec = r.host.sel.get(entryId(ctx.params.EntryId));
        if (!rec) throw Errors.notFound('LogEntry', ctx.params.EntryId ?? '');
        return selLogEntry(r.host, rec, `${r.path}/Entries`);
      },
    },
    {
      path: `${base}/Actions/LogService.ClearLog`,
      entity,
      ...(allowIf ? { allowIf } : {}),
      post: (ctx) => {
        const r = resolve(ctx);
        return clearLog(ctx, () => selEntries(r.host, r.path), () => r.host.sel.clear());
      },
    },
  ];
}

function auditService(): JsonObject {
  const path = `${MANAGER_LOGS}/${AUDIT_ID}`;
  return {
    '@odata.id': path,
    '@odata.type': odataType('LogService'),
    Id: AUDIT_ID,
    Name: 'Audit Log',
    Description: 'Changes made through the front doors: who, what, result',
    LogEntryType: 'OEM',
    LogPurposes: ['Security'],
    ServiceEnabled: true,
    Persistency: true,
    OverWritePolicy: 'WrapsWhenFull',
    Status: { State: 'Enabled', Health: 'OK' },
    Entries: { '@odata.id': `${path}/Entries` },
    Actions: { '#LogService.ClearLog': { target: `${path}/Actions/LogService.ClearLog` } },
  };
}

function auditEntries(bmc: Bmc): JsonObject {
  const entries = `${MANAGER_LOGS}/${AUDIT_ID}/Entries`;
  const members = bmc.audit.list().map((r) => auditLogEntry(r, entries));
  return {
    '@odata.id': entries,
    '@odata.type': '#LogEntryCollection.LogEntryCollection',
    Name: 'Audit Log Entries',
    'Members@odata.count': members.length,
    Members: members,
  };
}

/** Every log service route: the systems' event logs and the Manager's SEL and audit log. */
export function logServiceRoutes(): RouteDef[] {
  const sysBase = `${ROOT}/Systems/{SystemId}/LogServices`;
  const systemSel = (ctx: RequestContext) => {
    const host = hostBySystemId(ctx.bmc, ctx.params.SystemId);
    return { host, path: `${systemLogs(ctx.bmc, host)}/${EVENT_LOG_ID}`, id: EVENT_LOG_ID };
  };
  const managerSel = (ctx: RequestContext) => {
    requireManager(ctx.params.ManagerId);
    const host = managerSelHost(ctx.bmc);
    if (!host) throw Errors.notFound('LogService', SEL_ID);
    return { host, path: `${MANAGER_LOGS}/${SEL_ID}`, id: SEL_ID };
  };
  const audit = (ctx: RequestContext): void => requireManager(ctx.params.ManagerId);
  const mgrBase = `${ROOT}/Managers/{ManagerId}/LogServices`;
  return [
    {
      path: sysBase,
      entity: 'LogServiceCollection',
      get: (ctx) => {
        const host = hostBySystemId(ctx.bmc, ctx.params.SystemId);
        const base = systemLogs(ctx.bmc, host);
        return { ...collection('LogService', base, 'System Log Services', [`${base}/${EVENT_LOG_ID}`]), Description: 'Log services of this system' };
      },
    },
    ...selRoutes(`${sysBase}/${EVENT_LOG_ID}`, 'LogService', systemSel, true),
    {
      path: mgrBase,
      entity: 'LogServiceCollection',
      get: (ctx) => {
        requireManager(ctx.params.ManagerId);
        const members = [...(managerSelHost(ctx.bmc) ? [`${MANAGER_LOGS}/${SEL_ID}`] : []), `${MANAGER_LOGS}/${AUDIT_ID}`, `${MANAGER_LOGS}/${DIAGNOSTICS_ID}`];
        return { ...collection('LogService', MANAGER_LOGS, 'Manager Log Services', members), Description: 'Log services of the BMC' };
      },
    },
    ...selRoutes(`${mgrBase}/${SEL_ID}`, 'LogService', managerSel, false),
    {
      path: `${mgrBase}/${AUDIT_ID}`,
      entity: 'LogService',
      get: (ctx) => {
        audit(ctx);
        return auditService();
      },
    },
    {
      path: `${mgrBase}/${AUDIT_ID}/Entries`,
      entity: 'LogEntryCollection',
      get: (ctx) => {
        audit(ctx);
        return auditEntries(ctx.bmc);
      },
    },
    {
      path: `${mgrBase}/${AUDIT_ID}/Entries/{EntryId}`,
      entity: 'LogEntry',
      get: (ctx) => {
        audit(ctx);
        const rec = ctx.bmc.audit.get(entryId(ctx.params.EntryId));
        if (!rec) throw Errors.notFound('LogEntry', ctx.params.EntryId ?? '');
        return auditLogEntry(rec, `${MANAGER_LOGS}/${AUDIT_ID}/Entries`);
      },
    },
    {
      path: `${mgrBase}/${AUDIT_ID}/Actions/LogService.ClearLog`,
      entity: 'LogService',
      post: (ctx) => {
        audit(ctx);
        return clearLog(ctx, () => auditEntries(ctx.bmc), () => ctx.bmc.audit.clear());
      },
    },
  ];
}
