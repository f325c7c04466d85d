// Virtual media model: background download from a local HTTP(S) server,
// size and time limits, failures, eject, credentials, persistence and
// re-attachment after a restart.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { MediaImage, MediaSlotKind } from '../backends/link.js';
import { generateSelfSigned } from '../redfish/tls.js';
import { ManualClock } from './clock.js';
import { ModelEvents, type ModelEvent } from './events.js';
import { HostMedia } from './media.js';
import { MemoryPersistence } from './persist.js';
import { SimHost } from '../backends/sim/sim-host.js';
import { Bmc } from './bmc.js';
import { plainBox, StubLink, testBmcSpec } from './testing.js';

class MediaLink extends StubLink {
  readonly media: { slot: MediaSlotKind; image: MediaImage | null }[] = [];
  attachMedia(slot: MediaSlotKind, image: MediaImage | null): void {
    this.media.push({ slot, image });
  }
}

const ISO = Buffer.alloc(300_000, 0x5a);
let server: Server;
let base: string;
let lastAuth: string | undefined;

function handler(req: IncomingMessage, res: ServerResponse): void {
  lastAuth = req.headers.authorization;
  const url = req.url ?? '';
  if (url === '/boot.iso') {
    res.writeHead(200, { 'content-length': ISO.length });
    res.end(ISO);
  } else if (url === '/chunked.iso') {
    // no Content-Length: the cap must be enforced on the bytes
    res.writeHead(200);
    res.write(ISO);
    res.end(ISO);
  } else if (url === '/slow.iso') {
    res.writeHead(200, { 'content-length': 1000 });
    res.write(Buffer.alloc(10));
  } else if (url === '/secret.iso') {
    if (req.headers.authorization !== `Basic ${Buffer.from('fetch:s3cret').toString('base64')}`) {
      res.writeHead(401).end();
      return;
    }
    res.writeHead(200, { 'content-length': 4 }).end('ISO!');
  } else {
    res.writeHead(404).end();
  }
}

before(async () => {
  server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(() => {
  server.closeAllConnections();
  server.close();
});

function setup(opts: { persist?: MemoryPersistence; cacheDir?: string; maxBytes?: number; timeoutMs?: number } = {}) {
  const persist = opts.persist ?? new MemoryPersistence();
  const link = new MediaLink();
  const events = new ModelEvents();
  const seen: ModelEvent[] = [];
  events.onAny((e) => seen.push(e));
  const media = new HostMedia({ host: 0, link, events, clock: new ManualClock(), persist });
  const cacheDir = opts.cacheDir ?? mkdtempSync(join(tmpdir(), 'tsbmc-media-'));
  media.configure({ cacheDir, ...(opts.maxBytes !== undefined ? { maxBytes: opts.maxBytes } : {}), ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}) });
  return { media, link, persist, cacheDir, seen };
}

async function insert(media: HostMedia, slot: 'CD' | 'USB', url: string, extra: Record<string, unknown> = {}): Promise<void> {
  const r = media.insert(slot, { url: new URL(url), ...extra });
  assert.ok('done' in r, `refused: ${JSON.stringify(r)}`);
  await r.done;
}

test('InsertMedia downloads into the cache in the background, then attaches the image to the host', async () => {
  const { media, link, cacheDir, seen } = setup();
  const r = media.insert('CD', { url: new URL(`${base}/boot.iso`) });
  assert.ok('done' in r);
  assert.equal(media.slot('CD')?.download.state, 'downloading');
  assert.equal(media.slot('CD')?.inserted, false);
  await r.done;
  const s = media.slot('CD')!;
  assert.equal(s.download.state, 'ready');
  assert.equal(s.inserted, true);
  assert.equal(s.imageName, 'boot.iso');
  assert.equal(s.image, `${base}/boot.iso`);
  assert.equal(s.transferProtocol, 'HTTP');
  assert.equal(s.download.bytes, ISO.length);
  assert.equal(s.download.total, ISO.length);
  const attached = link.media.at(-1);
  assert.equal(attached?.slot, 'cd');
  assert.equal(attached?.image?.name, 'boot.iso');
  assert.deepEqual(readFileSync(attached!.image!.path), ISO);
  assert.ok(attached!.image!.path.startsWith(cacheDir));
  assert.ok(seen.some((e) => e.type === 'media' && e.slot === 'CD'));
  rmSync(cacheDir, { recursive: true, force: true });
});

