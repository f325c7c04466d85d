// QmpClient against a fake QMP server on a unix socket: greeting and
// capabilities negotiation, id matching (also out of order), errors, events
// between a command and its answer, input split at every offset, junk,
// timeouts and a lost connection.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { decodeQmpMessage, QmpClient, QmpError, type QmpEvent } from './qmp.js';

const GREETING = '{"QMP": {"version": {"qemu": {"micro": 0, "minor": 2, "major": 7}, "package": ""}, "capabilities": ["oob"]}}\r\n';

interface Fake {
  readonly path: string;
  readonly server: Server;
  /** Commands received, in order. */
  readonly received: { execute: string; id: unknown; arguments?: unknown }[];
  socket: Socket | undefined;
  close(): void;
}

/**
 * A QMP server: greets, answers qmp_capabilities, then hands every other
 * command to `answer` (which writes what it likes, or nothing).
 */
async function fakeQmp(answer: (cmd: { execute: string; id: unknown; arguments?: unknown }, s: Socket) => void, opts: { greet?: boolean; chunk?: number } = {}): Promise<Fake> {
  const dir = mkdtempSync(join(tmpdir(), 'qmp-test-'));
  const path = join(dir, 'qmp.sock');
  const fake: Fake = {
    path,
    server: createServer(),
    received: [],
    socket: undefined,
    close() {
      fake.socket?.destroy();
      fake.server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  const write = (s: Socket, text: string): void => {
    // optionally in small pieces, to exercise the framing
    const n = opts.chunk ?? text.length;
    for (let i = 0; i < text.length; i += n) s.write(text.slice(i, i + n));
  };
  fake.server.on('connection', (s) => {
    fake.socket = s;
    if (opts.greet !== false) write(s, GREETING);
    let buf = '';
    s.setEncoding('utf8');
    s.on('data', (d: string) => {
      buf += d;
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
        const cmd = JSON.parse(buf.slice(0, nl)) as { execute: string; id: unknown; arguments?: unknown };
        buf = buf.slice(nl + 1);
        fake.received.push(cmd);
        if (cmd.execute === 'qmp_capabilities') write(s, `${JSON.stringify({ return: {}, id: cmd.id })}\r\n`);
        else answer(cmd, s);
      }
    });
    s.on('error', () => undefined);
  });
  await new Promise<void>((r) => fake.server.listen(path, r));
  return fake;
}

test('greeting, qmp_capabilities first, then commands matched by id', async () => {
  const fake = await fakeQmp((cmd, s) => s.write(`${JSON.stringify({ return: { status: 'running', running: true, cmd: cmd.execute }, id: cmd.id })}\r\n`));
  const c = await QmpClient.connect(fake.path);
  assert.deepEqual((c.version as { qemu: { major: number } }).qemu.major, 7);
  assert.equal(fake.received[0]?.execute, 'qmp_capabilities', 'negotiation is the first command');
  assert.deepEqual(await c.execute('query-status'), { status: 'running', running: true, cmd: 'query-status' });
  await c.execute('eject', { id: 'cd0', force: true });
  assert.deepEqual(fake.received[2], { execute: 'eject', arguments: { id: 'cd0', force: true }, id: fake.received[2]?.id });
  assert.notEqual(fake.received[1]?.id, fake.received[2]?.id);
  c.close();
  fake.close();
});

test('answers out of order reach their own commands; events in between are delivered', async () => {
  const held: { id: unknown; execute: string }[] = [];
  const fake = await fakeQmp((cmd, s) => {
    held.push(cmd);
    if (held.length === 2) {
      s.write('{"event": "RESET", "data": {"guest": true, "reason": "guest-reset"}, "timestamp": {"seconds": 1700000000, "microseconds": 5}}\r\n');
      for (const h of held.reverse()) s.write(`${JSON.stringify({ return: h.execute, id: h.id })}\r\n`);
    }
  });
  const c = await QmpClient.connect(fake.path);
  const events: QmpEvent[] = [];
  c.onEvent((e) => events.push(e));
  const [a, b] = await Promise.all([c.execute('first'), c.execute('second')]);
  assert.equal(a, 'first');
  assert.equal(b, 'second');
  assert.deepEqual(events, [{ event: 'RESET', data: { guest: true, reason: 'guest-reset' }, timestamp: { seconds: 1700000000, microseconds: 5 } }]);
  c.close();
  fake.close();
});

test('an error answer rejects with QEMU error class', async () => {
  const fake = await fakeQmp((cmd, s) => s.write(`${JSON.stringify({ error: { class: 'DeviceNotFound', desc: "Device 'cd9' not found" }, id: cmd.id })}\r\n`));
  const c = await QmpClient.connect(fake.path);
  await assert.rejects(c.execute('eject', { id: 'cd9' }), (e: unknown) => e instanceof QmpError && e.code === 'command-failed' && e.errorClass === 'DeviceNotFound');
  c.close();
  fake.close();
});

test('messages split into one-byte pieces are reassembled', async () => {
  const fake = await fakeQmp((cmd, s) => {
    const text = `{"event": "POWERDOWN", "timestamp": {"seconds": 1, "microseconds": 2}}\r\n${JSON.stringify({ return: {}, id: cmd.id })}\r\n`;
    for (const ch of text) s.write(ch);
  }, { chunk: 1 });
  const c = await QmpClient.connect(fake.path);
  const events: string[] = [];
  c.onEvent((e) => events.push(e.event));
  assert.deepEqual(await c.execute('system_powerdown'), {});
  assert.deepEqual(events, ['POWERDOWN']);
  c.close();
  fake.close();
});

test('junk lines and answers to unknown ids are counted and skipped', async () => {
  const fake = await fakeQmp((cmd, s) => s.write(`not json\r\n[1,2]\r\n{"return": {}, "id": 99999}\r\n${JSON.stringify({ return: 7, id: cmd.id })}\r\n`));
  const c = await QmpClient.connect(fake.path);
  assert.equal(await c.execute('x'), 7);
  assert.equal(c.dropped, 3);
  c.close();
  fake.close();
});

test('a command without an answer times out; a lost connection fails pending commands', async () => {
  const fake = await fakeQmp(() => undefined);
  const c = await QmpClient.connect(fake.path);
  await assert.rejects(c.execute('stuck', undefined, { timeoutMs: 50 }), (e: unknown) => e instanceof QmpError && e.code === 'timeout');
  let closedWith: QmpError | undefined;
  c.onClose((e) => (closedWith = e));
  const pending = c.execute('never');
  fake.socket?.destroy();
  await assert.rejects(pending, (e: unknown) => e instanceof QmpError && e.code === 'disconnected');
  assert.equal(closedWith?.code, 'disconnected');
  assert.equal(c.closed, true);
  await assert.rejects(c.execute('after'), (e: unknown) => e instanceof QmpError && e.code === 'closed');
  fake.close();
});

test('no greeting in time, or no listener, fails the connect', async () => {
  const fake = await fakeQmp(() => undefined, { greet: false });
  await assert.rejects(QmpClient.connect(fake.path, { timeoutMs: 80 }), (e: unknown) => e instanceof QmpError && e.code === 'timeout');
  fake.close();
  await assert.rejects(QmpClient.connect(join(tmpdir(), 'no-such-qmp.sock')), (e: unknown) => e instanceof QmpError && e.code === 'disconnected');
});

test('decodeQmpMessage types each message kind and refuses others', () => {
  assert.equal(decodeQmpMessage({ QMP: { version: {}, capabilities: [] } })?.kind, 'greeting');
  assert.deepEqual(decodeQmpMessage({ return: {}, id: 3 }), { kind: 'return', id: 3, value: {} });
  assert.deepEqual(decodeQmpMessage({ error: { class: 'GenericError', desc: 'x' }, id: 'a' }), { kind: 'error', id: 'a', errorClass: 'GenericError', desc: 'x' });
  assert.deepEqual(decodeQmpMessage({ event: 'SHUTDOWN', data: { guest: true }, timestamp: { seconds: 1, microseconds: 2 } }), {
    kind: 'event',
    event: { event: 'SHUTDOWN', data: { guest: true }, timestamp: { seconds: 1, microseconds: 2 } },
  });
  for (const bad of [null, 1, 'x', [], {}, { event: 5 }, { error: 'x' }]) assert.equal(decodeQmpMessage(bad), undefined);
});
