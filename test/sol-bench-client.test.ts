// The SOL side of the benchmark client (bench/rmcp-client.ts): its packet
// codecs against bytes written here from IPMI v2.0 tables 15-2, 15-3 and
// 24.1, read back by the BMC-side codecs of src/rmcp/sol.ts; its stop-and-
// wait state machine against hand-made BMC packets (partial ACK, NACK, lost
// ACK, repeated data); and a whole exchange through the real LanEngine and
// SolPayload with a host console that echoes, cipher suites 3 and 17.
// Lives under test/ because the project's test runner does not run dist/bench.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { HostConsole } from '../src/backends/link.js';
import { payloadCommands } from '../src/ipmi/commands/payload.js';
import { sessionCommands } from '../src/ipmi/commands/session.js';
import { CommandRegistry } from '../src/ipmi/registry.js';
import { silentLogger } from '../src/log.js';
import { makeTestBmc } from '../src/model/testing.js';
import { LanEngine, type Peer } from '../src/rmcp/lan-engine.js';
import { decodeSolConsolePacket, encodeSolBmcPacket, SolPayload } from '../src/rmcp/sol.js';
import {
  decodeActivatePayloadResponse,
  decodeSolBmcPacket,
  encodePayloadRequest,
  encodeSolConsolePacket,
  Handshake,
  PayloadCmd,
  PayloadType,
  setupPayload,
  SolAux,
  SolClient,
  type ClientSession,
} from '../bench/rmcp-client.js';

const bytes = (b: Uint8Array): number[] => [...b];

test('console packet (table 15-2): expected bytes, read back by the BMC decoder', () => {
  const p = encodeSolConsolePacket({ seq: 3, ackSeq: 9, accepted: 200, nack: true, generateBreak: true, deassertCts: true, flushOutbound: true, data: Buffer.from('hi') });
  // 03 | 09 | C8 | 40+10+08+01 = 59 | 'h' 'i'
  assert.deepEqual(bytes(p), [0x03, 0x09, 0xc8, 0x59, 0x68, 0x69]);
  const d = decodeSolConsolePacket(p);
  assert.deepEqual(
    { ...d, data: bytes(d.data) },
    { seq: 3, ackSeq: 9, accepted: 200, nack: true, ringWor: false, generateBreak: true, deassertCts: true, deassertDcdDsr: false, flushInbound: false, flushOutbound: true, data: [0x68, 0x69] },
  );
  assert.deepEqual(bytes(encodeSolConsolePacket({ seq: 0, ackSeq: 15, accepted: 0, ringWor: true, deassertDcdDsr: true, flushInbound: true })), [0x00, 0x0f, 0x00, 0x26]);
  assert.throws(() => encodeSolConsolePacket({ seq: 16, ackSeq: 0, accepted: 0 }), RangeError);
  assert.throws(() => encodeSolConsolePacket({ seq: 1, ackSeq: 0, accepted: 256 }), RangeError);
});

test('BMC packet (table 15-3): status bits, reserved bits ignored, BMC encoder read back, short input refused', () => {
  // seq 5 (upper nibble reserved), ACK 2, 7 accepted, status 40+20+10+08+04 plus reserved bits 83h
  const d = decodeSolBmcPacket(Uint8Array.from([0xa5, 0xf2, 0x07, 0xff, 0x41]));
  assert.deepEqual(
    { ...d, data: bytes(d.data) },
    { seq: 5, ackSeq: 2, accepted: 7, nack: true, transferUnavailable: true, deactivating: true, overrun: true, breakDetected: true, data: [0x41] },
  );
  const back = decodeSolBmcPacket(encodeSolBmcPacket({ seq: 15, ackSeq: 1, accepted: 251, overrun: true, data: Buffer.from('xyz') }));
  assert.deepEqual({ seq: back.seq, ackSeq: back.ackSeq, accepted: back.accepted, overrun: back.overrun, nack: back.nack, data: Buffer.from(back.data).toString() }, { seq: 15, ackSeq: 1, accepted: 251, overrun: true, nack: false, data: 'xyz' });
  assert.throws(() => decodeSolBmcPacket(Uint8Array.from([1, 0, 0])));
});

