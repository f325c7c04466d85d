// Boot flags, system boot option parameter 5 (IPMI v2.0 28.12, table 28-14),
// to and from the model's BootOverride. Pure functions; the device selector
// table is data.
import type { BootDevice, BootOverride } from '../model/boot.js';

/*
 * Boot flags, 5 bytes:
 *   1  [7] boot flags valid, [6] 1 = all future boots / 0 = next boot only,
 *      [5] boot type 1 = EFI / 0 = PC compatible (legacy), [4:0] reserved
 *   2  [7] CMOS clear, [6] lock keyboard, [5:2] boot device selector,
 *      [1] screen blank, [0] lock out reset buttons
 *   3  [7] lock out power button, [6:5] firmware verbosity (11b reserved),
 *      [4] force progress event traps, [3] user password bypass,
 *      [2] lock out sleep button, [1:0] console redirection (11b reserved)
 *   4  [7:4] reserved, [3] BIOS shared mode override, [2:0] BIOS mux control
 *      override (000b-010b; others reserved)
 *   5  [7:5] reserved, [4:0] device instance selector
 * Device selector: 0 no override, 1 PXE, 2 default hard drive, 3 hard drive
 * safe mode, 4 diagnostic partition, 5 CD/DVD, 6 BIOS setup, 7 remote
 * floppy/primary removable media, 8 remote CD/DVD, 9 primary remote media,
 * Bh remote hard drive, Fh floppy/primary removable media; others reserved.
 */
export const BOOT_FLAGS_LENGTH = 5;

const SELECTORS: readonly (readonly [number, BootDevice])[] = [
  [0x0, 'none'],
  [0x1, 'pxe'],
  [0x2, 'disk'],
  [0x3, 'disk-safe'],
  [0x4, 'diag'],
  [0x5, 'cdrom'],
  [0x6, 'bios-setup'],
  [0x7, 'remote-floppy'],
  [0x8, 'remote-cdrom'],
  [0xb, 'remote-disk'],
  [0xf, 'floppy'],
];

/**
 * Devices Redfish can choose that IPMI has no selector for, shown as the
 * nearest IPMI selector: USB as primary removable media, UEFI HTTP as a
 * network (PXE) boot.
 */
const NEAREST: Readonly<Partial<Record<BootDevice, number>>> = { usb: 0xf, 'uefi-http': 0x1 };

export function selectorOf(device: BootDevice): number {
  const hit = SELECTORS.find(([, d]) => d === device);
  return hit ? hit[0] : (NEAREST[device] ?? 0);
}

export function deviceOf(selector: number): BootDevice | undefined {
  return SELECTORS.find(([s]) => s === selector)?.[1];
}

export function encodeBootFlags(o: BootOverride): Uint8Array {
  return Uint8Array.of(
    (o.valid ? 0x80 : 0) | (o.persistent ? 0x40 : 0) | (o.mode === 'uefi' ? 0x20 : 0),
    (o.cmosClear ? 0x80 : 0) | (o.lockKeyboard ? 0x40 : 0) | (selectorOf(o.device) << 2) | (o.screenBlank ? 0x02 : 0) | (o.lockReset ? 0x01 : 0),
    o.flags3 & 0xff,
    o.flags4 & 0x0f,
    o.instance & 0x1f,
  );
}

/**
 * The override five boot-flag bytes ask for, or a reason the bytes are
 * invalid. A selector equal to the current device's keeps the current device
 * (so a read-modify-write by an IPMI tool does not turn "usb" into "floppy").
 */
export function decodeBootFlags(b: Uint8Array, current: BootOverride): BootOverride | string {
  if (b.length !== BOOT_FLAGS_LENGTH) return 'length';
  const [b1, b2, b3, b4, b5] = [b[0]!, b[1]!, b[2]!, b[3]!, b[4]!];
  if (b1 & 0x1f) return 'reserved bits in byte 1';
  if (((b3 >> 5) & 0x03) === 0x03) return 'reserved firmware verbosity';
  if ((b3 & 0x03) === 0x03) return 'reserved console redirection';
  if (b4 & 0xf0) return 'reserved bits in byte 4';
  if ((b4 & 0x07) > 2) return 'reserved BIOS mux control';
  if (b5 & 0xe0) return 'reserved bits in byte 5';
  const selector = (b2 >> 2) & 0x0f;
  const keep = selector === selectorOf(current.device);
  const device = keep ? current.device : deviceOf(selector);
  if (device === undefined) return `boot device selector ${selector} not supported`;
  const next: BootOverride = {
    valid: (b1 & 0x80) !== 0,
    persistent: (b1 & 0x40) !== 0,
    mode: b1 & 0x20 ? 'uefi' : 'legacy',
    device,
    cmosClear: (b2 & 0x80) !== 0,
    lockKeyboard: (b2 & 0x40) !== 0,
    screenBlank: (b2 & 0x02) !== 0,
    lockReset: (b2 & 0x01) !== 0,
    flags3: b3,
    flags4: b4,
    instance: b5,
  };
  if (keep && current.httpBootUri !== undefined) next.httpBootUri = current.httpBootUri;
  return next;
}
