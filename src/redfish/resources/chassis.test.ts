// Unit tests for the chassis resources: bodies validated against the DMTF
// schema their @odata.type names, sensor values equal to the model's, threshold
// PATCH through the model (quantized, persisted, logged), identify both ways,
// Chassis.Reset, DCMI power limit, FRU assembly.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { silentLogger } from '../../log.js';
import { Bmc } from '../../model/bmc.js';
import { ManualClock } from '../../model/clock.js';
import { MemoryPersistence } from '../../model/persist.js';
import { EventReadingType, SensorType, type SensorDef } from '../../model/sensors.js';
import { makeTestBmc, plainBox, StubLink, testBmcSpec } from '../../model/testing.js';
import { validateDmtf } from '../schema-check.js';
import { RedfishService } from '../server.js';
import { chassisHealth, chassisRoutes, chassisType, fruDate } from './chassis.js';
import { powerSupplies, powerSupplyBody } from './chassis-power.js';
import { idFromName } from './chassis-sensors.js';

// DMTF's schema bundle: ../shared/redfish/json-schema beside the project (from
// dist/src/redfish/resources/ that is five levels up) or $TSBMC_REDFISH_SCHEMAS
const validate = validateDmtf;

/** The value at a path of keys and indexes in a JSON body (undefined where the path ends early). */
function at(v: unknown, ...path: (string | number)[]): unknown {
  let x = v;
  for (const k of path) x = x !== null && typeof x === 'object' ? (x as Record<string | number, unknown>)[k] : undefined;
  return x;
}

const AUTH = `Basic ${Buffer.from('admin:password').toString('base64')}`;
const OPER = `Basic ${Buffer.from('operator:operpass').toString('base64')}`;

function setup(hosts = 1) {
  const t = makeTestBmc({ hosts });
  const service = new RedfishService({ bmc: t.bmc, log: silentLogger, routes: chassisRoutes() });
  const req = async (method: string, url: string, body?: unknown, auth = AUTH) => {
    const r = await service.router.handle({
      method,
      url,
      headers: { authorization: auth },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      clientAddress: '127.0.0.1',
    });
    return { status: r.status, body: r.body, headers: r.headers };
  };
  const host = t.bmc.hosts[0]!;
  return { ...t, service, req, host };
}

const C = '/redfish/v1/Chassis/chassis';

test('every chassis resource validates against its schema', async () => {
  const { req, links, host } = setup();
  links[0]!.readings.set(0x01, 45).set(0x30, 12.1).set(0x41, 900);
  host.request('on');
  host.scan();
  const seen = new Set<string>();
  const walk = async (path: string): Promise<void> => {
    const p = path.split('#')[0]!;
    if (seen.has(p) || !p.startsWith(C) && p !== '/redfish/v1/Chassis') return;
    seen.add(p);
    const r = await req('GET', p);
    assert.equal(r.status, 200, `${p}: ${JSON.stringify(r.body)}`);
    validate(r.body);
    const links: string[] = [];
    const collect = (o: unknown): void => {
      if (Array.isArray(o)) o.forEach(collect);
      else if (o && typeof o === 'object') {
        for (const [k, v] of Object.entries(o)) {
          if ((k === '@odata.id' || k === 'DataSourceUri' || k === '@Redfish.ActionInfo') && typeof v === 'string') links.push(v);
          else collect(v);
        }
      }
    };
    collect(r.body);
    for (const l of links) await walk(l);
  };
  await walk('/redfish/v1/Chassis');
  for (const p of ['Sensors/CPU_Temp', 'Sensors/12V', 'Sensors/FAN3', 'Sensors/total_power', 'ThermalSubsystem/Fans/FAN3', 'ThermalSubsystem/ThermalMetrics', 'Thermal', 'Power', 'EnvironmentMetrics', 'Assembly', 'ResetActionInfo']) {
    assert.ok(seen.has(`${C}/${p}`), `walked ${p}`);
  }
});

test('chassis: FRU identity, RackMount, power state, links', async () => {
  const { req, host } = setup();
  const r = await req('GET', C);
  assert.equal(at(r.body, 'ChassisType'), 'RackMount');
  assert.equal(at(r.body, 'Manufacturer'), 'tsbmc');
  assert.equal(at(r.body, 'Model'), 'Test Server');
  assert.equal(at(r.body, 'SerialNumber'), 'C0001');
  assert.equal(at(r.body, 'PartNumber'), 'CSE-TEST');
  assert.equal(at(r.body, 'PowerState'), 'Off');
  assert.deepEqual(at(r.body, 'Links', 'ComputerSystems'), [{ '@odata.id': '/redfish/v1/Systems/system' }]);
  assert.deepEqual(at(r.body, 'Links', 'ManagedBy'), [{ '@odata.id': '/redfish/v1/Managers/bmc' }]);
  host.request('on');
  assert.equal(at((await req('GET', C)).body, 'PowerState'), 'On');
  assert.throws(() => validate({ ...(r.body as object), PowerState: 'Standby' }), /PowerState|enum/);
  assert.equal(chassisType(0x17), 'RackMount');
  assert.equal(chassisType(undefined), 'Other');
});

