// A QEMU virtual machine as the managed host (docs/QEMU.md). Power on starts
// the QEMU process; the BMC listens on two unix sockets the process connects
// to at start-up (QMP for control and events, the first serial port for the
// host console), so no byte of the guest's console is lost and there is no
// connect-retry loop. The guest's IPMI system interface (ipmi-bmc-extern) is
// wired to this host's ExternBmcServer. Power off is QMP `quit`, reset
// `system_reset`, soft off `system_powerdown`, NMI `inject-nmi`; QMP SHUTDOWN
// and RESET events and an unexpected process exit are reported back to the
// model. The profile's kernel stands in for the OS on the boot disk: a boot
// from another device (CD, network, USB stick) runs QEMU without it so that
// SeaBIOS follows the boot order, and a reset that changes between the two
// restarts the process. Virtual media: the CD drive (ide-cd) and a USB stick
// (usb-storage on qemu-xhci) change over QMP. A VM has no sensors: readings
// come from an internal SimHost whose power follows the VM's.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { QemuProfile } from '../../config/profile.js';
import type { Logger } from '../../log.js';
import { silentLogger } from '../../log.js';
import { ConsoleBuffer } from '../../model/console.js';
import type { BootDevice } from '../../model/boot.js';
import { SimHost, type SimHostOptions } from '../sim/sim-host.js';
import type { BootChoice, HostConsole, HostLink, HostReports, MediaImage, MediaSlotKind } from '../link.js';
import { QmpClient, type QmpEvent } from './qmp.js';

/** After `quit` (or SIGTERM before QMP is up), how long QEMU may take to exit before SIGKILL. */
export const STOP_GRACE_MS = 3000;
/** Limit for each QMP command the backend sends. */
export const QMP_COMMAND_TIMEOUT_MS = 5000;
/**
 * Guest RESET events this soon after another reset belong to it: SeaBIOS
 * resets the machine again right after a reset (one or two guest-reset
 * events within ~50 ms), which is not a second restart.
 */
export const RESET_COALESCE_MS = 2000;
/** Kept of QEMU's stderr for the log when it fails. */
const STDERR_TAIL = 4096;
/** How long QEMU may take to announce DEVICE_DELETED after `device_del` of the USB stick. */
export const DEVICE_DELETE_TIMEOUT_MS = 5000;
/** The virtual USB stick: its block node, its usb-storage device, the xhci controller's bus. */
const USB_NODE = 'usb0img';
const USB_DEVICE = 'usb0';
const USB_BUS = 'usb.0';

/** The QEMU process, as far as the backend needs it (a ChildProcess fits). */
export interface VmProcess {
  readonly pid?: number | undefined;
  kill(signal?: NodeJS.Signals): boolean;
  once(event: 'exit', fn: (code: number | null, signal: NodeJS.Signals | null) => void): unknown;
  once(event: 'error', fn: (err: Error) => void): unknown;
  readonly stderr?: NodeJS.ReadableStream | null;
}

/** Starts QEMU; the default spawns the binary. Tests pass a fake that speaks QMP. */
export type VmLauncher = (binary: string, args: readonly string[]) => VmProcess;

export interface QemuHostOptions {
  /** The machine (profile `host.qemu` with absolute paths). */
  machine: QemuProfile;
  /** Host index, for names and logs. */
  index: number;
  /** The host's console history; the guest's serial output is appended to it. */
  consoleBuffer: ConsoleBuffer;
  /** The simulated sensors (its console is private; only its readings are used). */
  sensors: Omit<SimHostOptions, 'consoleBuffer' | 'log'>;
  /** Where QEMU's ipmi-bmc-extern chardev connects (this host's ExternBmcServer), once listening. */
  bmcChardev: () => { host: string; port: number } | undefined;
  log?: Logger;
  /** Parent folder of the per-run socket folder (default os.tmpdir(); unix paths are limited to 107 bytes). */
  runDir?: string;
  launch?: VmLauncher;
}

/** Everything `qemuArgs` needs besides the machine. */
export interface RunSpec {
  readonly name: string;
  readonly qmpPath: string;
  readonly serialPath: string;
  readonly vncPath?: string | undefined;
  readonly chardev?: { host: string; port: number } | undefined;
  readonly bootOrder: string;
  readonly bootMenu: boolean;
  /** Start the profile's kernel (the default when the profile names one); false lets the firmware boot a device. */
  readonly directKernel?: boolean | undefined;
  readonly cdImage?: string | undefined;
  /** The image on the USB stick (needs `usb` in the profile). */
  readonly usbImage?: string | undefined;
  /** The USB stick is the boot device (bootindex 0). */
  readonly usbBoot?: boolean | undefined;
}

