// The console's pages, in navigation order.
import type { FunctionComponent } from 'preact';
import type { HostChoice } from '../app';
import { Dashboard } from './dashboard';

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

export const PAGES: PageDef[] = [{ id: 'dashboard', title: 'Dashboard', component: Dashboard }];
