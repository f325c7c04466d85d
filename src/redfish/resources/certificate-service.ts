// CertificateService (CertificateService v1_2_1) and the HTTPS certificate
// (Certificate v1_11_0) under ManagerNetworkProtocol: ReplaceCertificate
// takes a PEM certificate (or chain) and, since the BMC generates no CSR,
// its private key in the same CertificateString (as bmcweb accepts); the
// key must match the certificate (or the current key is kept when the new
// certificate is for it). The new pair is stored (tls.ts) and the live TLS
// context swapped: the next handshake presents it, no restart.
// GenerateCSR is not implemented.
import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { readBody } from '../body.js';
import { MANAGER_ID, requireManager, ROOT } from '../ids.js';
import { Base, Errors, RedfishError } from '../messages.js';
import type { JsonObject, RequestContext, RouteDef } from '../router.js';
import { collection, odataType } from '../schemas.js';

/** What the composition root gives the CertificateService: the HTTPS pair, and a way to replace it live. */
export interface HttpsCertificates {
  current(): { cert: string; key: string } | undefined;
  /** Stores the pair durably and swaps the server's TLS context. */
  replace(cert: string, key: string): void;
}

const SERVICE = `${ROOT}/CertificateService`;
const REPLACE = `${SERVICE}/Actions/CertificateService.ReplaceCertificate`;
const REPLACE_INFO = `${SERVICE}/ReplaceCertificateActionInfo`;
const LOCATIONS = `${SERVICE}/CertificateLocations`;
export const HTTPS_CERTIFICATES = `${ROOT}/Managers/${MANAGER_ID}/NetworkProtocol/HTTPS/Certificates`;
export const HTTPS_CERTIFICATE = `${HTTPS_CERTIFICATES}/1`;
const ACTION = 'ReplaceCertificate';

function certificatesOf(ctx: RequestContext): HttpsCertificates | undefined {
  const t = ctx.services.tls as Partial<HttpsCertificates> | undefined;
  return t && typeof t.current === 'function' && typeof t.replace === 'function' ? (t as HttpsCertificates) : undefined;
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

const KEY_USAGE_BITS = ['DigitalSignature', 'NonRepudiation', 'KeyEncipherment', 'DataEncipherment', 'KeyAgreement', 'KeyCertSign', 'CRLSigning', 'EncipherOnly', 'DecipherOnly'] as const;

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

const EKU: Readonly<Record<string, string>> = {
  '1.3.6.1.5.5.7.3.1': 'ServerAuthentication',
  '1.3.6.1.5.5.7.3.2': 'ClientAuthentication',
  '1.3.6.1.5.5.7.3.3': 'CodeSigning',
  '1.3.6.1.5.5.7.3.4': 'EmailProtection',
  '1.3.6.1.5.5.7.3.8': 'Timestamping',
  '1.3.6.1.5.5.7.3.9': 'OCSPSigning',
};

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
 * currently valid, and a private key that matches (given, or the current one).
 */
export function validateReplacement(text: string, currentKey: string | undefined, now = Date.now()): { cert: string; key: string } {
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
  let key: KeyObject;
  let keyPem: string;
  try {
    keyPem = parts.key ?? currentKey ?? '';
    key = createPrivateKey(keyPem);
  } catch {
    throw bad();
  }
  if (!leaf.checkPrivateKey(key)) throw bad();
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
  const next = validateReplacement(b.CertificateString, store.current()?.key);
  store.replace(next.cert, next.key);
  const fp = new X509Certificate(next.cert).fingerprint256;
  ctx.services.log.info('HTTPS certificate replaced', { user: ctx.principal?.userName ?? '', sha256: fp });
  return { status: 200, headers: { Location: HTTPS_CERTIFICATE }, body: certificateBody(next.cert) };
}

function serviceBody(): JsonObject {
  return {
    '@odata.id': SERVICE,
    '@odata.type': odataType('CertificateService'),
    Id: 'CertificateService',
    Name: 'Certificate Service',
    Description: 'Replaces the certificate of the HTTPS server',
    Actions: { '#CertificateService.ReplaceCertificate': { target: REPLACE, '@Redfish.ActionInfo': REPLACE_INFO } },
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
  return [
    { path: SERVICE, entity: 'CertificateService', get: () => serviceBody() },
    { path: REPLACE, entity: 'CertificateService', post: replaceCertificate },
    { path: REPLACE_INFO, entity: 'CertificateService', get: () => replaceInfo() },
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
