// CertificateService against the real process: ReplaceCertificate with a
// new key and certificate, then a new TLS connection presents it (no
// restart), the Certificate resource shows it, and it is kept across a
// restart; garbage is a 400 and changes nothing.
// GenerateCSR with curl, the request checked and signed by an openssl CA,
// the BMC killed (-9) and restarted between request and installation, the
// signed certificate installed alone, then curl and openssl s_client verify
// the server against the CA by name and address.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { after, before, describe, it, type TestContext } from 'node:test';
import { selfSignedCertificate } from '../src/redfish/x509.js';
import { ADMIN_PASSWORD, redfish, run, startBmcProcess, type BmcProcess } from './helpers/bmc-process.js';

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

const CSR = '/redfish/v1/CertificateService/Actions/CertificateService.GenerateCSR';
const COLLECTION = '/redfish/v1/Managers/bmc/NetworkProtocol/HTTPS/Certificates';

/** True when curl and openssl run; otherwise skips loudly, and fails under CI (bash .ci/run installs them). */
function haveTools(t: TestContext): boolean {
  const missing = ['curl', 'openssl'].filter((c) => spawnSync(c, [c === 'curl' ? '--version' : 'version']).status !== 0);
  if (missing.length === 0) return true;
  if (process.env.CI === 'true') assert.fail(`${missing.join(', ')} not installed: bash .ci/run installs them`);
  process.stderr.write(`${'!'.repeat(78)}\n!! ${missing.join(', ')} not installed: the GenerateCSR tests are SKIPPED\n${'!'.repeat(78)}\n`);
  t.skip(`${missing.join(', ')} not installed`);
  return false;
}

/** curl POST of a JSON body: the status and the parsed answer. */
async function curlPost(bmc: BmcProcess, dir: string, path: string, body: unknown, extra: readonly string[] = ['-k']): Promise<{ status: number; body: any; text: string }> {
  const file = join(dir, 'body.json');
  writeFileSync(file, JSON.stringify(body));
  const r = await run('curl', ['-sS', ...extra, '-u', `admin:${ADMIN_PASSWORD}`, '-H', 'Content-Type: application/json', '--data-binary', `@${file}`, '-w', '\n%{http_code}', `${bmc.baseUrl}${path}`], 60_000);
  assert.equal(r.code, 0, r.stderr);
  const nl = r.stdout.lastIndexOf('\n');
  const text = r.stdout.slice(0, nl);
  return { status: Number(r.stdout.slice(nl + 1)), body: text ? JSON.parse(text) : undefined, text };
}

async function openssl(args: readonly string[]): Promise<string> {
  const r = await run('openssl', args, 60_000);
  assert.equal(r.code, 0, `openssl ${args.join(' ')}\n${r.stderr}`);
  return r.stdout + r.stderr;
}

