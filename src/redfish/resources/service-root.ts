// ServiceRoot (/redfish/v1), the version document (/redfish), the OData
// service document (/redfish/v1/odata) and $metadata: the only resources
// readable without authentication (DSP0266 13.3.1).
import type { Bmc } from '../../model/bmc.js';
import { ROOT } from '../ids.js';
import type { JsonObject, RedfishRouter, RouteDef } from '../router.js';
import { odataType, SCHEMA_VERSIONS } from '../schemas.js';

export const REDFISH_VERSION = '1.21.0';

/** RFC 4122 text of a GUID kept in IPMI wire order (least significant byte first). */
export function uuidOf(wire: Uint8Array): string {
  const h = Buffer.from(wire).reverse().toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** Top-level services, linked from the root when a route serves them. */
const SERVICES = [
  ['Systems', `${ROOT}/Systems`],
  ['Chassis', `${ROOT}/Chassis`],
  ['Managers', `${ROOT}/Managers`],
  ['SessionService', `${ROOT}/SessionService`],
  ['AccountService', `${ROOT}/AccountService`],
  ['UpdateService', `${ROOT}/UpdateService`],
  // ServiceRoot names the task service "Tasks" (ServiceRoot v1_1_0+)
  ['Tasks', `${ROOT}/TaskService`],
  ['EventService', `${ROOT}/EventService`],
  ['TelemetryService', `${ROOT}/TelemetryService`],
  ['CertificateService', `${ROOT}/CertificateService`],
  ['Registries', `${ROOT}/Registries`],
] as const;

export function serviceRoot(bmc: Bmc, router: RedfishRouter): JsonObject {
  const body: JsonObject = {
    '@odata.id': ROOT,
    '@odata.type': odataType('ServiceRoot'),
    Id: 'RootService',
    Name: 'Root Service',
    RedfishVersion: REDFISH_VERSION,
    UUID: uuidOf(bmc.device.guid),
    Product: 'tsbmc',
    Vendor: 'tsbmc',
    ProtocolFeaturesSupported: {
      ExpandQuery: { ExpandAll: true, Levels: true, Links: true, NoLinks: true, MaxLevels: 6 },
      SelectQuery: true,
      OnlyMemberQuery: true,
      FilterQuery: false,
      ExcerptQuery: false,
      TopSkipQuery: true,
      DeepOperations: { DeepPATCH: false, DeepPOST: false },
    },
  };
  for (const [name, path] of SERVICES) if (router.match(path)) body[name] = { '@odata.id': path };
  body.Links = { Sessions: { '@odata.id': `${ROOT}/SessionService/Sessions` } };
  return body;
}

/** The CSDL document naming every schema the service uses. */
export function metadataXml(): string {
  const namespaces = new Set<string>(['ServiceRoot', `ServiceRoot.${SCHEMA_VERSIONS.ServiceRoot}`, 'Resource', 'Message', 'Message.v1_1_1']);
  for (const [name, version] of Object.entries(SCHEMA_VERSIONS)) {
    namespaces.add(name);
    namespaces.add(`${name}.${version}`);
  }
  const refs = [...namespaces]
    .filter((n) => !n.includes('.'))
    .map((n) => {
      const includes = [...namespaces].filter((x) => x === n || x.startsWith(`${n}.`));
      return `  <edmx:Reference Uri="http://redfish.dmtf.org/schemas/v1/${n}_v1.xml">\n${includes.map((i) => `    <edmx:Include Namespace="${i}"/>`).join('\n')}\n  </edmx:Reference>`;
    });
  const collections = ['ComputerSystemCollection', 'ChassisCollection', 'ManagerCollection', 'SessionCollection', 'ManagerAccountCollection', 'RoleCollection', 'LogServiceCollection', 'LogEntryCollection', 'SensorCollection', 'FanCollection', 'PowerSupplyCollection', 'ProcessorCollection', 'MemoryCollection', 'EthernetInterfaceCollection', 'StorageCollection', 'StorageControllerCollection', 'DriveCollection', 'VirtualMediaCollection', 'SoftwareInventoryCollection', 'TaskCollection', 'EventDestinationCollection', 'MessageRegistryFileCollection', 'CertificateCollection', 'MetricReportDefinitionCollection', 'MetricReportCollection'];
  const collRefs = collections.map(
    (c) => `  <edmx:Reference Uri="http://redfish.dmtf.org/schemas/v1/${c}_v1.xml">\n    <edmx:Include Namespace="${c}"/>\n  </edmx:Reference>`,
  );
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<edmx:Edmx xmlns:edmx="http://docs.oasis-open.org/odata/ns/edmx" Version="4.0">',
    ...refs,
    ...collRefs,
    '  <edmx:DataServices>',
    '    <Schema xmlns="http://docs.oasis-open.org/odata/ns/edm" Namespace="Service">',
    `      <EntityContainer Name="Service" Extends="ServiceRoot.${SCHEMA_VERSIONS.ServiceRoot}.ServiceContainer"/>`,
    '    </Schema>',
    '  </edmx:DataServices>',
    '</edmx:Edmx>',
    '',
  ].join('\n');
}

export function serviceRootRoutes(): RouteDef[] {
  return [
    {
      path: '/redfish',
      entity: 'ServiceRoot',
      public: ['GET'],
      get: () => ({ v1: '/redfish/v1/' }),
    },
    {
      path: ROOT,
      entity: 'ServiceRoot',
      public: ['GET'],
      get: (ctx) => serviceRoot(ctx.bmc, ctx.services.router),
    },
    {
      path: `${ROOT}/odata`,
      entity: 'ServiceRoot',
      public: ['GET'],
      get: (ctx) => ({
        '@odata.context': '/redfish/v1/$metadata',
        value: [
          { name: 'Service', kind: 'Singleton', url: '/redfish/v1/' },
          ...Object.entries(serviceRoot(ctx.bmc, ctx.services.router))
            .filter(([, v]) => typeof v === 'object' && v !== null && !Array.isArray(v) && '@odata.id' in v)
            .filter(([k]) => k !== 'Links' && k !== 'ProtocolFeaturesSupported')
            .map(([k, v]) => ({ name: k, kind: 'Singleton', url: (v as { '@odata.id': string })['@odata.id'] })),
        ],
      }),
    },
  ];
}
