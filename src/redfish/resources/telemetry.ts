// TelemetryService (TelemetryService v1_4_1, MetricReportDefinition v1_4_7,
// MetricReport v1_5_2; DSP0268 "Telemetry"): the sensor history the model
// keeps (src/model/history.ts), as standard metric reports. Each Sensor of
// a chassis has three predefined, read-only report definitions, one per
// window: the last hour (10 s averages), day (5 min) and week (30 min).
// They are OnRequest definitions: GET on the MetricReport computes it from
// the history, one MetricValue per interval holding readings, whose
// MetricProperty is the Sensor's Reading ("<sensor uri>#/Reading"). Ids are
// "<ChassisId>.<SensorId>.<window>", e.g. "chassis.CPU_Temp.1h"; clients
// should find them through the definitions' MetricProperties rather than
// build them.
import { POWER_CHANNEL } from '../../model/history.js';
import type { Host } from '../../model/host.js';
import { isoTime } from '../events.js';
import { chassisId, ROOT } from '../ids.js';
import { Errors } from '../messages.js';
import type { JsonObject, RequestContext, RouteDef } from '../router.js';
import { collection, odataType } from '../schemas.js';
import { POWER_SENSOR_ID, sensorUri, thresholdSensors } from './chassis-sensors.js';

const SERVICE = `${ROOT}/TelemetryService`;
const DEFINITIONS = `${SERVICE}/MetricReportDefinitions`;
const REPORTS = `${SERVICE}/MetricReports`;

/** The windows each sensor's history is offered in: id, span and averaging interval. */
export const HISTORY_WINDOWS = [
  { id: '1h', title: 'last hour', span: 'PT1H', spanMs: 3_600_000, step: 'PT10S', stepMs: 10_000 },
  { id: '24h', title: 'last 24 hours', span: 'P1D', spanMs: 86_400_000, step: 'PT5M', stepMs: 300_000 },
  { id: '7d', title: 'last 7 days', span: 'P7D', spanMs: 604_800_000, step: 'PT30M', stepMs: 1_800_000 },
] as const;

type Window = (typeof HISTORY_WINDOWS)[number];

/** One report: which host, sensor (history channel) and window. */
interface ReportRef {
  readonly id: string;
  readonly host: Host;
  readonly sensorId: string;
  readonly sensorName: string;
  readonly channel: number;
  readonly window: Window;
}

/** Every report of the BMC, in host, sensor-number, window order. */
function reports(ctx: { bmc: RequestContext['bmc'] }): ReportRef[] {
  const out: ReportRef[] = [];
  for (const host of ctx.bmc.hosts) {
    const chassis = chassisId(ctx.bmc, host);
    const sensors = [
      ...thresholdSensors(host).map(({ id, sensor }) => ({ id, name: sensor.def.name, channel: sensor.def.number })),
      { id: POWER_SENSOR_ID, name: 'Total Power', channel: POWER_CHANNEL },
    ];
    for (const s of sensors) {
      if (!host.history.has(s.channel)) continue;
      for (const w of HISTORY_WINDOWS) out.push({ id: `${chassis}.${s.id}.${w.id}`, host, sensorId: s.id, sensorName: s.name, channel: s.channel, window: w });
    }
  }
  return out;
}

/** The report an id names (an exact match), or 404 as `type`. */
function reportById(ctx: RequestContext, id: string | undefined, type: string): ReportRef {
  const r = id === undefined ? undefined : reports(ctx).find((x) => x.id === id);
  if (!r) throw Errors.notFound(type, id ?? '');
  return r;
}

const definitionPath = (id: string) => `${DEFINITIONS}/${encodeURIComponent(id)}`;
const reportPath = (id: string) => `${REPORTS}/${encodeURIComponent(id)}`;
const readingProperty = (ctx: { bmc: RequestContext['bmc'] }, r: ReportRef) => `${sensorUri(ctx, r.host, r.sensorId)}#/Reading`;

