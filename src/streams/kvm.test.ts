// KVM stream: the byte bridge against a fake VNC server on a unix socket:
// bytes both ways untouched, chunking, backpressure both ways, connect
// retries while the display starts, every close path, the per-host cap.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { DisplayAddress, HostDisplay } from '../backends/link.js';
import { makeTestBmc } from '../model/testing.js';
import { SessionStore } from '../redfish/sessions.js';
import { CloseCode, StreamError } from './auth.js';
import {
  KVM_CHUNK,
  KVM_CONNECT_RETRY_MS,
  KVM_CONNECT_WINDOW_MS,
  KVM_DRAIN_POLL_MS,
  KVM_HIGH_WATER,
  KVM_PATH,
  KVM_PRIVILEGE,
  kvmStream,
  openKvmStream,
  UNSUPPORTED_DATA,
} from './kvm.js';
import { FakePeer, streamContext } from './testing.js';

class PausablePeer extends FakePeer {
  paused = 0;
  resumed = 0;
  pause(): void {
    this.paused++;
  }
  resume(): void {
    this.resumed++;
  }
}

/** A fake VNC server: greets with the RFB version and records what clients send. */
class FakeVnc {
  readonly server: Server;
  readonly conns: Socket[] = [];
  readonly received: Buffer[] = [];
  constructor(readonly path: string, greet = 'RFB 003.008\n') {
    this.server = createServer((s) => {
      this.conns.push(s);
      s.on('data', (d) => this.received.push(d));
      s.on('error', () => undefined);
      if (greet) s.write(greet);
    });
  }
  listen(): Promise<void> {
    return new Promise((r) => this.server.listen(this.path, r));
  }
  bytes(): Buffer {
    return Buffer.concat(this.received);
  }
  close(): Promise<void> {
    for (const c of this.conns) c.destroy();
    return new Promise((r) => this.server.close(() => r()));
  }
}

const bin = (b: Uint8Array | string) => ({ binary: true, data: typeof b === 'string' ? Buffer.from(b) : b });

async function until<T>(fn: () => T | undefined | false, ms = 3000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}

function setup(t: { after: (fn: () => unknown) => void }) {
  const tb = makeTestBmc({ hosts: 2 });
  const sessions = new SessionStore(tb.bmc);
  const dir = mkdtempSync(join(tmpdir(), 'tsbmc-kvm-'));
  const path = join(dir, 'vnc.sock');
  let address: DisplayAddress | undefined = { path };
  const display: HostDisplay = { address: () => address };
  Object.defineProperty(tb.links[0]!, 'display', { value: display });
  const host = tb.bmc.hosts[0]!;
  assert.equal(host.request('on'), undefined);
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return {
    ...tb,
    sessions,
    host,
    path,
    setAddress: (a: DisplayAddress | undefined) => (address = a),
    ctx: (query = '') => streamContext(tb.bmc, tb.clock, sessions, 2, query),
  };
}

test('refusals: no display, host off (4503); the stream needs ConfigureComponents', (t) => {
  const s = setup(t);
  assert.equal(KVM_PATH, '/ws/kvm');
  assert.equal(kvmStream().privilege, KVM_PRIVILEGE);
  assert.equal(KVM_PRIVILEGE, 'ConfigureComponents');
  const noDisplay = s.bmc.hosts[1]!;
  noDisplay.request('on');
  assert.throws(
    () => openKvmStream(s.ctx(), new FakePeer(), noDisplay),
    (e: unknown) => e instanceof StreamError && e.code === CloseCode.Unavailable && /no graphical console/.test(e.reason),
  );
  s.host.request('off');
  assert.throws(
    () => openKvmStream(s.ctx(), new FakePeer(), s.host),
    (e: unknown) => e instanceof StreamError && e.code === CloseCode.Unavailable && /off/.test(e.reason),
  );
  // unknown parameters and hosts, as the other streams
  assert.throws(() => kvmStream().open(s.ctx('since=1'), new FakePeer()), (e: unknown) => e instanceof StreamError && e.code === CloseCode.BadRequest);
  assert.throws(() => kvmStream().open(s.ctx('host=7'), new FakePeer()), (e: unknown) => e instanceof StreamError && e.code === CloseCode.UnknownHost);
});

