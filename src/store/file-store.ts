// The persistence store: one JSON document per key in a state directory.
//
// Design: atomic snapshots. Each save writes the whole document to a temp file
// in the same directory, fsyncs it, renames it over the old file and fsyncs the
// directory, so after a crash or power cut a key holds either the old or the new
// document, never a mix, and an acknowledged save is on disk. The documents are
// small (a 1024-entry SEL is ~100 KB), so rewriting one whole costs a few ms and
// buys the simplest recovery there is: no journal to replay, nothing to compact.
// Each file is an envelope {v:1, key, version, sha256, data}; a document that does
// not parse or whose checksum fails is moved aside to NAME.corrupt-<time>, logged
// and treated as absent (the model applies defaults). `version` is the schema
// version; older documents are upgraded through the migration table on load.
// Temp files left by a crash are removed at open. One process owns a directory.
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Logger } from '../log.js';
import type { Persistence } from '../model/persist.js';
import { fsyncDir, isTempName, probeWritable, replaceFileDurable } from './durable.js';
import { errnoCode, StoreError } from './errors.js';
import type { Migration } from './schema.js';
import { MIGRATIONS, SCHEMA_VERSION } from './schema.js';

export interface FileStoreOptions {
  /** Schema version written by this build (default SCHEMA_VERSION). */
  schemaVersion?: number;
  /** Upgrade steps (default MIGRATIONS); one for each version below schemaVersion. */
  migrations?: readonly Migration[];
  /** Largest document accepted on save and load, bytes (default 16 MiB). */
  maxDocBytes?: number;
}

const ENVELOPE_FORMAT = 1;
const SEGMENT = /^[A-Za-z0-9_-]{1,64}$/;
const MAX_KEY_LENGTH = 200;
const MAX_SEGMENTS = 8;
const SHA256_HEX = /^[0-9a-f]{64}$/;

/**
 * Maps a key to its file name: segments joined by '.', plus '.json'. Segments
 * hold no dots, so the mapping is one-to-one and no name can be '..', hidden
 * (temp files start with '.'), or leave the directory.
 */
export function fileNameForKey(key: string): string {
  const segments = key.split('/');
  if (key.length > MAX_KEY_LENGTH || segments.length > MAX_SEGMENTS || !segments.every((s) => SEGMENT.test(s))) {
    throw new StoreError('DOC_KEY_INVALID', `invalid store key ${JSON.stringify(key.slice(0, MAX_KEY_LENGTH))}: want up to ${MAX_SEGMENTS} '/'-separated segments of [A-Za-z0-9_-]`);
  }
  return `${segments.join('.')}.json`;
}

function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

function envelopeText(key: string, version: number, dataText: string): string {
  return `{"v":${ENVELOPE_FORMAT},"key":${JSON.stringify(key)},"version":${version},"sha256":"${sha256Hex(dataText)}","data":${dataText}}\n`;
}

type Checked = { ok: true; version: number; dataText: string } | { ok: false; reason: string };

/** Checks an envelope; `dataText` is the canonical JSON of the data the checksum covers. */
function checkEnvelope(key: string, text: string): Checked {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    return { ok: false, reason: `not JSON: ${e instanceof Error ? e.message : String(e)}` };
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return { ok: false, reason: 'not an envelope object' };
  const env = doc as Record<string, unknown>;
  if (env.v !== ENVELOPE_FORMAT) return { ok: false, reason: `unknown envelope format ${JSON.stringify(env.v)}` };
  if (env.key !== key) return { ok: false, reason: `envelope names key ${JSON.stringify(env.key)}` };
  const version = env.version;
  if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 1) return { ok: false, reason: 'bad schema version' };
  if (typeof env.sha256 !== 'string' || !SHA256_HEX.test(env.sha256)) return { ok: false, reason: 'bad checksum field' };
  if (!('data' in env)) return { ok: false, reason: 'no data' };
  // JSON.stringify(JSON.parse(s)) === s for any s that JSON.stringify produced,
  // so re-serialising recovers exactly the bytes that were hashed on save.
  const dataText = JSON.stringify(env.data);
  if (sha256Hex(dataText) !== env.sha256) return { ok: false, reason: 'checksum mismatch' };
  return { ok: true, version, dataText };
}

