// VirtualMedia against the real tsbmc process with python3-sushy (what
// Ironic uses for virtual-media boot): the BMC downloads an ISO from a
// local HTTP(S) server in this test, shows it under the Manager and the
// System, boots the simulated host from it (boot override Cd over Redfish
// or `ipmitool chassis bootdev cdrom`), keeps it across a restart, and
// reports failures and refusals with Base messages.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { generateSelfSigned } from '../src/redfish/tls.js';
import { ADMIN_PASSWORD, ipmitool, python, redfish, startBmcProcess, waitFor, type BmcProcess } from './helpers/bmc-process.js';

let bmc: BmcProcess;
let http: Server;
let https: Server;
let httpBase: string;
let httpsBase: string;
const ISO = Buffer.alloc(512 * 1024, 0x42);
const SYS = '/redfish/v1/Systems/system';
const SYS_CD = `${SYS}/VirtualMedia/CD`;
const MGR_CD = '/redfish/v1/Managers/bmc/VirtualMedia/CD';
/** requests lets these override verify=False (psf/requests#3829): blank them for sushy. */
const NO_CA_ENV = { REQUESTS_CA_BUNDLE: '', CURL_CA_BUNDLE: '' };

function serve(req: IncomingMessage, res: ServerResponse): void {
  if (req.url === '/images/live.iso' || req.url === '/images/rescue.iso') res.writeHead(200, { 'content-length': ISO.length }).end(ISO);
  else res.writeHead(404).end();
}

before(async () => {
  http = createServer(serve);
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  httpBase = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  const { cert, key } = generateSelfSigned(['127.0.0.1']);
  https = createHttpsServer({ cert, key }, serve);
  await new Promise<void>((r) => https.listen(0, '127.0.0.1', r));
  httpsBase = `https://127.0.0.1:${(https.address() as AddressInfo).port}`;
  bmc = await startBmcProcess({ keepState: true });
});

after(async () => {
  await bmc.stop();
  rmSync(bmc.stateDir, { recursive: true, force: true });
  http.closeAllConnections();
  http.close();
  https.closeAllConnections();
  https.close();
});

async function sushy(code: string, user = 'admin', password = ADMIN_PASSWORD): Promise<string> {
  const prelude = [
    'import sushy, json, time, warnings, logging',
    'warnings.filterwarnings("ignore")',
    'logging.disable(logging.CRITICAL)',
    `s = sushy.Sushy("${bmc.baseUrl}/redfish/v1", username="${user}", password="${password}", verify=False)`,
    'def wait(get, pred, secs=20):',
    '    end = time.time() + secs',
    '    while True:',
    '        vm = get()',
    '        if pred(vm) or time.time() > end: return vm',
    '        time.sleep(0.2)',
    // sushy 4.3.3 has Manager.virtual_media only (System.virtual_media came later): the same classes over the System's path
    'from sushy.resources.manager.virtual_media import VirtualMedia, VirtualMediaCollection',
    'def system_vm(member=None):',
    '    if member is None: return VirtualMediaCollection(s._conn, "/redfish/v1/Systems/system/VirtualMedia", redfish_version=s.redfish_version)',
    '    return VirtualMedia(s._conn, "/redfish/v1/Systems/system/VirtualMedia/" + member, redfish_version=s.redfish_version)',
  ].join('\n');
  const r = await python(`${prelude}\n${code}`, NO_CA_ENV);
  assert.equal(r.code, 0, `python failed:\n${r.stderr}\n${r.stdout}`);
  return r.stdout.trim();
}

const get = async (path: string) => (await redfish(bmc, 'GET', path)).body as Record<string, any>;

