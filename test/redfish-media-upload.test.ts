// The OEM action #TsbmcVirtualMedia.UploadMedia against the real tsbmc
// process over node's https client: a few-MB image streamed in chunks is
// inserted and attached (the simulated host boots it after `ipmitool chassis
// bootdev cdrom` and a power-on), and the refusals (413 beyond the cap, 400
// for a bad name, 401, 403 for ReadOnly, 404 for an unknown drive) come as
// Redfish errors; a client that goes away mid-upload leaves no file behind
// and the drive empty.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { request, type RequestOptions } from 'node:https';
import type { IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ADMIN_PASSWORD, ipmitool, redfish, startBmcProcess, waitFor, type BmcProcess } from './helpers/bmc-process.js';

let bmc: BmcProcess;
const SYS = '/redfish/v1/Systems/system';
const action = (drive: string) => `${SYS}/VirtualMedia/${drive}/Actions/Oem/TsbmcVirtualMedia.UploadMedia`;
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
const ADMIN = basic('admin', ADMIN_PASSWORD);
const CHUNK = 64 * 1024;

before(async () => {
  bmc = await startBmcProcess();
  const r = await redfish(bmc, 'POST', '/redfish/v1/AccountService/Accounts', { body: { UserName: 'watcher', Password: 'watcher-pass1', RoleId: 'ReadOnly' } });
  assert.equal(r.status, 201, r.text);
});

after(async () => {
  await bmc?.stop();
});

interface Answer {
  status: number;
  headers: IncomingMessage['headers'];
  body: Record<string, any> | undefined;
}

/**
 * POSTs `length` announced bytes, writing `send` of them in 64 KiB chunks
 * (waiting for drain), then ends (or, with `abort`, destroys) the request.
 * The answer may come before the body is sent: then sending stops.
 */
function upload(path: string, opts: { length: number; send?: number; authorization?: string; abort?: boolean }): Promise<Answer | 'aborted'> {
  const headers: Record<string, string> = { 'Content-Type': 'application/octet-stream', 'Content-Length': String(opts.length) };
  if (opts.authorization) headers.Authorization = opts.authorization;
  const o: RequestOptions = { host: '127.0.0.1', port: bmc.httpsPort, method: 'POST', path, headers, rejectUnauthorized: false };
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = request(o, (res) => {
      answered = true;
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text ? (JSON.parse(text) as Record<string, any>) : undefined });
      });
    });
    // a refusal closes the connection while we may still be writing
    req.on('error', (err) => (opts.abort ? resolve('aborted') : answered ? undefined : reject(err)));
    req.flushHeaders();
    const total = opts.send ?? opts.length;
    let sent = 0;
    const pump = (): void => {
      while (sent < total && !answered && !req.destroyed) {
        const n = Math.min(CHUNK, total - sent);
        const chunk = Buffer.alloc(n, (sent / CHUNK) & 0xff);
        sent += n;
        if (!req.write(chunk)) {
          req.once('drain', pump);
          return;
        }
      }
      if (answered || req.destroyed) return;
      if (opts.abort) setTimeout(() => req.destroy(), 100);
      else req.end();
    };
    pump();
  });
}

const messageIds = (a: Answer | 'aborted') => {
  assert.notEqual(a, 'aborted');
  return ((a as Answer).body?.error?.['@Message.ExtendedInfo'] as { MessageId: string }[]).map((m) => m.MessageId.split('.').pop());
};

/** The image files in the BMC's media cache (finished and partial). */
function cachedFiles(): string[] {
  const walk = (dir: string): string[] => {
    let out: string[] = [];
    for (const e of readdirSync(dir, { withFileTypes: true })) out = e.isDirectory() ? out.concat(walk(join(dir, e.name))) : out.concat(e.name);
    return out;
  };
  return walk(join(bmc.stateDir, 'media'));
}

