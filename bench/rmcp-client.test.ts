// Tests of the load generator's pure parts: the console-side codecs read back
// by the BMC-side decoders of src/rmcp/rakp.ts, a whole handshake and
// in-session requests against the real LanEngine (no socket), argument
// checks and percentiles. Not run by the project's test runner:
//   npm run build && node --test dist/bench/
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { silentLogger } from '../src/log.js';
import { ManualClock } from '../src/model/clock.js';
import { IvPool } from '../src/rmcp/algorithms.js';
import { LanEngine, type Peer } from '../src/rmcp/lan-engine.js';
import { decodeOpenSessionRequest, decodeRakp1 } from '../src/rmcp/rakp.js';
import { makeLanTestBmc, makeLanTestRegistry, testHost } from '../src/rmcp/testing.js';
import { MAX_WINDOW, parseLoadgenArgs } from './loadgen.js';
import { ClientSession, encodeOpenSessionRequest, encodeRakp1, Handshake, PayloadType, setupPayload, SetupError, suiteAlgos } from './rmcp-client.js';
import { median, percentile } from './stats.js';

const PEER: Peer = { address: '127.0.0.1', port: 40000 };

function engine() {
  const clock = new ManualClock();
  const bmc = makeLanTestBmc({ clock, users: [{ name: 'admin', password: 'password', privilege: 4 }] });
  const sent: Buffer[] = [];
  const e = new LanEngine({ bmc, host: testHost, registry: makeLanTestRegistry(), log: silentLogger, clock, send: (d) => sent.push(d) });
  const exchange = async (d: Uint8Array): Promise<Buffer> => {
    const before = sent.length;
    await e.handle(d, PEER);
    assert.equal(sent.length, before + 1, 'one answer per request');
    return sent[sent.length - 1]!;
  };
  return { e, exchange };
}

async function login(env: ReturnType<typeof engine>, suite: number, password = 'password'): Promise<ClientSession> {
  const hs = new Handshake({ suite, user: 'admin', password, consoleSessionId: 0x0a0b0c0d });
  const open = setupPayload(await env.exchange(hs.open()), PayloadType.OpenSessionResponse);
  assert.ok(open);
  const rakp2 = setupPayload(await env.exchange(hs.onOpenResponse(open)), PayloadType.Rakp2);
  assert.ok(rakp2);
  const rakp4 = setupPayload(await env.exchange(hs.onRakp2(rakp2)), PayloadType.Rakp4);
  assert.ok(rakp4);
  return hs.onRakp4(rakp4);
}

test('Open Session Request and RAKP 1 read back by the BMC-side decoders', () => {
  const req = decodeOpenSessionRequest(encodeOpenSessionRequest({ tag: 7, maxPrivilege: 4, consoleSessionId: 0x01020304, suite: suiteAlgos(17) }));
  assert.deepEqual(req, { tag: 7, maxPrivilege: 4, consoleSessionId: 0x01020304, auth: 3, integrity: 4, confidentiality: 1 });
  const random = Uint8Array.from({ length: 16 }, (_, i) => 0xa0 + i);
  const r1 = decodeRakp1(encodeRakp1({ tag: 1, bmcSessionId: 0xdeadbeef, consoleRandom: random, role: 0x14, userName: Buffer.from('admin') }));
  assert.equal(r1.bmcSessionId, 0xdeadbeef);
  assert.deepEqual(Buffer.from(r1.consoleRandom), Buffer.from(random));
  assert.equal(r1.role, 0x14);
  assert.equal(Buffer.from(r1.userName).toString(), 'admin');
});

for (const suite of [3, 17]) {
  test(`suite ${suite}: handshake, requests with advancing sequence numbers, Close Session`, async () => {
    const env = engine();
    const s = await login(env, suite);
    assert.equal(env.e.sessions.size, 1);
    for (let rq = 0; rq < 40; rq++) {
      const seq = s.nextSeq;
      const rsp = s.response(await env.exchange(s.request(0x06, 0x01, rq)));
      assert.ok(rsp, `answer to rqSeq ${rq}`);
      assert.equal(rsp.rqSeq, rq & 0x3f);
      assert.equal(rsp.cmd, 0x01);
      assert.equal(rsp.cc, 0);
      assert.equal(s.nextSeq, seq + 1);
    }
    const closed = s.response(await env.exchange(s.closeRequest(41)));
    assert.equal(closed?.cc, 0);
    assert.equal(env.e.sessions.size, 0);
  });
}

test('a window of outstanding requests sent before any answer is accepted in order', async () => {
  const env = engine();
  const s = await login(env, 17);
  const pkts = Array.from({ length: MAX_WINDOW }, (_, rq) => s.request(0x06, 0x01, rq));
  for (const [rq, p] of pkts.entries()) assert.equal(s.response(await env.exchange(p))?.rqSeq, rq);
});

test('a wrong password is caught at RAKP 2, before RAKP 3 is sent', async () => {
  const env = engine();
  await assert.rejects(login(env, 17, 'wrong'), (err: unknown) => err instanceof SetupError && err.stage === 'rakp2');
});

test('answers that fail the MAC are not accepted', async () => {
  const env = engine();
  const s = await login(env, 3);
  const answer = Buffer.from(await env.exchange(s.request(0x06, 0x01, 1)));
  answer[answer.length - 1]! ^= 1;
  assert.equal(s.response(answer), undefined);
});

test('arguments: loopback only, bounded window', () => {
  assert.throws(() => parseLoadgenArgs(['--port', '623', '--host', '10.0.0.1']), /loopback/);
  assert.throws(() => parseLoadgenArgs(['--port', '623', '--window', String(MAX_WINDOW + 1)]), /window/);
  assert.equal(parseLoadgenArgs(['--port', '623']).window, 16);
});

test('IV pool: 16-byte IVs, no repeats across refills', () => {
  const pool = new IvPool();
  const seen = new Set<string>();
  for (let i = 0; i < 1000; i++) {
    const iv = pool.next();
    assert.equal(iv.length, 16);
    seen.add(iv.toString('hex'));
  }
  assert.equal(seen.size, 1000);
});

test('percentiles (nearest rank) and median', () => {
  const xs = Array.from({ length: 100 }, (_, i) => 100 - i);
  assert.equal(percentile(xs, 50), 50);
  assert.equal(percentile(xs, 99), 99);
  assert.equal(percentile(xs, 100), 100);
  assert.equal(median([3, 1, 2, 4]), 2.5);
  assert.ok(Number.isNaN(median([])));
});
