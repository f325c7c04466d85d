// Redfish resources: registries (to be filled in).
import type { RouteDef } from '../router.js';

export function registryRoutes(): RouteDef[] {
  return [];
}
