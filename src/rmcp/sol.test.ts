// SOL payload (IPMI v2.0 section 15): the packet codec against bytes written
// by hand from tables 15-2 and 15-3, and the handler's sequence, ACK/NACK,
// retry, accumulate and deactivation behaviour driven by a ManualClock.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DecodeError } from '../bytes/index.js';
import type { HostConsole } from '../backends/link.js';
import type { PayloadActivation } from '../ipmi/context.js';
import { makeTestBmc } from '../model/testing.js';
import { silentLogger } from '../log.js';
import { CONFIDENTIALITY_ALGOS, INTEGRITY_ALGOS } from './algorithms.js';
import { SessionTable, type Session } from './session.js';
import { decodeSolConsolePacket, encodeSolBmcPacket, SolPayload } from './sol.js';

test('console packet (table 15-2): header fields, operation bits, data', () => {
  // seq 3, ack 0, accepted 0, operation 10h (generate break), "ab"
  const p = decodeSolConsolePacket(Uint8Array.of(0x03, 0x00, 0x00, 0x10, 0x61, 0x62));
  assert.equal(p.seq, 3);
  assert.equal(p.ackSeq, 0);
  assert.equal(p.generateBreak, true);
  assert.equal(p.nack, false);
  assert.deepEqual([...p.data], [0x61, 0x62]);
  // ACK-only packet acknowledging 7 with 5 characters, NACK bit and every control bit; reserved nibbles ignored
  const q = decodeSolConsolePacket(Uint8Array.of(0xf0, 0xf7, 0x05, 0xff));
  assert.deepEqual(
    [q.seq, q.ackSeq, q.accepted, q.nack, q.ringWor, q.generateBreak, q.deassertCts, q.deassertDcdDsr, q.flushInbound, q.flushOutbound, q.data.length],
    [0, 7, 5, true, true, true, true, true, true, true, 0],
  );
  assert.throws(() => decodeSolConsolePacket(Uint8Array.of(1, 0, 0)), DecodeError);
  assert.throws(() => decodeSolConsolePacket(new Uint8Array(0)), DecodeError);
});

test('BMC packet (table 15-3): status bits in byte 4', () => {
  assert.deepEqual([...encodeSolBmcPacket({ seq: 1, ackSeq: 0, accepted: 0, data: Uint8Array.of(0x68, 0x69) })], [0x01, 0x00, 0x00, 0x00, 0x68, 0x69]);
  assert.deepEqual([...encodeSolBmcPacket({ seq: 0, ackSeq: 9, accepted: 4 })], [0x00, 0x09, 0x04, 0x00]);
  assert.deepEqual([...encodeSolBmcPacket({ seq: 0, ackSeq: 2, accepted: 0, nack: true, transferUnavailable: true })], [0x00, 0x02, 0x00, 0x60]);
  assert.deepEqual([...encodeSolBmcPacket({ seq: 0, ackSeq: 0, accepted: 0, deactivating: true })], [0x00, 0x00, 0x00, 0x10]);
  assert.deepEqual([...encodeSolBmcPacket({ seq: 15, ackSeq: 0, accepted: 0, overrun: true, breakDetected: true })], [0x0f, 0x00, 0x00, 0x0c]);
});

const ENCRYPTED: PayloadActivation = { encrypt: true, authenticate: true, forceEncryption: true, forceAuthentication: true };
const ENC = { encrypted: true, authenticated: true };

function setup(suite: { integrity: number; confidentiality: number } = { integrity: 0x04, confidentiality: 0x01 }) {
  const t = makeTestBmc();
  const host = t.bmc.hosts[0]!;
  const typed: number[][] = [];
  let breaks = 0;
  const console: HostConsole = {
    write: (d) => typed.push([...d]),
    onOutput: () => () => undefined,
    sendBreak: () => breaks++,
  };
  Object.assign(t.links[0]!, { console });
  const sessions = new SessionTable({ maxSessions: () => 8, maxSessionsPerUser: () => 8, idleTimeoutMs: () => 60_000 });
  const mk = (): Session => {
    const s = sessions.create({ protocol: 1, state: 'active', remoteAddress: '127.0.0.1', remotePort: 1000, now: 0 })!;
    s.integrity = INTEGRITY_ALGOS.get(suite.integrity)!;
    s.confidentiality = CONFIDENTIALITY_ALGOS.get(suite.confidentiality)!;
    s.userId = 2;
    return s;
  };
  const sent: { session: Session; bytes: number[]; encrypted: boolean | undefined }[] = [];
  const sol = new SolPayload({ bmc: t.bmc, host, clock: t.clock, log: silentLogger });
  sol.attach({ send: (session, payload, opts) => sent.push({ session, bytes: [...payload], encrypted: opts?.encrypted }), sessions });
  const a = mk();
  const b = mk();
  const inbound = (s: Session, bytes: number[], info = ENC): void => sol.handle(s, Uint8Array.from(bytes), () => undefined, info);
  return { ...t, host, sol, sessions, a, b, sent, typed, breaks: () => breaks, inbound };
}

