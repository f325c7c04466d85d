// The Redfish schema versions this service implements: one table, so every
// resource's @odata.type and the $metadata document agree. Versions are the
// newest in DMTF's 2025 bundle (DSP8010) that the tests validate against.
import type { JsonObject } from './query.js';

export const SCHEMA_VERSIONS = {
  ServiceRoot: 'v1_20_0',
  SessionService: 'v1_2_0',
  Session: 'v1_8_0',
  AccountService: 'v1_18_1',
  ManagerAccount: 'v1_14_1',
  Role: 'v1_3_3',
  ComputerSystem: 'v1_27_0',
  Chassis: 'v1_28_0',
  Manager: 'v1_24_0',
  Sensor: 'v1_12_0',
  ThermalSubsystem: 'v1_5_0',
  ThermalMetrics: 'v1_3_2',
  Fan: 'v1_6_0',
  PowerSubsystem: 'v1_1_3',
  PowerSupply: 'v1_6_0',
  EnvironmentMetrics: 'v1_5_0',
  Thermal: 'v1_7_3',
  Power: 'v1_7_3',
  LogService: 'v1_9_0',
  LogEntry: 'v1_21_0',
  ActionInfo: 'v1_5_0',
  ManagerNetworkProtocol: 'v1_12_0',
  EthernetInterface: 'v1_12_4',
  Processor: 'v1_22_0',
  Memory: 'v1_23_0',
  Storage: 'v1_21_0',
  StorageController: 'v1_11_0',
  Drive: 'v1_22_0',
  Bios: 'v1_2_3',
  Settings: 'v1_4_0',
  AttributeRegistry: 'v1_4_0',
  SecureBoot: 'v1_1_2',
  VirtualMedia: 'v1_6_5',
  UpdateService: 'v1_17_0',
  SoftwareInventory: 'v1_13_0',
  TaskService: 'v1_3_0',
  Task: 'v1_7_4',
  EventService: 'v1_12_0',
  EventDestination: 'v1_16_0',
  CertificateService: 'v1_2_1',
  Certificate: 'v1_11_0',
  CertificateLocations: 'v1_0_4',
  MessageRegistryFile: 'v1_1_5',
  Assembly: 'v1_6_1',
  TelemetryService: 'v1_4_1',
  MetricReportDefinition: 'v1_4_7',
  MetricReport: 'v1_5_2',
} as const;

export type SchemaName = keyof typeof SCHEMA_VERSIONS;

/** "#ComputerSystem.v1_27_0.ComputerSystem" */
export function odataType(name: SchemaName): string {
  return `#${name}.${SCHEMA_VERSIONS[name]}.${name}`;
}

/** "#ComputerSystemCollection.ComputerSystemCollection" */
export function collectionType(name: string): string {
  return `#${name}Collection.${name}Collection`;
}

/** A collection resource body. */
export function collection(name: string, path: string, title: string, members: readonly string[]): JsonObject {
  return {
    '@odata.id': path,
    '@odata.type': collectionType(name),
    Name: title,
    'Members@odata.count': members.length,
    Members: members.map((m) => ({ '@odata.id': m })),
  };
}