test('Activate Payload (24.1): request as ipmitool sends it; response fields little-endian', () => {
  const aux = SolAux.encrypt | SolAux.authenticate | SolAux.alertsDeferred | SolAux.ctsAfterFirstPacket;
  assert.deepEqual(bytes(encodePayloadRequest({ payloadType: PayloadType.Sol, instance: 1, aux })), [0x01, 0x01, 0xc6, 0x00, 0x00, 0x00]);
  assert.deepEqual(bytes(encodePayloadRequest({ payloadType: PayloadType.Sol, instance: 1 })), [0x01, 0x01, 0x00, 0x00, 0x00, 0x00]);
  // ipmi_sim's answer: inbound 32, outbound 16384, port 623, no VLAN
  const r = decodeActivatePayloadResponse(Uint8Array.from([0, 0, 0, 0, 0x20, 0x00, 0x00, 0x40, 0x6f, 0x02, 0xff, 0xff]));
  assert.deepEqual({ ...r, aux: bytes(r.aux) }, { aux: [0, 0, 0, 0], inboundSize: 32, outboundSize: 16384, port: 623, vlan: 0xffff });
  assert.throws(() => decodeActivatePayloadResponse(new Uint8Array(11)));
  assert.throws(() => decodeActivatePayloadResponse(new Uint8Array(13)));
});

const OPTS = { maxChars: 4, retryMs: 100, nackRetryMs: 30, maxRetries: 2 };
const text = (b: Uint8Array): string => Buffer.from(b).toString('latin1');

test('SolClient: stop and wait, partial ACK resent under a new number, NACK holds, lost ACK retried with the same number', () => {
  const c = new SolClient({ ...OPTS, firstSeq: 14 });
  c.write(Buffer.from('abcdefghij'));
  const [p1] = c.poll(0);
  assert.deepEqual(bytes(p1!), [14, 0, 0, 0, ...Buffer.from('abcd')]);
  assert.deepEqual(c.poll(1), [], 'one data packet at a time');
  // partial ACK: 3 of 4 taken; "d" goes again first, under 15
  c.receive(Uint8Array.from([0, 14, 3, 0]), 2);
  const [p2] = c.poll(2);
  assert.deepEqual(bytes(p2!), [15, 0, 0, 0, ...Buffer.from('defg')]);
  // NACK of 15 taking 1 character (as ipmi_sim answers when its buffer filled): "efg" held 30 ms, then under 1 (15 wraps to 1)
  c.receive(Uint8Array.from([0, 15, 1, 0x40]), 3);
  assert.deepEqual(c.poll(10), []);
  assert.equal(c.nextTimer(), 33);
  const [p3] = c.poll(33);
  assert.deepEqual(bytes(p3!), [1, 0, 0, 0, ...Buffer.from('efgh')]);
  // no ACK: the same packet again after retryMs, twice, then dropped
  assert.deepEqual(c.poll(132), []);
  assert.deepEqual(bytes(c.poll(133)[0]!), bytes(p3!));
  assert.deepEqual(bytes(c.poll(233)[0]!), bytes(p3!));
  const [p4] = c.poll(333);
  assert.deepEqual(bytes(p4!), [2, 0, 0, 0, ...Buffer.from('ij')], 'after maxRetries the characters are dropped');
  // a late ACK of the dropped packet names nothing pending
  c.receive(Uint8Array.from([0, 1, 4, 0]), 334);
  c.receive(Uint8Array.from([0, 2, 2, 0]), 335);
  assert.equal(c.unaccepted, 0);
  assert.deepEqual(c.counters, {
    ...c.counters,
    dataPacketsOut: 4,
    retransmits: 2,
    partialAcks: 1,
    nacks: 1,
    gaveUp: 1,
    staleAcks: 1,
    charsAccepted: 3 + 1 + 2,
  });
});

test('SolClient: BMC data acknowledged with its count; a repeat is acknowledged again and not delivered twice; ACK and data in one packet', () => {
  const c = new SolClient(OPTS);
  c.write(Buffer.from('xy'));
  c.poll(0);
  const r1 = c.receive(Uint8Array.from([7, 0, 0, 0, ...Buffer.from('hello')]), 1);
  assert.equal(text(r1.data), 'hello');
  assert.deepEqual(r1.send.map(bytes), [[0, 7, 5, 0]]);
  const again = c.receive(Uint8Array.from([7, 0, 0, 0, ...Buffer.from('hello')]), 2);
  assert.equal(again.data.length, 0);
  assert.deepEqual(again.send.map(bytes), [[0, 7, 5, 0]]);
  // ipmi_sim piggybacks its ACK of our packet 1 on its next data packet
  const r2 = c.receive(Uint8Array.from([8, 1, 2, 0, ...Buffer.from('!')]), 3);
  assert.equal(text(r2.data), '!');
  assert.equal(c.unaccepted, 0);
  assert.equal(c.counters.duplicatesIn, 1);
  assert.equal(c.counters.charsIn, 6);
  assert.equal(c.counters.deactivated, false);
  c.receive(Uint8Array.from([0, 0, 0, 0x10]), 4);
  assert.equal(c.counters.deactivated, true);
  assert.equal(c.receive(Uint8Array.from([1, 2]), 5).send.length, 0);
  assert.equal(c.counters.malformed, 1);
});

