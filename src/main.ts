// Composition root: loads the profile, opens the state store, builds the
// model and its backends, wires the front doors (IPMI over LAN) and the
// sensor scanner. `startBmc` can run many times in one process (a rack).
import { createPrivateKey, randomBytes, randomInt, randomUUID, X509Certificate } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { QemuHost } from './backends/qemu/qemu-host.js';
import { SimHost } from './backends/sim/sim-host.js';
import type { HostLink } from './backends/link.js';
import { DEFAULT_PROFILE_PATH, hostSpec, loadProfile, simBehaviour, sensorDef, type Profile } from './config/profile.js';
import type { Options } from './config/options.js';
import { createRegistry } from './ipmi/commands/index.js';
import { Channel } from './ipmi/constants.js';
import type { CommandRegistry } from './ipmi/registry.js';
import type { Logger } from './log.js';
import { Bmc, type BmcSpec } from './model/bmc.js';
import { systemClock, type Clock } from './model/clock.js';
import { ConsoleBuffer } from './model/console.js';
import { ConsoleLog } from './model/console-log.js';
import { consumeBootOverride } from './model/boot.js';
import { scoped, type Persistence } from './model/persist.js';
import { defaultSecurityPolicy } from './model/security.js';
import { LanEndpoint } from './rmcp/lan-endpoint.js';
import { SolPayload } from './rmcp/sol.js';
import { ExternBmcServer } from './kcs/extern-server.js';
import { resourceRoutes } from './redfish/resources/index.js';
import { RedfishService, WebServer } from './redfish/server.js';
import { HttpsCertificateStore, loadOrCreateTls, storeTls } from './redfish/tls.js';
import { EventService } from './redfish/events.js';
import { eventSseStream } from './redfish/resources/event-service.js';
import { Sweeper } from './rmcp/sweeper.js';
import { WebSite } from './web/site.js';
import { defaultStreams, StreamHub } from './streams/index.js';
import { FileStore, KeyedSecretBox } from './store/index.js';

export interface RunningBmc {
  readonly bmc: Bmc;
  readonly profile: Profile;
  readonly endpoints: readonly LanEndpoint[];
  /** QEMU external-BMC listeners, one per host (empty unless --extern-port or a qemu host backend). */
  readonly externServers: readonly ExternBmcServer[];
  readonly redfish: RedfishService;
  readonly web: WebServer;
  /** SHA-256 fingerprint of the HTTPS certificate. */
  readonly tlsFingerprint: string;
  /** Set only when this start generated the administrator password. */
  readonly generatedPassword: string | undefined;
  stop(): Promise<void>;
}

export class StartError extends Error {
  override readonly name = 'StartError';
  constructor(
    readonly code: 'PORT_IN_USE' | 'LISTEN_FAILED' | 'HTTPS_PORT_IN_USE' | 'TLS_INVALID',
    message: string,
  ) {
    super(message);
  }
}

const PASSWORD_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789';

export function generatePassword(length = 16): string {
  let s = '';
  for (let i = 0; i < length; i++) s += PASSWORD_ALPHABET[randomInt(PASSWORD_ALPHABET.length)];
  return s;
}

/** Identity generated at first start and kept: GUIDs (RFC 4122 strings) and the MAC address. */
interface Identity {
  deviceGuid: string;
  systemGuids: string[];
  mac: string;
}

/**
 * A GUID on the IPMI wire: the RFC 4122 bytes least significant first
 * (IPMI v2.0 20.8 and its errata), which ipmitool and FreeIPMI decode.
 */
export function guidWireBytes(uuid: string): Uint8Array {
  const hex = uuid.replace(/-/g, '');
  if (!/^[0-9a-f]{32}$/i.test(hex)) throw new Error(`not a GUID: ${uuid}`);
  return new Uint8Array(Buffer.from(hex, 'hex').reverse());
}

function identity(persist: Persistence, hosts: number): Identity {
  const stored = persist.load('identity') as Identity | undefined;
  const id: Identity = stored ?? {
    deviceGuid: randomUUID(),
    systemGuids: [],
    mac: [0x02, ...randomBytes(5)].map((b) => b.toString(16).padStart(2, '0')).join(':'),
  };
  let changed = !stored;
  while (id.systemGuids.length < hosts) {
    id.systemGuids.push(randomUUID());
    changed = true;
  }
  if (changed) persist.save('identity', id);
  return id;
}

