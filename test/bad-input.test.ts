// Hostile and broken datagrams: truncated, oversized, garbage, replayed and
// forged RMCP/RMCP+ packets are dropped (or answered per spec), warnings are
// rate-limited, and the BMC keeps serving real clients throughout.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { after, before, test } from 'node:test';
import { ipmitool, startBmcProcess, type BmcProcess } from './helpers/bmc-process.js';

let bmc: BmcProcess;
let sock: Socket;
before(async () => {
  bmc = await startBmcProcess();
  sock = createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
});
after(async () => {
  sock.close();
  await bmc.stop();
});

function send(b: Uint8Array): Promise<void> {
  return new Promise((r) => sock.send(b, bmc.port, '127.0.0.1', () => r()));
}

function exchange(b: Uint8Array, waitMs = 500): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const t = setTimeout(() => {
      sock.off('message', on);
      resolve(undefined);
    }, waitMs);
    const on = (m: Buffer): void => {
      clearTimeout(t);
      sock.off('message', on);
      resolve(m);
    };
    sock.on('message', on);
    void send(b);
  });
}

// RMCP header: version 6, reserved, sequence 0xFF (no ACK), class 7 (IPMI)
const RMCP = [0x06, 0x00, 0xff, 0x07];
// Get Channel Authentication Capabilities, IPMI v1.5 session-less, channel 0x0E, admin, v2.0 data
const AUTHCAP = Buffer.from([
  ...RMCP, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0x09,
  0x20, 0x18, 0xc8, 0x81, 0x00, 0x38, 0x8e, 0x04, 0xb5,
]);

test('RMCP presence ping gets a pong', async () => {
  // ASF class 6, IANA 4542, type 0x80 ping, tag 0x11
  const ping = Buffer.from([0x06, 0x00, 0xff, 0x06, 0x00, 0x00, 0x11, 0xbe, 0x80, 0x11, 0x00, 0x00]);
  const pong = await exchange(ping);
  assert.ok(pong, 'pong received');
  assert.equal(pong[3], 0x06);
  assert.equal(pong[8], 0x40);
  assert.equal(pong[9], 0x11);
});

test('session-less Get Channel Auth Capabilities answered', async () => {
  const r = await exchange(AUTHCAP);
  assert.ok(r, 'answered');
  // RMCP 4 + v1.5 session header 10; then rqAddr, netFn, chk, rsAddr, seq, cmd, cc
  assert.equal(r[14 + 5], 0x38, 'command');
  assert.equal(r[14 + 6], 0x00, 'completion code 0');
});

test('truncated at every offset, garbage, oversized: dropped, no crash', async () => {
  for (let n = 0; n < AUTHCAP.length; n++) await send(AUTHCAP.subarray(0, n));
  for (let i = 0; i < 200; i++) await send(randomBytes(1 + (i % 90)));
  await send(randomBytes(1500));
  await send(Buffer.concat([AUTHCAP, randomBytes(40)]));
  // RMCP+ header with an unknown session id and a bogus payload length
  await send(Buffer.from([...RMCP, 0x06, 0x40, 0xde, 0xad, 0xbe, 0xef, 1, 0, 0, 0, 0xff, 0xff, 1, 2, 3]));
  // Open Session request with a truncated body
  await send(Buffer.from([...RMCP, 0x06, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0x20, 0x00, 0x00, 0x00]));
  const r = await ipmitool(bmc, ['chassis', 'status']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(bmc.proc.exitCode, null);
  // warnings about bad peers are rate-limited, not one per packet
  const warns = bmc.stderr().split('\n').filter((l) => /WARN/.test(l)).length;
  assert.ok(warns < 40, `${warns} warning lines for ~250 bad packets`);
});

test('a replayed session request is dropped', async () => {
  // a v1.5 session-less request replayed many times is still answered (no session), so
  // replay protection is exercised by the unit tests of the session layer; here we
  // check the BMC survives a replay storm of one captured packet and keeps serving.
  for (let i = 0; i < 100; i++) await send(AUTHCAP);
  const r = await ipmitool(bmc, ['mc', 'info']);
  assert.equal(r.code, 0, r.stderr);
});

test('wrong passwords are answered, counted and lock the user out', async () => {
  for (let i = 0; i < 6; i++) {
    const r = await ipmitool(bmc, ['mc', 'info'], { password: `wrong${i}` });
    assert.notEqual(r.code, 0);
  }
  // ipmitool abandons a handshake whose RAKP 2 does not match its password;
  // the BMC counts abandoned handshakes when they time out (5 s)
  await new Promise((r) => setTimeout(r, 7000));
  // locked: even the right password is refused until the lockout ends
  const locked = await ipmitool(bmc, ['mc', 'info']);
  assert.notEqual(locked.code, 0);
});
