// Console stream: history, resume with since, gaps for a slow client, input privileges, the per-host cap.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { HostConsole } from '../backends/link.js';
import { makeTestBmc } from '../model/testing.js';
import { SessionStore } from '../redfish/sessions.js';
import { CloseCode, StreamError } from './auth.js';
import { CONSOLE_BUFFER_LIMIT, CONSOLE_RESUME_POLL_MS, consoleStream, openConsoleStream, parseControl } from './console.js';
import { addReadOnly, FakePeer, streamContext } from './testing.js';

function setup() {
  const t = makeTestBmc({ hosts: 2 });
  const sessions = new SessionStore(t.bmc);
  const typed: string[] = [];
  let breaks = 0;
  const con: HostConsole = {
    write: (d) => typed.push(Buffer.from(d).toString('latin1')),
    onOutput: () => () => undefined,
    sendBreak: () => breaks++,
  };
  Object.defineProperty(t.links[0]!, 'console', { value: con });
  return { ...t, sessions, typed, breaks: () => breaks, host: t.bmc.hosts[0]! };
}

const bin = (s: string) => ({ binary: true, data: Buffer.from(s) });
const txt = (v: unknown) => ({ binary: false, data: Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)) });

test('history on connect, then live output, contiguous', () => {
  const { bmc, clock, sessions, host } = setup();
  host.console.append('boot log\r\n');
  const peer = new FakePeer();
  const h = openConsoleStream(streamContext(bmc, clock, sessions, 2), peer, host);
  const ready = peer.json()[0]!;
  assert.deepEqual(ready, { type: 'ready', host: 0, systemId: 'node0', offset: 0, lost: 0, end: 10, input: true });
  host.console.append('login: ');
  assert.equal(peer.bytes().toString(), 'boot log\r\nlogin: ');
  h.close();
  host.console.append('more');
  assert.equal(peer.bytes().toString(), 'boot log\r\nlogin: ');
  assert.equal(host.console.readers, 0);
});

test('since resumes at an absolute offset; an offset the ring dropped reports what was lost', () => {
  const { bmc, clock, sessions, host } = setup();
  host.console.append('0123456789');
  const a = new FakePeer();
  openConsoleStream(streamContext(bmc, clock, sessions, 2, 'since=4'), a, host);
  assert.equal(a.json()[0]!.offset, 4);
  assert.equal(a.bytes().toString(), '456789');
  const b = new FakePeer();
  openConsoleStream(streamContext(bmc, clock, sessions, 2, 'since=99'), b, host);
  assert.deepEqual([b.json()[0]!.offset, b.json()[0]!.lost, b.bytes().length], [10, 0, 0]);
  // overflow the 64 KiB ring: offset 4 is gone
  host.console.append(Buffer.alloc(host.console.capacity, 0x41));
  const c = new FakePeer();
  openConsoleStream(streamContext(bmc, clock, sessions, 2, 'since=4'), c, host);
  const r = c.json()[0]!;
  assert.equal(r.offset, 10);
  assert.equal(r.lost, 6);
  assert.equal(c.bytes().length, host.console.capacity);
});

test('a slow client is sent nothing, then catches up from its offset with a gap marker', () => {
  const { bmc, clock, sessions, host } = setup();
  const peer = new FakePeer();
  openConsoleStream(streamContext(bmc, clock, sessions, 2), peer, host);
  host.console.append('abc');
  peer.bufferedAmount = CONSOLE_BUFFER_LIMIT + 1;
  host.console.append('def');
  host.console.append('ghi');
  assert.equal(peer.bytes().toString(), 'abc');
  clock.advance(CONSOLE_RESUME_POLL_MS * 3);
  assert.equal(peer.bytes().toString(), 'abc', 'still slow');
  peer.bufferedAmount = 0;
  clock.advance(CONSOLE_RESUME_POLL_MS);
  assert.equal(peer.bytes().toString(), 'abcdefghi', 'caught up from the buffer, nothing lost');
  // slow again, and the ring wraps meanwhile
  peer.bufferedAmount = CONSOLE_BUFFER_LIMIT + 1;
  host.console.append(Buffer.alloc(host.console.capacity + 100, 0x2e));
  host.console.append('tail');
  peer.bufferedAmount = 0;
  peer.clear();
  clock.advance(CONSOLE_RESUME_POLL_MS);
  const gap = peer.json().find((m) => m.type === 'gap')!;
  assert.equal(gap.lost, 104);
  assert.equal(gap.offset, host.console.start);
  assert.ok(peer.bytes().toString().endsWith('tail'));
  assert.equal(peer.bytes().length, host.console.capacity);
  host.console.append('live');
  assert.ok(peer.bytes().toString().endsWith('taillive'));
});

