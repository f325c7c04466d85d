// Platform Event Traps (IPMI Platform Event Trap Format v1.0): the SNMPv1
// Trap-PDU (RFC 1157) a BMC sends to a LAN alert destination, with its one
// variable binding holding the PET data. Encoding only, with a small BER
// builder of its own: definite lengths, minimal integers, no other types than
// the trap needs.

/** The PET enterprise (iso.org.dod.internet.private.enterprises.wired-for-management.pet.version 1). */
export const PET_ENTERPRISE = [1, 3, 6, 1, 4, 1, 3183, 1, 1] as const;
/** The OID of the PET data variable binding. */
export const PET_VARBIND_OID = [...PET_ENTERPRISE, 1] as const;
/** SNMPv1 generic trap "enterpriseSpecific". */
export const GENERIC_TRAP_ENTERPRISE_SPECIFIC = 6;
/** PET local timestamps count seconds from 1998-01-01 00:00 (UTC here, offset 0). */
export const PET_EPOCH_MS = Date.UTC(1998, 0, 1);
/** Trap source and event source type "IPMI" (PET table 5: 20h). */
export const PET_SOURCE_IPMI = 0x20;
/** Language code English (PET: 19h, as the IPMI FRU language codes). */
export const PET_LANGUAGE_ENGLISH = 0x19;
/** The OEM custom fields' terminator when there are none ("no more fields"). */
export const PET_OEM_END = 0xc1;

// ---- BER (X.690) ------------------------------------------------------------

function length(n: number): number[] {
  if (n < 0x80) return [n];
  const out: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) out.unshift(v & 0xff);
  return [0x80 | out.length, ...out];
}

/** One TLV: tag, definite length, contents. */
export function tlv(tag: number, contents: readonly number[] | Uint8Array): number[] {
  return [tag, ...length(contents.length), ...contents];
}

/** INTEGER (or an application type of the same encoding): two's complement, minimal. */
export function berInteger(value: number, tag = 0x02): number[] {
  const out: number[] = [];
  let v = value;
  for (;;) {
    out.unshift(v & 0xff);
    v = Math.floor(v / 256);
    if ((v === 0 && (out[0]! & 0x80) === 0) || (v === -1 && (out[0]! & 0x80) !== 0)) break;
  }
  return tlv(tag, out);
}

/** Unsigned 32-bit application types (TimeTicks 43h): minimal, with a leading 00h when the top bit is set. */
export function berUnsigned(value: number, tag: number): number[] {
  const out: number[] = [];
  let v = value >>> 0;
  do {
    out.unshift(v & 0xff);
    v = Math.floor(v / 256);
  } while (v > 0);
  if ((out[0]! & 0x80) !== 0) out.unshift(0);
  return tlv(tag, out);
}

/** OBJECT IDENTIFIER: first two arcs in one byte, then base-128 arcs. */
export function berOid(arcs: readonly number[]): number[] {
  const body = [40 * arcs[0]! + arcs[1]!];
  for (const arc of arcs.slice(2)) {
    const groups = [arc & 0x7f];
    for (let v = Math.floor(arc / 128); v > 0; v = Math.floor(v / 128)) groups.unshift(0x80 | (v & 0x7f));
    body.push(...groups);
  }
  return tlv(0x06, body);
}

export const berOctets = (b: readonly number[] | Uint8Array): number[] => tlv(0x04, b);
export const berSequence = (...items: number[][]): number[] => tlv(0x30, items.flat());

// ---- PET ----------------------------------------------------------------------

export interface PetEvent {
  /** Sensor type (specific trap bits 23:16). */
  sensorType: number;
  /** Event/reading type code, [6:0] of event dir/type (specific trap bits 15:8). */
  eventType: number;
  /** Deassertion: [7] of event dir/type (specific trap bit 7). */
  deassertion: boolean;
  /** Event data 1-3 of the event message; the offset is [3:0] of the first. */
  eventData: readonly [number, number, number];
  /** Generator id byte 1: slave address or software id. */
  sensorDevice: number;
  sensorNumber: number;
  entity: number;
  entityInstance: number;
  /** PET event severity (table 17-2 byte 4 codes: 00h unspecified, 01h monitor, ... 20h non-recoverable). */
  severity: number;
}

