// Sensors, SDR, SEL, FRU and DCMI with real ipmitool, checked against the
// platform profile the BMC runs (names, units, thresholds, absent devices).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ipmitool, keyValues, startBmcProcess, waitFor, type BmcProcess } from './helpers/bmc-process.js';

interface ProfileSensor {
  number: number;
  name: string;
  kind?: string;
  unit?: string;
  present?: boolean;
  thresholds?: Record<string, number>;
}
const profile = JSON.parse(readFileSync(fileURLToPath(new URL('../../profiles/default-1u.json', import.meta.url)), 'utf8')) as {
  host: { sensors: ProfileSensor[]; fru: { product: { name: string }; board: { manufacturer: string } } };
};

let bmc: BmcProcess;
before(async () => {
  bmc = await startBmcProcess();
  const r = await ipmitool(bmc, ['chassis', 'power', 'on']);
  assert.equal(r.code, 0, r.stderr);
});
after(async () => {
  await bmc.stop();
});

async function ok(args: string[]): Promise<string> {
  const r = await ipmitool(bmc, args);
  assert.equal(r.code, 0, `ipmitool ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

function rows(text: string): string[][] {
  return text
    .trim()
    .split('\n')
    .map((l) => l.split('|').map((c) => c.trim()));
}

test('sensor list shows every profile sensor with its thresholds; absent ones read na', async () => {
  await waitFor(async () => (/CPU Temp\s+\|\s+\d/.test(await ok(['sensor', 'list'])) ? true : undefined), 8000);
  const list = rows(await ok(['sensor', 'list']));
  const byName = new Map(list.map((r) => [r[0]!, r]));
  for (const s of profile.host.sensors) {
    const row = byName.get(s.name);
    assert.ok(row, `sensor ${s.name} listed`);
    if (s.kind === 'discrete') continue;
    if (s.present === false) {
      assert.equal(row[1], 'na', `${s.name} absent`);
      continue;
    }
    assert.equal(row[2], s.unit, `${s.name} unit`);
    assert.match(row[1]!, /^-?\d+\.\d{3}$/, `${s.name} reading`);
    const t = s.thresholds ?? {};
    const cols: [string, number][] = [['lnr', 4], ['lc', 5], ['lnc', 6], ['unc', 7], ['uc', 8], ['unr', 9]];
    for (const [name, col] of cols) {
      if (t[name] === undefined) continue;
      assert.equal(Number(row[col]), t[name], `${s.name} ${name}`);
    }
  }
});

test('sensor get and thresh set read back', async () => {
  const g = await ok(['sensor', 'get', '12V']);
  assert.match(g, /Sensor Type \(Threshold\)\s+: Voltage/);
  assert.match(g, /Upper Critical\s+: 13\.260/);
  await ok(['sensor', 'thresh', 'CPU Temp', 'unc', '80']);
  const after1 = rows(await ok(['sensor', 'list'])).find((r) => r[0] === 'CPU Temp')!;
  assert.equal(Number(after1[7]), 80);
  // an upper threshold below the reading asserts an event in the SEL
  await ok(['sel', 'clear']);
  await ok(['sensor', 'thresh', 'System Temp', 'unc', '1']);
  await waitFor(async () => (/System Temp.*Upper Non-critical going high.*Asserted/i.test(await ok(['sel', 'elist'])) ? true : undefined), 5000);
  await ok(['sensor', 'thresh', 'System Temp', 'unc', '80']);
});

test('sdr list, elist, type, info, dump', async () => {
  const list = await ok(['sdr', 'list']);
  assert.match(list, /^CPU Temp\s+\|\s+\d+ degrees C\s+\|\s+ok/m);
  assert.match(list, /^FAN3\s+\|\s+no reading\s+\|\s+ns/m);
  const elist = await ok(['sdr', 'elist']);
  assert.match(elist, /^12V\s+\|\s+30h\s+\|\s+ok\s+\|\s+7\.1\s+\|\s+\d+\.\d+ Volts/m);
  const temps = await ok(['sdr', 'type', 'Temperature']);
  assert.ok(temps.split('\n').filter((l) => l.includes('Temp')).length >= 10);
  const info = keyValues(await ok(['sdr', 'info']));
  assert.equal(info.get('SDR Version'), '0x51');
  assert.ok(Number(info.get('Record Count')) >= profile.host.sensors.length);
  const dump = `${bmc.stateDir}/sdr.bin`;
  assert.match(await ok(['sdr', 'dump', dump]), /Dumping Sensor Data Repository/);
  assert.ok(readFileSync(dump).length > 48 * 10);
});

test('sel info, add, list, elist, delete, clear, time', async () => {
  await ok(['sel', 'clear']);
  await new Promise((r) => setTimeout(r, 100));
  let info = keyValues(await ok(['sel', 'info']));
  assert.equal(info.get('Version'), '1.5 (v1.5, v2 compliant)');
  const entries0 = Number(info.get('Entries'));
  const file = `${bmc.stateDir}/events.txt`;
  const { writeFileSync } = await import('node:fs');
  writeFileSync(file, '0x04 0x01 0x30 0x01 0x07 0x00 0x00 # 12V\n');
  await ok(['sel', 'add', file]);
  info = keyValues(await ok(['sel', 'info']));
  assert.equal(Number(info.get('Entries')), entries0 + 1);
  const list = await ok(['sel', 'list']);
  const last = list.trim().split('\n').at(-1)!;
  assert.match(last, /Voltage #0x01|Temperature|Voltage/);
  const id = last.split('|')[0]!.trim();
  assert.match(await ok(['sel', 'delete', `0x${id}`]), /Deleted entry/);
  info = keyValues(await ok(['sel', 'info']));
  assert.equal(Number(info.get('Entries')), entries0);
  assert.match(await ok(['sel', 'clear']), /Clearing SEL/);
  const t = await ok(['sel', 'time', 'get']);
  assert.match(t, /^\d{2}\/\d{2}\/\d{2} \d{2}:\d{2}:\d{2}/);
  await ok(['sel', 'time', 'set', '01/02/30 03:04:05']);
  assert.match(await ok(['sel', 'time', 'get']), /^01\/02\/30 03:04:0[5-9]/);
  await ok(['sel', 'time', 'set', 'now']);
});

test('fru print shows the profile inventory', async () => {
  const f = await ok(['fru', 'print', '0']);
  assert.match(f, /Product Name\s+: tsbmc Simulated 1U Server/);
  assert.match(f, new RegExp(`Board Mfg\\s+: ${profile.host.fru.board.manufacturer}`));
  assert.match(f, /Chassis Type\s+: Rack Mount Chassis/);
});

test('dcmi discover, power reading, temperature readings', async () => {
  const d = await ok(['dcmi', 'discover']);
  assert.match(d, /Power management available/);
  assert.match(d, /1024 SEL entries/);
  assert.match(d, /Primary LAN channel number: 1 is available/);
  const p = await ok(['dcmi', 'power', 'reading']);
  const w = Number(/Instantaneous power reading:\s+(\d+) Watts/.exec(p)?.[1]);
  assert.ok(w > 20 && w < 400, `power ${w}`);
  const t = await ok(['dcmi', 'get_temp_reading']);
  assert.match(t, /Inlet|CPU|Baseboard/i);
});

test('raw Get Device ID', async () => {
  const r = await ok(['raw', '0x06', '0x01']);
  assert.match(r, /^ 20 01 00 01 02/);
});

test('dcmi power limit is enforced: capped reading, then the exception actions (log, then hard power off)', async () => {
  await ok(['chassis', 'power', 'on']);
  await ok(['sel', 'clear']);
  // a reachable limit: the platform throttles, the reading stays under it
  await ok(['dcmi', 'power', 'set_limit', 'limit', '100']);
  await ok(['dcmi', 'power', 'set_limit', 'correction', '1000']);
  await ok(['dcmi', 'power', 'set_limit', 'action', 'sel_logging']);
  await ok(['dcmi', 'power', 'activate']);
  await new Promise((r) => setTimeout(r, 2500));
  const p = await ok(['dcmi', 'power', 'reading']);
  const w = Number(/Instantaneous power reading:\s+(\d+) Watts/.exec(p)?.[1]);
  assert.ok(w > 0 && w <= 100, `capped power ${w} W`);
  // a limit below the idle draw (65 W) cannot be met: logged after the correction time, host stays on
  await ok(['dcmi', 'power', 'set_limit', 'limit', '40']);
  await waitFor(async () => (/OEM record c0/.test(await ok(['sel', 'list'])) ? true : undefined), 10_000);
  const rec = (await ok(['sel', 'list'])).trim().split('\n').at(-1)!;
  // manufacturer 000000, then DCh, action 11h, average watts, limit 40 (28h 00h)
  assert.match(rec, /OEM record c0 \| 000000 \| dc11[0-9a-f]{4}2800/, rec);
  assert.equal(keyValues(await ok(['chassis', 'status'])).get('System Power'), 'on');
  await ok(['dcmi', 'power', 'set_limit', 'action', 'power_off']);
  await waitFor(async () => (keyValues(await ok(['chassis', 'status'])).get('System Power') === 'off' ? true : undefined), 10_000);
  await ok(['dcmi', 'power', 'deactivate']);
});
