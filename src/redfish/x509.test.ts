// Unit tests of the self-signed certificate builder (x509.ts, RFC 5280):
// Node's X509Certificate parses and verifies it, the SANs and the key
// match, a TLS client accepts it for the names it lists, and, where the
// openssl command is installed, its decoding is checked independently.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import { createServer, request } from 'node:https';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { parsePrivateKey, selfSignedCertificate } from './x509.js';

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
