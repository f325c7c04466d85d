// The host power state machine. Requested actions and backend reports go
// through one pure step function that returns the next state and the effects
// a driver carries out (backend calls, timers). Keeps requested apart from
// current, as OpenBMC's xyz.openbmc_project.State.Host does.

export type PowerAction = 'on' | 'off' | 'cycle' | 'reset' | 'soft' | 'diag';

export type RestartCause =
  | 'unknown'
  | 'chassis-control'
  | 'reset-button'
  | 'power-button'
  | 'watchdog'
  | 'oem'
  | 'policy-always-on'
  | 'policy-previous'
  | 'pef-reset'
  | 'pef-cycle'
  | 'soft-reset'
  | 'rtc-wakeup';

/** Current state: on/off, plus what transition (if any) is under way. */
export interface PowerMachineState {
  readonly current: 'on' | 'off';
  /** What the last accepted request asked for (OpenBMC's RequestedHostTransition). */
  readonly requested: PowerAction | 'none';
  /** A power cycle waiting its off interval; a soft-off waiting for the OS. */
  readonly pending: 'none' | 'cycle-off-interval' | 'soft-off';
}

export type PowerInput =
  | { kind: 'request'; action: PowerAction; cause: RestartCause }
  | { kind: 'cycle-interval-elapsed' }
  /** The host turned itself off (OS shutdown, ACPI S5, VM quit). */
  | { kind: 'host-off' }
  /** The host turned itself on (wake, VM started outside our request). */
  | { kind: 'host-on' }
  | { kind: 'soft-off-timeout' };

export type PowerEffect =
  | { kind: 'backend-on' }
  | { kind: 'backend-off' }
  | { kind: 'backend-reset' }
  | { kind: 'backend-nmi' }
  | { kind: 'backend-soft-off' }
  | { kind: 'start-cycle-timer' }
  | { kind: 'start-soft-off-timer' }
  | { kind: 'cancel-timers' }
  | { kind: 'restart-cause'; cause: RestartCause }
  | { kind: 'changed'; to: 'on' | 'off' }
  | { kind: 'reset' };

/** Why a request cannot be carried out now. */
export type PowerRefusal = 'not-in-present-state';

export type PowerStep =
  | { ok: true; state: PowerMachineState; effects: PowerEffect[] }
  | { ok: false; reason: PowerRefusal };

export const OFF: PowerMachineState = { current: 'off', requested: 'none', pending: 'none' };
export const ON: PowerMachineState = { current: 'on', requested: 'none', pending: 'none' };

const ok = (state: PowerMachineState, effects: PowerEffect[]): PowerStep => ({ ok: true, state, effects });

/** The pure transition function. */
export function powerStep(s: PowerMachineState, input: PowerInput): PowerStep {
  switch (input.kind) {
    case 'request': {
      const requested = input.action;
      switch (input.action) {
        case 'on':
          if (s.current === 'on' && s.pending === 'none') return ok({ ...s, requested }, []);
          if (s.pending === 'cycle-off-interval') return ok({ ...s, requested }, []);
          return ok({ current: 'on', requested, pending: 'none' }, [
            { kind: 'cancel-timers' },
            { kind: 'restart-cause', cause: input.cause },
            { kind: 'backend-on' },
            { kind: 'changed', to: 'on' },
          ]);
        case 'off':
          if (s.current === 'off') return ok({ current: 'off', requested, pending: 'none' }, [{ kind: 'cancel-timers' }]);
          return ok({ current: 'off', requested, pending: 'none' }, [
            { kind: 'cancel-timers' },
            { kind: 'backend-off' },
            { kind: 'changed', to: 'off' },
          ]);
        case 'cycle':
          if (s.current === 'off') return { ok: false, reason: 'not-in-present-state' };
          return ok({ current: 'off', requested, pending: 'cycle-off-interval' }, [
            { kind: 'cancel-timers' },
            { kind: 'restart-cause', cause: input.cause },
            { kind: 'backend-off' },
            { kind: 'changed', to: 'off' },
            { kind: 'start-cycle-timer' },
          ]);
        case 'reset':
          if (s.current === 'off') return { ok: false, reason: 'not-in-present-state' };
          return ok({ current: 'on', requested, pending: 'none' }, [
            { kind: 'cancel-timers' },
            { kind: 'restart-cause', cause: input.cause },
            { kind: 'backend-reset' },
            { kind: 'reset' },
          ]);
        case 'soft':
          if (s.current === 'off') return { ok: false, reason: 'not-in-present-state' };
          if (s.pending === 'soft-off') return ok({ ...s, requested }, []);
          return ok({ current: 'on', requested, pending: 'soft-off' }, [
            { kind: 'backend-soft-off' },
            { kind: 'start-soft-off-timer' },
          ]);
        case 'diag':
          if (s.current === 'off') return { ok: false, reason: 'not-in-present-state' };
          return ok({ ...s, requested }, [{ kind: 'backend-nmi' }]);
      }
      break;
    }
    case 'cycle-interval-elapsed':
      if (s.pending !== 'cycle-off-interval') return ok(s, []);
      return ok({ current: 'on', requested: s.requested, pending: 'none' }, [
        { kind: 'backend-on' },
        { kind: 'changed', to: 'on' },
      ]);
    case 'host-off':
      if (s.current === 'off') return ok(s, []);
      return ok({ current: 'off', requested: s.requested, pending: 'none' }, [
        { kind: 'cancel-timers' },
        { kind: 'changed', to: 'off' },
      ]);
    case 'host-on':
      if (s.current === 'on') return ok(s, []);
      return ok({ current: 'on', requested: s.requested, pending: 'none' }, [
        { kind: 'cancel-timers' },
        { kind: 'changed', to: 'on' },
      ]);
    case 'soft-off-timeout':
      // The OS did not honour the ACPI request in time: the request lapses and
      // the host stays on, as a real chassis does (no forced power-off).
      if (s.pending !== 'soft-off') return ok(s, []);
      return ok({ ...s, pending: 'none' }, []);
  }
  return ok(s, []);
}
