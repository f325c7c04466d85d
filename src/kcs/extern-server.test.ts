// Tests of ExternBmcServer with a fake QEMU over a loopback TCP socket: the
// same answers as the LAN path's dispatch, echoed sequence numbers, split
// frames, garbage, oversized and bad-checksum frames, attention and interrupt
// control, the in-band watchdog, hardware operations and reconnects.
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { test, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createRegistry } from '../ipmi/commands/index.js';
import { Channel } from '../ipmi/constants.js';
import { silentLogger } from '../log.js';
import { makeTestBmc } from '../model/testing.js';
import { ExternDecoder, type ExternItem } from './extern-protocol.js';
import { ExternBmcServer, machineOpFor } from './extern-server.js';

/**
 * Expected frames are built here by hand from PROTOCOL.md section 2-3
 * (content, two's-complement checksum including seq, escape A0/A1/AA as
 * AA then byte|10h, terminator), not with the codec under test.
 */
function wire(content: number[], terminator = 0xa0, withChecksum = true): Buffer {
  const all = withChecksum ? [...content, (0x100 - (content.reduce((a, b) => a + b, 0) & 0xff)) & 0xff] : content;
  const out: number[] = [];
  for (const b of all) {
    if (b === 0xa0 || b === 0xa1 || b === 0xaa) out.push(0xaa, b | 0x10);
    else out.push(b);
  }
  out.push(terminator);
  return Buffer.from(out);
}
const request = (seq: number, netFn: number, cmd: number, data: number[] = []) => wire([seq, netFn << 2, cmd, ...data]);

