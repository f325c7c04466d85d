// Redfish resources: managers (to be filled in).
import type { RouteDef } from '../router.js';

export function managerRoutes(): RouteDef[] {
  return [];
}