/** A value inside a QEMU option list: commas are doubled. */
function optValue(v: string): string {
  return v.replace(/,/g, ',,');
}

/**
 * The boot order (QEMU `-boot order=` letters: c disk, d CD/DVD, n network,
 * a floppy) for the device the firmware was told to boot: that one first,
 * then the usual disk, CD, network. 'none' keeps the usual order.
 */
export function bootOrder(device: BootDevice): { order: string; menu: boolean } {
  const first: Partial<Record<BootDevice, string>> = {
    pxe: 'n',
    'uefi-http': 'n',
    cdrom: 'd',
    'remote-cdrom': 'd',
    disk: 'c',
    'disk-safe': 'c',
    'remote-disk': 'c',
    diag: 'c',
    usb: 'c',
    floppy: 'a',
    'remote-floppy': 'a',
  };
  const order = [...new Set([...(first[device] ?? ''), ...'cdn'])].join('');
  return { order, menu: device === 'bios-setup' };
}

/** How the VM boots one time. */
export interface BootPlan {
  readonly device: BootDevice;
  /** QEMU runs with the profile's kernel (the OS on the disk) rather than letting SeaBIOS pick a device. */
  readonly kernel: boolean;
  /** `-boot order=` letters. */
  readonly order: string;
  readonly menu: boolean;
  /** The USB stick is what the firmware boots: it gets bootindex 0. */
  readonly usbBoot: boolean;
}

/** Which virtual media drives hold an image now. */
export interface InsertedMedia {
  readonly cd: boolean;
  readonly usb: boolean;
}

/**
 * Whether the device the BMC chose has something the VM's firmware can boot
 * (false for the disk itself and for devices this VM lacks). Pure.
 */
function firmwareBoots(m: QemuProfile, device: BootDevice, media: InsertedMedia): boolean {
  switch (device) {
    case 'cdrom':
    case 'remote-cdrom':
      return m.cdrom && media.cd;
    case 'usb':
      return m.usb && media.usb;
    case 'pxe':
    case 'uefi-http':
      return m.nic !== 'none';
    default:
      // the disk (none, disk, disk-safe, diag, setup), and floppy, virtual floppy and
      // virtual disk drives, which this VM does not have
      return false;
  }
}

/**
 * The boot of one start or reset. The profile's kernel/initrd/append stand
 * in for the OS installed on the boot disk: they are used when the firmware
 * would boot the disk. A boot from another device (CD/DVD, network, USB
 * stick) must run without them, since QEMU's direct-kernel option ROM boots
 * the kernel whatever `-boot order=` says. A device that has nothing to boot
 * (no medium in the drive, no NIC, no floppy drive) falls through to the
 * disk, as a server's firmware does. Pure.
 */
export function planBoot(m: QemuProfile, device: BootDevice, media: InsertedMedia): BootPlan {
  const { order, menu } = bootOrder(device);
  const found = firmwareBoots(m, device, media);
  return { device, kernel: m.kernel !== undefined && !found, order, menu, usbBoot: device === 'usb' && found };
}

