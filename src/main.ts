// Composition root: loads the profile, opens the state store, builds the
// model and its backends, wires the front doors (IPMI over LAN, Redfish and
// the web UI) and the sensor scanner. `startBmc` starts one BMC; `startFleet`
// starts the --bmcs BMCs of a process (a rack or a fleet) over one store,
// one command registry and one timer each for session sweeps and sensor scans.
import { createPrivateKey, randomBytes, randomInt, randomUUID, X509Certificate } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { QemuHost } from './backends/qemu/qemu-host.js';
import { SimHost } from './backends/sim/sim-host.js';
import type { HostLink } from './backends/link.js';
import { DEFAULT_PROFILE_PATH, hostSpec, loadProfile, simBehaviour, sensorDef, type Profile } from './config/profile.js';
import { placeBmcs, type BmcPlacement, type Options } from './config/options.js';
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
import { PrivilegeMap } from './redfish/privileges.js';
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

/**
 * Where a BMC keeps its HTTPS certificate: `tls/` for the first (as a single
 * BMC always has, so a state directory can grow into a fleet), `tls/<name>/`
 * for the others.
 */
function tlsDirectory(stateDir: string, name: string): string {
  return name === 'bmc0' ? join(stateDir, 'tls') : join(stateDir, 'tls', name);
}

