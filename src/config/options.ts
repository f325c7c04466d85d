// Command-line options and environment: the only place argv and env are
// read. Produces one validated Options object or a UsageError with a message
// for the user.
import { parseArgs } from 'node:util';
import type { LogLevel } from '../log.js';

export interface Options {
  profile: string | undefined;
  stateDir: string;
  listen: string;
  ipmiPort: number;
  httpsPort: number;
  /** Plain-HTTP port that redirects to HTTPS; undefined = off. */
  httpPort: number | undefined;
  /** PEM files of the HTTPS certificate and key, installed at start. */
  tlsCert: string | undefined;
  tlsKey: string | undefined;
  hosts: number | undefined;
  /** TCP port for QEMU's ipmi-bmc-extern chardev (host i at N + i); undefined = off. */
  externPort: number | undefined;
  adminUser: string;
  adminPassword: string | undefined;
  logLevel: LogLevel;
  logFormat: 'text' | 'json';
  allowCipher0: boolean;
  allowIpmi15None: boolean;
  allowIpmi15Password: boolean;
  sessionTimeoutS: number;
  /** Number of BMCs this process runs (a rack or a fleet). */
  bmcs: number;
  /** How the BMCs of a fleet are told apart: consecutive ports on one address, or consecutive IPv4 addresses on the same ports. */
  bmcAddressing: BmcAddressing;
  help: boolean;
  version: boolean;
}

export type BmcAddressing = 'port' | 'address';

export class UsageError extends Error {
  override readonly name = 'UsageError';
  readonly code = 'USAGE';
}

export const DEFAULT_IPMI_PORT = 6230;
export const DEFAULT_HTTPS_PORT = 8443;
export const DEFAULT_HTTP_PORT = 8080;
export const MAX_BMCS = 1000;

export const HELP = `Usage: tsbmc [options]

Starts a baseboard management controller. Without --profile it manages the
built-in simulated 1U server; IPMI over LAN listens on UDP.

Options:
  --profile FILE          platform profile (JSON; see docs/PROFILES.md).
                          Default: the built-in simulated 1U server.
  --state-dir DIR         where the SEL, users, settings and keys are kept
                          (created mode 0700). Default: ./state
  --listen ADDR           address to listen on. Default: 127.0.0.1
  --ipmi-port N           IPMI-over-LAN UDP port (RMCP); host i of a multi-node
                          chassis listens on N + i. Default: ${DEFAULT_IPMI_PORT}
                          (623 needs root or CAP_NET_BIND_SERVICE)
  --https-port N          HTTPS port for Redfish. Default: ${DEFAULT_HTTPS_PORT} (443 needs root)
  --http-port N           plain HTTP port that redirects to HTTPS. Default: ${DEFAULT_HTTP_PORT}
  --no-http               no plain HTTP listener at all
  --tls-cert FILE         HTTPS certificate (PEM, may include the chain) to
                          install; with --tls-key. Without them the first start
                          generates a self-signed certificate, kept in the
                          state directory (CertificateService can replace it)
  --tls-key FILE          the certificate's private key (PEM)
  --extern-port N         TCP port where QEMU's external-BMC chardev connects
                          (-chardev socket,host=ADDR,port=N,reconnect=1 with
                          -device ipmi-bmc-extern): the host's in-band KCS/BT
                          interface; host i listens on N + i. Default: off
  --hosts N               number of hosts (server nodes) in the chassis,
                          overriding the profile
  --bmcs N                run N BMCs in this process (1 to ${MAX_BMCS}), each a
                          complete BMC with its own users, SEL, sensors, GUIDs,
                          MAC, certificate and endpoints, all kept in the one
                          state directory. Default: 1
  --bmc-addressing MODE   how the BMCs of --bmcs are reached:
                          port     all on --listen; BMC i has IPMI port
                                   ipmi-port + i x hosts, HTTPS https-port + i,
                                   HTTP http-port + i (default)
                          address  BMC i listens on the IPv4 address --listen + i,
                                   every BMC on the same ports (127.0.0.0/8 is
                                   loopback on Linux; elsewhere the addresses
                                   must exist on this host)
  --admin-user NAME       administrator account name (user slot 2). Default: admin
  --admin-password PW     administrator password (also TSBMC_ADMIN_PASSWORD).
                          Without one, the first start generates a password,
                          prints it once and stores it; with --bmcs, one per
                          BMC, also written to STATE/admin-passwords (mode
                          0600). A given password is shared by every BMC.
  --session-timeout S     IPMI session idle timeout in seconds. Default: 60
  --allow-cipher-0        offer RMCP+ cipher suite 0 (no authentication at all)
  --allow-ipmi15-none     accept IPMI v1.5 sessions with authentication type none
  --allow-ipmi15-password accept IPMI v1.5 straight-password authentication
  --log-level LEVEL       debug, info, warn, error or silent. Default: info
  --log-format FORMAT     text or json. Default: text
  -h, --help              show this help
  -V, --version           show the version

Environment:
  TSBMC_ADMIN_PASSWORD    as --admin-password (the option wins)

Example:
  tsbmc --state-dir /var/lib/tsbmc --listen 0.0.0.0 --ipmi-port 623 --https-port 443 --http-port 80
  ipmitool -I lanplus -H 127.0.0.1 -p ${DEFAULT_IPMI_PORT} -U admin -P PASSWORD chassis status
  curl -k -u admin:PASSWORD https://127.0.0.1:${DEFAULT_HTTPS_PORT}/redfish/v1/Systems/system
  tsbmc --bmcs 100 --bmc-addressing address --listen 127.0.1.1 --ipmi-port 623 --https-port 443 --no-http
`;

