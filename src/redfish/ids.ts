// Resource ids and paths. One host is Systems/system and Chassis/chassis; a
// multi-node chassis names its nodes node0..nodeN-1 in both. The BMC is
// Managers/bmc. Paths are built here only, from ids, never by callers
// concatenating user input.
import type { Bmc } from '../model/bmc.js';
import type { Host } from '../model/host.js';
import { Errors } from './messages.js';

export const ROOT = '/redfish/v1';
export const MANAGER_ID = 'bmc';

export function systemId(bmc: Bmc, host: Host): string {
  return bmc.hosts.length === 1 ? 'system' : `node${host.index}`;
}

export function chassisId(bmc: Bmc, host: Host): string {
  return bmc.hosts.length === 1 ? 'chassis' : `node${host.index}`;
}

export const paths = {
  system: (bmc: Bmc, h: Host) => `${ROOT}/Systems/${systemId(bmc, h)}`,
  chassis: (bmc: Bmc, h: Host) => `${ROOT}/Chassis/${chassisId(bmc, h)}`,
  manager: () => `${ROOT}/Managers/${MANAGER_ID}`,
  account: (id: number) => `${ROOT}/AccountService/Accounts/${id}`,
  session: (id: string) => `${ROOT}/SessionService/Sessions/${id}`,
} as const;

/** The host a {SystemId} names, or 404. */
export function hostBySystemId(bmc: Bmc, id: string | undefined): Host {
  const h = bmc.hosts.find((x) => systemId(bmc, x) === id);
  if (!h) throw Errors.notFound('ComputerSystem', id ?? '');
  return h;
}

/** The host a {ChassisId} names, or 404. */
export function hostByChassisId(bmc: Bmc, id: string | undefined): Host {
  const h = bmc.hosts.find((x) => chassisId(bmc, x) === id);
  if (!h) throw Errors.notFound('Chassis', id ?? '');
  return h;
}

/** 404 unless {ManagerId} is the BMC. */
export function requireManager(id: string | undefined): void {
  if (id !== MANAGER_ID) throw Errors.notFound('Manager', id ?? '');
}
