// The Manager's diagnostic data (a support bundle) through DMTF's standard
// LogService.CollectDiagnosticData action (LogService v1_9, LogEntry v1_21):
// POST .../LogServices/Diagnostics/Actions/LogService.CollectDiagnosticData
// {"DiagnosticDataType": "Manager"} answers 202 with a task monitor
// (task-service.ts); when the task completes, a LogEntry
// .../Diagnostics/Entries/{TaskId} (the entry carries the Id of the task that
// made it, so a client following the task finds it) has DiagnosticDataType
// Manager and AdditionalDataURI .../Entries/{TaskId}/attachment: the bundle,
// one JSON document (application/json, Content-Disposition attachment).
//
// The bundle holds the device identity and version, the Redfish views of the
// Manager, its network protocol and interface, the accounts, the firmware
// inventory, each system and its sensor readings, each SEL (as LogEntries
// and as raw IPMI records), the audit log, the LAN configuration, the tasks
// and the last 16 KiB of each host's console. It holds no secrets: accounts
// are the Redfish view (Password is always null), the LAN configuration
// leaves out the SNMP community string, and no key (Kg, TLS, session) is
// read. Collecting and downloading need ConfigureManager.
//
// Bundles live in memory only (the last MAX_BUNDLES, each at most
// MAX_BUNDLE_BYTES of JSON); a restart of the service forgets them. The
// store is kept per Bmc in a WeakMap because route handlers are stateless
// and the store belongs to the model instance they serve.
import type { Bmc } from '../../model/bmc.js';
import { readBody } from '../body.js';
import { MANAGER_ID, paths, requireManager, ROOT } from '../ids.js';
import { Base, Errors, RedfishError } from '../messages.js';
import { etagOf, type HandlerResult, type JsonObject, type RequestContext, type RouteDef } from '../router.js';
import { odataType } from '../schemas.js';
import { isoAt } from './log-services.js';
import { accepted } from './task-service.js';

export const DIAGNOSTICS_ID = 'Diagnostics';
export const DIAGNOSTICS = `${ROOT}/Managers/${MANAGER_ID}/LogServices/${DIAGNOSTICS_ID}`;
const BASE = `${ROOT}/Managers/{ManagerId}/LogServices/${DIAGNOSTICS_ID}`;
const ENTRIES = `${DIAGNOSTICS}/Entries`;
const ACTION = 'LogService.CollectDiagnosticData';
/** DiagnosticDataType values served (DMTF LogDiagnosticDataTypes). */
const DATA_TYPES = ['Manager'] as const;
export const MAX_BUNDLES = 4;
export const MAX_BUNDLE_BYTES = 4 * 1024 * 1024;
const CONSOLE_TAIL_BYTES = 16 * 1024;
export const BUNDLE_FORMAT = 'tsbmc-diagnostics/1';

interface Bundle {
  readonly id: string;
  /** Epoch seconds. */
  readonly created: number;
  readonly user: string;
  readonly text: string;
}

const stores = new WeakMap<Bmc, Bundle[]>();

function bundlesOf(bmc: Bmc): Bundle[] {
  let s = stores.get(bmc);
  if (!s) stores.set(bmc, (s = []));
  return s;
}

function entryPath(id: string): string {
  return `${ENTRIES}/${encodeURIComponent(id)}`;
}

function entryBody(b: Bundle): JsonObject {
  const created = isoAt(b.created);
  return {
    '@odata.id': entryPath(b.id),
    '@odata.type': odataType('LogEntry'),
    Id: b.id,
    Name: `Diagnostic data ${b.id}`,
    EntryType: 'Event',
    Severity: 'OK',
    Created: created,
    Message: `Manager diagnostic data collected by ${b.user || '(unknown)'}`,
    DiagnosticDataType: 'Manager',
    AdditionalDataURI: `${entryPath(b.id)}/attachment`,
    AdditionalDataSizeBytes: Buffer.byteLength(b.text),
  };
}

function serviceBody(bmc: Bmc): JsonObject {
  return {
    '@odata.id': DIAGNOSTICS,
    '@odata.type': odataType('LogService'),
    Id: DIAGNOSTICS_ID,
    Name: 'Diagnostic Data',
    Description: 'Support bundles of the BMC: logs and configuration, without secrets',
    LogEntryType: 'Multiple',
    LogPurposes: ['Diagnostic'],
    MaxNumberOfRecords: MAX_BUNDLES,
    OverWritePolicy: 'WrapsWhenFull',
    ServiceEnabled: true,
    Persistency: false,
    DateTime: isoAt(Math.floor(bmc.clock.now() / 1000)),
    Status: { State: 'Enabled', Health: 'OK' },
    Entries: { '@odata.id': ENTRIES },
    Actions: {
      '#LogService.CollectDiagnosticData': {
        target: `${DIAGNOSTICS}/Actions/${ACTION}`,
        'DiagnosticDataType@Redfish.AllowableValues': [...DATA_TYPES],
      },
      '#LogService.ClearLog': { target: `${DIAGNOSTICS}/Actions/LogService.ClearLog` },
    },
  };
}

