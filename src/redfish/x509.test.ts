// Unit tests of the DER builders (x509.ts): the self-signed certificate
// (RFC 5280): Node's X509Certificate parses and verifies it, the SANs and
// the key match, a TLS client accepts it for the names it lists, and, where
// the openssl command is installed, its decoding is checked independently.
// The PKCS#10 request (RFC 2986): byte for byte what `openssl req -new`
// makes from the same RSA key and fields (PKCS#1 v1.5 signatures are
// deterministic), `openssl req -verify` accepts EC requests, and a DER
// walker written here finds the fields and verifies the signature.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createPrivateKey, createPublicKey, generateKeyPairSync, verify, X509Certificate, type KeyObject } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { certificationRequest, generateCsrKey, parsePrivateKey, pem, selfSignedCertificate, type CsrRequest } from './x509.js';

const NOW = new Date('2026-03-01T12:00:00Z');
const make = (hosts: string[], days = 3650, now = NOW) => selfSignedCertificate({ commonName: 'tsbmc', organization: 'tsbmc org', hosts, days, now });

describe('selfSignedCertificate', () => {
  it('parses as X.509 v3 and verifies with its own key', () => {
    const c = make(['localhost', '127.0.0.1']);
    const x = new X509Certificate(c.certPem);
    assert.equal(x.subject, 'CN=tsbmc\nO=tsbmc org');
    assert.equal(x.issuer, x.subject);
    assert.ok(x.verify(x.publicKey), 'self-signature verifies');
    assert.ok(x.checkPrivateKey(createPrivateKey(c.keyPem)), 'the key is the certificate\'s');
    assert.ok(x.checkPrivateKey(parsePrivateKey(c.keyPem)));
    assert.equal(x.publicKey.asymmetricKeyType, 'ec');
    assert.equal(x.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
    assert.equal(x.ca, false);
    assert.ok(x.keyUsage === undefined || x.keyUsage.includes('1.3.6.1.5.5.7.3.1'), 'extended key usage: serverAuth');
  });

  it('does not verify with another key', () => {
    const a = new X509Certificate(make(['a']).certPem);
    const b = new X509Certificate(make(['b']).certPem);
    assert.equal(a.verify(b.publicKey), false);
    assert.notEqual(a.serialNumber, b.serialNumber);
  });

  it('lists DNS names and IPv4/IPv6 addresses as subjectAltName', () => {
    const x = new X509Certificate(make(['localhost', 'bmc.example', '127.0.0.1', '10.1.2.3', '::1', 'fe80::1:2', '2001:db8::']).certPem);
    assert.equal(
      x.subjectAltName,
      'DNS:localhost, DNS:bmc.example, IP Address:127.0.0.1, IP Address:10.1.2.3, IP Address:0:0:0:0:0:0:0:1, IP Address:FE80:0:0:0:0:0:1:2, IP Address:2001:DB8:0:0:0:0:0:0',
    );
    assert.equal(x.checkHost('bmc.example'), 'bmc.example');
    assert.equal(x.checkIP('10.1.2.3'), '10.1.2.3');
    assert.equal(x.checkIP('10.1.2.4'), undefined);
    assert.equal(x.checkHost('other.example'), undefined);
  });

  it('is valid from a minute before now for the given days; UTCTime before 2050, GeneralizedTime after', () => {
    const x = new X509Certificate(make(['a'], 10).certPem);
    assert.equal(new Date(x.validFrom).toISOString(), '2026-03-01T11:59:00.000Z');
    assert.equal(new Date(x.validTo).toISOString(), '2026-03-11T12:00:00.000Z');
    const long = new X509Certificate(make(['a'], 365 * 30).certPem);
    assert.equal(new Date(long.validTo).getUTCFullYear(), 2056);
  });

  it('the serial number is positive and the DER is one SEQUENCE', () => {
    for (let i = 0; i < 20; i++) {
      const x = new X509Certificate(make(['a']).certPem);
      assert.ok(!x.serialNumber.startsWith('-'));
      assert.ok(Number.parseInt(x.serialNumber.slice(0, 1), 16) < 8, 'high bit clear');
      assert.equal(x.raw[0], 0x30);
    }
  });

  it('a TLS client trusting it connects to "localhost" and to 127.0.0.1', async () => {
    const c = make(['localhost', '127.0.0.1'], 30, new Date());
    const server = createServer({ cert: c.certPem, key: c.keyPem }, (_req, res) => res.end('ok'));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const port = (server.address() as AddressInfo).port;
    const get = (servername: string | undefined) =>
      new Promise<string>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port, ca: c.certPem, ...(servername ? { servername } : {}), agent: false }, (res) => {
          let t = '';
          res.on('data', (d: Buffer) => (t += d.toString()));
          res.on('end', () => resolve(t));
        });
        req.on('error', reject);
        req.end();
      });
    try {
      assert.equal(await get('localhost'), 'ok');
      assert.equal(await get(undefined), 'ok');
      await assert.rejects(get('not-listed.example'), /altnames|Hostname/i);
    } finally {
      server.close();
    }
  });

  it('openssl decodes the expected structure (golden check, when openssl is installed)', (t) => {
    const c = make(['localhost', '192.0.2.7', '::1']);
    const r = spawnSync('openssl', ['x509', '-noout', '-text'], { input: c.certPem, encoding: 'utf8' });
    if (r.error || r.status !== 0) {
      t.skip('openssl not available');
      return;
    }
    const text = r.stdout;
    assert.match(text, /Version: 3 \(0x2\)/);
    assert.match(text, /Signature Algorithm: ecdsa-with-SHA256/);
    assert.match(text, /Issuer: CN ?= ?tsbmc, O ?= ?tsbmc org/);
    assert.match(text, /Subject: CN ?= ?tsbmc, O ?= ?tsbmc org/);
    assert.match(text, /Public Key Algorithm: id-ecPublicKey/);
    assert.match(text, /ASN1 OID: prime256v1/);
    assert.match(text, /X509v3 Basic Constraints: critical\s+CA:FALSE/);
    assert.match(text, /X509v3 Key Usage: critical\s+Digital Signature, Key Agreement/);
    assert.match(text, /X509v3 Extended Key Usage:\s+TLS Web Server Authentication/);
    assert.match(text, /X509v3 Subject Alternative Name:\s+DNS:localhost, IP Address:192\.0\.2\.7, IP Address:0:0:0:0:0:0:0:1/);
    assert.match(text, /Not Before: Mar  1 11:59:00 2026 GMT/);
    // the public key in the certificate is the key file's
    const fromCert = new X509Certificate(c.certPem).publicKey.export({ type: 'spki', format: 'der' });
    const fromKey = createPublicKey(createPrivateKey(c.keyPem)).export({ type: 'spki', format: 'der' });
    assert.deepEqual(fromCert, fromKey);
  });
});

