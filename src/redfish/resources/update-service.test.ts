// UpdateService, FirmwareInventory and TaskService driven in-process: bodies
// validate against DMTF's schemas, SimpleUpdate's parameter errors, the
// multipart push, task monitors answering 202 then 200.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RedfishSchemas } from '../../../test/helpers/redfish-schemas.js';
import { silentLogger } from '../../log.js';
import { makeTestBmc } from '../../model/testing.js';
import { RedfishService } from '../server.js';
import { taskServiceRoutes } from './task-service.js';
import { imageUrl, MULTIPART_PUSH_URI, parseMultipart, PUSH_URI, updateServiceRoutes } from './update-service.js';

const auth = `Basic ${Buffer.from('admin:password').toString('base64')}`;
const opAuth = `Basic ${Buffer.from('operator:operpass').toString('base64')}`;
let schemas: RedfishSchemas | undefined;
function valid(body: unknown): void {
  schemas ??= new RedfishSchemas();
  assert.deepEqual(schemas.validate(body as Record<string, unknown>), [], JSON.stringify(body));
}
const flush = () => new Promise((r) => setImmediate(r));

function service() {
  const t = makeTestBmc();
  const svc = new RedfishService({ bmc: t.bmc, log: silentLogger, routes: [...updateServiceRoutes(), ...taskServiceRoutes()] });
  const call = async (method: string, url: string, body?: unknown, authorization = auth) => {
    const r = await svc.router.handle({ method, url, headers: { authorization }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}), clientAddress: '127.0.0.1' });
    return { status: r.status, headers: r.headers, body: r.body as Record<string, any> };
  };
  const upload = async (url: string, contentType: string, bytes: Uint8Array, authorization = auth) => {
    const r = await svc.router.handle({ method: 'POST', url, headers: { authorization }, upload: { contentType, bytes }, clientAddress: '127.0.0.1' });
    return { status: r.status, headers: r.headers, body: r.body as Record<string, any> };
  };
  const settle = async (ms: number) => {
    for (let i = 0; i < ms / 100; i++) {
      await flush();
      t.clock.advance(100);
    }
    await flush();
  };
  return { ...t, call, upload, settle };
}

