// Which IPMI commands go into the BMC's audit log (src/model/audit.ts), and
// how each names what it acted on. The audited commands are those that
// change the machine, its accounts or its configuration, or open a console;
// reads, event messages (the SEL records those itself) and the host
// driver's housekeeping (global enables, message flags) are not. A refusal
// of an audited command is recorded too, with its completion code. The
// targets never carry request secrets (passwords, keys): only which user,
// channel, parameter or sensor.
import { Channel } from './constants.js';
import type { IpmiContext } from './context.js';

/** What an audited command acted on, from its request data; undefined = not worth a record (a read-only sub-operation). */
type Target = (data: Uint8Array, ctx: IpmiContext) => string | undefined;

const hex = (n: number): string => `0x${n.toString(16).padStart(2, '0')}`;
const host: Target = (_d, ctx) => `host${ctx.host.index}`;
const bmc: Target = () => 'bmc';
const user: Target = (d) => (d.length > 0 ? `user ${d[0]! & 0x3f}` : 'user');
const channelParam: Target = (d) => (d.length > 1 ? `channel ${d[0]! & 0x0f} parameter ${d[1]! & 0x7f}` : 'channel');
const sensor: Target = (d, ctx) => (d.length > 0 ? `host${ctx.host.index} sensor ${hex(d[0]!)}` : `host${ctx.host.index}`);

const CHASSIS_CONTROL = ['power off', 'power on', 'power cycle', 'hard reset', 'diagnostic interrupt', 'soft off'];
const PASSWORD_OPERATION = ['disable user', 'enable user', 'set password', 'test password'];

/** Audited commands by their specification name (CommandDef.name). */
export const AUDITED_COMMANDS: ReadonlyMap<string, Target> = new Map<string, Target>([
  // Chassis
  ['Chassis Control', (d, ctx) => `host${ctx.host.index} ${CHASSIS_CONTROL[(d[0] ?? 0xff) & 0x0f] ?? 'control'}`],
  ['Chassis Identify', host],
  ['Set Power Restore Policy', (d, ctx) => ((d[0] ?? 0) & 0x07) === 0x03 ? undefined : `host${ctx.host.index}`],
  ['Set Power Cycle Interval', host],
  ['Set System Boot Options', (d, ctx) => (d.length > 0 ? `host${ctx.host.index} parameter ${d[0]! & 0x7f}` : `host${ctx.host.index}`)],
  // App
  ['Cold Reset', bmc],
  ['Warm Reset', bmc],
  ['Set ACPI Power State', host],
  ['Set Watchdog Timer', host],
  ['Set Channel Access', (d) => (d.length > 0 ? `channel ${d[0]! & 0x0f}` : 'channel')],
  ['Set Channel Security Keys', (d) => (d.length > 0 ? `channel ${d[0]! & 0x0f}` : 'channel')],
  ['Set User Access', (d) => (d.length > 1 ? `user ${d[1]! & 0x3f} channel ${d[0]! & 0x0f}` : 'user')],
  ['Set User Name', user],
  ['Set User Password', (d) => (d.length > 1 ? `user ${d[0]! & 0x3f} ${PASSWORD_OPERATION[d[1]! & 0x03]!}` : 'user')],
  ['Set User Payload Access', (d) => (d.length > 1 ? `user ${d[1]! & 0x3f} channel ${d[0]! & 0x0f}` : 'user')],
  ['Activate Payload', (d) => (d.length > 1 ? `payload ${d[0]! & 0x3f} instance ${d[1]! & 0x0f}` : 'payload')],
  ['Deactivate Payload', (d) => (d.length > 1 ? `payload ${d[0]! & 0x3f} instance ${d[1]! & 0x0f}` : 'payload')],
  // Sensor/Event
  ['Set Event Receiver', bmc],
  ['Set Sensor Hysteresis', sensor],
  ['Set Sensor Thresholds', sensor],
  ['Set Sensor Event Enable', sensor],
  ['Set PEF Configuration Parameters', (d, ctx) => (d.length > 0 ? `host${ctx.host.index} PEF parameter ${d[0]! & 0x7f}` : `host${ctx.host.index} PEF`)],
  ['Arm PEF Postpone Timer', (d, ctx) => (d[0] === 0xff ? undefined : `host${ctx.host.index} PEF postpone`)],
  ['Set Last Processed Event ID', (_d, ctx) => `host${ctx.host.index} PEF`],
  // Storage
  ['Write FRU Data', (d, ctx) => (d.length > 2 ? `host${ctx.host.index} FRU ${d[0]!} offset ${d[1]! | (d[2]! << 8)}` : `host${ctx.host.index} FRU`)],
  // Clear SEL with 0x00 only asks for the erasure status
  ['Clear SEL', (d, ctx) => (d[5] === 0x00 ? undefined : `host${ctx.host.index} SEL`)],
  ['Delete SEL Entry', (d, ctx) => (d.length > 3 ? `host${ctx.host.index} SEL record ${d[2]! | (d[3]! << 8)}` : `host${ctx.host.index} SEL`)],
  ['Set SEL Time', bmc],
  ['Set SEL Time UTC Offset', bmc],
  // Transport
  ['Set LAN Configuration Parameters', channelParam],
  ['Set SOL Configuration Parameters', channelParam],
  // DCMI (data[0] is the group extension identification)
  ['Set Power Limit', host],
  ['Activate/Deactivate Power Limit', (d, ctx) => `host${ctx.host.index} ${d[1] === 0x01 ? 'activate' : 'deactivate'}`],
  ['Set Asset Tag', host],
  ['Set Management Controller Identifier String', bmc],
]);

/**
 * Records one dispatched command in the audit log when it is an audited
 * one: who (the session's user; none in-band), from where, through which
 * channel, and the completion code.
 */
export function auditCommand(name: string, data: Uint8Array, cc: number, ctx: IpmiContext): void {
  const target = AUDITED_COMMANDS.get(name);
  if (!target) return;
  const what = target(data, ctx);
  if (what === undefined) return;
  const inBand = ctx.channel === Channel.SystemInterface;
  const session = ctx.session;
  ctx.bmc.audit.record({
    user: session ? (ctx.bmc.users.get(session.userId)?.name ?? '') : '',
    source: session ? session.remoteAddress : inBand ? `host${ctx.host.index}` : '',
    via: inBand ? 'IPMI system interface' : 'IPMI LAN',
    operation: name,
    target: what,
    status: cc,
  });
}
