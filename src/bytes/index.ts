// The byte layer: Reader, Writer and checksums. Knows no protocol.
export { Reader, DecodeError } from './reader.js';
export { Writer } from './writer.js';
export { checksum8, checksum8Valid } from './checksum.js';