test('sushy: Manager VirtualMedia CD insert_media, poll until inserted, same drive under the System, eject_media', async () => {
  const out = await sushy(
    [
      'mgr = s.get_manager("/redfish/v1/Managers/bmc")',
      'print(sorted(m.identity for m in mgr.virtual_media.get_members()))',
      'cd = mgr.virtual_media.get_member("/redfish/v1/Managers/bmc/VirtualMedia/CD")',
      `cd.insert_media("${httpBase}/images/live.iso", inserted=True, write_protected=True)`,
      'cd = wait(lambda: mgr.virtual_media.get_member("/redfish/v1/Managers/bmc/VirtualMedia/CD"), lambda v: v.inserted)',
      'print(json.dumps({"inserted": cd.inserted, "image": cd.image, "name": cd.image_name, "wp": cd.write_protected, "via": str(cd.connected_via), "types": [str(t) for t in cd.media_types], "state": str(cd.status.state)}))',
      'sysvm = system_vm("CD")',
      'print(sysvm.inserted, sysvm.image_name)',
      'cd.eject_media()',
      'cd = mgr.virtual_media.get_member("/redfish/v1/Managers/bmc/VirtualMedia/CD")',
      'print(cd.inserted, cd.image)',
    ].join('\n'),
  );
  const lines = out.split('\n');
  assert.equal(lines[0], "['CD', 'USB']");
  const cd = JSON.parse(lines[1]!);
  assert.equal(cd.inserted, true);
  assert.equal(cd.image, `${httpBase}/images/live.iso`);
  assert.equal(cd.name, 'live.iso');
  assert.equal(cd.wp, true);
  assert.match(cd.via, /URI|uri/i);
  assert.equal(cd.types.length, 2);
  assert.match(cd.state, /enabled/i);
  assert.equal(lines[2], 'True live.iso');
  assert.equal(lines[3], 'False None');
});

test('sushy: System VirtualMedia insert, boot override Cd once, power on: the host boots the image', async () => {
  const out = await sushy(
    [
      'system = s.get_system("/redfish/v1/Systems/system")',
      'print(sorted(m.identity for m in system_vm().get_members()))',
      'vm = system_vm("CD")',
      `vm.insert_media("${httpBase}/images/rescue.iso", inserted=True, write_protected=True)`,
      'vm = wait(lambda: system_vm("CD"), lambda v: v.inserted)',
      'print(vm.inserted, vm.image_name)',
      'system.set_system_boot_options(sushy.BOOT_SOURCE_TARGET_CD, enabled=sushy.BOOT_SOURCE_ENABLED_ONCE)',
      'system.reset_system(sushy.RESET_ON)',
    ].join('\n'),
  );
  assert.equal(out, "['CD', 'USB']\nTrue rescue.iso");
  const progress = await waitFor(async () => {
    const b = (await get(SYS)).BootProgress;
    return b?.LastState === 'OSBootStarted' ? b : undefined;
  }, 20_000);
  assert.deepEqual(progress.Oem.Tsbmc, { BootDevice: 'cdrom', BootImage: 'rescue.iso' });
  // Once was consumed by that boot
  assert.equal((await get(SYS)).Boot.BootSourceOverrideEnabled, 'Disabled');
  assert.equal((await redfish(bmc, 'POST', `${SYS}/Actions/ComputerSystem.Reset`, { body: { ResetType: 'ForceOff' } })).status, 204);
});

test('ipmitool chassis bootdev cdrom with the CD inserted boots the image; a disk boot does not', async () => {
  assert.equal((await get(SYS_CD)).ImageName, 'rescue.iso');
  let r = await ipmitool(bmc, ['chassis', 'bootdev', 'cdrom']);
  assert.equal(r.code, 0, r.stderr);
  r = await ipmitool(bmc, ['chassis', 'power', 'on']);
  assert.equal(r.code, 0, r.stderr);
  const b = await waitFor(async () => {
    const p = (await get(SYS)).BootProgress;
    return p?.LastState === 'OSBootStarted' ? p : undefined;
  }, 20_000);
  assert.deepEqual(b.Oem.Tsbmc, { BootDevice: 'cdrom', BootImage: 'rescue.iso' });
  r = await ipmitool(bmc, ['chassis', 'power', 'reset']);
  assert.equal(r.code, 0, r.stderr);
  const disk = await waitFor(async () => {
    const p = (await get(SYS)).BootProgress;
    return p?.Oem?.Tsbmc?.BootDevice !== 'cdrom' && p?.LastState === 'OSBootStarted' ? p : undefined;
  }, 20_000);
  assert.equal(disk.Oem.Tsbmc.BootImage, null);
  assert.equal((await ipmitool(bmc, ['chassis', 'power', 'off'])).code, 0);
});

