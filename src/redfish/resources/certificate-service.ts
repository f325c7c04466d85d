// CertificateService (CertificateService v1_2_1) and the HTTPS certificate
// (Certificate v1_11_0) under ManagerNetworkProtocol.
//
// GenerateCSR makes a new key pair (EC P-256/P-384 or RSA 2048/3072/4096)
// and answers a PKCS#10 request (RFC 2986) for it; the private key is kept
// (sealed, across restarts) as the pending key and never leaves the BMC. A
// later GenerateCSR replaces it.
//
// ReplaceCertificate takes a PEM certificate (or chain), with or without a
// private key in the same CertificateString (as bmcweb accepts). Without a
// key, the certificate must be for the pending key (the CA's answer to the
// request) or for the current key (a renewal). The new pair is stored
// (tls.ts) and the live TLS context swapped: the next handshake presents
// it, no restart.
import { createHash, createPublicKey, createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { isIP } from 'node:net';
import { readBody } from '../body.js';
import { MANAGER_ID, requireManager, ROOT } from '../ids.js';
import { Base, Errors, RedfishError } from '../messages.js';
import type { JsonObject, RequestContext, RouteDef } from '../router.js';
import { collection, collectionType, odataType } from '../schemas.js';
import {
  certificationRequest,
  EXTENDED_KEY_USAGES,
  generateCsrKey,
  KEY_USAGE_BITS,
  pem,
  type CsrKeyAlgorithm,
  type CsrSubject,
  type ExtendedKeyUsage,
  type KeyUsageBit,
} from '../x509.js';

/** What the composition root gives the CertificateService: the HTTPS pair, a way to replace it live, and the pending request's key. */
export interface HttpsCertificates {
  current(): { cert: string; key: string } | undefined;
  /** Stores the pair durably and swaps the server's TLS context; forgets the pending key if this is its certificate. */
  replace(cert: string, key: string): void;
  /** The private key (PKCS#8 PEM) of the last GenerateCSR, until a certificate for it is installed. */
  pendingKey(): string | undefined;
  /** Keeps a new request's key durably (and sealed), replacing any earlier one. */
  setPendingKey(key: string): void;
}

const SERVICE = `${ROOT}/CertificateService`;
const REPLACE = `${SERVICE}/Actions/CertificateService.ReplaceCertificate`;
const REPLACE_INFO = `${SERVICE}/ReplaceCertificateActionInfo`;
const GENERATE_CSR = `${SERVICE}/Actions/CertificateService.GenerateCSR`;
const GENERATE_CSR_INFO = `${SERVICE}/GenerateCSRActionInfo`;
const LOCATIONS = `${SERVICE}/CertificateLocations`;
export const HTTPS_CERTIFICATES = `${ROOT}/Managers/${MANAGER_ID}/NetworkProtocol/HTTPS/Certificates`;
export const HTTPS_CERTIFICATE = `${HTTPS_CERTIFICATES}/1`;
const ACTION = 'ReplaceCertificate';
const CSR_ACTION = 'GenerateCSR';

function certificatesOf(ctx: RequestContext): HttpsCertificates | undefined {
  const t = ctx.services.tls as Partial<HttpsCertificates> | undefined;
  return t && typeof t.current === 'function' && typeof t.replace === 'function' && typeof t.pendingKey === 'function' && typeof t.setPendingKey === 'function'
    ? (t as HttpsCertificates)
    : undefined;
}

// ---- PEM and X.509 -----------------------------------------------------------------

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n([A-Za-z0-9+/=\r\n]+?)-----END \1-----/g;

export interface PemParts {
  readonly certificates: string[];
  readonly key: string | undefined;
  readonly encryptedKey: boolean;
}

/** Splits a PEM text into its certificate blocks and at most one private key. Undefined when it is not PEM. */
export function splitPem(text: string): PemParts | undefined {
  const certificates: string[] = [];
  let key: string | undefined;
  let encryptedKey = false;
  let blocks = 0;
  for (const m of text.matchAll(PEM_BLOCK)) {
    blocks++;
    const label = m[1]!;
    const block = `-----BEGIN ${label}-----\n${m[2]!.replace(/\r/g, '').trim()}\n-----END ${label}-----\n`;
    if (label === 'CERTIFICATE') certificates.push(block);
    else if (label === 'PRIVATE KEY' || label === 'RSA PRIVATE KEY' || label === 'EC PRIVATE KEY') {
      if (key !== undefined) return undefined;
      key = block;
    } else if (label === 'ENCRYPTED PRIVATE KEY') encryptedKey = true;
    else return undefined;
  }
  if (blocks === 0) return undefined;
  return { certificates, key, encryptedKey };
}

/** The keyUsage extension's bits (RFC 5280 4.2.1.3), read from the DER; Node does not expose them. */
export function keyUsageBits(der: Buffer): string[] {
  const oid = Buffer.of(0x06, 0x03, 0x55, 0x1d, 0x0f);
  let i = der.indexOf(oid);
  if (i < 0) return [];
  i += oid.length;
  if (der[i] === 0x01) i += 2 + (der[i + 1] ?? 0);
  if (der[i] !== 0x04) return [];
  i += 2;
  if (der[i] !== 0x03) return [];
  const len = der[i + 1] ?? 0;
  const bits = der.subarray(i + 3, i + 2 + len);
  const out: string[] = [];
  KEY_USAGE_BITS.forEach((name, n) => {
    const byte = bits[n >> 3];
    if (byte !== undefined && byte & (0x80 >> (n & 7))) out.push(name);
  });
  return out;
}

const EKU: Readonly<Record<string, string>> = Object.fromEntries(Object.entries(EXTENDED_KEY_USAGES).map(([name, id]) => [id, name]));

const NAME_FIELDS: Readonly<Record<string, string>> = {
  CN: 'CommonName',
  O: 'Organization',
  OU: 'OrganizationalUnit',
  L: 'City',
  ST: 'State',
  C: 'Country',
  emailAddress: 'Email',
};

/** An X.509 distinguished name ("CN=x\nO=y") as a Redfish Identifier. */
export function identifier(dn: string): JsonObject {
  const out: JsonObject = {};
  for (const line of dn.split('\n')) {
    const eq = line.indexOf('=');
    if (eq < 0) continue;
    const field = NAME_FIELDS[line.slice(0, eq)];
    if (field && out[field] === undefined) out[field] = line.slice(eq + 1);
  }
  out.DisplayString = dn.split('\n').join(', ');
  return out;
}

function isoDate(text: string): string {
  return new Date(text).toISOString().replace(/\.\d{3}Z$/, '+00:00');
}

export function certificateBody(pem: string): JsonObject {
  const parts = splitPem(pem);
  const leaf = new X509Certificate(parts?.certificates[0] ?? pem);
  const eku = (leaf.keyUsage ?? []).map((o) => EKU[o]).filter((x): x is string => x !== undefined);
  return {
    '@odata.id': HTTPS_CERTIFICATE,
    '@odata.type': odataType('Certificate'),
    Id: '1',
    Name: 'HTTPS Certificate',
    Description: 'The certificate the Redfish HTTPS server presents',
    CertificateString: (parts?.certificates ?? [pem]).join(''),
    CertificateType: (parts?.certificates.length ?? 1) > 1 ? 'PEMchain' : 'PEM',
    CertificateUsageTypes: ['Web'],
    Issuer: identifier(leaf.issuer),
    Subject: identifier(leaf.subject),
    ValidNotBefore: isoDate(leaf.validFrom),
    ValidNotAfter: isoDate(leaf.validTo),
    KeyUsage: [...keyUsageBits(leaf.raw), ...eku],
    SerialNumber: (leaf.serialNumber.length % 2 ? `0${leaf.serialNumber}` : leaf.serialNumber).match(/../g)!.join(':').toUpperCase(),
    Fingerprint: leaf.fingerprint256,
    FingerprintHashAlgorithm: 'TPM_ALG_SHA256',
  };
}

/**
 * Validates a ReplaceCertificate CertificateString: PEM certificate(s),
 * currently valid, and a private key that matches: the one given, or else
 * the pending request's key, or else the current one.
 */
export function validateReplacement(text: string, keys: { current?: string | undefined; pending?: string | undefined }, now = Date.now()): { cert: string; key: string } {
  const bad = (): RedfishError => new RedfishError(400, [Base.message('ActionParameterValueError', ['CertificateString', ACTION])]);
  const parts = splitPem(text);
  const leafPem = parts?.certificates[0];
  if (!parts || !leafPem) throw bad();
  if (parts.encryptedKey) throw bad();
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(leafPem);
    for (const c of parts.certificates.slice(1)) new X509Certificate(c);
  } catch {
    throw bad();
  }
  if (Date.parse(leaf.validTo) < now) throw bad();
  let key: KeyObject | undefined;
  if (parts.key !== undefined) {
    try {
      key = createPrivateKey(parts.key);
    } catch {
      throw bad();
    }
    if (!leaf.checkPrivateKey(key)) throw bad();
  } else {
    for (const pemKey of [keys.pending, keys.current]) {
      if (pemKey === undefined) continue;
      const k = createPrivateKey(pemKey);
      if (leaf.checkPrivateKey(k)) {
        key = k;
        break;
      }
    }
    if (!key) {
      const cn = identifier(leaf.subject).CommonName;
      const what = `certificate${typeof cn === 'string' ? ` for ${cn}` : ''} without its private key, whose public key is neither the pending signing request's nor the current certificate's`;
      throw new RedfishError(400, [Base.message('ActionParameterValueConflict', ['CertificateString', what], ['#/CertificateString'])]);
    }
  }
  return { cert: parts.certificates.join(''), key: key.export({ type: 'pkcs8', format: 'pem' }).toString() };
}