/** The QEMU command line for one run (pure; tested without QEMU). */
export function qemuArgs(m: QemuProfile, r: RunSpec): string[] {
  const a: string[] = [
    '-name', r.name,
    '-machine', m.machine,
    '-accel', m.accel,
    '-m', String(m.memoryMiB),
    '-smp', String(m.cpus),
    '-nodefaults', '-no-user-config', '-display', 'none', '-monitor', 'none',
    '-chardev', `socket,id=qmp0,path=${optValue(r.qmpPath)}`,
    '-mon', 'chardev=qmp0,mode=control',
    '-chardev', `socket,id=serial0,path=${optValue(r.serialPath)}`,
    '-serial', 'chardev:serial0',
    '-boot', `order=${r.bootOrder}${r.bootMenu ? ',menu=on' : ''}`,
  ];
  if (m.kernel !== undefined && r.directKernel !== false) {
    a.push('-kernel', m.kernel);
    if (m.initrd !== undefined) a.push('-initrd', m.initrd);
    if (m.append.length > 0) a.push('-append', m.append);
  }
  m.disks.forEach((d, i) => {
    a.push('-drive', `if=none,id=disk${i},file=${optValue(d.path)},format=${d.format}${d.snapshot ? ',snapshot=on' : ''}`);
    a.push('-device', `ide-hd,drive=disk${i},id=disk${i}dev`);
  });
  if (m.cdrom) {
    const medium = r.cdImage !== undefined ? `,file=${optValue(r.cdImage)},format=raw,readonly=on` : '';
    a.push('-drive', `if=none,id=cd0drv,media=cdrom${medium}`);
    a.push('-device', 'ide-cd,drive=cd0drv,id=cd0');
  }
  if (m.usb) {
    a.push('-device', 'qemu-xhci,id=usb');
    if (r.usbImage !== undefined) {
      a.push('-blockdev', `driver=raw,node-name=${USB_NODE},read-only=on,file.driver=file,file.filename=${optValue(r.usbImage)},file.read-only=on`);
      a.push('-device', `usb-storage,bus=${USB_BUS},drive=${USB_NODE},id=${USB_DEVICE},removable=on${r.usbBoot ? ',bootindex=0' : ''}`);
    }
  }
  if (m.nic !== 'none') a.push('-netdev', 'user,id=net0', '-device', `${m.nic},netdev=net0`);
  if (m.ipmiInterface !== 'none' && r.chardev) {
    a.push('-chardev', `socket,id=ipmi0,host=${r.chardev.host},port=${r.chardev.port},reconnect=1`);
    a.push('-device', 'ipmi-bmc-extern,chardev=ipmi0,id=bmc0');
    a.push('-device', `${m.ipmiInterface === 'bt' ? 'isa-ipmi-bt' : 'isa-ipmi-kcs'},bmc=bmc0`);
  }
  // every client shares the screen: one asking for exclusive access does not disconnect the others
  if (m.vnc && r.vncPath !== undefined) a.push('-device', 'VGA', '-vnc', `unix:${optValue(r.vncPath)},share=force-shared`);
  a.push(...m.extraArgs);
  return a;
}

const defaultLauncher: VmLauncher = (binary, args) => spawn(binary, [...args], { stdio: ['ignore', 'ignore', 'pipe'] });

/** One run of the QEMU process, from start to exit. */
interface Run {
  readonly id: number;
  readonly dir: string;
  readonly servers: Server[];
  proc: VmProcess | undefined;
  qmp: QmpClient | undefined;
  serial: Socket | undefined;
  /** Resolves with the QMP client once negotiated (undefined if the start failed). */
  ready: Promise<QmpClient | undefined>;
  /** Resolves when the process has exited and the run is cleaned up. */
  readonly exited: Promise<void>;
  markExited: () => void;
  /** The BMC asked this run to end (power off, close): its exit is no news. */
  stopping: boolean;
  /** The model already heard that the VM is off (SHUTDOWN event). */
  reported: boolean;
  /** Why the run failed to start, when it did. */
  failure: string | undefined;
  /** The process runs the profile's kernel (-kernel). */
  readonly kernel: boolean;
  /** QEMU's boot order now (`-boot order=`, then `boot_set`). */
  bootOrder: string;
  /** The USB stick is to be the boot device (bootindex 0). */
  usbBoot: boolean;
  /** A usb-storage device is plugged in. */
  usbAttached: boolean;
  /** QMP work of this run, one piece after the other (a USB swap waits for DEVICE_DELETED). */
  chain: Promise<unknown>;
  /** Waiting for DEVICE_DELETED, by device id. */
  readonly deleted: Map<string, () => void>;
  /** When the last reset (ours or the guest's) happened, ms since the epoch. */
  lastResetAt: number;
  finished: boolean;
  stderr: string;
  killTimer: NodeJS.Timeout | undefined;
}

export class QemuHost implements HostLink {
  readonly kind = 'qemu';
  readonly console: HostConsole;
  readonly #machine: QemuProfile;
  readonly #index: number;
  readonly #buffer: ConsoleBuffer;
  readonly #sim: SimHost;
  readonly #bmcChardev: () => { host: string; port: number } | undefined;
  readonly #log: Logger;
  readonly #runDir: string;
  readonly #launch: VmLauncher;
  readonly #outputListeners = new Set<(data: Uint8Array) => void>();
  #reports: HostReports | undefined;
  #run: Run | undefined;
  #runs = 0;
  /**
   * A run to start when the current one has exited: 'take' after a power on
   * that arrived while it was ending (power cycle; the boot device is taken
   * then), or the boot already taken by a reset that needs a new process.
   */
  #pending: BootPlan | 'take' | undefined;
  /** Inside takeBootChoice: the override change it causes is not a new override. */
  #taking = false;
  /** What the next boot would use, as the model last said (bootOverrideChanged). */
  #nextBoot: BootChoice | undefined;
  #cd: MediaImage | null = null;
  #usb: MediaImage | null = null;
  #closed = false;