test('UploadMedia: a 4 MiB image streamed in chunks is inserted, attached, and the host boots it from the CD', async () => {
  const size = 4 * 1024 * 1024;
  const cd = (await redfish(bmc, 'GET', `${SYS}/VirtualMedia/CD`)).body;
  assert.equal(cd.Actions.Oem['#TsbmcVirtualMedia.UploadMedia'].target, action('CD'));
  const r = await upload(`${action('CD')}?name=rescue-live.iso`, { length: size, authorization: ADMIN });
  assert.notEqual(r, 'aborted');
  assert.equal((r as Answer).status, 204, JSON.stringify((r as Answer).body));
  const after = (await redfish(bmc, 'GET', `${SYS}/VirtualMedia/CD`)).body;
  assert.equal(after.Inserted, true);
  assert.equal(after.ImageName, 'rescue-live.iso');
  assert.equal(after.Image, 'upload:rescue-live.iso');
  assert.equal(after.WriteProtected, true);
  assert.equal(after.Oem.Tsbmc.BytesTransferred, size);
  assert.equal(cachedFiles().filter((f) => f.startsWith('cd-') && f.endsWith('.img')).length, 1);
  // the second upload to a full drive is refused
  assert.deepEqual(messageIds(await upload(`${action('CD')}?name=other.iso`, { length: 1024, authorization: ADMIN })), ['ResourceInUse']);
  const bootdev = await ipmitool(bmc, ['chassis', 'bootdev', 'cdrom']);
  assert.equal(bootdev.code, 0, bootdev.stderr);
  const on = await ipmitool(bmc, ['chassis', 'power', 'on']);
  assert.equal(on.code, 0, on.stderr);
  const progress = await waitFor(async () => {
    const b = (await redfish(bmc, 'GET', SYS)).body.BootProgress;
    return b?.Oem?.Tsbmc?.BootImage ? b : undefined;
  }, 15_000);
  assert.deepEqual(progress.Oem.Tsbmc, { BootDevice: 'cdrom', BootImage: 'rescue-live.iso' });
  assert.equal((await ipmitool(bmc, ['chassis', 'power', 'off'])).code, 0);
  assert.equal((await redfish(bmc, 'POST', `${SYS}/VirtualMedia/CD/Actions/VirtualMedia.EjectMedia`, { body: {} })).status, 204);
});

test('UploadMedia refusals: beyond the 2 GiB cap 413, bad name 400, no credentials 401, ReadOnly 403, unknown drive 404', async () => {
  const big = await upload(`${action('USB')}?name=huge.img`, { length: 3 * 1024 * 1024 * 1024, send: 0, authorization: ADMIN });
  assert.equal((big as Answer).status, 413);
  assert.deepEqual(messageIds(big), ['PayloadTooLarge']);
  assert.equal((big as Answer).headers.connection, 'close');
  const bad = await upload(`${action('USB')}?name=..%2Fetc%2Fpasswd`, { length: 1024, authorization: ADMIN });
  assert.equal((bad as Answer).status, 400);
  assert.deepEqual(messageIds(bad), ['ActionParameterValueFormatError']);
  const anon = await upload(`${action('USB')}?name=a.img`, { length: 1024 });
  assert.equal((anon as Answer).status, 401);
  assert.deepEqual(messageIds(anon), ['NoValidSession']);
  const ro = await upload(`${action('USB')}?name=a.img`, { length: 1024, authorization: basic('watcher', 'watcher-pass1') });
  assert.equal((ro as Answer).status, 403);
  assert.deepEqual(messageIds(ro), ['InsufficientPrivilege']);
  const none = await upload(`${SYS}/VirtualMedia/Floppy/Actions/Oem/TsbmcVirtualMedia.UploadMedia?name=a.img`, { length: 1024, authorization: ADMIN });
  assert.equal((none as Answer).status, 404);
  assert.equal((await redfish(bmc, 'GET', `${SYS}/VirtualMedia/USB`)).body.Image, null);
});

test('UploadMedia: a client that goes away mid-upload leaves no file and the drive empty', async () => {
  const r = await upload(`${action('USB')}?name=cut.img`, { length: 4 * 1024 * 1024, send: 1024 * 1024, authorization: ADMIN, abort: true });
  assert.equal(r, 'aborted');
  const usb = await waitFor(async () => {
    const b = (await redfish(bmc, 'GET', `${SYS}/VirtualMedia/USB`)).body;
    return b.Oem.Tsbmc.DownloadState === 'Idle' ? b : undefined;
  });
  assert.equal(usb.Image, null);
  assert.equal(usb.Inserted, false);
  assert.deepEqual(
    cachedFiles().filter((f) => f.startsWith('usb-')),
    [],
  );
});
