// The BMC's audit log: who changed what, through which front door, with what
// result. A bounded ring of the last `capacity` records, persisted as one
// document on every record (like the SEL), so it survives restarts and a
// crash loses nothing acknowledged. Redfish serves it as the Manager's
// AuditLog LogService; front doors record into it, none reads another's.
import type { Clock } from './clock.js';
import type { Persistence } from './persist.js';

export const AUDIT_CAPACITY = 512;

export interface AuditRecord {
  /** Increasing id, never reused while the log holds records. */
  readonly id: number;
  /** Milliseconds since the epoch (the BMC's clock). */
  readonly time: number;
  /** Account name, or '' when unknown (an anonymous request). */
  readonly user: string;
  /** Client address the request came from. */
  readonly source: string;
  /** Front door: 'Redfish', 'IPMI', ... */
  readonly via: string;
  /** Operation: the HTTP method, or a command name. */
  readonly operation: string;
  /** What was acted on: a URI, or a command target. */
  readonly target: string;
  /** Result: an HTTP status (2xx success) or a completion code. */
  readonly status: number;
}

interface Stored {
  nextId: number;
  records: AuditRecord[];
}

export class AuditLog {
  readonly capacity: number;
  #records: AuditRecord[] = [];
  #nextId = 1;
  readonly #clock: Clock;
  readonly #persist: Persistence;

  constructor(opts: { clock: Clock; persist: Persistence; capacity?: number }) {
    this.capacity = opts.capacity ?? AUDIT_CAPACITY;
    this.#clock = opts.clock;
    this.#persist = opts.persist;
    const s = opts.persist.load('audit') as Stored | undefined;
    if (s && Array.isArray(s.records) && Number.isInteger(s.nextId)) {
      this.#records = s.records.filter(isRecord).slice(-this.capacity);
      this.#nextId = s.nextId;
    }
  }

  get count(): number {
    return this.#records.length;
  }

  /** Records in order, oldest first. */
  list(): readonly AuditRecord[] {
    return this.#records;
  }

  get(id: number): AuditRecord | undefined {
    // ids increase along the ring: binary search
    let lo = 0;
    let hi = this.#records.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const r = this.#records[mid]!;
      if (r.id === id) return r;
      if (r.id < id) lo = mid + 1;
      else hi = mid - 1;
    }
    return undefined;
  }

  /** Appends a record, dropping the oldest when full; durable when it returns. */
  record(r: Omit<AuditRecord, 'id' | 'time'>): AuditRecord {
    const rec: AuditRecord = { id: this.#nextId, time: this.#clock.now(), ...r };
    this.#nextId++;
    this.#records.push(rec);
    if (this.#records.length > this.capacity) this.#records.splice(0, this.#records.length - this.capacity);
    this.#save();
    return rec;
  }

  clear(): void {
    this.#records = [];
    this.#save();
  }

  #save(): void {
    this.#persist.save('audit', { nextId: this.#nextId, records: this.#records } satisfies Stored);
  }
}

function isRecord(v: unknown): v is AuditRecord {
  if (!v || typeof v !== 'object') return false;
  const r = v as Record<string, unknown>;
  return (
    typeof r.id === 'number' &&
    typeof r.time === 'number' &&
    typeof r.user === 'string' &&
    typeof r.source === 'string' &&
    typeof r.via === 'string' &&
    typeof r.operation === 'string' &&
    typeof r.target === 'string' &&
    typeof r.status === 'number'
  );
}
