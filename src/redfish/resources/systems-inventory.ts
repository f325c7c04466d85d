// A ComputerSystem's inventory: Processors (Processor v1_22_0), Memory
// (Memory v1_23_0, one per DIMM slot, empty slots "Absent"),
// EthernetInterfaces (EthernetInterface v1_12_4), Storage (Storage v1_21_0)
// with its StorageControllers (StorageController v1_11_0) and Drives
// (Drive v1_22_0). Bodies are pure functions of host.inventory; ids are the
// profile's (validated names), never taken from the request.
import type { Bmc } from '../../model/bmc.js';
import type { Host } from '../../model/host.js';
import type { DimmInfo, DriveInfo, NicInfo, ProcessorInfo, StorageInfo } from '../../model/inventory.js';
import { hostBySystemId, paths, ROOT } from '../ids.js';
import { Errors } from '../messages.js';
import type { JsonObject, RequestContext, RouteDef } from '../router.js';
import { collection, odataType } from '../schemas.js';

const SYSTEM = `${ROOT}/Systems/{SystemId}`;
const OK = { State: 'Enabled', Health: 'OK' } as const;

function base(bmc: Bmc, host: Host, ...segments: string[]): string {
  return [paths.system(bmc, host), ...segments.map(encodeURIComponent)].join('/');
}

export function processorBody(bmc: Bmc, host: Host, p: ProcessorInfo): JsonObject {
  return {
    '@odata.id': base(bmc, host, 'Processors', p.socket),
    '@odata.type': odataType('Processor'),
    Id: p.socket,
    Name: `Processor ${p.socket}`,
    Socket: p.socket,
    ProcessorType: 'CPU',
    ProcessorArchitecture: p.architecture,
    InstructionSet: p.instructionSet,
    Manufacturer: p.manufacturer,
    Model: p.model,
    TotalCores: p.cores,
    TotalEnabledCores: p.cores,
    TotalThreads: p.threads,
    MaxSpeedMHz: p.maxSpeedMHz,
    Status: { ...OK },
  };
}

export function memoryBody(bmc: Bmc, host: Host, d: DimmInfo): JsonObject {
  const common = {
    '@odata.id': base(bmc, host, 'Memory', d.slot),
    '@odata.type': odataType('Memory'),
    Id: d.slot,
    Name: d.slot,
    DeviceLocator: d.slot,
  };
  if (!d.present) return { ...common, Status: { State: 'Absent' } };
  return {
    ...common,
    MemoryType: 'DRAM',
    MemoryDeviceType: d.type,
    CapacityMiB: d.capacityMiB,
    OperatingSpeedMhz: d.speedMTs,
    AllowedSpeedsMHz: [d.speedMTs],
    Manufacturer: d.manufacturer,
    PartNumber: d.partNumber,
    SerialNumber: d.serial,
    ErrorCorrection: 'SingleBitECC',
    Status: { ...OK },
  };
}

export function ethernetBody(bmc: Bmc, host: Host, n: NicInfo): JsonObject {
  const up = n.linkUp && host.power === 'on';
  return {
    '@odata.id': base(bmc, host, 'EthernetInterfaces', n.id),
    '@odata.type': odataType('EthernetInterface'),
    Id: n.id,
    Name: n.name,
    Description: 'Host network interface',
    MACAddress: n.mac,
    PermanentMACAddress: n.mac,
    InterfaceEnabled: true,
    LinkStatus: up ? 'LinkUp' : 'LinkDown',
    SpeedMbps: n.speedMbps,
    Status: { ...OK },
  };
}

function controllerBody(s: StorageInfo): JsonObject {
  return {
    Name: s.name,
    Manufacturer: s.controller.manufacturer,
    Model: s.controller.model,
    SpeedGbps: s.controller.speedGbps,
    SupportedControllerProtocols: ['PCIe'],
    SupportedDeviceProtocols: [...s.controller.protocols],
    Status: { ...OK },
  };
}

/** The one controller of a storage subsystem has id/MemberId "0". */
const CONTROLLER_ID = '0';

export function storageBody(bmc: Bmc, host: Host, s: StorageInfo): JsonObject {
  const path = base(bmc, host, 'Storage', s.id);
  return {
    '@odata.id': path,
    '@odata.type': odataType('Storage'),
    Id: s.id,
    Name: s.name,
    Status: { ...OK, HealthRollup: 'OK' },
    StorageControllers: [{ '@odata.id': `${path}#/StorageControllers/${CONTROLLER_ID}`, MemberId: CONTROLLER_ID, ...controllerBody(s) }],
    'StorageControllers@odata.count': 1,
    Controllers: { '@odata.id': `${path}/Controllers` },
    Drives: s.drives.map((d) => ({ '@odata.id': base(bmc, host, 'Storage', s.id, 'Drives', d.id) })),
    'Drives@odata.count': s.drives.length,
  };
}

export function storageControllerBody(bmc: Bmc, host: Host, s: StorageInfo): JsonObject {
  return {
    '@odata.id': base(bmc, host, 'Storage', s.id, 'Controllers', CONTROLLER_ID),
    '@odata.type': odataType('StorageController'),
    Id: CONTROLLER_ID,
    ...controllerBody(s),
  };
}

