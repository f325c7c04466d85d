// Payload commands (NetFn App, IPMI v2.0 section 24.1-24.5): Activate and
// Deactivate Payload, Suspend/Resume Payload Encryption, Get Payload
// Activation Status and Get Payload Instance Info. The transport keeps the
// instances (for SOL, rmcp/sol.ts); these definitions check the request, the
// user's payload access, the SOL configuration (enabled, privilege, forced
// encryption/authentication, takeover) and map the transport's typed
// refusals to the section's completion codes.
import type { Reader } from '../../bytes/index.js';
import { Writer } from '../../bytes/index.js';
import { check, fail, reserved } from '../app-fields.js';
import { AuthType, Channel, CC, NetFn, PayloadType, Privilege } from '../constants.js';
import type { IpmiContext, PayloadEncryptionOp, PayloadEncryptionRefusal, PayloadInstances, PayloadRefusal, SessionSummary } from '../context.js';
import { command, type CommandDef } from '../registry.js';

const Cmd = {
  ActivatePayload: 0x48,
  DeactivatePayload: 0x49,
  GetPayloadActivationStatus: 0x4a,
  GetPayloadInstanceInfo: 0x4b,
  SuspendResumePayloadEncryption: 0x55,
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

/** Completion codes of Suspend/Resume Payload Encryption (24.3). */
export const EncryptionCC = {
  /** Operation not supported for the given payload type. */
  OperationNotSupported: 0x80,
  /** Operation not allowed under the present configuration (encryption is forced). */
  NotAllowed: 0x81,
  /** Encryption is not available for the session the payload is active under. */
  EncryptionUnavailable: 0x82,
  /** The payload instance is not presently active. */
  NotActive: 0x83,
} as const;

const ENCRYPTION_REFUSALS: Readonly<Record<PayloadEncryptionRefusal, number>> = {
  'not-active': EncryptionCC.NotActive,
  'encryption-unavailable': EncryptionCC.EncryptionUnavailable,
  'encryption-forced': EncryptionCC.NotAllowed,
};

/** Operation field of Suspend/Resume Payload Encryption; 11b is reserved. */
const ENCRYPTION_OPS: readonly PayloadEncryptionOp[] = ['suspend', 'resume', 'regenerate-iv'];

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

/** The session an instance is active in, if it is still listed. */
function holder(ctx: IpmiContext, p: PayloadInstances, instance: number): SessionSummary | undefined {
  const current = p.active().find((a) => a.instance === instance);
  return current && ctx.sessions?.list().find((s) => s.id === current.sessionId);
}

/** The holder's user, or an administrator, may end or change another session's instance (as phosphor-net-ipmid). */
function mayControl(ctx: IpmiContext, owner: SessionSummary | undefined): boolean {
  return !owner || owner.userId === ctx.session!.userId || ctx.privilege >= Privilege.Administrator;
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
    // takeover when configured and the caller could have deactivated the holder's instance
    takeover: sol.takeover && mayControl(ctx, holder(ctx, p, req.instance)),
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
  if (!mayControl(ctx, holder(ctx, p, req.instance))) fail(CC.InsufficientPrivilege, 'SOL held by another user');
  if (!p.deactivate(req.instance, ctx.session!)) fail(PayloadCC.AlreadyDeactivated, 'not active');
  return new Uint8Array(0);
}

/*
 * Suspend/Resume Payload Encryption (24.3). Request:
 *   1   [7:6] reserved, [5:0] payload type
 *   2   [7:4] reserved, [3:0] payload instance
 *   3   [7:2] reserved, [1:0] operation: 00b suspend encryption, 01b resume
 *       encryption, 10b regenerate initialization vector, 11b reserved
 * Response: completion code only. 80h operation not supported for the
 * payload type, 81h not allowed under the present configuration, 82h
 * encryption not available for the session the payload is active under,
 * 83h payload instance not presently active.
 */
interface EncryptionRequest {
  type: number;
  instance: number;
  op: number;
}

function decodeEncryptionRequest(r: Reader): EncryptionRequest {
  const type = r.u8();
  const instance = r.u8();
  const op = r.u8();
  r.end();
  reserved(type, 0xc0, 'payload type');
  reserved(instance, 0xf0, 'payload instance');
  reserved(op, 0xfc, 'operation');
  return { type, instance, op };
}

function setEncryption(req: EncryptionRequest, ctx: IpmiContext): Uint8Array {
  const op = ENCRYPTION_OPS[req.op];
  check(op !== undefined, 'operation');
  // IPMI messages are not activated and have no instances to change
  if (req.type !== PayloadType.Sol) fail(EncryptionCC.OperationNotSupported, `payload type ${req.type}`);
  const p = ctx.payloads?.(req.type);
  if (!p?.setEncryption || !ctx.session || ctx.session.authType !== AuthType.RmcpPlus) fail(CC.NotSupportedInPresentState, 'payloads need an RMCP+ session');
  check(req.instance >= 1, 'payload instance');
  if (req.instance > p.capacity) fail(EncryptionCC.NotActive, 'no such instance');
  if (!mayControl(ctx, holder(ctx, p, req.instance))) fail(CC.InsufficientPrivilege, 'SOL held by another user');
  const refusal = p.setEncryption(req.instance, op, { forceEncryption: ctx.bmc.sol.forceEncryption });
  if (refusal) fail(ENCRYPTION_REFUSALS[refusal], refusal);
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
    cmd: Cmd.SuspendResumePayloadEncryption,
    name: 'Suspend/Resume Payload Encryption',
    privilege: Privilege.User,
    section: 'IPMI 2.0 24.3',
    decode: decodeEncryptionRequest,
    handle: setEncryption,
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
