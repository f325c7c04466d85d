// The Redfish event engine (DSP0266 13.5 "Eventing"): model events become
// Redfish EventRecords (Event v1_13_0) with registry MessageIds
// (ResourceEvent 1.4.3, SensorEvent 1.1.0, LogService 1.1.0, TaskEvent 1.0.5),
// an OriginOfCondition built from ids.ts paths, and a bounded buffer of
// recent events for SSE replay (Last-Event-ID). Subscribers (push
// subscriptions, SSE streams) match records with the subscription filters
// of EventDestination and the SSE $filter grammar of DSP0266 13.5.4.
// Push delivery: one bounded queue per subscription, retries with
// exponential backoff per DeliveryRetryAttempts/IntervalSeconds and the
// subscription's DeliveryRetryPolicy, never on the request path.
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Bmc } from '../model/bmc.js';
import type { Clock, TimerHandle } from '../model/clock.js';
import type { ModelEvent } from '../model/events.js';
import type { Host } from '../model/host.js';
import type { Persistence } from '../model/persist.js';
import type { ThresholdName } from '../model/sensors.js';
import type { TaskChange } from '../model/tasks.js';
import { SubscriptionStore, type RetryPolicy, type Subscription } from '../model/subscriptions.js';
import type { Logger } from '../log.js';
import { paths, ROOT } from './ids.js';
import { Errors, MessageRegistry } from './messages.js';
import type { JsonObject } from './query.js';
import { readingKind, sensorId, sensorUri } from './resources/chassis-sensors.js';
import { systemMediaPath } from './resources/virtual-media.js';

export const Registries = {
  ResourceEvent: MessageRegistry.load('ResourceEvent.1.4.3.json'),
  SensorEvent: MessageRegistry.load('SensorEvent.1.1.0.json'),
  LogService: MessageRegistry.load('LogService.1.1.0.json'),
  TaskEvent: MessageRegistry.load('TaskEvent.1.0.5.json'),
} as const;

export const EVENT_TYPE = '#Event.v1_13_0.Event';

/** What one model change means to an event consumer, before it gets an id and a time. */
export interface EventSpec {
  readonly registry: MessageRegistry;
  readonly key: string;
  readonly args: readonly (string | number)[];
  readonly origin?: string;
  /** Schema name of the origin (EventDestination ResourceTypes). */
  readonly resourceType?: string;
}

/** One published event: the EventRecord and the keys filters match on. */
export interface PublishedEvent {
  readonly seq: number;
  readonly record: JsonObject;
  readonly messageId: string;
  readonly registryPrefix: string;
  readonly resourceType: string | undefined;
  readonly origin: string | undefined;
}

// ---- model events → event specs ------------------------------------------------

/** IPMI threshold event offsets (IPMI v2.0 table 42-2): two per threshold, in this order. */
const OFFSET_THRESHOLD: readonly ThresholdName[] = ['lnc', 'lc', 'lnr', 'unc', 'uc', 'unr'];

const ASSERT_KEY: Readonly<Record<ThresholdName, string>> = {
  unc: 'ReadingAboveUpperCautionThreshold',
  uc: 'ReadingAboveUpperCriticalThreshold',
  unr: 'ReadingAboveUpperFatalThreshold',
  lnc: 'ReadingBelowLowerCautionThreshold',
  lc: 'ReadingBelowLowerCriticalThreshold',
  lnr: 'ReadingBelowLowerFatalThreshold',
};

/** Deasserting a critical/fatal threshold: "now below ... but remains outside normal"; caution: back to normal. */
const DEASSERT_KEY: Readonly<Record<ThresholdName, string>> = {
  unc: 'SensorReadingNormalRange',
  uc: 'ReadingBelowUpperCriticalThreshold',
  unr: 'ReadingBelowUpperFatalThreshold',
  lnc: 'SensorReadingNormalRange',
  lc: 'ReadingAboveLowerCriticalThreshold',
  lnr: 'ReadingAboveLowerFatalThreshold',
};

