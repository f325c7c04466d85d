// End to end: tsbmc as QEMU's external BMC. Boots the qemu-guest tools' tiny
// Linux guest (ipmi-bmc-extern chardev) twice against one tsbmc process and
// runs ipmitool inside it through the kernel driver, comparing what the guest
// sees with what ipmitool over the LAN and Redfish see of the same BMC:
//   1. KCS: mc info, raw Get Device ID, fru print, sensor list, sdr elist,
//      mc watchdog get (after the guest set the timer up without starting
//      it), Add SEL Entry of a system software event (generator 0041h), sel
//      list and sel get, each compared with LAN at a moment nothing changes;
//      the entry seen over the LAN and in both Redfish SEL log services.
//   2. BT, reconnecting to the same tsbmc: mc info, sensor list, fru print and
//      sel list still agree with the LAN (the entry of run 1 is there); then
//      the guest arms a hard-reset watchdog and leaves it to expire: tsbmc
//      logs it, sends RESET on the chardev (captured by the harness's wire
//      relay), and QEMU resets the VM (QMP RESET, the guest boots again).
// Needs qemu-system-x86_64 and the harness (../shared/tools/qemu-guest beside
// the project, or $QEMU_GUEST_TOOLS); without them it is skipped with a loud
// notice (under CI a missing QEMU fails). About 45 s under TCG once the guest
// images are cached; the first build downloads ~73 MB of Debian packages
// into .cache/qemu-guest.
import assert from 'node:assert/strict';
import { QEMU_GUEST_TOOLS as TOOLS, QEMU_GUEST_CACHE as CACHE, prepareQemuGuest } from './helpers/qemu-guest.js';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ipmitool, keyValues, redfish, run, startBmcProcess, type BmcProcess, type RunResult } from './helpers/bmc-process.js';

// ipmitool prints SEL times in local time; the guest has no zone, so the LAN side runs in UTC too
process.env.TZ = 'UTC';

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

/**
 * Add SEL Entry (IPMI v2.0 31.6) of a system event record as system software
 * sends it: record id 0000h (the BMC assigns one), type 02h, timestamp 0 (the
 * BMC stamps it), generator 0041h (software id 20h, system management
 * software; channel 0), EvM rev 04h, sensor type 12h System Event, sensor
 * CBh (the profile's System Event sensor), sensor-specific, offset 01h "OEM
 * System Boot Event", no event data 2/3.
 */
const ADD_SEL_ENTRY = 'raw 0x0a 0x44 0x00 0x00 0x02 0x00 0x00 0x00 0x00 0x41 0x00 0x04 0x12 0xcb 0x6f 0x01 0xff 0xff';
/** Set Watchdog Timer (27.6): use SMS/OS, hard reset, no pre-timeout, 300.0 s; not started. */
const SET_WATCHDOG_STOPPED = 'raw 0x06 0x24 0x04 0x01 0x00 0x00 0xb8 0x0b';
/** The same with 3.0 s, to be started with Reset Watchdog Timer and left to expire. */
const SET_WATCHDOG_3S = 'raw 0x06 0x24 0x04 0x01 0x00 0x00 0x1e 0x00';

const KCS_COMMANDS = [
  'mc info',
  'raw 0x06 0x01',
  'fru print',
  'sensor list',
  'sdr elist',
  SET_WATCHDOG_STOPPED,
  'mc watchdog get',
  ADD_SEL_ENTRY,
  'sel list',
  'sel get 1',
];

const BT_COMMANDS = ['mc info', 'sensor list', 'fru print', 'sel list', SET_WATCHDOG_3S, 'mc watchdog reset', 'mc watchdog get'];

interface GuestCommand {
  readonly text: string;
  readonly result: string;
  readonly output: string;
}

/**
 * The first boot's commands and their output from run-guest.sh's console log
 * (`<seconds> <line>`, the guest's markers `===QG=== CMD n BEGIN ... :: text`
 * and `===QG=== CMD n END PASS|FAIL ...` around each command's output).
 */