/** The reason a listener could not be opened, in words a user can act on. */
function listenFailure(e: NodeJS.ErrnoException): string {
  if (e.code === 'EADDRNOTAVAIL') return 'EADDRNOTAVAIL (the address is not configured on this host)';
  if (e.code === 'EACCES') return 'EACCES (ports below 1024 need root or CAP_NET_BIND_SERVICE)';
  if (e.code === 'EMFILE') return 'EMFILE (too many open files: each BMC needs a few; raise the limit with ulimit -n)';
  return e.code ?? e.message;
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
  /** Sensor scanner shared by every BMC of the process (one timer). */
  scanner?: Sweeper;
  /**
   * This BMC's name: the prefix of its keys in the store, its folders for
   * certificate, console logs and media, and its host name. Without one the
   * BMC keeps its data under `bmc0` and takes the profile's name.
   */
  name?: string;
  /** Position in a fleet (0 for a single BMC): seeds the simulated hosts apart. */
  index?: number;
  /** The profile, already loaded and with --hosts applied (a fleet loads it once and shares it, read-only). */
  profile?: Profile;
  /** The state store and secret box, when the process opened them already (a fleet shares them). */
  store?: FileStore;
  box?: KeyedSecretBox;
  /** Redfish's privilege registry (read-only), loaded once for a fleet. */
  privileges?: PrivilegeMap;
}): Promise<RunningBmc> {
  const { options, log } = opts;
  const clock = opts.clock ?? systemClock;
  const profile = opts.profile ?? loadProfile(options.profile ?? DEFAULT_PROFILE_PATH);
  if (!opts.profile && options.hosts !== undefined) profile.chassis.hosts = options.hosts;
  const store = opts.store ?? FileStore.open(options.stateDir, log.child('store'));
  const box = opts.box ?? KeyedSecretBox.openOrCreate(join(options.stateDir, 'secret.key'));
  const key = opts.name ?? 'bmc0';
  const tlsDir = tlsDirectory(options.stateDir, key);
  if (options.tlsCert && options.tlsKey) installTls(tlsDir, options.tlsCert, options.tlsKey);
  const persist = scoped(store, key);
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
      seed: (opts.index ?? 0) * 64 + h.index + 1,
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
  const bmc = new Bmc({ spec, clock, persist, box, links, consoles, log: log.child('bmc') });
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
  for (const h of bmc.hosts) h.media.configure({ cacheDir: join(options.stateDir, 'media', key, `host${h.index}`) });
  const generatedPassword = provisionAdmin(bmc, options, log);
  // each host's console output, kept on disk with rotation (console/<bmc>/host<N>.log)
  const consoleLogs = bmc.hosts.map(
    (h) => new ConsoleLog({ console: h.console, dir: join(options.stateDir, 'console', key), name: `host${h.index}`, log: log.child('console-log') }),
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
    throw new StartError('LISTEN_FAILED', `cannot listen on ${options.listen}:${options.ipmiPort}: ${listenFailure(e)}`);
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
        `cannot listen on TCP ${options.listen}:${externPort} (or a following host port) for QEMU's chardev: ${listenFailure(e)}`,
      );
    }
  }

  const tls = await loadOrCreateTls(tlsDir, [options.listen]);
  if (tls.generated) log.info('generated a self-signed HTTPS certificate', { sha256: tls.fingerprint256 });
  // the ports really bound (configured ones may be 0 = ephemeral), for ManagerNetworkProtocol
  const network = { ipmiPorts: () => endpoints.map((e) => e.port), httpsPort: () => web.httpsPort, httpPort: () => web.httpPort };
  // EventService: subscriptions persisted with the model; CertificateService: the HTTPS pair, replaced live
  const events = new EventService({ bmc, persist, log: log.child('events') });
  const certificates = new HttpsCertificateStore({ dir: tlsDir, box, initial: tls, apply: (cert, key) => web.setCertificate(cert, key), log: log.child('tls') });
  const redfish = new RedfishService({
    bmc,
    log: log.child('redfish'),
    routes: resourceRoutes(),
    services: { network, events, tls: certificates },
    streams: [eventSseStream(events)],
    privileges: opts.privileges,
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
    throw new StartError('LISTEN_FAILED', `cannot listen on ${options.listen} for HTTPS: ${listenFailure(e)}`);
  }

  for (const h of bmc.hosts) h.applyRestorePolicy();
  for (const h of bmc.hosts) h.scan();
  // one sensor scan a second for every host of the process, on one timer
  const scanner = opts.scanner ?? new Sweeper(clock);
  const scanLog = log.child('scanner');
  const stopScanning = scanner.add(() => {
    for (const h of bmc.hosts) {
      try {
        h.scan();
      } catch (err) {
        scanLog.error('sensor scan failed', { host: h.index, err: String(err) });
      }
    }
  });

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
      stopScanning();
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

function deepFreeze(o: unknown): void {
  if (o === null || typeof o !== 'object' || Object.isFrozen(o)) return;
  Object.freeze(o);
  for (const v of Object.values(o)) deepFreeze(v);
}

/** One BMC of a fleet and where it listens. */
export interface FleetMember {
  /** `bmc<i>`: the BMC's name, its keys' prefix in the store. */
  readonly name: string;
  readonly placement: BmcPlacement;
  readonly running: RunningBmc;
}

/** An administrator password generated at this start, with where its BMC answers. */
export interface GeneratedPassword {
  readonly bmc: string;
  readonly user: string;
  /** address:port of the first host's IPMI endpoint. */
  readonly ipmi: string;
  readonly redfish: string;
  readonly password: string;
}

export interface RunningFleet {
  readonly profile: Profile;
  readonly members: readonly FleetMember[];
  /** Passwords generated at this start (first start of each BMC without --admin-password). */
  readonly generated: readonly GeneratedPassword[];
  /** The file those passwords were written to (fleets of more than one BMC), if any were generated. */
  readonly passwordFile: string | undefined;
  stop(): Promise<void>;
}

/** Generated administrator passwords of a fleet, one BMC a line, mode 0600 (in the state directory). */
export const PASSWORD_FILE = 'admin-passwords';
/** BMCs starting at once: enough to overlap their binds and disk writes, few enough to keep the event loop answering. */
const START_CONCURRENCY = 8;

/**
 * Starts `options.bmcs` BMCs over one state directory. BMC i is `bmc<i>`
 * (its keys, certificate, console logs and media apart from the others') and
 * listens where `placeBmcs` puts it. A single BMC starts exactly as
 * `startBmc` alone. If any BMC fails to start, the ones already running are
 * stopped and the failure, naming the BMC, is thrown.
 */
export async function startFleet(opts: { options: Options; log: Logger; clock?: Clock; concurrency?: number }): Promise<RunningFleet> {
  const { options, log } = opts;
  const clock = opts.clock ?? systemClock;
  const profile = loadProfile(options.profile ?? DEFAULT_PROFILE_PATH);
  if (options.hosts !== undefined) profile.chassis.hosts = options.hosts;
  const placements = placeBmcs(options, profile.chassis.hosts);
  // every BMC reads the one profile (34 KB a copy); frozen, so that none can change it under the others
  if (placements.length > 1) deepFreeze(profile);
  const single = placements.length === 1;
  const store = FileStore.open(options.stateDir, log.child('store'));
  const box = KeyedSecretBox.openOrCreate(join(options.stateDir, 'secret.key'));
  const shared = { clock, registry: createRegistry(), sweeper: new Sweeper(clock), scanner: new Sweeper(clock), store, box, privileges: PrivilegeMap.load() };
  const members: FleetMember[] = [];
  let failure: { err: unknown } | undefined;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (failure === undefined && next < placements.length) {
      const placement = placements[next++]!;
      const name = `bmc${placement.index}`;
      try {
        const running = await startBmc({
          ...shared,
          options: { ...options, listen: placement.listen, ipmiPort: placement.ipmiPort, httpsPort: placement.httpsPort, httpPort: placement.httpPort, externPort: placement.externPort },
          log: single ? log : log.child(name),
          name: single ? undefined : name,
          index: placement.index,
          profile,
        });
        members.push({ name, placement, running });
      } catch (err) {
        failure ??= { err: !single && err instanceof StartError ? new StartError(err.code, `${name}: ${err.message}`) : err };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(opts.concurrency ?? START_CONCURRENCY, placements.length) }, worker));
  members.sort((a, b) => a.placement.index - b.placement.index);
  const generated: GeneratedPassword[] = members.flatMap((m) => {
    const password = m.running.generatedPassword;
    if (password === undefined) return [];
    const first = m.running.endpoints[0];
    return [{ bmc: m.name, user: options.adminUser, ipmi: `${m.placement.listen}:${first?.port ?? m.placement.ipmiPort}`, redfish: `https://${m.placement.listen}:${m.running.web.httpsPort}`, password }];
  });
  // kept even when a later BMC failed: the ones that started have their accounts stored by now
  const passwordFile = !single && generated.length > 0 ? writePasswordFile(options.stateDir, generated) : undefined;
  const stop = async (): Promise<void> => {
    const results = await Promise.allSettled(members.map((m) => m.running.stop()));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  };
  if (failure !== undefined) {
    await stop().catch((err: unknown) => log.error('stopping the started BMCs failed', { err: String(err) }));
    throw failure.err;
  }
  return { profile, members, generated, passwordFile, stop };
}

const PASSWORD_FILE_HEADER = '# administrator passwords generated at first start (tab-separated)\n# bmc\tuser\tipmi\tredfish\tpassword\n';

/**
 * Merges generated passwords into the fleet's password file, by BMC name:
 * written to a new file with mode 0600 and renamed over the old one.
 */
function writePasswordFile(stateDir: string, generated: readonly GeneratedPassword[]): string {
  const path = join(stateDir, PASSWORD_FILE);
  const rows = new Map<string, string>();
  try {
    for (const line of readFileSync(path, 'utf8').split('\n')) {
      if (line === '' || line.startsWith('#')) continue;
      rows.set(line.split('\t', 1)[0]!, line);
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  for (const g of generated) rows.set(g.bmc, [g.bmc, g.user, g.ipmi, g.redfish, g.password].join('\t'));
  const order = (name: string): number => Number(/^bmc(\d+)$/.exec(name)?.[1] ?? Number.MAX_SAFE_INTEGER);
  const body = PASSWORD_FILE_HEADER + [...rows.entries()].sort(([a], [b]) => order(a) - order(b)).map(([, line]) => line + '\n').join('');
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, body, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, path);
  return path;
}
