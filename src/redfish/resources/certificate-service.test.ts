// CertificateService in-process: the HTTPS Certificate resource, PEM
// splitting, ReplaceCertificate validation (key match, garbage, wrong URI).
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
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
  const replaced: string[] = [];
  const tls: HttpsCertificates = {
    current: () => current,
    replace: (cert, key) => {
      current = { cert, key };
      replaced.push(cert);
    },
  };
  const svc = new RedfishService({ bmc: t.bmc, log: silentLogger, routes: certificateServiceRoutes(), services: { tls } });
  const call = async (method: string, url: string, body?: unknown, authorization = auth) => {
    const r = await svc.router.handle({ method, url, headers: { authorization }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}), clientAddress: '127.0.0.1' });
    return { status: r.status, body: r.body as Record<string, any> };
  };
  return { call, replaced, first, current: () => current };
}

const REPLACE = '/redfish/v1/CertificateService/Actions/CertificateService.ReplaceCertificate';
const msgId = (r: { body: Record<string, any> }) => r.body.error?.['@Message.ExtendedInfo']?.[0]?.MessageId;

describe('CertificateService', () => {
  it('serves the service, the locations and the HTTPS certificate; all validate', async () => {
    const { call, first } = service();
    for (const p of [
      '/redfish/v1/CertificateService',
      '/redfish/v1/CertificateService/ReplaceCertificateActionInfo',
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
    assert.equal(msgId(await post(a.certPem)), bad, 'no key and not the current key');
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