/** True when openssl runs; otherwise skips loudly, and fails under CI (bash .ci/run installs it). */
function haveOpenssl(t: TestContext): boolean {
  const r = spawnSync('openssl', ['version'], { encoding: 'utf8' });
  if (!r.error && r.status === 0) return true;
  if (process.env.CI === 'true') assert.fail('openssl is not installed: bash .ci/run installs it');
  process.stderr.write(`${'!'.repeat(78)}\n!! openssl is not installed: the PKCS#10 checks against openssl are SKIPPED\n${'!'.repeat(78)}\n`);
  t.skip('openssl not installed');
  return false;
}

/** One TLV of a DER buffer: tag, content bounds and the end (a reader independent of the builder). */
function tlvAt(der: Buffer, at: number): { tag: number; start: number; end: number } {
  const tag = der[at]!;
  let len = der[at + 1]!;
  let start = at + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + der[at + 2 + i]!;
    start += n;
  }
  assert.ok(start + len <= der.length, 'TLV inside the buffer');
  return { tag, start, end: start + len };
}

function children(der: Buffer, parent: { start: number; end: number }): { tag: number; start: number; end: number; at: number }[] {
  const out = [];
  for (let at = parent.start; at < parent.end; ) {
    const c = tlvAt(der, at);
    out.push({ ...c, at });
    at = c.end;
  }
  assert.equal(out.at(-1)?.end ?? parent.start, parent.end, 'children fill their parent exactly');
  return out;
}

