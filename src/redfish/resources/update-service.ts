// Redfish resources: update-service (to be filled in).
import type { RouteDef } from '../router.js';

export function updateServiceRoutes(): RouteDef[] {
  return [];
}
