// End to end: the BMC's event message buffer and SMS attention on the
// host's system interface, with a real QEMU guest's Linux IPMI driver as
// system software. tsbmc (sim backend) serves the guest's KCS interface over
// QEMU's external-BMC chardev; the harness's wire relay logs every frame.
//   1. The guest driver enables the buffer itself when it loads (Set BMC
//      Global Enables with bit 2, read back; 0Fh with its interrupt).
//   2. Once the guest's commands are done, the System Temp upper
//      non-critical threshold is set below the reading over the LAN: the BMC
//      logs the crossing and puts the event message in the buffer.
//   3. On the chardev: ATTN_IRQ, the driver's Get Message Flags (02h), Read
//      Event Message Buffer with the 16-byte record (NOATTN before that
//      response), then 80h; the 16 bytes are the SEL record the LAN reads.
//   4. The LAN cannot read or clear the host's buffer and flags (0xD4).
// Needs qemu-system-x86_64 and the harness (../shared/tools/qemu-guest beside
// the project, or $QEMU_GUEST_TOOLS); without them it is skipped with a loud
// notice (under CI a missing QEMU fails). About 15 s under TCG once the
// guest images are cached.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ADMIN_PASSWORD, ipmitool, keyValues, run, startBmcProcess } from './helpers/bmc-process.js';
import { QEMU_GUEST_CACHE as CACHE, QEMU_GUEST_TOOLS as TOOLS, prepareQemuGuest } from './helpers/qemu-guest.js';

function freeTcpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

/** One decoded line of the wire relay's capture: a control operation or an IPMI message, both directions. */
type Frame =
  | { dir: 'B>Q' | 'Q>B'; kind: 'ctrl'; name: string }
  | { dir: 'Q>B'; kind: 'req'; netFn: number; cmd: number; data: string }
  | { dir: 'B>Q'; kind: 'rsp'; netFn: number; cmd: number; cc: number; data: string };

/**
 * The capture's decoded lines (`<ms> B>Q CTRL ATTN_IRQ`, `<ms> Q>B MSG seq=.. netfn=0x06 lun=0 cmd=0x35
 * data=[] csum=.. ok`, `<ms> B>Q MSG ... cc=0x00 data=[..] ...`; the RAW lines are skipped).
 */
function frames(capture: string): Frame[] {
  const out: Frame[] = [];
  for (const line of capture.split('\n')) {
    const ctrl = / (B>Q|Q>B) CTRL (\w+)/.exec(line);
    if (ctrl) {
      out.push({ dir: ctrl[1] as 'B>Q' | 'Q>B', kind: 'ctrl', name: ctrl[2]! });
      continue;
    }
    const req = / Q>B MSG\s+seq=0x[0-9a-f]+ netfn=(0x[0-9a-f]+) lun=\d cmd=(0x[0-9a-f]+) data=\[([0-9a-f ]*)\] csum=0x[0-9a-f]+ ok/.exec(line);
    if (req) {
      out.push({ dir: 'Q>B', kind: 'req', netFn: Number(req[1]), cmd: Number(req[2]), data: req[3]! });
      continue;
    }
    const rsp = / B>Q MSG\s+seq=0x[0-9a-f]+ netfn=(0x[0-9a-f]+) lun=\d cmd=(0x[0-9a-f]+) cc=(0x[0-9a-f]+) data=\[([0-9a-f ]*)\] csum=0x[0-9a-f]+ ok/.exec(line);
    if (rsp) out.push({ dir: 'B>Q', kind: 'rsp', netFn: Number(rsp[1]), cmd: Number(rsp[2]), cc: Number(rsp[3]), data: rsp[4]! });
  }
  return out;
}

/** A frame as one comparable string: "B>Q ATTN_IRQ", "Q>B 06/35 []", "B>Q 06/35 cc=80 []". */
function show(f: Frame): string {
  const nc = (netFn: number, cmd: number) => `${netFn.toString(16).padStart(2, '0')}/${cmd.toString(16).padStart(2, '0')}`;
  if (f.kind === 'ctrl') return `${f.dir} ${f.name}`;
  if (f.kind === 'req') return `Q>B ${nc(f.netFn, f.cmd)} [${f.data}]`;
  return `B>Q ${nc(f.netFn & ~1, f.cmd)} cc=${f.cc.toString(16).padStart(2, '0')} [${f.data}]`;
}

