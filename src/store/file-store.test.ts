// FileStore: round trip, cache, crash leftovers, corruption quarantine, key
// validation, state-directory errors, schema migration, save timing.
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { createLogger } from '../log.js';
import type { Logger } from '../log.js';
import { StoreError } from './errors.js';
import { FileStore, fileNameForKey } from './file-store.js';
import type { Migration } from './schema.js';

const root = mkdtempSync(join(tmpdir(), 'tsbmc-store-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const freshDir = (): string => join(root, `s${n++}`);

function capture(): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  return { log: createLogger({ level: 'info', format: 'json', sink: (l) => lines.push(l) }), lines };
}

function isStoreError(code: string): (e: unknown) => boolean {
  return (e) => {
    assert.ok(e instanceof StoreError, `expected StoreError, got ${String(e)}`);
    assert.equal(e.code, code);
    return true;
  };
}

describe('FileStore', () => {
  test('round trip across reopen, absent keys are undefined', () => {
    const dir = freshDir();
    const doc = { users: [{ id: 2, name: 'admin', password: 'v1:xx' }], n: 1.5, s: 'é\u2028"\\', nil: null };
    const a = FileStore.open(dir, capture().log);
    assert.equal(a.load('bmc0/users'), undefined);
    a.save('bmc0/users', doc);
    a.save('bmc0/host/0/sel', [1, 2, 3]);
    assert.deepEqual(a.load('bmc0/users'), doc);
    const b = FileStore.open(dir, capture().log);
    assert.deepEqual(b.load('bmc0/users'), doc);
    assert.deepEqual(b.load('bmc0/host/0/sel'), [1, 2, 3]);
    assert.equal(b.load('bmc0/lan/1'), undefined);
    assert.equal(statSync(dir).mode & 0o777, 0o700);
    assert.deepEqual(readdirSync(dir).sort(), ['bmc0.host.0.sel.json', 'bmc0.users.json']);
  });

  test('load after save is served from memory and returns a private copy', () => {
    const dir = freshDir();
    const s = FileStore.open(dir, capture().log);
    s.save('k', { a: [1] });
    rmSync(join(dir, 'k.json'));
    const v = s.load('k') as { a: number[] };
    assert.deepEqual(v, { a: [1] });
    v.a.push(2);
    assert.deepEqual(s.load('k'), { a: [1] });
  });

  test('envelope carries format, key, schema version and checksum', () => {
    const dir = freshDir();
    FileStore.open(dir, capture().log).save('bmc0/lan/1', { ip: '10.0.0.2' });
    const env = JSON.parse(readFileSync(join(dir, 'bmc0.lan.1.json'), 'utf8')) as Record<string, unknown>;
    assert.equal(env.v, 1);
    assert.equal(env.key, 'bmc0/lan/1');
    assert.equal(env.version, 1);
    assert.match(String(env.sha256), /^[0-9a-f]{64}$/);
    assert.deepEqual(env.data, { ip: '10.0.0.2' });
  });

  test('crash leftovers: temp files removed, garbage and truncated documents moved aside, defaults used', () => {
    const dir = freshDir();
    const s = FileStore.open(dir, capture().log);
    s.save('bmc0/users', { ok: true });
    s.save('bmc0/host/0/sel', { entries: [1, 2, 3] });
    s.save('bmc0/lan/1', { ip: 'x' });
    const full = readFileSync(join(dir, 'bmc0.host.0.sel.json'), 'utf8');
    writeFileSync(join(dir, 'bmc0.host.0.sel.json'), full.slice(0, full.length - 9));
    writeFileSync(join(dir, 'bmc0.lan.1.json'), '\0\0\0garbage');
    writeFileSync(join(dir, '.bmc0.users.json.tmp-4242-0123456789ab'), '{"v":1,"key":"bmc0/us');

    const { log, lines } = capture();
    const t = FileStore.open(dir, log);
    assert.ok(!readdirSync(dir).some((f) => f.includes('.tmp-')), 'temp file removed');
    assert.deepEqual(t.load('bmc0/users'), { ok: true });
    assert.equal(t.load('bmc0/host/0/sel'), undefined);
    assert.equal(t.load('bmc0/lan/1'), undefined);
    const names = readdirSync(dir);
    assert.ok(names.some((f) => /^bmc0\.host\.0\.sel\.json\.corrupt-/.test(f)));
    assert.ok(names.some((f) => /^bmc0\.lan\.1\.json\.corrupt-/.test(f)));
    assert.ok(!names.includes('bmc0.lan.1.json'));
    const errors = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((r) => r.level === 'error');
    assert.equal(errors.length, 2);
    assert.ok(errors.every((r) => r.msg === 'corrupt document moved aside; using defaults'));
    // The defaults can be saved over the quarantined document.
    t.save('bmc0/lan/1', { ip: 'y' });
    assert.deepEqual(FileStore.open(dir, capture().log).load('bmc0/lan/1'), { ip: 'y' });
  });

  test('valid JSON with a bad checksum, wrong key or no envelope is quarantined', () => {
    const dir = freshDir();
    const s = FileStore.open(dir, capture().log);
    s.save('a', { n: 1 });
    s.save('b', { n: 2 });
    const text = readFileSync(join(dir, 'a.json'), 'utf8');
    writeFileSync(join(dir, 'a.json'), text.replace('"n":1', '"n":7'));
    writeFileSync(join(dir, 'b.json'), text);
    writeFileSync(join(dir, 'c.json'), '{"n":3}');
    const t = FileStore.open(dir, capture().log);
    assert.equal(t.load('a'), undefined);
    assert.equal(t.load('b'), undefined);
    assert.equal(t.load('c'), undefined);
    assert.equal(readdirSync(dir).filter((f) => f.includes('.corrupt-')).length, 3);
  });

  test('path traversal and malformed keys are rejected', () => {
    const s = FileStore.open(freshDir(), capture().log);
    for (const key of ['', '..', '../x', 'a/../b', 'a/./b', '/abs', 'a/', 'a//b', 'a\0b', 'a\\b', 'a.json', '.hidden', 'a b', 'é', 'x'.repeat(201), 'a/b/c/d/e/f/g/h/i']) {
      assert.throws(() => s.save(key, 1), isStoreError('DOC_KEY_INVALID'), JSON.stringify(key));
      assert.throws(() => s.load(key), isStoreError('DOC_KEY_INVALID'), JSON.stringify(key));
    }
    assert.equal(fileNameForKey('bmc0/host/0/sel'), 'bmc0.host.0.sel.json');
    assert.equal(fileNameForKey('Bmc_0/lan-1'), 'Bmc_0.lan-1.json');
  });

  test('values that are not JSON are refused without touching the stored one', () => {
    const dir = freshDir();
    const s = FileStore.open(dir, capture().log);
    s.save('k', 1);
    assert.throws(() => s.save('k', undefined), isStoreError('DOC_VALUE_INVALID'));
    assert.throws(() => s.save('k', 10n), isStoreError('DOC_VALUE_INVALID'));
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    assert.throws(() => s.save('k', cyclic), isStoreError('DOC_VALUE_INVALID'));
    const small = FileStore.open(dir, capture().log, { maxDocBytes: 100 });
    assert.throws(() => small.save('k', 'x'.repeat(200)), isStoreError('DOC_VALUE_INVALID'));
    assert.equal(FileStore.open(dir, capture().log).load('k'), 1);
  });

  test('a state directory that is a file, or under a file, is STATE_DIR_INVALID naming the path', () => {
    const file = join(root, `plain-${n++}`);
    writeFileSync(file, 'x');
    assert.throws(() => FileStore.open(file, capture().log), (e) => isStoreError('STATE_DIR_INVALID')(e) && (e as StoreError).message.includes(file));
    const under = join(file, 'state');
    assert.throws(() => FileStore.open(under, capture().log), (e) => isStoreError('STATE_DIR_INVALID')(e) && (e as StoreError).message.includes(under));
  });

  test('a state directory without write permission is STATE_DIR_UNWRITABLE', { skip: process.getuid?.() === 0 ? 'root ignores permissions' : false }, () => {
    const dir = freshDir();
    FileStore.open(dir, capture().log);
    chmodSync(dir, 0o500);
    try {
      assert.throws(() => FileStore.open(dir, capture().log), isStoreError('STATE_DIR_UNWRITABLE'));
      assert.throws(() => FileStore.open(join(dir, 'sub'), capture().log), isStoreError('STATE_DIR_UNWRITABLE'));
    } finally {
      chmodSync(dir, 0o700);
    }
  });

  test('migration: version-1 documents are upgraded on load and written back', () => {
    const dir = freshDir();
    FileStore.open(dir, capture().log).save('bmc0/users', [{ id: 2, name: 'admin' }]);
    FileStore.open(dir, capture().log).save('bmc0/lan/1', { ip: '10.0.0.2' });
    // Sample step: version 2 adds a per-user `enabled` flag, defaulting to true.
    let calls = 0;
    const addEnabled: Migration = {
      from: 1,
      description: 'users gain an enabled flag',
      migrate(key, data) {
        calls++;
        if (key.endsWith('/users') && Array.isArray(data)) return data.map((u: Record<string, unknown>) => ({ enabled: true, ...u }));
        return data;
      },
    };
    const { log, lines } = capture();
    const v2 = FileStore.open(dir, log, { schemaVersion: 2, migrations: [addEnabled] });
    assert.deepEqual(v2.load('bmc0/users'), [{ enabled: true, id: 2, name: 'admin' }]);
    assert.deepEqual(v2.load('bmc0/lan/1'), { ip: '10.0.0.2' });
    assert.equal(calls, 2);
    assert.ok(lines.some((l) => l.includes('migrated document')));
    const env = JSON.parse(readFileSync(join(dir, 'bmc0.users.json'), 'utf8')) as { version: number };
    assert.equal(env.version, 2);
    FileStore.open(dir, capture().log, { schemaVersion: 2, migrations: [addEnabled] }).load('bmc0/users');
    assert.equal(calls, 2, 'not migrated twice');
    // A build that only knows version 1 refuses rather than misreads.
    assert.throws(() => FileStore.open(dir, capture().log).load('bmc0/users'), isStoreError('SCHEMA_TOO_NEW'));
  });

  test('migration table must cover every step; a throwing step is MIGRATION_FAILED', () => {
    const dir = freshDir();
    const step = (from: number): Migration => ({ from, description: '', migrate: (_k, d) => d });
    assert.throws(() => FileStore.open(dir, capture().log, { schemaVersion: 3, migrations: [step(1)] }), isStoreError('MIGRATION_INVALID'));
    assert.throws(() => FileStore.open(dir, capture().log, { schemaVersion: 2, migrations: [step(1), step(1)] }), isStoreError('MIGRATION_INVALID'));
    assert.throws(() => FileStore.open(dir, capture().log, { schemaVersion: 2, migrations: [step(2)] }), isStoreError('MIGRATION_INVALID'));
    FileStore.open(dir, capture().log).save('k', 1);
    const boom: Migration = { from: 1, description: '', migrate: () => { throw new Error('boom'); } };
    assert.throws(() => FileStore.open(dir, capture().log, { schemaVersion: 2, migrations: [boom] }).load('k'), isStoreError('MIGRATION_FAILED'));
    assert.equal(FileStore.open(dir, capture().log).load('k'), 1, 'original kept');
  });

  test('timing: a 1024-entry SEL document (~100 KB)', (t) => {
    const s = FileStore.open(freshDir(), capture().log);
    const sel = Array.from({ length: 1024 }, (_, i) => ({ id: i + 1, type: 2, ts: 1_700_000_000 + i, gen: 0x20, sensorType: 1, sensor: 0x30 + (i % 16), dir: 'assert', data: [i & 0xff, 0xff, 0xff] }));
    const bytes = JSON.stringify(sel).length;
    const times: number[] = [];
    for (let i = 0; i < 20; i++) {
      sel[0]!.ts++;
      const t0 = performance.now();
      s.save('bmc0/host/0/sel', sel);
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    t.diagnostic(`SEL ${bytes} bytes: save median ${times[10]!.toFixed(2)} ms, max ${times[19]!.toFixed(2)} ms`);
    assert.ok(bytes > 90_000);
  });
});
