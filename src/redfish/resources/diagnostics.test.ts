// The Manager's diagnostic data (support bundle): CollectDiagnosticData → a
// Task → a LogEntry whose AdditionalDataURI serves the bundle; privileges,
// bad parameters, the bound on stored bundles, and no secrets in a bundle.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RedfishSchemas } from '../../../test/helpers/redfish-schemas.js';
import { silentLogger } from '../../log.js';
import { makeTestBmc } from '../../model/testing.js';
import { RedfishService } from '../server.js';
import { DIAGNOSTICS, MAX_BUNDLES } from './diagnostics.js';
import { resourceRoutes } from './index.js';

const auth = `Basic ${Buffer.from('admin:password').toString('base64')}`;
const opAuth = `Basic ${Buffer.from('operator:operpass').toString('base64')}`;
const ACTION = `${DIAGNOSTICS}/Actions/LogService.CollectDiagnosticData`;
let schemas: RedfishSchemas | undefined;
function valid(body: unknown): void {
  schemas ??= new RedfishSchemas();
  assert.deepEqual(schemas.validate(body as Record<string, unknown>), [], JSON.stringify(body));
}

function service() {
  const t = makeTestBmc();
  const network = { ipmiPorts: () => [16623], httpsPort: () => 16443, httpPort: () => undefined };
  const svc = new RedfishService({ bmc: t.bmc, log: silentLogger, routes: resourceRoutes(), services: { network } });
  const call = async (method: string, url: string, body?: unknown, authorization = auth) => {
    const r = await svc.router.handle({ method, url, headers: { authorization }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}), clientAddress: '127.0.0.1' });
    return { status: r.status, headers: r.headers, body: r.body as Record<string, any> };
  };
  /** Runs the collection (scheduled on the model clock) and waits for the task to finish. */
  const finish = async (monitor: string) => {
    for (let i = 0; i < 50; i++) {
      t.clock.advance(10);
      await new Promise((r) => setImmediate(r));
      const m = await call('GET', monitor);
      if (m.status === 200) return m.body;
    }
    throw new Error('task did not finish');
  };
  return { ...t, call, finish };
}