function replaceCertificate(ctx: RequestContext): { status: number; body: unknown; headers: Record<string, string> } {
  const raw = ctx.body;
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw Errors.malformedJson();
  const { CertificateUri, ...rest } = raw as Record<string, unknown>;
  const b = readBody<{ CertificateString: string; CertificateType: string }>(
    rest,
    { CertificateString: { type: 'string', maxLength: 64 * 1024 }, CertificateType: { type: 'string', enum: ['PEM', 'PEMchain'] } },
    { required: ['CertificateString', 'CertificateType'], action: ACTION, allowEmpty: true },
  );
  if (CertificateUri === undefined) throw Errors.actionParameterMissing(ACTION, 'CertificateUri');
  const uri = CertificateUri && typeof CertificateUri === 'object' && !Array.isArray(CertificateUri) ? (CertificateUri as Record<string, unknown>)['@odata.id'] : CertificateUri;
  if (typeof uri !== 'string') throw Errors.actionParameterValue('CertificateUri', ACTION);
  if (uri.replace(/\/+$/, '') !== HTTPS_CERTIFICATE) throw new RedfishError(400, [Base.message('ActionParameterNotSupported', ['CertificateUri', ACTION])]);
  const store = certificatesOf(ctx);
  if (!store) throw Errors.notFound('Certificate', uri);
  const next = validateReplacement(b.CertificateString, { current: store.current()?.key, pending: store.pendingKey() });
  store.replace(next.cert, next.key);
  const fp = new X509Certificate(next.cert).fingerprint256;
  ctx.services.log.info('HTTPS certificate replaced', { user: ctx.principal?.userName ?? '', sha256: fp });
  return { status: 200, headers: { Location: HTTPS_CERTIFICATE }, body: certificateBody(next.cert) };
}