test('multi-host: node ids, unknown ids are 404', async () => {
  const { req } = setup(2);
  const c = await req('GET', '/redfish/v1/Chassis');
  assert.deepEqual(at(c.body, 'Members'), [{ '@odata.id': '/redfish/v1/Chassis/node0' }, { '@odata.id': '/redfish/v1/Chassis/node1' }]);
  assert.equal((await req('GET', '/redfish/v1/Chassis/node1/Sensors/CPU_Temp')).status, 200);
  assert.equal((await req('GET', '/redfish/v1/Chassis/chassis')).status, 404);
  assert.equal((await req('GET', '/redfish/v1/Chassis/node2/Sensors')).status, 404);
  assert.equal((await req('GET', '/redfish/v1/Chassis/node0/Sensors/CPU')).status, 404);
  assert.equal((await req('GET', '/redfish/v1/Chassis/node0/ThermalSubsystem/Fans/CPU_Temp')).status, 404);
  assert.equal((await req('GET', '/redfish/v1/Chassis/node0/PowerSubsystem/PowerSupplies/PS9')).status, 404);
});

test('sensor ids are URL-safe and derived from names', () => {
  assert.equal(idFromName('CPU Temp'), 'CPU_Temp');
  assert.equal(idFromName('1.5V PCH'), '1.5V_PCH');
  assert.equal(idFromName('  a/b?c  '), 'a_b_c');
  assert.equal(idFromName('..'), 'sensor');
});

test('sensor readings and thresholds are the model values; absent and unavailable sensors', async () => {
  const { req, links, host } = setup();
  links[0]!.readings.set(0x01, 45).set(0x30, 12.1).set(0x41, null);
  host.scan();
  const cpu = await req('GET', `${C}/Sensors/CPU_Temp`);
  assert.equal(at(cpu.body, 'Reading'), 45);
  assert.equal(at(cpu.body, 'ReadingType'), 'Temperature');
  assert.equal(at(cpu.body, 'ReadingUnits'), 'Cel');
  assert.equal(at(cpu.body, 'PhysicalContext'), 'CPU');
  assert.deepEqual(at(cpu.body, 'Status'), { State: 'Enabled', Health: 'OK' });
  assert.equal(at(cpu.body, 'Thresholds', 'UpperCaution', 'Reading'), 87);
  assert.equal(at(cpu.body, 'Thresholds', 'UpperFatal', 'Reading'), 92);
  const v = await req('GET', `${C}/Sensors/12V`);
  const s12 = host.sensors.get(0x30)!;
  assert.equal(at(v.body, 'Reading'), s12.value);
  assert.equal(at(v.body, 'ReadingUnits'), 'V');
  assert.equal(at(v.body, 'Thresholds', 'LowerFatal', 'Reading'), s12.thresholdValue('lnr'));
  assert.equal(at(v.body, 'Thresholds', 'UpperCritical', 'Reading'), s12.thresholdValue('uc'));
  const fan = await req('GET', `${C}/Sensors/FAN3`);
  assert.equal(at(fan.body, 'ReadingType'), 'Rotational');
  assert.equal(at(fan.body, 'ReadingUnits'), 'RPM');
  assert.equal(at(fan.body, 'Reading'), null);
  assert.deepEqual(at(fan.body, 'Status'), { State: 'Absent' });
  assert.equal(at(fan.body, 'Thresholds'), undefined, 'absent: no thresholds, as IPMI answers not present');
  // main power off: the reading is unavailable, the sensor still enabled
  links[0]!.readings.set(0x01, null);
  host.scan();
  const off = await req('GET', `${C}/Sensors/CPU_Temp`);
  assert.equal(at(off.body, 'Reading'), null);
  assert.equal(at(off.body, 'Status', 'State'), 'Enabled');
  const coll = await req('GET', `${C}/Sensors`);
  assert.deepEqual(
    (at(coll.body, 'Members') as { '@odata.id': string }[]).map((m) => m['@odata.id'].split('/').pop()),
    ['CPU_Temp', '12V', 'FAN3', 'total_power'],
  );
  links[0]!.powerWatts = 123.4;
  host.scan();
  const p = await req('GET', `${C}/Sensors/total_power`);
  assert.equal(at(p.body, 'Reading'), 123.4);
  assert.equal(at(p.body, 'ReadingUnits'), 'W');
});

