// The HTTPS certificate: loaded from the state directory, or generated at
// first start (ECDSA P-256, self-signed, SANs for localhost and the listen
// address) and kept with its key (mode 0600). CertificateService replaces it.
import { X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { selfSignedCertificate } from './x509.js';

export interface TlsMaterial {
  readonly cert: string;
  readonly key: string;
  readonly generated: boolean;
  readonly fingerprint256: string;
}

export function generateSelfSigned(hosts: readonly string[], now = new Date()): { cert: string; key: string } {
  const c = selfSignedCertificate({ commonName: 'tsbmc', organization: 'tsbmc', hosts: [...new Set(['localhost', '127.0.0.1', '::1', ...hosts])], days: 3650, now });
  return { cert: c.certPem, key: c.keyPem };
}

/** The certificate in `dir` (tls.crt, tls.key), generating one when absent. */
export async function loadOrCreateTls(dir: string, hosts: readonly string[]): Promise<TlsMaterial> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const certPath = join(dir, 'tls.crt');
  const keyPath = join(dir, 'tls.key');
  let generated = false;
  if (!existsSync(certPath) || !existsSync(keyPath)) {
    const { cert, key } = generateSelfSigned(hosts);
    writeFileSync(`${keyPath}.tmp`, key, { mode: 0o600 });
    writeFileSync(`${certPath}.tmp`, cert, { mode: 0o644 });
    renameSync(`${keyPath}.tmp`, keyPath);
    renameSync(`${certPath}.tmp`, certPath);
    generated = true;
  }
  const cert = readFileSync(certPath, 'utf8');
  const key = readFileSync(keyPath, 'utf8');
  return { cert, key, generated, fingerprint256: new X509Certificate(cert).fingerprint256 };
}

/** Replaces the stored certificate (CertificateService.ReplaceCertificate). */
export function storeTls(dir: string, cert: string, key: string): void {
  const certPath = join(dir, 'tls.crt');
  const keyPath = join(dir, 'tls.key');
  writeFileSync(`${keyPath}.tmp`, key, { mode: 0o600 });
  writeFileSync(`${certPath}.tmp`, cert, { mode: 0o644 });
  renameSync(`${keyPath}.tmp`, keyPath);
  renameSync(`${certPath}.tmp`, certPath);
}
