// A minimal DER builder for the BMC's HTTPS certificate: the self-signed
// X.509 v3 certificate made at first start (RFC 5280, ECDSA P-256 with
// SHA-256) and the PKCS#10 certification request of
// CertificateService.GenerateCSR (RFC 2986, attributes from RFC 2985),
// signed with Node's crypto. Node parses and verifies certificates but
// builds neither.
import { createPrivateKey, createPublicKey, generateKeyPair, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { isIP } from 'node:net';
import { promisify } from 'node:util';

function len(n: number): Buffer {
  if (n < 0x80) return Buffer.of(n);
  const bytes: number[] = [];
  for (let v = n; v > 0; v >>= 8) bytes.unshift(v & 0xff);
  return Buffer.of(0x80 | bytes.length, ...bytes);
}

function tlv(tag: number, ...content: Buffer[]): Buffer {
  const body = Buffer.concat(content);
  return Buffer.concat([Buffer.of(tag), len(body.length), body]);
}

const seq = (...c: Buffer[]): Buffer => tlv(0x30, ...c);
const set = (...c: Buffer[]): Buffer => tlv(0x31, ...c);
/** A DER SET OF: its elements in ascending order of their encodings (X.690 11.6). */
const setOf = (tag: number, items: readonly Buffer[]): Buffer => tlv(tag, ...[...items].sort(Buffer.compare));

function oid(dotted: string): Buffer {
  const parts = dotted.split('.').map(Number);
  const out: number[] = [parts[0]! * 40 + parts[1]!];
  for (const p of parts.slice(2)) {
    const chunk: number[] = [p & 0x7f];
    for (let v = p >>> 7; v > 0; v >>>= 7) chunk.unshift((v & 0x7f) | 0x80);
    out.push(...chunk);
  }
  return tlv(0x06, Buffer.from(out));
}

function integer(b: Buffer): Buffer {
  let v = b;
  while (v.length > 1 && v[0] === 0 && (v[1]! & 0x80) === 0) v = v.subarray(1);
  if (v[0]! & 0x80) v = Buffer.concat([Buffer.of(0), v]);
  return tlv(0x02, v);
}

function time(d: Date): Buffer {
  const iso = d.toISOString().replace(/[-:T]/g, '').slice(0, 14);
  // UTCTime through 2049, GeneralizedTime after (RFC 5280 4.1.2.5)
  return d.getUTCFullYear() < 2050 ? tlv(0x17, Buffer.from(`${iso.slice(2)}Z`)) : tlv(0x18, Buffer.from(`${iso}Z`));
}

const UTF8_STRING = 0x0c;
const PRINTABLE_STRING = 0x13;
const IA5_STRING = 0x16;

/** A Name of one attribute per RDN, in the order given (RFC 5280 4.1.2.4). */
function distinguishedName(rdns: readonly (readonly [string, number, string])[]): Buffer {
  return seq(...rdns.map(([type, tag, value]) => set(seq(oid(type), tlv(tag, Buffer.from(value, tag === UTF8_STRING ? 'utf8' : 'latin1'))))));
}

function name(cn: string, o: string): Buffer {
  return distinguishedName([
    ['2.5.4.3', UTF8_STRING, cn],
    ['2.5.4.10', UTF8_STRING, o],
  ]);
}

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return seq(oid(id), ...(critical ? [tlv(0x01, Buffer.of(0xff))] : []), tlv(0x04, value));
}

/** The 4 or 16 bytes of an address (RFC 4291 2.2 text forms, a dotted IPv4 tail included). */
function ipBytes(address: string): Buffer {
  if (isIP(address) === 4) return Buffer.from(address.split('.').map(Number));
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(address);
  const ip = dotted ? `${address.slice(0, dotted.index)}${((Number(dotted[1]) << 8) | Number(dotted[2])).toString(16)}:${((Number(dotted[3]) << 8) | Number(dotted[4])).toString(16)}` : address;
  const [head = '', tail = ''] = ip.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = ip.includes('::') ? [...h, ...Array(8 - h.length - t.length).fill('0'), ...t] : h;
  return Buffer.concat(groups.map((g) => Buffer.from(g.padStart(4, '0'), 'hex')));
}

export interface SelfSigned {
  certPem: string;
  keyPem: string;
}

