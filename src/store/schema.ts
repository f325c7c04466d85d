// Schema versions of stored documents and the migration table that upgrades
// older documents on load. Bump SCHEMA_VERSION and add one step per version.

/** One upgrade step: turns the data of a document at version `from` into version `from + 1`. */
export interface Migration {
  readonly from: number;
  /** What changed, for the log line written when a document is upgraded. */
  readonly description: string;
  /** Receives the document key (e.g. `bmc0/users`) so a step can touch only some documents. */
  migrate(key: string, data: unknown): unknown;
}

/** The version this build writes. */
export const SCHEMA_VERSION = 1;

/** Steps from 1 up to SCHEMA_VERSION - 1, in any order; checked when a store opens. */
export const MIGRATIONS: readonly Migration[] = [];