test('bytes pass both ways untouched; long reads are split into chunks', async (t) => {
  const s = setup(t);
  const vnc = new FakeVnc(s.path);
  await vnc.listen();
  t.after(() => vnc.close());
  const peer = new PausablePeer();
  const ctx = s.ctx();
  const h = openKvmStream(ctx, peer, s.host);
  await until(() => peer.bytes().length === 12);
  assert.equal(peer.bytes().toString('latin1'), 'RFB 003.008\n');
  const all = Buffer.alloc(256);
  for (let i = 0; i < 256; i++) all[i] = i;
  h.message?.(bin('RFB 003.008\n'));
  h.message?.(bin(all));
  await until(() => vnc.bytes().length === 12 + 256);
  assert.deepEqual(vnc.bytes(), Buffer.concat([Buffer.from('RFB 003.008\n'), all]));
  assert.equal(ctx.touches, 1, 'input counts as activity, at most once a second');
  s.clock.advance(1000);
  h.message?.(bin('x'));
  assert.equal(ctx.touches, 2);

  const big = Buffer.alloc(3 * KVM_CHUNK + 5);
  for (let i = 0; i < big.length; i++) big[i] = (i * 7) & 0xff;
  peer.clear();
  vnc.conns[0]!.write(big);
  await until(() => peer.bytes().length === big.length);
  assert.deepEqual(peer.bytes(), big);
  assert.ok(peer.sent.every((m) => typeof m !== 'string' && m.length <= KVM_CHUNK));
  h.close();
  await until(() => vnc.conns[0]!.closed || vnc.conns[0]!.readableEnded);
  assert.equal(peer.closed, undefined, 'a close by the hub sends no close frame of its own');
});

test('a slow client pauses reading from the display; it resumes once drained', async (t) => {
  const s = setup(t);
  const vnc = new FakeVnc(s.path, '');
  await vnc.listen();
  t.after(() => vnc.close());
  const peer = new PausablePeer();
  peer.bufferedAmount = KVM_HIGH_WATER + 1;
  const h = openKvmStream(s.ctx(), peer, s.host);
  await until(() => vnc.conns.length === 1);
  const big = Buffer.alloc(8 * 1024 * 1024);
  for (let i = 0; i < big.length; i += 4) big.writeUInt32BE(i, i);
  vnc.conns[0]!.write(big);
  await until(() => peer.bytes().length > 0);
  await new Promise((r) => setTimeout(r, 200));
  const whilePaused = peer.bytes().length;
  assert.ok(whilePaused < big.length / 2, `reading paused (${whilePaused} of ${big.length} bytes read)`);
  // still slow: polling keeps it paused
  s.clock.advance(KVM_DRAIN_POLL_MS);
  await new Promise((r) => setTimeout(r, 50));
  assert.ok(peer.bytes().length - whilePaused < 256 * 1024);
  // drained: reading resumes; pause again each time the client is slow, until everything arrived
  peer.bufferedAmount = 0;
  const done = until(() => peer.bytes().length === big.length, 10_000);
  const tick = setInterval(() => s.clock.advance(KVM_DRAIN_POLL_MS), 5);
  try {
    await done;
  } finally {
    clearInterval(tick);
  }
  assert.deepEqual(peer.bytes(), big);
  h.close();
});

test('a display that does not read pauses the client; its drain resumes it', async (t) => {
  const s = setup(t);
  const vnc = new FakeVnc(s.path, '');
  await vnc.listen();
  t.after(() => vnc.close());
  const peer = new PausablePeer();
  const h = openKvmStream(s.ctx(), peer, s.host);
  await until(() => vnc.conns.length === 1);
  const conn = vnc.conns[0]!;
  conn.pause();
  const msg = Buffer.alloc(16 * 1024, 0x5a);
  let sent = 0;
  while (peer.paused === 0 && sent < 4096) {
    h.message?.(bin(msg));
    sent++;
  }
  assert.equal(peer.paused, 1, 'client messages paused');
  assert.equal(peer.resumed, 0);
  conn.resume();
  await until(() => vnc.bytes().length === sent * msg.length, 10_000);
  await until(() => peer.resumed === 1);
  h.close();

  // closing while paused resumes first, so the client's answer to the close frame is read
  const p2 = new PausablePeer();
  const h2 = openKvmStream(s.ctx(), p2, s.host);
  await until(() => vnc.conns.length === 2);
  vnc.conns[1]!.pause();
  for (let i = 0; p2.paused === 0 && i < 4096; i++) h2.message?.(bin(msg));
  assert.equal(p2.paused, 1);
  s.host.request('off');
  assert.deepEqual([p2.resumed, p2.closed?.code], [1, CloseCode.Unavailable]);
});

