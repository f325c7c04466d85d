// Test support for the LAN transport (IPMI v2.0 section 13): a minimal
// Bmc-shaped object built from the real model pieces (users, channels, LAN
// settings, security policy), and a registry with the session commands and a
// stub Get Device ID. Used by unit tests and the smoke server; not by main.
import { readFileSync } from 'node:fs';
import { sessionCommands } from '../ipmi/commands/session.js';
import { NetFn } from '../ipmi/constants.js';
import { command, CommandRegistry } from '../ipmi/registry.js';
import type { Bmc } from '../model/bmc.js';
import { Channels } from '../model/channels.js';
import type { Clock } from '../model/clock.js';
import { ModelEvents } from '../model/events.js';
import type { Host } from '../model/host.js';
import { defaultLanConfig, LanSettings } from '../model/lan.js';
import { MemoryPersistence } from '../model/persist.js';
import { defaultSecurityPolicy, type SecurityPolicy } from '../model/security.js';
import { UserTable, type SecretBox } from '../model/users.js';

const box: SecretBox = { seal: (b) => Buffer.from(b).toString('base64'), open: (s) => Buffer.from(s, 'base64') };

/** The GUID the fixtures use: 00 01 02 .. 0f. */
export const TEST_GUID = Uint8Array.from({ length: 16 }, (_, i) => i);

export interface TestUser {
  name: string;
  password: string;
  privilege: 1 | 2 | 3 | 4 | 5;
  enabled?: boolean;
  messaging?: boolean;
}

/** A Bmc with just what the LAN transport uses. Users get ids 2, 3, ... */
export function makeLanTestBmc(opts: {
  clock: Clock;
  users?: TestUser[];
  security?: Partial<SecurityPolicy>;
}): Bmc {
  const persist = new MemoryPersistence();
  const events = new ModelEvents();
  const security: SecurityPolicy = { ...defaultSecurityPolicy(), ...opts.security };
  const users = new UserTable({ maxUsers: 16, persist, box, events, clock: opts.clock });
  let id = 2;
  for (const u of opts.users ?? [{ name: 'admin', password: 'password', privilege: 4 }]) {
    users.setName(id, u.name);
    users.setPassword(id, Buffer.from(u.password, 'latin1'), false);
    users.setEnabled(id, u.enabled ?? true);
    users.setAccess(id, 1, { privilege: u.privilege, ipmiMessaging: u.messaging ?? true, linkAuth: false, callbackOnly: false, payloads: 0 });
    id++;
  }
  const channels = new Channels(persist, events);
  const lan = new LanSettings({
    channel: 1,
    defaults: defaultLanConfig({ mac: '02:00:00:00:00:01', allowCipher0: security.allowCipher0 }),
    persist,
    events,
  });
  const fake = { name: 'test', users, channels, lan, security, clock: opts.clock, device: { guid: TEST_GUID } };
  return fake as unknown as Bmc;
}

export const testHost = {} as unknown as Host;

/** Session commands plus a Get Device ID stub (App 01h, privilege User). */
export function makeLanTestRegistry(): CommandRegistry {
  const getDeviceId = command({
    netFn: NetFn.App,
    cmd: 0x01,
    name: 'Get Device ID',
    privilege: 2,
    section: 'IPMI 2.0 20.1',
    decode(r) {
      r.end();
      return {};
    },
    handle() {
      return Uint8Array.from([0x20, 0x81, 0x01, 0x00, 0x02, 0xbf, 0x00, 0x00, 0x00, 0x00, 0x00]);
    },
  });
  return new CommandRegistry().register(sessionCommands).register([getDeviceId]);
}

export interface FixtureLine {
  dir: 'C>B' | 'B>C';
  bytes: Buffer;
}

/** Reads a capture from test/fixtures/rmcp: one "C>B hex" or "B>C hex" line per datagram. */
export function loadFixture(name: string): FixtureLine[] {
  const text = readFileSync(new URL(`../../../test/fixtures/rmcp/${name}`, import.meta.url), 'utf8');
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => {
      const [dir, hex] = l.split(' ');
      return { dir: dir as FixtureLine['dir'], bytes: Buffer.from(hex!, 'hex') };
    });
}
