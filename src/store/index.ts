// The persistence module: the file-backed document store, the keyed secret
// box for passwords at rest, their error catalogue and the schema table.
export { FileStore, fileNameForKey } from './file-store.js';
export type { FileStoreOptions } from './file-store.js';
export { KeyedSecretBox } from './secret-box.js';
export { StoreError } from './errors.js';
export type { StoreErrorCode } from './errors.js';
export { MIGRATIONS, SCHEMA_VERSION } from './schema.js';
export type { Migration } from './schema.js';
