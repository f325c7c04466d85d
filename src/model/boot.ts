// Boot options of one host: the one-time or persistent boot device override
// that IPMI's boot flags (IPMI v2.0 28.12, parameter 5) and Redfish's
// Boot.BootSourceOverride* both express, plus the other boot parameters
// kept as set. "Once" is cleared when the host next boots.

export type BootDevice =
  | 'none'
  | 'pxe'
  | 'disk'
  | 'disk-safe'
  | 'diag'
  | 'cdrom'
  | 'bios-setup'
  | 'remote-floppy'
  | 'remote-cdrom'
  | 'remote-disk'
  | 'floppy'
  | 'usb'
  | 'uefi-http';

export interface BootOverride {
  /** The boot flags valid bit: the override applies at the next boot(s). */
  valid: boolean;
  /** Applies to every boot (true) or only the next one (false). */
  persistent: boolean;
  mode: 'legacy' | 'uefi';
  device: BootDevice;
  /** UefiHttp target, when device is uefi-http. */
  httpBootUri?: string;
  /** Remaining IPMI boot-flag bits, kept as set (byte 2 low bits, 3, 4, 5). */
  cmosClear: boolean;
  lockKeyboard: boolean;
  screenBlank: boolean;
  lockReset: boolean;
  /** Byte 3 of the flags (lock-outs, verbosity, console redirection). */
  flags3: number;
  /** Byte 4 (BIOS shared mode, mux control). */
  flags4: number;
  /** Byte 5 (device instance selector). */
  instance: number;
}

export interface BootOptions {
  override: BootOverride;
  /** Parameter 3: which events clear the valid bit automatically. */
  validBitClearing: number;
  /** Parameter 4: boot info acknowledge (write mask / data). */
  bootInfoAck: number;
  /** Parameter 1 service partition selector, 2 scan. */
  servicePartitionSelector: number;
  servicePartitionScan: number;
  /** Parameter 6 boot initiator info (9 bytes). */
  initiatorInfo: number[];
  /** Parameter 7 boot initiator mailbox blocks, by block selector. */
  mailbox: Record<number, number[]>;
  /** Parameters marked invalid/locked by the setter (Set System Boot Options bit 7). */
  lockedParameters: number[];
}

export function defaultBootOptions(): BootOptions {
  return {
    override: {
      valid: false,
      persistent: false,
      mode: 'legacy',
      device: 'none',
      cmosClear: false,
      lockKeyboard: false,
      screenBlank: false,
      lockReset: false,
      flags3: 0,
      flags4: 0,
      instance: 0,
    },
    validBitClearing: 0,
    bootInfoAck: 0,
    servicePartitionSelector: 0,
    servicePartitionScan: 0,
    initiatorInfo: [0, 0, 0, 0, 0, 0, 0, 0, 0],
    mailbox: {},
    lockedParameters: [],
  };
}

/**
 * What the firmware boots from at this boot, and the override that remains
 * afterwards ("Once" consumed). Pure.
 */
export function consumeBootOverride(o: BootOverride): { device: BootDevice; mode: BootOverride['mode']; next: BootOverride } {
  if (!o.valid || o.device === 'none') return { device: 'none', mode: o.mode, next: o };
  if (o.persistent) return { device: o.device, mode: o.mode, next: o };
  return { device: o.device, mode: o.mode, next: { ...o, valid: false } };
}
