#!/usr/bin/env -S node --max-semi-space-size=1
// The tsbmc command: parse options, start the BMC, print how to reach it,
// stop cleanly on SIGINT/SIGTERM. Errors a user can fix get one clear line
// and exit status 2 (usage) or 1 (start failure).
import { readFileSync } from 'node:fs';
import { HELP, parseOptions, UsageError, type Options } from '../config/options.js';
import { ProfileError } from '../config/profile.js';
import { createLogger } from '../log.js';
import { startBmc, StartError } from '../main.js';
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
  let running;
  try {
    running = await startBmc({ options, log });
  } catch (err) {
    if (err instanceof ProfileError || err instanceof StartError || err instanceof StoreError) {
      process.stderr.write(`tsbmc: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
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
  process.stdout.write(out.join('\n') + '\n');

  return await new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string): void => {
      if (stopping) return;
      stopping = true;
      log.info('stopping', { signal });
      running
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

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`tsbmc: unexpected error: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
    process.exit(1);
  },
);