/** A stand-in for QEMU's chardev: connects, says hello, collects what the BMC sends. */
class FakeQemu {
  readonly socket: Socket;
  readonly raw: Buffer[] = [];
  readonly items: ExternItem[] = [];
  readonly #decoder = new ExternDecoder('responses');
  #waiters: (() => void)[] = [];

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on('data', (b: Buffer) => {
      this.raw.push(b);
      this.items.push(...this.#decoder.push(b));
      for (const w of this.#waiters.splice(0)) w();
    });
  }

  static async open(port: number, hello = true): Promise<FakeQemu> {
    const socket = connect({ host: '127.0.0.1', port });
    socket.setNoDelay(true);
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    const q = new FakeQemu(socket);
    // VERSION 1 + CAPABILITIES 0x3f, as QEMU 7.2 sends them (PROTOCOL.md section 5)
    if (hello) socket.write(Buffer.from('ff01a1083fa1', 'hex'));
    return q;
  }

  /** Waits until `n` items have arrived in total. */
  async waitItems(n: number, ms = 2000): Promise<ExternItem[]> {
    const deadline = Date.now() + ms;
    while (this.items.length < n) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${n} items, have ${JSON.stringify(this.items)}`);
      await new Promise<void>((resolve) => {
        this.#waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
    return this.items;
  }

  /** Sends a request and returns the next response (skipping control frames, which stay in `items`). */
  async call(frame: Buffer): Promise<Extract<ExternItem, { name: 'response' }>> {
    const start = this.items.length;
    this.socket.write(frame);
    for (let n = start + 1; ; n++) {
      const items = await this.waitItems(n);
      const r = items.slice(start).find((i) => i.name === 'response');
      if (r && r.name === 'response') return r;
    }
  }

  controls(): string[] {
    return this.items.filter((i) => i.name !== 'response' && i.name !== 'dropped').map((i) => i.name);
  }

  async close(): Promise<void> {
    this.socket.end();
    await new Promise<void>((resolve) => this.socket.once('close', () => resolve()));
  }
}

async function setup(t: TestContext, opts: { machineControl?: boolean } = {}) {
  const tb = makeTestBmc();
  const host = tb.bmc.hosts[0]!;
  const registry = createRegistry();
  const server = new ExternBmcServer({ bmc: tb.bmc, host, registry, log: silentLogger, address: '127.0.0.1', port: 0, ...opts });
  await server.start();
  const clients: FakeQemu[] = [];
  const open = async (hello = true) => {
    const q = await FakeQemu.open(server.port, hello);
    clients.push(q);
    return q;
  };
  t.after(async () => {
    for (const c of clients) c.socket.destroy();
    await server.stop();
  });
  return { ...tb, host, registry, server, open };
}

const GET_DEVICE_ID = [0x06, 0x01] as const;

test('on connect the BMC sends VERSION 1 and NOATTN', async (t) => {
  const { open } = await setup(t);
  const q = await open();
  await q.waitItems(2);
  assert.equal(Buffer.concat(q.raw).toString('hex'), 'ff01a100a1');
});

test('Get Device ID over the chardev gives the same bytes as the LAN path', async (t) => {
  const { open, registry, bmc, host } = await setup(t);
  const lan = await registry.dispatch({ netFn: 0x06, cmd: 0x01, data: new Uint8Array() }, { bmc, host, channel: Channel.Lan, privilege: 4 });
  assert.equal(lan.cc, 0);
  const q = await open();
  await q.waitItems(2);
  q.raw.length = 0;
  const r = await q.call(request(0x00, ...GET_DEVICE_ID));
  assert.deepEqual({ ...r, data: [...r.data] }, { name: 'response', seq: 0, netFn: 0x07, lun: 0, cmd: 0x01, cc: 0, data: [...lan.data] });
  assert.equal(Buffer.concat(q.raw).toString('hex'), wire([0x00, 0x1c, 0x01, 0x00, ...lan.data]).toString('hex'));
});

test('the sequence number is echoed, escaped ones included, and responses follow arrival order', async (t) => {
  const { open } = await setup(t);
  const q = await open();
  for (const seq of [0xa0, 0xa1, 0xaa, 0xff, 0x00, 0x37]) {
    const r = await q.call(request(seq, ...GET_DEVICE_ID));
    assert.equal(r.seq, seq);
  }
  // SSIF: four requests with seq 0 back to back in one write (PROTOCOL.md section 8)
  const before = q.items.length;
  q.socket.write(Buffer.concat([request(0, 0x06, 0x01), request(0, 0x06, 0x30, [0x00]), request(0, 0x06, 0x2f), request(0, 0x06, 0x31)]));
  const items = (await q.waitItems(before + 4)).slice(before).filter((i) => i.name === 'response');
  assert.deepEqual(
    items.map((i) => i.name === 'response' && [i.seq, i.cmd, i.cc]),
    [
      [0, 0x01, 0],
      [0, 0x30, 0],
      [0, 0x2f, 0],
      [0, 0x31, 0],
    ],
  );
});

test('the SSIF Get Device ID padded with 63 zero bytes is answered as a plain one; other surplus bytes are 0xC7', async (t) => {
  const { open } = await setup(t);
  const q = await open();
  const plain = await q.call(request(1, ...GET_DEVICE_ID));
  const padded = await q.call(request(2, ...GET_DEVICE_ID, new Array<number>(63).fill(0)));
  assert.equal(padded.cc, 0);
  assert.deepEqual([...padded.data], [...plain.data]);
  assert.equal((await q.call(request(3, ...GET_DEVICE_ID, [0x01]))).cc, 0xc7);
});

test('unknown commands get 0xC1 with the response NetFn; Storage answers on 2Ch', async (t) => {
  const { open } = await setup(t);
  const q = await open();
  const r = await q.call(request(0x69, 0x06, 0xff));
  assert.deepEqual([r.seq, r.netFn, r.cmd, r.cc], [0x69, 0x07, 0xff, 0xc1]);
  const info = await q.call(request(0x39, 0x0a, 0x40)); // Get SEL Info
  assert.deepEqual([info.netFn, info.cmd, info.cc], [0x0b, 0x40, 0]);
});

test('a request split into single bytes, with pauses, is answered once', async (t) => {
  const { open } = await setup(t);
  const q = await open();
  await q.waitItems(2);
  const frame = request(0xaa, ...GET_DEVICE_ID);
  for (const b of frame) {
    q.socket.write(Uint8Array.of(b));
    await sleep(5);
  }
  const items = await q.waitItems(3);
  assert.equal(items.length, 3);
  assert.equal(items[2]!.name === 'response' && items[2]!.seq, 0xaa);
});

test('garbage, a bad checksum and an oversized frame are dropped, counted and followed by a normal answer', async (t) => {
  const { open, server } = await setup(t);
  const q = await open();
  await q.waitItems(2);
  q.socket.write(Buffer.from('0102030405deadbeef', 'hex'));
  q.socket.write(Buffer.from([0xa0])); // garbage ends at the next terminator
  q.socket.write(Buffer.from('0018 01e8 a0'.replace(/ /g, ''), 'hex')); // Get Device ID with checksum e8 instead of e7
  q.socket.write(Buffer.concat([Buffer.alloc(5000, 0x42), Buffer.of(0xa0)])); // oversized
  q.socket.write(Buffer.from([0xaa, 0xa1])); // an escaped terminator
  const r = await q.call(request(7, ...GET_DEVICE_ID));
  assert.equal(r.seq, 7);
  assert.equal(q.items.filter((i) => i.name === 'response').length, 1, 'nothing answered the bad frames');
  assert.deepEqual(server.stats.dropped, { oversized: 1, 'bad-escape': 1, checksum: 2, short: 0, 'bad-control': 0, empty: 0 });
});

test('Set BMC Global Enables mirrors bit 0 into ENABLE_IRQ/DISABLE_IRQ before the response', async (t) => {
  const { open } = await setup(t);
  const q = await open();
  await q.waitItems(2);
  q.raw.length = 0;
  await q.call(request(3, 0x06, 0x2e, [0x09]));
  // golden: PROTOCOL.md section 5 (ipmi_sim's answer captured by the wire relay): 05 a1 03 1c 2e 00 b3 a0
  assert.equal(Buffer.concat(q.raw).toString('hex'), '05a1031c2e00b3a0');
  q.raw.length = 0;
  await q.call(request(4, 0x06, 0x2e, [0x08]));
  assert.equal(Buffer.concat(q.raw).toString('hex'), '06a1' + wire([4, 0x1c, 0x2e, 0x00]).toString('hex'));
});

/** Set Watchdog Timer (IPMI v2.0 27.6): use SMS/OS, action, pre-timeout, countdown in 100 ms units. */
const setWatchdog = (seq: number, action: number, preInterrupt: number, preSeconds: number, countdown: number) =>
  request(seq, 0x06, 0x24, [0x04, (preInterrupt << 4) | action, preSeconds, 0x00, countdown & 0xff, countdown >> 8]);

test('in-band watchdog: armed by the guest and left to expire, the model resets the host through its link', async (t) => {
  const { open, host, links, clock } = await setup(t);
  host.request('on');
  const q = await open();
  assert.equal((await q.call(setWatchdog(1, 0x01, 0, 0, 20))).cc, 0);
  assert.equal((await q.call(request(2, 0x06, 0x22))).cc, 0); // Reset Watchdog Timer starts it
  const calls = links[0]!.calls.length;
  clock.advance(2_100);
  assert.deepEqual(links[0]!.calls.slice(calls), ['reset']);
  assert.equal(host.restartCause, 'watchdog');
  // the expiry was logged: one Watchdog 2 record (sensor type 23h), offset 1 = hard reset
  const sel = await q.call(request(3, 0x0a, 0x43, [0, 0, 0xff, 0xff, 0, 0xff])); // Get SEL Entry, last record
  assert.equal(sel.cc, 0);
  assert.equal(sel.data[2 + 10], 0x23);
  assert.equal(sel.data[2 + 13]! & 0x0f, 0x01);
  // Get Watchdog Timer: timer use 4 expired (flags bit 4)
  const get = await q.call(request(4, 0x06, 0x25));
  assert.equal(get.data[3]! & 0x10, 0x10);
});

test('watchdog pre-timeout raises SMS attention; clearing the flag sends NOATTN; an NMI pre-timeout also sends SEND_NMI', async (t) => {
  const { open, host, clock } = await setup(t);
  host.request('on');
  const q = await open();
  await q.call(setWatchdog(1, 0x00, 0x03, 1, 30)); // messaging interrupt 1 s before a 3 s expiry, no action
  await q.call(request(2, 0x06, 0x22));
  clock.advance(2_100);
  await q.waitItems(5);
  assert.deepEqual(q.controls(), ['version', 'no-attn', 'attn']);
  const flags = await q.call(request(3, 0x06, 0x31));
  assert.deepEqual([...flags.data], [0x08]);
  const before = q.raw.length;
  await q.call(request(4, 0x06, 0x30, [0x08]));
  assert.deepEqual(q.controls(), ['version', 'no-attn', 'attn', 'no-attn']);
  // NOATTN goes out before the response
  assert.equal(Buffer.concat(q.raw.slice(before)).toString('hex'), '00a1' + wire([4, 0x1c, 0x30, 0x00]).toString('hex'));

  await q.call(setWatchdog(5, 0x00, 0x02, 1, 30)); // NMI pre-timeout
  await q.call(request(6, 0x06, 0x22));
  clock.advance(2_100);
  await q.waitItems(q.items.length + 2);
  assert.deepEqual(q.controls().slice(-2), ['attn', 'send-nmi']);
});

/** The test clock's start, 2026-01-01T00:00:00Z = 6955B900h seconds, LS byte first. */
const T0 = [0x00, 0xb9, 0x55, 0x69];
/** The event message of chassis intrusion (sensor AAh, type 05h, 6Fh) asserted, logged as SEL record `id` (IPMI v2.0 22.8, 32.1). */
const intrusion = (id: number) => [id & 0xff, id >> 8, 0x02, ...T0, 0x20, 0x00, 0x04, 0x05, 0xaa, 0x6f, 0x00, 0xff, 0xff];

test('event message buffer: a BMC event raises ATTN (01 a1); Read Event Message Buffer returns it, NOATTN (00 a1) before its response, then 80h', async (t) => {
  const { open, host } = await setup(t);
  const q = await open();
  await q.waitItems(2);
  q.raw.length = 0;
  // the guest driver enables the buffer and SEL logging, no interrupts: DISABLE_IRQ then the response
  await q.call(request(1, 0x06, 0x2e, [0x0c]));
  assert.equal(Buffer.concat(q.raw).toString('hex'), '06a1' + wire([1, 0x1c, 0x2e, 0x00]).toString('hex'));
  q.raw.length = 0;
  const before = q.items.length;
  host.setDiscrete(0xaa, 0x01);
  await q.waitItems(before + 1);
  assert.equal(Buffer.concat(q.raw).toString('hex'), '01a1');
  q.raw.length = 0;
  const flags = await q.call(request(2, 0x06, 0x31));
  assert.deepEqual([...flags.data], [0x02]);
  assert.equal(Buffer.concat(q.raw).toString('hex'), wire([2, 0x1c, 0x31, 0x00, 0x02]).toString('hex'));
  q.raw.length = 0;
  await q.call(request(3, 0x06, 0x35));
  assert.equal(Buffer.concat(q.raw).toString('hex'), '00a1' + wire([3, 0x1c, 0x35, 0x00, ...intrusion(1)]).toString('hex'));
  q.raw.length = 0;
  await q.call(request(4, 0x06, 0x35));
  assert.equal(Buffer.concat(q.raw).toString('hex'), wire([4, 0x1c, 0x35, 0x80]).toString('hex'));
  assert.deepEqual(q.controls(), ['version', 'no-attn', 'disable-irq', 'attn', 'no-attn']);
});

test('event message buffer: ATTN_IRQ (02 a1) with its interrupt enabled (bit 1), plain ATTN with only the receive queue interrupt', async (t) => {
  const { open, host } = await setup(t);
  const q = await open();
  await q.waitItems(2);
  q.raw.length = 0;
  // as Linux sets them with an interrupt: 0Fh; ENABLE_IRQ (05 a1) before the response
  await q.call(request(1, 0x06, 0x2e, [0x0f]));
  assert.equal(Buffer.concat(q.raw).toString('hex'), '05a1' + wire([1, 0x1c, 0x2e, 0x00]).toString('hex'));
  q.raw.length = 0;
  let before = q.items.length;
  host.setDiscrete(0xaa, 0x01);
  await q.waitItems(before + 1);
  assert.equal(Buffer.concat(q.raw).toString('hex'), '02a1');
  // Clear Message Flags bit 1 empties the buffer: NOATTN before the response
  q.raw.length = 0;
  await q.call(request(2, 0x06, 0x30, [0x02]));
  assert.equal(Buffer.concat(q.raw).toString('hex'), '00a1' + wire([2, 0x1c, 0x30, 0x00]).toString('hex'));
  // receive queue interrupt only (0Dh): still ENABLE_IRQ, but the buffer's event is plain ATTN
  await q.call(request(3, 0x06, 0x2e, [0x0d]));
  q.raw.length = 0;
  before = q.items.length;
  host.setDiscrete(0xaa, 0x00);
  await q.waitItems(before + 1);
  assert.equal(Buffer.concat(q.raw).toString('hex'), '01a1');
  // 0Ah: the buffer's interrupt (bit 1) alone keeps the interface interrupt on (05 a1); the buffer (bit 2)
  // turned off is emptied, so NOATTN follows
  q.raw.length = 0;
  await q.call(request(4, 0x06, 0x2e, [0x0a]));
  assert.equal(Buffer.concat(q.raw).toString('hex'), '05a1' + '00a1' + wire([4, 0x1c, 0x2e, 0x00]).toString('hex'));
  assert.equal(host.eventBuffer.size, 0);
});

test('event message buffer: what the guest itself sends (Add SEL Entry, Platform Event Message) is not echoed back', async (t) => {
  const { open, host } = await setup(t);
  const q = await open();
  await q.call(request(1, 0x06, 0x2e, [0x0c]));
  // Platform Event Message: software id 41h, EvM 04h, temperature #01h, threshold, UNC going high
  assert.equal((await q.call(request(2, 0x04, 0x02, [0x41, 0x04, 0x01, 0x01, 0x01, 0x07, 0xff, 0xff]))).cc, 0);
  // Add SEL Entry of a system event record, generator 0041h
  const add = [0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x41, 0x00, 0x04, 0x12, 0xcb, 0x6f, 0x01, 0xff, 0xff];
  assert.equal((await q.call(request(3, 0x0a, 0x44, add))).cc, 0);
  assert.equal(host.sel.count, 2);
  assert.deepEqual([...(await q.call(request(4, 0x06, 0x31))).data], [0x00]);
  assert.equal((await q.call(request(5, 0x06, 0x35))).cc, 0x80);
  assert.deepEqual(q.controls(), ['version', 'no-attn', 'disable-irq']);
  // a BMC event after them is; it carries the SEL's next record id
  host.setDiscrete(0xaa, 0x01);
  const r = await q.call(request(6, 0x06, 0x35));
  assert.deepEqual([...r.data], intrusion(3));
});

test('event message buffer: a message waiting when QEMU connects is announced with ATTN after VERSION', async (t) => {
  const { open, host } = await setup(t);
  host.setGlobalEnables(0x0c);
  host.setDiscrete(0xaa, 0x01);
  const q = await open();
  await q.waitItems(2);
  assert.equal(Buffer.concat(q.raw).toString('hex'), 'ff01a1' + '01a1');
  const r = await q.call(request(1, 0x06, 0x35));
  assert.deepEqual([...r.data], intrusion(1));
  assert.deepEqual(q.controls(), ['version', 'attn', 'no-attn']);
});

test('sendHardwareOp: refused without QEMU or its capability, sent as a control frame otherwise', async (t) => {
  const { open, server } = await setup(t);
  assert.deepEqual(server.sendHardwareOp('power-off'), { ok: false, reason: 'not-connected' });
  const quiet = await open(false);
  await quiet.waitItems(2);
  await sleep(20);
  assert.deepEqual(server.sendHardwareOp('reset'), { ok: false, reason: 'not-supported' });
  quiet.socket.write(Buffer.from('ff01a10813a1', 'hex')); // an older QEMU: power off, reset, attention; no graceful shutdown
  await sleep(50);
  assert.equal(server.capabilities, 0x13);
  assert.deepEqual(server.sendHardwareOp('graceful-shutdown'), { ok: false, reason: 'not-supported' });
  quiet.raw.length = 0;
  assert.deepEqual(server.sendHardwareOp('power-off'), { ok: true });
  assert.deepEqual(server.sendHardwareOp('reset'), { ok: true });
  await quiet.waitItems(4);
  // golden: PROTOCOL.md section 5, chassis power off / reset as ipmi_sim sends them
  assert.equal(Buffer.concat(quiet.raw).toString('hex'), '03a104a1');
});

test('regression: a watchdog hard reset reaches the VM as RESET (04 a1)', async (t) => {
  const { open, host, clock } = await setup(t);
  host.request('on');
  const q = await open();
  assert.equal((await q.call(setWatchdog(1, 0x01, 0, 0, 20))).cc, 0); // hard reset, 2.0 s
  assert.equal((await q.call(request(2, 0x06, 0x22))).cc, 0);
  q.raw.length = 0;
  const before = q.items.length;
  clock.advance(2_100);
  await q.waitItems(before + 1);
  // golden: PROTOCOL.md section 4/5, B>Q RAW 04 a1 (RESET: hard reset of the machine)
  assert.equal(Buffer.concat(q.raw).toString('hex'), '04a1');
  assert.equal(host.restartCause, 'watchdog');
});

test('the BMC\'s power-off and power cycle reach the VM as POWEROFF (03 a1); chassis reset as RESET', async (t) => {
  const { open, host, server } = await setup(t);
  host.request('on');
  const q = await open();
  await q.call(request(1, ...GET_DEVICE_ID)); // QEMU's CAPABILITIES, sent before it, has been read
  assert.equal(server.capabilities, 0x3f);
  q.raw.length = 0;
  const before = q.items.length;
  assert.equal(host.request('reset', 'chassis-control'), undefined);
  assert.equal(host.request('off', 'chassis-control'), undefined);
  host.request('on');
  assert.equal(host.request('cycle', 'chassis-control'), undefined);
  await q.waitItems(before + 3);
  // golden: PROTOCOL.md section 5, chassis power reset / off / cycle as ipmi_sim sends them
  assert.equal(Buffer.concat(q.raw).toString('hex'), '04a1' + '03a1' + '03a1');
  assert.equal(server.stats.hardwareOps, 3);
});

test('the BMC\'s soft off and diagnostic interrupt reach the VM as GRACEFUL_SHUTDOWN (09 a1) and SEND_NMI (07 a1)', async (t) => {
  const { open, host, server } = await setup(t);
  host.request('on');
  const q = await open();
  await q.call(request(1, ...GET_DEVICE_ID));
  q.raw.length = 0;
  const before = q.items.length;
  assert.equal(host.request('diag', 'chassis-control'), undefined);
  assert.equal(host.request('soft', 'chassis-control'), undefined);
  await q.waitItems(before + 2);
  // golden: PROTOCOL.md section 5, the power button press and NMI control operations
  assert.equal(Buffer.concat(q.raw).toString('hex'), '07a1' + '09a1');
  assert.equal(server.stats.hardwareOps, 2);
});

test('what the host does by itself is not echoed to the VM; machineControl false sends nothing', async (t) => {
  const a = await setup(t);
  a.host.request('on');
  const qa = await a.open();
  await qa.call(request(1, ...GET_DEVICE_ID));
  assert.equal(a.server.capabilities, 0x3f);
  a.links[0]!.reports!.restarted('os-reboot');
  a.links[0]!.reports!.poweredOff('os-poweroff');
  assert.equal(a.host.power, 'off');
  assert.equal(a.host.restartCause, 'soft-reset');
  await sleep(30);
  assert.deepEqual(qa.controls(), ['version', 'no-attn']);
  assert.equal(a.server.stats.hardwareOps, 0);

  const b = await setup(t, { machineControl: false });
  b.host.request('on');
  const qb = await b.open();
  await qb.call(request(1, ...GET_DEVICE_ID));
  assert.equal(b.server.capabilities, 0x3f);
  b.host.request('reset', 'chassis-control');
  b.host.request('off', 'chassis-control');
  await sleep(30);
  assert.deepEqual(qb.controls(), ['version', 'no-attn']);
});

test('machineOpFor: the table of model events and the hardware operation each becomes', () => {
  const host = (requested: 'on' | 'off' | 'cycle' | 'reset' | 'soft' | 'none', restartCause: 'watchdog' | 'chassis-control' | 'soft-reset') => ({
    index: 0,
    powerState: { current: 'off' as const, requested, pending: 'none' as const },
    restartCause,
  });
  const cases: [Parameters<typeof machineOpFor>[0], ReturnType<typeof host>, string | undefined][] = [
    [{ type: 'host-reset', host: 0, cause: 'watchdog' }, host('reset', 'watchdog'), 'reset'],
    [{ type: 'host-reset', host: 0, cause: 'chassis-control' }, host('reset', 'chassis-control'), 'reset'],
    [{ type: 'host-reset', host: 0, cause: 'os-reboot' }, host('on', 'soft-reset'), undefined],
    [{ type: 'host-reset', host: 1, cause: 'watchdog' }, host('reset', 'watchdog'), undefined],
    [{ type: 'power', host: 0, state: 'off', cause: 'chassis-control' }, host('off', 'chassis-control'), 'power-off'],
    [{ type: 'power', host: 0, state: 'off', cause: 'watchdog' }, host('cycle', 'watchdog'), 'power-off'],
    [{ type: 'power', host: 0, state: 'off', cause: 'acpi-shutdown' }, host('soft', 'chassis-control'), undefined],
    [{ type: 'power', host: 0, state: 'off', cause: 'os-poweroff' }, host('on', 'chassis-control'), undefined],
    [{ type: 'power', host: 0, state: 'on', cause: 'chassis-control' }, host('on', 'chassis-control'), undefined],
    [{ type: 'host-signal', host: 0, signal: 'soft-off' }, host('soft', 'chassis-control'), 'graceful-shutdown'],
    [{ type: 'host-signal', host: 0, signal: 'nmi' }, host('on', 'chassis-control'), 'send-nmi'],
    [{ type: 'host-signal', host: 1, signal: 'nmi' }, host('on', 'chassis-control'), undefined],
    [{ type: 'watchdog', host: 0, action: 'expired' }, host('reset', 'watchdog'), undefined],
    [{ type: 'users', userId: 2 }, host('reset', 'watchdog'), undefined],
  ];
  for (const [ev, h, want] of cases) assert.equal(machineOpFor(ev, h), want, JSON.stringify(ev));
});

test('reconnect: QEMU going away and coming back finds the SEL and sensors as they were', async (t) => {
  const { open, server, host } = await setup(t);
  host.request('on');
  const q1 = await open();
  // Platform Event Message from the system interface: generator id is the software id in byte 1
  const pem = await q1.call(request(1, 0x04, 0x02, [0x41, 0x04, 0x01, 0x01, 0x01, 0x07, 0xff, 0xff]));
  assert.equal(pem.cc, 0);
  const reading1 = await q1.call(request(2, 0x04, 0x2d, [0x01])); // Get Sensor Reading, CPU Temp
  const info1 = await q1.call(request(3, 0x0a, 0x40));
  await q1.close();
  await sleep(20);
  assert.equal(server.connected, false);
  const q2 = await open();
  const info2 = await q2.call(request(0x24, 0x0a, 0x40));
  assert.deepEqual([...info2.data.subarray(0, 3)], [...info1.data.subarray(0, 3)], 'same SEL version and entry count');
  assert.ok(info2.data[1]! >= 1);
  const entry = await q2.call(request(0x25, 0x0a, 0x43, [0, 0, 0xff, 0xff, 0, 0xff]));
  assert.equal(entry.data[2 + 7], 0x41, 'generator id: software id from the system interface');
  const reading2 = await q2.call(request(0x26, 0x04, 0x2d, [0x01]));
  assert.equal(reading2.cc, reading1.cc);
  assert.equal(server.stats.connections, 2);
});

test('a new connection replaces a stale one', async (t) => {
  const { open, server } = await setup(t);
  const q1 = await open();
  await q1.waitItems(2);
  const closed = new Promise<void>((resolve) => q1.socket.once('close', () => resolve()));
  const q2 = await open();
  await closed;
  assert.equal(server.connected, true);
  assert.equal((await q2.call(request(9, ...GET_DEVICE_ID))).seq, 9);
});