// ---- GenerateCSR ----------------------------------------------------------------------

/** KeyPairAlgorithm values (TCG algorithm registry names) and the key each makes. */
const EC_ALGORITHMS = ['TPM_ALG_ECC', 'TPM_ALG_ECDSA', 'TPM_ALG_ECDH'] as const;
const KEY_PAIR_ALGORITHMS = [...EC_ALGORITHMS, 'TPM_ALG_RSA'] as const;
/** KeyCurveId values (TCG_ECC_CURVE names) and the curve and size of each. */
const CURVES: Readonly<Record<string, { curve: 'P-256' | 'P-384'; bits: number }>> = {
  TPM_ECC_NIST_P256: { curve: 'P-256', bits: 256 },
  TPM_ECC_NIST_P384: { curve: 'P-384', bits: 384 },
};
const RSA_BITS = [2048, 3072, 4096] as const;
/** Key usages a key of each kind cannot have (RFC 5480 3, RFC 3279 2.3.1). */
const IMPOSSIBLE_USAGES: Readonly<Record<CsrKeyAlgorithm['type'], readonly string[]>> = {
  ec: ['KeyEncipherment', 'DataEncipherment'],
  rsa: ['KeyAgreement', 'EncipherOnly', 'DecipherOnly'],
};
/** What a request asks for when KeyUsage is not given: a TLS server key. */
const DEFAULT_USAGES: Readonly<Record<CsrKeyAlgorithm['type'], readonly string[]>> = {
  ec: ['DigitalSignature', 'ServerAuthentication'],
  rsa: ['DigitalSignature', 'KeyEncipherment', 'ServerAuthentication'],
};

