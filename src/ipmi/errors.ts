// The IPMI front door's error type. Handlers throw IpmiError(cc) for a
// command-specific completion code; the dispatcher maps DecodeError to 0xC7.
import type { CompletionCode } from './constants.js';

export class IpmiError extends Error {
  override readonly name = 'IpmiError';
  constructor(
    readonly cc: CompletionCode,
    readonly data?: Uint8Array,
    detail?: string,
  ) {
    super(`IPMI completion code 0x${cc.toString(16).padStart(2, '0')}${detail ? `: ${detail}` : ''}`);
  }
}
