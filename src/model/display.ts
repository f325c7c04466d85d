// The host's graphical console (KVM over IP) as the model knows it: whether
// a host has a display (its backend offers HostLink.display: the QEMU
// backend with `vnc: true`) and how many KVM sessions one host allows.
// Redfish reports both (Manager and ComputerSystem GraphicalConsole);
// /ws/kvm (src/streams/kvm.ts) enforces them.
import type { Host } from './host.js';

/** KVM sessions open at once on one host. */
export const MAX_KVM_SESSIONS_PER_HOST = 4;

/** Whether the host has a graphical console (whatever its power state now). */
export function hasDisplay(host: Host): boolean {
  return host.link.display !== undefined;
}

/** Redfish-shaped summary: the service is enabled where a display exists. */
export function graphicalConsoleOf(hosts: readonly Host[]): { enabled: boolean; maxSessions: number } {
  const n = hosts.filter(hasDisplay).length;
  return { enabled: n > 0, maxSessions: n * MAX_KVM_SESSIONS_PER_HOST };
}