/** Subject parameters: the RDN each becomes and the upper bound of its length (RFC 5280 appendix A, RFC 2985). */
const SUBJECT_PARAMETERS: readonly (readonly [string, keyof CsrSubject, number])[] = [
  ['CommonName', 'commonName', 64],
  // checked as a two-letter code below, a clearer answer than a length error
  ['Country', 'country', 64],
  ['State', 'state', 128],
  ['City', 'city', 128],
  ['Organization', 'organization', 64],
  ['OrganizationalUnit', 'organizationalUnit', 64],
  ['GivenName', 'givenName', 64],
  ['Surname', 'surname', 64],
  ['Initials', 'initials', 64],
  ['ContactPerson', 'contactPerson', 64],
  ['Email', 'email', 255],
];

interface CsrParameters {
  CommonName: string;
  Country?: string;
  State?: string;
  City?: string;
  Organization?: string;
  OrganizationalUnit?: string;
  GivenName?: string;
  Surname?: string;
  Initials?: string;
  ContactPerson?: string;
  Email?: string;
  AlternativeNames?: string[];
  KeyPairAlgorithm?: string;
  KeyCurveId?: string;
  KeyBitLength?: number;
  KeyUsage?: string[];
  ChallengePassword?: string;
  UnstructuredName?: string;
}

const CSR_SPEC = {
  ...Object.fromEntries(SUBJECT_PARAMETERS.map(([param, , max]) => [param, { type: 'string', maxLength: max }])),
  AlternativeNames: { type: 'array', items: { type: 'string', maxLength: 253 }, maxItems: 32 },
  KeyPairAlgorithm: { type: 'string' },
  KeyCurveId: { type: 'string' },
  KeyBitLength: { type: 'integer' },
  KeyUsage: { type: 'array', items: { type: 'string' }, maxItems: 16 },
  ChallengePassword: { type: 'string', maxLength: 255 },
  UnstructuredName: { type: 'string', maxLength: 255 },
} as const;

const formatError = (value: string, param: string): RedfishError => new RedfishError(400, [Base.message('ActionParameterValueFormatError', [value, param, CSR_ACTION])]);
const conflict = (param: string, value: string): RedfishError => new RedfishError(400, [Base.message('ActionParameterValueConflict', [param, value])]);

/** A host name for subjectAltName: LDH labels (RFC 1123 2.1), a leading `*.` allowed, 253 characters at most. */
function isDnsName(s: string): boolean {
  const name = s.startsWith('*.') ? s.slice(2) : s;
  return s.length <= 253 && name.split('.').every((l) => /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/.test(l));
}

