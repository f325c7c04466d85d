// SOL through the RMCP+ inbound pipeline (IPMI v2.0 13.28-13.29, 15, 24.3):
// a console written here from the spec layouts logs in with cipher suite 17,
// activates SOL and sends SOL packets authenticated with or without
// encryption; Suspend/Resume Payload Encryption decides which the endpoint
// takes and how it answers, while IPMI messages stay encrypted throughout.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import type { HostConsole } from '../backends/link.js';
import { payloadCommands } from '../ipmi/commands/payload.js';
import { sessionCommands } from '../ipmi/commands/session.js';
import { CommandRegistry } from '../ipmi/registry.js';
import { silentLogger } from '../log.js';
import { makeTestBmc } from '../model/testing.js';
import { additionalKey, aesCbcDecrypt, aesCbcEncrypt, AUTH_ALGOS, integrityMac, INTEGRITY_ALGOS, rakp3AuthCode, sessionIntegrityKey } from './algorithms.js';
import { encodeLanRequest } from './ipmi-message.js';
import { LanEngine, type Peer } from './lan-engine.js';
import { encodeV20 } from './packet.js';
import { SolPayload } from './sol.js';

const PEER: Peer = { address: '127.0.0.1', port: 40001 };
const HMAC_SHA256_128 = INTEGRITY_ALGOS.get(4)!;

function u32(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v >>> 0);
  return b;
}

/** The payload bytes of a v2.0 datagram (after the 16-byte RMCP + session header). */
const body = (b: Buffer): Buffer => b.subarray(16, 16 + b.readUInt16LE(14));

async function setup() {
  const t = makeTestBmc();
  const host = t.bmc.hosts[0]!;
  const typed: string[] = [];
  const console: HostConsole = { write: (d) => typed.push(Buffer.from(d).toString('latin1')), onOutput: () => () => undefined };
  Object.assign(t.links[0]!, { console });
  const sent: Buffer[] = [];
  const registry = new CommandRegistry().register(sessionCommands).register(payloadCommands);
  const engine = new LanEngine({ bmc: t.bmc, host, registry, log: silentLogger, clock: t.clock, send: (d) => sent.push(d), localPort: () => 16230 });
  const sol = new SolPayload({ bmc: t.bmc, host, clock: t.clock, log: silentLogger });
  engine.addPayloadHandler(sol);
  const exchange = async (pkt: Buffer): Promise<Buffer | undefined> => {
    const n = sent.length;
    await engine.handle(pkt, PEER);
    return sent.length > n ? sent.at(-1) : undefined;
  };
  // RMCP+ session, suite 17 (RAKP-HMAC-SHA256, HMAC-SHA256-128, AES-CBC-128), as ipmitool opens it
  const consoleId = 0x11223344;
  const setupPkt = (type: number, payload: Buffer): Buffer => encodeV20({ encrypted: false, payloadType: type, sessionId: 0, seq: 0, payload, macLength: 0 });
  const open = Buffer.from([0, 0, 0, 0, ...u32(consoleId), 0, 0, 0, 8, 3, 0, 0, 0, 1, 0, 0, 8, 4, 0, 0, 0, 2, 0, 0, 8, 1, 0, 0, 0]);
  const bmcId = body((await exchange(setupPkt(0x10, open)))!).readUInt32LE(8);
  const name = Buffer.from('admin');
  const rm = randomBytes(16);
  const r2 = body((await exchange(setupPkt(0x12, Buffer.concat([Buffer.from([0, 0, 0, 0]), u32(bmcId), rm, Buffer.from([0x14, 0, 0, name.length]), name]))))!);
  assert.equal(r2[1], 0);
  const auth = AUTH_ALGOS.get(3)!;
  const kuid = Buffer.alloc(20);
  kuid.write('password', 'latin1');
  const inputs = { consoleSessionId: consoleId, bmcSessionId: bmcId, consoleRandom: rm, bmcRandom: r2.subarray(8, 24), bmcGuid: r2.subarray(24, 40), role: 0x14, userName: name };
  const r4 = body((await exchange(setupPkt(0x14, Buffer.concat([Buffer.from([0, 0, 0, 0]), u32(bmcId), rakp3AuthCode(auth, kuid, inputs)]))))!);
  assert.equal(r4[1], 0);
  const sik = sessionIntegrityKey(auth, kuid, inputs);
  const k1 = additionalKey(auth, sik, 1);
  const k2 = additionalKey(auth, sik, 2);
  let seq = 1;
  let rqSeq = 1;
  /** One authenticated datagram of the session, its payload encrypted or not. */
  const packet = (payloadType: number, payload: Uint8Array, encrypted: boolean): Buffer =>
    encodeV20({
      encrypted,
      payloadType,
      sessionId: bmcId,
      seq: seq++,
      payload: encrypted ? aesCbcEncrypt(k2, randomBytes(16), payload) : payload,
      macLength: HMAC_SHA256_128.macLength,
      sign: (p, s, e) => integrityMac(HMAC_SHA256_128, k1, p, s, e),
    });
  /** Checks the MAC of a datagram from the BMC; its payload type byte and clear payload. */
  const unwrap = (pkt: Buffer): { type: number; payload: Buffer } => {
    const macAt = pkt.length - HMAC_SHA256_128.macLength;
    assert.deepEqual(integrityMac(HMAC_SHA256_128, k1, pkt, 4, macAt), pkt.subarray(macAt));
    const type = pkt[5]!;
    return { type, payload: type & 0x80 ? aesCbcDecrypt(k2, body(pkt))! : body(pkt) };
  };
  const command = async (cmd: number, data: number[], encrypted = true): Promise<number | undefined> => {
    const msg = encodeLanRequest({ rsAddr: 0x20, netFn: 0x06, rsLun: 0, rqAddr: 0x81, rqSeq: rqSeq++ & 0x3f, rqLun: 0, cmd, data: Uint8Array.from(data) });
    const rsp = await exchange(packet(0, msg, encrypted));
    return rsp && unwrap(rsp).payload[6];
  };
  const solPacket = async (bytes: number[], encrypted: boolean): Promise<{ type: number; payload: number[] } | undefined> => {
    const rsp = await exchange(packet(1, Uint8Array.from(bytes), encrypted));
    if (!rsp) return undefined;
    const o = unwrap(rsp);
    return { type: o.type, payload: [...o.payload] };
  };
  return { ...t, engine, sol, typed, command, solPacket };
}

