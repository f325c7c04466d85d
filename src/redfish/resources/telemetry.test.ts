// Unit tests for the TelemetryService: every body validates against DMTF's
// schema, the definitions name each Sensor's Reading, a report carries the
// host's history for its window (averaged per interval), unknown ids are
// 404 without prefix matching, and nothing is writable.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RedfishSchemas } from '../../../test/helpers/redfish-schemas.js';
import { silentLogger } from '../../log.js';
import { makeTestBmc } from '../../model/testing.js';
import { RedfishService } from '../server.js';
import { chassisRoutes } from './chassis.js';
import { telemetryRoutes } from './telemetry.js';

const auth = `Basic ${Buffer.from('admin:password').toString('base64')}`;
let schemas: RedfishSchemas | undefined;
function valid(body: unknown): void {
  schemas ??= new RedfishSchemas();
  assert.deepEqual(schemas.validate(body as Record<string, unknown>), [], JSON.stringify(body).slice(0, 2000));
}

function service(hosts = 1) {
  const t = makeTestBmc({ hosts });
  const svc = new RedfishService({ bmc: t.bmc, log: silentLogger, routes: [...chassisRoutes(), ...telemetryRoutes()] });
  const call = async (method: string, url: string, body?: unknown) => {
    const r = await svc.router.handle({ method, url, headers: { authorization: auth }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}), clientAddress: '127.0.0.1' });
    return { status: r.status, headers: r.headers, body: r.body as Record<string, any> };
  };
  return { ...t, call };
}

const TS = '/redfish/v1/TelemetryService';

describe('TelemetryService', () => {
  it('the service, its collections, a definition and a report validate', async () => {
    const { call, links, bmc, clock } = service();
    links[0]!.readings.set(0x01, 45);
    for (let i = 0; i < 30; i++) {
      bmc.hosts[0]!.scan();
      clock.advance(1000);
    }
    const root = await call('GET', TS);
    assert.equal(root.status, 200);
    valid(root.body);
    assert.equal(root.body.MetricReports['@odata.id'], `${TS}/MetricReports`);
    const defs = await call('GET', `${TS}/MetricReportDefinitions`);
    valid(defs.body);
    const reps = await call('GET', `${TS}/MetricReports`);
    valid(reps.body);
    assert.equal(defs.body['Members@odata.count'], reps.body['Members@odata.count']);
    assert.equal(root.body.MaxReports, reps.body['Members@odata.count']);
    for (const m of defs.body.Members.slice(0, 6)) valid((await call('GET', m['@odata.id'])).body);
    for (const m of reps.body.Members.slice(0, 6)) valid((await call('GET', m['@odata.id'])).body);
    assert.deepEqual((await call('GET', '/redfish/v1')).body.TelemetryService, { '@odata.id': TS });
  });

  it('each sensor has a definition per window naming its Reading', async () => {
    const { call } = service();
    const d = await call('GET', `${TS}/MetricReportDefinitions/chassis.CPU_Temp.24h`);
    assert.equal(d.status, 200);
    valid(d.body);
    assert.equal(d.body.ReportTimespan, 'P1D');
    assert.equal(d.body.MetricReportDefinitionType, 'OnRequest');
    assert.deepEqual(d.body.Metrics, [
      {
        MetricId: 'CPU_Temp',
        MetricProperties: ['/redfish/v1/Chassis/chassis/Sensors/CPU_Temp#/Reading'],
        CollectionFunction: 'Average',
        CollectionDuration: 'PT5M',
        CollectionTimeScope: 'Interval',
      },
    ]);
    assert.equal(d.body.MetricReport['@odata.id'], `${TS}/MetricReports/chassis.CPU_Temp.24h`);
    const ids = (await call('GET', `${TS}/MetricReportDefinitions`)).body.Members.map((m: { '@odata.id': string }) => m['@odata.id'].split('/').pop());
    for (const w of ['1h', '24h', '7d']) {
      assert.ok(ids.includes(`chassis.CPU_Temp.${w}`));
      assert.ok(ids.includes(`chassis.total_power.${w}`));
    }
    // the sensor each definition names exists
    const sensor = await call('GET', String(d.body.Metrics?.[0]?.MetricProperties?.[0]).replace(/#.*$/, ''));
    assert.equal(sensor.status, 200);
  });

  it('a report holds the history of its window, averaged per interval', async () => {
    const { call, links, bmc, clock } = service();
    const host = bmc.hosts[0]!;
    links[0]!.readings.set(0x01, null);
    host.scan(); // no reading: no value
    clock.advance(1000);
    // 20 s at 40 °C, then 20 s at 50 °C
    for (let i = 0; i < 40; i++) {
      links[0]!.readings.set(0x01, i < 20 ? 40 : 50);
      host.scan();
      clock.advance(1000);
    }
    const r = await call('GET', `${TS}/MetricReports/chassis.CPU_Temp.1h`);
    assert.equal(r.status, 200);
    valid(r.body);
    const values = r.body.MetricValues as { MetricId: string; MetricValue: string; Timestamp: string; MetricProperty: string }[];
    assert.ok(values.length >= 4 && values.length <= 6, JSON.stringify(values));
    for (const v of values) {
      assert.equal(v.MetricId, 'CPU_Temp');
      assert.equal(v.MetricProperty, '/redfish/v1/Chassis/chassis/Sensors/CPU_Temp#/Reading');
      assert.match(v.Timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$/);
    }
    assert.equal(values[0]!.MetricValue, '40');
    assert.equal(values.at(-1)!.MetricValue, '50');
    const times = values.map((v) => Date.parse(v.Timestamp));
    assert.deepEqual(times, [...times].sort((a, b) => a - b));
    assert.ok(times.at(-1)! <= clock.now());
    assert.equal(r.body.MetricReportDefinition['@odata.id'], `${TS}/MetricReportDefinitions/chassis.CPU_Temp.1h`);
    // a longer window averages more: the whole minute is one or two points
    const day = await call('GET', `${TS}/MetricReports/chassis.CPU_Temp.24h`);
    assert.ok(day.body.MetricValues.length <= 2);
    assert.equal(day.body.MetricValues.at(-1).MetricProperty, '/redfish/v1/Chassis/chassis/Sensors/CPU_Temp#/Reading');
    // the power draw
    const power = await call('GET', `${TS}/MetricReports/chassis.total_power.1h`);
    assert.equal(power.body.MetricValues[0].MetricValue, String(links[0]!.powerWatts));
  });

  it('multi-host ids; unknown ids are 404 (no prefix matching); nothing is writable', async () => {
    const { call } = service(2);
    assert.equal((await call('GET', `${TS}/MetricReports/node1.CPU_Temp.7d`)).status, 200);
    for (const id of ['chassis.CPU_Temp.1h', 'node2.CPU_Temp.1h', 'node0.CPU_Temp', 'node0.CPU_Temp.1h.x', 'node0.CPU.1h', 'node0.CPU_Temp.2h']) {
      const r = await call('GET', `${TS}/MetricReports/${id}`);
      assert.equal(r.status, 404, id);
      assert.match(r.body.error['@Message.ExtendedInfo'][0].MessageId, /ResourceNotFound/);
      assert.equal((await call('GET', `${TS}/MetricReportDefinitions/${id}`)).status, 404, id);
    }
    assert.equal((await call('PATCH', TS, { ServiceEnabled: false })).status, 405);
    assert.equal((await call('POST', `${TS}/MetricReportDefinitions`, { Id: 'x' })).status, 405);
    assert.equal((await call('DELETE', `${TS}/MetricReports/node1.CPU_Temp.7d`)).status, 405);
  });
});