describe('GenerateCSR: a CA signs the BMC\'s request, the BMC serves the signed certificate', { timeout: 180_000 }, () => {
  let bmc: BmcProcess | undefined;
  const stateDir = mkdtempSync(join(tmpdir(), 'tsbmc-csr-'));
  const work = mkdtempSync(join(tmpdir(), 'tsbmc-csr-ca-'));
  after(async () => {
    await bmc?.stop();
    rmSync(stateDir, { recursive: true, force: true });
    rmSync(work, { recursive: true, force: true });
  });

  it('curl GenerateCSR, openssl verifies and signs it, kill -9 and restart, ReplaceCertificate with the certificate alone; curl and s_client verify against the CA', async (t) => {
    if (!haveTools(t)) return;
    bmc = await startBmcProcess({ stateDir });
    const before = await peerFingerprint(bmc.httpsPort);
    const r = await curlPost(bmc, work, CSR, {
      CertificateCollection: { '@odata.id': COLLECTION },
      CommonName: 'bmc.test.example',
      AlternativeNames: ['bmc-alt.test.example', '127.0.0.1'],
      Organization: 'tsbmc tests',
      OrganizationalUnit: 'Lab',
      City: 'Zürich',
      State: 'ZH',
      Country: 'CH',
      Email: 'ops@test.example',
      KeyPairAlgorithm: 'TPM_ALG_ECC',
      KeyCurveId: 'TPM_ECC_NIST_P256',
      ChallengePassword: 'challenge-Secret-42',
    });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body.CertificateCollection, { '@odata.id': COLLECTION });
    assert.ok(!r.text.includes('PRIVATE KEY'));
    writeFileSync(join(work, 'bmc.csr'), r.body.CSRString);

    const text = await openssl(['req', '-in', join(work, 'bmc.csr'), '-noout', '-verify', '-text']);
    assert.match(text, /verify OK/);
    assert.match(text, /Subject: C ?= ?CH, ST ?= ?ZH, L ?= ?Z\\C3\\BCrich, O ?= ?tsbmc tests, OU ?= ?Lab, CN ?= ?bmc\.test\.example, emailAddress ?= ?ops@test\.example/);
    assert.match(text, /X509v3 Subject Alternative Name:\s+DNS:bmc\.test\.example, DNS:bmc-alt\.test\.example, IP Address:127\.0\.0\.1/);
    assert.match(text, /X509v3 Key Usage: critical\s+Digital Signature\n/);
    assert.match(text, /X509v3 Extended Key Usage:\s+TLS Web Server Authentication/);
    assert.match(text, /challengePassword\s+:challenge-Secret-42/);
    assert.match(text, /ASN1 OID: prime256v1/);
    assert.equal(await peerFingerprint(bmc.httpsPort), before, 'a request changes nothing the server presents');

    // the key is kept sealed in the state directory, never in clear, never logged
    const tlsFiles = readdirSync(join(stateDir, 'tls'));
    assert.ok(tlsFiles.includes('csr-key.sealed'), tlsFiles.join(' '));
    assert.ok(!readFileSync(join(stateDir, 'tls', 'csr-key.sealed'), 'utf8').includes('PRIVATE KEY'));
    assert.ok(!/PRIVATE KEY|challenge-Secret-42/.test(bmc.stdout() + bmc.stderr()));

    // a throwaway CA signs the request, copying the extensions it asks for
    await openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(work, 'ca.key'), '-out', join(work, 'ca.pem'), '-subj', '/CN=tsbmc test CA', '-days', '2']);
    writeFileSync(join(work, 'server.ext'), 'basicConstraints = critical, CA:FALSE\n');
    await openssl(['x509', '-req', '-in', join(work, 'bmc.csr'), '-CA', join(work, 'ca.pem'), '-CAkey', join(work, 'ca.key'), '-CAcreateserial', '-days', '2', '-copy_extensions', 'copy', '-extfile', join(work, 'server.ext'), '-out', join(work, 'bmc.pem')]);
    const signed = readFileSync(join(work, 'bmc.pem'), 'utf8');
    const signedFp = new X509Certificate(signed).fingerprint256;

    // the BMC dies between request and installation: the pending key survives
    assert.equal(await bmc.stop('SIGKILL'), null);
    bmc = await startBmcProcess({ stateDir });

    const rep = await curlPost(bmc, work, REPLACE, { CertificateString: signed, CertificateType: 'PEM', CertificateUri: { '@odata.id': CERT } });
    assert.equal(rep.status, 200, rep.text);
    assert.equal(rep.body.Fingerprint, signedFp);
    assert.equal(rep.body.Issuer.CommonName, 'tsbmc test CA');
    assert.ok(!readdirSync(join(stateDir, 'tls')).includes('csr-key.sealed'), 'the pending key is used up');

    // curl trusts only the CA (no -k) and checks the name and the address
    const byName = await run('curl', ['-sS', '--cacert', join(work, 'ca.pem'), '--resolve', `bmc.test.example:${bmc.httpsPort}:127.0.0.1`, '-o', '/dev/null', '-w', '%{http_code} %{ssl_verify_result}', `https://bmc.test.example:${bmc.httpsPort}/redfish/v1`]);
    assert.equal(byName.code, 0, byName.stderr);
    assert.equal(byName.stdout, '200 0');
    const byAddress = await run('curl', ['-sS', '--cacert', join(work, 'ca.pem'), '-o', '/dev/null', '-w', '%{http_code}', `https://127.0.0.1:${bmc.httpsPort}/redfish/v1`]);
    assert.equal(byAddress.stdout, '200', byAddress.stderr);
    const wrongName = await run('curl', ['-sS', '--cacert', join(work, 'ca.pem'), '--resolve', `other.test.example:${bmc.httpsPort}:127.0.0.1`, `https://other.test.example:${bmc.httpsPort}/redfish/v1`]);
    assert.notEqual(wrongName.code, 0, 'a name the certificate does not list is refused');
    const sClient = await run('sh', ['-c', `openssl s_client -connect 127.0.0.1:${bmc.httpsPort} -servername bmc-alt.test.example -verify_hostname bmc-alt.test.example -CAfile '${join(work, 'ca.pem')}' -verify_return_error </dev/null`], 30_000);
    assert.equal(sClient.code, 0, sClient.stderr);
    assert.match(sClient.stdout, /Verify return code: 0 \(ok\)/);
    assert.match(sClient.stdout + sClient.stderr, /subject=.*CN ?= ?bmc\.test\.example/);

    // kept across a restart
    await bmc.stop();
    bmc = await startBmcProcess({ stateDir });
    assert.equal(await peerFingerprint(bmc.httpsPort), signedFp);
  });

  it('refusals: missing CommonName, an unsupported algorithm, ReadOnly and Operator accounts, a certificate for another key', async (t) => {
    if (!haveTools(t)) return;
    bmc ??= await startBmcProcess({ stateDir });
    const id = (x: { body: any }) => x.body?.error?.['@Message.ExtendedInfo']?.[0]?.MessageId;
    const missing = await curlPost(bmc, work, CSR, { CertificateCollection: { '@odata.id': COLLECTION } });
    assert.equal(missing.status, 400);
    assert.equal(id(missing), 'Base.1.22.1.ActionParameterMissing');
    assert.match(missing.body.error['@Message.ExtendedInfo'][0].Message, /GenerateCSR requires the parameter CommonName/);
    const alg = await curlPost(bmc, work, CSR, { CertificateCollection: { '@odata.id': COLLECTION }, CommonName: 'x', KeyPairAlgorithm: 'TPM_ALG_SM2' });
    assert.equal(alg.status, 400);
    assert.equal(id(alg), 'Base.1.22.1.ActionParameterValueNotInList');
    const weak = await curlPost(bmc, work, CSR, { CertificateCollection: { '@odata.id': COLLECTION }, CommonName: 'x', KeyPairAlgorithm: 'TPM_ALG_RSA', KeyBitLength: 1024 });
    assert.equal(id(weak), 'Base.1.22.1.ActionParameterValueNotInList');

    for (const [UserName, RoleId] of [['csrviewer', 'ReadOnly'], ['csroperator', 'Operator']] as const) {
      const made = await redfish(bmc, 'POST', '/redfish/v1/AccountService/Accounts', { body: { UserName, Password: 'Csr-test-pass1', RoleId } });
      assert.equal(made.status, 201, made.text);
      const denied = await redfish(bmc, 'POST', CSR, { user: UserName, password: 'Csr-test-pass1', body: { CertificateCollection: { '@odata.id': COLLECTION }, CommonName: 'x' } });
      assert.equal(denied.status, 403, `${RoleId}: ${denied.text}`);
      assert.equal(id(denied), 'Base.1.22.1.InsufficientPrivilege');
    }

    // a request is pending; a CA certificate for some other key is refused and nothing changes
    const pending = await curlPost(bmc, work, CSR, { CertificateCollection: { '@odata.id': COLLECTION }, CommonName: 'bmc.test.example', KeyPairAlgorithm: 'TPM_ALG_RSA', KeyBitLength: 2048 });
    assert.equal(pending.status, 200, pending.text);
    await openssl(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(work, 'other.key'), '-subj', '/CN=bmc.test.example', '-out', join(work, 'other.csr')]);
    await openssl(['x509', '-req', '-in', join(work, 'other.csr'), '-CA', join(work, 'ca.pem'), '-CAkey', join(work, 'ca.key'), '-CAcreateserial', '-days', '2', '-out', join(work, 'other.pem')]);
    const fp = await peerFingerprint(bmc.httpsPort);
    const wrong = await curlPost(bmc, work, REPLACE, { CertificateString: readFileSync(join(work, 'other.pem'), 'utf8'), CertificateType: 'PEM', CertificateUri: { '@odata.id': CERT } });
    assert.equal(wrong.status, 400, wrong.text);
    assert.equal(id(wrong), 'Base.1.22.1.ActionParameterValueConflict');
    assert.match(wrong.body.error['@Message.ExtendedInfo'][0].Message, /neither the pending signing request's nor the current certificate's/);
    assert.equal(await peerFingerprint(bmc.httpsPort), fp);
    assert.ok(readdirSync(join(stateDir, 'tls')).includes('csr-key.sealed'), 'the RSA request is still pending');
  });
});