function thresholdSpec(bmc: Bmc, host: Host, sensorNumber: number, offset: number, assertion: boolean): EventSpec | undefined {
  const s = host.sensors.get(sensorNumber);
  const name = OFFSET_THRESHOLD[offset >> 1];
  if (!s || !s.isThreshold || name === undefined) return undefined;
  let origin: string | undefined;
  try {
    origin = sensorUri({ bmc }, host, sensorId(host, s));
  } catch {
    origin = undefined;
  }
  const units = readingKind(s)?.units ?? s.def.unit;
  const value = s.value ?? 0;
  const key = assertion ? ASSERT_KEY[name] : DEASSERT_KEY[name];
  const args = key === 'SensorReadingNormalRange' ? [s.def.name, value, units] : [s.def.name, value, units, s.thresholdValue(name) ?? 0];
  return { registry: Registries.SensorEvent, key, args, ...(origin ? { origin, resourceType: 'Sensor' } : {}) };
}

function changed(origin: string, resourceType: string): EventSpec {
  return { registry: Registries.ResourceEvent, key: 'ResourceChanged', args: [], origin, resourceType };
}

function selEntry(bmc: Bmc, host: Host, id?: number): string {
  const svc = `${paths.system(bmc, host)}/LogServices/EventLog`;
  return id === undefined ? svc : `${svc}/Entries/${id}`;
}

/**
 * The events a model change produces (pure over the model's current state).
 * Readings are not events (they change every second; Sensor resources and
 * MetricReports carry them); threshold crossings are.
 */
export function eventsFor(bmc: Bmc, ev: ModelEvent): EventSpec[] {
  const host = 'host' in ev ? bmc.host(ev.host) : undefined;
  switch (ev.type) {
    case 'power':
      if (!host) return [];
      return [
        {
          registry: Registries.ResourceEvent,
          key: ev.state === 'on' ? 'ResourcePoweredOn' : 'ResourcePoweredOff',
          args: [paths.system(bmc, host)],
          origin: paths.system(bmc, host),
          resourceType: 'ComputerSystem',
        },
      ];
    case 'host-reset':
      if (!host) return [];
      return [
        { registry: Registries.ResourceEvent, key: 'ResourceStateChanged', args: [paths.system(bmc, host), 'Reset'], origin: paths.system(bmc, host), resourceType: 'ComputerSystem' },
      ];
    case 'sel-added':
      if (!host) return [];
      return [{ registry: Registries.ResourceEvent, key: 'ResourceCreated', args: [], origin: selEntry(bmc, host, ev.recordId), resourceType: 'LogEntry' }];
    case 'sel-deleted':
      if (!host) return [];
      return [{ registry: Registries.ResourceEvent, key: 'ResourceRemoved', args: [], origin: selEntry(bmc, host, ev.recordId), resourceType: 'LogEntry' }];
    case 'sel-cleared':
      if (!host) return [];
      return [{ registry: Registries.LogService, key: 'LogCleared', args: [selEntry(bmc, host)], origin: selEntry(bmc, host), resourceType: 'LogService' }];
    case 'threshold': {
      if (!host) return [];
      const spec = thresholdSpec(bmc, host, ev.sensor, ev.offset, ev.assertion);
      return spec ? [spec] : [];
    }
    case 'sensor-config': {
      const s = host?.sensors.get(ev.sensor);
      if (!host || !s?.isThreshold) return [];
      try {
        return [changed(sensorUri({ bmc }, host, sensorId(host, s)), 'Sensor')];
      } catch {
        return [];
      }
    }
    case 'boot-options':
    case 'power-policy':
    case 'watchdog':
      return host ? [changed(paths.system(bmc, host), 'ComputerSystem')] : [];
    case 'identify':
    case 'fru':
    case 'dcmi':
      return host ? [changed(paths.chassis(bmc, host), 'Chassis')] : [];
    case 'media':
      return host ? [changed(systemMediaPath(bmc, host, ev.slot), 'VirtualMedia')] : [];
    case 'users':
      return [changed(paths.account(ev.userId), 'ManagerAccount')];
    case 'lan':
    case 'channel':
    case 'sol-config':
    case 'bmc':
      return [changed(paths.manager(), 'Manager')];
    case 'reading':
    // a power button press or an NMI changes no resource; what the host does next does
    case 'host-signal':
      return [];
  }
}

