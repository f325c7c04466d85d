// CertificateService against the real process: ReplaceCertificate with a
// new key and certificate, then a new TLS connection presents it (no
// restart), the Certificate resource shows it, and it is kept across a
// restart; garbage is a 400 and changes nothing.
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { selfSignedCertificate } from '../src/redfish/x509.js';
import { redfish, startBmcProcess, type BmcProcess } from './helpers/bmc-process.js';

const CERT = '/redfish/v1/Managers/bmc/NetworkProtocol/HTTPS/Certificates/1';
const REPLACE = '/redfish/v1/CertificateService/Actions/CertificateService.ReplaceCertificate';

function peerFingerprint(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port, rejectUnauthorized: false, servername: 'localhost' }, () => {
      const fp = s.getPeerCertificate().fingerprint256;
      s.end();
      resolve(fp);
    });
    s.on('error', reject);
  });
}

describe('Redfish CertificateService against the real process', { timeout: 120_000 }, () => {
  let bmc: BmcProcess;
  const stateDir = mkdtempSync(join(tmpdir(), 'tsbmc-certs-'));
  before(async () => {
    bmc = await startBmcProcess({ stateDir });
  });
  after(async () => {
    await bmc?.stop();
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('the Certificate resource shows the certificate the server presents', async () => {
    const fp = await peerFingerprint(bmc.httpsPort);
    const c = await redfish(bmc, 'GET', CERT);
    assert.equal(c.status, 200, c.text);
    assert.equal(c.body.Fingerprint, fp);
    const svc = await redfish(bmc, 'GET', '/redfish/v1/CertificateService');
    assert.equal(svc.body.Actions['#CertificateService.ReplaceCertificate'].target, REPLACE);
    const loc = await redfish(bmc, 'GET', '/redfish/v1/CertificateService/CertificateLocations');
    assert.deepEqual(loc.body.Links.Certificates, [{ '@odata.id': CERT }]);
  });

  it('garbage is a 400 and the certificate stays', async () => {
    const before = await peerFingerprint(bmc.httpsPort);
    const r = await redfish(bmc, 'POST', REPLACE, { body: { CertificateString: 'not a certificate', CertificateType: 'PEM', CertificateUri: { '@odata.id': CERT } } });
    assert.equal(r.status, 400);
    assert.equal(r.body.error['@Message.ExtendedInfo'][0].MessageId, 'Base.1.22.1.ActionParameterValueError');
    const other = selfSignedCertificate({ commonName: 'x', organization: 'y', hosts: ['localhost'], days: 10 });
    const mismatch = selfSignedCertificate({ commonName: 'z', organization: 'y', hosts: ['localhost'], days: 10 });
    const r2 = await redfish(bmc, 'POST', REPLACE, { body: { CertificateString: other.certPem + mismatch.keyPem, CertificateType: 'PEM', CertificateUri: { '@odata.id': CERT } } });
    assert.equal(r2.status, 400);
    assert.equal(await peerFingerprint(bmc.httpsPort), before);
  });

  it('ReplaceCertificate swaps the live certificate: the next TLS connection sees the new fingerprint; kept across a restart', async () => {
    const next = selfSignedCertificate({ commonName: 'replaced.example', organization: 'tsbmc test', hosts: ['localhost', '127.0.0.1'], days: 30 });
    const expected = new X509Certificate(next.certPem).fingerprint256;
    assert.notEqual(await peerFingerprint(bmc.httpsPort), expected);
    const r = await redfish(bmc, 'POST', REPLACE, { body: { CertificateString: next.certPem + next.keyPem, CertificateType: 'PEM', CertificateUri: { '@odata.id': CERT } } });
    assert.equal(r.status, 200, r.text);
    assert.equal(await peerFingerprint(bmc.httpsPort), expected);
    const c = await redfish(bmc, 'GET', CERT);
    assert.equal(c.body.Fingerprint, expected);
    assert.equal(c.body.Subject.CommonName, 'replaced.example');
    assert.ok(!c.text.includes('PRIVATE KEY'));
    await bmc.stop();
    bmc = await startBmcProcess({ stateDir });
    assert.equal(await peerFingerprint(bmc.httpsPort), expected);
  });
});
