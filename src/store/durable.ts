// Durable file primitives shared by the document store and the key file:
// write a temp file in the target directory, fsync it, then publish it with
// rename (replace) or link (create-exclusive), then fsync the directory so
// the new name itself survives a power cut (POSIX rename(2), fsync(2)).
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, linkSync, openSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Temp names start with a dot so they never look like a document or the key file. */
const TEMP_NAME = /^\..+\.tmp-\d+-[0-9a-f]{12}$/;

export function isTempName(name: string): boolean {
  return TEMP_NAME.test(name);
}

function tempName(name: string): string {
  return `.${name}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`;
}

/** fsyncs a directory so that entries created or renamed in it are durable. */
export function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function unlinkQuiet(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // Already gone, or the directory itself failed; the caller reports the first error.
  }
}

/** Writes `data` to a new temp file (O_EXCL, `mode`) in `dir` and fsyncs it; returns its path. */
function writeTemp(dir: string, name: string, data: Uint8Array, mode: number): string {
  const tmp = join(dir, tempName(name));
  const fd = openSync(tmp, 'wx', mode);
  try {
    writeFileSync(fd, data);
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    unlinkQuiet(tmp);
    throw e;
  }
  closeSync(fd);
  return tmp;
}

/** Atomically replaces `dir/name` with `data`: after return the new content is on disk. */
export function replaceFileDurable(dir: string, name: string, data: Uint8Array, mode = 0o600): void {
  const tmp = writeTemp(dir, name, data, mode);
  try {
    renameSync(tmp, join(dir, name));
  } catch (e) {
    unlinkQuiet(tmp);
    throw e;
  }
  fsyncDir(dir);
}

/**
 * Creates `dir/name` with `data` only if it does not exist (EEXIST otherwise).
 * link(2) publishes a fully written file, so a crash never leaves a short one.
 */
export function createFileDurable(dir: string, name: string, data: Uint8Array, mode = 0o600): void {
  const tmp = writeTemp(dir, name, data, mode);
  try {
    linkSync(tmp, join(dir, name));
  } finally {
    unlinkQuiet(tmp);
  }
  fsyncDir(dir);
}

/** Creates and removes a temp file in `dir`: proves the directory is writable now. */
export function probeWritable(dir: string): void {
  unlinkSync(writeTemp(dir, 'probe', new Uint8Array([0x0a]), 0o600));
}
