// HttpsCertificateStore: the pending signing request's key is sealed on
// disk (never in clear), survives a new store over the same directory (a
// restart), is forgotten once its certificate is installed, and a sealed
// key that will not open is moved aside rather than trusted.
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { silentLogger } from '../log.js';
import { KeyedSecretBox } from '../store/index.js';
import { HttpsCertificateStore, loadOrCreateTls, PENDING_KEY_FILE } from './tls.js';
import { selfSignedCertificate } from './x509.js';

const newKey = () => generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;
const pkcs8 = (k: ReturnType<typeof newKey>) => k.export({ type: 'pkcs8', format: 'pem' }).toString();

describe('HttpsCertificateStore', () => {
  let dir: string;
  const box = new KeyedSecretBox(randomBytes(32));
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tsbmc-tls-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const open = async (b = box) => {
    const initial = await loadOrCreateTls(dir, []);
    const applied: string[] = [];
    const store = new HttpsCertificateStore({ dir, box: b, initial, apply: (cert) => applied.push(cert), log: silentLogger });
    return { store, applied };
  };

  it('keeps the pending key sealed (mode 0600) and finds it again after a restart', async () => {
    const { store } = await open();
    assert.equal(store.pendingKey(), undefined);
    const key = pkcs8(newKey());
    store.setPendingKey(key);
    const file = join(dir, PENDING_KEY_FILE);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const onDisk = readFileSync(file, 'utf8');
    assert.ok(!onDisk.includes('PRIVATE KEY') && !onDisk.includes(key.split('\n')[1]!), 'sealed, not in clear');
    assert.equal((await open()).store.pendingKey(), key);
  });

  it('forgets the pending key when its certificate is installed, not when another is', async () => {
    const { store, applied } = await open();
    const pendingKey = newKey();
    store.setPendingKey(pkcs8(pendingKey));
    const other = selfSignedCertificate({ commonName: 'other', organization: 'o', hosts: ['a'], days: 5 });
    store.replace(other.certPem, other.keyPem);
    assert.equal(store.pendingKey(), pkcs8(pendingKey), 'a certificate with its own key leaves the request pending');
    const signed = selfSignedCertificate({ commonName: 'signed', organization: 'o', hosts: ['a'], days: 5, key: pendingKey });
    store.replace(signed.certPem, signed.keyPem);
    assert.deepEqual(applied, [other.certPem, signed.certPem]);
    assert.equal(store.pendingKey(), undefined);
    assert.ok(!existsSync(join(dir, PENDING_KEY_FILE)));
    assert.equal((await open()).store.pendingKey(), undefined);
    assert.equal(readFileSync(join(dir, 'tls.crt'), 'utf8'), signed.certPem);
  });

  it('moves aside a sealed key that will not open (another secret key) and starts without one', async () => {
    (await open()).store.setPendingKey(pkcs8(newKey()));
    const { store } = await open(new KeyedSecretBox(randomBytes(32)));
    assert.equal(store.pendingKey(), undefined);
    assert.ok(!existsSync(join(dir, PENDING_KEY_FILE)));
    assert.equal(readdirSync(dir).filter((f) => f.startsWith(`${PENDING_KEY_FILE}.corrupt-`)).length, 1);
    writeFileSync(join(dir, PENDING_KEY_FILE), 'v1:garbage');
    assert.equal((await open()).store.pendingKey(), undefined);
  });
});
