// IPv4 and MAC address fields of the LAN configuration parameters (IPMI v2.0
// table 23-4: four bytes, most significant first; six bytes in wire order),
// converted to and from the model's dotted and colon-separated strings.

export function ipv4ToBytes(ip: string): Uint8Array {
  const parts = ip.split('.').map((p) => Number(p));
  if (parts.length !== 4 || parts.some((n) => !Number.isInteger(n) || n < 0 || n > 255)) return new Uint8Array(4);
  return Uint8Array.from(parts);
}

export function bytesToIpv4(b: Uint8Array): string {
  return [...b.subarray(0, 4)].join('.');
}

export function macToBytes(mac: string): Uint8Array {
  const parts = mac.split(':').map((p) => Number.parseInt(p, 16));
  if (parts.length !== 6 || parts.some((n) => !Number.isInteger(n) || n < 0 || n > 255)) return new Uint8Array(6);
  return Uint8Array.from(parts);
}

export function bytesToMac(b: Uint8Array): string {
  return [...b.subarray(0, 6)].map((n) => n.toString(16).padStart(2, '0')).join(':');
}

/** A subnet mask is ones then zeros. */
export function isContiguousMask(b: Uint8Array): boolean {
  const v = ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
  const inverted = ~v >>> 0;
  return (inverted & (inverted + 1)) === 0;
}

/** A host address: not multicast (224/4) and not the limited broadcast. */
export function isUnicastIpv4(b: Uint8Array): boolean {
  if (b[0]! >= 224 && b[0]! <= 239) return false;
  return !b.subarray(0, 4).every((n) => n === 255);
}

/** A unicast MAC: the group bit of the first byte is clear. */
export function isUnicastMac(b: Uint8Array): boolean {
  return (b[0]! & 0x01) === 0;
}