test('input: binary and JSON text reach the backend and touch the session; break', () => {
  const { bmc, clock, sessions, host, typed, breaks } = setup();
  const peer = new FakePeer();
  const ctx = streamContext(bmc, clock, sessions, 3);
  const h = openConsoleStream(ctx, peer, host);
  h.message!(bin('root\r'));
  h.message!(txt({ type: 'input', data: 'tsbmc\r' }));
  h.message!(txt({ type: 'break' }));
  assert.deepEqual(typed, ['root\r', 'tsbmc\r']);
  assert.equal(breaks(), 1);
  assert.equal(ctx.touches, 3);
  h.message!(txt('not json'));
  h.message!(txt({ type: 'input', data: 1 }));
  h.message!(txt({ type: 'input', data: 'x', extra: 1 }));
  h.message!(bin('x'.repeat(5000)));
  assert.deepEqual(
    peer.json().filter((m) => m.type === 'error').map((m) => m.error),
    ['BadMessage', 'BadMessage', 'BadMessage', 'TooLarge'],
  );
  assert.equal(typed.length, 2);
});

test('a ReadOnly user watches but its input is refused; no console backend is NoConsole', () => {
  const { bmc, clock, sessions, typed } = setup();
  const ro = addReadOnly(bmc);
  const peer = new FakePeer();
  const h = openConsoleStream(streamContext(bmc, clock, sessions, ro), peer, bmc.hosts[0]!);
  assert.equal(peer.json()[0]!.input, false);
  h.message!(bin('reboot\r'));
  assert.equal(peer.json().at(-1)!.error, 'InsufficientPrivilege');
  assert.deepEqual(typed, []);
  const p2 = new FakePeer();
  const h2 = openConsoleStream(streamContext(bmc, clock, sessions, 2), p2, bmc.hosts[1]!);
  h2.message!(bin('x'));
  assert.equal(p2.json().at(-1)!.error, 'NoConsole');
});

test('the endpoint: unknown host 4404, unknown parameter 4400, at most 4 per host (4429)', () => {
  const { bmc, clock, sessions } = setup();
  const def = consoleStream();
  const open = (q: string) => def.open(streamContext(bmc, clock, sessions, 2, q), new FakePeer());
  const codeOf = (q: string) => {
    try {
      open(q);
      return undefined;
    } catch (e) {
      assert.ok(e instanceof StreamError);
      return e.code;
    }
  };
  assert.equal(codeOf('host=2'), CloseCode.UnknownHost);
  assert.equal(codeOf('system=nope'), CloseCode.UnknownHost);
  assert.equal(codeOf('host=x'), CloseCode.UnknownHost);
  assert.equal(codeOf('bogus=1'), CloseCode.BadRequest);
  assert.equal(codeOf('since=-1'), CloseCode.BadRequest);
  const hs = [0, 1, 2, 3].map(() => open('system=node0'));
  assert.equal(codeOf('host=0'), CloseCode.TooMany);
  assert.equal(codeOf('host=1'), undefined, 'the cap is per host');
  hs[0]!.close();
  hs[0]!.close();
  assert.equal(codeOf('host=0'), undefined);
  assert.equal(codeOf('host=0'), CloseCode.TooMany);
});

test('parseControl accepts exactly the two documented shapes', () => {
  assert.deepEqual(parseControl('{"type":"break"}'), { type: 'break' });
  assert.equal(parseControl('{"type":"break","x":1}'), undefined);
  assert.equal(parseControl('[]'), undefined);
  assert.equal(parseControl('null'), undefined);
  const i = parseControl('{"type":"input","data":"é"}');
  assert.deepEqual(i?.type === 'input' ? [...i.data] : [], [0xc3, 0xa9]);
});
