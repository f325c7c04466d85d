// Redfish resources: certificate-service (to be filled in).
import type { RouteDef } from '../router.js';

export function certificateServiceRoutes(): RouteDef[] {
  return [];
}
