// CertificateService in-process: the HTTPS Certificate resource, PEM
// splitting, ReplaceCertificate validation (key match, garbage, wrong URI),
// GenerateCSR (parameters, refusals, the pending key) and installing the
// certificate a CA signed for the pending key without sending a key.
import assert from 'node:assert/strict';
import { createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import { describe, it } from 'node:test';
import { RedfishSchemas } from '../../../test/helpers/redfish-schemas.js';
import { silentLogger } from '../../log.js';
import { makeTestBmc } from '../../model/testing.js';
import { RedfishService } from '../server.js';
import { selfSignedCertificate } from '../x509.js';
import { certificateServiceRoutes, HTTPS_CERTIFICATE, splitPem, type HttpsCertificates } from './certificate-service.js';

const auth = `Basic ${Buffer.from('admin:password').toString('base64')}`;
const opAuth = `Basic ${Buffer.from('operator:operpass').toString('base64')}`;
let schemas: RedfishSchemas | undefined;
function valid(body: unknown): void {
  schemas ??= new RedfishSchemas();
  assert.deepEqual(schemas.validate(body as Record<string, unknown>), [], JSON.stringify(body));
}

const pair = (cn: string) => selfSignedCertificate({ commonName: cn, organization: 'tsbmc', hosts: ['localhost', '127.0.0.1'], days: 30, now: new Date() });

function service() {
  const t = makeTestBmc();
  const first = pair('first');
  let current = { cert: first.certPem, key: first.keyPem };
  let pending: string | undefined;
  const replaced: string[] = [];
  const tls: HttpsCertificates = {
    current: () => current,
    replace: (cert, key) => {
      current = { cert, key };
      replaced.push(cert);
      if (pending === key) pending = undefined;
    },
    pendingKey: () => pending,
    setPendingKey: (key) => {
      pending = key;
    },
  };
  const svc = new RedfishService({ bmc: t.bmc, log: silentLogger, routes: certificateServiceRoutes(), services: { tls } });
  const call = async (method: string, url: string, body?: unknown, authorization = auth) => {
    const r = await svc.router.handle({ method, url, headers: { authorization }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}), clientAddress: '127.0.0.1' });
    return { status: r.status, body: r.body as Record<string, any> };
  };
  return { call, replaced, first, current: () => current, pending: () => pending };
}

const REPLACE = '/redfish/v1/CertificateService/Actions/CertificateService.ReplaceCertificate';
const msgId = (r: { body: Record<string, any> }) => r.body.error?.['@Message.ExtendedInfo']?.[0]?.MessageId;

