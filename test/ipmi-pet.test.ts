// PEF alerting with real clients against the real tsbmc process: ipmitool
// sets the LAN alert destination and community, raw Set PEF Configuration
// Parameters write an alert policy and a filter with the alert action, and
// an event (`ipmitool event 1`) reaches Debian's snmptrapd as a Platform
// Event Trap; FreeIPMI's ipmi-pet decodes the trap's variable binding back to
// the sensor and event. Alert Immediate delivers a trap on request. The trap
// goes to UDP port 162 (the LAN parameters hold no port), so snmptrapd
// listens there on 127.0.0.1: the test needs root and snmptrapd, and skips
// loudly without them (under CI=true it fails instead).
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { freeipmi, ipmitool, startBmcProcess, waitFor, type BmcProcess } from './helpers/bmc-process.js';

const SNMPTRAPD = ['/usr/sbin/snmptrapd', '/usr/bin/snmptrapd'].find((p) => existsSync(p));
const IPMI_PET = ['/usr/sbin/ipmi-pet', '/usr/bin/ipmi-pet'].find((p) => existsSync(p));
const isRoot = process.getuid?.() === 0;
const missing = !SNMPTRAPD ? 'snmptrapd (apt snmptrapd)' : !IPMI_PET ? 'ipmi-pet (apt freeipmi-tools)' : !isRoot ? 'root (trap port 162)' : undefined;
if (missing) {
  if (process.env.CI === 'true') throw new Error(`ipmi-pet.test: ${missing} is required under CI`);
  console.error(`\n!!! ipmi-pet.test SKIPPED: ${missing} is missing !!!\n`);
}

let bmc: BmcProcess;
let dir: string;
let trapd: ChildProcess;
let traps = '';

before(async () => {
  if (missing) return;
  dir = mkdtempSync(join(tmpdir(), 'tsbmc-pet-'));
  const conf = join(dir, 'snmptrapd.conf');
  writeFileSync(conf, 'disableAuthorization yes\n');
  trapd = spawn(SNMPTRAPD!, ['-f', '-Lo', '-On', '-C', '-c', conf, '-F', 'TRAP %N %w %q %v community=%P\\n', 'udp:127.0.0.1:162'], { stdio: ['ignore', 'pipe', 'pipe'] });
  trapd.stdout!.on('data', (b: Buffer) => (traps += b.toString()));
  trapd.stderr!.on('data', (b: Buffer) => (traps += b.toString()));
  await waitFor(async () => (/NET-SNMP version/.test(traps) ? true : undefined));
  bmc = await startBmcProcess({ keepState: true });
});
after(async () => {
  if (missing) return;
  await bmc.stop();
  trapd.kill();
  rmSync(bmc.stateDir, { recursive: true, force: true });
  rmSync(dir, { recursive: true, force: true });
});

async function ok(args: string[]): Promise<string> {
  const r = await ipmitool(bmc, args);
  assert.equal(r.code, 0, `ipmitool ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

const hex = (n: number): string => `0x${n.toString(16).padStart(2, '0')}`;

/** The next trap line after `from` characters of snmptrapd output. */
async function nextTrap(from: number): Promise<{ enterprise: string; specific: number; bytes: number[] }> {
  // one trap: from "TRAP" over its wrapped hex string to the community
  const line = await waitFor(async () => /TRAP [^\n]*Hex-STRING: [0-9A-F \n]*community=[^\n]*\n/.exec(traps.slice(from))?.[0]);
  const m = /^TRAP (\S+) (\d+) \.?(\d+) .*Hex-STRING: ([0-9A-F ]+)/.exec(line.replace(/\s+/g, ' '));
  assert.ok(m, line);
  return { enterprise: m[1]!, specific: Number(m[3]), bytes: m[4]!.trim().split(' ').map((h) => parseInt(h, 16)) };
}

test('an event matching an alert filter reaches snmptrapd as a PET that ipmi-pet decodes', { skip: missing }, async () => {
  await ok(['lan', 'alert', 'set', '1', '1', 'ipaddr', '127.0.0.1']);
  await ok(['lan', 'set', '1', 'snmp', 'tsbmc-pet']);
  const print = await ok(['lan', 'alert', 'print', '1', '1']);
  assert.match(print, /Alert IP Address\s+: 127\.0\.0\.1/);
  assert.match(print, /Destination Type\s+: PET Trap/);
  // alert policy entry 1: policy 1, enabled, always send; channel 1, destination 1; no string
  await ok(['raw', '0x04', '0x12', '0x09', '0x01', '0x18', '0x11', '0x00']);
  assert.equal((await ok(['raw', '0x04', '0x13', '0x09', '0x01', '0x00'])).trim(), '11 01 18 11 00');
  // filter 1: enabled, alert via policy 1, severity critical (10h), any temperature event
  const filter = [0x80, 0x01, 0x01, 0x10, 0xff, 0xff, 0x01, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0];
  await ok(['raw', '0x04', '0x12', '0x06', '0x01', ...filter.map(hex)]);
  const policies = await ok(['pef', 'policy', 'list']);
  assert.match(policies, /1\s*\|\s*1\s*\|\s*enabled/i);

  const from = traps.length;
  await ok(['event', '1']);
  const trap = await nextTrap(from);
  assert.equal(trap.enterprise, '.1.3.6.1.4.1.3183.1.1');
  // temperature (01h), threshold (01h), assertion, offset 9 (upper critical going high)
  assert.equal(trap.specific, 0x010109);
  assert.equal(trap.bytes.length, 47);
  assert.equal(trap.bytes[26], 0x10, 'severity');
  assert.equal(trap.bytes[46], 0xc1, 'no OEM fields');
  assert.match(traps.slice(from), /community=.*community tsbmc-pet/);

  // ipmi-pet reads the SDR from the BMC the trap came from to name the sensor
  const decoded = await freeipmi('ipmi-pet', bmc, ['--sdr-cache-directory', bmc.stateDir, '--no-header-output', String(trap.specific), ...trap.bytes.map((b) => b.toString(16).padStart(2, '0'))]);
  assert.equal(decoded.code, 0, decoded.stderr);
  assert.match(decoded.stdout, /Temperature/);
  assert.match(decoded.stdout, /Upper Critical - going high/i);
  assert.match(decoded.stdout, /Critical/);
});

test('Alert Immediate sends a PET to the destination at once, with the alert string', { skip: missing }, async () => {
  // alert string 1: "node down" (block 1)
  const text = [...Buffer.from('node down'), 0];
  await ok(['raw', '0x04', '0x12', '0x0d', '0x01', '0x01', ...text.map(hex)]);
  const back = (await ok(['raw', '0x04', '0x13', '0x0d', '0x01', '0x01'])).trim();
  assert.match(back, /^11 01 01 6e 6f 64 65 20 64 6f 77 6e 00/);
  const from = traps.length;
  await ok(['raw', '0x04', '0x16', '0x01', '0x01', '0x81']);
  const trap = await nextTrap(from);
  assert.equal(trap.enterprise, '.1.3.6.1.4.1.3183.1.1');
  assert.deepEqual(trap.bytes.slice(46), [0xc9, ...Buffer.from('node down'), 0xc1]);
  // get status: normal end
  assert.equal((await ok(['raw', '0x04', '0x16', '0x01', '0x40'])).trim(), '01');
  // a destination that does not exist: CCh
  const bad = await ipmitool(bmc, ['raw', '0x04', '0x16', '0x01', '0x0f']);
  assert.match(bad.stderr, /rsp=0xcc/);
});
