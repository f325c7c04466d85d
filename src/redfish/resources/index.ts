// Every Redfish resource family the service serves, beyond the service root
// and sessions (which the service itself registers).
import type { RouteDef } from '../router.js';
import { accountRoutes } from './accounts.js';
import { chassisRoutes } from './chassis.js';
import { managerRoutes } from './managers.js';
import { registryRoutes } from './registries.js';
import { systemRoutes } from './systems.js';

export function resourceRoutes(): RouteDef[] {
  return [...accountRoutes(), ...systemRoutes(), ...chassisRoutes(), ...managerRoutes(), ...registryRoutes()];
}
