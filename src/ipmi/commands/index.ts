// The standard command set: every NetFn group's definitions in one registry.
// OEM extensions register after these with a higher priority.
import { CommandRegistry } from '../registry.js';
import { appCommands } from './app.js';
import { chassisCommands } from './chassis.js';
import { dcmiCommands } from './dcmi.js';
import { payloadCommands } from './payload.js';
import { pefCommands } from './pef.js';
import { sensorEventCommands } from './sensor-event.js';
import { sessionCommands } from './session.js';
import { storageCommands } from './storage.js';
import { transportCommands } from './transport.js';

export function createRegistry(): CommandRegistry {
  return new CommandRegistry()
    .register(appCommands)
    .register(sessionCommands)
    .register(payloadCommands)
    .register(chassisCommands)
    .register(sensorEventCommands)
    .register(pefCommands)
    .register(storageCommands)
    .register(transportCommands)
    .register(dcmiCommands);
}
