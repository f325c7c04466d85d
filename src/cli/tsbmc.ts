#!/usr/bin/env -S node --max-semi-space-size=1
// The tsbmc command: parse options, start the BMC (or the --bmcs BMCs of a
// fleet), print how to reach them, stop them all cleanly on SIGINT/SIGTERM.
// Errors a user can fix get one clear line and exit status 2 (usage) or 1
// (start failure).
import { readFileSync } from 'node:fs';
import { HELP, parseOptions, UsageError, type Options } from '../config/options.js';
import { ProfileError } from '../config/profile.js';
import { createLogger } from '../log.js';
import { startFleet, StartError, type FleetMember, type RunningFleet } from '../main.js';
import { StoreError } from '../store/index.js';

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

async function main(): Promise<number> {
  let options: Options;
  try {
    options = parseOptions(process.argv.slice(2), process.env);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`tsbmc: ${err.message}\nTry 'tsbmc --help'.\n`);
      return 2;
    }
    throw err;
  }
  if (options.help) {
    process.stdout.write(HELP);
    return 0;
  }
  if (options.version) {
    process.stdout.write(`tsbmc ${version()}\n`);
    return 0;
  }
  const log = createLogger({ level: options.logLevel, format: options.logFormat });
  let fleet: RunningFleet;
  try {
    fleet = await startFleet({ options, log });
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`tsbmc: ${err.message}\nTry 'tsbmc --help'.\n`);
      return 2;
    }
    if (err instanceof ProfileError || err instanceof StartError || err instanceof StoreError) {
      process.stderr.write(`tsbmc: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
  process.stdout.write((fleet.members.length === 1 ? banner(options, fleet.members[0]!) : fleetSummary(options, fleet)) + '\n');

  return await new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string): void => {
      if (stopping) return;
      stopping = true;
      log.info('stopping', { signal });
      fleet
        .stop()
        .then(() => resolve(0))
        .catch((err: unknown) => {
          log.error('stop failed', { err: String(err as Error) });
          resolve(1);
        });
    };
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGTERM', () => stop('SIGTERM'));
  });
}

/** What a single BMC prints at start: every endpoint, the generated password once, commands to try. */
function banner(options: Options, member: FleetMember): string {
  const { running } = member;
  const { bmc, endpoints, generatedPassword } = running;
  const user = options.adminUser;
  const out: string[] = [];
  out.push(`tsbmc ${version()}: ${running.profile.name}, ${bmc.hosts.length} host${bmc.hosts.length > 1 ? 's' : ''}, state in ${options.stateDir}`);
  for (const [i, ep] of endpoints.entries()) out.push(`IPMI over LAN (host ${i}): udp ${options.listen}:${ep.port}`);
  for (const [i, srv] of running.externServers.entries()) out.push(`QEMU external BMC (host ${i}): tcp ${options.listen}:${srv.port} (-chardev socket,host=${options.listen},port=${srv.port},reconnect=1)`);
  const web = running.web;
  out.push(`Redfish: https://${options.listen}:${web.httpsPort}/redfish/v1 (certificate SHA-256 ${running.tlsFingerprint})`);
  if (web.httpPort !== undefined) out.push(`HTTP: http://${options.listen}:${web.httpPort} redirects to HTTPS`);
  if (generatedPassword) {
    out.push('');
    out.push(`Generated administrator password for "${user}" (shown only now; stored encrypted):`);
    out.push(`  ${generatedPassword}`);
  }
  const first = endpoints[0];
  if (first) {
    const pw = generatedPassword ?? 'PASSWORD';
    out.push('');
    out.push('Try:');
    out.push(`  ipmitool -I lanplus -C 17 -H ${options.listen} -p ${first.port} -U ${user} -P ${pw} chassis status`);
    out.push(`  curl -k -u ${user}:${pw} https://${options.listen}:${web.httpsPort}/redfish/v1/Systems`);
  }
  return out.join('\n');
}

/** One BMC's endpoints on one line. */
function memberLine(m: FleetMember): string {
  const { listen } = m.placement;
  const web = m.running.web;
  const ipmi = m.running.endpoints.map((e) => `${listen}:${e.port}`).join(', ');
  const http = web.httpPort === undefined ? '' : `, HTTP http://${listen}:${web.httpPort}`;
  return `  ${m.name}: IPMI udp ${ipmi}, Redfish https://${listen}:${web.httpsPort}/redfish/v1${http}`;
}

/** What a fleet prints at start: the first and last BMC, the rule in between, the generated passwords once. */
function fleetSummary(options: Options, fleet: RunningFleet): string {
  const { members, profile } = fleet;
  const first = members[0]!;
  const last = members[members.length - 1]!;
  const hosts = profile.chassis.hosts;
  const out: string[] = [];
  out.push(`tsbmc ${version()}: ${members.length} BMCs (${first.name} to ${last.name}) of ${profile.name}, ${hosts} host${hosts > 1 ? 's' : ''} each, state in ${options.stateDir}`);
  out.push(memberLine(first));
  if (members.length > 2) out.push('  ...');
  out.push(memberLine(last));
  const step = (base: number | undefined, n: number): string => (base === undefined ? '' : base === 0 ? 'chosen by the system' : n === 1 ? `${base} + i` : `${base} + ${n}i`);
  if (options.bmcAddressing === 'address') {
    out.push(`BMC i listens on ${options.listen} + i, every BMC on the same ports`);
  } else {
    const rule = [`IPMI port ${step(options.ipmiPort, hosts)}`, `HTTPS port ${step(options.httpsPort, 1)}`];
    if (options.httpPort !== undefined) rule.push(`HTTP port ${step(options.httpPort, 1)}`);
    if (options.externPort !== undefined) rule.push(`QEMU external BMC port ${step(options.externPort, hosts)}`);
    out.push(`BMC i on ${options.listen}: ${rule.join(', ')}`);
  }
  out.push(options.tlsCert ? `Every BMC serves the certificate of ${options.tlsCert}` : 'Each BMC has its own self-signed HTTPS certificate');
  const user = options.adminUser;
  if (fleet.generated.length > 0) {
    out.push('');
    out.push(`Generated administrator passwords for "${user}" (shown only now; also in ${fleet.passwordFile}, mode 0600):`);
    const rows = [['BMC', 'IPMI (udp)', 'Redfish', 'Password'], ...fleet.generated.map((g) => [g.bmc, g.ipmi, g.redfish, g.password])];
    const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
    for (const r of rows) out.push(`  ${r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]!))).join('  ')}`);
  }
  const pw = fleet.generated.find((g) => g.bmc === first.name)?.password ?? 'PASSWORD';
  const port = first.running.endpoints[0]?.port;
  out.push('');
  out.push('Try:');
  out.push(`  ipmitool -I lanplus -C 17 -H ${first.placement.listen} -p ${port} -U ${user} -P ${pw} chassis status`);
  out.push(`  curl -k -u ${user}:${pw} https://${first.placement.listen}:${first.running.web.httpsPort}/redfish/v1/Systems`);
  return out.join('\n');
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`tsbmc: unexpected error: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
    process.exit(1);
  },
);
