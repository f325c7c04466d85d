// ComputerSystem.Reset (ComputerSystem v1_27_0, Resource.ResetType) onto the
// host's power state machine: one table from ResetType to model action, and
// GracefulRestart as an ACPI soft-off followed by power-on once the host has
// gone off within the soft-off timeout (the model has no restart of its own).
import type { Bmc } from '../../model/bmc.js';
import type { Host } from '../../model/host.js';
import type { PowerAction, PowerRefusal } from '../../model/power.js';

export const RESET_TYPES = ['On', 'ForceOff', 'GracefulShutdown', 'GracefulRestart', 'ForceRestart', 'PowerCycle', 'Nmi', 'PushPowerButton'] as const;
export type ResetType = (typeof RESET_TYPES)[number];

export function isResetType(v: string): v is ResetType {
  return (RESET_TYPES as readonly string[]).includes(v);
}

/**
 * The model action a ResetType asks for in the host's present state.
 * PushPowerButton acts as the button does: on when off, an ACPI request when on.
 */
export function resetAction(type: Exclude<ResetType, 'GracefulRestart'>, power: 'on' | 'off'): PowerAction {
  switch (type) {
    case 'On':
      return 'on';
    case 'ForceOff':
      return 'off';
    case 'GracefulShutdown':
      return 'soft';
    case 'ForceRestart':
      return 'reset';
    case 'PowerCycle':
      return 'cycle';
    case 'Nmi':
      return 'diag';
    case 'PushPowerButton':
      return power === 'off' ? 'on' : 'soft';
  }
}

/** Graceful restarts under way, per host: the function that abandons one. */
const pending = new WeakMap<Host, () => void>();

/** Abandons a graceful restart waiting for its host to go off. */
export function cancelGracefulRestart(host: Host): void {
  pending.get(host)?.();
}

/**
 * Carries out a ResetType. IPMI has no restart cause for a Redfish request,
 * so requests are recorded as 'chassis-control', as a Chassis Control
 * command's are.
 */
export function reset(bmc: Bmc, host: Host, type: ResetType): PowerRefusal | undefined {
  cancelGracefulRestart(host);
  if (type !== 'GracefulRestart') return host.request(resetAction(type, host.power), 'chassis-control');
  const refusal = host.request('soft', 'chassis-control');
  if (refusal) return refusal;
  let stopListening = (): void => undefined;
  const done = (): void => {
    timer.cancel();
    stopListening();
    pending.delete(host);
  };
  const timer = bmc.clock.setTimeout(done, host.spec.softOffTimeoutMs);
  stopListening = bmc.events.on('power', (ev) => {
    if (ev.host !== host.index || ev.state !== 'off') return;
    // Off because the OS honoured our request, not because someone forced it off meanwhile.
    const ours = host.powerState.requested === 'soft';
    done();
    // after the backend's report has finished, not inside it
    if (ours) queueMicrotask(() => void (host.power === 'off' && host.request('on', 'chassis-control')));
  });
  pending.set(host, done);
  return undefined;
}
