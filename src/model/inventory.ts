// Host hardware inventory: processors, DIMM slots, network interfaces and
// storage (controllers and drives), plus the BIOS version and host name the
// host reports. Described by the profile (`host.inventory`); what is per
// host (MAC addresses, drive serials) is derived here from the host's
// identity so two hosts never share a MAC. Redfish's Processor, Memory,
// EthernetInterface, Storage and Drive resources render from it.
import { createHash } from 'node:crypto';

export interface ProcessorInfo {
  /** Socket name, e.g. "CPU0" (the Redfish Processor Id). */
  readonly socket: string;
  readonly manufacturer: string;
  readonly model: string;
  readonly architecture: 'x86' | 'ARM' | 'MIPS' | 'Power' | 'IA-64' | 'RISC-V';
  readonly instructionSet: 'x86' | 'x86-64' | 'IA-64' | 'ARM-A32' | 'ARM-A64' | 'MIPS32' | 'MIPS64' | 'PowerISA' | 'RV32' | 'RV64';
  readonly cores: number;
  readonly threads: number;
  readonly maxSpeedMHz: number;
}

export interface DimmInfo {
  /** Slot name as silkscreened, e.g. "DIMMA1" (the Redfish Memory Id). */
  readonly slot: string;
  readonly present: boolean;
  readonly capacityMiB: number;
  readonly type: 'DDR3' | 'DDR4' | 'DDR5';
  readonly speedMTs: number;
  readonly manufacturer: string;
  readonly partNumber: string;
  readonly serial: string;
}

export interface NicInfo {
  readonly id: string;
  readonly name: string;
  /** Colon-separated lower-case MAC address. */
  readonly mac: string;
  readonly speedMbps: number;
  readonly linkUp: boolean;
}

export type DriveMedia = 'HDD' | 'SSD';
export type DriveProtocol = 'SATA' | 'SAS' | 'NVMe';

export interface DriveInfo {
  readonly id: string;
  readonly model: string;
  readonly manufacturer: string;
  readonly serial: string;
  readonly revision: string;
  readonly capacityBytes: number;
  readonly mediaType: DriveMedia;
  readonly protocol: DriveProtocol;
}

export interface StorageInfo {
  /** Storage subsystem id, e.g. "SATA" (the Redfish Storage Id). */
  readonly id: string;
  readonly name: string;
  readonly controller: { readonly model: string; readonly manufacturer: string; readonly protocols: readonly DriveProtocol[]; readonly speedGbps: number };
  readonly drives: readonly DriveInfo[];
}

export interface Inventory {
  readonly hostName: string;
  readonly biosVersion: string;
  readonly processors: readonly ProcessorInfo[];
  readonly memory: readonly DimmInfo[];
  readonly nics: readonly NicInfo[];
  readonly storage: readonly StorageInfo[];
}

/** What a profile describes: the inventory less what is derived per host. */
export interface InventorySpec {
  readonly hostName?: string;
  readonly biosVersion: string;
  readonly processors: readonly ProcessorInfo[];
  readonly memory: readonly DimmInfo[];
  readonly nics: readonly Omit<NicInfo, 'mac'>[];
  readonly storage: readonly StorageInfo[];
}

/** The default 1U server: one 8-core CPU, DIMMA1/DIMMB1 populated, two NICs, one SATA controller with two drives. */
export const DEFAULT_INVENTORY: InventorySpec = {
  biosVersion: '2.1.0',
  processors: [
    { socket: 'CPU0', manufacturer: 'Intel(R) Corporation', model: 'Intel(R) Xeon(R) E-2378 CPU @ 2.60GHz', architecture: 'x86', instructionSet: 'x86-64', cores: 8, threads: 16, maxSpeedMHz: 4800 },
  ],
  memory: ['A1', 'A2', 'B1', 'B2', 'C1', 'C2', 'D1', 'D2'].map((s) => {
    const present = s === 'A1' || s === 'B1';
    return {
      slot: `DIMM${s}`,
      present,
      capacityMiB: present ? 16384 : 0,
      type: 'DDR4' as const,
      speedMTs: present ? 3200 : 0,
      manufacturer: present ? 'Samsung' : '',
      partNumber: present ? 'M391A2G43BB2-CWE' : '',
      serial: present ? `S${s}0001` : '',
    };
  }),
  nics: [
    { id: 'NIC1', name: 'Onboard LAN 1', speedMbps: 1000, linkUp: true },
    { id: 'NIC2', name: 'Onboard LAN 2', speedMbps: 1000, linkUp: false },
  ],
  storage: [
    {
      id: 'SATA',
      name: 'Onboard SATA Controller',
      controller: { model: 'Intel C256 SATA AHCI', manufacturer: 'Intel(R) Corporation', protocols: ['SATA'], speedGbps: 6 },
      drives: [
        { id: 'Disk0', model: 'SAMSUNG MZ7L3480HCHQ', manufacturer: 'Samsung', serial: 'S6RSNE0T100001', revision: 'JXTC104Q', capacityBytes: 480_103_981_056, mediaType: 'SSD', protocol: 'SATA' },
        { id: 'Disk1', model: 'ST2000NM000B', manufacturer: 'Seagate', serial: 'ZPT0AB01', revision: 'SN04', capacityBytes: 2_000_398_934_016, mediaType: 'HDD', protocol: 'SATA' },
      ],
    },
  ],
};

/**
 * A stable, locally administered unicast MAC for NIC `n` of the host whose
 * system GUID is `guid`: distinct GUIDs give distinct MACs (40 bits of a
 * SHA-256), and the same host keeps its MACs across restarts.
 */
export function derivedMac(guid: Uint8Array, n: number): string {
  const h = createHash('sha256').update('tsbmc-nic').update(guid).update(Uint8Array.of(n)).digest();
  return [0x02, h[0]!, h[1]!, h[2]!, h[3]!, h[4]!].map((b) => b.toString(16).padStart(2, '0')).join(':');
}

/**
 * The inventory of one host. With several hosts in the chassis, serial
 * numbers get `-N` appended, as the FRU's do.
 */
export function hostInventory(spec: InventorySpec, host: { index: number; hosts: number; systemGuid: Uint8Array; hostName: string }): Inventory {
  const suffix = (s: string): string => (host.hosts > 1 && s !== '' ? `${s}-${host.index}` : s);
  return {
    hostName: spec.hostName ?? host.hostName,
    biosVersion: spec.biosVersion,
    processors: spec.processors.map((p) => ({ ...p })),
    memory: spec.memory.map((d) => ({ ...d, serial: suffix(d.serial) })),
    nics: spec.nics.map((nic, i) => ({ ...nic, mac: derivedMac(host.systemGuid, i) })),
    storage: spec.storage.map((s) => ({ ...s, controller: { ...s.controller }, drives: s.drives.map((d) => ({ ...d, serial: suffix(d.serial) })) })),
  };
}

/** Total installed memory in GiB. */
export function totalMemoryGiB(inv: Inventory): number {
  return inv.memory.filter((d) => d.present).reduce((sum, d) => sum + d.capacityMiB, 0) / 1024;
}