function guestCommands(consoleLog: string): GuestCommand[] {
  const out: GuestCommand[] = [];
  let current: { text: string; lines: string[] } | undefined;
  let boots = 0;
  for (const raw of consoleLog.split('\n')) {
    const line = raw.replace(/^\d+\.\d+ ?/, '');
    if (line.startsWith('===QG=== BOOT ') && ++boots > 1) break;
    const begin = /^===QG=== CMD \d+ BEGIN .*? :: (.*)$/.exec(line);
    const end = /^===QG=== CMD \d+ END (\w+)/.exec(line);
    if (begin) current = { text: begin[1]!, lines: [] };
    else if (end && current) {
      out.push({ text: current.text, result: end[1]!, output: current.lines.join('\n') });
      current = undefined;
    } else if (current) current.lines.push(line);
  }
  return out;
}

/** The output of the guest's first command `text`. */
function guestOutput(cmds: readonly GuestCommand[], text: string): string {
  const c = cmds.find((x) => x.text === text);
  assert.ok(c, `the guest did not run "${text}"`);
  assert.equal(c.result, 'PASS', `guest "${text}" failed:\n${c.output}`);
  return c.output;
}

/** Text compared "modulo whitespace": trailing blanks of each line and trailing empty lines dropped. */
function norm(text: string): string {
  return text
    .split('\n')
    .map((l) => l.trimEnd())
    .join('\n')
    .replace(/\n+$/, '');
}

/**
 * `sensor list` rows with the reading of threshold sensors reduced to
 * "number" or "na": the simulated readings drift between two reads, names,
 * units, status and all six thresholds must not. Discrete readings are kept.
 */
function sensorRows(text: string): string[][] {
  return norm(text)
    .split('\n')
    .map((l) => l.split('|').map((c) => c.trim()))
    .map(([name = '', reading = '', unit = '', ...rest]) => [name, unit === 'discrete' ? reading : /^-?\d+\.\d+$/.test(reading) ? '<number>' : reading, unit, ...rest]);
}

/** `sdr elist` rows with a numeric reading's value masked and its unit kept. */
function sdrRows(text: string): string[][] {
  return norm(text)
    .split('\n')
    .map((l) => l.split('|').map((c) => c.trim()))
    .map((cols) => cols.map((c, i) => (i === 4 ? c.replace(/^-?\d+(\.\d+)?(?= |$)/, '<number>') : c)));
}

/** ipmitool over the LAN; its stdout, then its stderr (the guest's console has both, e.g. "SEL has no entries"). */
async function lan(bmc: BmcProcess, args: string[]): Promise<string> {
  const r = await ipmitool(bmc, args);
  assert.equal(r.code, 0, `LAN ipmitool ${args.join(' ')}: ${r.stderr}`);
  return r.stdout + r.stderr;
}

async function runGuest(externPort: number, dir: string, name: string, commands: readonly string[], extra: string[]): Promise<{ r: RunResult; out: string; consoleLog: string }> {
  writeFileSync(join(dir, `${name}.txt`), `# run by the guest's ipmitool on /dev/ipmi0 (${name} -> QEMU -> chardev -> tsbmc)\n${commands.join('\n')}\n`);
  const log = join(dir, `${name}-console.log`);
  const r = await run(
    join(TOOLS, 'run-guest.sh'),
    ['--cache', CACHE, '--bmc', `127.0.0.1:${externPort}`, '--commands', join(dir, `${name}.txt`), '--timeout', '120', '--log', log, ...extra],
    150_000,
  );
  return { r, out: r.stdout + r.stderr, consoleLog: existsSync(log) ? readFileSync(log, 'utf8') : '' };
}