test('Inserted: false downloads but keeps the image hidden until Inserted is set', async () => {
  const { media, link, cacheDir } = setup();
  await insert(media, 'USB', `${base}/boot.iso`, { inserted: false });
  assert.equal(media.slot('USB')?.download.state, 'ready');
  assert.equal(media.slot('USB')?.inserted, false);
  assert.equal(link.media.length, 0);
  assert.equal(media.set('USB', { inserted: true }), undefined);
  assert.equal(media.slot('USB')?.inserted, true);
  assert.equal(link.media.at(-1)?.slot, 'usb');
  rmSync(cacheDir, { recursive: true, force: true });
});

test('a second insert while a drive holds an image is refused as in use', async () => {
  const { media, cacheDir } = setup();
  await insert(media, 'CD', `${base}/boot.iso`);
  assert.deepEqual(media.insert('CD', { url: new URL(`${base}/boot.iso`) }), { refusal: 'in-use' });
  rmSync(cacheDir, { recursive: true, force: true });
});

test('eject detaches the image and removes the cached file', async () => {
  const { media, link, cacheDir } = setup();
  await insert(media, 'CD', `${base}/boot.iso`);
  const path = link.media.at(-1)!.image!.path;
  assert.ok(existsSync(path));
  media.eject('CD');
  assert.deepEqual(link.media.at(-1), { slot: 'cd', image: null });
  assert.equal(existsSync(path), false);
  const s = media.slot('CD')!;
  assert.equal(s.inserted, false);
  assert.equal(s.image, null);
  assert.equal(s.download.state, 'idle');
  assert.deepEqual(readdirSync(cacheDir), []);
  rmSync(cacheDir, { recursive: true, force: true });
});

test('a 404 image leaves the drive failed and not inserted', async () => {
  const { media, link, cacheDir } = setup();
  await insert(media, 'CD', `${base}/missing.iso`);
  const s = media.slot('CD')!;
  assert.equal(s.download.state, 'failed');
  assert.equal(s.download.failure, 'not-found');
  assert.equal(s.download.detail, 'HTTP 404');
  assert.equal(s.inserted, false);
  assert.equal(link.media.length, 0);
  assert.deepEqual(readdirSync(cacheDir), []);
  // a failed drive takes a new insert
  await insert(media, 'CD', `${base}/boot.iso`);
  assert.equal(media.slot('CD')?.inserted, true);
  rmSync(cacheDir, { recursive: true, force: true });
});

test('the size cap refuses an announced length and counts unannounced bytes', async () => {
  const { media, cacheDir } = setup({ maxBytes: 100_000 });
  await insert(media, 'CD', `${base}/boot.iso`);
  assert.equal(media.slot('CD')?.download.failure, 'too-large');
  await insert(media, 'USB', `${base}/chunked.iso`);
  assert.equal(media.slot('USB')?.download.failure, 'too-large');
  assert.deepEqual(readdirSync(cacheDir), []);
  rmSync(cacheDir, { recursive: true, force: true });
});

test('a download that does not finish in time fails with timeout', async () => {
  const { media, cacheDir } = setup({ timeoutMs: 200 });
  await insert(media, 'CD', `${base}/slow.iso`);
  assert.equal(media.slot('CD')?.download.failure, 'timeout');
  assert.deepEqual(readdirSync(cacheDir), []);
  rmSync(cacheDir, { recursive: true, force: true });
});

test('eject during a download cancels it and leaves nothing behind', async () => {
  const { media, cacheDir, link } = setup();
  const r = media.insert('CD', { url: new URL(`${base}/slow.iso`) });
  assert.ok('done' in r);
  await new Promise((res) => setTimeout(res, 50));
  media.eject('CD');
  await r.done;
  assert.equal(media.slot('CD')?.download.state, 'idle');
  assert.equal(link.media.length, 0);
  assert.deepEqual(readdirSync(cacheDir), []);
  rmSync(cacheDir, { recursive: true, force: true });
});

test('download credentials are used but never stored or shown; URL user info is stripped', async () => {
  const persist = new MemoryPersistence();
  const { media, cacheDir } = setup({ persist });
  await insert(media, 'CD', `${base}/secret.iso`, { userName: 'fetch', password: 's3cret' });
  assert.equal(media.slot('CD')?.download.state, 'ready');
  media.eject('CD');
  await insert(media, 'CD', `http://fetch:s3cret@127.0.0.1:${new URL(base).port}/secret.iso`);
  assert.equal(media.slot('CD')?.download.state, 'ready');
  assert.equal(lastAuth, `Basic ${Buffer.from('fetch:s3cret').toString('base64')}`);
  assert.equal(media.slot('CD')?.image, `${base}/secret.iso`);
  const doc = persist.docs.get('media') ?? '';
  assert.ok(!doc.includes('s3cret'), doc);
  rmSync(cacheDir, { recursive: true, force: true });
});