test('health: thresholds roll up to the chassis; intrusion is a warning', async () => {
  const { req, links, host } = setup();
  links[0]!.readings.set(0x01, 88);
  host.scan();
  assert.equal(at((await req('GET', `${C}/Sensors/CPU_Temp`)).body, 'Status', 'Health'), 'Warning');
  assert.equal(at((await req('GET', C)).body, 'Status', 'HealthRollup'), 'Warning');
  links[0]!.readings.set(0x01, 95);
  host.scan();
  assert.equal(at((await req('GET', `${C}/Sensors/CPU_Temp`)).body, 'Status', 'Health'), 'Critical');
  assert.equal(at((await req('GET', C)).body, 'Status', 'Health'), 'Critical');
  links[0]!.readings.set(0x01, 40);
  host.scan();
  assert.equal(at((await req('GET', C)).body, 'Status', 'Health'), 'OK');
  host.setDiscrete(0xaa, 0x01);
  const c = await req('GET', C);
  assert.equal(at(c.body, 'Status', 'Health'), 'Warning');
  assert.equal(at(c.body, 'PhysicalSecurity', 'IntrusionSensor'), 'HardwareIntrusion');
});

test('threshold PATCH: quantized, persisted, logged when the reading crosses it', async () => {
  const { req, links, host, persist } = setup();
  links[0]!.readings.set(0x30, 12.1).set(0x01, 45);
  host.scan();
  const s = host.sensors.get(0x30)!;
  const r = await req('PATCH', `${C}/Sensors/12V`, { Thresholds: { UpperCaution: { Reading: 12.9 } } });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  // 12V: M=63e-3 → 12.9 becomes the nearest count, 12.915 (205 counts)
  assert.equal(s.thresholdValue('unc'), 12.915);
  assert.equal(at(r.body, 'Thresholds', 'UpperCaution', 'Reading'), 12.915);
  const key = [...(persist as MemoryPersistence).docs.keys()].find((k) => k.endsWith('sensor-config'));
  assert.ok(key, 'sensor config persisted');
  assert.equal((persist.load(key) as Record<string, { thresholds: { unc: number } }>)[0x30]?.thresholds.unc, 205);
  const before = host.sel.count;
  const r2 = await req('PATCH', `${C}/Sensors/CPU_Temp`, { Thresholds: { UpperCaution: { Reading: 40 } } });
  assert.equal(r2.status, 200);
  assert.equal(at(r2.body, 'Status', 'Health'), 'Warning');
  assert.ok(host.sel.count > before, 'a threshold below the reading logs an event');
});

test('threshold PATCH errors: unknown, wrong type, out of range, absent device, privileges', async () => {
  const { req } = setup();
  const bad = async (body: unknown, id: string, status = 400) => {
    const r = await req('PATCH', `${C}/Sensors/${id}`, body);
    assert.equal(r.status, status, JSON.stringify(r.body));
    return at(r.body, 'error', '@Message.ExtendedInfo', 0, 'MessageId') as string;
  };
  assert.match(await bad({ Thresholds: { UpperWarning: { Reading: 1 } } }, '12V'), /PropertyUnknown/);
  assert.match(await bad({ Thresholds: { UpperCaution: { Reading: '13' } } }, '12V'), /PropertyValueTypeError/);
  assert.match(await bad({ Thresholds: { UpperCaution: { Reading: null } } }, '12V'), /PropertyValueTypeError/);
  assert.match(await bad({ Thresholds: { UpperCaution: { Reading: 99 } } }, '12V'), /PropertyValueOutOfRange/);
  assert.match(await bad({ Reading: 3 }, '12V'), /PropertyUnknown/);
  assert.match(await bad({ Thresholds: { UpperCaution: { Reading: 1000 } } }, 'FAN3'), /PropertyNotWritable/);
  assert.match(await bad({ Thresholds: {} }, 'total_power'), /PropertyNotWritable/);
  assert.match(await bad({ Thresholds: { UpperCaution: { Reading: 1 } } }, 'nope', 404), /ResourceNotFound/);
  // Operator has ConfigureComponents (IPMI's Set Sensor Thresholds is Operator too)
  const r = await req('PATCH', `${C}/Sensors/12V`, { Thresholds: { UpperCaution: { Reading: 13 } } }, OPER);
  assert.equal(r.status, 200);
  assert.equal((await req('PATCH', `${C}/Power`, { PowerControl: [{ PowerLimit: { LimitInWatts: 100 } }] }, OPER)).status, 403);
});