/** ISO 8601 with a numeric offset, as Redfish DateTime values are written. */
export function isoTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, '+00:00');
}

// ---- matching and the SSE $filter grammar -------------------------------------

/** "ResourceEvent.1.4.3.ResourceCreated" matches itself and "ResourceEvent.ResourceCreated". */
export function messageIdMatches(pattern: string, id: string): boolean {
  if (pattern === id) return true;
  const p = pattern.split('.');
  const m = id.split('.');
  if (p.length === 2 && m.length >= 2) return p[0] === m[0] && p[1] === m[m.length - 1];
  return false;
}

function originMatches(pattern: string, origin: string | undefined, subordinate: boolean): boolean {
  if (origin === undefined) return false;
  const p = pattern.replace(/\/+$/, '');
  return origin === p || (subordinate && origin.startsWith(`${p}/`));
}

/** The filter properties of an EventDestination (DSP0266 13.5.3 "Subscribing"): empty = everything. */
export function subscriptionMatches(s: Pick<Subscription, 'registryPrefixes' | 'messageIds' | 'resourceTypes' | 'originResources' | 'subordinateResources'>, e: PublishedEvent): boolean {
  if (s.registryPrefixes.length > 0 && !s.registryPrefixes.includes(e.registryPrefix)) return false;
  if (s.messageIds.length > 0 && !s.messageIds.some((m) => messageIdMatches(m, e.messageId))) return false;
  if (s.resourceTypes.length > 0 && (e.resourceType === undefined || !s.resourceTypes.includes(e.resourceType))) return false;
  if (s.originResources.length > 0 && !s.originResources.some((o) => originMatches(o, e.origin, s.subordinateResources))) return false;
  return true;
}

export const FILTER_PROPERTIES = ['EventFormatType', 'MessageId', 'RegistryPrefix', 'ResourceType', 'OriginResource'] as const;
type FilterProperty = (typeof FILTER_PROPERTIES)[number];

export type FilterExpr =
  | { op: 'eq'; property: FilterProperty; value: string }
  | { op: 'and' | 'or'; left: FilterExpr; right: FilterExpr };

type Token = { kind: 'word'; text: string } | { kind: 'string'; text: string } | { kind: '(' | ')' };

function tokenize(text: string): Token[] | undefined {
  const out: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === ' ' || c === '\t') {
      i++;
    } else if (c === '(' || c === ')') {
      out.push({ kind: c });
      i++;
    } else if (c === "'") {
      let s = '';
      i++;
      for (;;) {
        if (i >= text.length) return undefined;
        if (text[i] === "'") {
          if (text[i + 1] === "'") {
            s += "'";
            i += 2;
            continue;
          }
          i++;
          break;
        }
        s += text[i];
        i++;
      }
      out.push({ kind: 'string', text: s });
    } else {
      const m = /^[A-Za-z0-9_.\/#-]+/.exec(text.slice(i));
      if (!m) return undefined;
      out.push({ kind: 'word', text: m[0] });
      i += m[0].length;
    }
  }
  return out;
}

/**
 * Parses an SSE `$filter` (DSP0266 13.5.4): `Property eq 'value'` on
 * EventFormatType, MessageId, RegistryPrefix, ResourceType and
 * OriginResource, combined with `and`/`or` and parentheses (`and` binds
 * tighter). Anything else is undefined (the caller answers 400).
 */