/** An IP address as iPAddress can carry it: no zone index. */
function isAddress(s: string): boolean {
  return isIP(s) !== 0 && !s.includes('%');
}

/** The key pair asked for: KeyPairAlgorithm with KeyCurveId or KeyBitLength; EC P-256 when none is named. */
function keyAlgorithm(p: CsrParameters): CsrKeyAlgorithm {
  const alg = p.KeyPairAlgorithm ?? 'TPM_ALG_ECC';
  if (!(KEY_PAIR_ALGORITHMS as readonly string[]).includes(alg)) throw Errors.actionParameterNotInList(alg, 'KeyPairAlgorithm', CSR_ACTION);
  if (alg === 'TPM_ALG_RSA') {
    if (p.KeyCurveId !== undefined) throw conflict('KeyCurveId', p.KeyCurveId);
    const bits = p.KeyBitLength ?? 2048;
    const ok = RSA_BITS.find((b) => b === bits);
    if (ok === undefined) throw Errors.actionParameterNotInList(bits, 'KeyBitLength', CSR_ACTION);
    return { type: 'rsa', bits: ok };
  }
  const curveId = p.KeyCurveId ?? 'TPM_ECC_NIST_P256';
  const curve = CURVES[curveId];
  if (!curve) throw Errors.actionParameterNotInList(curveId, 'KeyCurveId', CSR_ACTION);
  if (p.KeyBitLength !== undefined && p.KeyBitLength !== curve.bits) throw conflict('KeyBitLength', String(p.KeyBitLength));
  return { type: 'ec', curve: curve.curve };
}

/** Checks the action's parameters and turns them into the request to build. */
export function csrRequest(p: CsrParameters): { algorithm: CsrKeyAlgorithm; request: Parameters<typeof certificationRequest>[1] } {
  const algorithm = keyAlgorithm(p);
  const subject: Record<string, string> = {};
  for (const [param, field] of SUBJECT_PARAMETERS) {
    const v = p[param as keyof CsrParameters];
    if (typeof v !== 'string') continue;
    // DirectoryString is SIZE (1..MAX); control characters have no place in a name
    if (v.length === 0 || /[\u0000-\u001f\u007f]/.test(v)) throw formatError(v, param);
    subject[field] = v;
  }
  // countryName is a two-letter ISO 3166 code in a PrintableString; emailAddress an IA5String
  if (p.Country !== undefined && !/^[A-Z]{2}$/.test(p.Country)) throw formatError(p.Country, 'Country');
  if (p.Email !== undefined && !/^[\x21-\x3f\x41-\x7e]+@[\x21-\x3f\x41-\x7e]+$/.test(p.Email)) throw formatError(p.Email, 'Email');
  for (const [param, v] of [['ChallengePassword', p.ChallengePassword], ['UnstructuredName', p.UnstructuredName]] as const) {
    if (v !== undefined && (v.length === 0 || /[\u0000-\u001f\u007f]/.test(v))) throw formatError(param === 'ChallengePassword' ? '(hidden)' : v, param);
  }
  const altNames: string[] = [];
  for (const n of p.AlternativeNames ?? []) {
    if (!isAddress(n) && !isDnsName(n)) throw formatError(n, 'AlternativeNames');
    if (!altNames.includes(n)) altNames.push(n);
  }
  // browsers match only subjectAltName (RFC 6125 6.4.4): a host name or address in CommonName goes there too
  const cn = p.CommonName;
  if ((isAddress(cn) || isDnsName(cn)) && !altNames.includes(cn)) altNames.unshift(cn);
  const usages = p.KeyUsage ?? DEFAULT_USAGES[algorithm.type];
  const keyUsage: KeyUsageBit[] = [];
  const extendedKeyUsage: ExtendedKeyUsage[] = [];
  for (const u of usages) {
    if ((KEY_USAGE_BITS as readonly string[]).includes(u)) keyUsage.push(u as KeyUsageBit);
    else if (u in EXTENDED_KEY_USAGES) extendedKeyUsage.push(u as ExtendedKeyUsage);
    else throw Errors.actionParameterNotInList(u, 'KeyUsage', CSR_ACTION);
    if (IMPOSSIBLE_USAGES[algorithm.type].includes(u)) throw conflict('KeyUsage', u);
  }
  return {
    algorithm,
    request: {
      subject: subject as unknown as CsrSubject,
      altNames,
      keyUsage: [...new Set(keyUsage)],
      extendedKeyUsage: [...new Set(extendedKeyUsage)],
      ...(p.ChallengePassword !== undefined ? { challengePassword: p.ChallengePassword } : {}),
      ...(p.UnstructuredName !== undefined ? { unstructuredName: p.UnstructuredName } : {}),
    },
  };
}

