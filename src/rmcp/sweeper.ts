// One timer for many endpoints: session idle timeouts (IPMI v2.0 6.12.15)
// are enforced by a periodic sweep instead of a timer per session; the
// composition root gives every LAN endpoint of a process the same sweeper.
import type { Clock, TimerHandle } from '../model/clock.js';

export type SweepTask = (now: number) => void;

export class Sweeper {
  readonly #clock: Clock;
  readonly #intervalMs: number;
  readonly #tasks = new Set<SweepTask>();
  #timer: TimerHandle | undefined;

  constructor(clock: Clock, intervalMs = 1000) {
    this.#clock = clock;
    this.#intervalMs = intervalMs;
  }

  /** Adds a task; the returned function removes it. The timer runs only while tasks exist. */
  add(task: SweepTask): () => void {
    this.#tasks.add(task);
    this.#arm();
    return () => {
      this.#tasks.delete(task);
      if (this.#tasks.size === 0) {
        this.#timer?.cancel();
        this.#timer = undefined;
      }
    };
  }

  #arm(): void {
    if (this.#timer || this.#tasks.size === 0) return;
    this.#timer = this.#clock.setTimeout(() => this.#tick(), this.#intervalMs);
  }

  #tick(): void {
    this.#timer = undefined;
    const now = this.#clock.monotonic();
    for (const t of [...this.#tasks]) {
      try {
        t(now);
      } catch {
        // a failing task must not stop the others; tasks log their own errors
      }
    }
    this.#arm();
  }
}