  constructor(opts: QemuHostOptions) {
    this.#machine = opts.machine;
    this.#index = opts.index;
    this.#buffer = opts.consoleBuffer;
    this.#bmcChardev = opts.bmcChardev;
    this.#log = opts.log ?? silentLogger;
    this.#runDir = opts.runDir ?? tmpdir();
    this.#launch = opts.launch ?? defaultLauncher;
    // the sensor model's own console goes nowhere
    this.#sim = new SimHost({ ...opts.sensors, consoleBuffer: new ConsoleBuffer({ capacity: 1024 }), log: this.#log.child('sensors') });
    this.#sim.attach({
      poweredOff: () => undefined,
      poweredOn: () => undefined,
      restarted: () => undefined,
      takeBootChoice: () => ({ device: 'disk', mode: 'legacy' }),
    });
    this.console = {
      write: (data) => {
        const s = this.#run?.serial;
        if (s && s.writable) s.write(data);
      },
      onOutput: (fn) => {
        this.#outputListeners.add(fn);
        return () => this.#outputListeners.delete(fn);
      },
    };
  }

  /** Whether a QEMU process is running (or starting). */
  get running(): boolean {
    return this.#run !== undefined && !this.#run.stopping;
  }

  /** The QEMU process id of the current run. */
  get pid(): number | undefined {
    return this.#run?.proc?.pid;
  }

  /** The VNC socket of the current run, when the machine has VNC. */
  get vncPath(): string | undefined {
    return this.#machine.vnc && this.#run ? join(this.#run.dir, 'vnc.sock') : undefined;
  }

  /** The VGA display, QEMU's VNC server on the run's unix socket (KVM over IP), when the machine has VNC. */
  get display(): HostLink['display'] {
    if (!this.#machine.vnc) return undefined;
    return {
      address: () => {
        const path = this.vncPath;
        return path === undefined ? undefined : { path };
      },
    };
  }

  /** The image on the virtual USB port. */
  get usbMedia(): MediaImage | null {
    return this.#usb;
  }

  // ---- HostLink --------------------------------------------------------------

  attach(reports: HostReports): void {
    this.#reports = reports;
  }

  powerOn(): void {
    if (this.#closed) return;
    const run = this.#run;
    if (run && !run.stopping) return;
    if (run) {
      this.#pending ??= 'take';
      return;
    }
    this.#start();
  }

  powerOff(): void {
    this.#pending = undefined;
    const run = this.#run;
    if (run) this.#stop(run, 'power off');
  }

  reset(): void {
    const run = this.#live();
    if (!run) {
      // a new process is about to start for the last reset: this one takes the boot device again
      if (this.#run && this.#pending !== undefined && this.#pending !== 'take') this.#pending = this.#plan(this.#take());
      return;
    }
    // the firmware boots again: the boot override ("Once" is consumed here)
    const plan = this.#plan(this.#take());
    this.#sim.reset();
    if (plan.kernel !== run.kernel) {
      this.#restart(run, plan, 'reset');
      return;
    }
    this.#withQmp(run, 'system_reset', async (qmp) => {
      // `-boot order=` stays in force across resets; boot_set changes it for this and later boots
      await this.#applyBootOrder(run, qmp, plan);
      if (plan.menu) this.#log.debug('boot to setup is not offered by the qemu backend after a reset', { host: this.#index });
      run.lastResetAt = Date.now();
      await qmp.execute('system_reset', undefined, { timeoutMs: QMP_COMMAND_TIMEOUT_MS });
      run.lastResetAt = Date.now();
    });
  }

  /**
   * The model's boot override changed: `next` is what the host's next boot
   * would use. SeaBIOS reads QEMU's boot order early in POST, and the guest's
   * own reboot is only heard of (QMP RESET) once it has happened, too late
   * to change the order for that boot. So QEMU's order is kept equal to the
   * override in force whenever it changes, as a server's firmware finds the
   * BMC's boot flags set when the OS reboots. A change caused by a boot
   * taking the override ("Once" consumed) is not applied: the firmware may
   * not have read the order yet; the next reset compares again, and a
   * guest's reboot that finds QEMU's order or kernel wrong for it restarts
   * the process.
   */
  bootOverrideChanged(next: BootChoice): void {
    this.#nextBoot = next;
    if (!this.#taking) this.#presetBootOrder();
  }

  diagnosticInterrupt(): void {
    const run = this.#live();
    if (run) this.#withQmp(run, 'inject-nmi', (qmp) => qmp.execute('inject-nmi', undefined, { timeoutMs: QMP_COMMAND_TIMEOUT_MS }));
  }

  softOff(): void {
    const run = this.#live();
    if (run) this.#withQmp(run, 'system_powerdown', (qmp) => qmp.execute('system_powerdown', undefined, { timeoutMs: QMP_COMMAND_TIMEOUT_MS }));
  }

  sample(nowMs: number): { readings: ReadonlyMap<number, number | null>; powerWatts: number } {
    return this.#sim.sample(nowMs);
  }

  /** The VM's power draw is the sensor model's, so the cap is too. */
  setPowerCap(watts: number | null): void {
    this.#sim.setPowerCap(watts);
  }

  attachMedia(slot: MediaSlotKind, image: MediaImage | null): void {
    if (slot === 'usb') {
      this.#usb = image;
      if (!this.#machine.usb) {
        if (image) this.#log.info('the VM has no USB controller (host.qemu.usb is false); the USB image is kept, not connected', { host: this.#index, image: image.name });
        return;
      }
      const run = this.#live();
      if (run) {
        this.#withQmp(run, image ? 'USB stick attach' : 'USB stick detach', async (qmp) => {
          if (run.usbAttached) await this.#unplugUsb(run, qmp);
          if (image) await this.#plugUsb(run, qmp, image);
        });
      }
      // a stick plugged in may be what a pending USB boot override needs
      this.#presetBootOrder();
      return;
    }
    this.#cd = image;
    const run = this.#live();
    if (!run || !this.#machine.cdrom) return;
    if (image) {
      this.#withQmp(run, 'blockdev-change-medium', (qmp) =>
        qmp.execute('blockdev-change-medium', { id: 'cd0', filename: image.path, format: 'raw', 'read-only-mode': 'read-only' }, { timeoutMs: QMP_COMMAND_TIMEOUT_MS }),
      );
    } else {
      this.#withQmp(run, 'eject', (qmp) => qmp.execute('eject', { id: 'cd0', force: true }, { timeoutMs: QMP_COMMAND_TIMEOUT_MS }));
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#pending = undefined;
    const run = this.#run;
    if (run) {
      this.#stop(run, 'close');
      await run.exited;
    }
    this.#outputListeners.clear();
    await this.#sim.close();
  }

  // ---- runs ------------------------------------------------------------------

  #live(): Run | undefined {
    const run = this.#run;
    return run && !run.stopping ? run : undefined;
  }

  /** Runs QMP work once the run's QMP is up, after the run's earlier work. */
  #withQmp(run: Run, what: string, fn: (qmp: QmpClient) => Promise<unknown>): void {
    run.chain = run.chain
      .then(() => run.ready)
      .then((qmp) => (qmp && !run.stopping ? fn(qmp) : undefined))
      .catch((err: unknown) => this.#log.warn('QMP command failed', { host: this.#index, command: what, error: (err as Error).message }));
  }

  /** The firmware asks the model which device to boot ("Once" is consumed). */
  #take(): BootDevice {
    this.#taking = true;
    try {
      return this.#reports?.takeBootChoice().device ?? 'none';
    } finally {
      this.#taking = false;
    }
  }

  #plan(device: BootDevice): BootPlan {
    return planBoot(this.#machine, device, { cd: this.#cd !== null, usb: this.#usb !== null });
  }

  /** Makes QEMU's boot order (and the USB stick's bootindex) those of `plan`. */
  async #applyBootOrder(run: Run, qmp: QmpClient, plan: BootPlan): Promise<void> {
    if (plan.order !== run.bootOrder) {
      await qmp.execute('human-monitor-command', { 'command-line': `boot_set ${plan.order}` }, { timeoutMs: QMP_COMMAND_TIMEOUT_MS });
      run.bootOrder = plan.order;
    }
    if (plan.usbBoot !== run.usbBoot) {
      // QEMU rebuilds the firmware's boot list (fw_cfg "bootorder") from the bootindex properties at each reset
      if (run.usbAttached) {
        await qmp.execute('qom-set', { path: `/machine/peripheral/${USB_DEVICE}`, property: 'bootindex', value: plan.usbBoot ? 0 : -1 }, { timeoutMs: QMP_COMMAND_TIMEOUT_MS });
      }
      run.usbBoot = plan.usbBoot;
    }
  }

  /**
   * Sets QEMU's boot order to the next boot's, as far as it can matter: only
   * a process without the kernel follows the order, and a next boot that
   * needs the other kernel setup restarts the process anyway.
   */
  #presetBootOrder(): void {
    const run = this.#live();
    const next = this.#nextBoot;
    if (!run || !next || run.kernel) return;
    const plan = this.#plan(next.device);
    if (plan.kernel) return;
    this.#withQmp(run, 'boot_set', (qmp) => this.#applyBootOrder(run, qmp, plan));
  }

  /** Ends the process and starts a new one for `plan`; the model sees one restart, not power off and on. */
  #restart(run: Run, plan: BootPlan, why: 'reset' | 'guest reboot'): void {
    this.#log.info(plan.kernel ? 'restarting QEMU to boot the profile\'s kernel (the disk)' : 'restarting QEMU without the profile\'s kernel so the firmware boots the device', {
      host: this.#index,
      after: why,
      device: plan.device,
    });
    this.#pending = plan;
    this.#stop(run, `restart after ${why}`, { restart: true });
  }

  #start(given?: BootPlan, opts: { restart?: boolean } = {}): void {
    const id = ++this.#runs;
    const dir = mkdtempSync(join(this.#runDir, 'tsbmc-vm-'));
    let markExited = (): void => undefined;
    const exited = new Promise<void>((r) => (markExited = r));
    const plan = given ?? this.#plan(this.#take());
    const run: Run = {
      id,
      dir,
      servers: [],
      proc: undefined,
      qmp: undefined,
      serial: undefined,
      ready: Promise.resolve(undefined),
      exited,
      markExited,
      stopping: false,
      reported: false,
      failure: undefined,
      kernel: plan.kernel,
      bootOrder: plan.order,
      usbBoot: plan.usbBoot,
      usbAttached: false,
      chain: Promise.resolve(),
      deleted: new Map(),
      lastResetAt: 0,
      finished: false,
      stderr: '',
      killTimer: undefined,
    };
    this.#run = run;
    if (!opts.restart) this.#sim.powerOn();
    run.ready = this.#launchRun(run, plan.menu).catch((err: unknown) => {
      if (!run.stopping) {
        run.failure = 'vm-start-failed';
        this.#log.error('QEMU did not start', { host: this.#index, error: (err as Error).message, stderr: run.stderr.trim() || undefined });
        this.#stop(run, 'start failed');
      }
      return undefined;
    });
  }

  async #launchRun(run: Run, menu: boolean): Promise<QmpClient> {
    const qmpPath = join(run.dir, 'qmp.sock');
    const serialPath = join(run.dir, 'serial.sock');
    const qmpConn = this.#listen(run, qmpPath);
    const serialConn = this.#listen(run, serialPath);
    await Promise.all([qmpConn.listening, serialConn.listening]);
    const chardev = this.#machine.ipmiInterface === 'none' ? undefined : this.#bmcChardev();
    if (this.#machine.ipmiInterface !== 'none' && !chardev) this.#log.warn('no external-BMC listener for the VM; it starts without an IPMI device', { host: this.#index });
    const usbImage = this.#machine.usb ? this.#usb?.path : undefined;
    const args = qemuArgs(this.#machine, {
      name: `tsbmc-host${this.#index}`,
      qmpPath,
      serialPath,
      vncPath: this.#machine.vnc ? join(run.dir, 'vnc.sock') : undefined,
      chardev,
      bootOrder: run.bootOrder,
      bootMenu: menu,
      directKernel: run.kernel,
      cdImage: this.#machine.cdrom ? this.#cd?.path : undefined,
      usbImage,
      usbBoot: run.usbBoot,
    });
    run.usbAttached = usbImage !== undefined;
    if (run.stopping) throw new Error('stopped before start');
    this.#log.info('starting QEMU', { host: this.#index, binary: this.#machine.binary, bootOrder: run.bootOrder, kernel: run.kernel });
    this.#log.debug('QEMU command line', { host: this.#index, args });
    const proc = this.#launch(this.#machine.binary, args);
    run.proc = proc;
    proc.stderr?.on('data', (d: Buffer | string) => {
      run.stderr = (run.stderr + d.toString()).slice(-STDERR_TAIL);
    });
    proc.once('exit', (code, signal) => this.#finish(run, code, signal));
    proc.once('error', (err) => {
      run.failure ??= 'vm-start-failed';
      this.#log.error('cannot run QEMU', { host: this.#index, binary: this.#machine.binary, error: err.message });
      this.#finish(run, null, null);
    });

    const timeoutMs = this.#machine.startTimeoutSeconds * 1000;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`QEMU did not connect its QMP and serial sockets in ${timeoutMs} ms`)), timeoutMs);
    });
    const gone = run.exited.then(() => {
      throw new Error('QEMU exited while starting');
    });
    try {
      const [qmpSocket, serial] = await Promise.race([Promise.all([qmpConn.socket, serialConn.socket]), deadline, gone]);
      this.#attachSerial(run, serial);
      const qmp = await Promise.race([QmpClient.open(qmpSocket, { timeoutMs }), deadline, gone]);
      run.qmp = qmp;
      qmp.onEvent((e) => this.#event(run, e));
      for (const s of run.servers) s.close();
      if (run.stopping) qmp.close();
      this.#log.info('QEMU running', { host: this.#index, pid: proc.pid });
      return qmp;
    } finally {
      clearTimeout(timer);
    }
  }

  /** A listening unix socket the QEMU process connects to once. */
  #listen(run: Run, path: string): { listening: Promise<void>; socket: Promise<Socket> } {
    const server = createServer();
    run.servers.push(server);
    const socket = new Promise<Socket>((resolve) => {
      server.once('connection', (s) => {
        server.close();
        resolve(s);
      });
    });
    const listening = new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => resolve());
    });
    return { listening, socket };
  }

  #attachSerial(run: Run, serial: Socket): void {
    run.serial = serial;
    serial.on('data', (d: Buffer) => {
      if (this.#run !== run) return;
      this.#buffer.append(d);
      for (const fn of [...this.#outputListeners]) fn(d);
    });
    serial.on('error', () => undefined);
  }

  /** QMP events of a run: the guest's own power changes reach the model. */
  #event(run: Run, e: QmpEvent): void {
    this.#log.debug('QMP event', { host: this.#index, event: e.event, data: e.data });
    if (run.stopping || this.#run !== run) return;
    switch (e.event) {
      case 'SHUTDOWN': {
        // guest poweroff (ACPI S5), or QEMU told to end by someone else (signal, its own monitor)
        run.reported = true;
        this.#log.info('VM shut down', { host: this.#index, reason: e.data.reason, guest: e.data.guest });
        this.#stop(run, 'vm shutdown');
        this.#reports?.poweredOff('vm-shutdown');
        return;
      }
      case 'RESET': {
        // our own system_reset reports guest=false; only the guest's reboot is news, once per burst
        if (e.data.guest !== true) return;
        const now = Date.now();
        const news = now - run.lastResetAt > RESET_COALESCE_MS;
        run.lastResetAt = now;
        if (!news) return;
        this.#sim.reset();
        this.#reports?.restarted('vm-reset');
        // The firmware boots again and, like a server's after an OS reboot, takes
        // the BMC's boot device. QEMU's order was kept equal to it beforehand
        // (bootOverrideChanged); when this boot needs the other kernel setup,
        // or an order QEMU does not hold, only a new process gives it.
        const plan = this.#plan(this.#take());
        const stale = !plan.kernel && (plan.order !== run.bootOrder || (run.usbAttached && plan.usbBoot !== run.usbBoot));
        if (plan.kernel !== run.kernel || stale) this.#restart(run, plan, 'guest reboot');
        return;
      }
      case 'DEVICE_DELETED': {
        const id = e.data.device;
        if (typeof id === 'string') run.deleted.get(id)?.();
        return;
      }
      default:
        return;
    }
  }

  /**
   * Ends a run: `quit` over QMP (SIGTERM before QMP is up), SIGKILL after the
   * grace time. A restart keeps the host on for the model and the sensors.
   */
  #stop(run: Run, why: string, opts: { restart?: boolean } = {}): void {
    if (run.stopping) return;
    run.stopping = true;
    for (const done of run.deleted.values()) done();
    if (this.#run === run && !opts.restart) this.#sim.powerOff();
    this.#log.debug('stopping QEMU', { host: this.#index, why });
    if (run.finished) return;
    if (run.qmp && !run.qmp.closed) {
      run.qmp.execute('quit', undefined, { timeoutMs: STOP_GRACE_MS }).catch(() => undefined);
    } else {
      run.proc?.kill('SIGTERM');
    }
    run.killTimer = setTimeout(() => {
      if (!run.finished) {
        this.#log.warn('QEMU did not exit; killing it', { host: this.#index, pid: run.proc?.pid });
        run.proc?.kill('SIGKILL');
      }
    }, STOP_GRACE_MS);
    if (!run.proc) this.#finish(run, null, null);
  }

  /** The process is gone: clean up, tell the model if it did not know, start again if asked. */
  #finish(run: Run, code: number | null, signal: NodeJS.Signals | null): void {
    if (run.finished) return;
    run.finished = true;
    clearTimeout(run.killTimer);
    run.qmp?.close();
    run.serial?.destroy();
    for (const s of run.servers) s.close();
    try {
      rmSync(run.dir, { recursive: true, force: true, maxRetries: 2 });
    } catch (err) {
      this.#log.debug('cannot remove the run folder', { host: this.#index, dir: run.dir, error: (err as Error).message });
    }
    const current = this.#run === run;
    if (current) this.#run = undefined;
    if (current && !run.reported && (run.failure !== undefined || !run.stopping)) {
      this.#sim.powerOff();
      if (run.failure === undefined) this.#log.warn('QEMU exited unexpectedly', { host: this.#index, code, signal, stderr: run.stderr.trim() || undefined });
      this.#reports?.poweredOff(run.failure ?? 'vm-exit');
    }
    run.markExited();
    const pending = this.#pending;
    if (current && pending !== undefined && !this.#closed) {
      this.#pending = undefined;
      if (pending === 'take') this.#start();
      else this.#start(pending, { restart: true });
    }
  }

  // ---- USB stick -------------------------------------------------------------

  /** Plugs the stick in: a read-only raw block node, then a usb-storage device on the xhci bus. */
  async #plugUsb(run: Run, qmp: QmpClient, image: MediaImage): Promise<void> {
    const t = { timeoutMs: QMP_COMMAND_TIMEOUT_MS };
    await qmp.execute('blockdev-add', { driver: 'raw', 'node-name': USB_NODE, 'read-only': true, file: { driver: 'file', filename: image.path, 'read-only': true } }, t);
    const device: Record<string, unknown> = { driver: 'usb-storage', id: USB_DEVICE, bus: USB_BUS, drive: USB_NODE, removable: true };
    if (run.usbBoot) device.bootindex = 0;
    try {
      await qmp.execute('device_add', device, t);
    } catch (err) {
      await qmp.execute('blockdev-del', { 'node-name': USB_NODE }, t).catch(() => undefined);
      throw err;
    }
    run.usbAttached = true;
    this.#log.info('USB stick plugged in', { host: this.#index, image: image.name, boot: run.usbBoot });
  }

  /** Pulls the stick out: `device_del`, QEMU's DEVICE_DELETED, then the block node goes. */
  async #unplugUsb(run: Run, qmp: QmpClient): Promise<void> {
    const t = { timeoutMs: QMP_COMMAND_TIMEOUT_MS };
    let timer: NodeJS.Timeout | undefined;
    const deleted = new Promise<void>((resolve, reject) => {
      run.deleted.set(USB_DEVICE, resolve);
      timer = setTimeout(() => reject(new Error(`no DEVICE_DELETED for ${USB_DEVICE} within ${DEVICE_DELETE_TIMEOUT_MS} ms`)), DEVICE_DELETE_TIMEOUT_MS);
    });
    // awaited below once device_del has answered; a timeout before that is not an unhandled rejection
    deleted.catch(() => undefined);
    try {
      await qmp.execute('device_del', { id: USB_DEVICE }, t);
      await deleted;
    } finally {
      clearTimeout(timer);
      run.deleted.delete(USB_DEVICE);
    }
    if (run.stopping) return;
    await qmp.execute('blockdev-del', { 'node-name': USB_NODE }, t);
    run.usbAttached = false;
    this.#log.info('USB stick pulled out', { host: this.#index });
  }
}
