// Keyed sealing of secrets kept at rest (IPMI user passwords, which RAKP needs
// in clear and so cannot be hashed): AES-256-GCM with a random 96-bit IV per
// seal (NIST SP 800-38D 8.2.2), output `v1:` + base64(iv | tag | ciphertext).
// The 32-byte key lives in its own file, mode 0600, created exclusively.
import { createCipheriv, createDecipheriv, createSecretKey, randomBytes } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { SecretBox } from '../model/users.js';
import { createFileDurable } from './durable.js';
import { errnoCode, StoreError } from './errors.js';

const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const PREFIX = 'v1:';
/** Binds sealed values to this use, so a GCM blob made for something else never opens here. */
const AAD = Buffer.from('tsbmc secret-box v1', 'ascii');
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Reads the key file, refusing one that group/other could read. */
function readKeyFile(path: string): Buffer {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    if (errnoCode(e) === 'ENOENT') throw e;
    throw new StoreError('KEY_FILE_INVALID', `cannot open key file ${path}: ${errnoCode(e) ?? String(e)}`, { path, cause: e });
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new StoreError('KEY_PERMISSIONS', `key file ${path} is not a regular file`, { path });
    if ((st.mode & 0o077) !== 0) {
      throw new StoreError('KEY_PERMISSIONS', `key file ${path} has mode ${(st.mode & 0o777).toString(8)}; it must not be accessible by group/other (chmod 600)`, { path });
    }
    if (st.size !== KEY_BYTES) throw new StoreError('KEY_FILE_INVALID', `key file ${path} is ${st.size} bytes, want ${KEY_BYTES}`, { path });
    const key = Buffer.alloc(KEY_BYTES);
    if (readSync(fd, key, 0, KEY_BYTES, 0) !== KEY_BYTES) throw new StoreError('KEY_FILE_INVALID', `short read of key file ${path}`, { path });
    return key;
  } finally {
    closeSync(fd);
  }
}

export class KeyedSecretBox implements SecretBox {
  readonly #key: KeyObject;

  /** Takes a 32-byte key; the caller may zero its copy afterwards. */
  constructor(key: Uint8Array) {
    if (key.length !== KEY_BYTES) throw new StoreError('KEY_FILE_INVALID', `secret key must be ${KEY_BYTES} bytes, got ${key.length}`);
    this.#key = createSecretKey(Buffer.from(key));
  }

  /**
   * Opens the key at `path`, creating a random one on first start. Creation
   * writes a temp file and link(2)s it into place, so it is exclusive (like
   * O_EXCL) and never leaves a partly written key; if another process wins the
   * race its key is used.
   */
  static openOrCreate(path: string): KeyedSecretBox {
    let key: Buffer;
    try {
      key = readKeyFile(path);
    } catch (e) {
      if (errnoCode(e) !== 'ENOENT') throw e;
      const fresh = randomBytes(KEY_BYTES);
      try {
        createFileDurable(dirname(path), basename(path), fresh, 0o600);
      } catch (ce) {
        if (errnoCode(ce) !== 'EEXIST') {
          fresh.fill(0);
          throw new StoreError('KEY_FILE_INVALID', `cannot create key file ${path}: ${errnoCode(ce) ?? String(ce)}`, { path, cause: ce });
        }
      }
      fresh.fill(0);
      key = readKeyFile(path);
    }
    try {
      return new KeyedSecretBox(key);
    } finally {
      key.fill(0);
    }
  }

  seal(plain: Uint8Array): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(AAD);
    const ct = Buffer.concat([cipher.update(plain), cipher.final()]);
    return PREFIX + Buffer.concat([iv, cipher.getAuthTag(), ct]).toString('base64');
  }

  open(sealed: string): Uint8Array {
    if (!sealed.startsWith(PREFIX)) throw new StoreError('SECRET_MALFORMED', 'sealed secret does not start with v1:');
    const b64 = sealed.slice(PREFIX.length);
    if (b64.length % 4 !== 0 || !BASE64.test(b64)) throw new StoreError('SECRET_MALFORMED', 'sealed secret is not base64');
    const raw = Buffer.from(b64, 'base64');
    if (raw.length < IV_BYTES + TAG_BYTES) throw new StoreError('SECRET_MALFORMED', 'sealed secret is too short');
    const decipher = createDecipheriv('aes-256-gcm', this.#key, raw.subarray(0, IV_BYTES), { authTagLength: TAG_BYTES });
    decipher.setAAD(AAD);
    decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    const head = decipher.update(raw.subarray(IV_BYTES + TAG_BYTES));
    try {
      const plain = Buffer.concat([head, decipher.final()]);
      return new Uint8Array(plain.buffer, plain.byteOffset, plain.length);
    } catch (e) {
      head.fill(0);
      throw new StoreError('SECRET_TAMPERED', 'sealed secret failed authentication (tampered, or sealed under another key)', { cause: e });
    }
  }
}