export function parseEventFilter(text: string): FilterExpr | undefined {
  if (text.length > 1024) return undefined;
  const tokens = tokenize(text);
  if (!tokens || tokens.length === 0) return undefined;
  let pos = 0;
  const peekWord = (w: string): boolean => {
    const t = tokens[pos];
    return t?.kind === 'word' && t.text === w;
  };
  const primary = (depth: number): FilterExpr | undefined => {
    if (depth > 32) return undefined;
    const t = tokens[pos];
    if (t?.kind === '(') {
      pos++;
      const e = orExpr(depth + 1);
      if (!e || tokens[pos]?.kind !== ')') return undefined;
      pos++;
      return e;
    }
    if (t?.kind !== 'word' || !(FILTER_PROPERTIES as readonly string[]).includes(t.text)) return undefined;
    pos++;
    if (!peekWord('eq')) return undefined;
    pos++;
    const v = tokens[pos];
    if (!v || (v.kind !== 'string' && v.kind !== 'word')) return undefined;
    pos++;
    return { op: 'eq', property: t.text as FilterProperty, value: v.text };
  };
  const andExpr = (depth: number): FilterExpr | undefined => {
    let left = primary(depth);
    while (left && peekWord('and')) {
      pos++;
      const right = primary(depth);
      left = right ? { op: 'and', left, right } : undefined;
    }
    return left;
  };
  const orExpr = (depth: number): FilterExpr | undefined => {
    let left = andExpr(depth);
    while (left && peekWord('or')) {
      pos++;
      const right = andExpr(depth);
      left = right ? { op: 'or', left, right } : undefined;
    }
    return left;
  };
  const e = orExpr(0);
  return e && pos === tokens.length ? e : undefined;
}

export function filterMatches(f: FilterExpr, e: PublishedEvent): boolean {
  switch (f.op) {
    case 'and':
      return filterMatches(f.left, e) && filterMatches(f.right, e);
    case 'or':
      return filterMatches(f.left, e) || filterMatches(f.right, e);
    case 'eq':
      switch (f.property) {
        case 'EventFormatType':
          return f.value === 'Event';
        case 'MessageId':
          return messageIdMatches(f.value, e.messageId);
        case 'RegistryPrefix':
          return f.value === e.registryPrefix;
        case 'ResourceType':
          return f.value === e.resourceType;
        case 'OriginResource':
          return originMatches(f.value, e.origin, false);
      }
  }
}

// ---- the engine: ids, times, the replay buffer, listeners -----------------------

export interface RawEvent {
  readonly messageId: string;
  readonly message: string;
  readonly args: readonly string[];
  readonly severity: string;
  readonly resolution?: string;
  readonly origin?: string;
  readonly resourceType?: string;
  readonly timestamp?: string;
}

/** Turns model events into published Redfish events and keeps the last `capacity` for replay. */
/** The TaskEvent a task change announces, if any (DMTF TaskEvent 1.0.5). */
export function taskEventFor(c: TaskChange): EventSpec | undefined {
  const origin = `/redfish/v1/TaskService/Tasks/${c.task.id}`;
  const base = { registry: Registries.TaskEvent, origin, resourceType: 'Task' };
  if (c.what === 'removed') return { ...base, key: 'TaskRemoved', args: [c.task.id] };
  if (c.what === 'progress') return { ...base, key: 'TaskProgressChanged', args: [c.task.id, c.task.percent] };
  switch (c.task.state) {
    case 'Running':
      return { ...base, key: 'TaskStarted', args: [c.task.id] };
    case 'Completed':
      return { ...base, key: c.task.health === 'Warning' ? 'TaskCompletedWarning' : 'TaskCompletedOK', args: [c.task.id] };
    case 'Exception':
      return { ...base, key: 'TaskAborted', args: [c.task.id] };
    case 'Cancelled':
      return { ...base, key: 'TaskCancelled', args: [c.task.id] };
    default:
      return undefined;
  }
}

export class EventEngine {
  readonly #bmc: Bmc;
  readonly #clock: Clock;
  readonly #capacity: number;
  readonly #buffer: PublishedEvent[] = [];
  readonly #listeners = new Set<(e: PublishedEvent) => void>();
  readonly #off: () => void;
  #seq = 0;