function firmwareParts(v: string): { major: number; minor: number } {
  const [major = '0', minor = '0'] = v.split('.');
  return { major: Number(major), minor: Number(minor) };
}

/** Checks a configured certificate and key and installs them in the state directory. */
function installTls(dir: string, certFile: string, keyFile: string): void {
  let cert: string;
  let key: string;
  try {
    cert = readFileSync(certFile, 'utf8');
    key = readFileSync(keyFile, 'utf8');
  } catch (err) {
    throw new StartError('TLS_INVALID', `cannot read the TLS certificate or key: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  try {
    const x = new X509Certificate(cert);
    if (!x.checkPrivateKey(createPrivateKey(key))) throw new Error('the key does not belong to the certificate');
    if (Date.parse(x.validTo) < Date.now()) throw new Error(`the certificate expired on ${x.validTo}`);
  } catch (err) {
    throw new StartError('TLS_INVALID', `${certFile}: ${(err as Error).message}`);
  }
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  storeTls(dir, cert, key);
}

/** One BMC over a state store: the model, its backends and its LAN endpoints. */
export async function startBmc(opts: {
  options: Options;
  log: Logger;
  clock?: Clock;
  registry?: CommandRegistry;
  /** Session sweeper shared by every BMC of the process (one timer). */
  sweeper?: Sweeper;
  /** Prefix of this BMC's keys in the store (a rack of BMCs shares one). */
  name?: string;
}): Promise<RunningBmc> {
  const { options, log } = opts;
  const clock = opts.clock ?? systemClock;
  const profile = loadProfile(options.profile ?? DEFAULT_PROFILE_PATH);
  if (options.hosts !== undefined) profile.chassis.hosts = options.hosts;
  const store = FileStore.open(options.stateDir, log.child('store'));
  const box = KeyedSecretBox.openOrCreate(join(options.stateDir, 'secret.key'));
  if (options.tlsCert && options.tlsKey) installTls(join(options.stateDir, 'tls'), options.tlsCert, options.tlsKey);
  const persist = scoped(store, opts.name ?? 'bmc0');
  const ident = identity(persist, profile.chassis.hosts);
  const fw = firmwareParts(profile.bmc.firmwareVersion);
  const security = {
    ...defaultSecurityPolicy(),
    allowCipher0: options.allowCipher0,
    allowIpmi15None: options.allowIpmi15None,
    allowIpmi15Password: options.allowIpmi15Password,
    sessionTimeoutMs: options.sessionTimeoutS * 1000,
  };
  const spec: BmcSpec = {
    name: opts.name ?? profile.name,
    device: {
      deviceId: profile.bmc.deviceId,
      deviceRevision: profile.bmc.deviceRevision,
      firmwareMajor: fw.major,
      firmwareMinor: fw.minor,
      manufacturerId: profile.bmc.manufacturerId,
      productId: profile.bmc.productId,
      auxFirmware: [0, 0, 0, 0],
      guid: guidWireBytes(ident.deviceGuid),
      firmwareVersion: profile.bmc.firmwareVersion,
    },
    maxUsers: profile.bmc.maxUsers,
    mac: ident.mac,
    hosts: Array.from({ length: profile.chassis.hosts }, (_, i) =>
      hostSpec(profile, i, guidWireBytes(ident.systemGuids[i]!)),
    ),
    security,
    ipmiPort: options.ipmiPort,
    sol: { takeover: profile.sol.takeover },
  };
  const consoles = spec.hosts.map(() => new ConsoleBuffer());
  // a qemu host's guest reaches its ExternBmcServer: enabled on an ephemeral port unless --extern-port says where
  const externPort = options.externPort ?? (profile.host.backend === 'qemu' ? 0 : undefined);
  const externServers: ExternBmcServer[] = [];
  const chardevHost = options.listen === '0.0.0.0' || options.listen === '::' ? '127.0.0.1' : options.listen;
  const links: HostLink[] = spec.hosts.map((h, i) => {
    const sim = {
      sensors: profile.host.sensors.map((s) => ({ def: sensorDef(s), sim: simBehaviour(s) })),
      clock,
      seed: h.index + 1,
      powerIdleWatts: profile.host.power.idleWatts,
      powerMaxWatts: profile.host.power.maxWatts,
      powerStandbyWatts: profile.host.power.standbyWatts,
      bootMs: profile.host.bootSeconds * 1000,
      shutdownMs: profile.host.shutdownSeconds * 1000,
      hostname: h.inventory?.hostName ?? 'tsbmc-host',
    };
    if (profile.host.backend === 'qemu' && profile.host.qemu) {
      return new QemuHost({
        machine: profile.host.qemu,
        index: h.index,
        consoleBuffer: consoles[i]!,
        sensors: sim,
        bmcChardev: () => {
          const srv = externServers[i];
          return srv ? { host: chardevHost, port: srv.port } : undefined;
        },
        log: log.child(`qemu/${h.index}`),
      });
    }
    return new SimHost({ ...sim, consoleBuffer: consoles[i]!, log: log.child(`sim/${h.index}`) });
  });
  const bmc = new Bmc({ spec, clock, persist, box, links, consoles });
  // a VM's firmware reads QEMU's boot order at the guest's own reboot too: the backend follows the override
  for (const host of bmc.hosts) {
    const link = links[host.index];
    if (!(link instanceof QemuHost)) continue;
    const changed = (): void => {
      const next = consumeBootOverride(host.boot.override);
      link.bootOverrideChanged({ device: next.device, mode: next.mode });
    };
    bmc.events.on('boot-options', (e) => {
      if (e.host === host.index) changed();
    });
    changed();
  }
  // virtual media images are cached beside the store; inserted media are re-attached before any power-on
  for (const h of bmc.hosts) h.media.configure({ cacheDir: join(options.stateDir, 'media', opts.name ?? 'bmc0', `host${h.index}`) });
  const generatedPassword = provisionAdmin(bmc, options, log);
  // each host's console output, kept on disk with rotation (console/<bmc>/host<N>.log)
  const consoleLogs = bmc.hosts.map(
    (h) => new ConsoleLog({ console: h.console, dir: join(options.stateDir, 'console', opts.name ?? 'bmc0'), name: `host${h.index}`, log: log.child('console-log') }),
  );

  const registry = opts.registry ?? createRegistry();
  const sweeper = opts.sweeper ?? new Sweeper(clock);
  const endpoints: LanEndpoint[] = [];
  try {
    for (const host of bmc.hosts) {
      const port = options.ipmiPort === 0 ? 0 : options.ipmiPort + host.index;
      const ep = new LanEndpoint({ bmc, host, registry, log: log.child(`lan/${host.index}`), address: options.listen, port, clock, sweeper });
      ep.addPayloadHandler(new SolPayload({ bmc, host, clock, log: log.child(`sol/${host.index}`) }));
      await ep.start();
      endpoints.push(ep);
    }
  } catch (err) {
    await Promise.all(endpoints.map((e) => e.stop()));
    await bmc.close();
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'EADDRINUSE') {
      throw new StartError('PORT_IN_USE', `UDP port ${options.listen}:${options.ipmiPort} (or a following host port) is already in use`);
    }
    throw new StartError('LISTEN_FAILED', `cannot listen on ${options.listen}:${options.ipmiPort}: ${e.code ?? e.message}`);
  }
  // the hosts' in-band system interfaces for QEMU's ipmi-bmc-extern chardev (off by default)
  if (externPort !== undefined) {
    try {
      for (const host of bmc.hosts) {
        const port = externPort === 0 ? 0 : externPort + host.index;
        const srv = new ExternBmcServer({ bmc, host, registry, log: log.child(`extern/${host.index}`), address: options.listen, port });
        await srv.start();
        externServers.push(srv);
        log.info('QEMU external BMC (chardev) listening', { host: host.index, address: options.listen, port: srv.port });
      }
    } catch (err) {
      await Promise.all(externServers.map((s) => s.stop()));
      await Promise.all(endpoints.map((e) => e.stop()));
      await bmc.close();
      const e = err as NodeJS.ErrnoException;
      throw new StartError(
        e.code === 'EADDRINUSE' ? 'PORT_IN_USE' : 'LISTEN_FAILED',
        `cannot listen on TCP ${options.listen}:${externPort} (or a following host port) for QEMU's chardev: ${e.code ?? e.message}`,
      );
    }
  }

  const tls = await loadOrCreateTls(join(options.stateDir, 'tls'), [options.listen]);
  if (tls.generated) log.info('generated a self-signed HTTPS certificate', { sha256: tls.fingerprint256 });
  // the ports really bound (configured ones may be 0 = ephemeral), for ManagerNetworkProtocol
  const network = { ipmiPorts: () => endpoints.map((e) => e.port), httpsPort: () => web.httpsPort, httpPort: () => web.httpPort };
  // EventService: subscriptions persisted with the model; CertificateService: the HTTPS pair, replaced live
  const events = new EventService({ bmc, persist, log: log.child('events') });
  const certificates = new HttpsCertificateStore({ dir: join(options.stateDir, 'tls'), box, initial: tls, apply: (cert, key) => web.setCertificate(cert, key), log: log.child('tls') });
  const redfish = new RedfishService({
    bmc,
    log: log.child('redfish'),
    routes: resourceRoutes(),
    services: { network, events, tls: certificates },
    streams: [eventSseStream(events)],
  });
  // WebSocket streams for the web UI, authenticated with Redfish sessions
  const streams = new StreamHub({ bmc, sessions: redfish.sessions, streams: defaultStreams(events), log: log.child('streams') });
  const site = new WebSite();
  const web = new WebServer({
    service: redfish,
    log: log.child('web'),
    address: options.listen,
    httpsPort: options.httpsPort,
    httpPort: options.httpPort,
    tls,
    plugins: [(app) => streams.register(app), (app) => site.register(app)],
  });
  try {
    await web.start();
  } catch (err) {
    await web.stop().catch(() => undefined);
    await Promise.all(externServers.map((s) => s.stop()));
    await Promise.all(endpoints.map((e) => e.stop()));
    await bmc.close();
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'EADDRINUSE') {
      throw new StartError('HTTPS_PORT_IN_USE', `TCP port ${options.listen}:${options.httpsPort} or ${options.httpPort ?? ''} is already in use`);
    }
    throw new StartError('LISTEN_FAILED', `cannot listen on ${options.listen} for HTTPS: ${e.code ?? e.message}`);
  }

  for (const h of bmc.hosts) h.applyRestorePolicy();
  for (const h of bmc.hosts) h.scan();
  const scanner = setInterval(() => {
    for (const h of bmc.hosts) h.scan();
  }, 1000);
  scanner.unref();

  return {
    bmc,
    profile,
    endpoints,
    externServers,
    redfish,
    web,
    tlsFingerprint: tls.fingerprint256,
    generatedPassword,
    async stop() {
      clearInterval(scanner);
      streams.close();
      events.close();
      await web.stop();
      await Promise.all(externServers.map((s) => s.stop()));
      await Promise.all(endpoints.map((e) => e.stop()));
      await bmc.close();
      await Promise.all(consoleLogs.map((l) => l.close()));
    },
  };
}

