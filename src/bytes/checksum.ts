// IPMI's 8-bit two's-complement checksum (IPMI v2.0 section 13.8 and the FRU
// and SDR formats): the bytes plus the checksum sum to zero modulo 256.

export function checksum8(bytes: Uint8Array | readonly number[], start = 0, end = bytes.length): number {
  let sum = 0;
  for (let i = start; i < end; i++) sum = (sum + bytes[i]!) & 0xff;
  return (0x100 - sum) & 0xff;
}

export function checksum8Valid(bytes: Uint8Array, start = 0, end = bytes.length): boolean {
  let sum = 0;
  for (let i = start; i < end; i++) sum = (sum + bytes[i]!) & 0xff;
  return sum === 0;
}
