// Coalescing of stream updates under a rate limit and backpressure: each
// key (one sensor's reading, the power state, ...) holds only its latest
// value until sent. Ordinary keys go out on a tick at most once per
// interval; urgent keys (state changes) go out at once. While the peer is
// slow (`ready()` false) nothing is sent and newer values replace older
// ones, so the backlog is bounded by the number of keys, never by time.

import type { Clock, TimerHandle } from '../model/clock.js';

export interface CoalescerOptions<V> {
  readonly clock: Clock;
  readonly intervalMs: number;
  /** False while the peer is slow: hold (and overwrite) pending values. */
  readonly ready: () => boolean;
  /** Sends one batch, in the order keys first became pending. */
  readonly flush: (batch: readonly V[]) => void;
}

export class Coalescer<V> {
  readonly #o: CoalescerOptions<V>;
  readonly #pending = new Map<string, { value: V; urgent: boolean }>();
  #tick: TimerHandle | undefined;
  #urgent: TimerHandle | undefined;
  /** Monotonic time of the last tick that sent. */
  #lastTick = Number.NEGATIVE_INFINITY;
  #closed = false;
  /** Values replaced before they were sent. */
  superseded = 0;

  constructor(opts: CoalescerOptions<V>) {
    this.#o = opts;
  }

  get pending(): number {
    return this.#pending.size;
  }

  /** Records the latest value of `key`; urgent values are sent without waiting for the tick. */
  set(key: string, value: V, urgent = false): void {
    if (this.#closed) return;
    const prev = this.#pending.get(key);
    if (prev) {
      this.superseded++;
      // keep the key's place in the batch
      prev.value = value;
      prev.urgent ||= urgent;
    } else {
      this.#pending.set(key, { value, urgent });
    }
    if (urgent) this.#urgent ??= this.#o.clock.setTimeout(() => this.#flushUrgent(), 0);
    else this.#scheduleTick();
  }

  #scheduleTick(): void {
    if (this.#tick || this.#closed) return;
    const wait = Math.max(0, this.#lastTick + this.#o.intervalMs - this.#o.clock.monotonic());
    this.#tick = this.#o.clock.setTimeout(() => this.#onTick(), wait);
  }

  #onTick(): void {
    this.#tick = undefined;
    if (this.#closed || this.#pending.size === 0) return;
    if (!this.#o.ready()) {
      // slow peer: try again an interval later with whatever is latest then
      this.#lastTick = this.#o.clock.monotonic();
      this.#scheduleTick();
      return;
    }
    this.#lastTick = this.#o.clock.monotonic();
    const batch = [...this.#pending.values()].map((e) => e.value);
    this.#pending.clear();
    this.#o.flush(batch);
  }

  #flushUrgent(): void {
    this.#urgent = undefined;
    if (this.#closed) return;
    if (!this.#o.ready()) {
      this.#scheduleTick();
      return;
    }
    const batch: V[] = [];
    for (const [k, e] of [...this.#pending]) {
      if (!e.urgent) continue;
      batch.push(e.value);
      this.#pending.delete(k);
    }
    if (batch.length > 0) this.#o.flush(batch);
  }

  close(): void {
    this.#closed = true;
    this.#tick?.cancel();
    this.#urgent?.cancel();
    this.#tick = this.#urgent = undefined;
    this.#pending.clear();
  }
}
