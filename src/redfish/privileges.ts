// Route privileges from DMTF's Redfish privilege registry (DSP8012 data,
// redfish/registries/Redfish_1.8.0_PrivilegeRegistry.json): for each entity
// and HTTP method, alternatives of privilege sets, any one of which allows
// the operation. Roles carry the standard privilege sets (DSP0266 13.2).
import { readFileSync } from 'node:fs';
import type { AccountRole } from '../model/users.js';
import { REGISTRIES_DIR } from './messages.js';

export type RedfishPrivilege = 'Login' | 'ConfigureManager' | 'ConfigureUsers' | 'ConfigureComponents' | 'ConfigureSelf' | 'NoAuth';

export type Method = 'GET' | 'HEAD' | 'PATCH' | 'PUT' | 'POST' | 'DELETE';

/** The predefined roles' privileges (DSP0266, "Roles"). */
export const ROLE_PRIVILEGES: Record<Exclude<AccountRole, 'NoAccess'>, readonly RedfishPrivilege[]> = {
  Administrator: ['Login', 'ConfigureManager', 'ConfigureUsers', 'ConfigureSelf', 'ConfigureComponents'],
  Operator: ['Login', 'ConfigureSelf', 'ConfigureComponents'],
  ReadOnly: ['Login', 'ConfigureSelf'],
};

interface Mapping {
  Entity: string;
  OperationMap: Partial<Record<Method, { Privilege: RedfishPrivilege[] }[]>>;
}

export class PrivilegeMap {
  readonly #map = new Map<string, Partial<Record<Method, RedfishPrivilege[][]>>>();

  constructor(mappings: readonly Mapping[]) {
    for (const m of mappings) {
      const ops: Partial<Record<Method, RedfishPrivilege[][]>> = {};
      for (const [method, alternatives] of Object.entries(m.OperationMap) as [Method, { Privilege: RedfishPrivilege[] }[]][]) {
        ops[method] = alternatives.map((a) => a.Privilege);
      }
      this.#map.set(m.Entity, ops);
    }
  }

  static load(): PrivilegeMap {
    const file = JSON.parse(readFileSync(REGISTRIES_DIR + 'Redfish_1.8.0_PrivilegeRegistry.json', 'utf8')) as { Mappings: Mapping[] };
    return new PrivilegeMap(file.Mappings);
  }

  has(entity: string): boolean {
    return this.#map.has(entity);
  }

  /** The alternatives for an operation; undefined when the registry has none. */
  required(entity: string, method: Method): RedfishPrivilege[][] | undefined {
    return this.#map.get(entity)?.[method];
  }

  /** True when the privileges held satisfy one of the operation's alternatives. */
  allows(entity: string, method: Method, held: ReadonlySet<RedfishPrivilege>): boolean {
    const alts = this.required(entity, method);
    if (!alts) return false;
    return alts.some((set) => set.every((p) => p === 'NoAuth' || held.has(p)));
  }
}
