// Registries (MessageRegistryFileCollection, MessageRegistryFile v1_1_5):
// the DMTF message registries (DSP8011) and the privilege registry (DSP8012
// data) this service uses, from redfish/registries/. Each file resource is
// named by the registry's prefix (Base, SensorEvent, ...; PrivilegeRegistry)
// and its Location points at /redfish/v1/Registries/{Id}/{Id}, which serves
// the registry JSON itself, unmodified (as bmcweb does).
import { readdirSync, readFileSync } from 'node:fs';
import { ROOT } from '../ids.js';
import { Errors, REGISTRIES_DIR } from '../messages.js';
import type { JsonObject, RouteDef } from '../router.js';
import { collection, odataType } from '../schemas.js';
import { BIOS_REGISTRY_FILE_PATH } from './bios.js';

export interface RegistryFileInfo {
  /** Resource id: the registry prefix, or "PrivilegeRegistry". */
  readonly id: string;
  /** The registry's own Id, with its version ("Base.1.22.1"). */
  readonly registry: string;
  readonly fileName: string;
  readonly name: string;
  readonly description: string;
}

const REGISTRIES = `${ROOT}/Registries`;

/** The registry files in a directory, sorted by id. */
export function listRegistries(dir = REGISTRIES_DIR): RegistryFileInfo[] {
  const out: RegistryFileInfo[] = [];
  for (const fileName of readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) {
    const doc = JSON.parse(readFileSync(dir + fileName, 'utf8')) as { Id?: unknown; RegistryPrefix?: unknown; Name?: unknown; Description?: unknown; '@odata.type'?: unknown };
    if (typeof doc.Id !== 'string') continue;
    const privilege = typeof doc['@odata.type'] === 'string' && doc['@odata.type'].startsWith('#PrivilegeRegistry.');
    const id = privilege ? 'PrivilegeRegistry' : typeof doc.RegistryPrefix === 'string' ? doc.RegistryPrefix : doc.Id;
    out.push({
      id,
      registry: doc.Id,
      fileName,
      name: typeof doc.Name === 'string' ? doc.Name : doc.Id,
      description: typeof doc.Description === 'string' ? doc.Description : `${doc.Id} registry`,
    });
  }
  return out.sort((a, b) => a.id.localeCompare(b.id));
}

export function registryFileBody(r: RegistryFileInfo): JsonObject {
  return {
    '@odata.id': `${REGISTRIES}/${r.id}`,
    '@odata.type': odataType('MessageRegistryFile'),
    Id: r.id,
    Name: `${r.name} File`,
    Description: r.description,
    Languages: ['en'],
    Registry: r.registry,
    Location: [{ Language: 'en', Uri: `${REGISTRIES}/${r.id}/${r.id}`, PublicationUri: `https://redfish.dmtf.org/registries/${r.fileName}` }],
  };
}

export function registryRoutes(): RouteDef[] {
  let cache: RegistryFileInfo[] | undefined;
  const all = (): RegistryFileInfo[] => (cache ??= listRegistries());
  const byId = (id: string | undefined): RegistryFileInfo => {
    const r = all().find((x) => x.id === id);
    if (!r) throw Errors.notFound('MessageRegistryFile', id ?? '');
    return r;
  };
  const documents = new Map<string, JsonObject>();
  return [
    {
      path: REGISTRIES,
      entity: 'MessageRegistryFileCollection',
      get: () => ({
        ...collection('MessageRegistryFile', REGISTRIES, 'Registry File Collection', [...all().map((r) => `${REGISTRIES}/${r.id}`), BIOS_REGISTRY_FILE_PATH]),
        Description: 'Message and privilege registries of this service',
      }),
    },
    {
      path: `${REGISTRIES}/{RegistryId}`,
      entity: 'MessageRegistryFile',
      get: (ctx) => registryFileBody(byId(ctx.params.RegistryId)),
    },
    {
      path: `${REGISTRIES}/{RegistryId}/{RegistryFile}`,
      entity: 'MessageRegistry',
      get: (ctx) => {
        const r = byId(ctx.params.RegistryId);
        if (ctx.params.RegistryFile !== r.id) throw Errors.notFound('MessageRegistry', ctx.params.RegistryFile ?? '');
        let doc = documents.get(r.id);
        if (!doc) {
          doc = JSON.parse(readFileSync(REGISTRIES_DIR + r.fileName, 'utf8')) as JsonObject;
          documents.set(r.id, doc);
        }
        return doc;
      },
    },
  ];
}