export function driveBody(bmc: Bmc, host: Host, s: StorageInfo, d: DriveInfo): JsonObject {
  return {
    '@odata.id': base(bmc, host, 'Storage', s.id, 'Drives', d.id),
    '@odata.type': odataType('Drive'),
    Id: d.id,
    Name: d.id,
    Model: d.model,
    Manufacturer: d.manufacturer,
    SerialNumber: d.serial,
    Revision: d.revision,
    CapacityBytes: d.capacityBytes,
    BlockSizeBytes: 512,
    MediaType: d.mediaType,
    Protocol: d.protocol,
    Status: { ...OK },
  };
}

function find<T>(items: readonly T[], key: (t: T) => string, id: string | undefined, type: string): T {
  const hit = items.find((t) => key(t) === id);
  if (!hit) throw Errors.notFound(type, id ?? '');
  return hit;
}

type Ctx = RequestContext;
const host = (ctx: Ctx): Host => hostBySystemId(ctx.bmc, ctx.params.SystemId);
const storageOf = (ctx: Ctx, h: Host): StorageInfo => find(h.inventory.storage, (s) => s.id, ctx.params.StorageId, 'Storage');

export function systemInventoryRoutes(): RouteDef[] {
  return [
    {
      path: `${SYSTEM}/Processors`,
      entity: 'ProcessorCollection',
      get: (ctx) => {
        const h = host(ctx);
        return collection('Processor', base(ctx.bmc, h, 'Processors'), 'Processor Collection', h.inventory.processors.map((p) => base(ctx.bmc, h, 'Processors', p.socket)));
      },
    },
    {
      path: `${SYSTEM}/Processors/{ProcessorId}`,
      entity: 'Processor',
      get: (ctx) => {
        const h = host(ctx);
        return processorBody(ctx.bmc, h, find(h.inventory.processors, (p) => p.socket, ctx.params.ProcessorId, 'Processor'));
      },
    },
    {
      path: `${SYSTEM}/Memory`,
      entity: 'MemoryCollection',
      get: (ctx) => {
        const h = host(ctx);
        return collection('Memory', base(ctx.bmc, h, 'Memory'), 'Memory Module Collection', h.inventory.memory.map((d) => base(ctx.bmc, h, 'Memory', d.slot)));
      },
    },
    {
      path: `${SYSTEM}/Memory/{MemoryId}`,
      entity: 'Memory',
      get: (ctx) => {
        const h = host(ctx);
        return memoryBody(ctx.bmc, h, find(h.inventory.memory, (d) => d.slot, ctx.params.MemoryId, 'Memory'));
      },
    },
    {
      path: `${SYSTEM}/EthernetInterfaces`,
      entity: 'EthernetInterfaceCollection',
      get: (ctx) => {
        const h = host(ctx);
        return collection('EthernetInterface', base(ctx.bmc, h, 'EthernetInterfaces'), 'Ethernet Interface Collection', h.inventory.nics.map((n) => base(ctx.bmc, h, 'EthernetInterfaces', n.id)));
      },
    },
    {
      path: `${SYSTEM}/EthernetInterfaces/{EthernetInterfaceId}`,
      entity: 'EthernetInterface',
      get: (ctx) => {
        const h = host(ctx);
        return ethernetBody(ctx.bmc, h, find(h.inventory.nics, (n) => n.id, ctx.params.EthernetInterfaceId, 'EthernetInterface'));
      },
    },
    {
      path: `${SYSTEM}/Storage`,
      entity: 'StorageCollection',
      get: (ctx) => {
        const h = host(ctx);
        return collection('Storage', base(ctx.bmc, h, 'Storage'), 'Storage Collection', h.inventory.storage.map((s) => base(ctx.bmc, h, 'Storage', s.id)));
      },
    },
    {
      path: `${SYSTEM}/Storage/{StorageId}`,
      entity: 'Storage',
      get: (ctx) => {
        const h = host(ctx);
        return storageBody(ctx.bmc, h, storageOf(ctx, h));
      },
    },
    {
      path: `${SYSTEM}/Storage/{StorageId}/Controllers`,
      entity: 'StorageControllerCollection',
      get: (ctx) => {
        const h = host(ctx);
        const s = storageOf(ctx, h);
        return collection('StorageController', base(ctx.bmc, h, 'Storage', s.id, 'Controllers'), 'Storage Controller Collection', [
          base(ctx.bmc, h, 'Storage', s.id, 'Controllers', CONTROLLER_ID),
        ]);
      },
    },
    {
      path: `${SYSTEM}/Storage/{StorageId}/Controllers/{ControllerId}`,
      entity: 'StorageController',
      get: (ctx) => {
        const h = host(ctx);
        const s = storageOf(ctx, h);
        if (ctx.params.ControllerId !== CONTROLLER_ID) throw Errors.notFound('StorageController', ctx.params.ControllerId ?? '');
        return storageControllerBody(ctx.bmc, h, s);
      },
    },
    {
      path: `${SYSTEM}/Storage/{StorageId}/Drives/{DriveId}`,
      entity: 'Drive',
      get: (ctx) => {
        const h = host(ctx);
        const s = storageOf(ctx, h);
        return driveBody(ctx.bmc, h, s, find(s.drives, (d) => d.id, ctx.params.DriveId, 'Drive'));
      },
    },
  ];
}
