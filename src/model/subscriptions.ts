// Event subscriptions (Redfish EventDestination, DSP0266 13.5 "Eventing")
// and the event service's delivery policy, as the BMC keeps them: what a
// client asked for, persisted so subscriptions survive a restart. Delivery
// state (queues, retry timers, Suspended) is derived and lives in the
// front door, except the Suspended flag, which a client must clear.
import type { Persistence } from './persist.js';
import type { SecretBox } from './users.js';

export type RetryPolicy = 'TerminateAfterRetries' | 'SuspendRetries' | 'RetryForever' | 'RetryForeverWithBackoff';
export const RETRY_POLICIES: readonly RetryPolicy[] = ['TerminateAfterRetries', 'SuspendRetries', 'RetryForever', 'RetryForeverWithBackoff'];

export interface Subscription {
  readonly id: string;
  readonly destination: string;
  context: string;
  readonly eventFormatType: 'Event';
  readonly registryPrefixes: readonly string[];
  readonly messageIds: readonly string[];
  readonly resourceTypes: readonly string[];
  readonly originResources: readonly string[];
  readonly subordinateResources: boolean;
  /** Sent with every POST; never shown in responses. */
  readonly httpHeaders: Readonly<Record<string, string>>;
  retryPolicy: RetryPolicy;
  verifyCertificate: boolean;
  /** Suspended after failed deliveries (SuspendRetries) or by SuspendSubscription. */
  suspended: boolean;
  readonly createdBy: string;
}

export interface EventServiceSettings {
  serviceEnabled: boolean;
  retryAttempts: number;
  retryIntervalS: number;
}

export const DEFAULT_SETTINGS: Readonly<EventServiceSettings> = { serviceEnabled: true, retryAttempts: 3, retryIntervalS: 30 };
export const MAX_SUBSCRIPTIONS = 20;

interface Stored {
  version: 1;
  nextId: number;
  settings: EventServiceSettings;
  subscriptions: (Subscription & { sealedHeaders?: string })[];
}

const KEY = 'event-subscriptions';

/** The subscriptions and settings, saved on every change. */
export class SubscriptionStore {
  readonly #persist: Persistence;
  readonly #subs = new Map<string, Subscription>();
  #nextId = 1;
  #settings: EventServiceSettings;

  readonly #box: SecretBox | undefined;

  /**
   * `box` seals the HttpHeaders of each subscription at rest: they often
   * carry credentials for the destination.
   */
  constructor(persist: Persistence, box?: SecretBox) {
    this.#persist = persist;
    this.#box = box;
    const stored = persist.load(KEY) as Partial<Stored> | undefined;
    this.#settings = { ...DEFAULT_SETTINGS, ...(stored?.settings ?? {}) };
    for (const raw of Array.isArray(stored?.subscriptions) ? stored.subscriptions : []) {
      const s = raw as Subscription & { sealedHeaders?: string };
      if (!s || typeof s.id !== 'string' || typeof s.destination !== 'string') continue;
      const { sealedHeaders, ...rest } = s;
      let httpHeaders = rest.httpHeaders ?? {};
      if (sealedHeaders && this.#box) {
        try {
          httpHeaders = JSON.parse(Buffer.from(this.#box.open(sealedHeaders)).toString('utf8')) as Record<string, string>;
        } catch {
          httpHeaders = {};
        }
      }
      this.#subs.set(s.id, { ...rest, httpHeaders });
    }
    this.#nextId = typeof stored?.nextId === 'number' ? stored.nextId : 1;
  }

  get settings(): Readonly<EventServiceSettings> {
    return this.#settings;
  }

  setSettings(change: Partial<EventServiceSettings>): void {
    this.#settings = { ...this.#settings, ...change };
    this.#save();
  }

  list(): Subscription[] {
    return [...this.#subs.values()].sort((a, b) => Number(a.id) - Number(b.id));
  }

  get(id: string): Subscription | undefined {
    return this.#subs.get(id);
  }

  get full(): boolean {
    return this.#subs.size >= MAX_SUBSCRIPTIONS;
  }

  add(s: Omit<Subscription, 'id'>): Subscription {
    const sub: Subscription = { ...s, id: String(this.#nextId++) };
    this.#subs.set(sub.id, sub);
    this.#save();
    return sub;
  }

  update(id: string, change: Partial<Pick<Subscription, 'context' | 'retryPolicy' | 'verifyCertificate' | 'suspended'>>): Subscription | undefined {
    const s = this.#subs.get(id);
    if (!s) return undefined;
    Object.assign(s, change);
    this.#save();
    return s;
  }

  delete(id: string): boolean {
    const ok = this.#subs.delete(id);
    if (ok) this.#save();
    return ok;
  }

  #save(): void {
    const box = this.#box;
    const subscriptions = this.list().map((s) =>
      box && Object.keys(s.httpHeaders).length > 0
        ? { ...s, httpHeaders: {}, sealedHeaders: box.seal(Buffer.from(JSON.stringify(s.httpHeaders), 'utf8')) }
        : s,
    );
    const doc: Stored = { version: 1, nextId: this.#nextId, settings: this.#settings, subscriptions };
    this.#persist.save(KEY, doc);
  }
}
