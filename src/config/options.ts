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
  help: boolean;
  version: boolean;
}

export class UsageError extends Error {
  override readonly name = 'UsageError';
  readonly code = 'USAGE';
}

export const DEFAULT_IPMI_PORT = 6230;
export const DEFAULT_HTTPS_PORT = 8443;
export const DEFAULT_HTTP_PORT = 8080;

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
  --admin-user NAME       administrator account name (user slot 2). Default: admin
  --admin-password PW     administrator password (also TSBMC_ADMIN_PASSWORD).
                          Without one, the first start generates a password,
                          prints it once and stores it.
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
  return {
    tlsCert: values['tls-cert'],
    tlsKey: values['tls-key'],
    profile: values.profile,
    stateDir: values['state-dir'] ?? 'state',
    listen: values.listen ?? '127.0.0.1',
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
    help: values.help ?? false,
    version: values.version ?? false,
  };
}