  constructor(opts: { bmc: Bmc; clock?: Clock; capacity?: number }) {
    this.#bmc = opts.bmc;
    this.#clock = opts.clock ?? opts.bmc.clock;
    this.#capacity = opts.capacity ?? 256;
    const offModel = opts.bmc.events.onAny((ev) => {
      for (const spec of eventsFor(this.#bmc, ev)) this.publish(spec);
    });
    // task life cycle (TaskEvent registry), e.g. firmware updates
    const offTasks = opts.bmc.tasks.on((c) => {
      const spec = taskEventFor(c);
      if (spec) this.publish(spec);
    });
    this.#off = () => {
      offModel();
      offTasks();
    };
  }

  /** Publishes one registry message as an event. */
  publish(spec: EventSpec): PublishedEvent {
    const m = spec.registry.message(spec.key, spec.args);
    return this.publishRaw({
      messageId: m.MessageId,
      message: m.Message,
      args: m.MessageArgs,
      severity: m.MessageSeverity,
      resolution: m.Resolution,
      ...(spec.origin !== undefined ? { origin: spec.origin } : {}),
      ...(spec.resourceType !== undefined ? { resourceType: spec.resourceType } : {}),
    });
  }

  /** Publishes an event whose text the caller supplies (SubmitTestEvent). */
  publishRaw(r: RawEvent): PublishedEvent {
    const seq = ++this.#seq;
    const record: JsonObject = {
      MemberId: '0',
      EventId: String(seq),
      EventType: 'Other',
      EventTimestamp: r.timestamp ?? isoTime(this.#clock.now()),
      MessageId: r.messageId,
      Message: r.message,
      MessageArgs: [...r.args],
      MessageSeverity: r.severity,
      ...(r.resolution !== undefined ? { Resolution: r.resolution } : {}),
      ...(r.origin !== undefined ? { OriginOfCondition: { '@odata.id': r.origin } } : {}),
    };
    const e: PublishedEvent = {
      seq,
      record,
      messageId: r.messageId,
      registryPrefix: r.messageId.split('.')[0] ?? '',
      resourceType: r.resourceType,
      origin: r.origin,
    };
    this.#buffer.push(e);
    if (this.#buffer.length > this.#capacity) this.#buffer.shift();
    for (const fn of [...this.#listeners]) {
      try {
        fn(e);
      } catch {
        // a consumer's failure never reaches the model
      }
    }
    return e;
  }

  on(fn: (e: PublishedEvent) => void): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  /** Buffered events after `seq` (SSE Last-Event-ID). */
  since(seq: number): PublishedEvent[] {
    return this.#buffer.filter((e) => e.seq > seq);
  }

  close(): void {
    this.#off();
    this.#listeners.clear();
  }
}

/** The Event body (Event v1_13_0) carrying records to one consumer. */
export function eventBody(events: readonly PublishedEvent[], context: string | undefined): JsonObject {
  const first = events[0];
  return {
    '@odata.type': EVENT_TYPE,
    Id: first ? String(first.seq) : '0',
    Name: 'Event Array',
    ...(context !== undefined ? { Context: context } : {}),
    Events: events.map((e, i) => ({ ...e.record, MemberId: String(i) })),
  };
}

// ---- push delivery ---------------------------------------------------------------

export const QUEUE_LIMIT = 64;
export const MAX_BACKOFF_MS = 3_600_000;

/** What to do after the `failures`-th failed attempt of one event. */
export function afterFailure(policy: RetryPolicy, failures: number, retryAttempts: number): 'retry' | 'suspend' | 'terminate' {
  if (policy === 'RetryForever' || policy === 'RetryForeverWithBackoff') return 'retry';
  if (failures <= retryAttempts) return 'retry';
  return policy === 'SuspendRetries' ? 'suspend' : 'terminate';
}

/** Delay before the next attempt: constant for RetryForever, else doubling from the interval (capped). */
export function retryDelayMs(policy: RetryPolicy, failures: number, intervalS: number): number {
  const base = intervalS * 1000;
  if (policy === 'RetryForever') return base;
  return Math.min(MAX_BACKOFF_MS, base * 2 ** Math.max(0, Math.min(failures - 1, 20)));
}

export interface DeliveryTarget {
  readonly destination: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly verifyCertificate: boolean;
}

/** Sends one body; true on a 2xx answer. Never throws. */
export type Sender = (target: DeliveryTarget, body: string) => Promise<boolean>;

export const DELIVERY_TIMEOUT_MS = 10_000;

/** POSTs the Event to an http(s) destination. */
export const httpSender: Sender = (target, body) =>
  new Promise((resolve) => {
    let url: URL;
    try {
      url = new URL(target.destination);
    } catch {
      resolve(false);
      return;
    }
    const headers = { ...target.headers, 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(body)), 'OData-Version': '4.0' };
    const opts = { method: 'POST', headers, timeout: DELIVERY_TIMEOUT_MS };
    const done = (ok: boolean): void => resolve(ok);
    try {
      const req =
        url.protocol === 'https:'
          ? httpsRequest(url, { ...opts, rejectUnauthorized: target.verifyCertificate }, (res) => {
              res.resume();
              res.on('end', () => done((res.statusCode ?? 0) >= 200 && (res.statusCode ?? 0) < 300));
              res.on('error', () => done(false));
            })
          : httpRequest(url, opts, (res) => {
              res.resume();
              res.on('end', () => done((res.statusCode ?? 0) >= 200 && (res.statusCode ?? 0) < 300));
              res.on('error', () => done(false));
            });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', () => done(false));
      req.end(body);
    } catch {
      done(false);
    }
  });

interface DelivererOwner {
  readonly clock: Clock;
  readonly send: Sender;
  settings(): { retryAttempts: number; retryIntervalS: number };
  subscription(id: string): Subscription | undefined;
  suspend(id: string): void;
  terminate(id: string): void;
  delivered(id: string): void;
}

/** The queue and retry timer of one subscription. */
class Deliverer {
  readonly #id: string;
  readonly #owner: DelivererOwner;
  readonly #queue: string[] = [];
  #failures = 0;
  #sending = false;
  #timer: TimerHandle | undefined;
  #closed = false;
  dropped = 0;

  constructor(id: string, owner: DelivererOwner) {
    this.#id = id;
    this.#owner = owner;
  }

  get pending(): number {
    return this.#queue.length;
  }

  enqueue(body: string): void {
    if (this.#queue.length >= QUEUE_LIMIT) {
      this.#queue.shift();
      this.dropped++;
    }
    this.#queue.push(body);
    this.kick();
  }

  /** Starts sending unless busy, waiting for a retry, or suspended. */
  kick(): void {
    if (this.#closed || this.#sending || this.#timer) return;
    const sub = this.#owner.subscription(this.#id);
    if (!sub || sub.suspended || this.#queue.length === 0) return;
    void this.#sendHead(sub);
  }

  resume(): void {
    this.#failures = 0;
    this.#timer?.cancel();
    this.#timer = undefined;
    this.kick();
  }

  async #sendHead(sub: Subscription): Promise<void> {
    const body = this.#queue[0];
    if (body === undefined) return;
    this.#sending = true;
    const ok = await this.#owner.send({ destination: sub.destination, headers: sub.httpHeaders, verifyCertificate: sub.verifyCertificate }, body);
    this.#sending = false;
    if (this.#closed) return;
    if (ok) {
      this.#queue.shift();
      this.#failures = 0;
      this.#owner.delivered(this.#id);
      this.kick();
      return;
    }
    this.#failures++;
    const { retryAttempts, retryIntervalS } = this.#owner.settings();
    const policy = this.#owner.subscription(this.#id)?.retryPolicy ?? sub.retryPolicy;
    switch (afterFailure(policy, this.#failures, retryAttempts)) {
      case 'terminate':
        this.#owner.terminate(this.#id);
        return;
      case 'suspend':
        this.#failures = 0;
        this.#owner.suspend(this.#id);
        return;
      case 'retry':
        this.#timer = this.#owner.clock.setTimeout(() => {
          this.#timer = undefined;
          this.kick();
        }, retryDelayMs(policy, this.#failures, retryIntervalS));
    }
  }

  close(): void {
    this.#closed = true;
    this.#timer?.cancel();
    this.#timer = undefined;
    this.#queue.length = 0;
  }
}

export type NewSubscription = Omit<Subscription, 'id' | 'suspended'>;

/**
 * The EventService behind the Redfish resources: the engine, the persisted
 * subscriptions and their deliverers, and the SSE stream count.
 */
export class EventService {
  readonly engine: EventEngine;
  readonly store: SubscriptionStore;
  readonly clock: Clock;
  readonly send: Sender;
  readonly #log: Logger | undefined;
  readonly #deliverers = new Map<string, Deliverer>();
  readonly #off: () => void;
  /** Open SSE streams (capped). */
  sseStreams = 0;
  readonly maxSseStreams: number;

  constructor(opts: { bmc: Bmc; persist: Persistence; log?: Logger; clock?: Clock; send?: Sender; maxSseStreams?: number; capacity?: number }) {
    this.clock = opts.clock ?? opts.bmc.clock;
    this.engine = new EventEngine({ bmc: opts.bmc, clock: this.clock, ...(opts.capacity !== undefined ? { capacity: opts.capacity } : {}) });
    this.store = new SubscriptionStore(opts.persist, opts.bmc.secrets);
    this.send = opts.send ?? httpSender;
    this.#log = opts.log;
    this.maxSseStreams = opts.maxSseStreams ?? 10;
    for (const s of this.store.list()) this.#deliverers.set(s.id, this.#deliverer(s.id));
    this.#off = this.engine.on((e) => this.#dispatch(e));
  }

  #deliverer(id: string): Deliverer {
    const owner: DelivererOwner = {
      clock: this.clock,
      send: this.send,
      settings: () => this.store.settings,
      subscription: (sid) => this.store.get(sid),
      suspend: (sid) => {
        this.store.update(sid, { suspended: true });
        this.#log?.warn('event subscription suspended after failed deliveries', { subscription: sid });
      },
      terminate: (sid) => {
        this.#log?.warn('event subscription terminated after failed deliveries', { subscription: sid });
        this.delete(sid);
      },
      delivered: () => undefined,
    };
    return new Deliverer(id, owner);
  }

  #dispatch(e: PublishedEvent): void {
    if (!this.store.settings.serviceEnabled) return;
    for (const s of this.store.list()) {
      if (s.suspended || !subscriptionMatches(s, e)) continue;
      this.#deliverers.get(s.id)?.enqueue(JSON.stringify(eventBody([e], s.context)));
    }
  }

  create(s: NewSubscription): Subscription {
    if (this.store.full) throw Errors.createLimit();
    const sub = this.store.add({ ...s, suspended: false });
    this.#deliverers.set(sub.id, this.#deliverer(sub.id));
    return sub;
  }

  delete(id: string): boolean {
    this.#deliverers.get(id)?.close();
    this.#deliverers.delete(id);
    return this.store.delete(id);
  }

  suspend(id: string): void {
    this.store.update(id, { suspended: true });
  }

  resume(id: string): void {
    this.store.update(id, { suspended: false });
    this.#deliverers.get(id)?.resume();
  }

  /** Events waiting for one subscription. */
  pending(id: string): number {
    return this.#deliverers.get(id)?.pending ?? 0;
  }

  close(): void {
    this.#off();
    for (const d of this.#deliverers.values()) d.close();
    this.#deliverers.clear();
    this.engine.close();
  }
}

/** The Redfish paths of the EventService. */
export const EVENT_PATHS = {
  service: `${ROOT}/EventService`,
  subscriptions: `${ROOT}/EventService/Subscriptions`,
  subscription: (id: string) => `${ROOT}/EventService/Subscriptions/${id}`,
  sse: `${ROOT}/EventService/SSE`,
} as const;

