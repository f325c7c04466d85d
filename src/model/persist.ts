// What the model needs from persistence: named documents loaded once at start
// and saved (atomically, durably) on every acknowledged change. The store
// module implements it; tests use the in-memory one.

export interface Persistence {
  load(key: string): unknown;
  /** Durable when it returns: the change may be acknowledged after this. */
  save(key: string, value: unknown): void;
}

export class MemoryPersistence implements Persistence {
  readonly docs = new Map<string, string>();

  load(key: string): unknown {
    const s = this.docs.get(key);
    return s === undefined ? undefined : JSON.parse(s);
  }

  save(key: string, value: unknown): void {
    this.docs.set(key, JSON.stringify(value));
  }
}

/** A persistence view that prefixes every key (one BMC of many in a store). */
export function scoped(p: Persistence, prefix: string): Persistence {
  return {
    load: (key) => p.load(`${prefix}/${key}`),
    save: (key, value) => p.save(`${prefix}/${key}`, value),
  };
}
