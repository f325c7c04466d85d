// The one interface between the model and whatever the host is: the
// simulated server, a QEMU virtual machine, or real hardware (GPIO power,
// hwmon sensors). The model calls in to act; the backend reports back
// through HostReports. Every backend passes the same conformance suite.
import type { BootDevice } from '../model/boot.js';

export interface BootChoice {
  readonly device: BootDevice;
  readonly mode: 'legacy' | 'uefi';
}

/** A virtual media drive of the host: the CD/DVD drive or the USB stick port. */
export type MediaSlotKind = 'cd' | 'usb';

/** An image the BMC holds (downloaded into its cache) to show the host. */
export interface MediaImage {
  /** The cached file. */
  readonly path: string;
  /** The image's name (its file name), as the host's firmware shows it. */
  readonly name: string;
}

/** What a backend tells the model about the host. */
export interface HostReports {
  /** The host powered itself off (OS shutdown, VM exit, ACPI S5). */
  poweredOff(reason: string): void;
  /** The host powered itself on (wake, VM started outside a request). */
  poweredOn(reason: string): void;
  /** The host restarted itself (OS reboot, SysRq, guest reset) while staying on. */
  restarted(reason: string): void;
  /** The host firmware asks which device to boot this time ("Once" is consumed). */
  takeBootChoice(): BootChoice;
}

/** A console byte stream of the host (its serial port). */
export interface HostConsole {
  /** Bytes typed at the console. */
  write(data: Uint8Array): void;
  /** Subscribes to the host's output; returns an unsubscribe function. */
  onOutput(fn: (data: Uint8Array) => void): () => void;
  /** Serial break. */
  sendBreak?(): void;
}

/**
 * Where a host's VNC server (RFB 3.8, RFC 6143) listens: a unix socket or a
 * TCP port (the shapes `net.createConnection` takes).
 */
export type DisplayAddress = { readonly path: string } | { readonly host: string; readonly port: number };

/** The host's graphical console (video, keyboard, mouse) as a VNC server. */
export interface HostDisplay {
  /**
   * The VNC server's address now, or undefined while there is none (the
   * host is off). It may still refuse connections for a moment while the
   * host starts.
   */
  address(): DisplayAddress | undefined;
}

export interface HostLink {
  readonly kind: string;
  /** Called once by the model before any other call. */
  attach(reports: HostReports): void;
  powerOn(): void;
  powerOff(): void;
  reset(): void;
  /** Diagnostic interrupt (NMI). */
  diagnosticInterrupt(): void;
  /** ACPI power-button request; the host may honour it later via poweredOff. */
  softOff(): void;
  /**
   * Current sensor readings by sensor number (engineering units, null when
   * unavailable), and the power draw in watts. Called by the scanner.
   */
  sample(nowMs: number): { readings: ReadonlyMap<number, number | null>; powerWatts: number };
  readonly console?: HostConsole;
  /** The graphical console (KVM over IP), when the backend has one. */
  readonly display?: HostDisplay | undefined;
  /**
   * The platform's power capping (DCMI power limit, Redfish PowerLimit):
   * keep the draw at or below `watts` by throttling; null lifts the cap.
   * A cap below what the host needs idle cannot be met.
   */
  setPowerCap?(watts: number | null): void;
  /** Connects an image to a virtual media drive of the host (null disconnects it). */
  attachMedia?(slot: MediaSlotKind, image: MediaImage | null): void;
  close(): Promise<void>;
}
