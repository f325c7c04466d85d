// Redfish resources: accounts (to be filled in).
import type { RouteDef } from '../router.js';

export function accountRoutes(): RouteDef[] {
  return [];
}
