// The IPMI audit records: which commands are recorded, with whom, from
// where and with which completion code, through the real dispatcher.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { makeTestBmc } from '../model/testing.js';
import { AUDITED_COMMANDS } from './audit.js';
import { createRegistry } from './commands/index.js';
import type { PrivilegeLevel } from './constants.js';
import type { IpmiContext, SessionPort } from './context.js';

function setup() {
  const t = makeTestBmc();
  const registry = createRegistry();
  assert.equal(t.bmc.users.setName(3, 'alice'), undefined);
  const session = (privilege: PrivilegeLevel): SessionPort => ({
    handle: 1,
    id: 0x1234,
    userId: 3,
    privilege,
    channel: 1,
    protocol: 1,
    remoteAddress: '192.0.2.7',
    remotePort: 40000,
    maxPrivilege: privilege,
    setPrivilege: () => undefined,
    authType: 6,
    cipherSuite: 17,
  });
  const lan = (privilege: PrivilegeLevel = 4): IpmiContext => ({ bmc: t.bmc, host: t.bmc.hosts[0]!, channel: 1, privilege, session: session(privilege) });
  const inBand: IpmiContext = { bmc: t.bmc, host: t.bmc.hosts[0]!, channel: 0x0f, privilege: 4 };
  const call = (netFn: number, cmd: number, data: number[], ctx: IpmiContext) => registry.dispatch({ netFn, cmd, data: Uint8Array.from(data) }, ctx);
  return { ...t, registry, lan, inBand, call };
}

test('every audited name is a command of the registry', () => {
  const names = new Set([...createRegistry().all()].map((d) => d.name));
  for (const name of AUDITED_COMMANDS.keys()) assert.ok(names.has(name), `${name} is not a registered command`);
});

test('Chassis Control over LAN is recorded with the user, address and completion code', async () => {
  const { bmc, call, lan } = setup();
  const r = await call(0x00, 0x02, [0x01], lan());
  assert.equal(r.cc, 0x00);
  const rec = bmc.audit.list().at(-1);
  assert.ok(rec);
  assert.deepEqual(
    { user: rec.user, source: rec.source, via: rec.via, operation: rec.operation, target: rec.target, status: rec.status },
    { user: 'alice', source: '192.0.2.7', via: 'IPMI LAN', operation: 'Chassis Control', target: 'host0 power on', status: 0 },
  );
});

test('a refusal is recorded with its completion code; reads are not recorded', async () => {
  const { bmc, call, lan } = setup();
  const before = bmc.audit.count;
  assert.equal((await call(0x00, 0x01, [], lan(2))).cc, 0x00); // Get Chassis Status
  assert.equal((await call(0x06, 0x01, [], lan(2))).cc, 0x00); // Get Device ID
  assert.equal(bmc.audit.count, before);
  assert.equal((await call(0x00, 0x02, [0x00], lan(2))).cc, 0xd4); // Chassis Control as User
  const rec = bmc.audit.list().at(-1);
  assert.equal(rec?.operation, 'Chassis Control');
  assert.equal(rec?.status, 0xd4);
  assert.equal(bmc.audit.count, before + 1);
});

test('Set User Password names the user and the operation, never the password', async () => {
  const { bmc, call, lan } = setup();
  const password = [...Buffer.from('Sekrit-Pa55')].concat(new Array(5).fill(0));
  assert.equal((await call(0x06, 0x47, [0x03, 0x02, ...password], lan())).cc, 0x00);
  const rec = bmc.audit.list().at(-1);
  assert.equal(rec?.target, 'user 3 set password');
  assert.ok(!JSON.stringify(bmc.audit.list()).includes('Sekrit'));
});

test('in-band commands are recorded as the host over the system interface; Clear SEL status polls are not', async () => {
  const { bmc, call, inBand } = setup();
  const reserve = await call(0x0a, 0x42, [], inBand);
  assert.equal(reserve.cc, 0x00);
  const [lo, hi] = [reserve.data[0]!, reserve.data[1]!];
  const before = bmc.audit.count;
  assert.equal((await call(0x0a, 0x47, [lo, hi, 0x43, 0x4c, 0x52, 0x00], inBand)).cc, 0x00); // get erasure status
  assert.equal(bmc.audit.count, before);
  assert.equal((await call(0x0a, 0x47, [lo, hi, 0x43, 0x4c, 0x52, 0xaa], inBand)).cc, 0x00); // initiate erase
  const rec = bmc.audit.list().at(-1);
  assert.deepEqual(
    { user: rec?.user, source: rec?.source, via: rec?.via, operation: rec?.operation, target: rec?.target },
    { user: '', source: 'host0', via: 'IPMI system interface', operation: 'Clear SEL', target: 'host0 SEL' },
  );
});

test('every audited command is recorded even with an empty request (a target never throws)', async () => {
  const { bmc, call, lan } = setup();
  const defs = [...createRegistry().all()].filter((d) => AUDITED_COMMANDS.has(d.name));
  for (const def of defs) await call(def.netFn, def.cmd, [], lan());
  const recorded = new Set(bmc.audit.list().map((r) => r.operation));
  for (const def of defs) assert.ok(recorded.has(def.name), `${def.name} not recorded`);
  assert.ok(bmc.audit.list().some((r) => r.status === 0xc7), 'short requests are recorded with 0xc7');
});
