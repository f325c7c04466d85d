// Typed failures of the persistence store and the secret box: one catalogue
// of stable codes the daemon reports (never match on message text).

export type StoreErrorCode =
  /** The state directory cannot be created or written (permissions, read-only fs). */
  | 'STATE_DIR_UNWRITABLE'
  /** The state directory path is unusable (a regular file, under a regular file). */
  | 'STATE_DIR_INVALID'
  /** A document key is not of the form `seg/seg/...` with segments [A-Za-z0-9_-]. */
  | 'DOC_KEY_INVALID'
  /** A value cannot be stored as JSON, or is larger than the document limit. */
  | 'DOC_VALUE_INVALID'
  /** A document could not be read for a reason other than absence or corruption. */
  | 'READ_FAILED'
  /** A document could not be written durably; the previous version is intact. */
  | 'WRITE_FAILED'
  /** A document was written by a newer schema than this build knows. */
  | 'SCHEMA_TOO_NEW'
  /** The migration table does not cover every step up to the current version. */
  | 'MIGRATION_INVALID'
  /** A migration step threw or produced a value that is not JSON. */
  | 'MIGRATION_FAILED'
  /** The secret key file is readable by group/other, or not a regular file. */
  | 'KEY_PERMISSIONS'
  /** The secret key file has the wrong size or cannot be read or created. */
  | 'KEY_FILE_INVALID'
  /** A sealed secret is not of the form `v1:<base64>` or is too short. */
  | 'SECRET_MALFORMED'
  /** A sealed secret fails authentication (tampered, or sealed under another key). */
  | 'SECRET_TAMPERED';

export class StoreError extends Error {
  readonly code: StoreErrorCode;
  /** The file or directory concerned, when there is one. */
  readonly path: string | undefined;

  constructor(code: StoreErrorCode, message: string, opts: { path?: string; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'StoreError';
    this.code = code;
    this.path = opts.path;
  }
}

/** The `code` of a Node system error (ENOENT, EACCES, ...), if it is one. */
export function errnoCode(e: unknown): string | undefined {
  if (typeof e === 'object' && e !== null && 'code' in e && typeof e.code === 'string') return e.code;
  return undefined;
}
