// EventService (EventService v1_12_0), its Subscriptions (EventDestination
// v1_16_0) and the Server-Sent Events stream (DSP0266 13.5 "Eventing",
// 13.5.4 "Server-sent events"). The engine, subscriptions and delivery
// live in ../events.ts; this file reads requests and writes bodies.
import type { ServerResponse } from 'node:http';
import { MemoryPersistence } from '../../model/persist.js';
import { RETRY_POLICIES, type RetryPolicy, type Subscription } from '../../model/subscriptions.js';
import type { Bmc } from '../../model/bmc.js';
import { readBody } from '../body.js';
import { EVENT_PATHS, EventService, eventBody, filterMatches, isoTime, parseEventFilter, Registries, type FilterExpr, type PublishedEvent } from '../events.js';
import { Base, Errors, RedfishError, type MessageRegistry } from '../messages.js';
import type { JsonObject, RequestContext, RouteDef } from '../router.js';
import { collection, odataType } from '../schemas.js';
import type { RedfishStream, StreamRequest } from '../server.js';

const SUBMIT_TEST = `${EVENT_PATHS.service}/Actions/EventService.SubmitTestEvent`;
const SUBMIT_TEST_INFO = `${EVENT_PATHS.service}/SubmitTestEventActionInfo`;

/** Registries whose messages this service sends as events. */
export const EVENT_REGISTRIES: readonly MessageRegistry[] = [Registries.ResourceEvent, Registries.SensorEvent, Registries.LogService, Registries.TaskEvent];
/** Schemas of the resources events originate from. */
export const EVENT_RESOURCE_TYPES = ['ComputerSystem', 'Chassis', 'Sensor', 'LogEntry', 'LogService', 'ManagerAccount', 'Manager', 'Task', 'VirtualMedia'] as const;

const fallback = new WeakMap<Bmc, EventService>();

/** The EventService the composition root passed in, or one over memory for a bare RedfishService (unit tests). */
export function eventServiceOf(ctx: { bmc: Bmc; services: RequestContext['services'] }): EventService {
  const s = ctx.services.events;
  if (s instanceof EventService) return s;
  let f = fallback.get(ctx.bmc);
  if (!f) {
    f = new EventService({ bmc: ctx.bmc, persist: new MemoryPersistence() });
    fallback.set(ctx.bmc, f);
  }
  return f;
}

// ---- bodies --------------------------------------------------------------------

export function eventServiceBody(svc: EventService): JsonObject {
  const st = svc.store.settings;
  return {
    '@odata.id': EVENT_PATHS.service,
    '@odata.type': odataType('EventService'),
    Id: 'EventService',
    Name: 'Event Service',
    Description: 'Redfish event subscriptions and the SSE stream',
    ServiceEnabled: st.serviceEnabled,
    Status: { State: st.serviceEnabled ? 'Enabled' : 'Disabled', Health: 'OK' },
    DeliveryRetryAttempts: st.retryAttempts,
    DeliveryRetryIntervalSeconds: st.retryIntervalS,
    EventFormatTypes: ['Event'],
    RegistryPrefixes: EVENT_REGISTRIES.map((r) => r.prefix),
    ResourceTypes: [...EVENT_RESOURCE_TYPES],
    ServerSentEventUri: EVENT_PATHS.sse,
    SSEFilterPropertiesSupported: {
      EventFormatType: true,
      MessageId: true,
      RegistryPrefix: true,
      ResourceType: true,
      OriginResource: true,
      EventType: false,
      MetricReportDefinition: false,
      SubordinateResources: false,
    },
    SubordinateResourcesSupported: true,
    Subscriptions: { '@odata.id': EVENT_PATHS.subscriptions },
    Actions: { '#EventService.SubmitTestEvent': { target: SUBMIT_TEST, '@Redfish.ActionInfo': SUBMIT_TEST_INFO } },
  };
}