function checkMigrations(current: number, migrations: readonly Migration[]): Map<number, Migration> {
  if (!Number.isSafeInteger(current) || current < 1) {
    throw new StoreError('MIGRATION_INVALID', `schema version must be a positive integer, got ${current}`);
  }
  const byFrom = new Map<number, Migration>();
  for (const m of migrations) {
    if (!Number.isSafeInteger(m.from) || m.from < 1 || m.from >= current) {
      throw new StoreError('MIGRATION_INVALID', `migration from version ${m.from} is outside 1..${current - 1}`);
    }
    if (byFrom.has(m.from)) throw new StoreError('MIGRATION_INVALID', `two migrations from version ${m.from}`);
    byFrom.set(m.from, m);
  }
  for (let v = 1; v < current; v++) {
    if (!byFrom.has(v)) throw new StoreError('MIGRATION_INVALID', `no migration from version ${v} to ${v + 1}`);
  }
  return byFrom;
}

function stamp(d: Date): string {
  return d.toISOString().replace(/[:.]/g, '-');
}

export class FileStore implements Persistence {
  /** Absolute path of the state directory. */
  readonly dir: string;
  readonly #log: Logger;
  readonly #version: number;
  readonly #migrations: Map<number, Migration>;
  readonly #maxDocBytes: number;
  /** Canonical JSON of each key's data; null = known absent. */
  readonly #cache = new Map<string, string | null>();

  private constructor(dir: string, log: Logger, version: number, migrations: Map<number, Migration>, maxDocBytes: number) {
    this.dir = dir;
    this.#log = log;
    this.#version = version;
    this.#migrations = migrations;
    this.#maxDocBytes = maxDocBytes;
  }

  /**
   * Opens (creating with mode 0700 if needed) the state directory, proves it is
   * writable, and removes temp files left by an interrupted save.
   */
  static open(dir: string, log: Logger, opts: FileStoreOptions = {}): FileStore {
    const version = opts.schemaVersion ?? SCHEMA_VERSION;
    const migrations = checkMigrations(version, opts.migrations ?? MIGRATIONS);
    const abs = resolve(dir);
    const slog = log.child('store', { dir: abs });
    try {
      mkdirSync(abs, { recursive: true, mode: 0o700 });
    } catch (e) {
      throw dirError(abs, 'cannot be created', e);
    }
    let mode: number;
    try {
      const st = statSync(abs);
      if (!st.isDirectory()) throw new StoreError('STATE_DIR_INVALID', `state directory ${abs} is not a directory`, { path: abs });
      mode = st.mode;
    } catch (e) {
      if (e instanceof StoreError) throw e;
      throw dirError(abs, 'cannot be examined', e);
    }
    if ((mode & 0o077) !== 0) slog.warn('state directory is accessible by group/other; 0700 recommended', { mode: (mode & 0o777).toString(8) });
    let names: string[];
    try {
      names = readdirSync(abs);
      let removed = 0;
      for (const name of names) {
        if (!isTempName(name)) continue;
        unlinkSync(join(abs, name));
        removed++;
      }
      if (removed > 0) {
        fsyncDir(abs);
        slog.info('removed temp files left by an interrupted save', { count: removed });
      }
      probeWritable(abs);
    } catch (e) {
      throw dirError(abs, 'is not writable', e);
    }
    return new FileStore(abs, slog, version, migrations, opts.maxDocBytes ?? 16 * 1024 * 1024);
  }

  load(key: string): unknown {
    const name = fileNameForKey(key);
    let text = this.#cache.get(key);
    if (text === undefined) {
      text = this.#read(key, name);
      this.#cache.set(key, text);
    }
    // A fresh parse per load: callers may mutate what they get without touching the cache.
    return text === null ? undefined : JSON.parse(text);
  }

  save(key: string, value: unknown): void {
    const name = fileNameForKey(key);
    let text: string | undefined;
    try {
      text = JSON.stringify(value);
    } catch (e) {
      throw new StoreError('DOC_VALUE_INVALID', `value for ${key} is not JSON-serialisable`, { cause: e });
    }
    if (text === undefined) throw new StoreError('DOC_VALUE_INVALID', `value for ${key} is not JSON-serialisable`);
    this.#write(key, name, this.#version, text);
    this.#cache.set(key, text);
  }