/**
 * Makes sure the administrator account exists in slot 2: on first start with
 * the given or a generated password; later starts only apply an explicitly
 * given password.
 */
function provisionAdmin(bmc: Bmc, options: Options, log: Logger): string | undefined {
  const first = bmc.users.empty;
  const ADMIN = 2;
  let generated: string | undefined;
  if (first) {
    const password = options.adminPassword ?? (generated = generatePassword());
    bmc.users.setName(ADMIN, options.adminUser);
    bmc.users.setPassword(ADMIN, Buffer.from(password, 'latin1'), Buffer.byteLength(password, 'latin1') > 16);
    bmc.users.setAccess(ADMIN, Channel.Lan, { privilege: 4, ipmiMessaging: true, linkAuth: true, callbackOnly: false, payloads: 0x02 });
    bmc.users.setEnabled(ADMIN, true);
    bmc.users.setAccess(1, Channel.Lan, { privilege: 0xf, ipmiMessaging: false, linkAuth: false, callbackOnly: false, payloads: 0 });
    bmc.users.setEnabled(1, false);
    log.info('first start: administrator account created', { user: options.adminUser, slot: ADMIN });
    return generated;
  }
  if (options.adminPassword !== undefined) {
    const slot = bmc.users.byName(options.adminUser)?.id ?? ADMIN;
    if (bmc.users.get(slot)?.name !== options.adminUser) bmc.users.setName(slot, options.adminUser);
    bmc.users.setPassword(slot, Buffer.from(options.adminPassword, 'latin1'), Buffer.byteLength(options.adminPassword, 'latin1') > 16);
    bmc.users.setAccess(slot, Channel.Lan, { privilege: 4, ipmiMessaging: true, linkAuth: true, payloads: 0x02 });
    bmc.users.setEnabled(slot, true);
  }
  return undefined;
}