describe('CertificateService', () => {
  it('serves the service, the locations and the HTTPS certificate; all validate', async () => {
    const { call, first } = service();
    for (const p of [
      '/redfish/v1/CertificateService',
      '/redfish/v1/CertificateService/ReplaceCertificateActionInfo',
      '/redfish/v1/CertificateService/GenerateCSRActionInfo',
      '/redfish/v1/CertificateService/CertificateLocations',
      '/redfish/v1/Managers/bmc/NetworkProtocol/HTTPS/Certificates',
      HTTPS_CERTIFICATE,
    ]) {
      const r = await call('GET', p);
      assert.equal(r.status, 200, p);
      valid(r.body);
    }
    const c = (await call('GET', HTTPS_CERTIFICATE)).body;
    const x = new X509Certificate(first.certPem);
    assert.equal(c.Fingerprint, x.fingerprint256);
    assert.equal(c.Subject.CommonName, 'first');
    assert.equal(c.Issuer.Organization, 'tsbmc');
    assert.deepEqual(c.KeyUsage, ['DigitalSignature', 'KeyAgreement', 'ServerAuthentication']);
    assert.ok(!c.CertificateString.includes('PRIVATE KEY'));
    assert.equal((await call('GET', '/redfish/v1/Managers/bmc/NetworkProtocol/HTTPS/Certificates/2')).status, 404);
    assert.equal((await call('GET', '/redfish/v1/Managers/other/NetworkProtocol/HTTPS/Certificates/1')).status, 404);
    assert.equal((await call('GET', HTTPS_CERTIFICATE, undefined, opAuth)).status, 403);
  });

  it('splits PEM text into certificates and one key', () => {
    const a = pair('a');
    assert.deepEqual(splitPem(a.certPem + a.keyPem), { certificates: [a.certPem], key: a.keyPem, encryptedKey: false });
    assert.equal(splitPem('hello'), undefined);
    assert.equal(splitPem(a.keyPem + a.keyPem), undefined);
    assert.equal(splitPem('-----BEGIN FOO-----\nAAAA\n-----END FOO-----\n'), undefined);
  });

  it('replaces the certificate with a matching key; the resource shows the new one', async () => {
    const { call, replaced, current } = service();
    const next = pair('second');
    const r = await call('POST', REPLACE, {
      CertificateString: next.keyPem + next.certPem,
      CertificateType: 'PEM',
      CertificateUri: { '@odata.id': HTTPS_CERTIFICATE },
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    valid(r.body);
    assert.equal(replaced.length, 1);
    assert.equal(current().cert, next.certPem);
    assert.equal((await call('GET', HTTPS_CERTIFICATE)).body.Fingerprint, new X509Certificate(next.certPem).fingerprint256);
  });

  it('refuses garbage, mismatched keys, missing keys, bad URIs and operators', async () => {
    const { call, replaced } = service();
    const a = pair('a');
    const b = pair('b');
    const post = (CertificateString: string, extra: Record<string, unknown> = {}, authz = auth) =>
      call('POST', REPLACE, { CertificateString, CertificateType: 'PEM', CertificateUri: { '@odata.id': HTTPS_CERTIFICATE }, ...extra }, authz);
    const bad = 'Base.1.22.1.ActionParameterValueError';
    assert.equal(msgId(await post('garbage')), bad);
    assert.equal(msgId(await post('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n' + a.keyPem)), bad);
    assert.equal(msgId(await post(a.certPem + b.keyPem)), bad, 'key of another certificate');
    assert.equal(msgId(await post(a.certPem)), 'Base.1.22.1.ActionParameterValueConflict', 'no key, and neither the pending nor the current key');
    assert.equal(msgId(await post(a.keyPem)), bad, 'no certificate');
    assert.equal(msgId(await post(a.certPem + a.keyPem, { CertificateUri: { '@odata.id': '/redfish/v1/Other/1' } })), 'Base.1.22.1.ActionParameterNotSupported');
    assert.equal(msgId(await post(a.certPem + a.keyPem, { CertificateType: 'PKCS7' })), 'Base.1.22.1.PropertyValueNotInList');
    assert.equal(msgId(await call('POST', REPLACE, { CertificateString: a.certPem, CertificateType: 'PEM' })), 'Base.1.22.1.ActionParameterMissing');
    assert.equal((await post(a.certPem + a.keyPem, {}, opAuth)).status, 403);
    assert.equal(replaced.length, 0);
  });

  it('accepts a certificate for the current key without the key', async () => {
    const { call, first, replaced } = service();
    const r = await call('POST', REPLACE, { CertificateString: first.certPem, CertificateType: 'PEM', CertificateUri: { '@odata.id': HTTPS_CERTIFICATE } });
    assert.equal(r.status, 200);
    assert.equal(replaced.length, 1);
  });
});

const CSR = '/redfish/v1/CertificateService/Actions/CertificateService.GenerateCSR';
const COLLECTION = '/redfish/v1/Managers/bmc/NetworkProtocol/HTTPS/Certificates';

/** The DER of a PEM block. */
const der = (text: string) => Buffer.from(text.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, ''), 'base64');

describe('CertificateService.GenerateCSR', () => {
  it('answers a PEM request and the collection link; keeps the key as the pending key, never in the answer', async () => {
    const { call, pending, current } = service();
    const before = current();
    const r = await call('POST', CSR, { CertificateCollection: { '@odata.id': `${COLLECTION}/` }, CommonName: 'bmc.example', Organization: 'Ex', AlternativeNames: ['10.0.0.9'] });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(Object.keys(r.body).sort(), ['CSRString', 'CertificateCollection']);
    assert.deepEqual(r.body.CertificateCollection, { '@odata.id': COLLECTION });
    assert.match(r.body.CSRString, /^-----BEGIN CERTIFICATE REQUEST-----\n([A-Za-z0-9+/=]{64}\n)*[A-Za-z0-9+/=]{1,64}\n-----END CERTIFICATE REQUEST-----\n$/);
    assert.ok(!JSON.stringify(r.body).includes('PRIVATE'));
    const key = pending();
    assert.ok(key, 'pending key kept');
    // the request carries the pending key's public key
    assert.ok(der(r.body.CSRString).includes(createPublicKey(key).export({ type: 'spki', format: 'der' })));
    assert.equal(current(), before, 'the live certificate is untouched');
    // a second request replaces the pending key
    const r2 = await call('POST', CSR, { CertificateCollection: { '@odata.id': COLLECTION }, CommonName: 'bmc.example' });
    assert.equal(r2.status, 200);
    assert.notEqual(pending(), key);
  });

  it('names the action with its ActionInfo; the ActionInfo lists the algorithms', async () => {
    const { call } = service();
    const svc = (await call('GET', '/redfish/v1/CertificateService')).body;
    assert.deepEqual(svc.Actions['#CertificateService.GenerateCSR'], { target: CSR, '@Redfish.ActionInfo': '/redfish/v1/CertificateService/GenerateCSRActionInfo' });
    const info = (await call('GET', '/redfish/v1/CertificateService/GenerateCSRActionInfo')).body;
    const param = (n: string) => info.Parameters.find((p: { Name: string }) => p.Name === n);
    assert.deepEqual(param('KeyPairAlgorithm').AllowableValues, ['TPM_ALG_ECC', 'TPM_ALG_ECDSA', 'TPM_ALG_ECDH', 'TPM_ALG_RSA']);
    assert.deepEqual(param('KeyCurveId').AllowableValues, ['TPM_ECC_NIST_P256', 'TPM_ECC_NIST_P384']);
    assert.equal(param('CommonName').Required, true);
    assert.equal(param('CertificateCollection').Required, true);
  });

  it('makes the key asked for: EC P-256 by default, P-384, RSA 2048 by default and 3072', async () => {
    const { call, pending } = service();
    const make = async (extra: Record<string, unknown>) => {
      const r = await call('POST', CSR, { CertificateCollection: { '@odata.id': COLLECTION }, CommonName: 'bmc', ...extra });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      return createPublicKey(pending()!);
    };
    assert.equal((await make({})).asymmetricKeyDetails?.namedCurve, 'prime256v1');
    assert.equal((await make({ KeyPairAlgorithm: 'TPM_ALG_ECDH', KeyCurveId: 'TPM_ECC_NIST_P256' })).asymmetricKeyDetails?.namedCurve, 'prime256v1');
    assert.equal((await make({ KeyPairAlgorithm: 'TPM_ALG_ECC', KeyCurveId: 'TPM_ECC_NIST_P384', KeyBitLength: 384 })).asymmetricKeyDetails?.namedCurve, 'secp384r1');
    assert.equal((await make({ KeyPairAlgorithm: 'TPM_ALG_RSA' })).asymmetricKeyDetails?.modulusLength, 2048);
    assert.equal((await make({ KeyPairAlgorithm: 'TPM_ALG_RSA', KeyBitLength: 3072 })).asymmetricKeyDetails?.modulusLength, 3072);
  });

  it('refuses what it cannot do, with the Base registry message; the pending key stays', async () => {
    const { call, pending } = service();
    const ok = await call('POST', CSR, { CertificateCollection: { '@odata.id': COLLECTION }, CommonName: 'bmc' });
    assert.equal(ok.status, 200);
    const kept = pending();
    const post = (body: Record<string, unknown>, authz = auth) => call('POST', CSR, { CertificateCollection: { '@odata.id': COLLECTION }, CommonName: 'bmc', ...body }, authz);
    const id = (s: string) => `Base.1.22.1.${s}`;
    assert.equal(msgId(await call('POST', CSR, { CertificateCollection: { '@odata.id': COLLECTION } })), id('ActionParameterMissing'));
    assert.equal(msgId(await call('POST', CSR, { CommonName: 'bmc' })), id('ActionParameterMissing'));
    assert.equal(msgId(await post({ CertificateCollection: { '@odata.id': '/redfish/v1/AccountService/LDAP/Certificates' } })), id('ActionParameterValueNotInList'));
    assert.equal(msgId(await post({ CertificateCollection: 7 })), id('ActionParameterValueError'));
    assert.equal(msgId(await post({ KeyPairAlgorithm: 'TPM_ALG_SM2' })), id('ActionParameterValueNotInList'));
    assert.equal(msgId(await post({ KeyCurveId: 'TPM_ECC_BN_P256' })), id('ActionParameterValueNotInList'));
    assert.equal(msgId(await post({ KeyPairAlgorithm: 'TPM_ALG_RSA', KeyBitLength: 1024 })), id('ActionParameterValueNotInList'));
    assert.equal(msgId(await post({ KeyPairAlgorithm: 'TPM_ALG_RSA', KeyCurveId: 'TPM_ECC_NIST_P256' })), id('ActionParameterValueConflict'));
    assert.equal(msgId(await post({ KeyBitLength: 2048 })), id('ActionParameterValueConflict'), 'an EC P-256 key is 256 bits');
    assert.equal(msgId(await post({ KeyUsage: ['KeyEncipherment'] })), id('ActionParameterValueConflict'), 'EC keys do not encipher keys');
    assert.equal(msgId(await post({ KeyUsage: ['Shredding'] })), id('ActionParameterValueNotInList'));
    assert.equal(msgId(await post({ Country: 'Germany' })), id('ActionParameterValueFormatError'));
    assert.equal(msgId(await post({ Country: 'de' })), id('ActionParameterValueFormatError'));
    assert.equal(msgId(await post({ CommonName: '' })), id('ActionParameterValueFormatError'));
    assert.equal(msgId(await post({ Organization: 'a\nb' })), id('ActionParameterValueFormatError'));
    assert.equal(msgId(await post({ Email: 'not an address' })), id('ActionParameterValueFormatError'));
    assert.equal(msgId(await post({ AlternativeNames: ['bad name.example'] })), id('ActionParameterValueFormatError'));
    assert.equal(msgId(await post({ AlternativeNames: ['fe80::1%eth0'] })), id('ActionParameterValueFormatError'));
    assert.equal(msgId(await post({ CommonName: 'x'.repeat(65) })), id('StringValueTooLong'));
    assert.equal(msgId(await post({ CommonName: 5 })), id('PropertyValueTypeError'));
    assert.equal(msgId(await post({ KeyBitLength: '2048' })), id('PropertyValueTypeError'));
    assert.equal(msgId(await post({ Colour: 'blue' })), id('PropertyUnknown'));
    const challenge = await post({ ChallengePassword: 'sec\u0001ret' });
    assert.equal(msgId(challenge), id('ActionParameterValueFormatError'));
    assert.ok(!JSON.stringify(challenge.body).includes('sec\u0001ret'), 'the challenge password is not echoed');
    assert.equal((await post({}, opAuth)).status, 403);
    assert.equal(pending(), kept);
  });

  it('ReplaceCertificate installs the certificate signed for the pending key without a key, and forgets the pending key', async () => {
    const { call, pending, current, replaced } = service();
    const r = await call('POST', CSR, { CertificateCollection: { '@odata.id': COLLECTION }, CommonName: 'bmc' });
    assert.equal(r.status, 200);
    const key = pending()!;
    // a certificate for the pending key (self-signed here; test/redfish-certificates.test.ts has openssl's CA sign it)
    const forPending = selfSignedCertificate({ commonName: 'bmc', organization: 'tsbmc', hosts: ['bmc'], days: 30, key: createPrivateKey(key) }).certPem;
    const out = await call('POST', REPLACE, { CertificateString: forPending, CertificateType: 'PEM', CertificateUri: { '@odata.id': HTTPS_CERTIFICATE } });
    assert.equal(out.status, 200, JSON.stringify(out.body));
    assert.equal(replaced.length, 1);
    assert.equal(current().cert, forPending);
    assert.equal(createPublicKey(current().key).export({ format: 'pem', type: 'spki' }), createPublicKey(key).export({ format: 'pem', type: 'spki' }));
    assert.equal(pending(), undefined);
  });
});