function multipart(boundary: string, parts: { name: string; fileName?: string; type: string; body: string | Uint8Array }[]): Uint8Array {
  const chunks: Buffer[] = [];
  for (const p of parts) {
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${p.name}"${p.fileName ? `; filename="${p.fileName}"` : ''}\r\nContent-Type: ${p.type}\r\n\r\n`));
    chunks.push(Buffer.from(p.body));
    chunks.push(Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return new Uint8Array(Buffer.concat(chunks));
}
const biosImage = (v: string) => `${JSON.stringify({ component: 'bios', version: v })}\nBIOS PAYLOAD`;
const messageIds = (b: Record<string, any>): string[] => b.error['@Message.ExtendedInfo'].map((m: { MessageId: string }) => m.MessageId);

describe('UpdateService', () => {
  it('describes itself, its ActionInfo and the inventory; all validate', async () => {
    const { call } = service();
    const u = await call('GET', '/redfish/v1/UpdateService');
    assert.equal(u.status, 200);
    valid(u.body);
    assert.equal(u.body.HttpPushUri, PUSH_URI);
    assert.equal(u.body.MultipartHttpPushUri, MULTIPART_PUSH_URI);
    assert.deepEqual(u.body.Actions['#UpdateService.SimpleUpdate']['TransferProtocol@Redfish.AllowableValues'], ['HTTP', 'HTTPS']);
    const info = await call('GET', u.body.Actions['#UpdateService.SimpleUpdate']['@Redfish.ActionInfo']);
    valid(info.body);
    const inv = await call('GET', '/redfish/v1/UpdateService/FirmwareInventory');
    valid(inv.body);
    assert.deepEqual(inv.body.Members.map((m: { '@odata.id': string }) => m['@odata.id'].split('/').pop()), ['bmc', 'bios', 'cpld', 'psu']);
    for (const m of inv.body.Members) {
      const e = await call('GET', m['@odata.id']);
      assert.equal(e.status, 200);
      valid(e.body);
    }
    const bmc = await call('GET', '/redfish/v1/UpdateService/FirmwareInventory/bmc');
    assert.equal(bmc.body.Version, '1.2.0');
    assert.deepEqual(bmc.body.RelatedItem, [{ '@odata.id': '/redfish/v1/Managers/bmc' }]);
    const bios = await call('GET', '/redfish/v1/UpdateService/FirmwareInventory/bios');
    assert.deepEqual(bios.body.RelatedItem, [{ '@odata.id': '/redfish/v1/Systems/system' }]);
    assert.equal((await call('GET', '/redfish/v1/UpdateService/FirmwareInventory/nope')).status, 404);
    assert.equal((await call('GET', '/redfish/v1/UpdateService/FirmwareInventory/bios-staged')).status, 404);
    const ts = await call('GET', '/redfish/v1/TaskService');
    valid(ts.body);
    assert.equal(ts.body.CompletedTaskOverWritePolicy, 'Oldest');
    assert.equal(ts.body.LifeCycleEventOnTaskStateChange, true);
  });

  it('answers SimpleUpdate parameter errors with Base messages', async () => {
    const { call } = service();
    const post = (b: unknown) => call('POST', '/redfish/v1/UpdateService/Actions/UpdateService.SimpleUpdate', b);
    const cases: [unknown, number, string][] = [
      [{ ImageURI: 'ftp://10.0.0.1/bios.bin' }, 400, 'Base.1.22.1.ActionParameterValueNotInList'],
      [{ ImageURI: 'tftp://10.0.0.1/bios.bin' }, 400, 'Base.1.22.1.ActionParameterValueNotInList'],
      [{ ImageURI: 'http://10.0.0.1/b.bin', TransferProtocol: 'FTP' }, 400, 'Base.1.22.1.ActionParameterValueNotInList'],
      [{ ImageURI: 'http://10.0.0.1/b.bin', TransferProtocol: 'HTTPS' }, 400, 'Base.1.22.1.ActionParameterValueConflict'],
      [{ ImageURI: 'bios.bin' }, 400, 'Base.1.22.1.ActionParameterValueFormatError'],
      [{ ImageURI: 'gopher://x/y' }, 400, 'Base.1.22.1.ActionParameterValueFormatError'],
      [{ ImageURI: 'http://10.0.0.1/b.bin', Targets: ['/redfish/v1/UpdateService/FirmwareInventory/psu'] }, 400, 'Base.1.22.1.ActionParameterValueNotInList'],
      [{ ImageURI: 'http://10.0.0.1/b.bin', Targets: ['/redfish/v1/Systems/other'] }, 400, 'Base.1.22.1.ActionParameterValueNotInList'],
      [{ TransferProtocol: 'HTTP' }, 400, 'Base.1.22.1.ActionParameterMissing'],
      [{ ImageURI: 'http://x/b.bin', Bogus: 1 }, 400, 'Base.1.22.1.PropertyUnknown'],
      [{ ImageURI: 7 }, 400, 'Base.1.22.1.PropertyValueTypeError'],
    ];
    for (const [body, status, id] of cases) {
      const r = await post(body);
      assert.equal(r.status, status, JSON.stringify(body));
      assert.deepEqual(messageIds(r.body), [id], JSON.stringify(body));
    }
  });

  it('builds the download URL from ImageURI and TransferProtocol', () => {
    assert.equal(imageUrl('10.0.0.1/fw/bios.bin', 'HTTP').href, 'http://10.0.0.1/fw/bios.bin');
    assert.equal(imageUrl('https://h:8443/a.bin', undefined).href, 'https://h:8443/a.bin');
    assert.equal(imageUrl('HTTP://h/a.bin', 'HTTP').href, 'http://h/a.bin');
  });

  it('takes a multipart push: 202 with a task monitor that answers 202, then 200; the BIOS activates on power-on', async () => {
    const { call, upload, settle, bmc } = service();
    const body = multipart('XyZ', [
      { name: 'UpdateParameters', type: 'application/json', body: JSON.stringify({ Targets: ['/redfish/v1/UpdateService/FirmwareInventory/bios'], '@Redfish.OperationApplyTime': 'OnReset' }) },
      { name: 'UpdateFile', fileName: 'bios.bin', type: 'application/octet-stream', body: biosImage('3.1.4') },
    ]);
    const r = await upload(MULTIPART_PUSH_URI, 'multipart/form-data; boundary=XyZ', body);
    assert.equal(r.status, 202, JSON.stringify(r.body));
    assert.equal(r.headers.Location, '/redfish/v1/TaskService/TaskMonitors/1');
    valid(r.body);
    assert.equal(r.body.TaskMonitor, r.headers.Location);
    await settle(1000);
    const running = await call('GET', r.headers.Location!);
    assert.equal(running.status, 202);
    assert.equal(running.body.TaskState, 'Running');
    assert.ok(running.body.PercentComplete > 0);
    // a second update waits for this one
    const again = await upload(MULTIPART_PUSH_URI, 'multipart/form-data; boundary=XyZ', body);
    assert.equal(again.status, 503);
    assert.deepEqual(messageIds(again.body), ['Base.1.22.1.ServiceTemporarilyUnavailable', 'Update.1.3.0.UpdateInProgress']);
    const inv = await call('GET', '/redfish/v1/UpdateService/FirmwareInventory/bios');
    assert.equal(inv.body.Status.State, 'Updating');
    await settle(10_000);
    const done = await call('GET', r.headers.Location!);
    assert.equal(done.status, 200);
    valid(done.body);
    assert.equal(done.body.TaskState, 'Completed');
    assert.equal(done.body.PercentComplete, 100);
    assert.ok(done.body.Messages.some((m: { MessageId: string }) => m.MessageId === 'Update.1.3.0.AwaitToActivate'));
    const task = await call('GET', '/redfish/v1/TaskService/Tasks/1');
    assert.equal(task.status, 200);
    valid(task.body);
    const staged = await call('GET', '/redfish/v1/UpdateService/FirmwareInventory/bios-staged');
    valid(staged.body);
    assert.equal(staged.body.Version, '3.1.4');
    assert.equal(staged.body.Staged, true);
    bmc.hosts[0]!.request('on');
    assert.equal((await call('GET', '/redfish/v1/UpdateService/FirmwareInventory/bios')).body.Version, '3.1.4');
    assert.equal((await call('GET', '/redfish/v1/UpdateService/FirmwareInventory/bios-staged')).status, 404);
  });

  it('takes an octet-stream push to HttpPushUri; refuses other bodies there', async () => {
    const { upload, call, settle, bmc } = service();
    const r = await upload(PUSH_URI, 'application/octet-stream', new TextEncoder().encode(`${JSON.stringify({ component: 'bmc', version: '8.0.1' })}\nX`));
    assert.equal(r.status, 202);
    await settle(8000);
    assert.equal((await call('GET', r.headers.Location!)).body.TaskState, 'Completed');
    bmc.firmware.activatePending('bmc');
    assert.equal((await call('GET', '/redfish/v1/UpdateService/FirmwareInventory/bmc')).body.Version, '8.0.1');
    const json = await call('POST', PUSH_URI, { a: 1 });
    assert.equal(json.status, 400);
    assert.deepEqual(messageIds(json.body), ['Base.1.22.1.UnrecognizedRequestBody']);
  });

  it('refuses malformed multipart bodies and missing parts', async () => {
    const { upload } = service();
    const file = { name: 'UpdateFile', fileName: 'b.bin', type: 'application/octet-stream', body: 'x' };
    const cases: [string, Uint8Array, string][] = [
      ['multipart/form-data', multipart('a', [file]), 'Base.1.22.1.UnrecognizedRequestBody'],
      ['multipart/form-data; boundary=a', new TextEncoder().encode('--a\r\nno headers end'), 'Base.1.22.1.UnrecognizedRequestBody'],
      ['multipart/form-data; boundary=a', multipart('a', [file]), 'Base.1.22.1.PropertyMissing'],
      ['multipart/form-data; boundary=a', multipart('a', [{ name: 'UpdateParameters', type: 'application/json', body: '{' }, file]), 'Base.1.22.1.MalformedJSON'],
      ['multipart/form-data; boundary=a', multipart('a', [{ name: 'UpdateParameters', type: 'application/json', body: '{"Targets":["/x"]}' }, file]), 'Base.1.22.1.PropertyValueNotInList'],
    ];
    for (const [ct, body, id] of cases) {
      const r = await upload(MULTIPART_PUSH_URI, ct, body);
      assert.equal(r.status, 400);
      assert.deepEqual(messageIds(r.body), [id]);
    }
  });

  it('parses multipart bodies split at the boundary exactly', () => {
    const body = multipart('b0und', [
      { name: 'UpdateParameters', type: 'application/json', body: '{}' },
      { name: 'UpdateFile', fileName: 'x.bin', type: 'application/octet-stream', body: new Uint8Array([0, 13, 10, 45, 45, 255]) },
    ]);
    const parts = parseMultipart('multipart/form-data; boundary="b0und"', body);
    assert.deepEqual(parts?.map((p) => [p.name, p.fileName, [...p.body]]), [
      ['UpdateParameters', undefined, [...Buffer.from('{}')]],
      ['UpdateFile', 'x.bin', [0, 13, 10, 45, 45, 255]],
    ]);
    for (let cut = 0; cut < body.length - 1; cut++) {
      // never throws, whatever prefix arrives
      parseMultipart('multipart/form-data; boundary=b0und', body.subarray(0, cut));
    }
  });

  it('ends garbage in Exception with VerificationFailed; the owner (an operator) may cancel a running update', async () => {
    const { upload, call, settle } = service();
    const bad = multipart('q', [
      { name: 'UpdateParameters', type: 'application/json', body: '{}' },
      { name: 'UpdateFile', fileName: 'garbage.bin', type: 'application/octet-stream', body: new Uint8Array([0xde, 0xad]) },
    ]);
    const r = await upload(MULTIPART_PUSH_URI, 'multipart/form-data; boundary=q', bad);
    await settle(5000);
    const t = await call('GET', r.headers.Location!);
    assert.equal(t.status, 200);
    assert.equal(t.body.TaskState, 'Exception');
    assert.equal(t.body.TaskStatus, 'Critical');
    assert.ok(t.body.Messages.some((m: { MessageId: string }) => m.MessageId === 'Update.1.3.0.VerificationFailed'));
    const good = multipart('q', [
      { name: 'UpdateParameters', type: 'application/json', body: '{}' },
      { name: 'UpdateFile', fileName: 'b.bin', type: 'application/octet-stream', body: biosImage('1.1') },
    ]);
    const op = await upload(MULTIPART_PUSH_URI, 'multipart/form-data; boundary=q', good, opAuth);
    assert.equal(op.status, 202);
    await settle(300);
    const c = await call('DELETE', op.headers.Location!, undefined, opAuth);
    assert.equal(c.status, 200);
    assert.equal(c.body.TaskState, 'Cancelled');
    assert.equal((await call('DELETE', op.headers.Location!)).status, 409);
    const list = await call('GET', '/redfish/v1/TaskService/Tasks');
    valid(list.body);
    assert.equal(list.body['Members@odata.count'], 2);
    assert.equal((await call('GET', '/redfish/v1/TaskService/TaskMonitors/99')).status, 404);
  });
});