export function subscriptionBody(s: Subscription): JsonObject {
  const path = EVENT_PATHS.subscription(s.id);
  return {
    '@odata.id': path,
    '@odata.type': odataType('EventDestination'),
    Id: s.id,
    Name: `Event Subscription ${s.id}`,
    Destination: s.destination,
    Context: s.context,
    Protocol: 'Redfish',
    SubscriptionType: 'RedfishEvent',
    EventFormatType: s.eventFormatType,
    RegistryPrefixes: [...s.registryPrefixes],
    MessageIds: [...s.messageIds],
    ResourceTypes: [...s.resourceTypes],
    OriginResources: s.originResources.map((o) => ({ '@odata.id': o })),
    'OriginResources@odata.count': s.originResources.length,
    SubordinateResources: s.subordinateResources,
    // write-only: never echoed (EventDestination.HttpHeaders "shall be null or an empty array in responses")
    HttpHeaders: [],
    DeliveryRetryPolicy: s.retryPolicy,
    VerifyCertificate: s.verifyCertificate,
    Status: s.suspended ? { State: 'Disabled', Health: 'Warning' } : { State: 'Enabled', Health: 'OK' },
    Actions: {
      '#EventDestination.ResumeSubscription': { target: `${path}/Actions/EventDestination.ResumeSubscription` },
      '#EventDestination.SuspendSubscription': { target: `${path}/Actions/EventDestination.SuspendSubscription` },
    },
  };
}

// ---- reading a subscription ------------------------------------------------------

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,64}$/;
const FORBIDDEN_HEADERS = new Set(['content-length', 'content-type', 'host', 'transfer-encoding', 'connection', 'odata-version']);

function readHttpHeaders(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (v === undefined || v === null) return out;
  if (!Array.isArray(v) || v.length > 16) throw Errors.propertyValueType(v, 'HttpHeaders');
  for (const item of v) {
    if (!item || typeof item !== 'object' || Array.isArray(item)) throw Errors.propertyValueType(item, 'HttpHeaders');
    for (const [name, value] of Object.entries(item as Record<string, unknown>)) {
      if (typeof value !== 'string') throw Errors.propertyValueType('[redacted]', `HttpHeaders/${name}`);
      if (!HEADER_NAME.test(name) || FORBIDDEN_HEADERS.has(name.toLowerCase()) || /[\r\n\0]/.test(value) || value.length > 1024) {
        throw Errors.propertyValueFormat('[redacted]', `HttpHeaders/${name}`);
      }
      out[name] = value;
    }
  }
  return out;
}

