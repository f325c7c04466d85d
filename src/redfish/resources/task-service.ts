// Redfish resources: task-service (to be filled in).
import type { RouteDef } from '../router.js';

export function taskServiceRoutes(): RouteDef[] {
  return [];
}