  #write(key: string, name: string, version: number, dataText: string): void {
    const body = Buffer.from(envelopeText(key, version, dataText), 'utf8');
    if (body.length > this.#maxDocBytes) {
      throw new StoreError('DOC_VALUE_INVALID', `document ${key} is ${body.length} bytes, over the ${this.#maxDocBytes}-byte limit`);
    }
    const t0 = this.#log.enabled('debug') ? performance.now() : 0;
    try {
      replaceFileDurable(this.dir, name, body);
    } catch (e) {
      throw new StoreError('WRITE_FAILED', `cannot save ${key} to ${join(this.dir, name)}: ${errnoCode(e) ?? String(e)}`, { path: join(this.dir, name), cause: e });
    }
    if (t0 !== 0) this.#log.debug('saved', { doc: key, bytes: body.length, ms: +(performance.now() - t0).toFixed(2) });
  }

  /** Reads, verifies and upgrades one document; null when absent or quarantined. */
  #read(key: string, name: string): string | null {
    const path = join(this.dir, name);
    let raw: Buffer;
    try {
      if (statSync(path).size > this.#maxDocBytes) return this.#quarantine(key, name, 'larger than the document limit');
      raw = readFileSync(path);
    } catch (e) {
      if (errnoCode(e) === 'ENOENT') return null;
      throw new StoreError('READ_FAILED', `cannot read ${path}: ${errnoCode(e) ?? String(e)}`, { path, cause: e });
    }
    const checked = checkEnvelope(key, raw.toString('utf8'));
    if (!checked.ok) return this.#quarantine(key, name, checked.reason);
    if (checked.version > this.#version) {
      throw new StoreError('SCHEMA_TOO_NEW', `${path} has schema version ${checked.version}; this build knows up to ${this.#version}`, { path });
    }
    if (checked.version === this.#version) return checked.dataText;
    return this.#migrate(key, name, checked.version, checked.dataText);
  }

  #migrate(key: string, name: string, from: number, dataText: string): string {
    let data: unknown = JSON.parse(dataText);
    for (let v = from; v < this.#version; v++) {
      const step = this.#migrations.get(v);
      if (!step) throw new StoreError('MIGRATION_INVALID', `no migration from version ${v}`);
      try {
        data = step.migrate(key, data);
      } catch (e) {
        throw new StoreError('MIGRATION_FAILED', `migrating ${key} from version ${v} failed`, { cause: e });
      }
    }
    let text: string | undefined;
    try {
      text = JSON.stringify(data);
    } catch (e) {
      throw new StoreError('MIGRATION_FAILED', `migrating ${key} produced a value that is not JSON`, { cause: e });
    }
    if (text === undefined) throw new StoreError('MIGRATION_FAILED', `migrating ${key} produced no value`);
    // Written back at once so the upgrade happens once, not on every start.
    this.#write(key, name, this.#version, text);
    this.#log.info('migrated document', { doc: key, from, to: this.#version });
    return text;
  }

  /** Moves a bad document aside so it can be inspected, and reports it absent. */
  #quarantine(key: string, name: string, reason: string): null {
    const base = `${name}.corrupt-${stamp(new Date())}`;
    let aside = base;
    for (let i = 1; existsSync(join(this.dir, aside)); i++) aside = `${base}-${i}`;
    try {
      renameSync(join(this.dir, name), join(this.dir, aside));
      fsyncDir(this.dir);
    } catch (e) {
      throw new StoreError('WRITE_FAILED', `cannot move corrupt ${join(this.dir, name)} aside: ${errnoCode(e) ?? String(e)}`, { path: join(this.dir, name), cause: e });
    }
    this.#log.error('corrupt document moved aside; using defaults', { doc: key, reason, movedTo: aside });
    return null;
  }
}

function dirError(dir: string, what: string, e: unknown): StoreError {
  const code = errnoCode(e);
  const invalid = code === 'ENOTDIR' || code === 'EEXIST' || code === 'ENAMETOOLONG' || code === 'ELOOP';
  return new StoreError(
    invalid ? 'STATE_DIR_INVALID' : 'STATE_DIR_UNWRITABLE',
    `state directory ${dir} ${what}: ${code ?? (e instanceof Error ? e.message : String(e))}`,
    { path: dir, cause: e },
  );
}