test('RMCP+ SOL: clear packets dropped while encrypted, taken and answered in clear while suspended', async () => {
  const { bmc, engine, typed, command, solPacket } = await setup();
  assert.equal(await command(0x3b, [0x04]), 0x00);
  // Activate Payload SOL 1, aux C6h (encryption, authentication) as ipmitool sends it
  assert.equal(await command(0x48, [0x01, 0x01, 0xc6, 0, 0, 0]), 0x00);
  // in clear while the instance is encrypted: no ACK, nothing typed
  assert.equal(await solPacket([0x01, 0x00, 0x00, 0x00, 0x61], false), undefined);
  assert.deepEqual(typed, []);
  // encrypted: ACK of 1 character, encrypted and authenticated (payload type byte C1h)
  assert.deepEqual(await solPacket([0x01, 0x00, 0x00, 0x00, 0x61], true), { type: 0xc1, payload: [0x00, 0x01, 0x01, 0x00] });
  // suspending while parameter 2 forces encryption: 81h
  assert.equal(await command(0x55, [0x01, 0x01, 0x00]), 0x81);
  bmc.setSol({ forceEncryption: false });
  assert.equal(await command(0x55, [0x01, 0x01, 0x00]), 0x00);
  // suspended: a clear packet is taken and its ACK goes out in clear, still authenticated (41h)
  assert.deepEqual(await solPacket([0x02, 0x00, 0x00, 0x00, 0x62], false), { type: 0x41, payload: [0x00, 0x02, 0x01, 0x00] });
  // one the console encrypted before it switched is taken too
  assert.deepEqual(await solPacket([0x03, 0x00, 0x00, 0x00, 0x63], true), { type: 0x41, payload: [0x00, 0x03, 0x01, 0x00] });
  assert.deepEqual(typed, ['a', 'b', 'c']);
  // IPMI messages keep the session's encryption: a clear one is dropped
  const before = engine.stats.dropped['integrity-required'];
  assert.equal(await command(0x4a, [0x01], false), undefined);
  assert.equal(engine.stats.dropped['integrity-required'], before + 1);
  // resumed: clear SOL packets are dropped again, encrypted ones answered encrypted
  assert.equal(await command(0x55, [0x01, 0x01, 0x01]), 0x00);
  assert.equal(await solPacket([0x04, 0x00, 0x00, 0x00, 0x64], false), undefined);
  assert.deepEqual(await solPacket([0x04, 0x00, 0x00, 0x00, 0x64], true), { type: 0xc1, payload: [0x00, 0x04, 0x01, 0x00] });
  assert.deepEqual(typed, ['a', 'b', 'c', 'd']);
});