test('while the display starts, connecting is retried; early client bytes are held and delivered', async (t) => {
  const s = setup(t);
  s.setAddress(undefined);
  const peer = new PausablePeer();
  const h = openKvmStream(s.ctx(), peer, s.host);
  h.message?.(bin('early'));
  s.clock.advance(KVM_CONNECT_RETRY_MS);
  s.setAddress({ path: s.path });
  s.clock.advance(KVM_CONNECT_RETRY_MS);
  // the socket does not exist yet: ENOENT, retried
  await new Promise((r) => setTimeout(r, 30));
  const vnc = new FakeVnc(s.path);
  await vnc.listen();
  t.after(() => vnc.close());
  const tick = setInterval(() => s.clock.advance(KVM_CONNECT_RETRY_MS), 10);
  try {
    await until(() => peer.bytes().length === 12);
  } finally {
    clearInterval(tick);
  }
  await until(() => vnc.bytes().toString() === 'early');
  assert.equal(peer.closed, undefined);
  h.close();
});

test('a display that never comes up closes the stream with 4503 after the window', async (t) => {
  const s = setup(t);
  const peer = new PausablePeer();
  openKvmStream(s.ctx(), peer, s.host);
  for (let waited = 0; waited <= KVM_CONNECT_WINDOW_MS && !peer.closed; waited += KVM_CONNECT_RETRY_MS) {
    await new Promise((r) => setTimeout(r, 2));
    s.clock.advance(KVM_CONNECT_RETRY_MS);
  }
  await until(() => peer.closed);
  assert.equal(peer.closed?.code, CloseCode.Unavailable);
  assert.match(peer.closed?.reason ?? '', /not available \(ENOENT\)/);
});

test('close paths: power off, the display closing, a text message', async (t) => {
  const s = setup(t);
  const vnc = new FakeVnc(s.path);
  await vnc.listen();
  t.after(() => vnc.close());

  // power off: 4503, the display connection is dropped
  const a = new PausablePeer();
  openKvmStream(s.ctx(), a, s.host);
  await until(() => a.bytes().length === 12);
  s.host.request('off');
  assert.deepEqual(a.closed, { code: CloseCode.Unavailable, reason: 'The host powered off' });
  await until(() => vnc.conns[0]!.readableEnded || vnc.conns[0]!.closed);

  // the VNC server ends the connection while the host is on: 4503 too
  s.host.request('on');
  const b = new PausablePeer();
  openKvmStream(s.ctx(), b, s.host);
  await until(() => b.bytes().length === 12);
  vnc.conns[1]!.end('bye');
  await until(() => b.closed);
  assert.deepEqual(b.closed, { code: CloseCode.Unavailable, reason: 'The display closed the connection' });
  assert.equal(b.bytes().toString(), 'RFB 003.008\nbye', 'what the display sent before closing is delivered');

  // RFB is binary: a text message is refused with 1003
  const c = new PausablePeer();
  const h = openKvmStream(s.ctx(), c, s.host);
  await until(() => c.bytes().length === 12);
  h.message?.({ binary: false, data: Buffer.from('hello') });
  assert.equal(c.closed?.code, UNSUPPORTED_DATA);
  await until(() => vnc.conns[2]!.readableEnded || vnc.conns[2]!.closed);
});

test('at most 4 KVM streams per host (4429); closing one frees its place', async (t) => {
  const s = setup(t);
  const vnc = new FakeVnc(s.path);
  await vnc.listen();
  t.after(() => vnc.close());
  const def = kvmStream();
  const handles = [0, 1, 2, 3].map(() => def.open(s.ctx('host=0'), new PausablePeer()));
  assert.throws(() => def.open(s.ctx('system=node0'), new PausablePeer()), (e: unknown) => e instanceof StreamError && e.code === CloseCode.TooMany);
  // another host has its own count (and here no display)
  assert.throws(() => def.open(s.ctx('host=1'), new PausablePeer()), (e: unknown) => e instanceof StreamError && e.code === CloseCode.Unavailable);
  handles[0]!.close();
  handles[0]!.close();
  const again = def.open(s.ctx(), new PausablePeer());
  assert.throws(() => def.open(s.ctx(), new PausablePeer()), (e: unknown) => e instanceof StreamError && e.code === CloseCode.TooMany);
  for (const h of [...handles.slice(1), again]) h.close();
});
