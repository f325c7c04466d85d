// Request-field checks shared by the App, Chassis and Transport commands:
// 0xCC for a field the specification constrains (IPMI v2.0 5.2, table 5-2),
// reserved bits that must be zero, and channel 0Eh meaning "the channel this
// request arrived on" (6.3).
import { CC, Channel } from './constants.js';
import type { IpmiContext } from './context.js';
import { IpmiError } from './errors.js';

/** Throws the completion code for an invalid data field (0xCC). */
export function invalidField(detail?: string): never {
  throw new IpmiError(CC.InvalidDataField, undefined, detail);
}

/** Asserts a constraint on a request field; 0xCC when it does not hold. */
export function check(ok: boolean, detail?: string): asserts ok {
  if (!ok) invalidField(detail);
}

/** Reserved bits must be written as zero. */
export function reserved(value: number, mask: number, what: string): void {
  if ((value & mask) !== 0) invalidField(`reserved bits set in ${what}`);
}

/** Channel number as the request names it, with 0Eh resolved to the caller's channel. */
export function resolveChannel(n: number, ctx: IpmiContext): number {
  return (n & 0x0f) === Channel.Current ? ctx.channel : n & 0x0f;
}

/** Any command-specific completion code. */
export function fail(cc: number, detail?: string): never {
  throw new IpmiError(cc, undefined, detail);
}

/** A byte 0..99 as two BCD digits. */
export function bcd(n: number): number {
  const v = Math.max(0, Math.min(99, Math.trunc(n)));
  return (Math.trunc(v / 10) << 4) | v % 10;
}