describe('Manager diagnostic data', () => {
  it('is a LogService of the Manager offering CollectDiagnosticData', async () => {
    const { call } = service();
    const logs = await call('GET', '/redfish/v1/Managers/bmc/LogServices');
    assert.ok(logs.body.Members.some((m: { '@odata.id': string }) => m['@odata.id'] === DIAGNOSTICS));
    const s = await call('GET', DIAGNOSTICS);
    assert.equal(s.status, 200);
    valid(s.body);
    assert.deepEqual(s.body.Actions['#LogService.CollectDiagnosticData'], { target: ACTION, 'DiagnosticDataType@Redfish.AllowableValues': ['Manager'] });
    const e = await call('GET', `${DIAGNOSTICS}/Entries`);
    valid(e.body);
    assert.equal(e.body['Members@odata.count'], 0);
    assert.equal((await call('GET', `${DIAGNOSTICS}/Entries/1`)).status, 404);
    assert.equal((await call('GET', '/redfish/v1/Managers/bmc2/LogServices/Diagnostics')).status, 404);
  });

  it('collects a bundle through a task; the entry links the bundle, which holds the SEL and no secret', async () => {
    const { bmc, call, finish } = service();
    bmc.hosts[0]!.sel.addSystemEvent({ generatorId: 0x20, evmRev: 4, sensorType: 1, sensorNumber: 1, eventDirType: 1, eventData: [0x57, 81, 80] });
    bmc.hosts[0]!.console.append('login: root\r\n');
    const made = await call('POST', '/redfish/v1/AccountService/Accounts', { UserName: 'alice', Password: 'S3cret-Alice!', RoleId: 'Operator' });
    assert.equal(made.status, 201);
    const r = await call('POST', ACTION, { DiagnosticDataType: 'Manager' });
    assert.equal(r.status, 202);
    const monitor = r.headers.Location!;
    assert.match(monitor, /^\/redfish\/v1\/TaskService\/TaskMonitors\/\d+$/);
    const task = await finish(monitor);
    assert.equal(task.TaskState, 'Completed');
    assert.equal(task.PercentComplete, 100);
    const entry = await call('GET', `${DIAGNOSTICS}/Entries/${task.Id}`);
    assert.equal(entry.status, 200);
    valid(entry.body);
    assert.equal(entry.body.DiagnosticDataType, 'Manager');
    assert.equal(entry.body.AdditionalDataURI, `${DIAGNOSTICS}/Entries/${task.Id}/attachment`);
    const file = await call('GET', entry.body.AdditionalDataURI);
    assert.equal(file.status, 200);
    assert.match(file.headers['Content-Disposition']!, /^attachment; filename="tsbmc-diagnostics-\d+\.json"$/);
    const bundle = file.body;
    assert.equal(bundle.Format, 'tsbmc-diagnostics/1');
    assert.equal(bundle.CollectedBy, 'admin');
    assert.equal(bundle.Version.FirmwareVersion, '1.2.0');
    const host = bundle.Hosts[0];
    assert.equal(host.SelRecords.length, 1);
    assert.equal(host.EventLog.length, 1);
    assert.match(host.EventLog[0].Message, /CPU Temp: Upper Non-critical going high/);
    assert.match(host.ConsoleTail, /login: root/);
    assert.ok(host.Sensors.length > 0 && host.Sensors.every((x: { Reading?: unknown }) => 'Reading' in x));
    assert.ok(bundle.Accounts.some((a: { UserName: string }) => a.UserName === 'alice'));
    assert.ok(bundle.AuditLog.length > 0);
    // no secrets: no password anywhere, no community string, every Password null
    const text = JSON.stringify(bundle);
    for (const secret of ['S3cret-Alice!', 'operpass', `"${bmc.lan.config.community}"`]) assert.ok(!text.includes(secret), `bundle holds ${secret}`);
    for (const a of bundle.Accounts) assert.equal(a.Password, null);
    assert.equal(bundle.LanConfiguration.Community, undefined);
  });

  it('needs ConfigureManager to collect and to download', async () => {
    const { call, finish } = service();
    assert.equal((await call('POST', ACTION, { DiagnosticDataType: 'Manager' }, opAuth)).status, 403);
    const r = await call('POST', ACTION, { DiagnosticDataType: 'Manager' });
    const task = await finish(r.headers.Location!);
    assert.equal((await call('GET', `${DIAGNOSTICS}/Entries/${task.Id}`, undefined, opAuth)).status, 200);
    assert.equal((await call('GET', `${DIAGNOSTICS}/Entries/${task.Id}/attachment`, undefined, opAuth)).status, 403);
    assert.equal((await call('POST', `${DIAGNOSTICS}/Actions/LogService.ClearLog`, {}, opAuth)).status, 403);
  });

  it('refuses other data types and unknown parameters', async () => {
    const { call } = service();
    const bad = await call('POST', ACTION, { DiagnosticDataType: 'OS' });
    assert.equal(bad.status, 400);
    assert.match(bad.body.error['@Message.ExtendedInfo'][0].MessageId, /ActionParameterValueNotInList$/);
    assert.equal((await call('POST', ACTION, {})).status, 400);
    assert.equal((await call('POST', ACTION, { DiagnosticDataType: 'Manager', Bogus: 1 })).status, 400);
    assert.equal((await call('POST', ACTION, { DiagnosticDataType: 'OEM', OEMDiagnosticDataType: 'x' })).status, 400);
    assert.equal((await call('GET', `${DIAGNOSTICS}/Entries/x/attachment`)).status, 404);
  });

  it(`keeps the last ${MAX_BUNDLES} bundles; ClearLog removes them`, async () => {
    const { call, finish } = service();
    const ids: string[] = [];
    for (let i = 0; i < MAX_BUNDLES + 1; i++) {
      const r = await call('POST', ACTION, { DiagnosticDataType: 'Manager' });
      ids.push((await finish(r.headers.Location!)).Id as string);
    }
    const list = await call('GET', `${DIAGNOSTICS}/Entries`);
    assert.deepEqual(list.body.Members.map((m: { Id: string }) => m.Id), ids.slice(1));
    assert.equal((await call('POST', `${DIAGNOSTICS}/Actions/LogService.ClearLog`, {})).status, 200);
    assert.equal((await call('GET', `${DIAGNOSTICS}/Entries`)).body['Members@odata.count'], 0);
  });
});
