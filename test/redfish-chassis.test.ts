// Chassis resources against the real tsbmc process, checked with real
// clients: sensor readings and thresholds equal what `ipmitool sensor list`
// shows; thresholds set over either door show in the other; a threshold set
// below the reading logs an SEL record; identify both ways (Get Chassis
// Status byte 3 bits 5:4); power off over IPMI empties the main-power
// sensors; python3-sushy reads the chassis, Thermal and Power; the legacy
// Power's PowerLimit is the DCMI power limit.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ADMIN_PASSWORD, ipmitool, python, redfish, startBmcProcess, waitFor, type BmcProcess } from './helpers/bmc-process.js';

let bmc: BmcProcess;
before(async () => {
  bmc = await startBmcProcess();
  await ipmi(['chassis', 'power', 'on']);
});
after(async () => {
  await bmc.stop();
});

const C = '/redfish/v1/Chassis/chassis';
/** requests lets a CA bundle in the environment override verify=False (psf/requests#3829). */
const NO_CA_ENV = { REQUESTS_CA_BUNDLE: '', CURL_CA_BUNDLE: '' };

async function ipmi(args: string[]): Promise<string> {
  const r = await ipmitool(bmc, args);
  assert.equal(r.code, 0, `ipmitool ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

async function get(path: string): Promise<any> {
  const r = await redfish(bmc, 'GET', path);
  assert.equal(r.status, 200, `GET ${path}: ${r.text}`);
  return r.body;
}

async function patch(path: string, body: unknown): Promise<any> {
  const r = await redfish(bmc, 'PATCH', path, { body });
  assert.equal(r.status, 200, `PATCH ${path}: ${r.text}`);
  return r.body;
}

interface IpmiRow {
  value: number | null;
  unit: string;
  thresholds: (number | null)[];
}

/** `ipmitool sensor list` rows: name | value | unit | status | lnr | lc | lnc | unc | uc | unr. */
function sensorList(text: string): Map<string, IpmiRow> {
  const out = new Map<string, IpmiRow>();
  const num = (s: string | undefined): number | null => (s === undefined || s === 'na' || s === '' ? null : Number(s));
  for (const line of text.split('\n')) {
    const cols = line.split('|').map((c) => c.trim());
    if (cols.length < 10) continue;
    out.set(cols[0]!, { value: num(cols[1]), unit: cols[2]!, thresholds: cols.slice(4, 10).map(num) });
  }
  return out;
}

const ORDER = ['LowerFatal', 'LowerCritical', 'LowerCaution', 'UpperCaution', 'UpperCritical', 'UpperFatal'] as const;
const r3 = (v: number): number => Math.round(v * 1000) / 1000;

/** Every Sensor resource, by Name. */
async function redfishSensors(): Promise<Map<string, any>> {
  const coll = await get(`${C}/Sensors`);
  const out = new Map<string, any>();
  for (const m of coll.Members as { '@odata.id': string }[]) {
    const s = await get(m['@odata.id']);
    out.set(s.Name, s);
  }
  return out;
}

test('sensor readings and thresholds equal ipmitool sensor list', async () => {
  await waitFor(async () => ((await get(`${C}/Sensors/CPU_Temp`)).Reading !== null ? true : undefined));
  const rf = await redfishSensors();
  const ipmiRows = sensorList(await ipmi(['sensor', 'list']));
  let compared = 0;
  for (const [name, row] of ipmiRows) {
    const s = rf.get(name);
    if (row.unit === 'discrete') {
      assert.equal(s, undefined, `discrete ${name} is not a Sensor resource`);
      continue;
    }
    assert.ok(s, `Redfish has a Sensor for ${name}`);
    const thresholds = ORDER.map((k) => (s.Thresholds?.[k]?.Reading === undefined ? null : r3(s.Thresholds[k].Reading)));
    assert.deepEqual(thresholds, row.thresholds, `${name} thresholds`);
    if (row.value === null) assert.equal(s.Reading, null, `${name}: na in ipmitool, null in Redfish`);
    else {
      assert.equal(typeof s.Reading, 'number', `${name} reading`);
      // the scanner may take a sample between the two requests
      const tol = row.unit === 'Volts' ? 0.05 * Math.abs(row.value) : row.unit === 'RPM' ? 300 : 2;
      assert.ok(Math.abs(s.Reading - row.value) <= tol, `${name}: Redfish ${s.Reading}, ipmitool ${row.value}`);
    }
    if (row.unit === 'degrees C') assert.equal(s.ReadingUnits, 'Cel');
    if (row.unit === 'Volts') assert.equal(s.ReadingUnits, 'V');
    if (row.unit === 'RPM') assert.deepEqual([s.ReadingType, s.ReadingUnits], ['Rotational', 'RPM']);
    compared++;
  }
  assert.ok(compared >= 20, `compared ${compared} sensors`);
  const absent = rf.get('DIMMA2 Temp');
  assert.deepEqual(absent.Status, { State: 'Absent' });
  assert.equal(absent.Reading, null);
  const power = await get(`${C}/Sensors/total_power`);
  assert.equal(power.ReadingUnits, 'W');
  assert.equal(typeof power.Reading, 'number');
});

test('a threshold PATCHed over Redfish shows in ipmitool sensor get, and the other way round', async () => {
  const body = await patch(`${C}/Sensors/12V`, { Thresholds: { UpperCaution: { Reading: 12.9 } } });
  // 12V: y = (63x + 30) e-3; 12.9 → 204 counts → 12.882
  assert.equal(body.Thresholds.UpperCaution.Reading, 12.882);
  const got = await ipmi(['sensor', 'get', '12V']);
  assert.match(got, /Upper Non-Critical\s*:\s*12\.882/);
  await ipmi(['sensor', 'thresh', '12V', 'ucr', '13.1']);
  const s = await get(`${C}/Sensors/12V`);
  assert.equal(s.Thresholds.UpperCritical.Reading, 13.071);
  const legacy = await get(`${C}/Power`);
  const v = legacy.Voltages.find((x: { Name: string }) => x.Name === '12V');
  assert.equal(v.UpperThresholdCritical, 13.071);
  assert.equal(v.UpperThresholdNonCritical, 12.882);
});

test('a threshold set below the reading logs an SEL record and turns Health to Warning', async () => {
  const s = await waitFor(async () => {
    const b = await get(`${C}/Sensors/System_Temp`);
    return b.Reading !== null ? b : undefined;
  });
  const target = Math.floor(s.Reading) - 5;
  const body = await patch(`${C}/Sensors/System_Temp`, { Thresholds: { UpperCaution: { Reading: target } } });
  assert.equal(body.Status.Health, 'Warning');
  const sel = await ipmi(['sel', 'elist']);
  assert.match(sel, /System Temp.*Upper Non-critical going high.*Asserted/);
  assert.equal((await get(C)).Status.HealthRollup, 'Warning');
  await patch(`${C}/Sensors/System_Temp`, { Thresholds: { UpperCaution: { Reading: 80 } } });
  assert.equal((await get(C)).Status.Health, 'OK');
});

/** Get Chassis Status byte 3 bits 5:4: 0 off, 1 timed, 2 indefinite. */
async function identifyBits(): Promise<number> {
  const bytes = (await ipmi(['raw', '0x00', '0x01'])).trim().split(/\s+/).map((b) => parseInt(b, 16));
  return ((bytes[2] ?? 0) >> 4) & 0x03;
}

test('identify: ipmitool chassis identify ↔ IndicatorLED / LocationIndicatorActive', async () => {
  await ipmi(['chassis', 'identify', 'force']);
  let c = await get(C);
  assert.deepEqual([c.IndicatorLED, c.LocationIndicatorActive], ['Lit', true]);
  await ipmi(['chassis', 'identify', '0']);
  c = await get(C);
  assert.deepEqual([c.IndicatorLED, c.LocationIndicatorActive], ['Off', false]);
  await ipmi(['chassis', 'identify', '30']);
  assert.equal((await get(C)).IndicatorLED, 'Blinking');
  await patch(C, { LocationIndicatorActive: false });
  assert.equal(await identifyBits(), 0);
  await patch(C, { IndicatorLED: 'Lit' });
  assert.equal(await identifyBits(), 2);
  await patch(C, { IndicatorLED: 'Blinking' });
  assert.equal(await identifyBits(), 1);
  await patch(C, { LocationIndicatorActive: false });
  assert.equal(await identifyBits(), 0);
});

test('power off over IPMI: PowerState Off, main-power sensors read null, standby rails still read', async () => {
  await ipmi(['chassis', 'power', 'off']);
  const c = await get(C);
  assert.equal(c.PowerState, 'Off');
  const cpu = await waitFor(async () => {
    const b = await get(`${C}/Sensors/CPU_Temp`);
    return b.Reading === null ? b : undefined;
  });
  assert.equal(cpu.Status.State, 'Enabled');
  assert.equal((await get(`${C}/Sensors/12V`)).Reading, null);
  assert.equal(typeof (await get(`${C}/Sensors/VBAT`)).Reading, 'number');
  const row = sensorList(await ipmi(['sensor', 'list'])).get('CPU Temp');
  assert.equal(row?.value, null);
  // and back on over Redfish's Chassis.Reset
  const r = await redfish(bmc, 'POST', `${C}/Actions/Chassis.Reset`, { body: { ResetType: 'On' } });
  assert.equal(r.status, 204, r.text);
  assert.match(await ipmi(['chassis', 'power', 'status']), /is on/);
});

test('legacy Power PowerLimit is the DCMI power limit', async () => {
  await patch(`${C}/Power`, { PowerControl: [{ PowerLimit: { LimitInWatts: 250, LimitException: 'LogEventOnly' } }] });
  let out = await ipmi(['dcmi', 'power', 'get_limit']);
  assert.match(out, /Current Limit State:\s*Power Limit Active/);
  assert.match(out, /Power Limit:\s*250 Watts/);
  assert.match(out, /Exception actions:\s*Log Event to SEL/);
  await ipmi(['dcmi', 'power', 'set_limit', 'limit', '180']);
  let p = await get(`${C}/Power`);
  assert.equal(p.PowerControl[0].PowerLimit.LimitInWatts, 180);
  assert.equal(typeof p.PowerControl[0].PowerConsumedWatts, 'number');
  await patch(`${C}/Power`, { PowerControl: [{ PowerLimit: { LimitInWatts: null } }] });
  const r = await ipmitool(bmc, ['dcmi', 'power', 'get_limit']);
  out = r.stdout;
  assert.match(out, /No Active Power Limit/);
  p = await get(`${C}/Power`);
  assert.equal(p.PowerControl[0].PowerLimit.LimitInWatts, null);
});

test('python3-sushy reads the chassis, its Thermal and Power, and sets the indicator LED', async () => {
  const code = [
    'import sushy, warnings, logging',
    'warnings.filterwarnings("ignore")',
    'logging.disable(logging.CRITICAL)',
    `s = sushy.Sushy("${bmc.baseUrl}/redfish/v1", username="admin", password="${ADMIN_PASSWORD}", verify=False)`,
    'ch = s.get_chassis("/redfish/v1/Chassis/chassis")',
    'print("chassis", ch.identity, ch.chassis_type.value, ch.manufacturer, ch.serial_number, ch.status.health.value)',
    'print("reset", sorted(v.value for v in ch.get_allowed_reset_chassis_values()))',
    'ch.set_indicator_led(sushy.IndicatorLED.LIT)',
    'ch.refresh()',
    'print("led", ch.indicator_led.value)',
    't = ch.thermal',
    'cpu = [x for x in t.temperatures if x.name == "CPU Temp"][0]',
    'print("cpu", cpu.upper_threshold_non_critical, cpu.upper_threshold_critical)',
    'print("fans", len(t.fans), t.fans[0].reading_units.value)',
    'p = ch.power',
    'print("psu", [(x.name, x.status.state.value) for x in p.power_supplies])',
  ].join('\n');
  const r = await python(code, NO_CA_ENV);
  assert.equal(r.code, 0, `sushy:\n${r.stderr}\n${r.stdout}`);
  assert.match(r.stdout, /^chassis chassis RackMount tsbmc C8150TS00001 OK$/m);
  assert.match(r.stdout, /^reset \['ForceOff', 'On', 'PowerCycle'\]$/m);
  assert.match(r.stdout, /^led Lit$/m);
  assert.match(r.stdout, /^cpu 87(\.0)? 92(\.0)?$/m);
  assert.match(r.stdout, /^fans 6 RPM$/m);
  assert.match(r.stdout, /^psu \[\('PS1', 'Enabled'\)\]$/m);
  assert.equal(await identifyBits(), 2);
});

test('the Assembly carries the FRU board manufacturing date', async () => {
  const a = await get(`${C}/Assembly`);
  const board = a.Assemblies.find((x: { PhysicalContext?: string }) => x.PhysicalContext === 'SystemBoard');
  assert.equal(board.ProductionDate, '2026-01-15T08:00:00Z');
  assert.equal(board.SerialNumber, 'WM26TS000001');
  const fru = await ipmi(['fru', 'print', '0']);
  assert.match(fru, /Board Serial\s*:\s*WM26TS000001/);
});
