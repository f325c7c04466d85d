// Payload commands (NetFn App, IPMI v2.0 section 24.1-24.5): Activate and
// Deactivate Payload, Get Payload Activation Status and Get Payload Instance
// Info. The transport keeps the instances (for SOL, rmcp/sol.ts); these
// definitions check the request, the user's payload access, the SOL
// configuration (enabled, privilege, forced encryption/authentication) and
// map the transport's typed refusals to the section's completion codes.
import type { Reader } from '../../bytes/index.js';
import { Writer } from '../../bytes/index.js';
import { check, fail } from '../app-fields.js';
import { AuthType, Channel, CC, NetFn, PayloadType, Privilege } from '../constants.js';
import type { IpmiContext, PayloadInstances, PayloadRefusal } from '../context.js';
import { command, type CommandDef } from '../registry.js';

const Cmd = {
  ActivatePayload: 0x48,
  DeactivatePayload: 0x49,
  GetPayloadActivationStatus: 0x4a,
  GetPayloadInstanceInfo: 0x4b,
} as const;

/** Completion codes of Activate (24.1) and Deactivate (24.2) Payload. */
export const PayloadCC = {
  /** Activate: payload already active on another session. Deactivate: payload already deactivated. */
  AlreadyActive: 0x80,
  AlreadyDeactivated: 0x80,
  /** Payload type is disabled (SOL disabled, or not enabled for this user). */
  TypeDisabled: 0x81,
  /** Payload activation limit reached. */
  LimitReached: 0x82,
  /** Cannot activate payload with encryption. */
  CannotEncrypt: 0x83,
  /** Cannot activate payload without encryption (the BMC requires it). */
  EncryptionRequired: 0x84,
} as const;

const REFUSALS: Readonly<Record<PayloadRefusal, number>> = {
  'active-elsewhere': PayloadCC.AlreadyActive,
  limit: PayloadCC.LimitReached,
  'encryption-unavailable': PayloadCC.CannotEncrypt,
  'encryption-required': PayloadCC.EncryptionRequired,
  // No code of its own in 24.1: the session lacks what the configuration demands.
  'authentication-unavailable': CC.InsufficientPrivilege,
};

/** User payload access bit of SOL (24.6 byte 3 [1]). */
const SOL_ACCESS = 1 << PayloadType.Sol;
const NO_VLAN = 0xffff;

/*
 * Activate Payload (24.1). Request:
 *   1   [5:0] payload type
 *   2   [3:0] payload instance (1-based)
 *   3:6 auxiliary request data; for SOL (byte 3): [7] encryption,
 *       [6] authentication, [5] test mode, [3:2] serial/modem alerts while
 *       SOL is active, [1] BMC asserts CTS and DCD/DSR only after the first
 *       SOL packet; bytes 4:6 reserved
 * Response:
 *   1:4   auxiliary response data (SOL: reserved, 0)
 *   5:6   inbound payload size (console to BMC), LS byte first
 *   7:8   outbound payload size (BMC to console)
 *   9:10  payload UDP port
 *   11:12 payload VLAN number, FFFFh = no VLAN
 * Deactivate Payload (24.2). Request: 1 payload type, 2 instance, 3:6 aux (0).
 */
interface PayloadRequest {
  type: number;
  instance: number;
  aux: Uint8Array;
}

function decodePayloadRequest(r: Reader): PayloadRequest {
  const type = r.u8() & 0x3f;
  const instance = r.u8() & 0x0f;
  const aux = r.bytes(4);
  r.end();
  return { type, instance, aux };
}

/* Get Payload Activation Status (24.4). Request: 1 [5:0] payload type. Response:
 *   1   [3:0] instance capacity
 *   2   instances 1-8 activated (bit n = instance n+1)
 *   3   instances 9-16 activated */
function decodeType(r: Reader): number {
  const type = r.u8() & 0x3f;
  r.end();
  return type;
}

/* Get Payload Instance Info (24.5). Request: 1 payload type, 2 instance. Response:
 *   1:4  session ID of the session the instance is active in; 0 = not active
 *   5:12 payload specific; SOL: byte 5 = port number (1 = the primary serial port), rest 0 */
function decodeInstanceInfo(r: Reader): { type: number; instance: number } {
  const type = r.u8() & 0x3f;
  const instance = r.u8() & 0x0f;
  r.end();
  return { type, instance };
}