test('activation: one instance per host; a second session is refused; deactivation frees it', () => {
  const { sol, a, b } = setup();
  assert.equal(sol.activate(a, 1, ENCRYPTED), undefined);
  assert.deepEqual(sol.active(), [{ instance: 1, sessionId: a.id }]);
  assert.equal(sol.activate(b, 1, ENCRYPTED), 'active-elsewhere');
  assert.equal(sol.activate(a, 2, ENCRYPTED), 'limit');
  assert.equal(sol.deactivate(1, b), true);
  assert.deepEqual(sol.active(), []);
  assert.equal(sol.deactivate(1, b), false);
  assert.equal(sol.activate(b, 1, ENCRYPTED), undefined);
});

test('activation: encryption and authentication against the cipher suite', () => {
  const plain = setup({ integrity: 0x00, confidentiality: 0x00 });
  assert.equal(plain.sol.activate(plain.a, 1, ENCRYPTED), 'encryption-unavailable');
  assert.equal(plain.sol.activate(plain.a, 1, { ...ENCRYPTED, encrypt: false }), 'encryption-required');
  assert.equal(plain.sol.activate(plain.a, 1, { encrypt: false, authenticate: false, forceEncryption: false, forceAuthentication: true }), 'authentication-unavailable');
  assert.equal(plain.sol.activate(plain.a, 1, { encrypt: false, authenticate: false, forceEncryption: false, forceAuthentication: false }), undefined);
  // integrity without confidentiality (suite 2-like): unencrypted SOL when not forced
  const signed = setup({ integrity: 0x01, confidentiality: 0x00 });
  assert.equal(signed.sol.activate(signed.a, 1, { encrypt: false, authenticate: true, forceEncryption: false, forceAuthentication: true }), undefined);
});

test('console data is written to the host and acknowledged with its count; a repeat is only re-acknowledged', () => {
  const { sol, a, sent, typed, inbound, breaks } = setup();
  sol.activate(a, 1, ENCRYPTED);
  inbound(a, [0x01, 0x00, 0x00, 0x00, 0x6c, 0x73, 0x0d]);
  assert.deepEqual(typed, [[0x6c, 0x73, 0x0d]]);
  assert.deepEqual(sent.at(-1), { session: a, bytes: [0x00, 0x01, 0x03, 0x00], encrypted: true });
  // the console did not get our ACK and sends packet 1 again
  inbound(a, [0x01, 0x00, 0x00, 0x00, 0x6c, 0x73, 0x0d]);
  assert.equal(typed.length, 1);
  assert.deepEqual(sent.at(-1)!.bytes, [0x00, 0x01, 0x03, 0x00]);
  assert.equal(sol.counters.duplicates, 1);
  // break request with no characters
  inbound(a, [0x02, 0x00, 0x00, 0x10]);
  assert.equal(breaks(), 1);
  assert.deepEqual(sent.at(-1)!.bytes, [0x00, 0x02, 0x00, 0x00]);
});

test('packets from other sessions, in clear on an encrypted instance, or malformed are ignored', () => {
  const { sol, a, b, sent, typed, inbound } = setup();
  sol.activate(a, 1, ENCRYPTED);
  inbound(b, [0x01, 0x00, 0x00, 0x00, 0x41]);
  inbound(a, [0x01, 0x00, 0x00, 0x00, 0x41], { encrypted: false, authenticated: true });
  inbound(a, [0x01, 0x00]);
  assert.deepEqual(typed, []);
  assert.deepEqual(sent, []);
  assert.equal(sol.counters.ignored, 3);
});

test('host output: starts at the current end, waits for the send threshold or the accumulate interval', () => {
  const { sol, a, sent, host, clock, bmc } = setup();
  host.console.append('old history');
  bmc.setSol({ sendThreshold: 4, accumulateInterval: 2 }); // 10 ms
  sol.activate(a, 1, ENCRYPTED);
  host.console.append('ab');
  assert.equal(sent.length, 0);
  clock.advance(9);
  assert.equal(sent.length, 0);
  clock.advance(1);
  assert.deepEqual(sent.at(-1)!.bytes, [0x01, 0x00, 0x00, 0x00, 0x61, 0x62]);
  // while packet 1 awaits its ACK nothing else goes out
  host.console.append('cdef');
  assert.equal(sent.length, 1);
  sol.handle(a, Uint8Array.of(0x00, 0x01, 0x02, 0x00), () => undefined, ENC);
  // acknowledged: 4 bytes waiting reach the threshold and go at once as packet 2
  assert.deepEqual(sent.at(-1)!.bytes, [0x02, 0x00, 0x00, 0x00, 0x63, 0x64, 0x65, 0x66]);
});