test('inserted media survive a restart of the BMC and are re-attached from the cache', async () => {
  const stateDir = bmc.stateDir;
  await bmc.stop();
  bmc = await startBmcProcess({ stateDir, keepState: true });
  const cd = await get(SYS_CD);
  assert.equal(cd.Inserted, true);
  assert.equal(cd.ImageName, 'rescue.iso');
  assert.equal((await get(MGR_CD)).Inserted, true);
  // and the host still boots from it
  assert.equal((await redfish(bmc, 'PATCH', SYS, { body: { Boot: { BootSourceOverrideTarget: 'Cd', BootSourceOverrideEnabled: 'Once' } } })).status, 200);
  assert.equal((await redfish(bmc, 'POST', `${SYS}/Actions/ComputerSystem.Reset`, { body: { ResetType: 'On' } })).status, 204);
  const p = await waitFor(async () => {
    const b = (await get(SYS)).BootProgress;
    return b?.LastState === 'OSBootStarted' ? b : undefined;
  }, 20_000);
  assert.equal(p.Oem.Tsbmc.BootImage, 'rescue.iso');
  await redfish(bmc, 'POST', `${SYS}/Actions/ComputerSystem.Reset`, { body: { ResetType: 'ForceOff' } });
  // a second insert into a full drive: 409 ResourceInUse
  const busy = await redfish(bmc, 'POST', `${SYS_CD}/Actions/VirtualMedia.InsertMedia`, { body: { Image: `${httpBase}/images/live.iso` } });
  assert.equal(busy.status, 409);
  assert.match(busy.body.error['@Message.ExtendedInfo'][0].MessageId, /ResourceInUse$/);
  assert.equal((await redfish(bmc, 'POST', `${SYS_CD}/Actions/VirtualMedia.EjectMedia`, { body: {} })).status, 204);
  assert.equal((await get(SYS_CD)).Inserted, false);
});

test('HTTPS: a self-signed image server fails verification by default; VerifyCertificate false fetches it', async () => {
  const usb = `${SYS}/VirtualMedia/USB`;
  let r = await redfish(bmc, 'POST', `${usb}/Actions/VirtualMedia.InsertMedia`, { body: { Image: `${httpsBase}/images/live.iso` } });
  assert.equal(r.status, 204);
  const failed = await waitFor(async () => {
    const b = await get(usb);
    return b.Oem.Tsbmc.DownloadState === 'Failed' ? b : undefined;
  });
  assert.equal(failed.Inserted, false);
  assert.match(failed.Status.Conditions[0].MessageId, /CouldNotEstablishConnection$/);
  // sushy's way: PATCH VerifyCertificate on the resource, then insert
  const out = await sushy(
    [
      'system = s.get_system("/redfish/v1/Systems/system")',
      'vm = system_vm("USB")',
      'vm.set_verify_certificate(False)',
      `vm.insert_media("${httpsBase}/images/live.iso", inserted=True, write_protected=False)`,
      'vm = wait(lambda: system_vm("USB"), lambda v: v.inserted)',
      'print(vm.inserted, vm.verify_certificate, vm.write_protected, [str(t) for t in vm.media_types])',
      'vm.eject_media()',
    ].join('\n'),
  );
  assert.match(out, /^True False False \[.*(usb|USB).*\]$/i);
  // the InsertMedia parameter form
  r = await redfish(bmc, 'POST', `${usb}/Actions/VirtualMedia.InsertMedia`, { body: { Image: `${httpsBase}/images/live.iso`, VerifyCertificate: false, TransferProtocolType: 'HTTPS' } });
  assert.equal(r.status, 204);
  const ok = await waitFor(async () => {
    const b = await get(usb);
    return b.Inserted === true ? b : undefined;
  });
  assert.equal(ok.TransferProtocolType, 'HTTPS');
  assert.equal((await redfish(bmc, 'POST', `${usb}/Actions/VirtualMedia.EjectMedia`)).status, 204);
});

