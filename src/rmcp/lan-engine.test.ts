// Behaviour of the LAN transport without a socket (IPMI v2.0 sections 13,
// 22.13-22.20): session setup outcomes, replay and bad-input drops, limits,
// idle timeout. The console side is a small client written here from the
// spec layouts; the algorithms it uses are pinned by algorithms.test.ts.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import fc from 'fast-check';
import { ManualClock } from '../model/clock.js';
import { silentLogger } from '../log.js';
import {
  additionalKey,
  aesCbcDecrypt,
  aesCbcEncrypt,
  AUTH_ALGOS,
  integrityMac,
  INTEGRITY_ALGOS,
  rakp3AuthCode,
  sessionIntegrityKey,
} from './algorithms.js';
import { encodeLanRequest } from './ipmi-message.js';
import { LanEngine, type Peer } from './lan-engine.js';
import { encodeV20, decodePacket } from './packet.js';
import { loadFixture, makeLanTestBmc, makeLanTestRegistry, testHost, type TestUser } from './testing.js';

const PEER: Peer = { address: '127.0.0.1', port: 40000 };

function setup(opts: { users?: TestUser[]; security?: Record<string, unknown> } = {}) {
  const clock = new ManualClock();
  const bmc = makeLanTestBmc({
    clock,
    users: opts.users ?? [
      { name: 'admin', password: 'password', privilege: 4 },
      { name: 'oper', password: 'operpass', privilege: 3 },
    ],
    security: opts.security ?? {},
  });
  const sent: Buffer[] = [];
  const engine = new LanEngine({ bmc, host: testHost, registry: makeLanTestRegistry(), log: silentLogger, clock, send: (d) => sent.push(d) });
  return { clock, bmc, engine, sent };
}

type Env = ReturnType<typeof setup>;

function setupPacket(type: number, payload: Uint8Array): Buffer {
  return encodeV20({ encrypted: false, payloadType: type, sessionId: 0, seq: 0, payload, macLength: 0 });
}

async function roundTrip(env: Env, pkt: Uint8Array, peer = PEER): Promise<Buffer | undefined> {
  const before = env.sent.length;
  await env.engine.handle(pkt, peer);
  return env.sent.length > before ? env.sent[env.sent.length - 1] : undefined;
}

const payload = (b: Buffer): Buffer => b.subarray(16, 16 + b.readUInt16LE(14));

interface Client {
  bmcId: number;
  consoleId: number;
  k1: Buffer;
  k2: Buffer;
  seq: number;
}

/** Opens an RMCP+ session the way ipmitool does; returns the RAKP 2/4 status on failure. */
async function login(
  env: Env,
  o: { user?: string; password?: string; role?: number; suite?: 3 | 17 } = {},
): Promise<Client | { stage: 'open' | 'rakp2' | 'rakp4'; status: number }> {
  const suite = o.suite ?? 17;
  const [a, i, c] = suite === 17 ? [3, 4, 1] : [1, 1, 1];
  const consoleId = 0x11223344;
  const open = Buffer.from([
    0x00, 0x00, 0, 0, ...[0x44, 0x33, 0x22, 0x11],
    0, 0, 0, 8, a, 0, 0, 0, 1, 0, 0, 8, i, 0, 0, 0, 2, 0, 0, 8, c, 0, 0, 0,
  ]);
  const openRsp = payload((await roundTrip(env, setupPacket(0x10, open)))!);
  if (openRsp[1] !== 0) return { stage: 'open', status: openRsp[1]! };
  const bmcId = openRsp.readUInt32LE(8);
  const name = Buffer.from(o.user ?? 'admin', 'latin1');
  const rm = randomBytes(16);
  const role = o.role ?? 0x14;
  const r1 = Buffer.concat([Buffer.from([0, 0, 0, 0]), u32(bmcId), rm, Buffer.from([role, 0, 0, name.length]), name]);
  const r2 = payload((await roundTrip(env, setupPacket(0x12, r1)))!);
  if (r2[1] !== 0) return { stage: 'rakp2', status: r2[1]! };
  assert.equal(r2.readUInt32LE(4), consoleId);
  const auth = AUTH_ALGOS.get(a)!;
  const kuid = Buffer.alloc(20);
  kuid.write(o.password ?? 'password', 'latin1');
  const inputs = { consoleSessionId: consoleId, bmcSessionId: bmcId, consoleRandom: rm, bmcRandom: r2.subarray(8, 24), bmcGuid: r2.subarray(24, 40), role, userName: name };
  const r3 = Buffer.concat([Buffer.from([0, 0, 0, 0]), u32(bmcId), rakp3AuthCode(auth, kuid, inputs)]);
  const r4 = payload((await roundTrip(env, setupPacket(0x14, r3)))!);
  if (r4[1] !== 0) return { stage: 'rakp4', status: r4[1]! };
  const sik = sessionIntegrityKey(auth, kuid, inputs);
  return { bmcId, consoleId, k1: additionalKey(auth, sik, 1), k2: additionalKey(auth, sik, 2), seq: 1 };
}