test('inserted media survive a restart and are re-attached from the cache', async () => {
  const persist = new MemoryPersistence();
  const first = setup({ persist });
  await insert(first.media, 'CD', `${base}/boot.iso`, { writeProtected: false });
  const path = first.link.media.at(-1)!.image!.path;
  first.media.close();
  const second = setup({ persist, cacheDir: first.cacheDir });
  const s = second.media.slot('CD')!;
  assert.equal(s.inserted, true);
  assert.equal(s.writeProtected, false);
  assert.deepEqual(second.link.media, [{ slot: 'cd', image: { path, name: 'boot.iso' } }]);
  // the cached file gone: the drive shows the failure instead of a phantom image
  rmSync(path);
  const third = setup({ persist, cacheDir: first.cacheDir });
  assert.equal(third.media.slot('CD')?.download.failure, 'cache-missing');
  assert.equal(third.media.slot('CD')?.inserted, false);
  assert.equal(third.link.media.length, 0);
  rmSync(first.cacheDir, { recursive: true, force: true });
});

test('a download cut by a restart is failed, its partial file removed', async () => {
  const persist = new MemoryPersistence();
  const first = setup({ persist });
  const r = first.media.insert('CD', { url: new URL(`${base}/slow.iso`) });
  assert.ok('done' in r);
  await new Promise((res) => setTimeout(res, 50));
  // the process dies: no close(); the next start finds the state "downloading"
  const second = setup({ persist, cacheDir: first.cacheDir });
  assert.equal(second.media.slot('CD')?.download.failure, 'interrupted');
  assert.deepEqual(readdirSync(first.cacheDir), []);
  first.media.eject('CD');
  await r.done;
  rmSync(first.cacheDir, { recursive: true, force: true });
});

test('HTTPS: a self-signed server fails verification unless VerifyCertificate is false', async () => {
  const { cert, key } = generateSelfSigned(['127.0.0.1']);
  const tls = createHttpsServer({ cert, key }, handler);
  await new Promise<void>((r) => tls.listen(0, '127.0.0.1', r));
  const url = `https://127.0.0.1:${(tls.address() as AddressInfo).port}/boot.iso`;
  try {
    const { media, cacheDir } = setup();
    await insert(media, 'CD', url);
    assert.equal(media.slot('CD')?.download.failure, 'certificate');
    assert.equal(media.slot('CD')?.verifyCertificate, true);
    await insert(media, 'CD', url, { verifyCertificate: false });
    assert.equal(media.slot('CD')?.download.state, 'ready');
    assert.equal(media.slot('CD')?.transferProtocol, 'HTTPS');
    rmSync(cacheDir, { recursive: true, force: true });
  } finally {
    tls.closeAllConnections();
    tls.close();
  }
});

test('noteBoot records the CD image only for a CD/DVD boot with an inserted CD', async () => {
  const { media, cacheDir } = setup();
  media.noteBoot('cdrom');
  assert.equal(media.lastBoot?.image, null);
  await insert(media, 'CD', `${base}/boot.iso`);
  media.noteBoot('disk');
  assert.equal(media.lastBoot?.image, null);
  media.noteBoot('cdrom');
  assert.deepEqual({ device: media.lastBoot?.device, image: media.lastBoot?.image }, { device: 'cdrom', image: 'boot.iso' });
  rmSync(cacheDir, { recursive: true, force: true });
});

test('the simulated host boots the inserted CD when the boot device is cdrom (the slot state drives the sim)', async () => {
  const clock = new ManualClock();
  const sim = new SimHost({ sensors: [], clock, bootMs: 1000 });
  const bmc = new Bmc({ spec: testBmcSpec(), clock, persist: new MemoryPersistence(), box: plainBox, links: [sim], consoles: [sim.consoleBuffer] });
  const h = bmc.hosts[0]!;
  const cacheDir = mkdtempSync(join(tmpdir(), 'tsbmc-media-'));
  h.media.configure({ cacheDir });
  await insert(h.media, 'CD', `${base}/boot.iso`);
  assert.equal(sim.media, 'boot.iso');
  h.setBootOverride({ ...h.boot.override, valid: true, persistent: false, device: 'cdrom' });
  h.request('on');
  clock.advance(3000);
  const text = Buffer.from(h.console.history()).toString();
  assert.match(text, /Booting from CD\/DVD: boot\.iso/);
  assert.match(text, /ISO 9660 Extensions: RRIP_1991A \(boot\.iso\)/);
  assert.deepEqual({ device: h.media.lastBoot?.device, image: h.media.lastBoot?.image }, { device: 'cdrom', image: 'boot.iso' });
  h.media.eject('CD');
  assert.equal(sim.media, null);
  await bmc.close();
  rmSync(cacheDir, { recursive: true, force: true });
});
