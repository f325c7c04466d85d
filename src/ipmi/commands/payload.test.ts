// Payload commands (IPMI v2.0 24.1-24.5): requests and responses written by
// hand from the section's layouts; refusals for SOL disabled, payload access,
// privilege, encryption and a second activation.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { silentLogger } from '../../log.js';
import { makeTestBmc } from '../../model/testing.js';
import { CONFIDENTIALITY_ALGOS, INTEGRITY_ALGOS } from '../../rmcp/algorithms.js';
import { SessionTable, type Session } from '../../rmcp/session.js';
import { SolPayload } from '../../rmcp/sol.js';
import type { PrivilegeLevel } from '../constants.js';
import type { IpmiContext } from '../context.js';
import { CommandRegistry, type IpmiResponse } from '../registry.js';
import { payloadCommands } from './payload.js';

const APP = 0x06;
// SOL, instance 1, aux C6h as ipmitool sends it (encryption, authentication, alerts deferred, CTS false)
const ACTIVATE = [0x01, 0x01, 0xc6, 0x00, 0x00, 0x00];
const DEACTIVATE = [0x01, 0x01, 0x00, 0x00, 0x00, 0x00];

function setup(conf = 0x01) {
  const t = makeTestBmc();
  const host = t.bmc.hosts[0]!;
  const sessions = new SessionTable({ maxSessions: () => 8, maxSessionsPerUser: () => 8, idleTimeoutMs: () => 60_000 });
  const sol = new SolPayload({ bmc: t.bmc, host, clock: t.clock, log: silentLogger });
  sol.attach({ send: () => undefined, sessions });
  const session = (userId: number, max: PrivilegeLevel): Session => {
    const s = sessions.create({ protocol: 1, state: 'active', remoteAddress: '127.0.0.1', remotePort: 1000 + userId, now: 0 })!;
    s.integrity = INTEGRITY_ALGOS.get(0x04)!;
    s.confidentiality = CONFIDENTIALITY_ALGOS.get(conf)!;
    s.userId = userId;
    s.establish(max);
    s.setPrivilege(max);
    return s;
  };
  const registry = new CommandRegistry().register(payloadCommands);
  const ctxFor = (s: Session): IpmiContext => ({
    bmc: t.bmc,
    host,
    channel: 1,
    privilege: s.privilege,
    session: s,
    sessions: sessions.viewFor(s),
    localPort: 16230,
    payloads: (type) => (type === 1 ? sol : undefined),
  });
  const call = (s: Session, cmd: number, data: number[]): Promise<IpmiResponse> =>
    registry.dispatch({ netFn: APP, cmd, data: Uint8Array.from(data) }, ctxFor(s));
  return { ...t, sol, session, call, ctxFor, registry };
}

async function ok(p: Promise<IpmiResponse>, expected: number[]): Promise<void> {
  const r = await p;
  assert.equal(r.cc, 0, `cc 0x${r.cc.toString(16)}`);
  assert.deepEqual([...r.data], expected);
}

async function cc(p: Promise<IpmiResponse>, expected: number): Promise<void> {
  const r = await p;
  assert.equal(r.cc, expected, `expected cc 0x${expected.toString(16)}, got 0x${r.cc.toString(16)}`);
}

test('Activate Payload: sizes, port and no VLAN; status and instance info follow', async () => {
  const { session, call } = setup();
  const admin = session(2, 4);
  // aux 0, inbound FFh, outbound FFh, port 16230 = 3F66h, VLAN FFFFh
  await ok(call(admin, 0x48, ACTIVATE), [0, 0, 0, 0, 0xff, 0x00, 0xff, 0x00, 0x66, 0x3f, 0xff, 0xff]);
  await ok(call(admin, 0x4a, [0x01]), [0x01, 0x01, 0x00]);
  const id = admin.id;
  await ok(call(admin, 0x4b, [0x01, 0x01]), [id & 0xff, (id >>> 8) & 0xff, (id >>> 16) & 0xff, id >>> 24, 0x01, 0, 0, 0, 0, 0, 0, 0]);
  await ok(call(admin, 0x49, DEACTIVATE), []);
  await ok(call(admin, 0x4a, [0x01]), [0x01, 0x00, 0x00]);
  await ok(call(admin, 0x4b, [0x01, 0x01]), new Array<number>(12).fill(0));
  await cc(call(admin, 0x49, DEACTIVATE), 0x80);
});

test('Activate Payload: a second session is refused with 80h; the admin may deactivate it', async () => {
  const { session, call } = setup();
  const first = session(3, 3);
  const second = session(2, 4);
  await ok(call(first, 0x48, ACTIVATE), [0, 0, 0, 0, 0xff, 0, 0xff, 0, 0x66, 0x3f, 0xff, 0xff]);
  await cc(call(second, 0x48, ACTIVATE), 0x80);
  await cc(call(first, 0x48, ACTIVATE), 0x80);
  await ok(call(second, 0x49, DEACTIVATE), []);
  await ok(call(second, 0x48, ACTIVATE), [0, 0, 0, 0, 0xff, 0, 0xff, 0, 0x66, 0x3f, 0xff, 0xff]);
  // an operator of another user cannot take it away
  await cc(call(first, 0x49, DEACTIVATE), 0xd4);
});