test('identify: model ↔ IndicatorLED/LocationIndicatorActive', async () => {
  const { req, host, clock } = setup();
  assert.equal(at((await req('GET', C)).body, 'IndicatorLED'), 'Off');
  host.setIdentify({ seconds: 15 });
  let c = (await req('GET', C)).body;
  assert.equal(at(c, 'IndicatorLED'), 'Blinking');
  assert.equal(at(c, 'LocationIndicatorActive'), true);
  clock.advance(16_000);
  assert.equal(at((await req('GET', C)).body, 'LocationIndicatorActive'), false);
  host.setIdentify('force-on');
  assert.equal(at((await req('GET', C)).body, 'IndicatorLED'), 'Lit');
  assert.equal((await req('PATCH', C, { LocationIndicatorActive: false })).status, 200);
  assert.equal(host.identify.on, false);
  await req('PATCH', C, { LocationIndicatorActive: true });
  assert.deepEqual({ on: host.identify.on, forced: host.identify.forced }, { on: true, forced: true });
  await req('PATCH', C, { IndicatorLED: 'Off' });
  assert.equal(host.identify.on, false);
  await req('PATCH', C, { IndicatorLED: 'Blinking' });
  c = (await req('GET', C)).body;
  assert.equal(at(c, 'IndicatorLED'), 'Blinking');
  assert.equal((await req('PATCH', C, { IndicatorLED: 'Flashing' })).status, 400);
  assert.equal((await req('PATCH', C, { PowerState: 'On' })).status, 400);
});

test('Chassis.Reset drives the model power machine', async () => {
  const { req, host, links } = setup();
  const A = `${C}/Actions/Chassis.Reset`;
  assert.equal((await req('POST', A, { ResetType: 'On' })).status, 204);
  assert.equal(host.power, 'on');
  assert.equal((await req('POST', A, { ResetType: 'ForceOff' })).status, 204);
  assert.equal(host.power, 'off');
  const cycle = await req('POST', A, { ResetType: 'PowerCycle' });
  assert.equal(cycle.status, 409);
  assert.match(String(at(cycle.body, 'error', '@Message.ExtendedInfo', 0, 'MessageId')), /ChassisPowerStateOnRequired/);
  const bad = await req('POST', A, { ResetType: 'GracefulShutdown' });
  assert.equal(bad.status, 400);
  assert.match(String(at(bad.body, 'error', '@Message.ExtendedInfo', 0, 'MessageId')), /ActionParameterValueNotInList/);
  const missing = await req('POST', A, {});
  assert.equal(missing.status, 400);
  assert.equal((await req('GET', A)).status, 405);
  assert.deepEqual(links[0]!.calls, ['on', 'off']);
  const info = await req('GET', `${C}/ResetActionInfo`);
  assert.deepEqual(at(info.body, 'Parameters', 0, 'AllowableValues'), ['On', 'ForceOff', 'PowerCycle']);
});

test('thermal: fans and temperatures, legacy Thermal', async () => {
  const { req, links, host } = setup();
  links[0]!.readings.set(0x01, 45);
  host.scan();
  const fans = await req('GET', `${C}/ThermalSubsystem/Fans`);
  assert.deepEqual(at(fans.body, 'Members'), [{ '@odata.id': `${C}/ThermalSubsystem/Fans/FAN3` }]);
  const fan = await req('GET', `${C}/ThermalSubsystem/Fans/FAN3`);
  assert.equal(at(fan.body, 'Status', 'State'), 'Absent');
  const tm = await req('GET', `${C}/ThermalSubsystem/ThermalMetrics`);
  assert.deepEqual(at(tm.body, 'TemperatureReadingsCelsius', 0), { DataSourceUri: `${C}/Sensors/CPU_Temp`, DeviceName: 'CPU Temp', PhysicalContext: 'CPU', Reading: 45 });
  const th = await req('GET', `${C}/Thermal`);
  assert.equal(at(th.body, 'Temperatures', 0, 'ReadingCelsius'), 45);
  assert.equal(at(th.body, 'Temperatures', 0, 'UpperThresholdNonCritical'), 87);
  assert.equal(at(th.body, 'Fans', 0, 'ReadingUnits'), 'RPM');
  assert.equal(at(th.body, 'Fans', 0, 'Status', 'State'), 'Absent');
});