function intOption(name: string, v: string | undefined, min: number, max: number): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v)) throw new UsageError(`--${name} takes a whole number, not "${v}"`);
  const n = Number(v);
  if (n < min || n > max) throw new UsageError(`--${name} must be between ${min} and ${max}`);
  return n;
}

export function parseOptions(argv: readonly string[], env: NodeJS.ProcessEnv): Options {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        profile: { type: 'string' },
        'state-dir': { type: 'string' },
        listen: { type: 'string' },
        'ipmi-port': { type: 'string' },
        'https-port': { type: 'string' },
        'http-port': { type: 'string' },
        'no-http': { type: 'boolean' },
        'tls-cert': { type: 'string' },
        'tls-key': { type: 'string' },
        hosts: { type: 'string' },
        'extern-port': { type: 'string' },
        'admin-user': { type: 'string' },
        'admin-password': { type: 'string' },
        'session-timeout': { type: 'string' },
        bmcs: { type: 'string' },
        'bmc-addressing': { type: 'string' },
        'allow-cipher-0': { type: 'boolean' },
        'allow-ipmi15-none': { type: 'boolean' },
        'allow-ipmi15-password': { type: 'boolean' },
        'log-level': { type: 'string' },
        'log-format': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'V' },
      },
    }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const logLevel = (values['log-level'] ?? 'info') as LogLevel;
  if (!['debug', 'info', 'warn', 'error', 'silent'].includes(logLevel)) {
    throw new UsageError(`--log-level must be debug, info, warn, error or silent, not "${logLevel}"`);
  }
  const logFormat = values['log-format'] ?? 'text';
  if (logFormat !== 'text' && logFormat !== 'json') throw new UsageError(`--log-format must be text or json`);
  const adminUser = values['admin-user'] ?? 'admin';
  if (adminUser.length === 0 || Buffer.byteLength(adminUser, 'latin1') > 16 || !/^[\x21-\x7e]+$/.test(adminUser)) {
    throw new UsageError('--admin-user must be 1 to 16 printable ASCII characters without spaces');
  }
  const adminPassword = values['admin-password'] ?? (env.TSBMC_ADMIN_PASSWORD || undefined);
  if (adminPassword !== undefined && (adminPassword.length === 0 || Buffer.byteLength(adminPassword, 'latin1') > 20)) {
    throw new UsageError('the admin password must be 1 to 20 characters (IPMI passwords are at most 20 bytes)');
  }
  if ((values['tls-cert'] === undefined) !== (values['tls-key'] === undefined)) {
    throw new UsageError('--tls-cert and --tls-key go together');
  }
  const bmcs = intOption('bmcs', values.bmcs, 1, MAX_BMCS) ?? 1;
  const bmcAddressing = values['bmc-addressing'] ?? 'port';
  if (bmcAddressing !== 'port' && bmcAddressing !== 'address') throw new UsageError(`--bmc-addressing must be port or address, not "${bmcAddressing}"`);
  const listen = values.listen ?? '127.0.0.1';
  if (bmcAddressing === 'address') addressRange(listen, bmcs);
  return {
    tlsCert: values['tls-cert'],
    tlsKey: values['tls-key'],
    profile: values.profile,
    stateDir: values['state-dir'] ?? 'state',
    listen,
    ipmiPort: intOption('ipmi-port', values['ipmi-port'], 0, 65535) ?? DEFAULT_IPMI_PORT,
    httpsPort: intOption('https-port', values['https-port'], 0, 65535) ?? DEFAULT_HTTPS_PORT,
    httpPort: values['no-http'] ? undefined : (intOption('http-port', values['http-port'], 0, 65535) ?? DEFAULT_HTTP_PORT),
    hosts: intOption('hosts', values.hosts, 1, 64),
    externPort: intOption('extern-port', values['extern-port'], 0, 65535),
    adminUser,
    adminPassword,
    logLevel,
    logFormat,
    allowCipher0: values['allow-cipher-0'] ?? false,
    allowIpmi15None: values['allow-ipmi15-none'] ?? false,
    allowIpmi15Password: values['allow-ipmi15-password'] ?? false,
    sessionTimeoutS: intOption('session-timeout', values['session-timeout'], 5, 3600) ?? 60,
    bmcs,
    bmcAddressing,
    help: values.help ?? false,
    version: values.version ?? false,
  };
}

