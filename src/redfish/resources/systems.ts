// Redfish resources: systems (to be filled in).
import type { RouteDef } from '../router.js';

export function systemRoutes(): RouteDef[] {
  return [];
}