test('power: DCMI power reading and limit through legacy Power', async () => {
  const { req, links, host } = setup();
  links[0]!.powerWatts = 150;
  host.scan();
  let p = await req('GET', `${C}/Power`);
  assert.equal(at(p.body, 'PowerControl', 0, 'PowerConsumedWatts'), 150);
  assert.equal(at(p.body, 'PowerControl', 0, 'PowerLimit', 'LimitInWatts'), null);
  assert.equal(at(p.body, 'Voltages', 0, 'Name'), '12V');
  const r = await req('PATCH', `${C}/Power`, { PowerControl: [{ PowerLimit: { LimitInWatts: 300, LimitException: 'LogEventOnly' } }] });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.deepEqual({ w: host.powerLimit.limitWatts, a: host.powerLimit.active, e: host.powerLimit.exceptionAction }, { w: 300, a: true, e: 0x11 });
  host.setPowerLimit({ ...host.powerLimit, limitWatts: 250, exceptionAction: 1 });
  p = await req('GET', `${C}/Power`);
  assert.deepEqual(at(p.body, 'PowerControl', 0, 'PowerLimit'), { LimitInWatts: 250, LimitException: 'HardPowerOff', CorrectionInMs: 1000 });
  await req('PATCH', `${C}/Power`, { PowerControl: [{ PowerLimit: { LimitInWatts: null } }] });
  assert.equal(host.powerLimit.active, false);
  assert.equal((await req('PATCH', `${C}/Power`, { PowerControl: [{ PowerLimit: { LimitInWatts: 1e6 } }] })).status, 400);
  assert.equal((await req('PATCH', `${C}/Power`, { PowerControl: [{ PowerConsumedWatts: 3 }] })).status, 400);
  const env = await req('GET', `${C}/EnvironmentMetrics`);
  assert.equal(at(env.body, 'PowerWatts', 'Reading'), 150);
  assert.equal(at(env.body, 'PowerWatts', 'DataSourceUri'), `${C}/Sensors/total_power`);
});

test('power supplies from the discrete PSU sensor: presence, failure, input lost', async () => {
  const spec = testBmcSpec(1);
  const psu: SensorDef = {
    number: 0xc8,
    name: 'PS1 Status',
    type: SensorType.PowerSupply,
    eventReadingType: EventReadingType.SensorSpecific,
    unit: 'unspecified',
    entity: { id: 0x0a, instance: 1 },
    present: true,
    conversion: { m: 1, b: 0, bExp: 0, rExp: 0, signed: false },
    thresholds: {},
    hysteresis: { positive: 0, negative: 0 },
    discreteMask: 0x000b,
  };
  const hostSpec = spec.hosts[0]!;
  const bmc = new Bmc({
    spec: { ...spec, hosts: [{ ...hostSpec, sensors: [...hostSpec.sensors, psu] }] },
    clock: new ManualClock(),
    persist: new MemoryPersistence(),
    box: plainBox,
    links: [new StubLink()],
  });
  const host = bmc.hosts[0]!;
  const list = powerSupplies(host);
  assert.deepEqual(list.map((x) => x.id), ['PS1']);
  const body = () => powerSupplyBody({ bmc }, host, 'PS1', list[0]!.sensor);
  validate(body());
  assert.deepEqual(body().Status, { State: 'Enabled', Health: 'OK' });
  host.setDiscrete(0xc8, 0x01 | 0x02);
  assert.deepEqual(body().Status, { State: 'Enabled', Health: 'Critical' });
  assert.equal(chassisHealth(host), 'Critical');
  host.setDiscrete(0xc8, 0x01 | 0x08);
  assert.equal(body().LineInputStatus, 'LossOfInput');
  host.setDiscrete(0xc8, 0x01);
  assert.equal(body().LineInputStatus, 'Normal');
  assert.equal(chassisHealth(host), 'OK');
});

test('assembly: FRU areas with the board manufacturing date', async () => {
  const { req } = setup();
  const a = await req('GET', `${C}/Assembly`);
  assert.equal(at(a.body, 'Assemblies', 'length'), 3);
  const board = at(a.body, 'Assemblies', 1);
  assert.equal(at(board, 'Model'), 'Test Board');
  assert.equal(at(board, 'Producer'), 'tsbmc');
  assert.equal(at(board, 'SerialNumber'), 'B0001');
  assert.equal(at(board, 'PartNumber'), 'TB-1');
  assert.equal(at(board, 'ProductionDate'), fruDate(14_000_000));
  assert.equal(fruDate(0), undefined);
  assert.equal(fruDate(60), '1996-01-01T01:00:00Z');
});