/** Where one BMC of the process listens. */
export interface BmcPlacement {
  readonly index: number;
  readonly listen: string;
  /** First host's IPMI port (host h at ipmiPort + h); 0 = ephemeral. */
  readonly ipmiPort: number;
  readonly httpsPort: number;
  readonly httpPort: number | undefined;
  readonly externPort: number | undefined;
}

function ipv4ToNumber(a: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(a);
  if (!m) return undefined;
  const parts = m.slice(1).map(Number);
  if (parts.some((p, i) => p > 255 || (m[i + 1]!.length > 1 && m[i + 1]!.startsWith('0')))) return undefined;
  return parts.reduce((n, p) => n * 256 + p, 0);
}

function numberToIpv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff].join('.');
}

/** The addresses listen, listen + 1, ... for `count` BMCs; a UsageError when that is not a usable IPv4 range. */
function addressRange(listen: string, count: number): string[] {
  const first = ipv4ToNumber(listen);
  if (first === undefined) {
    throw new UsageError(`--bmc-addressing address needs an IPv4 --listen address to count up from, not "${listen}"${listen.includes(':') ? ' (IPv6 is not supported for fleets)' : ''}`);
  }
  if (first === 0) throw new UsageError('--bmc-addressing address needs a specific --listen address, not 0.0.0.0');
  const last = first + count - 1;
  if (last > 0xfffffffe) throw new UsageError(`--bmcs ${count} from ${listen} runs past 255.255.255.254`);
  // a range that crosses into another first octet leaves the network it started in (127.255.255.255 + 1 is not loopback)
  if (first >>> 24 !== last >>> 24) throw new UsageError(`--bmcs ${count} from ${listen} would run past ${numberToIpv4(((first >>> 24) * 0x1000000 + 0xffffff) >>> 0)}`);
  return Array.from({ length: count }, (_, i) => numberToIpv4(first + i));
}

function portRange(name: string, base: number | undefined, count: number, step: number): [number, number] | undefined {
  if (base === undefined || base === 0) return undefined;
  const last = base + count * step - 1;
  if (last > 65535) throw new UsageError(`--${name} ${base} leaves no room for ${count} BMCs${step > 1 ? ` of ${step} hosts` : ''}: the last would need port ${last}`);
  return [base, last];
}

/**
 * Where each of `options.bmcs` BMCs listens, given the hosts per BMC. With
 * port addressing BMC i takes IPMI ports ipmi-port + i x hosts (its hosts stay
 * consecutive), HTTPS https-port + i and HTTP http-port + i; with address
 * addressing BMC i takes the address --listen + i and the configured ports.
 * Port 0 (the system chooses) stays 0 for every BMC. Ranges that overflow or
 * overlap on the same protocol are refused before anything starts.
 */
export function placeBmcs(options: Options, hostsPerBmc: number): BmcPlacement[] {
  const n = options.bmcs;
  if (options.bmcAddressing === 'address') {
    return addressRange(options.listen, n).map((listen, index) => ({
      index,
      listen,
      ipmiPort: options.ipmiPort,
      httpsPort: options.httpsPort,
      httpPort: options.httpPort,
      externPort: options.externPort,
    }));
  }
  // UDP (IPMI) and TCP ports never clash with each other; within TCP the ranges must not overlap
  portRange('ipmi-port', options.ipmiPort, n, hostsPerBmc);
  const tcp: [string, [number, number] | undefined][] = [
    ['https-port', portRange('https-port', options.httpsPort, n, 1)],
    ['http-port', portRange('http-port', options.httpPort, n, 1)],
    ['extern-port', portRange('extern-port', options.externPort, n, hostsPerBmc)],
  ];
  for (const [i, [an, a]] of tcp.entries()) {
    for (const [bn, b] of tcp.slice(i + 1)) {
      if (a && b && a[0] <= b[1] && b[0] <= a[1]) {
        throw new UsageError(`with --bmcs ${n} the TCP ports of --${an} (${a[0]}-${a[1]}) and --${bn} (${b[0]}-${b[1]}) overlap; move one, or use --no-http or --bmc-addressing address`);
      }
    }
  }
  const at = (base: number | undefined, i: number, step: number): number | undefined => (base === undefined || base === 0 ? base : base + i * step);
  return Array.from({ length: n }, (_, index) => ({
    index,
    listen: options.listen,
    ipmiPort: at(options.ipmiPort, index, hostsPerBmc)!,
    httpsPort: at(options.httpsPort, index, 1)!,
    httpPort: at(options.httpPort, index, 1),
    externPort: at(options.externPort, index, hostsPerBmc),
  }));
}
