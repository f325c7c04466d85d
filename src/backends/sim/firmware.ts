// What the simulated firmware prints at power-on (POST) and what it does
// with the boot device the BMC chose (IPMI boot flags / Redfish
// BootSourceOverrideTarget): one table row per device, each an attempt that
// either boots something or falls through to the default order (the disk).
// Pure: the host turns a plan into timed console output.
import type { BootDevice } from '../../model/boot.js';
import type { BootChoice } from '../link.js';

/** One console line, printed `delay` (a fraction of the boot time) after the previous one. */
export interface BootLine {
  readonly delay: number;
  readonly text: string;
}

export type BootOutcome =
  | { readonly kind: 'os' }
  | { readonly kind: 'media'; readonly name: string }
  | { readonly kind: 'setup' }
  | { readonly kind: 'halt' };

export interface BootPlan {
  readonly lines: readonly BootLine[];
  readonly outcome: BootOutcome;
}

export interface FirmwareEnv {
  /** The image in the virtual CD/DVD drive, if any. */
  readonly media: string | null;
  /** Whether the disk holds a bootable OS. */
  readonly osInstalled: boolean;
  readonly mac: string;
}

export const FIRMWARE_VERSION = '2.4.1';
export const FIRMWARE_DATE = '01/15/2026';

/** The POST screen up to boot-device selection (about 0.3 of the boot time). */
export function postLines(opts: { cpus: number; memoryMiB: number; dimms: number }): BootLine[] {
  return [
    { delay: 0, text: `\nSimBIOS ${FIRMWARE_VERSION} (tsbmc simulated firmware)  Release Date: ${FIRMWARE_DATE}` },
    { delay: 0.02, text: `CPU: ${opts.cpus} x Simulated x86-64 Processor @ 2.40GHz` },
    { delay: 0.08, text: `Memory Test: ${opts.memoryMiB} MB OK (${opts.dimms} DIMMs)` },
    { delay: 0.1, text: 'Initializing USB Controllers .. Done.' },
    { delay: 0.1, text: 'Press <DEL> to run Setup, <F11> for Boot Menu, <F12> for Network Boot' },
  ];
}

interface Attempt {
  readonly lines: readonly BootLine[];
  /** What it boots; undefined falls through to the disk. */
  readonly boots?: BootOutcome;
}

const line = (delay: number, text: string): BootLine => ({ delay, text });

function diskAttempt(env: FirmwareEnv, label = 'Hard Disk (SATA0)'): Attempt {
  if (env.osInstalled) return { lines: [line(0.02, `Booting from ${label}...`)], boots: { kind: 'os' } };
  return {
    lines: [line(0.02, `Booting from ${label}...`), line(0.03, 'No bootable device -- insert boot disk and press any key')],
    boots: { kind: 'halt' },
  };
}

function cdromAttempt(env: FirmwareEnv, label: string): Attempt {
  if (env.media !== null) {
    return { lines: [line(0.02, `Booting from ${label}: ${env.media}`), line(0.04, `Loading ${env.media}... ok`)], boots: { kind: 'media', name: env.media } };
  }
  return { lines: [line(0.02, `Booting from ${label}...`), line(0.05, `No bootable media in ${label} drive`)] };
}

/** One row per boot device the BMC can ask for. */
const ATTEMPTS: Record<BootDevice, (env: FirmwareEnv) => Attempt> = {
  none: (env) => diskAttempt(env),
  disk: (env) => diskAttempt(env),
  'disk-safe': (env) => diskAttempt(env, 'Hard Disk (SATA0), safe mode'),
  pxe: (env) => ({
    lines: [
      line(0.02, 'Booting from PXE (Slot 0 NIC)...'),
      line(0.02, `CLIENT MAC ADDR: ${env.mac.toUpperCase().replace(/:/g, ' ')}  GUID: 00000000-0000-0000-0000-000000000000`),
      line(0.04, 'DHCP......'),
      line(0.2, 'PXE-E51: No DHCP or proxy DHCP offers were received.'),
      line(0.02, 'PXE-M0F: Exiting PXE ROM.'),
    ],
  }),
  'uefi-http': () => ({
    lines: [line(0.02, '>>Start HTTP Boot over IPv4....'), line(0.2, '  Error: Could not retrieve NBP file size from HTTP server.')],
  }),
  diag: () => ({ lines: [line(0.02, 'Booting diagnostic partition...'), line(0.03, 'Diagnostic partition not found')] }),
  cdrom: (env) => cdromAttempt(env, 'CD/DVD'),
  'remote-cdrom': (env) => cdromAttempt(env, 'Virtual CD/DVD'),
  'remote-disk': () => ({ lines: [line(0.02, 'Booting from Virtual Disk...'), line(0.03, 'No bootable media in Virtual Disk')] }),
  usb: () => ({ lines: [line(0.02, 'Booting from USB device...'), line(0.03, 'No bootable media on USB device')] }),
  floppy: () => ({ lines: [line(0.02, 'Booting from Floppy...'), line(0.03, 'No bootable media in floppy drive')] }),
  'remote-floppy': () => ({ lines: [line(0.02, 'Booting from Virtual Floppy...'), line(0.03, 'No bootable media in Virtual Floppy')] }),
  'bios-setup': () => ({
    lines: [
      line(0.02, 'Entering Setup...'),
      line(0.05, `SimBIOS Setup Utility ${FIRMWARE_VERSION} | Main | Advanced | Boot | Security | Save & Exit |  F10: Save and Exit  ESC: Exit`),
    ],
    boots: { kind: 'setup' },
  }),
};

/** The firmware's boot path for one boot: lines to print and what ends up running. */
export function bootPlan(choice: BootChoice, env: FirmwareEnv): BootPlan {
  const lines: BootLine[] = [line(0.01, `Boot mode: ${choice.mode === 'uefi' ? 'UEFI' : 'Legacy'}`)];
  const device: BootDevice = Object.hasOwn(ATTEMPTS, choice.device) ? choice.device : 'none';
  const attempt = ATTEMPTS[device](env);
  lines.push(...attempt.lines);
  if (attempt.boots) return { lines, outcome: attempt.boots };
  const fallback = diskAttempt(env);
  lines.push(...fallback.lines);
  return { lines, outcome: fallback.boots ?? { kind: 'halt' } };
}