function entriesBody(bmc: Bmc): JsonObject {
  const members = bundlesOf(bmc).map(entryBody);
  return {
    '@odata.id': ENTRIES,
    '@odata.type': '#LogEntryCollection.LogEntryCollection',
    Name: 'Diagnostic Data Entries',
    'Members@odata.count': members.length,
    Members: members,
  };
}

function bundleOf(ctx: RequestContext): Bundle {
  requireManager(ctx.params.ManagerId);
  const id = ctx.params.EntryId ?? '';
  const b = bundlesOf(ctx.bmc).find((x) => x.id === id);
  if (!b) throw Errors.notFound('LogEntry', id);
  return b;
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** A collection and each of its members, rendered as the caller sees them. */
async function members(ctx: RequestContext, path: string): Promise<JsonObject[]> {
  const c = await ctx.services.router.resolve(path, ctx.principal);
  const out: JsonObject[] = [];
  for (const m of (c?.Members as JsonObject[] | undefined) ?? []) {
    const id = m['@odata.id'];
    // members already rendered in full (log entries) are taken as they are
    if (typeof id === 'string' && Object.keys(m).length === 1) {
      const r = await ctx.services.router.resolve(id, ctx.principal);
      if (r) out.push(r);
    } else out.push(m);
  }
  return out;
}

/**
 * The bundle: Redfish views (as the collecting administrator sees them) and
 * model data no resource shows (raw SEL records, console tail). No secrets:
 * see the file header.
 */
export async function collectBundle(ctx: RequestContext): Promise<JsonObject> {
  const { bmc } = ctx;
  const resolve = (p: string) => ctx.services.router.resolve(p, ctx.principal);
  const manager = paths.manager();
  const lan = bmc.lan.config;
  const d = bmc.device;
  return {
    Format: BUNDLE_FORMAT,
    Created: isoAt(Math.floor(bmc.clock.now() / 1000)),
    CollectedBy: ctx.principal?.userName ?? '',
    Version: { FirmwareVersion: d.firmwareVersion, Firmware: await members(ctx, `${ROOT}/UpdateService/FirmwareInventory`) },
    Device: {
      Name: bmc.name,
      DeviceId: d.deviceId,
      DeviceRevision: d.deviceRevision,
      FirmwareRevision: `${d.firmwareMajor}.${String(d.firmwareMinor).padStart(2, '0')}`,
      ManufacturerId: d.manufacturerId,
      ProductId: d.productId,
      Guid: hex(d.guid),
      UptimeSeconds: Math.floor((bmc.clock.now() - bmc.startedAt) / 1000),
    },
    Manager: (await resolve(manager)) ?? null,
    NetworkProtocol: (await resolve(`${manager}/NetworkProtocol`)) ?? null,
    EthernetInterfaces: await members(ctx, `${manager}/EthernetInterfaces`),
    // the LAN channel's configuration (IPMI LAN parameters), without the community string
    LanConfiguration: {
      IpSource: lan.ipSource,
      Address: lan.ip,
      SubnetMask: lan.netmask,
      Gateway: lan.gateway,
      MACAddress: lan.mac,
      VLAN: { Enabled: lan.vlanEnabled, Id: lan.vlanId, Priority: lan.vlanPriority },
      CipherSuites: lan.cipherSuites.map((c) => ({ Id: c.id, MaxPrivilege: c.maxPrivilege })),
      AuthTypeEnables: { ...lan.authEnables },
      BadPasswordPolicy: { ...lan.badPassword },
      AlertDestinations: lan.destinations.map((x) => ({ Type: x.type, Address: x.ip, MACAddress: x.mac })),
    },
    Accounts: await members(ctx, `${ROOT}/AccountService/Accounts`),
    AuditLog: await members(ctx, `${manager}/LogServices/AuditLog/Entries`),
    Tasks: bmc.tasks.list().map((t) => ({ Id: t.id, Name: t.name, TaskState: t.state, TaskStatus: t.health, PercentComplete: t.percent })),
    Hosts: await Promise.all(
      bmc.hosts.map(async (h) => {
        const system = paths.system(bmc, h);
        const con = h.console.since(Math.max(h.console.start, h.console.end - CONSOLE_TAIL_BYTES));
        return {
          Name: h.name,
          System: (await resolve(system)) ?? null,
          Sensors: await members(ctx, `${paths.chassis(bmc, h)}/Sensors`),
          EventLog: await members(ctx, `${system}/LogServices/EventLog/Entries`),
          // IPMI SEL records as stored (section 32): id, record type, bytes 3..15 in hex
          SelRecords: h.sel.list().map((r) => ({ RecordId: r.id, RecordType: r.type, Data: hex(r.body) })),
          ConsoleTail: Buffer.from(con.data).toString('utf8'),
        };
      }),
    ),
  };
}

function collect(ctx: RequestContext): HandlerResult {
  requireManager(ctx.params.ManagerId);
  const b = readBody<{ DiagnosticDataType: string; OEMDiagnosticDataType?: string }>(
    ctx.body,
    { DiagnosticDataType: { type: 'string', maxLength: 32 }, OEMDiagnosticDataType: { type: 'string', maxLength: 64 } },
    { required: ['DiagnosticDataType'], action: ACTION },
  );
  if (!(DATA_TYPES as readonly string[]).includes(b.DiagnosticDataType)) throw Errors.actionParameterNotInList(b.DiagnosticDataType, 'DiagnosticDataType', ACTION);
  if (b.OEMDiagnosticDataType !== undefined) throw Errors.actionParameterNotInList(b.OEMDiagnosticDataType, 'OEMDiagnosticDataType', ACTION);
  const user = ctx.principal?.userName ?? '';
  const task = ctx.bmc.tasks.create({ name: 'Collect Manager diagnostic data', owner: user, payload: { operation: 'POST', target: ctx.path, body: JSON.stringify(b) } });
  if (task === 'task-limit') throw new RedfishError(503, [Base.message('ServiceTemporarilyUnavailable', ['10'])], { 'Retry-After': '10' });
  task.start();
  const bmc = ctx.bmc;
  // collected after the 202 is sent, on the model's clock
  bmc.clock.setTimeout(() => {
    task.progress(10);
    collectBundle(ctx)
      .then((bundle) => {
        const text = JSON.stringify(bundle, null, 1);
        if (Buffer.byteLength(text) > MAX_BUNDLE_BYTES) {
          task.fail();
          return;
        }
        const list = bundlesOf(bmc);
        list.push({ id: task.id, created: Math.floor(bmc.clock.now() / 1000), user, text });
        if (list.length > MAX_BUNDLES) list.splice(0, list.length - MAX_BUNDLES);
        task.complete();
      })
      .catch((err: unknown) => {
        ctx.services.log.error('diagnostic data collection failed', { task: task.id, err: err instanceof Error ? err.message : String(err) });
        task.fail();
      });
  }, 0);
  ctx.services.log.info('diagnostic data collection started', { task: task.id, user });
  return accepted(task);
}

function attachment(ctx: RequestContext): HandlerResult {
  const b = bundleOf(ctx);
  // the bundle is the BMC's configuration: ConfigureManager, like collecting it
  if (!ctx.principal?.privileges.has('ConfigureManager')) throw Errors.insufficientPrivilege();
  return {
    status: 200,
    headers: { 'Content-Disposition': `attachment; filename="tsbmc-diagnostics-${b.id}.json"` },
    body: JSON.parse(b.text) as JsonObject,
  };
}

export function diagnosticsRoutes(): RouteDef[] {
  return [
    {
      path: BASE,
      entity: 'LogService',
      get: (ctx) => {
        requireManager(ctx.params.ManagerId);
        return serviceBody(ctx.bmc);
      },
    },
    {
      path: `${BASE}/Entries`,
      entity: 'LogEntryCollection',
      get: (ctx) => {
        requireManager(ctx.params.ManagerId);
        return entriesBody(ctx.bmc);
      },
    },
    { path: `${BASE}/Entries/{EntryId}`, entity: 'LogEntry', get: (ctx) => entryBody(bundleOf(ctx)) },
    { path: `${BASE}/Entries/{EntryId}/attachment`, entity: 'LogEntry', getRaw: attachment },
    { path: `${BASE}/Actions/${ACTION}`, entity: 'LogService', post: collect },
    {
      path: `${BASE}/Actions/LogService.ClearLog`,
      entity: 'LogService',
      post: (ctx) => {
        requireManager(ctx.params.ManagerId);
        const b = readBody<{ LogEntriesETag?: string }>(ctx.body ?? {}, { LogEntriesETag: { type: 'string', maxLength: 64 } }, { allowEmpty: true });
        if (b.LogEntriesETag !== undefined && b.LogEntriesETag !== etagOf(entriesBody(ctx.bmc))) throw new RedfishError(428, [Base.message('PreconditionFailed')]);
        bundlesOf(ctx.bmc).length = 0;
        return { status: 200, body: { '@Message.ExtendedInfo': [Base.message('Success')] } };
      },
    },
  ];
}
