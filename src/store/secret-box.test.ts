// KeyedSecretBox: round trip, format, tamper detection, key file creation and permissions.
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { StoreError } from './errors.js';
import { KeyedSecretBox } from './secret-box.js';

const root = mkdtempSync(join(tmpdir(), 'tsbmc-box-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const keyPath = (): string => join(root, `k${n++}`, 'secret.key');
const mk = (p: string): string => {
  mkdirSync(join(p, '..'), { recursive: true, mode: 0o700 });
  return p;
};

function isStoreError(code: string): (e: unknown) => boolean {
  return (e) => {
    assert.ok(e instanceof StoreError, `expected StoreError, got ${String(e)}`);
    assert.equal(e.code, code);
    return true;
  };
}

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('KeyedSecretBox', () => {
  test('first start creates a 32-byte key file with mode 0600; later starts reuse it', () => {
    const p = mk(keyPath());
    const a = KeyedSecretBox.openOrCreate(p);
    const st = statSync(p);
    assert.equal(st.mode & 0o777, 0o600);
    assert.equal(st.size, 32);
    const sealed = a.seal(enc('hunter2'));
    const b = KeyedSecretBox.openOrCreate(p);
    assert.deepEqual(Buffer.from(b.open(sealed)), Buffer.from('hunter2'));
  });

  test('seal is v1: + base64(iv|tag|ct), fresh IV each time, empty and 20-byte secrets', () => {
    const box = KeyedSecretBox.openOrCreate(mk(keyPath()));
    const pw = new Uint8Array(20).fill(0x41);
    const s1 = box.seal(pw);
    const s2 = box.seal(pw);
    assert.notEqual(s1, s2);
    assert.match(s1, /^v1:[A-Za-z0-9+/]+={0,2}$/);
    assert.equal(Buffer.from(s1.slice(3), 'base64').length, 12 + 16 + 20);
    assert.ok(!s1.includes(Buffer.from(pw).toString('base64')));
    assert.deepEqual(box.open(s1), pw);
    assert.deepEqual(box.open(box.seal(new Uint8Array(0))), new Uint8Array(0));
  });

  test('tampered, truncated or foreign-key input throws SECRET_TAMPERED / SECRET_MALFORMED', () => {
    const box = KeyedSecretBox.openOrCreate(mk(keyPath()));
    const sealed = box.seal(enc('secret'));
    const raw = Buffer.from(sealed.slice(3), 'base64');
    for (let i = 0; i < raw.length; i++) {
      const bad = Buffer.from(raw);
      bad[i] = bad[i]! ^ 0x01;
      assert.throws(() => box.open('v1:' + bad.toString('base64')), isStoreError('SECRET_TAMPERED'), `byte ${i}`);
    }
    assert.throws(() => box.open('v1:' + raw.subarray(0, raw.length - 1).toString('base64')), isStoreError('SECRET_TAMPERED'));
    const other = KeyedSecretBox.openOrCreate(mk(keyPath()));
    assert.throws(() => other.open(sealed), isStoreError('SECRET_TAMPERED'));
    for (const s of ['', 'secret', 'v2:' + raw.toString('base64'), 'v1:***', 'v1:abc', 'v1:' + raw.subarray(0, 27).toString('base64')]) {
      assert.throws(() => box.open(s), isStoreError('SECRET_MALFORMED'), s);
    }
  });

  test('a key file readable by group/other is refused with KEY_PERMISSIONS', () => {
    const p = mk(keyPath());
    KeyedSecretBox.openOrCreate(p);
    for (const mode of [0o640, 0o604, 0o644, 0o660]) {
      chmodSync(p, mode);
      assert.throws(() => KeyedSecretBox.openOrCreate(p), (e) => isStoreError('KEY_PERMISSIONS')(e) && (e as StoreError).message.includes(p));
    }
    chmodSync(p, 0o400);
    KeyedSecretBox.openOrCreate(p);
  });

  test('a key file of the wrong size is KEY_FILE_INVALID, and is never overwritten', () => {
    const p = mk(keyPath());
    writeFileSync(p, Buffer.alloc(16), { mode: 0o600 });
    assert.throws(() => KeyedSecretBox.openOrCreate(p), isStoreError('KEY_FILE_INVALID'));
    assert.equal(readFileSync(p).length, 16);
    assert.throws(() => KeyedSecretBox.openOrCreate(join(root, 'missing-dir', 'secret.key')), isStoreError('KEY_FILE_INVALID'));
  });
});