test('a BMC event reaches the QEMU guest\'s IPMI driver through the event message buffer and SMS attention', { timeout: 240_000 }, async (t) => {
  if (!(await prepareQemuGuest(t, 'the QEMU event message buffer end-to-end test'))) return;

  const externPort = await freeTcpPort();
  const bmc = await startBmcProcess({ args: ['--extern-port', String(externPort)] });
  t.after(() => bmc.stop());
  assert.equal((await ipmitool(bmc, ['chassis', 'power', 'on'])).code, 0);
  const temp = keyValues((await ipmitool(bmc, ['sensor', 'get', 'System Temp'])).stdout);
  const reading = Number(/^(-?\d+(?:\.\d+)?)/.exec(temp.get('Sensor Reading') ?? '')?.[1]);
  assert.ok(reading > 21, `System Temp reads ${temp.get('Sensor Reading')}; the test sets its UNC to 20`);
  const sensorNumber = Number(/\((0x[0-9a-f]+)\)/.exec(temp.get('Sensor ID') ?? '')?.[1]);

  const dir = mkdtempSync(join(tmpdir(), 'tsbmc-qemu-events-'));
  const commands = join(dir, 'commands.txt');
  // the guest reads the global enables its driver left: 0Fh = event message buffer (2) and its interrupt (1),
  // system event logging (3), receive message queue interrupt (0)
  writeFileSync(commands, '# run by the guest\'s ipmitool on /dev/ipmi0\nraw 0x06 0x2f\n');
  const wire = join(dir, 'wire.log');
  const consoleLog = join(dir, 'console.log');
  // once the guest's commands are done (nothing on /dev/ipmi0 then), the LAN sets System Temp's
  // upper non-critical threshold below the reading; the guest stays up 5 s more
  const lanSetUnc = ['ipmitool', '-I', 'lanplus', '-C', '17', '-H', '127.0.0.1', '-p', String(bmc.port), '-U', 'admin', '-P', ADMIN_PASSWORD, 'sensor', 'thresh', "'System Temp'", 'unc', '20'];
  const r = await run(
    join(TOOLS, 'run-guest.sh'),
    ['--cache', CACHE, '--bmc', `127.0.0.1:${externPort}`, '--commands', commands, '--interface', 'kcs', '--timeout', '120', '--hold', '5',
      '--after-commands', lanSetUnc.join(' '), '--capture', wire, '--log', consoleLog],
    150_000,
  );
  const out = r.stdout + r.stderr;
  t.diagnostic(`${/RESULT .*/.exec(out)?.[0] ?? 'no RESULT line'} (capture ${wire}, console ${consoleLog})`);
  assert.equal(r.code, 0, out);
  assert.match(out, /RESULT PASS SUMMARY total=1 passed=1 failed=0 .*end=guest-poweroff/);
  assert.match(out, /after-commands hook output:\n.*\n\s+Setting sensor "System Temp" Upper Non-Critical threshold to 20\.000\n\s+exit=0/);
  assert.match(readFileSync(consoleLog, 'utf8'), /CMD 1 BEGIN .*:: raw 0x06 0x2f\n[\d.]+ +0f\n/);

  const all = frames(readFileSync(wire, 'utf8'));
  const firstAttention = all.findIndex((f) => f.kind === 'ctrl' && f.dir === 'B>Q' && f.name.startsWith('ATTN'));
  assert.ok(firstAttention > 0, 'tsbmc raised attention');
  // 1. the driver enabled the buffer itself while loading: a Set BMC Global Enables with bit 2; its last one 0Fh
  const sets = all.slice(0, firstAttention).filter((f): f is Extract<Frame, { kind: 'req' }> => f.kind === 'req' && f.netFn === 0x06 && f.cmd === 0x2e);
  assert.ok(sets.some((f) => (parseInt(f.data, 16) & 0x04) !== 0), `the driver's Set BMC Global Enables: ${sets.map(show).join(', ')}`);
  assert.equal(sets.at(-1)?.data, '0f');

  // 2. what followed the LAN's threshold change on the chardev: attention, flags, the message, NOATTN, empty
  const after = all
    .slice(firstAttention)
    .filter((f) => f.kind === 'ctrl' || ((f.netFn & ~1) === 0x06 && (f.cmd === 0x31 || f.cmd === 0x35)))
    .map(show);
  const sel = await ipmitool(bmc, ['raw', '0x0a', '0x43', '0x00', '0x00', '0x01', '0x00', '0x00', '0xff']); // Get SEL Entry 1, whole record
  assert.equal(sel.code, 0, sel.stderr);
  const b = sel.stdout.trim().split(/\s+/).slice(2); // after the next record id: the 16 bytes
  assert.equal(b.length, 16, sel.stdout);
  const record = b.join(' ');
  // SEL record 1: system event (02h), generator 0020h (the BMC), EvM 04h, temperature (01h), System Temp,
  // threshold assertion (01h), data 1 57h (upper non-critical going high; reading and threshold in data 2, 3),
  // data 3 14h (20 degrees)
  assert.deepEqual(
    [b[0], b[1], b[2], b[7], b[8], b[9], b[10], Number(`0x${b[11]}`), b[12], b[13], b[15]],
    ['01', '00', '02', '20', '00', '04', '01', sensorNumber, '01', '57', '14'],
    `SEL record 1: ${record}`,
  );
  assert.deepEqual(after, [
    'B>Q ATTN_IRQ',
    'Q>B 06/31 []',
    'B>Q 06/31 cc=00 [02]',
    'Q>B 06/35 []',
    'B>Q NOATTN',
    `B>Q 06/35 cc=00 [${record}]`,
    'Q>B 06/35 []',
    'B>Q 06/35 cc=80 []',
  ]);

  // 3. the buffer belongs to the system interface: a LAN session may neither read it nor clear or read the flags
  for (const args of [['0x06', '0x35'], ['0x06', '0x31'], ['0x06', '0x30', '0x02']]) {
    const lan = await ipmitool(bmc, ['raw', ...args]);
    assert.notEqual(lan.code, 0);
    assert.match(lan.stderr, /rsp=0xd4/, `raw ${args.join(' ')} over the LAN`);
  }
  assert.match((await ipmitool(bmc, ['sel', 'list'])).stdout, /^\s+1 \| .* \| Temperature #0x[0-9a-f]+ \| Upper Non-critical going high \| Asserted/m);
});