/** A self-signed server certificate for the given host names and addresses, for a new EC P-256 key (or the one given). */
export function selfSignedCertificate(opts: { commonName: string; organization: string; hosts: readonly string[]; days: number; now?: Date; key?: KeyObject }): SelfSigned {
  const { privateKey, publicKey } = opts.key ? { privateKey: opts.key, publicKey: createPublicKey(opts.key) } : generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const now = opts.now ?? new Date();
  const alg = signatureAlgorithm(privateKey);
  const subject = name(opts.commonName, opts.organization);
  const sans = opts.hosts.map((h) => (isIP(h) ? tlv(0x87, ipBytes(h)) : tlv(0x82, Buffer.from(h, 'ascii'))));
  const extensions = seq(
    extension('2.5.29.19', true, seq()),
    // digitalSignature, and keyAgreement (EC) or keyEncipherment (RSA)
    extension('2.5.29.15', true, keyUsageBitString(privateKey.asymmetricKeyType === 'rsa' ? ['DigitalSignature', 'KeyEncipherment'] : ['DigitalSignature', 'KeyAgreement'])),
    extension('2.5.29.37', false, seq(oid('1.3.6.1.5.5.7.3.1'))),
    extension('2.5.29.17', false, seq(...sans)),
  );
  const serial = randomBytes(16);
  // positive, and never a leading zero byte that encoders would drop
  serial[0] = (serial[0]! & 0x3f) | 0x40;
  const tbs = seq(
    tlv(0xa0, integer(Buffer.of(2))),
    integer(serial),
    alg.id,
    subject,
    seq(time(new Date(now.getTime() - 60_000)), time(new Date(now.getTime() + opts.days * 86_400_000))),
    subject,
    publicKey.export({ type: 'spki', format: 'der' }),
    tlv(0xa3, extensions),
  );
  const cert = seq(tbs, alg.id, tlv(0x03, Buffer.of(0), sign(alg.hash, tbs, privateKey)));
  return {
    certPem: pem('CERTIFICATE', cert),
    keyPem: (privateKey as KeyObject).export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
}

// ---- PKCS#10 certification request (RFC 2986) --------------------------------------

/** The subject of a request; each field becomes one RDN, in this order (as openssl and most CAs write them). */
export interface CsrSubject {
  readonly country?: string;
  readonly state?: string;
  readonly city?: string;
  readonly organization?: string;
  readonly organizationalUnit?: string;
  readonly commonName: string;
  readonly givenName?: string;
  readonly surname?: string;
  readonly initials?: string;
  readonly contactPerson?: string;
  readonly email?: string;
}

/**
 * Attribute types of the subject (RFC 5280 appendix A, RFC 2985 5.2.1) and
 * their string types: countryName is a PrintableString, emailAddress an
 * IA5String, the others DirectoryString as UTF8String (RFC 5280 4.1.2.6).
 */
const SUBJECT_FIELDS: readonly (readonly [keyof CsrSubject, string, number])[] = [
  ['country', '2.5.4.6', PRINTABLE_STRING],
  ['state', '2.5.4.8', UTF8_STRING],
  ['city', '2.5.4.7', UTF8_STRING],
  ['organization', '2.5.4.10', UTF8_STRING],
  ['organizationalUnit', '2.5.4.11', UTF8_STRING],
  ['commonName', '2.5.4.3', UTF8_STRING],
  ['givenName', '2.5.4.42', UTF8_STRING],
  ['surname', '2.5.4.4', UTF8_STRING],
  ['initials', '2.5.4.43', UTF8_STRING],
  ['contactPerson', '2.5.4.41', UTF8_STRING],
  ['email', '1.2.840.113549.1.9.1', IA5_STRING],
];

/** keyUsage bit numbers (RFC 5280 4.2.1.3), by their Redfish KeyUsage names. */
export const KEY_USAGE_BITS = ['DigitalSignature', 'NonRepudiation', 'KeyEncipherment', 'DataEncipherment', 'KeyAgreement', 'KeyCertSign', 'CRLSigning', 'EncipherOnly', 'DecipherOnly'] as const;
export type KeyUsageBit = (typeof KEY_USAGE_BITS)[number];

/** extKeyUsage purposes (RFC 5280 4.2.1.12), by their Redfish KeyUsage names. */
export const EXTENDED_KEY_USAGES = {
  ServerAuthentication: '1.3.6.1.5.5.7.3.1',
  ClientAuthentication: '1.3.6.1.5.5.7.3.2',
  CodeSigning: '1.3.6.1.5.5.7.3.3',
  EmailProtection: '1.3.6.1.5.5.7.3.4',
  Timestamping: '1.3.6.1.5.5.7.3.8',
  OCSPSigning: '1.3.6.1.5.5.7.3.9',
} as const;
export type ExtendedKeyUsage = keyof typeof EXTENDED_KEY_USAGES;

/** The keyUsage BIT STRING: named bits, trailing zero bits dropped (X.690 11.2.2). */
function keyUsageBitString(bits: readonly KeyUsageBit[]): Buffer {
  const numbers = bits.map((b) => KEY_USAGE_BITS.indexOf(b));
  const highest = Math.max(...numbers);
  const bytes = Buffer.alloc((highest >> 3) + 1);
  for (const n of numbers) bytes[n >> 3] = bytes[n >> 3]! | (0x80 >> (n & 7));
  return tlv(0x03, Buffer.of(7 - (highest & 7)), bytes);
}

/** The key pairs a request can be made for, and how each signs. */
export type CsrKeyAlgorithm = { readonly type: 'ec'; readonly curve: 'P-256' | 'P-384' } | { readonly type: 'rsa'; readonly bits: 2048 | 3072 | 4096 };

const NAMED_CURVES = { 'P-256': 'prime256v1', 'P-384': 'secp384r1' } as const;

/** The signature algorithm for a key (RFC 5758 3.2 for ECDSA, RFC 4055 5 for RSA, whose parameters are NULL). */
function signatureAlgorithm(key: KeyObject): { id: Buffer; hash: 'sha256' | 'sha384' } {
  if (key.asymmetricKeyType === 'rsa') return { id: seq(oid('1.2.840.113549.1.1.11'), Buffer.of(0x05, 0x00)), hash: 'sha256' };
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') return { id: seq(oid('1.2.840.10045.4.3.2')), hash: 'sha256' };
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'secp384r1') return { id: seq(oid('1.2.840.10045.4.3.3')), hash: 'sha384' };
  throw new Error(`no signature algorithm for a ${key.asymmetricKeyType ?? 'unknown'} key`);
}