const FULL: CsrRequest = {
  subject: {
    country: 'DE',
    state: 'Bayern',
    city: 'München',
    organization: 'Ex Org',
    organizationalUnit: 'Ops',
    commonName: 'bmc1.example.com',
    givenName: 'Ann',
    surname: 'Smith',
    initials: 'AS',
    contactPerson: 'Ann Smith',
    email: 'ops@example.com',
  },
  altNames: ['bmc1.example.com', '192.0.2.5', '2001:db8::5', '::ffff:10.0.0.1'],
  keyUsage: ['DigitalSignature', 'KeyEncipherment'],
  extendedKeyUsage: ['ServerAuthentication', 'ClientAuthentication'],
  challengePassword: 'chall',
  unstructuredName: 'unstr',
};

/** The same request as an openssl req configuration (its default order and string types). */
const FULL_CONFIG = `[req]
distinguished_name = dn
attributes = attrs
prompt = no
string_mask = utf8only
utf8 = yes
req_extensions = ext
[dn]
C = DE
ST = Bayern
L = München
O = Ex Org
OU = Ops
CN = bmc1.example.com
GN = Ann
SN = Smith
initials = AS
name = Ann Smith
emailAddress = ops@example.com
[attrs]
challengePassword = chall
unstructuredName = unstr
[ext]
subjectAltName = DNS:bmc1.example.com, IP:192.0.2.5, IP:2001:db8::5, IP:::ffff:10.0.0.1
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth, clientAuth
`;

