// The console's pages, in navigation order.
import type { FunctionComponent } from 'preact';
import type { HostChoice } from '../app';
import { Dashboard } from './dashboard';
import { Sensors } from './sensors';
import { RemoteControl } from './console';
import { VirtualMedia } from './media';
import { Boot } from './boot';
import { Inventory } from './inventory';
import { EventLog } from './event-log';
import { Power } from './power';
import { Settings } from './settings';
import { Maintenance } from './maintenance';

export interface PageProps {
  /** The host (system) the page shows; a multi-node chassis has a picker. */
  host: HostChoice | undefined;
  hosts: HostChoice[];
}

export interface PageDef {
  id: string;
  title: string;
  component: FunctionComponent<PageProps>;
}

export const PAGES: PageDef[] = [
  { id: 'dashboard', title: 'Dashboard', component: Dashboard },
  { id: 'sensors', title: 'Sensors', component: Sensors },
  { id: 'event-log', title: 'Event log', component: EventLog },
  { id: 'power', title: 'Power', component: Power },
  { id: 'console', title: 'Remote control', component: RemoteControl },
  { id: 'media', title: 'Virtual media', component: VirtualMedia },
  { id: 'boot', title: 'Boot', component: Boot },
  { id: 'inventory', title: 'Inventory', component: Inventory },
  { id: 'settings', title: 'Settings', component: Settings },
  { id: 'maintenance', title: 'Maintenance', component: Maintenance },
];
