// Command registry and dispatcher (IPMI v2.0 section 5). Each command is a
// definition keyed by (NetFn, Cmd) with its spec privilege; dispatch applies
// the fixed order: unknown 0xC1, privilege 0xD4, decode 0xC7, IpmiError(cc),
// anything else 0xFF with an error log. OEM definitions override standard ones
// by registering with a higher priority.
import { DecodeError, Reader } from '../bytes/index.js';
import type { Logger } from '../log.js';
import { auditCommand } from './audit.js';
import { CC, type PrivilegeLevel } from './constants.js';
import type { IpmiContext } from './context.js';
import { IpmiError } from './errors.js';

export interface CommandDef<Req = unknown> {
  readonly netFn: number;
  readonly cmd: number;
  /** The command's name in the specification. */
  readonly name: string;
  /** Minimum privilege (the spec's command table, appendix G). */
  readonly privilege: PrivilegeLevel;
  /** Where it is specified, e.g. "IPMI 2.0 22.1". */
  readonly section: string;
  /** Higher wins when two definitions share (NetFn, Cmd). Standard = 0. */
  readonly priority?: number;
  /** Reads the request data; a short or long request throws DecodeError. */
  decode(r: Reader, ctx: IpmiContext): Req;
  /** Carries out the command; returns the response data after the completion code. */
  handle(req: Req, ctx: IpmiContext): Uint8Array | Promise<Uint8Array>;
}

/** Builds a definition with its request type inferred from decode. */
export function command<Req>(def: CommandDef<Req>): CommandDef<Req> {
  return def;
}

export interface IpmiRequest {
  readonly netFn: number;
  readonly cmd: number;
  readonly lun?: number;
  readonly data: Uint8Array;
}

export interface IpmiResponse {
  readonly cc: number;
  readonly data: Uint8Array;
}

const EMPTY = new Uint8Array(0);

export class CommandRegistry {
  readonly #defs = new Map<number, CommandDef<unknown>>();

  static key(netFn: number, cmd: number): number {
    return ((netFn & 0x3f) << 8) | (cmd & 0xff);
  }

  register(defs: readonly CommandDef<never>[] | readonly CommandDef<unknown>[]): this {
    for (const d of defs as readonly CommandDef<unknown>[]) {
      const key = CommandRegistry.key(d.netFn, d.cmd);
      const prev = this.#defs.get(key);
      if (prev && (prev.priority ?? 0) >= (d.priority ?? 0)) {
        throw new Error(
          `duplicate IPMI command NetFn 0x${d.netFn.toString(16)} Cmd 0x${d.cmd.toString(16)}: ${prev.name} and ${d.name}`,
        );
      }
      this.#defs.set(key, d);
    }
    return this;
  }

  get(netFn: number, cmd: number): CommandDef<unknown> | undefined {
    return this.#defs.get(CommandRegistry.key(netFn, cmd));
  }

  all(): IterableIterator<CommandDef<unknown>> {
    return this.#defs.values();
  }

  /** Runs one request; never throws. Audited commands (audit.ts) are recorded with their completion code. */
  async dispatch(req: IpmiRequest, ctx: IpmiContext, log?: Logger): Promise<IpmiResponse> {
    const def = this.get(req.netFn, req.cmd);
    if (!def) return { cc: CC.InvalidCommand, data: EMPTY };
    const res = await this.#run(def, req, ctx, log);
    try {
      auditCommand(def.name, req.data, res.cc, ctx);
    } catch (err) {
      log?.error('cannot record an IPMI command in the audit log', { name: def.name, err: err instanceof Error ? err.message : String(err) });
    }
    return res;
  }

  async #run(def: CommandDef<unknown>, req: IpmiRequest, ctx: IpmiContext, log?: Logger): Promise<IpmiResponse> {
    if (ctx.privilege < def.privilege) return { cc: CC.InsufficientPrivilege, data: EMPTY };
    try {
      const decoded = def.decode(new Reader(req.data), ctx);
      const data = await def.handle(decoded, ctx);
      return { cc: CC.Success, data };
    } catch (err) {
      if (err instanceof DecodeError) return { cc: CC.RequestLengthInvalid, data: EMPTY };
      if (err instanceof IpmiError) return { cc: err.cc, data: err.data ?? EMPTY };
      log?.error('command handler failed', {
        netFn: `0x${req.netFn.toString(16)}`,
        cmd: `0x${req.cmd.toString(16)}`,
        name: def.name,
        err: err instanceof Error ? err.stack ?? err.message : String(err),
      });
      return { cc: CC.Unspecified, data: EMPTY };
    }
  }
}
