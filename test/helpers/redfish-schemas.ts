// Validation of Redfish bodies against DMTF's published JSON schemas
// (DSP8010 bundle in ../shared/redfish/json-schema beside the project) and a
// generic walker of a service's resource tree (DSP0266 "Resource tree"):
// follows every @odata.id, collections' Members, @Redfish.ActionInfo and
// registry file locations, fetching each resource once.
//
// The schemas are draft-07 with Redfish's own keywords (readonly,
// longDescription, units, requiredOnCreate, ...): ajv runs with
// strict: false so they are ignored as annotations, and every file is
// registered under its $id so cross-file $refs resolve offline.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import AjvModule from 'ajv';
import type { ErrorObject, ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';

const Ajv = AjvModule.default;
const addFormats = addFormatsModule.default;

/**
 * The DMTF schema directory: $TSBMC_REDFISH_SCHEMAS, else
 * ../shared/redfish/json-schema beside the repository (from
 * dist/test/helpers/ that is four levels up).
 */
export function schemaDir(): string {
  const dir = process.env.TSBMC_REDFISH_SCHEMAS ?? fileURLToPath(new URL('../../../../shared/redfish/json-schema/', import.meta.url));
  if (!existsSync(join(dir, 'odata-v4.json'))) {
    throw new Error(
      `DMTF Redfish JSON schemas not found in ${dir}: the schema tests need the DSP8010 bundle there ` +
        '(../shared/redfish/json-schema beside the project) or in $TSBMC_REDFISH_SCHEMAS',
    );
  }
  return dir;
}

export interface JsonBody {
  [key: string]: unknown;
}

const SCHEMA_BASE = 'http://redfish.dmtf.org/schemas/v1/';

/** The schema file an @odata.type names: "#X.v1_2_3.X" → X.v1_2_3.json, "#XCollection.XCollection" → XCollection.json. */
export function schemaFileFor(odataType: string): string | undefined {
  const m = /^#([A-Za-z0-9]+)\.(v\d+_\d+_\d+)\.([A-Za-z0-9]+)$/.exec(odataType);
  if (m) return `${m[1]}.${m[2]}.json`;
  const u = /^#([A-Za-z0-9]+)\.([A-Za-z0-9]+)$/.exec(odataType);
  if (u) return `${u[1]}.json`;
  return undefined;
}

/** Every DMTF schema, compiled on demand. */
export class RedfishSchemas {
  readonly dir: string;
  readonly #ajv: InstanceType<typeof Ajv>;
  readonly #compiled = new Map<string, ValidateFunction>();
  readonly #files: Set<string>;
  /** Schemas referenced but not in the bundle, accepted as anything. */
  readonly unbundled: string[] = [];

  constructor(dir = schemaDir()) {
    this.dir = dir;
    this.#ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false, unicodeRegExp: false, logger: false, inlineRefs: false });
    addFormats(this.#ajv);
    this.#files = new Set(readdirSync(dir).filter((f) => f.endsWith('.json')));
    const refs = new Set<string>();
    for (const f of this.#files) {
      const text = readFileSync(join(dir, f), 'utf8');
      for (const m of text.matchAll(/"\$ref": "(https?:[^"#]+)(#[^"]*)?"/g)) refs.add(`${m[1]}${m[2] ?? ''}`);
      const schema = JSON.parse(text) as { $id?: string; $schema?: string; definitions?: Record<string, unknown> };
      // the Redfish meta-schema is draft-07 plus annotations; validate as draft-07.
      // Files are keyed by their name: odata-v4.json carries the $id of
      // odata.v4_0_5.json, and $refs name the file.
      delete schema.$schema;
      delete schema.$id;
      if (!/\.v\d+_\d+_\d+\.json$/.test(f)) linksOnly(schema);
      this.#ajv.addSchema(schema, SCHEMA_BASE + f);
    }
    // Schemas outside the bundle (Swordfish's Volume, ...) become
    // permissive stubs holding the definitions referred to.
    const stubs = new Map<string, Set<string>>();
    for (const r of refs) {
      const [base = '', pointer = ''] = r.split('#');
      if (base.startsWith(SCHEMA_BASE) && this.#files.has(base.slice(SCHEMA_BASE.length))) continue;
      const defs = stubs.get(base) ?? new Set<string>();
      const name = /^\/definitions\/([^/]+)$/.exec(pointer)?.[1];
      if (name) defs.add(name);
      stubs.set(base, defs);
    }
    for (const [base, defs] of stubs) {
      this.#ajv.addSchema({ definitions: Object.fromEntries([...defs].map((d) => [d, {}])) }, base);
      this.unbundled.push(base);
    }
  }

  has(file: string): boolean {
    return this.#files.has(file);
  }

  /** A validator for a schema file, or for a definition inside it ("Message.v1_1_1.json#/definitions/Message"). */
  validator(ref: string): ValidateFunction {
    let v = this.#compiled.get(ref);
    if (!v) {
      v = this.#ajv.getSchema(SCHEMA_BASE + ref);
      if (!v) throw new Error(`no schema ${ref}`);
      this.#compiled.set(ref, v);
    }
    return v;
  }

  /** Problems of a resource body against the schema its @odata.type names (empty when valid). */
  validate(body: JsonBody): string[] {
    const type = body['@odata.type'];
    if (typeof type !== 'string') return ['no @odata.type'];
    const file = schemaFileFor(type);
    if (!file) return [`@odata.type ${type} is not of the form #Namespace.vX_Y_Z.Type or #TypeCollection.TypeCollection`];
    const found = this.has(file) ? file : this.errataOf(file);
    if (!found) return [`@odata.type ${type}: no DMTF schema ${file}`];
    return this.check(found, body);
  }

  /**
   * The bundle keeps only the newest errata of each minor version: for a
   * missing X.v1_1_1.json, the newest X.v1_1_N.json (errata releases do not
   * change which payloads are valid).
   */
  errataOf(file: string): string | undefined {
    const m = /^(.+)\.v(\d+)_(\d+)_\d+\.json$/.exec(file);
    if (!m) return undefined;
    const prefix = `${m[1]}.v${m[2]}_${m[3]}_`;
    const candidates = [...this.#files].filter((f) => f.startsWith(prefix) && /^\d+\.json$/.test(f.slice(prefix.length)));
    return candidates.sort((a, b) => Number.parseInt(b.slice(prefix.length), 10) - Number.parseInt(a.slice(prefix.length), 10))[0];
  }

  /** Problems of a value against a schema reference. */
  check(ref: string, value: unknown): string[] {
    const v = this.validator(ref);
    if (v(value)) return [];
    return dedupe((v.errors ?? []).map(describeError));
  }
}

const ID_REF = `${SCHEMA_BASE}odata-v4.json#/definitions/idRef`;

/**
 * In an unversioned file, a definition that is "a link, or any version of
 * the resource" (anyOf idRef, X.v1_0_0 ... X.v1_N_0) is narrowed to "a
 * link, or an expanded object with @odata.id and @odata.type". Otherwise
 * every link would compile every version of the linked type (the whole bundle, ~40 s); the walker
 * validates each linked resource on its own against its exact version.
 */
function linksOnly(schema: { definitions?: Record<string, unknown> }): void {
  for (const [name, def] of Object.entries(schema.definitions ?? {})) {
    const anyOf = (def as { anyOf?: { $ref?: string }[] }).anyOf;
    if (!anyOf?.some((a) => a.$ref === ID_REF)) continue;
    schema.definitions![name] = { anyOf: [{ $ref: ID_REF }, { type: 'object', required: ['@odata.id', '@odata.type'] }] };
  }
}

function describeError(e: ErrorObject): string {
  const where = e.instancePath || '/';
  switch (e.keyword) {
    case 'additionalProperties':
      return `${where}: property ${(e.params as { additionalProperty: string }).additionalProperty} is not in the schema`;
    case 'enum':
      return `${where}: not one of ${JSON.stringify((e.params as { allowedValues: unknown[] }).allowedValues)}`;
    case 'required':
      return `${where}: required property ${(e.params as { missingProperty: string }).missingProperty} missing`;
    default:
      return `${where}: ${e.message ?? e.keyword}`;
  }
}

function dedupe(xs: string[]): string[] {
  return [...new Set(xs)];
}

/** Redfish rules beyond the JSON schema that the DMTF Service Validator also checks. */
export function ruleProblems(path: string, body: JsonBody): string[] {
  const out: string[] = [];
  const type = body['@odata.type'];
  const id = body['@odata.id'];
  if (typeof type !== 'string') out.push('missing @odata.type');
  // registry documents (DSP8011/DSP8012 files served at a Location) carry no @odata.id
  const isDocument = typeof type === 'string' && /^#(MessageRegistry|PrivilegeRegistry|AttributeRegistry)\./.test(type);
  if (isDocument) return out;
  if (typeof id !== 'string') out.push('missing @odata.id');
  else if (id.replace(/\/$/, '') !== path.replace(/\?.*$/, '').replace(/\/$/, '')) out.push(`@odata.id ${id} is not the URL it was fetched from (${path})`);
  if (typeof body.Name !== 'string') out.push('missing Name');
  const isCollection = typeof type === 'string' && /Collection\.[A-Za-z]+Collection$/.test(type);
  if (isCollection) {
    if (!Array.isArray(body.Members)) out.push('collection without Members');
    else if (body['Members@odata.count'] !== body.Members.length && body['Members@odata.nextLink'] === undefined) {
      out.push(`Members@odata.count ${String(body['Members@odata.count'])} is not the number of Members (${body.Members.length})`);
    }
  } else if (typeof body.Id !== 'string') {
    out.push('missing Id');
  }
  if (typeof body.Id === 'string' && typeof id === 'string' && !isCollection && !type?.toString().startsWith('#ServiceRoot.')) {
    const last = decodeURIComponent(id.split('/').pop() ?? '');
    if (last !== body.Id) out.push(`Id ${body.Id} is not the last segment of @odata.id (${last})`);
  }
  return out;
}

/** Every link a body holds: @odata.id values (without fragments), @Redfish.ActionInfo, registry locations. */
export function linksOf(body: unknown, self: string): string[] {
  const out = new Set<string>();
  const walk = (v: unknown, key: string): void => {
    if (Array.isArray(v)) {
      for (const x of v) walk(x, key);
      return;
    }
    if (v === null || typeof v !== 'object') return;
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      if ((k === '@odata.id' || k.endsWith('@Redfish.ActionInfo') || (k === 'Uri' && key === 'Location') || k === 'Members@odata.nextLink') && typeof x === 'string') {
        const p = x.split('#')[0]!;
        if (p.startsWith('/redfish/') && p !== self) out.add(p);
      } else walk(x, k);
    }
  };
  walk(body, '');
  return [...out];
}

export interface Fetched {
  status: number;
  body: unknown;
}

export interface WalkResult {
  /** Every path fetched, in order, with its body when it answered 200. */
  resources: Map<string, JsonBody>;
  /** Paths linked from somewhere that did not answer 200: path → [status, linked from]. */
  dangling: Map<string, { status: number; from: string }>;
  /** Pages of the walk that stopped at the bound. */
  truncated: boolean;
}

/** Breadth-first walk from `start` (bounded, each path once). */
export async function walkTree(get: (path: string) => Promise<Fetched>, start = '/redfish/v1', limit = 3000): Promise<WalkResult> {
  const resources = new Map<string, JsonBody>();
  const dangling = new Map<string, { status: number; from: string }>();
  const seen = new Set<string>([start]);
  const queue: [string, string][] = [[start, '(start)']];
  let truncated = false;
  while (queue.length > 0) {
    const [path, from] = queue.shift()!;
    if (resources.size >= limit) {
      truncated = true;
      break;
    }
    const r = await get(path);
    if (r.status !== 200 || r.body === null || typeof r.body !== 'object' || Array.isArray(r.body)) {
      dangling.set(path, { status: r.status, from });
      continue;
    }
    resources.set(path, r.body as JsonBody);
    for (const link of linksOf(r.body, path)) {
      const key = link.replace(/\/$/, '');
      if (seen.has(key)) continue;
      seen.add(key);
      queue.push([key, path]);
    }
  }
  return { resources, dangling, truncated };
}
