// The host consoles as Redfish describes them. ComputerSystem SerialConsole
// (HostSerialConsole): IPMI Serial-over-LAN on the host's RMCP+ port and
// the /ws/console WebSocket; the Manager's SerialConsole (deprecated since
// Manager v1_10 in favour of the system's) sums them up for older clients.
// GraphicalConsole: KVM over IP, the /ws/kvm stream, where the backend has
// a display. Also the ports the front doors really listen on, which the
// composition root passes in.
import { Channel } from '../../ipmi/constants.js';
import type { Bmc } from '../../model/bmc.js';
import { MAX_WEB_CONSOLES_PER_HOST, SOL_INSTANCES_PER_HOST } from '../../model/console.js';
import { graphicalConsoleOf } from '../../model/display.js';
import type { Host } from '../../model/host.js';
import { systemId } from '../ids.js';
import type { JsonObject, RequestContext } from '../router.js';

/**
 * The ports the front doors really listen on, passed in by the composition
 * root as `services.network` (the configured ones may be 0 = ephemeral).
 */
export interface NetworkPorts {
  /** IPMI RMCP/RMCP+ UDP ports, one per host. */
  ipmiPorts(): readonly number[];
  httpsPort(): number | undefined;
  /** The plain-HTTP redirector, when enabled. */
  httpPort(): number | undefined;
}

export function networkPorts(ctx: RequestContext): NetworkPorts | undefined {
  const n = ctx.services.network;
  if (n && typeof n === 'object' && typeof (n as NetworkPorts).ipmiPorts === 'function') return n as NetworkPorts;
  return undefined;
}

/** The path of the web console WebSocket (docs/STREAMS.md "Console"). */
const WEB_CONSOLE_PATH = '/ws/console';
/** ipmitool's escape sequence that ends `sol activate`. */
const SOL_HOTKEY = 'Press ~. to exit console';

/** Whether SOL can be activated: enabled in the SOL configuration and IPMI over LAN on. */
function solEnabled(bmc: Bmc): boolean {
  return bmc.sol.enabled && bmc.channels.access(Channel.Lan)?.accessMode !== 'disabled';
}

/** ComputerSystem SerialConsole: SOL and the web console of one host. */
export function serialConsole(bmc: Bmc, host: Host, ports: NetworkPorts | undefined): JsonObject {
  return {
    MaxConcurrentSessions: SOL_INSTANCES_PER_HOST + MAX_WEB_CONSOLES_PER_HOST,
    IPMI: { ServiceEnabled: solEnabled(bmc), Port: ports?.ipmiPorts()[host.index] ?? null, HotKeySequenceDisplay: SOL_HOTKEY },
    // input needs ConfigureComponents; other roles watch only
    WebSocket: { ServiceEnabled: true, ConsoleURI: `${WEB_CONSOLE_PATH}?system=${encodeURIComponent(systemId(bmc, host))}`, Interactive: true },
  };
}

/** Manager SerialConsole (deprecated): every host's SOL and web consoles. */
export function managerSerialConsole(bmc: Bmc): JsonObject {
  return {
    ServiceEnabled: true,
    MaxConcurrentSessions: bmc.hosts.length * (SOL_INSTANCES_PER_HOST + MAX_WEB_CONSOLES_PER_HOST),
    ConnectTypesSupported: solEnabled(bmc) ? ['IPMI', 'Oem'] : ['Oem'],
  };
}

/**
 * GraphicalConsole (HostGraphicalConsole; Manager's is the same shape): KVM
 * over IP is the /ws/kvm stream (RFB over WebSocket), offered where the
 * backend has a display; elsewhere the service is reported disabled.
 */
export function graphicalConsole(hosts: readonly Host[]): JsonObject {
  const g = graphicalConsoleOf(hosts);
  return g.enabled
    ? { ServiceEnabled: true, MaxConcurrentSessions: g.maxSessions, ConnectTypesSupported: ['KVMIP'] }
    : { ServiceEnabled: false, MaxConcurrentSessions: 0, ConnectTypesSupported: [] };
}