/** The SOL instances of the caller's transport; only RMCP+ sessions carry payloads. */
function solInstances(ctx: IpmiContext, type: number): PayloadInstances {
  check(type === PayloadType.Sol, 'payload type not supported');
  const p = ctx.payloads?.(type);
  if (!p || !ctx.session || ctx.session.authType !== AuthType.RmcpPlus) fail(CC.NotSupportedInPresentState, 'payloads need an RMCP+ session');
  return p;
}

function activate(req: PayloadRequest, ctx: IpmiContext): Uint8Array {
  const p = solInstances(ctx, req.type);
  check(req.instance >= 1, 'payload instance');
  if (req.instance > p.capacity) fail(PayloadCC.LimitReached, 'no such instance');
  const session = ctx.session!;
  const sol = ctx.bmc.sol;
  if (!sol.enabled) fail(PayloadCC.TypeDisabled, 'SOL disabled');
  const access = ctx.bmc.users.access(session.userId, Channel.Lan);
  if (!(access.payloads & SOL_ACCESS)) fail(PayloadCC.TypeDisabled, 'SOL not enabled for this user');
  if (ctx.privilege < sol.privilege) fail(CC.InsufficientPrivilege, 'below the SOL privilege');
  const aux = req.aux[0]!;
  const refusal = p.activate(session, req.instance, {
    encrypt: (aux & 0x80) !== 0,
    authenticate: (aux & 0x40) !== 0,
    forceEncryption: sol.forceEncryption,
    forceAuthentication: sol.forceAuthentication,
  });
  if (refusal) fail(REFUSALS[refusal], refusal);
  return new Writer(12)
    .zeros(4)
    .u16le(p.inboundSize)
    .u16le(p.outboundSize)
    .u16le(ctx.localPort || sol.payloadPort)
    .u16le(NO_VLAN)
    .finish();
}

function deactivate(req: PayloadRequest, ctx: IpmiContext): Uint8Array {
  const p = solInstances(ctx, req.type);
  check(req.instance >= 1 && req.instance <= p.capacity, 'payload instance');
  const current = p.active().find((a) => a.instance === req.instance);
  if (!current) fail(PayloadCC.AlreadyDeactivated, 'not active');
  const session = ctx.session!;
  // The owner's user, or an administrator, may end it (as phosphor-net-ipmid).
  const owner = ctx.sessions?.list().find((s) => s.id === current.sessionId);
  if (owner && owner.userId !== session.userId && ctx.privilege < Privilege.Administrator) {
    fail(CC.InsufficientPrivilege, 'SOL held by another user');
  }
  if (!p.deactivate(req.instance, session)) fail(PayloadCC.AlreadyDeactivated, 'not active');
  return new Uint8Array(0);
}

function activationStatus(type: number, ctx: IpmiContext): Uint8Array {
  const p = solInstances(ctx, type);
  let bits = 0;
  for (const a of p.active()) bits |= 1 << (a.instance - 1);
  return Uint8Array.of(p.capacity & 0x0f, bits & 0xff, (bits >> 8) & 0xff);
}

function instanceInfo(req: { type: number; instance: number }, ctx: IpmiContext): Uint8Array {
  const p = solInstances(ctx, req.type);
  check(req.instance >= 1 && req.instance <= p.capacity, 'payload instance');
  const a = p.active().find((x) => x.instance === req.instance);
  return new Writer(12)
    .u32le(a?.sessionId ?? 0)
    .u8(a ? 0x01 : 0x00)
    .zeros(7)
    .finish();
}

const A = NetFn.App;

export const payloadCommands: readonly CommandDef<unknown>[] = [
  command({
    netFn: A,
    cmd: Cmd.ActivatePayload,
    name: 'Activate Payload',
    // the SOL configuration's privilege (parameter 2) is checked in the handler
    privilege: Privilege.User,
    section: 'IPMI 2.0 24.1',
    decode: decodePayloadRequest,
    handle: activate,
  }),
  command({
    netFn: A,
    cmd: Cmd.DeactivatePayload,
    name: 'Deactivate Payload',
    privilege: Privilege.User,
    section: 'IPMI 2.0 24.2',
    decode: decodePayloadRequest,
    handle: deactivate,
  }),
  command({
    netFn: A,
    cmd: Cmd.GetPayloadActivationStatus,
    name: 'Get Payload Activation Status',
    privilege: Privilege.User,
    section: 'IPMI 2.0 24.4',
    decode: decodeType,
    handle: activationStatus,
  }),
  command({
    netFn: A,
    cmd: Cmd.GetPayloadInstanceInfo,
    name: 'Get Payload Instance Info',
    privilege: Privilege.User,
    section: 'IPMI 2.0 24.5',
    decode: decodeInstanceInfo,
    handle: instanceInfo,
  }),
];
