// The "set in progress" parameter (selector 0) that LAN configuration (IPMI
// v2.0 23.1, table 23-4), SOL configuration (26.2, table 26-5) and system
// boot options (28.12, table 28-14) share. A pure step function plus a small
// volatile latch per configured object; writes are applied as they arrive
// (write-through), so "commit write" has nothing pending to commit.
import { fail, invalidField } from './app-fields.js';

export const SetInProgress = { Complete: 0, InProgress: 1, CommitWrite: 2 } as const;
export type SetInProgressState = typeof SetInProgress.Complete | typeof SetInProgress.InProgress;

/** Completion code 81h: "set in progress" written while not in "set complete". */
export const CC_SET_IN_PROGRESS = 0x81;

export type SetInProgressStep = { ok: true; next: SetInProgressState } | { ok: false; reason: 'busy' | 'reserved' };

/*
 * Data 1: [7:2] reserved, [1:0] 00b set complete, 01b set in progress,
 *         10b commit write, 11b reserved.
 */
export function setInProgressStep(current: SetInProgressState, written: number): SetInProgressStep {
  if ((written & 0xfc) !== 0 || (written & 0x03) === 0x03) return { ok: false, reason: 'reserved' };
  switch (written) {
    case SetInProgress.InProgress:
      return current === SetInProgress.InProgress ? { ok: false, reason: 'busy' } : { ok: true, next: SetInProgress.InProgress };
    case SetInProgress.CommitWrite:
      return { ok: true, next: current };
    default:
      return { ok: true, next: SetInProgress.Complete };
  }
}

/** Volatile "set in progress" state per configured object (a LAN channel, a host's boot options). */
export class SetInProgressLatch {
  readonly #states = new WeakMap<object, SetInProgressState>();

  get(key: object): SetInProgressState {
    return this.#states.get(key) ?? SetInProgress.Complete;
  }

  /** Applies a write; throws 81h or CCh as the step function decides. */
  write(key: object, written: number): void {
    const step = setInProgressStep(this.get(key), written);
    if (!step.ok) {
      if (step.reason === 'busy') fail(CC_SET_IN_PROGRESS, 'set already in progress');
      invalidField('reserved set-in-progress value');
    }
    this.#states.set(key, step.next);
  }
}