describe('certificationRequest (PKCS#10)', () => {
  it('is byte for byte what openssl req makes from the same RSA key and fields', (t) => {
    if (!haveOpenssl(t)) return;
    const dir = mkdtempSync(join(tmpdir(), 'tsbmc-csr-'));
    try {
      const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      writeFileSync(join(dir, 'key.pem'), privateKey.export({ type: 'pkcs8', format: 'pem' }));
      writeFileSync(join(dir, 'req.cnf'), FULL_CONFIG);
      const r = spawnSync('openssl', ['req', '-new', '-key', join(dir, 'key.pem'), '-config', join(dir, 'req.cnf'), '-sha256', '-outform', 'DER', '-out', join(dir, 'req.der')], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      const theirs = readFileSync(join(dir, 'req.der'));
      const ours = certificationRequest(privateKey, FULL);
      assert.equal(ours.toString('hex'), theirs.toString('hex'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  for (const alg of [{ type: 'ec', curve: 'P-256' }, { type: 'ec', curve: 'P-384' }, { type: 'rsa', bits: 3072 }] as const) {
    it(`openssl req -verify accepts a ${alg.type === 'ec' ? alg.curve : `RSA ${alg.bits}`} request and reads back its fields`, async (t) => {
      if (!haveOpenssl(t)) return;
      const key = await generateCsrKey(alg);
      const csr = pem('CERTIFICATE REQUEST', certificationRequest(key, FULL));
      const r = spawnSync('openssl', ['req', '-noout', '-verify', '-text'], { input: csr, encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stderr + r.stdout, /verify OK/);
      const text = r.stdout;
      assert.match(text, /Version: 1 \(0x0\)/);
      assert.match(text, /Subject: C ?= ?DE, ST ?= ?Bayern, L ?= ?M\\C3\\BCnchen, O ?= ?Ex Org, OU ?= ?Ops, CN ?= ?bmc1\.example\.com, GN ?= ?Ann, SN ?= ?Smith, initials ?= ?AS, name ?= ?Ann Smith, emailAddress ?= ?ops@example\.com/);
      assert.match(text, /X509v3 Subject Alternative Name:\s+DNS:bmc1\.example\.com, IP Address:192\.0\.2\.5, IP Address:2001:DB8:0:0:0:0:0:5, IP Address:0:0:0:0:0:FFFF:A00:1/);
      assert.match(text, /X509v3 Key Usage: critical\s+Digital Signature, Key Encipherment/);
      assert.match(text, /X509v3 Extended Key Usage:\s+TLS Web Server Authentication, TLS Web Client Authentication/);
      assert.match(text, /challengePassword\s+:chall/);
      assert.match(text, /unstructuredName\s+:unstr/);
      if (alg.type === 'rsa') {
        assert.match(text, /Public-Key: \(3072 bit\)/);
        assert.match(text, /Signature Algorithm: sha256WithRSAEncryption/);
      } else {
        assert.match(text, alg.curve === 'P-256' ? /NIST CURVE: P-256/ : /NIST CURVE: P-384/);
        assert.match(text, alg.curve === 'P-256' ? /Signature Algorithm: ecdsa-with-SHA256/ : /Signature Algorithm: ecdsa-with-SHA384/);
      }
    });
  }

  it('has the RFC 2986 structure; the signature verifies with the public key it carries (no openssl)', async () => {
    for (const alg of [{ type: 'ec', curve: 'P-256' }, { type: 'ec', curve: 'P-384' }, { type: 'rsa', bits: 2048 }] as const) {
      const key: KeyObject = await generateCsrKey(alg);
      const der = certificationRequest(key, { subject: { commonName: 'x' }, altNames: [], keyUsage: [], extendedKeyUsage: [] });
      const outer = tlvAt(der, 0);
      assert.equal(outer.tag, 0x30);
      assert.equal(outer.end, der.length);
      const [info, sigAlg, sig] = children(der, outer);
      assert.deepEqual([info?.tag, sigAlg?.tag, sig?.tag], [0x30, 0x30, 0x03]);
      const fields = children(der, info!);
      assert.deepEqual(fields.map((f) => f.tag), [0x02, 0x30, 0x30, 0xa0], 'version, subject, subjectPKInfo, [0] attributes');
      assert.equal(der.subarray(fields[0]!.start, fields[0]!.end).toString('hex'), '00', 'version v1(0)');
      assert.equal(fields[3]!.end - fields[3]!.start, 0, 'no attributes when nothing is requested');
      // subject: one RDN, CN=x as a UTF8String
      assert.equal(der.subarray(fields[1]!.at, fields[1]!.end).toString('hex'), '300c310a300806035504030c0178');
      const spki = der.subarray(fields[2]!.at, fields[2]!.end);
      assert.deepEqual(spki, createPublicKey(key).export({ type: 'spki', format: 'der' }));
      const bits = der.subarray(sig!.start, sig!.end);
      assert.equal(bits[0], 0, 'no unused bits');
      const hash = alg.type === 'ec' && alg.curve === 'P-384' ? 'sha384' : 'sha256';
      assert.ok(verify(hash, der.subarray(info!.at, info!.end), createPublicKey({ key: spki, format: 'der', type: 'spki' }), bits.subarray(1)), `${JSON.stringify(alg)} signature verifies`);
    }
  });

  it('encodes keyUsage as a minimal named-bit BIT STRING (X.690 11.2.2)', async () => {
    const key = await generateCsrKey({ type: 'ec', curve: 'P-256' });
    const ku = (bits: CsrRequest['keyUsage']) => certificationRequest(key, { subject: { commonName: 'x' }, altNames: [], keyUsage: bits, extendedKeyUsage: [] }).toString('hex');
    // extnID keyUsage, critical TRUE, OCTET STRING { BIT STRING }
    const ext = (bitString: string) => `0603551d0f0101ff04${(bitString.length / 2).toString(16).padStart(2, '0')}${bitString}`;
    assert.ok(ku(['DigitalSignature']).includes(ext('03020780')));
    assert.ok(ku(['DigitalSignature', 'KeyAgreement']).includes(ext('03020388')));
    assert.ok(ku(['KeyCertSign', 'CRLSigning']).includes(ext('03020106')));
    assert.ok(ku(['KeyAgreement', 'DecipherOnly']).includes(ext('0303070880')));
  });

  it('generates the keys asked for', async () => {
    const ec = await generateCsrKey({ type: 'ec', curve: 'P-384' });
    assert.equal(ec.asymmetricKeyDetails?.namedCurve, 'secp384r1');
    const rsa = await generateCsrKey({ type: 'rsa', bits: 2048 });
    assert.equal(rsa.asymmetricKeyDetails?.modulusLength, 2048);
    assert.equal(rsa.asymmetricKeyDetails?.publicExponent, 65537n);
  });
});