test('a QEMU guest uses tsbmc as its BMC over KCS and BT, and sees what the LAN and Redfish see', { timeout: 290_000 }, async (t) => {
  if (!(await prepareQemuGuest(t, 'the QEMU external-BMC end-to-end test'))) return;

  const externPort = await freeTcpPort();
  const bmc = await startBmcProcess({ args: ['--extern-port', String(externPort)] });
  t.after(() => bmc.stop());
  // the watchdog's hard reset acts on a host that is on
  assert.equal((await ipmitool(bmc, ['chassis', 'power', 'on'])).code, 0);
  assert.match(await lan(bmc, ['sel', 'list']), /SEL has no entries/);
  const dir = mkdtempSync(join(tmpdir(), 'tsbmc-qemu-'));
  let selAfterKcs = '';

  await t.test('KCS: the guest reads the same BMC as the LAN, and its SEL entry shows over LAN and Redfish', async (t) => {
    const { r, out, consoleLog } = await runGuest(externPort, dir, 'kcs', KCS_COMMANDS, ['--interface', 'kcs']);
    t.diagnostic(`KCS run: ${/RESULT .*/.exec(out)?.[0] ?? 'no RESULT line'} (console log ${join(dir, 'kcs-console.log')})`);
    assert.equal(r.code, 0, out);
    assert.match(out, new RegExp(`RESULT PASS SUMMARY total=${KCS_COMMANDS.length} passed=${KCS_COMMANDS.length} failed=0 .*end=guest-poweroff`));
    const g = guestCommands(consoleLog);
    // the run is over and the guest powered off: nothing changes the BMC until the next run
    const [mcInfo, deviceId, fru, sensors, sdr, watchdog, sel, selGet] = await Promise.all([
      lan(bmc, ['mc', 'info']),
      lan(bmc, ['raw', '0x06', '0x01']),
      lan(bmc, ['fru', 'print']),
      lan(bmc, ['sensor', 'list']),
      lan(bmc, ['sdr', 'elist']),
      lan(bmc, ['mc', 'watchdog', 'get']),
      lan(bmc, ['sel', 'list']),
      lan(bmc, ['sel', 'get', '1']),
    ]);
    assert.match(guestOutput(g, 'mc info'), /Device ID\s+: 32/);
    assert.equal(norm(guestOutput(g, 'mc info')), norm(mcInfo), 'mc info: guest vs LAN');
    assert.equal(norm(guestOutput(g, 'raw 0x06 0x01')), norm(deviceId), 'Get Device ID bytes: guest vs LAN');
    assert.match(guestOutput(g, 'fru print'), /Product Name\s+: \S/);
    assert.equal(norm(guestOutput(g, 'fru print')), norm(fru), 'fru print: guest vs LAN');
    assert.match(guestOutput(g, 'sensor list'), /System Temp\s+\|\s+[\d.]+\s+\| degrees C\s+\| ok/);
    assert.deepEqual(sensorRows(guestOutput(g, 'sensor list')), sensorRows(sensors), 'sensor list: guest vs LAN');
    assert.deepEqual(sdrRows(guestOutput(g, 'sdr elist')), sdrRows(sdr), 'sdr elist: guest vs LAN');
    // the timer the guest set up (not started) reads the same from both sides
    assert.match(guestOutput(g, 'mc watchdog get'), /Watchdog Timer Use:\s+SMS\/OS \(0x04\)[\s\S]*Watchdog Timer Is:\s+Stopped[\s\S]*Hard Reset \(0x01\)[\s\S]*Initial Countdown:\s+300\.0 sec/);
    assert.equal(norm(guestOutput(g, 'mc watchdog get')), norm(watchdog), 'mc watchdog get: guest vs LAN');
    // the guest's Add SEL Entry got record id 1 (the log was empty); the record is stored as sent, stamped with the time
    assert.equal(guestOutput(g, ADD_SEL_ENTRY).trim(), '01 00');
    assert.match(guestOutput(g, 'sel list'), /^\s+1 \| .* \| System Event #0xcb \| OEM System boot event \| Asserted$/m);
    assert.equal(norm(guestOutput(g, 'sel list')), norm(sel), 'sel list: guest vs LAN');
    assert.match(selGet, /Generator ID\s+: 0041/);
    assert.equal(norm(guestOutput(g, 'sel get 1')), norm(selGet), 'sel get 1: guest vs LAN');
    selAfterKcs = sel;

    for (const path of ['/redfish/v1/Systems/system/LogServices/EventLog/Entries/1', '/redfish/v1/Managers/bmc/LogServices/SEL/Entries/1']) {
      const e = await redfish(bmc, 'GET', path);
      assert.equal(e.status, 200, path);
      assert.deepEqual(
        { EntryType: e.body.EntryType, GeneratorId: e.body.GeneratorId, SensorType: e.body.SensorType, SensorNumber: e.body.SensorNumber, Message: e.body.Message },
        { EntryType: 'SEL', GeneratorId: '0x0041', SensorType: 'System Event', SensorNumber: 0xcb, Message: 'System Event: OEM System boot event, Asserted' },
        path,
      );
    }
  });

  await t.test('BT, same tsbmc: the reconnected guest sees the same state; its expired watchdog resets the VM', async (t) => {
    assert.ok(selAfterKcs, 'the KCS run passed');
    const wire = join(dir, 'bt-wire.log');
    // after its commands the guest waits; the 3 s watchdog expires and the BMC resets it: the run ends at boot 2
    const { r, out, consoleLog } = await runGuest(externPort, dir, 'bt', BT_COMMANDS, ['--interface', 'bt', '--hold', '30', '--expect-end', 'reset', '--capture', wire]);
    t.diagnostic(`BT run: ${/RESULT .*/.exec(out)?.[0] ?? 'no RESULT line'} (console log ${join(dir, 'bt-console.log')}, chardev capture ${wire})`);
    assert.equal(r.code, 0, out);
    assert.match(out, new RegExp(`RESULT PASS SUMMARY total=${BT_COMMANDS.length} passed=${BT_COMMANDS.length} failed=0 .*boots=2 end=reset`));
    assert.match(consoleLog, /===QG=== BOOT .*iface=bt/);
    const g = guestCommands(consoleLog);
    const [mcInfo, fru, sensors] = await Promise.all([lan(bmc, ['mc', 'info']), lan(bmc, ['fru', 'print']), lan(bmc, ['sensor', 'list'])]);
    assert.equal(norm(guestOutput(g, 'mc info')), norm(mcInfo), 'mc info over BT vs LAN');
    assert.equal(norm(guestOutput(g, 'fru print')), norm(fru), 'fru print over BT vs LAN');
    assert.deepEqual(sensorRows(guestOutput(g, 'sensor list')), sensorRows(sensors), 'sensor list over BT vs LAN');
    // a new QEMU connection, the same model: the KCS run's entry, and nothing else, until the watchdog fired
    assert.equal(norm(guestOutput(g, 'sel list')), norm(selAfterKcs), 'sel list over BT vs LAN after the KCS run');
    assert.match(guestOutput(g, 'mc watchdog get'), /Watchdog Timer Is:\s+Started\/Running/);

    // the BMC sent exactly one hard reset on the chardev (PROTOCOL.md section 4: 04 a1), and QEMU reset the machine
    const ctrl = readFileSync(wire, 'utf8').split('\n').filter((l) => / B>Q CTRL (RESET|POWEROFF)/.test(l));
    assert.equal(ctrl.length, 1, `chardev control frames from the BMC:\n${ctrl.join('\n')}`);
    assert.match(ctrl[0]!, / B>Q CTRL RESET$/);
    assert.match(out, /\+[\d.]+ RESET \{"guest":true,"reason":"guest-reset"\}/, 'QMP RESET event');
    assert.match(out, /guest was reset: boot #2 started/);

    // the expiry as the LAN and Redfish see it: one Watchdog 2 hard reset record after the KCS run's, the restart cause, the flag
    const sel = norm(await lan(bmc, ['sel', 'list'])).split('\n');
    assert.deepEqual(sel.slice(0, -1), norm(selAfterKcs).split('\n'));
    assert.match(sel.at(-1)!, /^\s+2 \| .* \| Watchdog2 #0xca \| Hard reset \| Asserted$/);
    assert.equal(keyValues(await lan(bmc, ['chassis', 'restart_cause'])).get('System restart cause'), 'watchdog expired');
    assert.match(await lan(bmc, ['mc', 'watchdog', 'get']), /Watchdog Timer Is:\s+Stopped[\s\S]*Timer Expiration Flags:\s+.*\(0x10\)/);
    const e = await redfish(bmc, 'GET', '/redfish/v1/Systems/system/LogServices/EventLog/Entries/2');
    assert.equal(e.status, 200);
    assert.equal(e.body.GeneratorId, '0x0020');
    assert.match(e.body.Message, /Hard reset/);
  });
});