/** The collection a parameter links to, from `{"@odata.id": ...}` (or a bare URI), without a trailing slash. */
function linkParameter(value: unknown, param: string, action: string): string {
  const uri = value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>)['@odata.id'] : value;
  if (typeof uri !== 'string') throw Errors.actionParameterValue(param, action);
  return uri.replace(/\/+$/, '');
}

async function generateCsr(ctx: RequestContext): Promise<{ status: number; body: unknown }> {
  const raw = ctx.body;
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw Errors.malformedJson();
  const { CertificateCollection, ...rest } = raw as Record<string, unknown>;
  const p = readBody<CsrParameters>(rest, CSR_SPEC, { required: ['CommonName'], action: CSR_ACTION, allowEmpty: true });
  if (CertificateCollection === undefined) throw Errors.actionParameterMissing(CSR_ACTION, 'CertificateCollection');
  const target = linkParameter(CertificateCollection, 'CertificateCollection', CSR_ACTION);
  if (target !== HTTPS_CERTIFICATES) throw Errors.actionParameterNotInList(target, 'CertificateCollection', CSR_ACTION);
  const store = certificatesOf(ctx);
  if (!store) throw Errors.notFound('CertificateCollection', target);
  const { algorithm, request } = csrRequest(p);
  const key = await generateCsrKey(algorithm);
  const der = certificationRequest(key, request);
  store.setPendingKey(key.export({ type: 'pkcs8', format: 'pem' }).toString());
  const spki = createHash('sha256').update(createPublicKey(key).export({ type: 'spki', format: 'der' })).digest('hex');
  ctx.services.log.info('certificate signing request generated', {
    user: ctx.principal?.userName ?? '',
    commonName: p.CommonName,
    key: algorithm.type === 'ec' ? `EC ${algorithm.curve}` : `RSA ${algorithm.bits}`,
    publicKeySha256: spki,
  });
  return { status: 200, body: { CSRString: pem('CERTIFICATE REQUEST', der), CertificateCollection: { '@odata.id': HTTPS_CERTIFICATES } } };
}

function generateCsrInfo(): JsonObject {
  const text = (Name: string, Required = false): JsonObject => ({ Name, Required, DataType: 'String' });
  return {
    '@odata.id': GENERATE_CSR_INFO,
    '@odata.type': odataType('ActionInfo'),
    Id: 'GenerateCSRActionInfo',
    Name: 'GenerateCSR Action Info',
    Parameters: [
      { Name: 'CertificateCollection', Required: true, DataType: 'Object', ObjectDataType: collectionType('Certificate'), AllowableValues: [HTTPS_CERTIFICATES] },
      text('CommonName', true),
      ...SUBJECT_PARAMETERS.filter(([n]) => n !== 'CommonName').map(([n]) => text(n)),
      { Name: 'AlternativeNames', Required: false, DataType: 'StringArray' },
      { Name: 'KeyPairAlgorithm', Required: false, DataType: 'String', AllowableValues: [...KEY_PAIR_ALGORITHMS] },
      { Name: 'KeyCurveId', Required: false, DataType: 'String', AllowableValues: Object.keys(CURVES) },
      { Name: 'KeyBitLength', Required: false, DataType: 'Number', AllowableNumbers: [...RSA_BITS.map(String), ...Object.values(CURVES).map((c) => String(c.bits))] },
      { Name: 'KeyUsage', Required: false, DataType: 'StringArray', AllowableValues: [...KEY_USAGE_BITS, ...Object.keys(EXTENDED_KEY_USAGES)] },
      text('ChallengePassword'),
      text('UnstructuredName'),
    ],
  };
}