export function telemetryServiceBody(ctx: { bmc: RequestContext['bmc'] }): JsonObject {
  return {
    '@odata.id': SERVICE,
    '@odata.type': odataType('TelemetryService'),
    Id: 'TelemetryService',
    Name: 'Telemetry Service',
    Description: 'Sensor history: every scan for the last hour, one-minute averages for the last seven days.',
    ServiceEnabled: true,
    Status: { State: 'Enabled', Health: 'OK' },
    MaxReports: reports(ctx).length,
    MinCollectionInterval: 'PT1S',
    SupportedCollectionFunctions: ['Average'],
    MetricReportDefinitions: { '@odata.id': DEFINITIONS },
    MetricReports: { '@odata.id': REPORTS },
  };
}

export function metricReportDefinitionBody(ctx: { bmc: RequestContext['bmc'] }, r: ReportRef): JsonObject {
  return {
    '@odata.id': definitionPath(r.id),
    '@odata.type': odataType('MetricReportDefinition'),
    Id: r.id,
    Name: `${r.sensorName} history, ${r.window.title}`,
    Description: `Averages of the sensor's reading per ${r.window.step} interval over the ${r.window.title}, computed on request.`,
    MetricReportDefinitionType: 'OnRequest',
    MetricReportDefinitionEnabled: true,
    ReportActions: ['LogToMetricReportsCollection'],
    ReportUpdates: 'Overwrite',
    ReportTimespan: r.window.span,
    Metrics: [
      {
        MetricId: r.sensorId,
        MetricProperties: [readingProperty(ctx, r)],
        CollectionFunction: 'Average',
        CollectionDuration: r.window.step,
        CollectionTimeScope: 'Interval',
      },
    ],
    MetricReport: { '@odata.id': reportPath(r.id) },
    Status: { State: 'Enabled', Health: 'OK' },
  };
}

/** A metric value as text: enough digits for any sensor's resolution, no float noise. */
function valueText(v: number): string {
  return String(Number(v.toPrecision(6)));
}

export function metricReportBody(ctx: { bmc: RequestContext['bmc'] }, r: ReportRef, now: number): JsonObject {
  const property = readingProperty(ctx, r);
  const points = r.host.history.query(r.channel, now - r.window.spanMs, now, r.window.stepMs);
  return {
    '@odata.id': reportPath(r.id),
    '@odata.type': odataType('MetricReport'),
    Id: r.id,
    Name: `${r.sensorName} history, ${r.window.title}`,
    MetricReportDefinition: { '@odata.id': definitionPath(r.id) },
    Timestamp: isoTime(now),
    MetricValues: points.map((p) => ({ MetricId: r.sensorId, MetricValue: valueText(p.v), Timestamp: isoTime(p.t), MetricProperty: property })),
  };
}

export function telemetryRoutes(): RouteDef[] {
  return [
    {
      path: SERVICE,
      entity: 'TelemetryService',
      get: (ctx) => telemetryServiceBody(ctx),
    },
    {
      path: DEFINITIONS,
      entity: 'MetricReportDefinitionCollection',
      get: (ctx) =>
        collection(
          'MetricReportDefinition',
          DEFINITIONS,
          'Metric Report Definitions',
          reports(ctx).map((r) => definitionPath(r.id)),
        ),
    },
    {
      path: `${DEFINITIONS}/{MetricReportDefinitionId}`,
      entity: 'MetricReportDefinition',
      get: (ctx) => metricReportDefinitionBody(ctx, reportById(ctx, ctx.params.MetricReportDefinitionId, 'MetricReportDefinition')),
    },
    {
      path: REPORTS,
      entity: 'MetricReportCollection',
      get: (ctx) =>
        collection(
          'MetricReport',
          REPORTS,
          'Metric Reports',
          reports(ctx).map((r) => reportPath(r.id)),
        ),
    },
    {
      path: `${REPORTS}/{MetricReportId}`,
      entity: 'MetricReport',
      get: (ctx) => metricReportBody(ctx, reportById(ctx, ctx.params.MetricReportId, 'MetricReport'), ctx.bmc.clock.now()),
    },
  ];
}