/** Generates a key pair off the event loop (an RSA 4096 key takes a second or more). */
export async function generateCsrKey(alg: CsrKeyAlgorithm): Promise<KeyObject> {
  const generate = promisify(generateKeyPair);
  const pair = alg.type === 'ec' ? await generate('ec', { namedCurve: NAMED_CURVES[alg.curve] }) : await generate('rsa', { modulusLength: alg.bits, publicExponent: 0x10001 });
  return pair.privateKey;
}

export interface CsrRequest {
  readonly subject: CsrSubject;
  /** subjectAltName entries: IP addresses as iPAddress, anything else as dNSName. */
  readonly altNames: readonly string[];
  readonly keyUsage: readonly KeyUsageBit[];
  readonly extendedKeyUsage: readonly ExtendedKeyUsage[];
  /** RFC 2985 5.4.1 challengePassword attribute. */
  readonly challengePassword?: string;
  /** RFC 2985 5.4.2 unstructuredName attribute. */
  readonly unstructuredName?: string;
}

/** The DER of an iPAddress or dNSName GeneralName (RFC 5280 4.2.1.6). */
function generalName(host: string): Buffer {
  return isIP(host) ? tlv(0x87, ipBytes(host)) : tlv(0x82, Buffer.from(host, 'ascii'));
}

/**
 * A CertificationRequest (RFC 2986 4) for `key`, signed with it:
 *
 *   CertificationRequest ::= SEQUENCE { certificationRequestInfo, signatureAlgorithm, signature BIT STRING }
 *   CertificationRequestInfo ::= SEQUENCE { version INTEGER (0), subject Name,
 *       subjectPKInfo SubjectPublicKeyInfo, attributes [0] IMPLICIT SET OF Attribute }
 *
 * The requested extensions (subjectAltName, keyUsage, extKeyUsage) go in an
 * extensionRequest attribute (RFC 2985 5.4.2). Returns the DER.
 */
export function certificationRequest(key: KeyObject, req: CsrRequest): Buffer {
  const subject = distinguishedName(
    SUBJECT_FIELDS.flatMap(([field, type, tag]) => {
      const value = req.subject[field];
      return value === undefined ? [] : [[type, tag, value] as const];
    }),
  );
  const extensions: Buffer[] = [];
  if (req.altNames.length > 0) extensions.push(extension('2.5.29.17', false, seq(...req.altNames.map(generalName))));
  if (req.keyUsage.length > 0) extensions.push(extension('2.5.29.15', true, keyUsageBitString(req.keyUsage)));
  if (req.extendedKeyUsage.length > 0) extensions.push(extension('2.5.29.37', false, seq(...req.extendedKeyUsage.map((u) => oid(EXTENDED_KEY_USAGES[u])))));
  const attribute = (type: string, value: Buffer): Buffer => seq(oid(type), set(value));
  const attributes: Buffer[] = [];
  if (req.challengePassword !== undefined) attributes.push(attribute('1.2.840.113549.1.9.7', tlv(UTF8_STRING, Buffer.from(req.challengePassword, 'utf8'))));
  if (req.unstructuredName !== undefined) attributes.push(attribute('1.2.840.113549.1.9.2', tlv(UTF8_STRING, Buffer.from(req.unstructuredName, 'utf8'))));
  if (extensions.length > 0) attributes.push(attribute('1.2.840.113549.1.9.14', seq(...extensions)));
  const info = seq(integer(Buffer.of(0)), subject, createPublicKey(key).export({ type: 'spki', format: 'der' }), setOf(0xa0, attributes));
  const alg = signatureAlgorithm(key);
  return seq(info, alg.id, tlv(0x03, Buffer.of(0), sign(alg.hash, info, key)));
}

/** DER as PEM with 64-character lines (RFC 7468). */
export function pem(label: string, der: Buffer): string {
  const b64 = der.toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '');
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}

/** Parses a PEM private key, or throws. */
export function parsePrivateKey(pem: string): KeyObject {
  return createPrivateKey(pem);
}