function readOrigins(v: unknown): string[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || v.length > 32) throw Errors.propertyValueType(v, 'OriginResources');
  return v.map((item, i) => {
    const id = item && typeof item === 'object' && !Array.isArray(item) ? (item as Record<string, unknown>)['@odata.id'] : undefined;
    if (typeof id !== 'string' || !/^\/redfish\/v1(\/[^\s/?#]+)*$/.test(id) || id.length > 512) throw Errors.propertyValueFormat(item, `OriginResources/${i}`);
    return id.replace(/\/+$/, '');
  });
}

/** "ResourceEvent.ResourceCreated" or "ResourceEvent.1.4.3.ResourceCreated", of a registry this service sends. */
export function knownMessageId(id: string): boolean {
  const parts = id.split('.');
  const reg = EVENT_REGISTRIES.find((r) => r.prefix === parts[0]);
  const key = parts[parts.length - 1];
  if (!reg || key === undefined) return false;
  if (parts.length !== 2 && `${parts.slice(0, -1).join('.')}` !== reg.id) return false;
  return key in reg.file.Messages;
}

/** Destination: an absolute http(s) URL (DSP0266 13.5.3). */
export function readDestination(v: string): string {
  let url: URL;
  try {
    url = new URL(v);
  } catch {
    throw Errors.propertyValueFormat(v, 'Destination');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw Errors.propertyValueNotInList(v, 'Destination');
  if (url.hostname === '') throw Errors.propertyValueFormat(v, 'Destination');
  return v;
}

interface SubscriptionPost {
  Destination: string;
  Protocol: 'Redfish';
  Context?: string;
  SubscriptionType?: string;
  EventFormatType?: string;
  RegistryPrefixes?: string[];
  MessageIds?: string[];
  ResourceTypes?: string[];
  SubordinateResources?: boolean;
  DeliveryRetryPolicy?: RetryPolicy;
  VerifyCertificate?: boolean;
}

function createSubscription(ctx: RequestContext): { status: number; headers: Record<string, string>; body: JsonObject } {
  const svc = eventServiceOf(ctx);
  const raw = ctx.body;
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw Errors.malformedJson();
  const { HttpHeaders, OriginResources, ...rest } = raw as Record<string, unknown>;
  const b = readBody<SubscriptionPost>(
    rest,
    {
      Destination: { type: 'string', maxLength: 2048 },
      Protocol: { type: 'string', enum: ['Redfish'] },
      Context: { type: 'string', maxLength: 256 },
      SubscriptionType: { type: 'string', enum: ['RedfishEvent'] },
      EventFormatType: { type: 'string', enum: ['Event'] },
      RegistryPrefixes: { type: 'array', maxItems: 16, items: { type: 'string', enum: EVENT_REGISTRIES.map((r) => r.prefix) } },
      MessageIds: { type: 'array', maxItems: 64, items: { type: 'string', maxLength: 128 } },
      ResourceTypes: { type: 'array', maxItems: 16, items: { type: 'string', enum: [...EVENT_RESOURCE_TYPES] } },
      SubordinateResources: { type: 'boolean' },
      DeliveryRetryPolicy: { type: 'string', enum: RETRY_POLICIES },
      VerifyCertificate: { type: 'boolean' },
    },
    { required: ['Destination', 'Protocol'], allowEmpty: true },
  );
  const destination = readDestination(b.Destination);
  (b.MessageIds ?? []).forEach((m, i) => {
    if (!knownMessageId(m)) throw Errors.propertyValueNotInList(m, `MessageIds/${i}`);
  });
  const headers = readHttpHeaders(HttpHeaders);
  const origins = readOrigins(OriginResources);
  if (svc.store.list().some((s) => s.destination === destination && s.context === (b.Context ?? ''))) {
    throw Errors.alreadyExists('EventDestination', 'Destination', destination);
  }
  const sub = svc.create({
    destination,
    context: b.Context ?? '',
    eventFormatType: 'Event',
    registryPrefixes: b.RegistryPrefixes ?? [],
    messageIds: b.MessageIds ?? [],
    resourceTypes: b.ResourceTypes ?? [],
    originResources: origins,
    subordinateResources: b.SubordinateResources ?? false,
    httpHeaders: headers,
    retryPolicy: b.DeliveryRetryPolicy ?? 'SuspendRetries',
    verifyCertificate: b.VerifyCertificate ?? true,
    createdBy: ctx.principal?.userName ?? '',
  });
  ctx.services.log.info('event subscription created', { id: sub.id, destination, user: sub.createdBy });
  return { status: 201, headers: { Location: EVENT_PATHS.subscription(sub.id) }, body: subscriptionBody(sub) };
}

function subscriptionOf(ctx: RequestContext): Subscription {
  const id = ctx.params.SubscriptionId ?? '';
  const s = eventServiceOf(ctx).store.get(id);
  if (!s) throw Errors.notFound('EventDestination', id);
  return s;
}

/**
 * A subscription to change: the registry grants EventDestination writes to
 * ConfigureSelf too, which means one's own subscriptions only.
 */
function ownedSubscription(ctx: RequestContext): Subscription {
  const s = subscriptionOf(ctx);
  const p = ctx.principal;
  if (!p?.privileges.has('ConfigureManager') && s.createdBy !== p?.userName) throw Errors.insufficientPrivilege();
  return s;
}

// ---- SubmitTestEvent ----------------------------------------------------------------

interface TestEventPost {
  MessageId: string;
  Message?: string;
  MessageArgs?: string[];
  MessageSeverity?: 'OK' | 'Warning' | 'Critical';
  Severity?: string;
  OriginOfCondition?: string;
  EventId?: string;
  EventGroupId?: number;
  EventTimestamp?: string;
  EventType?: string;
}

function submitTestEvent(ctx: RequestContext): { status: number; body: unknown } {
  const action = 'SubmitTestEvent';
  const b = readBody<TestEventPost>(
    ctx.body ?? {},
    {
      MessageId: { type: 'string', maxLength: 128, pattern: /^[A-Za-z0-9]+(\.[0-9]+\.[0-9]+\.[0-9]+)?\.[A-Za-z0-9]+$/ },
      Message: { type: 'string', maxLength: 1024 },
      MessageArgs: { type: 'array', maxItems: 16, items: { type: 'string', maxLength: 256 } },
      MessageSeverity: { type: 'string', enum: ['OK', 'Warning', 'Critical'] },
      Severity: { type: 'string', maxLength: 32 },
      OriginOfCondition: { type: 'string', maxLength: 512, pattern: /^\/redfish\/v1(\/[^\s?#]+)*$/ },
      EventId: { type: 'string', maxLength: 64 },
      EventGroupId: { type: 'integer', min: 0 },
      EventTimestamp: { type: 'string', maxLength: 64 },
      EventType: { type: 'string', enum: ['StatusChange', 'ResourceUpdated', 'ResourceAdded', 'ResourceRemoved', 'Alert', 'Other'] },
    },
    { required: ['MessageId'], action },
  );
  if (b.EventTimestamp !== undefined && Number.isNaN(Date.parse(b.EventTimestamp))) throw Errors.actionParameterValue('EventTimestamp', action);
  const svc = eventServiceOf(ctx);
  svc.engine.publishRaw({
    messageId: b.MessageId,
    message: b.Message ?? 'Test message.',
    args: b.MessageArgs ?? [],
    severity: b.MessageSeverity ?? 'OK',
    ...(b.OriginOfCondition !== undefined ? { origin: b.OriginOfCondition.replace(/\/+$/, '') } : {}),
    ...(b.EventTimestamp !== undefined ? { timestamp: b.EventTimestamp } : {}),
  });
  return { status: 200, body: { '@Message.ExtendedInfo': [Base.message('Success')] } };
}

function submitTestEventInfo(): JsonObject {
  const p = (Name: string, DataType: string, Required = false): JsonObject => ({ Name, DataType, Required });
  return {
    '@odata.id': SUBMIT_TEST_INFO,
    '@odata.type': odataType('ActionInfo'),
    Id: 'SubmitTestEventActionInfo',
    Name: 'SubmitTestEvent Action Info',
    Parameters: [
      p('MessageId', 'String', true),
      p('Message', 'String'),
      p('MessageArgs', 'StringArray'),
      { ...p('MessageSeverity', 'String'), AllowableValues: ['OK', 'Warning', 'Critical'] },
      p('OriginOfCondition', 'String'),
      p('EventTimestamp', 'String'),
      p('EventId', 'String'),
      p('EventGroupId', 'Number'),
      p('Severity', 'String'),
      { ...p('EventType', 'String'), AllowableValues: ['StatusChange', 'ResourceUpdated', 'ResourceAdded', 'ResourceRemoved', 'Alert', 'Other'] },
    ],
  };
}

// ---- routes --------------------------------------------------------------------------

export function eventServiceRoutes(): RouteDef[] {
  return [
    {
      path: EVENT_PATHS.service,
      entity: 'EventService',
      get: (ctx) => eventServiceBody(eventServiceOf(ctx)),
      patch: (ctx) => {
        const b = readBody<{ ServiceEnabled?: boolean; DeliveryRetryAttempts?: number; DeliveryRetryIntervalSeconds?: number }>(ctx.body, {
          ServiceEnabled: { type: 'boolean' },
          DeliveryRetryAttempts: { type: 'integer', min: 0, max: 20 },
          DeliveryRetryIntervalSeconds: { type: 'integer', min: 1, max: 3600 },
        });
        const svc = eventServiceOf(ctx);
        svc.store.setSettings({
          ...(b.ServiceEnabled !== undefined ? { serviceEnabled: b.ServiceEnabled } : {}),
          ...(b.DeliveryRetryAttempts !== undefined ? { retryAttempts: b.DeliveryRetryAttempts } : {}),
          ...(b.DeliveryRetryIntervalSeconds !== undefined ? { retryIntervalS: b.DeliveryRetryIntervalSeconds } : {}),
        });
        return { status: 200, body: eventServiceBody(svc) };
      },
    },
    { path: SUBMIT_TEST, entity: 'EventService', post: submitTestEvent },
    { path: SUBMIT_TEST_INFO, entity: 'EventService', get: () => submitTestEventInfo() },
    {
      path: EVENT_PATHS.subscriptions,
      entity: 'EventDestinationCollection',
      get: (ctx) =>
        collection(
          'EventDestination',
          EVENT_PATHS.subscriptions,
          'Event Subscriptions',
          eventServiceOf(ctx).store.list().map((s) => EVENT_PATHS.subscription(s.id)),
        ),
      post: createSubscription,
    },
    {
      path: `${EVENT_PATHS.subscriptions}/{SubscriptionId}`,
      entity: 'EventDestination',
      get: (ctx) => subscriptionBody(subscriptionOf(ctx)),
      patch: (ctx) => {
        const s = ownedSubscription(ctx);
        const b = readBody<{ Context?: string; DeliveryRetryPolicy?: RetryPolicy; VerifyCertificate?: boolean }>(ctx.body, {
          Context: { type: 'string', maxLength: 256 },
          DeliveryRetryPolicy: { type: 'string', enum: RETRY_POLICIES },
          VerifyCertificate: { type: 'boolean' },
          Destination: { type: 'string', readOnly: true },
          Protocol: { type: 'string', readOnly: true },
          EventFormatType: { type: 'string', readOnly: true },
          SubscriptionType: { type: 'string', readOnly: true },
        });
        const updated = eventServiceOf(ctx).store.update(s.id, {
          ...(b.Context !== undefined ? { context: b.Context } : {}),
          ...(b.DeliveryRetryPolicy !== undefined ? { retryPolicy: b.DeliveryRetryPolicy } : {}),
          ...(b.VerifyCertificate !== undefined ? { verifyCertificate: b.VerifyCertificate } : {}),
        });
        return { status: 200, body: subscriptionBody(updated ?? s) };
      },
      delete: (ctx) => {
        const s = ownedSubscription(ctx);
        eventServiceOf(ctx).delete(s.id);
        return { status: 204 };
      },
    },
    {
      path: `${EVENT_PATHS.subscriptions}/{SubscriptionId}/Actions/EventDestination.ResumeSubscription`,
      entity: 'EventDestination',
      post: (ctx) => {
        readBody(ctx.body ?? {}, { DeliverBufferedEventDuration: { type: 'string', maxLength: 32 } }, { allowEmpty: true });
        eventServiceOf(ctx).resume(ownedSubscription(ctx).id);
        return { status: 204 };
      },
    },
    {
      path: `${EVENT_PATHS.subscriptions}/{SubscriptionId}/Actions/EventDestination.SuspendSubscription`,
      entity: 'EventDestination',
      post: (ctx) => {
        readBody(ctx.body ?? {}, {}, { allowEmpty: true });
        eventServiceOf(ctx).suspend(ownedSubscription(ctx).id);
        return { status: 204 };
      },
    },
  ];
}

// ---- Server-Sent Events (DSP0266 13.5.4) ----------------------------------------------

export const SSE_KEEPALIVE_MS = 15_000;
const SSE_BACKLOG_LIMIT = 256 * 1024;

function header(req: StreamRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** One SSE frame: `id: N` and the Event body as `data:` (single line JSON). */
export function sseFrame(e: PublishedEvent): string {
  return `id: ${e.seq}\ndata: ${JSON.stringify(eventBody([e], undefined))}\n\n`;
}

/** The stream endpoint (Login privilege; $filter; Last-Event-ID replay; capped). */
export function eventSseStream(svc: EventService): RedfishStream {
  return {
    path: EVENT_PATHS.sse,
    open(req) {
      if (!req.principal.privileges.has('Login')) throw Errors.insufficientPrivilege();
      if (!svc.store.settings.serviceEnabled) throw new RedfishError(503, [Base.message('ServiceDisabled', [EVENT_PATHS.service])]);
      const q = req.url.indexOf('?');
      const search = new URLSearchParams(q < 0 ? '' : req.url.slice(q + 1));
      let filter: FilterExpr | undefined;
      for (const [k] of search) {
        if (k !== '$filter') throw new RedfishError(400, [Base.message('QueryParameterUnsupported', [k])]);
      }
      const ftext = search.get('$filter');
      if (ftext !== null) {
        filter = parseEventFilter(ftext);
        if (!filter) throw Errors.queryValueFormat(ftext, '$filter');
      }
      if (svc.sseStreams >= svc.maxSseStreams) throw new RedfishError(503, [Base.message('ServiceTemporarilyUnavailable', ['30'])], { 'Retry-After': '30' });
      const lastRaw = header(req, 'last-event-id');
      const last = lastRaw !== undefined && /^\d{1,15}$/.test(lastRaw) ? Number(lastRaw) : undefined;
      svc.sseStreams++;
      return (res: ServerResponse, onClose) => {
        let closed = false;
        const wants = (e: PublishedEvent): boolean => svc.store.settings.serviceEnabled && (!filter || filterMatches(filter, e));
        const write = (text: string): void => {
          if (closed) return;
          // a reader that does not keep up is dropped rather than buffered without bound
          if (res.writableLength > SSE_BACKLOG_LIMIT) {
            close();
            return;
          }
          res.write(text);
        };
        const off = svc.engine.on((e) => {
          if (wants(e)) write(sseFrame(e));
        });
        const keepAlive = setInterval(() => write(`: keep-alive ${isoTime(Date.now())}\n\n`), SSE_KEEPALIVE_MS);
        keepAlive.unref();
        const close = (): void => {
          if (closed) return;
          closed = true;
          off();
          clearInterval(keepAlive);
          svc.sseStreams--;
          if (!res.writableEnded) res.end();
          res.destroy();
        };
        onClose(close);
        res.on('error', close);
        res.writeHead(200, {
          'Content-Type': 'text/event-stream',
          'Cache-Control': 'no-cache',
          Connection: 'keep-alive',
          'OData-Version': '4.0',
          'X-Content-Type-Options': 'nosniff',
        });
        res.write(': tsbmc event stream\n\n');
        if (last !== undefined) for (const e of svc.engine.since(last)) if (wants(e)) write(sseFrame(e));
      };
    },
  };
}
