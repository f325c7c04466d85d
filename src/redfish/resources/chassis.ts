// Redfish resources: chassis (to be filled in).
import type { RouteDef } from '../router.js';

export function chassisRoutes(): RouteDef[] {
  return [];
}