test('Activate Payload refusals: disabled, payload access, privilege, encryption, fields', async () => {
  const { session, call, bmc } = setup();
  const admin = session(2, 4);
  bmc.setSol({ enabled: false });
  await cc(call(admin, 0x48, ACTIVATE), 0x81);
  bmc.setSol({ enabled: true });
  bmc.users.setAccess(2, 1, { payloads: 0 });
  await cc(call(admin, 0x48, ACTIVATE), 0x81);
  bmc.users.setAccess(2, 1, { payloads: 0x02 });
  bmc.setSol({ privilege: 4 });
  const user = session(3, 3);
  await cc(call(user, 0x48, ACTIVATE), 0xd4);
  bmc.setSol({ privilege: 3 });
  await cc(call(admin, 0x48, [0x02, 0x01, 0xc6, 0, 0, 0]), 0xcc);
  await cc(call(admin, 0x48, [0x01, 0x00, 0xc6, 0, 0, 0]), 0xcc);
  await cc(call(admin, 0x48, [0x01, 0x02, 0xc6, 0, 0, 0]), 0x82);
  await cc(call(admin, 0x48, [0x01, 0x01, 0xc6]), 0xc7);
});

test('Activate Payload on a suite without confidentiality: 83h asked with encryption, 84h when forced', async () => {
  const { session, call, bmc } = setup(0x00);
  const admin = session(2, 4);
  await cc(call(admin, 0x48, ACTIVATE), 0x83);
  await cc(call(admin, 0x48, [0x01, 0x01, 0x46, 0, 0, 0]), 0x84);
  bmc.setSol({ forceEncryption: false });
  await ok(call(admin, 0x48, [0x01, 0x01, 0x46, 0, 0, 0]), [0, 0, 0, 0, 0xff, 0, 0xff, 0, 0x66, 0x3f, 0xff, 0xff]);
});

test('payload commands outside an RMCP+ session: D5h', async () => {
  const { registry, bmc } = setup();
  const ctx: IpmiContext = { bmc, host: bmc.hosts[0]!, channel: 1, privilege: 4 };
  const r = await registry.dispatch({ netFn: APP, cmd: 0x48, data: Uint8Array.from(ACTIVATE) }, ctx);
  assert.equal(r.cc, 0xd5);
});

test('Activate Payload with SOL takeover configured: the caller takes it when it could have deactivated it', async () => {
  const { session, call, bmc, sol } = setup();
  bmc.setSol({ takeover: true });
  const operator = session(3, 3);
  const admin = session(2, 4);
  const admin2 = session(2, 4);
  await ok(call(admin, 0x48, ACTIVATE), [0, 0, 0, 0, 0xff, 0, 0xff, 0, 0x66, 0x3f, 0xff, 0xff]);
  // an operator of another user may not end an administrator's SOL, so may not take it either
  await cc(call(operator, 0x48, ACTIVATE), 0x80);
  // the holder asking again is still refused
  await cc(call(admin, 0x48, ACTIVATE), 0x80);
  await ok(call(admin2, 0x48, ACTIVATE), [0, 0, 0, 0, 0xff, 0, 0xff, 0, 0x66, 0x3f, 0xff, 0xff]);
  assert.deepEqual(sol.active(), [{ instance: 1, sessionId: admin2.id }]);
  // off again: refused as before
  bmc.setSol({ takeover: false });
  await cc(call(admin, 0x48, ACTIVATE), 0x80);
});

test('Suspend/Resume Payload Encryption (55h): completion codes 80h-83h, reserved fields, success', async () => {
  const { session, call, bmc, sol } = setup();
  const admin = session(2, 4);
  const operator = session(3, 3);
  // nothing active: 83h
  await cc(call(admin, 0x55, [0x01, 0x01, 0x00]), 0x83);
  await cc(call(admin, 0x55, [0x01, 0x02, 0x00]), 0x83);
  // IPMI payload (type 0) has no encryption of its own to suspend: 80h
  await cc(call(admin, 0x55, [0x00, 0x01, 0x00]), 0x80);
  // reserved operation 11b, reserved bits, instance 0, short and long requests
  await cc(call(admin, 0x55, [0x01, 0x01, 0x03]), 0xcc);
  await cc(call(admin, 0x55, [0x01, 0x01, 0x04]), 0xcc);
  await cc(call(admin, 0x55, [0x41, 0x01, 0x00]), 0xcc);
  await cc(call(admin, 0x55, [0x01, 0x00, 0x00]), 0xcc);
  await cc(call(admin, 0x55, [0x01, 0x01]), 0xc7);
  await cc(call(admin, 0x55, [0x01, 0x01, 0x00, 0x00]), 0xc7);
  await ok(call(admin, 0x48, ACTIVATE), [0, 0, 0, 0, 0xff, 0, 0xff, 0, 0x66, 0x3f, 0xff, 0xff]);
  // force encryption (the default) forbids suspending: 81h; resume and a new IV are fine
  await cc(call(admin, 0x55, [0x01, 0x01, 0x00]), 0x81);
  await ok(call(admin, 0x55, [0x01, 0x01, 0x01]), []);
  await ok(call(admin, 0x55, [0x01, 0x01, 0x02]), []);
  bmc.setSol({ forceEncryption: false });
  // another user's operator may not change an administrator's SOL
  await cc(call(operator, 0x55, [0x01, 0x01, 0x00]), 0xd4);
  await ok(call(admin, 0x55, [0x01, 0x01, 0x00]), []);
  assert.equal(sol.state()?.encrypted, false);
  await ok(call(admin, 0x55, [0x01, 0x01, 0x01]), []);
  assert.equal(sol.state()?.encrypted, true);
});

test('Suspend/Resume Payload Encryption on a session without confidentiality: 82h', async () => {
  const { session, call, bmc } = setup(0x00);
  bmc.setSol({ forceEncryption: false });
  const admin = session(2, 4);
  await ok(call(admin, 0x48, [0x01, 0x01, 0x46, 0, 0, 0]), [0, 0, 0, 0, 0xff, 0, 0xff, 0, 0x66, 0x3f, 0xff, 0xff]);
  for (const op of [0x00, 0x01, 0x02]) await cc(call(admin, 0x55, [0x01, 0x01, op]), 0x82);
});