test('a 404 image URL: the drive shows the failure and is not inserted; a bad scheme is a 400', async () => {
  const r = await redfish(bmc, 'POST', `${MGR_CD}/Actions/VirtualMedia.InsertMedia`, { body: { Image: `${httpBase}/images/missing.iso` } });
  assert.equal(r.status, 204);
  const b = await waitFor(async () => {
    const x = await get(SYS_CD);
    return x.Oem.Tsbmc.DownloadState === 'Failed' ? x : undefined;
  });
  assert.equal(b.Inserted, false);
  assert.equal(b.Oem.Tsbmc.FailureReason, 'HTTP 404');
  assert.equal(b.Status.Health, 'Warning');
  const nfs = await redfish(bmc, 'POST', `${SYS_CD}/Actions/VirtualMedia.InsertMedia`, { body: { Image: 'nfs://10.0.0.1/export/live.iso' } });
  assert.equal(nfs.status, 400);
  assert.match(nfs.body.error['@Message.ExtendedInfo'][0].MessageId, /ActionParameterValueNotInList$/);
  const junk = await redfish(bmc, 'PATCH', SYS_CD, { body: { Image: 'not a url' } });
  assert.equal(junk.status, 400);
  assert.match(junk.body.error['@Message.ExtendedInfo'][0].MessageId, /PropertyValueFormatError$/);
  await redfish(bmc, 'POST', `${SYS_CD}/Actions/VirtualMedia.EjectMedia`);
});

test('a ReadOnly account reads virtual media but gets 403 on insert and eject', async () => {
  const made = await redfish(bmc, 'POST', '/redfish/v1/AccountService/Accounts', { body: { UserName: 'viewer', Password: 'V1ewer-pass', RoleId: 'ReadOnly', Enabled: true } });
  assert.equal(made.status, 201, made.text);
  assert.equal((await redfish(bmc, 'GET', SYS_CD, { user: 'viewer', password: 'V1ewer-pass' })).status, 200);
  const r = await redfish(bmc, 'POST', `${SYS_CD}/Actions/VirtualMedia.InsertMedia`, { user: 'viewer', password: 'V1ewer-pass', body: { Image: `${httpBase}/images/live.iso` } });
  assert.equal(r.status, 403);
  // sushy 4.3.3 answers a 403 by logging in again and retrying once, and
  // then returns without raising: the status codes are read from its log
  const out = await sushy(
    [
      'codes = []',
      'class Codes(logging.Handler):',
      '    def emit(self, r):',
      '        m = r.getMessage()',
      '        if "InsertMedia" in m and "status code: " in m: codes.append(m.split("status code: ")[1][:3])',
      'logging.disable(logging.NOTSET)',
      'lg = logging.getLogger("sushy"); lg.setLevel(logging.DEBUG); lg.addHandler(Codes()); lg.propagate = False',
      'vm = system_vm("CD")',
      'try:',
      `    vm.insert_media("${httpBase}/images/live.iso")`,
      'except sushy.exceptions.AccessError as e:',
      '    codes.append(str(e.status_code))',
      'print(sorted(set(codes)), system_vm("CD").inserted)',
    ].join('\n'),
    'viewer',
    'V1ewer-pass',
  );
  assert.equal(out, "['403'] False");
  assert.equal((await get(SYS_CD)).Oem.Tsbmc.DownloadState, 'Idle');
  assert.equal((await redfish(bmc, 'POST', `${MGR_CD}/Actions/VirtualMedia.EjectMedia`, { user: 'viewer', password: 'V1ewer-pass' })).status, 403);
});

test('credentials given for the download are never echoed', async () => {
  const r = await redfish(bmc, 'POST', `${SYS_CD}/Actions/VirtualMedia.InsertMedia`, {
    body: { Image: `http://fetcher:pw-in-url@127.0.0.1:${new URL(httpBase).port}/images/live.iso`, UserName: 'fetcher', Password: 'Sup3rSecret' },
  });
  assert.equal(r.status, 204);
  const b = await waitFor(async () => {
    const x = await get(SYS_CD);
    return x.Inserted === true ? x : undefined;
  });
  const text = JSON.stringify(b);
  assert.ok(!text.includes('Sup3rSecret') && !text.includes('pw-in-url'), text);
  assert.equal(b.Image, `${httpBase}/images/live.iso`);
  assert.ok(!bmc.stdout().includes('Sup3rSecret') && !bmc.stderr().includes('Sup3rSecret'));
  await redfish(bmc, 'POST', `${SYS_CD}/Actions/VirtualMedia.EjectMedia`);
});