export interface PetSource {
  /** System GUID, 16 bytes as Get System GUID returns them. */
  guid: Uint8Array;
  manufacturerId: number;
  /** System ID: the product id. */
  systemId: number;
}

/**
 * The specific trap number (PET table 3): [23:16] sensor type, [15:8] event
 * type, [7] 1 = deassertion, [3:0] event offset.
 */
export function petSpecificTrap(e: Pick<PetEvent, 'sensorType' | 'eventType' | 'deassertion' | 'eventData'>): number {
  return ((e.sensorType & 0xff) << 16) | ((e.eventType & 0x7f) << 8) | (e.deassertion ? 0x80 : 0) | (e.eventData[0] & 0x0f);
}

/*
 * PET data (PET table 4), multi-byte fields MS byte first:
 *   0:15  system GUID
 *   16:17 sequence number / cookie
 *   18:21 local timestamp, seconds since 1998-01-01 00:00 (0 = unspecified)
 *   22:23 UTC offset, minutes, signed (FFFFh unspecified)
 *   24    trap source type (20h IPMI)   25 event source type (20h IPMI)
 *   26    event severity   27 sensor device   28 sensor number
 *   29    entity           30 entity instance
 *   31:38 event data 1-8 (4-8 unused: 00h)
 *   39    language code    40:43 manufacturer id   44:45 system id
 *   46-   OEM custom fields, C1h when there are none
 */
export function petData(src: PetSource, e: PetEvent, sequence: number, timestampS: number): Uint8Array {
  const out = new Uint8Array(47);
  const v = new DataView(out.buffer);
  out.set(src.guid.subarray(0, 16), 0);
  v.setUint16(16, sequence & 0xffff);
  v.setUint32(18, timestampS >>> 0);
  v.setUint16(22, 0);
  out[24] = PET_SOURCE_IPMI;
  out[25] = PET_SOURCE_IPMI;
  out[26] = e.severity & 0xff;
  out[27] = e.sensorDevice & 0xff;
  out[28] = e.sensorNumber & 0xff;
  out[29] = e.entity & 0xff;
  out[30] = e.entityInstance & 0xff;
  out.set(e.eventData, 31);
  out[39] = PET_LANGUAGE_ENGLISH;
  v.setUint32(40, src.manufacturerId >>> 0);
  v.setUint16(44, src.systemId & 0xffff);
  out[46] = PET_OEM_END;
  return out;
}

/** PET local timestamp of a wall-clock time (ms since 1970). */
export function petTimestamp(nowMs: number): number {
  return Math.max(0, Math.floor((nowMs - PET_EPOCH_MS) / 1000));
}

/*
 * SNMPv1 Message with a Trap-PDU (RFC 1157 4.1.6):
 *   SEQUENCE { version INTEGER 0, community OCTET STRING,
 *     [4] IMPLICIT SEQUENCE { enterprise OID, agent-addr IpAddress ([APPLICATION 0], 4 bytes),
 *       generic-trap INTEGER, specific-trap INTEGER, time-stamp TimeTicks ([APPLICATION 3]),
 *       variable-bindings SEQUENCE OF SEQUENCE { name OID, value } } }
 */
export function encodeTrap(t: {
  community: string;
  agentAddress: Uint8Array;
  specificTrap: number;
  /** Hundredths of a second since the agent started. */
  uptimeTicks: number;
  data: Uint8Array;
}): Uint8Array {
  const pdu = tlv(0xa4, [
    ...berOid(PET_ENTERPRISE),
    ...tlv(0x40, t.agentAddress.subarray(0, 4)),
    ...berInteger(GENERIC_TRAP_ENTERPRISE_SPECIFIC),
    ...berInteger(t.specificTrap),
    ...berUnsigned(t.uptimeTicks, 0x43),
    ...berSequence(berSequence(berOid(PET_VARBIND_OID), berOctets(t.data))),
  ]);
  return Uint8Array.from(berSequence(berInteger(0), berOctets(Buffer.from(t.community, 'latin1')), pdu));
}
