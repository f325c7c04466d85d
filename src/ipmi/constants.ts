// IPMI v2.0 constants, named as in the specification (tables 5-1, 5-2, 6-1,
// 6-4 and appendix G). Numbers live here only; logic imports the names.

export const NetFn = {
  Chassis: 0x00,
  Bridge: 0x02,
  SensorEvent: 0x04,
  App: 0x06,
  Firmware: 0x08,
  Storage: 0x0a,
  Transport: 0x0c,
  GroupExtension: 0x2c,
  OemGroup: 0x2e,
} as const;

/** Completion codes, table 5-2. */
export const CC = {
  Success: 0x00,
  NodeBusy: 0xc0,
  InvalidCommand: 0xc1,
  InvalidCommandForLun: 0xc2,
  Timeout: 0xc3,
  OutOfSpace: 0xc4,
  ReservationCancelled: 0xc5,
  RequestTruncated: 0xc6,
  RequestLengthInvalid: 0xc7,
  RequestFieldLengthExceeded: 0xc8,
  ParameterOutOfRange: 0xc9,
  CannotReturnBytes: 0xca,
  NotPresent: 0xcb,
  InvalidDataField: 0xcc,
  IllegalForSensorOrRecord: 0xcd,
  CannotProvideResponse: 0xce,
  DuplicateRequest: 0xcf,
  SdrInUpdateMode: 0xd0,
  FirmwareInUpdateMode: 0xd1,
  BmcInitializing: 0xd2,
  DestinationUnavailable: 0xd3,
  InsufficientPrivilege: 0xd4,
  NotSupportedInPresentState: 0xd5,
  SubFunctionDisabled: 0xd6,
  Unspecified: 0xff,
} as const;
export type CompletionCode = (typeof CC)[keyof typeof CC] | number;

/** Privilege levels, section 6.8. */
export const Privilege = {
  None: 0x0,
  Callback: 0x1,
  User: 0x2,
  Operator: 0x3,
  Administrator: 0x4,
  Oem: 0x5,
  NoAccess: 0xf,
} as const;
export type PrivilegeLevel = 0 | 1 | 2 | 3 | 4 | 5 | 15;

export function isSessionPrivilege(p: number): p is 1 | 2 | 3 | 4 | 5 {
  return p >= Privilege.Callback && p <= Privilege.Oem;
}

export function privilegeName(p: number): string {
  switch (p) {
    case 1: return 'CALLBACK';
    case 2: return 'USER';
    case 3: return 'OPERATOR';
    case 4: return 'ADMINISTRATOR';
    case 5: return 'OEM';
    case 15: return 'NO ACCESS';
    default: return `0x${p.toString(16)}`;
  }
}

/** Channel numbers with fixed meaning, section 6.3. */
export const Channel = {
  PrimaryIpmb: 0x0,
  Lan: 0x1,
  /** "This channel": the channel the request arrived on. */
  Current: 0xe,
  SystemInterface: 0xf,
} as const;

/** Channel medium types, table 6-3. */
export const ChannelMedium = {
  Ipmb: 0x01,
  Lan8023: 0x04,
  SystemInterface: 0x0c,
} as const;

/** Channel protocol types, table 6-2. */
export const ChannelProtocol = {
  Ipmb: 0x01,
  Kcs: 0x05,
} as const;

/** Authentication types, section 13.6. */
export const AuthType = {
  None: 0x00,
  Md2: 0x01,
  Md5: 0x02,
  Password: 0x04,
  Oem: 0x05,
  RmcpPlus: 0x06,
} as const;

/** Payload types, section 13.27.3. */
export const PayloadType = {
  Ipmi: 0x00,
  Sol: 0x01,
  Oem: 0x02,
  OpenSessionRequest: 0x10,
  OpenSessionResponse: 0x11,
  Rakp1: 0x12,
  Rakp2: 0x13,
  Rakp3: 0x14,
  Rakp4: 0x15,
} as const;

/** BMC slave address on IPMB and its software ID for the system interface. */
export const BMC_SA = 0x20;
export const REMOTE_CONSOLE_SWID = 0x81;

/** IANA enterprise number IPMI itself uses for DCMI and PICMG-less defaults. */
export const DCMI_GROUP_EXTENSION = 0xdc;
