// Redfish resources: event-service (to be filled in).
import type { RouteDef } from '../router.js';

export function eventServiceRoutes(): RouteDef[] {
  return [];
}