function u32(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v >>> 0);
  return b;
}

function isClient(x: Awaited<ReturnType<typeof login>>): x is Client {
  return 'k1' in x;
}

function request(cl: Client, netFn: number, cmd: number, data: number[] = [], integ = INTEGRITY_ALGOS.get(4)!): Buffer {
  const msg = encodeLanRequest({ rsAddr: 0x20, netFn, rsLun: 0, rqAddr: 0x81, rqSeq: cl.seq & 0x3f, rqLun: 0, cmd, data: Uint8Array.from(data) });
  const pkt = encodeV20({
    encrypted: true,
    payloadType: 0,
    sessionId: cl.bmcId,
    seq: cl.seq++,
    payload: aesCbcEncrypt(cl.k2, randomBytes(16), msg),
    macLength: integ.macLength,
    sign: (p, s, e) => integrityMac(integ, cl.k1, p, s, e),
  });
  return pkt;
}

function openResponse(cl: Client, pkt: Buffer): { cc: number; data: Buffer } {
  const integ = INTEGRITY_ALGOS.get(4)!;
  const macAt = pkt.length - integ.macLength;
  assert.deepEqual(integrityMac(integ, cl.k1, pkt, 4, macAt), pkt.subarray(macAt));
  assert.equal(pkt.readUInt32LE(6), cl.consoleId);
  const m = aesCbcDecrypt(cl.k2, payload(pkt))!;
  return { cc: m[6]!, data: m.subarray(7, m.length - 1) };
}

test('ASF presence ping gets the pong ipmi_sim sends (golden bytes)', async () => {
  const env = setup();
  const lines = loadFixture('ipmitool-lan-md5-ipmi_sim.hex');
  const rsp = await roundTrip(env, lines[0]!.bytes);
  assert.deepEqual(rsp, lines[1]!.bytes);
});

test('suite 17 login, Get Device ID, replay dropped, Close Session', async () => {
  const env = setup();
  const cl = await login(env);
  assert.ok(isClient(cl));
  assert.equal(env.engine.stats.sessionsOpened, 1);
  const req = request(cl, 6, 0x01);
  const r = openResponse(cl, (await roundTrip(env, req))!);
  assert.equal(r.cc, 0);
  assert.equal(r.data[0], 0x20);
  // the identical datagram again: a replay, dropped without an answer
  assert.equal(await roundTrip(env, req), undefined);
  assert.equal(env.engine.stats.dropped.sequence, 1);
  // a flipped MAC bit: dropped as integrity failure
  const bad = request(cl, 6, 0x01);
  bad[bad.length - 1]! ^= 1;
  assert.equal(await roundTrip(env, bad), undefined);
  assert.equal(env.engine.stats.dropped.integrity, 1);
  // Set Session Privilege to Administrator (requested role 0x14 = name-only, Administrator)
  assert.equal(openResponse(cl, (await roundTrip(env, request(cl, 6, 0x3b, [4])))!).cc, 0);
  const close = openResponse(cl, (await roundTrip(env, request(cl, 6, 0x3c, [...u32(cl.bmcId)])))!);
  assert.equal(close.cc, 0);
  assert.equal(env.engine.sessions.size, 0);
  assert.equal(await roundTrip(env, request(cl, 6, 0x01)), undefined);
});

test('unknown user gets RAKP 2 status 0Dh (unauthorized name)', async () => {
  const env = setup();
  assert.deepEqual(await login(env, { user: 'nobody' }), { stage: 'rakp2', status: 0x0d });
  assert.equal(env.engine.sessions.size, 0);
});

test('wrong password gets RAKP 4 status 0Fh, counts failures and locks the user', async () => {
  const env = setup();
  for (let n = 0; n < 5; n++) assert.deepEqual(await login(env, { password: 'nope' }), { stage: 'rakp4', status: 0x0f });
  assert.equal(env.engine.stats.authFailures, 5);
  assert.ok(env.bmc.users.isLocked(2));
  // locked: even the right password fails the same way
  assert.deepEqual(await login(env), { stage: 'rakp4', status: 0x0f });
});

