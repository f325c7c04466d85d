// Every Redfish resource family the service serves, beyond the service root
// and sessions (which the service itself registers).
import type { RouteDef } from '../router.js';
import { accountRoutes } from './accounts.js';
import { biosRoutes } from './bios.js';
import { certificateServiceRoutes } from './certificate-service.js';
import { chassisRoutes } from './chassis.js';
import { diagnosticsRoutes } from './diagnostics.js';
import { eventServiceRoutes } from './event-service.js';
import { managerRoutes } from './managers.js';
import { registryRoutes } from './registries.js';
import { systemRoutes } from './systems.js';
import { taskServiceRoutes } from './task-service.js';
import { telemetryRoutes } from './telemetry.js';
import { updateServiceRoutes } from './update-service.js';
import { virtualMediaRoutes } from './virtual-media.js';

export function resourceRoutes(): RouteDef[] {
  return [
    ...accountRoutes(),
    ...systemRoutes(),
    ...chassisRoutes(),
    ...biosRoutes(),
    ...managerRoutes(),
    ...diagnosticsRoutes(),
    ...registryRoutes(),
    ...updateServiceRoutes(),
    ...taskServiceRoutes(),
    ...telemetryRoutes(),
    ...eventServiceRoutes(),
    ...certificateServiceRoutes(),
    ...virtualMediaRoutes(),
  ];
}