const PEER: Peer = { address: '127.0.0.1', port: 40002 };

/** A LanEngine with the payload commands and SolPayload, its host console echoing what is typed. */
async function echoBmc(suite: number) {
  const t = makeTestBmc();
  const host = t.bmc.hosts[0]!;
  const console: HostConsole = { write: (d) => host.console.append(d), onOutput: () => () => undefined };
  Object.assign(t.links[0]!, { console });
  const sent: Buffer[] = [];
  const registry = new CommandRegistry().register(sessionCommands).register(payloadCommands);
  const engine = new LanEngine({ bmc: t.bmc, host, registry, log: silentLogger, clock: t.clock, send: (d) => sent.push(d), localPort: () => 6230 });
  engine.addPayloadHandler(new SolPayload({ bmc: t.bmc, host, clock: t.clock, log: silentLogger }));
  const exchange = async (d: Uint8Array): Promise<Buffer[]> => {
    const n = sent.length;
    await engine.handle(d, PEER);
    return sent.slice(n);
  };
  const hs = new Handshake({ suite, user: 'admin', password: 'password' });
  const step = async (d: Buffer, type: number): Promise<Uint8Array> => setupPayload((await exchange(d))[0]!, type)!;
  const open = await step(hs.open(), PayloadType.OpenSessionResponse);
  const rakp2 = await step(hs.onOpenResponse(open), PayloadType.Rakp2);
  const s: ClientSession = hs.onRakp4(await step(hs.onRakp2(rakp2), PayloadType.Rakp4));
  return { ...t, sent, exchange, s };
}

for (const suite of [3, 17]) {
  test(`suite ${suite}: Activate Payload, 3000 characters echoed exactly once through SolPayload, Deactivate`, async () => {
    const { bmc, clock, exchange, s } = await echoBmc(suite);
    bmc.setSol({ sendThreshold: 1 });
    // Set Session Privilege Level (App 3Bh) to administrator, as ipmitool does after RAKP 4
    assert.equal(s.response((await exchange(s.request(0x06, 0x3b, 0, Uint8Array.from([0x04]))))[0]!)?.cc, 0);
    const aux = SolAux.encrypt | SolAux.authenticate | SolAux.alertsDeferred | SolAux.ctsAfterFirstPacket;
    const act = s.response((await exchange(s.request(0x06, PayloadCmd.ActivatePayload, 1, encodePayloadRequest({ payloadType: PayloadType.Sol, instance: 1, aux }))))[0]!);
    assert.equal(act?.cc, 0);
    const info = decodeActivatePayloadResponse(act.data);
    assert.equal(info.inboundSize, 255);
    const c = new SolClient({ maxChars: info.inboundSize - 4, retryMs: 500, nackRetryMs: 10, maxRetries: 3 });
    const typed = Buffer.alloc(3000, 0).map((_, i) => 0x30 + (i % 10));
    c.write(typed);
    const echoed: number[] = [];
    const queue: Uint8Array[] = [...c.poll(clock.monotonic())];
    while (queue.length > 0) {
      for (const d of await exchange(s.payload(PayloadType.Sol, queue.shift()!))) {
        const p = s.open(d);
        assert.ok(p, 'every answer passes the session checks');
        assert.equal(p.payloadType, PayloadType.Sol);
        assert.equal(p.encrypted, true);
        const r = c.receive(p.payload, clock.monotonic());
        echoed.push(...r.data);
        queue.push(...r.send);
      }
      queue.push(...c.poll(clock.monotonic()));
    }
    assert.equal(Buffer.from(echoed).toString(), typed.toString());
    assert.deepEqual(
      { retransmits: c.counters.retransmits, partialAcks: c.counters.partialAcks, nacks: c.counters.nacks, duplicatesIn: c.counters.duplicatesIn, dataPacketsOut: c.counters.dataPacketsOut },
      { retransmits: 0, partialAcks: 0, nacks: 0, duplicatesIn: 0, dataPacketsOut: Math.ceil(3000 / 251) },
    );
    const deact = s.response((await exchange(s.request(0x06, PayloadCmd.DeactivatePayload, 2, encodePayloadRequest({ payloadType: PayloadType.Sol, instance: 1 }))))[0]!);
    assert.equal(deact?.cc, 0);
    // after deactivation the BMC ignores SOL packets: no answer
    assert.deepEqual(await exchange(s.payload(PayloadType.Sol, encodeSolConsolePacket({ seq: 1, ackSeq: 0, accepted: 0, data: Buffer.from('z') }))), []);
  });
}
