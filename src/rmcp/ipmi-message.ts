// IPMI messages on LAN (IPMI v2.0 section 13.8, table 13-16/13-17): the
// IPMB-like framing inside an IPMI payload, with its two checksums.
//   request:  [rsAddr][netFn<<2 | rsLUN][chk1][rqAddr][rqSeq<<2 | rqLUN][cmd][data...][chk2]
//   response: [rqAddr][netFn<<2 | rqLUN][chk1][rsAddr][rqSeq<<2 | rsLUN][cmd][cc][data...][chk2]
import { checksum8, checksum8Valid, DecodeError } from '../bytes/index.js';

export interface LanRequest {
  readonly rsAddr: number;
  readonly netFn: number;
  readonly rsLun: number;
  readonly rqAddr: number;
  readonly rqSeq: number;
  readonly rqLun: number;
  readonly cmd: number;
  readonly data: Uint8Array;
}

/** Decodes a request; throws DecodeError when short or a checksum is wrong. */
export function decodeLanRequest(msg: Uint8Array): LanRequest {
  if (msg.length < 7) throw new DecodeError('short', msg.length);
  if (!checksum8Valid(msg, 0, 3)) throw new DecodeError('invalid', 2, 'header checksum');
  if (!checksum8Valid(msg, 3, msg.length)) throw new DecodeError('invalid', msg.length - 1, 'data checksum');
  return {
    rsAddr: msg[0]!,
    netFn: msg[1]! >> 2,
    rsLun: msg[1]! & 3,
    rqAddr: msg[3]!,
    rqSeq: msg[4]! >> 2,
    rqLun: msg[4]! & 3,
    cmd: msg[5]!,
    data: msg.subarray(6, msg.length - 1),
  };
}

/** Frames the response to `req` with completion code and data. */
export function encodeLanResponse(req: LanRequest, cc: number, data: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(8 + data.length);
  out[0] = req.rqAddr;
  out[1] = (((req.netFn | 1) & 0x3f) << 2) | req.rqLun;
  out[2] = checksum8(out, 0, 2);
  out[3] = req.rsAddr;
  out[4] = ((req.rqSeq & 0x3f) << 2) | req.rsLun;
  out[5] = req.cmd;
  out[6] = cc;
  out.set(data, 7);
  out[7 + data.length] = checksum8(out, 3, 7 + data.length);
  return out;
}

/** Frames a request (used by tests and by a future console/bridging client). */
export function encodeLanRequest(r: Omit<LanRequest, 'data'> & { data: Uint8Array }): Buffer {
  const out = Buffer.allocUnsafe(7 + r.data.length);
  out[0] = r.rsAddr;
  out[1] = ((r.netFn & 0x3f) << 2) | (r.rsLun & 3);
  out[2] = checksum8(out, 0, 2);
  out[3] = r.rqAddr;
  out[4] = ((r.rqSeq & 0x3f) << 2) | (r.rqLun & 3);
  out[5] = r.cmd;
  out.set(r.data, 6);
  out[6 + r.data.length] = checksum8(out, 3, 6 + r.data.length);
  return out;
}
