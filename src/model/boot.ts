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

/**
 * Events that do NOT clear the valid bit when their bit is set (IPMI v2.0
 * 28.12 parameter 3). By default each of these clears it, so an override is
 * only honoured by the boot it was meant for.
 */
export const KeepValidOn = {
  PowerButton: 0x01,
  ResetButton: 0x02,
  Watchdog: 0x04,
  /** The 60-second timeout: no Chassis Control within 60 s of setting the flags. */
  Timeout: 0x08,
  Pef: 0x10,
} as const;

/** How long an override set over IPMI waits for a Chassis Control command. */
export const BOOT_FLAGS_TIMEOUT_MS = 60_000;

export interface BootOptions {
  override: BootOverride;
  /** Parameter 3: which events do not clear the valid bit (KeepValidOn bits). */
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
 * The restart causes that clear the valid bit unless parameter 3 says
 * otherwise. The OS's own reboot ('soft-reset') is none of parameter 3's
 * events (reset button, power button, watchdog, PEF): the firmware honours
 * a pending override then, which is how `chassis bootdev pxe` followed by
 * `reboot` inside the OS works on servers.
 */
const CLEARING_CAUSES: Partial<Record<string, number>> = {
  'power-button': KeepValidOn.PowerButton,
  'reset-button': KeepValidOn.ResetButton,
  watchdog: KeepValidOn.Watchdog,
  'pef-reset': KeepValidOn.Pef,
  'pef-cycle': KeepValidOn.Pef,
};

/**
 * What the firmware boots from at this boot, and the override that remains
 * afterwards ("Once" consumed). A boot caused by an event that clears the
 * valid bit (a watchdog reset, say) ignores the override and clears it. Pure.
 */
export function consumeBootOverride(
  o: BootOverride,
  restart?: { cause: string; validBitClearing: number },
): { device: BootDevice; mode: BootOverride['mode']; next: BootOverride } {
  if (!o.valid || o.device === 'none') return { device: 'none', mode: o.mode, next: o };
  const bit = restart ? CLEARING_CAUSES[restart.cause] : undefined;
  if (restart && bit !== undefined && (restart.validBitClearing & bit) === 0) {
    return { device: 'none', mode: o.mode, next: { ...o, valid: false } };
  }
  if (o.persistent) return { device: o.device, mode: o.mode, next: o };
  return { device: o.device, mode: o.mode, next: { ...o, valid: false } };
}
