// Test support: validates a Redfish body against the versioned DMTF schema
// its @odata.type names (DSP8010 bundle in ../shared/redfish/json-schema
// beside the project, or $TSBMC_REDFISH_SCHEMAS), with @cfworker/json-schema
// given only the schemas the root reaches. Used by the resource unit tests.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Validator, type Schema } from '@cfworker/json-schema';

const SCHEMA_DIR = process.env.TSBMC_REDFISH_SCHEMAS ?? fileURLToPath(new URL('../../../../shared/redfish/json-schema/', import.meta.url));
const SCHEMA_BASE = 'http://redfish.dmtf.org/schemas/v1/';
const SWORDFISH_BASE = 'http://redfish.dmtf.org/schemas/swordfish/v1/';

let schemas: Map<string, Schema> | undefined;
const validators = new Map<string, Validator>();

/**
 * Validates a body against the versioned DMTF schema its @odata.type names,
 * with @cfworker/json-schema given only the schemas the root reaches (ajv
 * compiling Chassis's whole reference graph takes a minute). Swordfish
 * definitions, outside the bundle, are stubbed as "anything".
 */
export function validateDmtf(body: unknown): void {
  if (!schemas) {
    schemas = new Map();
    const swordfish = new Map<string, Set<string>>();
    for (const f of readdirSync(SCHEMA_DIR)) {
      if (!f.endsWith('.json')) continue;
      const text = readFileSync(SCHEMA_DIR + f, 'utf8');
      for (const m of text.matchAll(/"\$ref": "http:\/\/redfish\.dmtf\.org\/schemas\/swordfish\/v1\/([A-Za-z0-9_.]+\.json)#\/definitions\/([A-Za-z0-9_]+)"/g)) {
        const defs = swordfish.get(m[1]!) ?? new Set<string>();
        defs.add(m[2]!);
        swordfish.set(m[1]!, defs);
      }
      const sch = JSON.parse(text) as Schema;
      delete sch.$id;
      schemas.set(SCHEMA_BASE + f, sch);
    }
    for (const [file, defs] of swordfish) schemas.set(SWORDFISH_BASE + file, { definitions: Object.fromEntries([...defs].map((d) => [d, {}])) });
  }
  const type = (body as { '@odata.type'?: string })['@odata.type'] ?? '';
  const m = /^#([A-Za-z]+)\.(v\d+_\d+_\d+)\.[A-Za-z]+$/.exec(type) ?? /^#([A-Za-z]+)\.[A-Za-z]+$/.exec(type);
  assert.ok(m, `no @odata.type in ${JSON.stringify(body)}`);
  const rootId = `${SCHEMA_BASE}${m[1]}${m[2] ? `.${m[2]}` : ''}.json`;
  const root = schemas.get(rootId);
  assert.ok(root, `no schema for ${type}`);
  let v = validators.get(type);
  if (!v) {
    v = new Validator(root, '7', false);
    const todo = [rootId];
    const added = new Set<string>();
    while (todo.length > 0) {
      const id = todo.pop()!;
      const sch = schemas.get(id);
      if (added.has(id) || !sch) continue;
      added.add(id);
      v.addSchema(sch, id);
      for (const ref of JSON.stringify(sch).matchAll(/"\$ref":"(http:\/\/redfish\.dmtf\.org\/schemas\/[^#"]+)/g)) todo.push(ref[1]!);
    }
    validators.set(type, v);
  }
  const r = v.validate(body);
  assert.ok(r.valid, `${type}: ${JSON.stringify(r.errors.filter((e) => !['properties', 'anyOf', '$ref', 'allOf'].includes(e.keyword)))}\n${JSON.stringify(body)}`);
}