test('privilege: operator asking Administrator gets 0Ah; "highest" (0) gets Operator', async () => {
  const env = setup();
  assert.deepEqual(await login(env, { user: 'oper', password: 'operpass', role: 0x14 }), { stage: 'rakp2', status: 0x0a });
  const cl = await login(env, { user: 'oper', password: 'operpass', role: 0x10 });
  assert.ok(isClient(cl));
  assert.equal(env.engine.sessions.activeSessions()[0]!.maxPrivilege, 3);
  assert.equal(openResponse(cl, (await roundTrip(env, request(cl, 6, 0x3b, [4])))!).cc, 0x81);
  assert.equal(openResponse(cl, (await roundTrip(env, request(cl, 6, 0x3b, [3])))!).cc, 0);
});

test('role lookup (bit 4 clear) needs the exact privilege', async () => {
  const env = setup();
  assert.deepEqual(await login(env, { role: 0x03 }), { stage: 'rakp2', status: 0x0d });
  assert.ok(isClient(await login(env, { role: 0x04 })));
});

test('user without IPMI messaging is refused', async () => {
  const env = setup({ users: [{ name: 'admin', password: 'password', privilege: 4, messaging: false }] });
  assert.deepEqual(await login(env), { stage: 'rakp2', status: 0x0d });
});

test('cipher suite 0 is refused unless allowed', async () => {
  const env = setup();
  const open = Buffer.from([0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 8, 0, 0, 0, 0, 1, 0, 0, 8, 0, 0, 0, 0, 2, 0, 0, 8, 0, 0, 0, 0]);
  const rsp = payload((await roundTrip(env, setupPacket(0x10, open)))!);
  assert.equal(rsp[1], 0x11);
});

test('session limits: maxSessionsPerUser', async () => {
  const env = setup({ security: { maxSessionsPerUser: 1 } });
  assert.ok(isClient(await login(env)));
  assert.deepEqual(await login(env), { stage: 'rakp2', status: 0x0b });
});

test('idle sessions are closed by the sweep and keys zeroed', async () => {
  const env = setup({ security: { sessionTimeoutMs: 1000 } });
  const cl = await login(env);
  assert.ok(isClient(cl));
  const s = env.engine.sessions.activeSessions()[0]!;
  env.clock.advance(1500);
  env.engine.sweep();
  assert.equal(env.engine.sessions.size, 0);
  assert.equal(s.keys, undefined);
  assert.equal(env.engine.stats.sessionsTimedOut, 1);
});

test('session-less: Get Channel Cipher Suites answered, Get Device ID dropped', async () => {
  const env = setup();
  const msg = (cmd: number, data: number[]) => encodeLanRequest({ rsAddr: 0x20, netFn: 6, rsLun: 0, rqAddr: 0x81, rqSeq: 1, rqLun: 0, cmd, data: Uint8Array.from(data) });
  const rsp = await roundTrip(env, setupPacket(0, msg(0x54, [0x0e, 0x00, 0x80])));
  const m = payload(rsp!);
  // cc 0, channel 1, then records C0h 01h 01h 40h 80h | C0h 02h ...
  assert.deepEqual([...m.subarray(6, 13)], [0x00, 0x01, 0xc0, 0x01, 0x01, 0x40, 0x80]);
  assert.equal(await roundTrip(env, setupPacket(0, msg(0x01, []))), undefined);
  assert.equal(env.engine.stats.dropped['session-less-command'], 1);
});

test('captured client packets truncated at every offset: dropped, never thrown', async () => {
  const env = setup();
  for (const file of ['ipmitool-lanplus-C3-ipmi_sim.hex', 'ipmitool-lanplus-C17-tsbmc.hex', 'ipmitool-lan-md5-ipmi_sim.hex']) {
    for (const l of loadFixture(file).filter((x) => x.dir === 'C>B')) {
      for (let n = 0; n < l.bytes.length; n++) await env.engine.handle(l.bytes.subarray(0, n), PEER);
    }
  }
  assert.ok(env.engine.stats.droppedTotal > 0);
  assert.equal(env.engine.stats.dropped.internal, 0);
});

test('oversized datagram dropped', async () => {
  const env = setup();
  await env.engine.handle(Buffer.alloc(2000, 6), PEER);
  assert.equal(env.engine.stats.dropped.oversized, 1);
});

test('property: decodePacket throws only DecodeError; handle never rejects', async () => {
  const env = setup();
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
      try {
        decodePacket(bytes);
      } catch (e) {
        assert.equal((e as Error).name, 'DecodeError');
      }
    }),
  );
  const prefix = fc.constantFrom([0x06, 0x00, 0xff, 0x07, 0x06], [0x06, 0x00, 0xff, 0x07, 0x00], [0x06, 0x00, 0xff, 0x06]);
  await fc.assert(
    fc.asyncProperty(prefix, fc.uint8Array({ maxLength: 120 }), async (p, rest) => {
      await env.engine.handle(Uint8Array.from([...p, ...rest]), PEER);
    }),
  );
  assert.equal(env.engine.stats.dropped.internal, 0);
});