function serviceBody(): JsonObject {
  return {
    '@odata.id': SERVICE,
    '@odata.type': odataType('CertificateService'),
    Id: 'CertificateService',
    Name: 'Certificate Service',
    Description: 'Makes signing requests for the certificate of the HTTPS server, and replaces it',
    Actions: {
      '#CertificateService.GenerateCSR': { target: GENERATE_CSR, '@Redfish.ActionInfo': GENERATE_CSR_INFO },
      '#CertificateService.ReplaceCertificate': { target: REPLACE, '@Redfish.ActionInfo': REPLACE_INFO },
    },
    CertificateLocations: { '@odata.id': LOCATIONS },
  };
}

function replaceInfo(): JsonObject {
  return {
    '@odata.id': REPLACE_INFO,
    '@odata.type': odataType('ActionInfo'),
    Id: 'ReplaceCertificateActionInfo',
    Name: 'ReplaceCertificate Action Info',
    Parameters: [
      { Name: 'CertificateString', Required: true, DataType: 'String' },
      { Name: 'CertificateType', Required: true, DataType: 'String', AllowableValues: ['PEM', 'PEMchain'] },
      { Name: 'CertificateUri', Required: true, DataType: 'Object', ObjectDataType: odataType('Certificate'), AllowableValues: [HTTPS_CERTIFICATE] },
    ],
  };
}

export function certificateServiceRoutes(): RouteDef[] {
  // one key generation at a time (an RSA 4096 key takes a second of a pool thread); requests are answered in order
  let generating: Promise<unknown> = Promise.resolve();
  const serialized = (ctx: RequestContext): Promise<{ status: number; body: unknown }> => {
    const run = generating.then(() => generateCsr(ctx));
    generating = run.catch(() => undefined);
    return run;
  };
  return [
    { path: SERVICE, entity: 'CertificateService', get: () => serviceBody() },
    { path: REPLACE, entity: 'CertificateService', post: replaceCertificate },
    { path: REPLACE_INFO, entity: 'CertificateService', get: () => replaceInfo() },
    { path: GENERATE_CSR, entity: 'CertificateService', post: serialized },
    { path: GENERATE_CSR_INFO, entity: 'CertificateService', get: () => generateCsrInfo() },
    {
      path: LOCATIONS,
      entity: 'CertificateLocations',
      get: (ctx) => ({
        '@odata.id': LOCATIONS,
        '@odata.type': odataType('CertificateLocations'),
        Id: 'CertificateLocations',
        Name: 'Certificate Locations',
        Links: { Certificates: certificatesOf(ctx)?.current() ? [{ '@odata.id': HTTPS_CERTIFICATE }] : [] },
      }),
    },
    {
      path: `${ROOT}/Managers/{ManagerId}/NetworkProtocol/HTTPS/Certificates`,
      entity: 'CertificateCollection',
      get: (ctx) => {
        requireManager(ctx.params.ManagerId);
        return collection('Certificate', HTTPS_CERTIFICATES, 'HTTPS Certificates', certificatesOf(ctx)?.current() ? [HTTPS_CERTIFICATE] : []);
      },
    },
    {
      path: `${ROOT}/Managers/{ManagerId}/NetworkProtocol/HTTPS/Certificates/{CertificateId}`,
      entity: 'Certificate',
      get: (ctx) => {
        requireManager(ctx.params.ManagerId);
        const current = certificatesOf(ctx)?.current();
        if (ctx.params.CertificateId !== '1' || !current) throw Errors.notFound('Certificate', ctx.params.CertificateId ?? '');
        return certificateBody(current.cert);
      },
    },
  ];
}