test('retries: same sequence number every retry interval, dropped after the retry count', () => {
  const { sol, a, sent, host, clock, bmc } = setup();
  bmc.setSol({ sendThreshold: 1, retryCount: 2, retryInterval: 5 }); // 50 ms
  sol.activate(a, 1, ENCRYPTED);
  host.console.append('x');
  assert.equal(sent.length, 1);
  clock.advance(50);
  clock.advance(50);
  assert.equal(sent.length, 3);
  assert.deepEqual(sent.map((s) => s.bytes), [[1, 0, 0, 0, 0x78], [1, 0, 0, 0, 0x78], [1, 0, 0, 0, 0x78]]);
  clock.advance(50);
  assert.equal(sent.length, 3);
  assert.equal(sol.counters.dropped, 1);
  assert.equal(sol.counters.retries, 2);
  // the next output continues with sequence number 2
  host.console.append('y');
  assert.deepEqual(sent.at(-1)!.bytes, [2, 0, 0, 0, 0x79]);
});

test('partial ACK resends the rest under a new sequence number; NACK holds the data for a retry', () => {
  const { sol, a, sent, host, clock, bmc } = setup();
  bmc.setSol({ sendThreshold: 1, retryCount: 3, retryInterval: 10 });
  sol.activate(a, 1, ENCRYPTED);
  host.console.append('hello');
  assert.deepEqual(sent.at(-1)!.bytes, [1, 0, 0, 0, ...Buffer.from('hello')]);
  sol.handle(a, Uint8Array.of(0x00, 0x01, 0x02, 0x00), () => undefined, ENC);
  assert.deepEqual(sent.at(-1)!.bytes, [2, 0, 0, 0, ...Buffer.from('llo')]);
  // NACK of packet 2: nothing at once, the same packet after the retry interval
  const n = sent.length;
  sol.handle(a, Uint8Array.of(0x00, 0x02, 0x00, 0x40), () => undefined, ENC);
  assert.equal(sent.length, n);
  clock.advance(100);
  assert.deepEqual(sent.at(-1)!.bytes, [2, 0, 0, 0, ...Buffer.from('llo')]);
  sol.handle(a, Uint8Array.of(0x00, 0x02, 0x03, 0x00), () => undefined, ENC);
  clock.advance(1000);
  assert.equal(sent.length, n + 1);
});

test('sequence numbers wrap from 15 to 1, never 0', () => {
  const { sol, a, sent, host, bmc } = setup();
  bmc.setSol({ sendThreshold: 1 });
  sol.activate(a, 1, ENCRYPTED);
  const seqs: number[] = [];
  for (let i = 0; i < 17; i++) {
    host.console.append('z');
    const seq = sent.at(-1)!.bytes[0]!;
    seqs.push(seq);
    sol.handle(a, Uint8Array.of(0x00, seq, 0x01, 0x00), () => undefined, ENC);
  }
  assert.deepEqual(seqs, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 1, 2]);
});

test('deactivation by another session tells the owner (SOL deactivating); closing the session ends SOL', () => {
  const { sol, a, b, sent, sessions } = setup();
  sol.activate(a, 1, ENCRYPTED);
  sol.deactivate(1, b);
  assert.deepEqual(sent.at(-1), { session: a, bytes: [0x00, 0x00, 0x00, 0x10], encrypted: true });
  sol.activate(a, 1, ENCRYPTED);
  const n = sent.length;
  sessions.end(a, 'closed');
  sol.sessionClosed(a);
  assert.deepEqual(sol.active(), []);
  assert.equal(sent.length, n);
});

test('a console that falls behind the ring gets the overrun bit', () => {
  const { sol, a, sent, host, bmc } = setup();
  bmc.setSol({ sendThreshold: 1 });
  sol.activate(a, 1, ENCRYPTED);
  host.console.append('first');
  // packet 1 unacknowledged while more than the ring holds arrives
  host.console.append('x'.repeat(host.console.capacity + 10));
  sol.handle(a, Uint8Array.of(0x00, 0x01, 0x05, 0x00), () => undefined, ENC);
  assert.equal(sent.at(-1)!.bytes[3], 0x08);
});
