// Known-answer tests for the RMCP+ algorithms (IPMI v2.0 13.28-13.32) and the
// v1.5 MD5 auth code (13.6), recomputed from real exchanges stored in
// test/fixtures/rmcp (see its README): every expected value was produced by
// ipmitool or ipmi_sim, never by this code.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  additionalKey,
  aesCbcDecrypt,
  aesCbcEncrypt,
  AUTH_ALGOS,
  integrityMac,
  INTEGRITY_ALGOS,
  rakp2AuthCode,
  rakp3AuthCode,
  rakp4Icv,
  sessionIntegrityKey,
  type RakpInputs,
} from './algorithms.js';
import { loadFixture, type FixtureLine } from './testing.js';
import { v15AuthCode } from './v15.js';

// Independent offsets of the RMCP+ header (table 13-8): payload starts at 16.
const payloadOf = (b: Buffer): Buffer => b.subarray(16, 16 + b.readUInt16LE(14));

function rakpExchange(lines: FixtureLine[]): { inputs: RakpInputs; rakp2: Buffer; rakp3: Buffer; rakp4: Buffer } {
  const find = (t: number) => lines.find((l) => l.bytes[3] === 7 && l.bytes[4] === 6 && (l.bytes[5]! & 0x3f) === t)!.bytes;
  const open = payloadOf(find(0x10));
  const openRsp = payloadOf(find(0x11));
  const r1 = payloadOf(find(0x12));
  const r2 = payloadOf(find(0x13));
  const r3 = payloadOf(find(0x14));
  const r4 = payloadOf(find(0x15));
  const nameLen = r1[27]!;
  return {
    inputs: {
      consoleSessionId: open.readUInt32LE(4),
      bmcSessionId: openRsp.readUInt32LE(8),
      consoleRandom: r1.subarray(8, 24),
      bmcRandom: r2.subarray(8, 24),
      bmcGuid: r2.subarray(24, 40),
      role: r1[24]!,
      userName: r1.subarray(28, 28 + nameLen),
    },
    rakp2: r2.subarray(40),
    rakp3: r3.subarray(8),
    rakp4: r4.subarray(8),
  };
}

const KUID = Buffer.alloc(20);
KUID.write('password', 'latin1');

function checkSuite(file: string, authId: number, integId: number): void {
  const lines = loadFixture(file);
  const auth = AUTH_ALGOS.get(authId)!;
  const integ = INTEGRITY_ALGOS.get(integId)!;
  const x = rakpExchange(lines);
  assert.equal(Buffer.from(x.inputs.userName).toString(), 'admin');
  assert.deepEqual(rakp2AuthCode(auth, KUID, x.inputs), x.rakp2, 'RAKP 2 auth code');
  assert.deepEqual(rakp3AuthCode(auth, KUID, x.inputs), x.rakp3, 'RAKP 3 auth code (ipmitool)');
  const sik = sessionIntegrityKey(auth, KUID, x.inputs);
  assert.deepEqual(rakp4Icv(auth, sik, x.inputs), x.rakp4, 'RAKP 4 ICV');
  const k1 = additionalKey(auth, sik, 1);
  const k2 = additionalKey(auth, sik, 2);
  // every in-session packet, both directions: MAC over auth type .. next header, then decrypt
  const inSession = lines.filter((l) => l.bytes.length > 16 && l.bytes[4] === 6 && (l.bytes[5]! & 0xc0) === 0xc0);
  assert.ok(inSession.length >= 4);
  for (const l of inSession) {
    const b = l.bytes;
    const macAt = b.length - integ.macLength;
    assert.deepEqual(integrityMac(integ, k1, b, 4, macAt), b.subarray(macAt), `${l.dir} MAC`);
    const plain = aesCbcDecrypt(k2, payloadOf(b));
    assert.ok(plain, `${l.dir} decrypts`);
    // a well-formed IPMI message: both checksums hold
    let s1 = 0;
    for (let i = 0; i < 3; i++) s1 += plain[i]!;
    let s2 = 0;
    for (let i = 3; i < plain.length; i++) s2 += plain[i]!;
    assert.equal(s1 & 0xff, 0);
    assert.equal(s2 & 0xff, 0);
  }
  // the first console request is Set Session Privilege Level (App 3Bh) to Administrator
  const first = aesCbcDecrypt(k2, payloadOf(inSession[0]!.bytes))!;
  assert.equal(first[1]! >> 2, 0x06);
  assert.equal(first[5], 0x3b);
  assert.equal(first[6], 0x04);
}

test('cipher suite 3 (RAKP-HMAC-SHA1, HMAC-SHA1-96, AES-CBC-128): ipmitool vs ipmi_sim', () => {
  checkSuite('ipmitool-lanplus-C3-ipmi_sim.hex', 0x01, 0x01);
});

test('cipher suite 17 (RAKP-HMAC-SHA256, HMAC-SHA256-128, AES-CBC-128): ipmitool vs tsbmc', () => {
  checkSuite('ipmitool-lanplus-C17-tsbmc.hex', 0x03, 0x04);
});

test('AES-CBC-128 pads 1,2,3.. plus pad length and round-trips', () => {
  const key = Buffer.alloc(16, 7);
  const iv = Buffer.alloc(16, 9);
  for (let n = 0; n < 40; n++) {
    const plain = Buffer.alloc(n, 0xab);
    const enc = aesCbcEncrypt(key, iv, plain);
    assert.equal((enc.length - 16) % 16, 0);
    assert.deepEqual(aesCbcDecrypt(key, enc), plain);
  }
  assert.equal(aesCbcDecrypt(key, Buffer.alloc(31)), undefined);
});

test('IPMI v1.5 MD5 auth code: ipmitool Activate Session and ipmi_sim reply', () => {
  const lines = loadFixture('ipmitool-lan-md5-ipmi_sim.hex');
  const pw = Buffer.alloc(16);
  pw.write('password', 'latin1');
  const authed = lines.filter((l) => l.bytes[3] === 7 && l.bytes[4] === 2);
  assert.ok(authed.length >= 4);
  for (const l of authed) {
    const b = l.bytes;
    const seq = b.readUInt32LE(5);
    const sid = b.readUInt32LE(9);
    const code = b.subarray(13, 29);
    const msg = b.subarray(30, 30 + b[29]!);
    assert.deepEqual(Buffer.from(v15AuthCode(2, pw, sid, msg, seq)!), code, `${l.dir} seq ${seq}`);
  }
});
