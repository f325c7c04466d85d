// The HTTPS certificate: loaded from the state directory, or generated at
// first start (ECDSA P-256, self-signed, SANs for localhost and the listen
// address) and kept with its key (mode 0600). CertificateService replaces it
// (HttpsCertificateStore), and keeps the private key of the last signing
// request (GenerateCSR) sealed with the state's secret box until the
// certificate a CA made for it is installed.
import { createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../log.js';
import type { SecretBox } from '../model/users.js';
import { fsyncDir, replaceFileDurable } from '../store/durable.js';
import type { HttpsCertificates } from './resources/certificate-service.js';
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
  replaceFileDurable(dir, 'tls.key', Buffer.from(key), 0o600);
  replaceFileDurable(dir, 'tls.crt', Buffer.from(cert), 0o644);
}

/** Where the pending signing request's key is kept: sealed, mode 0600, beside tls.key. */
export const PENDING_KEY_FILE = 'csr-key.sealed';

function publicKeyDer(keyPem: string): Buffer {
  return createPublicKey(createPrivateKey(keyPem)).export({ type: 'spki', format: 'der' });
}

/**
 * The HTTPS pair of one BMC and the key of its pending signing request.
 * `apply` swaps the live TLS context; every change is on disk before the
 * call returns, so a restart between GenerateCSR and ReplaceCertificate
 * keeps the request's key.
 */
export class HttpsCertificateStore implements HttpsCertificates {
  readonly #dir: string;
  readonly #box: SecretBox;
  readonly #apply: (cert: string, key: string) => void;
  #current: { cert: string; key: string };
  #pending: string | undefined;

  constructor(opts: { dir: string; box: SecretBox; initial: { cert: string; key: string }; apply: (cert: string, key: string) => void; log?: Logger }) {
    this.#dir = opts.dir;
    this.#box = opts.box;
    this.#apply = opts.apply;
    this.#current = { cert: opts.initial.cert, key: opts.initial.key };
    this.#pending = this.#readPending(opts.log);
  }

  /** The sealed pending key, or undefined; one that will not open (another secret key, a torn file) is moved aside. */
  #readPending(log: Logger | undefined): string | undefined {
    const path = join(this.#dir, PENDING_KEY_FILE);
    let sealed: string;
    try {
      sealed = readFileSync(path, 'utf8');
    } catch {
      return undefined;
    }
    try {
      const key = Buffer.from(this.#box.open(sealed.trim())).toString('utf8');
      createPrivateKey(key);
      return key;
    } catch (e) {
      const aside = `${path}.corrupt-${Date.now()}`;
      renameSync(path, aside);
      log?.warn('the pending signing request\'s key cannot be opened; moved aside', { file: aside, reason: (e as Error).message });
      return undefined;
    }
  }

  current(): { cert: string; key: string } {
    return this.#current;
  }

  replace(cert: string, key: string): void {
    storeTls(this.#dir, cert, key);
    this.#apply(cert, key);
    this.#current = { cert, key };
    if (this.#pending !== undefined && publicKeyDer(this.#pending).equals(publicKeyDer(key))) this.#clearPending();
  }

  pendingKey(): string | undefined {
    return this.#pending;
  }

  setPendingKey(key: string): void {
    mkdirSync(this.#dir, { recursive: true, mode: 0o700 });
    replaceFileDurable(this.#dir, PENDING_KEY_FILE, Buffer.from(this.#box.seal(Buffer.from(key, 'utf8'))), 0o600);
    this.#pending = key;
  }

  #clearPending(): void {
    try {
      unlinkSync(join(this.#dir, PENDING_KEY_FILE));
      fsyncDir(this.#dir);
    } catch {
      // already gone
    }
    this.#pending = undefined;
  }
}
