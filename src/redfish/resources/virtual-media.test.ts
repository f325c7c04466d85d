// VirtualMedia under the System and the Manager, in-process over the model:
// same drives in both places, InsertMedia/EjectMedia/PATCH, errors, schema
// validity, the boot progress a CD boot leaves in the ComputerSystem, and
// the OEM UploadMedia action (its body given as a stream, as the web server does).
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { RedfishSchemas } from '../../../test/helpers/redfish-schemas.js';
import { silentLogger } from '../../log.js';
import { makeTestBmc } from '../../model/testing.js';
import { RedfishService } from '../server.js';
import { systemRoutes } from './systems.js';
import { managerRoutes } from './managers.js';
import { virtualMediaRoutes } from './virtual-media.js';

const auth = `Basic ${Buffer.from('admin:password').toString('base64')}`;
const opAuth = `Basic ${Buffer.from('operator:operpass').toString('base64')}`;
let schemas: RedfishSchemas | undefined;
function valid(body: unknown): void {
  schemas ??= new RedfishSchemas();
  assert.deepEqual(schemas.validate(body as Record<string, unknown>), [], JSON.stringify(body));
}

let server: Server;
let base: string;
const dirs: string[] = [];

before(async () => {
  server = createServer((req, res) => {
    if (req.url === '/live.iso') res.writeHead(200, { 'content-length': 2048 }).end(Buffer.alloc(2048, 1));
    else res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(() => {
  server.closeAllConnections();
  server.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function service(hosts = 1) {
  const t = makeTestBmc({ hosts });
  for (const h of t.bmc.hosts) {
    const dir = mkdtempSync(join(tmpdir(), 'tsbmc-vm-'));
    dirs.push(dir);
    h.media.configure({ cacheDir: dir });
  }
  const network = { ipmiPorts: () => [16623], httpsPort: () => 16443, httpPort: () => undefined };
  const svc = new RedfishService({ bmc: t.bmc, log: silentLogger, routes: [...systemRoutes(), ...managerRoutes(), ...virtualMediaRoutes()], services: { network } });
  const call = async (method: string, url: string, body?: unknown, authorization = auth) => {
    const r = await svc.router.handle({ method, url, headers: { authorization }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}), clientAddress: '127.0.0.1' });
    return { status: r.status, body: r.body as Record<string, any> };
  };
  const until = async (url: string, pred: (b: Record<string, any>) => boolean): Promise<Record<string, any>> => {
    for (let i = 0; i < 200; i++) {
      const r = await call('GET', url);
      if (pred(r.body)) return r.body;
      await new Promise((res) => setTimeout(res, 10));
    }
    throw new Error(`timed out waiting on ${url}`);
  };
  return { ...t, svc, call, until };
}

const ids = (r: { body: Record<string, any> }) => (r.body.error['@Message.ExtendedInfo'] as { MessageId: string }[]).map((m) => m.MessageId.split('.').pop());
const SYS_CD = '/redfish/v1/Systems/system/VirtualMedia/CD';
const MGR_CD = '/redfish/v1/Managers/bmc/VirtualMedia/CD';

describe('VirtualMedia', () => {
  it('lists the same CD and USB drives under the System and the Manager, linked from both', async () => {
    const { call } = service();
    const sys = await call('GET', '/redfish/v1/Systems/system');
    assert.equal(sys.body.VirtualMedia['@odata.id'], '/redfish/v1/Systems/system/VirtualMedia');
    const mgr = await call('GET', '/redfish/v1/Managers/bmc');
    assert.equal(mgr.body.VirtualMedia['@odata.id'], '/redfish/v1/Managers/bmc/VirtualMedia');
    valid(sys.body);
    valid(mgr.body);
    const sc = await call('GET', '/redfish/v1/Systems/system/VirtualMedia');
    valid(sc.body);
    assert.deepEqual(sc.body.Members, [{ '@odata.id': SYS_CD }, { '@odata.id': '/redfish/v1/Systems/system/VirtualMedia/USB' }]);
    const mc = await call('GET', '/redfish/v1/Managers/bmc/VirtualMedia');
    valid(mc.body);
    assert.equal(mc.body['Members@odata.count'], 2);
    const cd = await call('GET', SYS_CD);
    valid(cd.body);
    assert.deepEqual(cd.body.MediaTypes, ['CD', 'DVD']);
    assert.equal(cd.body.Inserted, false);
    assert.equal(cd.body.ConnectedVia, 'NotConnected');
    assert.equal(cd.body.Actions['#VirtualMedia.InsertMedia'].target, `${SYS_CD}/Actions/VirtualMedia.InsertMedia`);
    const usb = await call('GET', '/redfish/v1/Managers/bmc/VirtualMedia/USB');
    assert.deepEqual(usb.body.MediaTypes, ['USBStick']);
    valid((await call('GET', `${SYS_CD}/InsertMediaActionInfo`)).body);
    assert.equal((await call('GET', '/redfish/v1/Systems/system/VirtualMedia/cd')).status, 404);
    assert.equal((await call('GET', '/redfish/v1/Systems/system/VirtualMedia/CD0')).status, 404);
    assert.equal((await call('GET', '/redfish/v1/Managers/bmc2/VirtualMedia/CD')).status, 404);
  });

  it('several hosts: the Manager names drives CD0, USB0, CD1, ...; each System its own CD and USB', async () => {
    const { call, until } = service(2);
    const mc = await call('GET', '/redfish/v1/Managers/bmc/VirtualMedia');
    assert.deepEqual(
      mc.body.Members.map((m: { '@odata.id': string }) => m['@odata.id'].split('/').pop()),
      ['CD0', 'USB0', 'CD1', 'USB1'],
    );
    assert.equal((await call('POST', '/redfish/v1/Managers/bmc/VirtualMedia/CD1/Actions/VirtualMedia.InsertMedia', { Image: `${base}/live.iso` })).status, 204);
    const sys = await until('/redfish/v1/Systems/node1/VirtualMedia/CD', (b) => b.Inserted === true);
    assert.equal(sys.ImageName, 'live.iso');
    assert.equal((await call('GET', '/redfish/v1/Systems/node0/VirtualMedia/CD')).body.Inserted, false);
    assert.equal((await call('GET', '/redfish/v1/Managers/bmc/VirtualMedia/CD')).status, 404);
    valid((await call('GET', '/redfish/v1/Managers/bmc/VirtualMedia/CD1')).body);
  });

  it('InsertMedia downloads, shows Starting then Enabled, and the Manager view agrees; EjectMedia with no body empties it', async () => {
    const { call, until, bmc } = service();
    const r = await call('POST', `${MGR_CD}/Actions/VirtualMedia.InsertMedia`, { Image: `${base}/live.iso`, Inserted: true, WriteProtected: true });
    assert.equal(r.status, 204);
    const during = await call('GET', SYS_CD);
    assert.ok(['Starting', 'Enabled'].includes(during.body.Status.State));
    const done = await until(SYS_CD, (b) => b.Inserted === true);
    valid(done);
    assert.equal(done.Image, `${base}/live.iso`);
    assert.equal(done.ImageName, 'live.iso');
    assert.equal(done.ConnectedVia, 'URI');
    assert.equal(done.TransferProtocolType, 'HTTP');
    assert.equal(done.Status.State, 'Enabled');
    assert.equal(done.Oem.Tsbmc.BytesTransferred, 2048);
    const mgr = await call('GET', MGR_CD);
    assert.equal(mgr.body.Inserted, true);
    assert.equal(mgr.body.Image, done.Image);
    // in use: 409 ResourceInUse
    const again = await call('POST', `${SYS_CD}/Actions/VirtualMedia.InsertMedia`, { Image: `${base}/live.iso` });
    assert.equal(again.status, 409);
    assert.deepEqual(ids(again), ['ResourceInUse']);
    // sushy posts EjectMedia without a body
    const ej = await call('POST', `${SYS_CD}/Actions/VirtualMedia.EjectMedia`);
    assert.equal(ej.status, 204);
    const after = await call('GET', MGR_CD);
    assert.equal(after.body.Inserted, false);
    assert.equal(after.body.Image, null);
    assert.equal(bmc.hosts[0]!.media.slot('CD')?.download.state, 'idle');
    assert.equal((await call('POST', `${SYS_CD}/Actions/VirtualMedia.EjectMedia`, {})).status, 204);
    assert.deepEqual(ids(await call('POST', `${SYS_CD}/Actions/VirtualMedia.EjectMedia`, { Force: true })), ['PropertyUnknown']);
  });

  it('a 404 image shows the failure in Status.Conditions and stays not inserted', async () => {
    const { call, until } = service();
    assert.equal((await call('POST', `${SYS_CD}/Actions/VirtualMedia.InsertMedia`, { Image: `${base}/nope.iso` })).status, 204);
    const b = await until(SYS_CD, (x) => x.Oem.Tsbmc.DownloadState === 'Failed');
    valid(b);
    assert.equal(b.Inserted, false);
    assert.equal(b.Status.Health, 'Warning');
    assert.match(b.Status.Conditions[0].MessageId, /CouldNotEstablishConnection$/);
    assert.equal(b.Oem.Tsbmc.FailureReason, 'HTTP 404');
  });

  it('refuses bad parameters with Base messages', async () => {
    const { call } = service();
    const post = (body: unknown) => call('POST', `${SYS_CD}/Actions/VirtualMedia.InsertMedia`, body);
    assert.deepEqual(ids(await post({ Image: 'nfs://server/export/x.iso' })), ['ActionParameterValueNotInList']);
    assert.deepEqual(ids(await post({ Image: 'gopher://server/x.iso' })), ['ActionParameterValueFormatError']);
    assert.deepEqual(ids(await post({ Image: 'server/x.iso' })), ['ActionParameterValueFormatError']);
    assert.deepEqual(ids(await post({ Image: `${base}/x.iso`, TransferProtocolType: 'NFS' })), ['ActionParameterValueNotInList']);
    assert.deepEqual(ids(await post({ Image: `${base}/x.iso`, TransferProtocolType: 'HTTPS' })), ['ActionParameterValueConflict']);
    assert.deepEqual(ids(await post({ Image: `${base}/x.iso`, TransferMethod: 'Carrier pigeon' })), ['ActionParameterValueNotInList']);
    assert.deepEqual(ids(await post({ Inserted: true })), ['ActionParameterMissing']);
    assert.deepEqual(ids(await post({ Image: 5 })), ['PropertyValueTypeError']);
    assert.deepEqual(ids(await post({ Image: `${base}/x.iso`, Colour: 'blue' })), ['PropertyUnknown']);
    assert.deepEqual(ids(await call('PATCH', SYS_CD, { Image: 'ftp://x/y.iso' })), ['PropertyValueNotInList']);
    assert.deepEqual(ids(await call('PATCH', SYS_CD, { ImageName: 'x' })), ['PropertyNotWritable']);
    assert.deepEqual(ids(await call('PATCH', SYS_CD, { Inserted: true })), ['PropertyValueConflict']);
    // the scheme-less form takes TransferProtocolType's scheme
    assert.equal((await post({ Image: `${base.slice('http://'.length)}/live.iso`, TransferProtocolType: 'HTTP' })).status, 204);
  });

  it('PATCH Image/Inserted inserts and ejects too; the password is never shown', async () => {
    const { call, until } = service();
    const p = await call('PATCH', SYS_CD, { Image: `${base}/live.iso`, Inserted: true, WriteProtected: false, UserName: 'u', Password: 'hunter2' });
    assert.equal(p.status, 200);
    const b = await until(SYS_CD, (x) => x.Inserted === true);
    assert.equal(b.WriteProtected, false);
    assert.ok(!JSON.stringify(b).includes('hunter2'));
    assert.equal(b.Password, undefined);
    assert.equal(b.UserName, undefined);
    assert.equal((await call('PATCH', SYS_CD, { Inserted: false })).body.Inserted, false);
    assert.equal((await call('PATCH', SYS_CD, { Inserted: true })).body.Inserted, true);
    assert.equal((await call('PATCH', SYS_CD, { VerifyCertificate: false })).body.VerifyCertificate, false);
    const e = await call('PATCH', SYS_CD, { Image: null, Inserted: false });
    assert.equal(e.body.Image, null);
    assert.equal(e.body.Inserted, false);
  });

  it('needs ConfigureManager to insert; reading is for every role', async () => {
    const { call } = service();
    assert.equal((await call('GET', SYS_CD, undefined, opAuth)).status, 200);
    assert.equal((await call('POST', `${SYS_CD}/Actions/VirtualMedia.InsertMedia`, { Image: `${base}/live.iso` }, opAuth)).status, 403);
    assert.equal((await call('PATCH', MGR_CD, { Inserted: false }, opAuth)).status, 403);
  });

  it('a CD boot of an inserted image shows in the ComputerSystem BootProgress', async () => {
    const { call, until, links } = service();
    await call('POST', `${SYS_CD}/Actions/VirtualMedia.InsertMedia`, { Image: `${base}/live.iso` });
    await until(SYS_CD, (x) => x.Inserted === true);
    assert.equal((await call('PATCH', '/redfish/v1/Systems/system', { Boot: { BootSourceOverrideTarget: 'Cd', BootSourceOverrideEnabled: 'Once' } })).status, 200);
    assert.equal((await call('GET', '/redfish/v1/Systems/system')).body.BootProgress.LastState, 'None');
    assert.equal((await call('POST', '/redfish/v1/Systems/system/Actions/ComputerSystem.Reset', { ResetType: 'On' })).status, 204);
    assert.equal(links[0]!.lastBoot?.device, 'cdrom');
    const sys = await call('GET', '/redfish/v1/Systems/system');
    valid(sys.body);
    assert.equal(sys.body.BootProgress.LastState, 'OSBootStarted');
    assert.deepEqual(sys.body.BootProgress.Oem.Tsbmc, { BootDevice: 'cdrom', BootImage: 'live.iso' });
  });
});

describe('VirtualMedia: #TsbmcVirtualMedia.UploadMedia', () => {
  const UPLOAD = `${SYS_CD}/Actions/Oem/TsbmcVirtualMedia.UploadMedia`;

  function uploader(maxBytes?: number) {
    const t = service();
    const dir = mkdtempSync(join(tmpdir(), 'tsbmc-vm-up-'));
    dirs.push(dir);
    t.bmc.hosts[0]!.media.configure({ cacheDir: dir, ...(maxBytes !== undefined ? { maxBytes } : {}) });
    const post = async (query: string, body: Readable, headers: Record<string, string> = {}, authorization = auth) => {
      const r = await t.svc.router.handle({
        method: 'POST',
        url: `${UPLOAD}${query}`,
        headers: { authorization, 'content-type': 'application/octet-stream', ...headers },
        stream: body,
        clientAddress: '127.0.0.1',
      });
      return { status: r.status, body: r.body as Record<string, any> };
    };
    return { ...t, dir, post };
  }
  const bytes = (n: number) => Buffer.alloc(n, 7);

  it('is advertised in Actions.Oem; an upload shows Downloading, then inserted as upload:<name>, and the body stays schema-valid', async () => {
    const { call, post, dir } = uploader();
    const before = await call('GET', SYS_CD);
    assert.deepEqual(before.body.Actions.Oem, { '#TsbmcVirtualMedia.UploadMedia': { target: UPLOAD } });
    valid(before.body);
    // a body that arrives in pieces, with a look at the drive half way
    let mid: Record<string, any> | undefined;
    async function* pieces() {
      yield bytes(4096);
      await new Promise((r) => setTimeout(r, 20));
      mid = (await call('GET', SYS_CD)).body;
      yield bytes(4096);
    }
    const r = await post('?name=my%20boot.iso&WriteProtected=false', Readable.from(pieces()), { 'content-length': '8192' });
    assert.equal(r.status, 204, JSON.stringify(r.body));
    assert.equal(mid?.Oem.Tsbmc.DownloadState, 'Downloading');
    assert.equal(mid?.Inserted, false);
    const b = (await call('GET', SYS_CD)).body;
    valid(b);
    assert.equal(b.Inserted, true);
    assert.equal(b.Image, 'upload:my%20boot.iso');
    assert.equal(b.ImageName, 'my boot.iso');
    assert.equal(b.WriteProtected, false);
    assert.equal(b.ConnectedVia, 'URI');
    assert.equal(b.TransferMethod, 'Upload');
    assert.equal(b.TransferProtocolType, null);
    assert.equal(b.Oem.Tsbmc.DownloadState, 'Ready');
    assert.equal(b.Oem.Tsbmc.BytesTransferred, 8192);
    assert.equal(readdirSync(dir).filter((f) => !f.endsWith('.part')).length, 1);
    // the drive is in use until ejected
    assert.equal((await post('?name=b.iso', Readable.from([bytes(10)]), { 'content-length': '10' })).status, 409);
    assert.equal((await call('POST', `${SYS_CD}/Actions/VirtualMedia.EjectMedia`, {})).status, 204);
    assert.deepEqual(readdirSync(dir), []);
  });

  it('refuses bad names, parameters, headers and sizes beyond the cap with Base messages, leaving the drive empty', async () => {
    const { call, post, dir } = uploader(1000);
    const cases: [string, Record<string, string>, number, string][] = [
      ['?name=..', { 'content-length': '10' }, 400, 'ActionParameterValueFormatError'],
      ['?name=a%2Fb.iso', { 'content-length': '10' }, 400, 'ActionParameterValueFormatError'],
      ['?name=a%0Ab.iso', { 'content-length': '10' }, 400, 'ActionParameterValueFormatError'],
      [`?name=${'x'.repeat(256)}`, { 'content-length': '10' }, 400, 'ActionParameterValueFormatError'],
      ['', { 'content-length': '10' }, 400, 'ActionParameterMissing'],
      ['?name=a.iso&Inserted=true', { 'content-length': '10' }, 400, 'ActionParameterUnknown'],
      ['?name=a.iso&WriteProtected=yes', { 'content-length': '10' }, 400, 'ActionParameterValueFormatError'],
      ['?name=a.iso', {}, 411, 'HeaderMissing'],
      ['?name=a.iso', { 'content-length': '10', 'content-type': 'application/json' }, 415, 'HeaderInvalid'],
      ['?name=a.iso', { 'content-length': '1001' }, 413, 'PayloadTooLarge'],
    ];
    for (const [query, headers, status, id] of cases) {
      const r = await post(query, Readable.from([bytes(10)]), headers);
      assert.equal(r.status, status, `${query} ${JSON.stringify(headers)}`);
      assert.deepEqual(ids(r), [id], query);
    }
    assert.equal((await call('GET', SYS_CD)).body.Inserted, false);
    assert.equal((await post('?name=a.iso', Readable.from([bytes(10)]), { 'content-length': '10' }, opAuth)).status, 403);
    assert.equal((await post('?name=a.iso', Readable.from([bytes(10)]), { 'content-length': '10' }, 'Basic eDp5')).status, 401);
    const ok = await post('?name=a.iso', Readable.from([bytes(10)]), { 'content-length': '10' });
    assert.equal(ok.status, 204);
    const r = await call('GET', '/redfish/v1/Systems/system/VirtualMedia/DVD');
    assert.equal(r.status, 404);
    assert.equal(readdirSync(dir).length, 1);
  });

  it('a body shorter or longer than announced, or cut off, leaves no file and the drive empty', async () => {
    const { call, post, dir } = uploader(1 << 20);
    assert.equal((await post('?name=short.iso', Readable.from([bytes(100)]), { 'content-length': '200' })).status, 409);
    assert.equal((await post('?name=long.iso', Readable.from([bytes(300)]), { 'content-length': '200' })).status, 413);
    const cut = new Readable({ read() {} });
    const pending = post('?name=cut.iso', cut, { 'content-length': '5000' });
    cut.push(bytes(1000));
    await new Promise((r) => setTimeout(r, 20));
    cut.destroy(Object.assign(new Error('aborted'), { code: 'ECONNRESET' }));
    assert.equal((await pending).status, 409);
    const b = (await call('GET', SYS_CD)).body;
    assert.equal(b.Inserted, false);
    assert.equal(b.Image, null);
    assert.equal(b.Oem.Tsbmc.DownloadState, 'Idle');
    assert.deepEqual(readdirSync(dir), []);
  });

  it('an eject during the upload stops it: the upload answers 409 and nothing stays', async () => {
    const { call, post, dir } = uploader();
    const slow = new Readable({ read() {} });
    const pending = post('?name=slow.iso', slow, { 'content-length': '5000' });
    slow.push(bytes(1000));
    await new Promise((r) => setTimeout(r, 20));
    assert.equal((await call('POST', `${SYS_CD}/Actions/VirtualMedia.EjectMedia`, {})).status, 204);
    assert.equal((await pending).status, 409);
    assert.equal((await call('GET', SYS_CD)).body.Image, null);
    assert.deepEqual(readdirSync(dir), []);
  });
});
