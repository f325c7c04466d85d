// The simulated server behind a HostLink: a power/boot state machine that
// prints firmware POST, the chosen boot path, a Linux-style boot log and a
// login prompt on its serial console, and sensors computed lazily from the
// clock (no timer per sensor or per host between events, so hundreds of
// hosts share one process). Everything random is a hash of (seed, sensor,
// time cell), so a run is reproducible from its seed.
import type { Logger } from '../../log.js';
import { silentLogger } from '../../log.js';
import type { Clock, TimerHandle } from '../../model/clock.js';
import { ConsoleBuffer } from '../../model/console.js';
import type { SensorDef } from '../../model/sensors.js';
import type { BootChoice, HostLink, HostReports, MediaImage, MediaSlotKind } from '../link.js';
import { SimConsole, formatDate, type ShellEnv } from './console.js';
import { FIRMWARE_DATE, FIRMWARE_VERSION, bootPlan, postLines, type BootLine } from './firmware.js';
import { signed, smoothLoad, unit } from './noise.js';

export type SimBehaviour =
  | { kind: 'temperature'; ambient: number; loadRise: number; tauSeconds?: number; onlyWhenOn?: boolean }
  | { kind: 'fan'; follows: number /* sensor number of a temperature */; minRpm: number; maxRpm: number; atTemp: [number, number] /* temp range mapped to min..max */ }
  | { kind: 'voltage'; nominal: number; noise: number /* fraction, e.g. 0.005 */; standby: boolean }
  | { kind: 'constant'; value: number | null };

export interface SimSensor {
  def: SensorDef;
  sim: SimBehaviour;
}

export type SimHostState = 'off' | 'firmware' | 'os-booting' | 'os-running' | 'shutting-down' | 'panicked';

export interface SimHostOptions {
  sensors: readonly SimSensor[];
  clock: Clock;
  seed?: number;
  powerIdleWatts?: number;
  powerMaxWatts?: number;
  /** Draw while off (BMC and standby rails); default 5-8 W, seeded. */
  powerStandbyWatts?: number;
  /** Power-on to login prompt for a plain disk boot, ms (default 8000). */
  bootMs?: number;
  /** OS shutdown or reboot, from "System is going down" to power off, ms (default 3000). */
  shutdownMs?: number;
  hostname?: string;
  log?: Logger;
  /** Console login; defaults root / tsbmc. */
  consoleUser?: string;
  consolePassword?: string;
  /** Console history; one is made (64 KiB) when not given. */
  consoleBuffer?: ConsoleBuffer;
  cpus?: number;
  memoryMiB?: number;
  /** Whether the disk holds an OS; without one a disk boot stops in firmware (default true). */
  osInstalled?: boolean;
}

/** Temperatures and fans are integrated on this grid; noise changes once per cell. */
const CELL_MS = 1000;
const DEFAULT_TAU_S = 60;
/** The OS part of bootMs (the firmware takes the rest for a disk boot). */
const OS_FRACTION = 0.67;
const KERNEL_RELEASE = '6.1.0-sim';
const OS_NAME = 'SimLinux 1.0';
const MAX_DMESG_LINES = 2000;
/** Processor load in each state; a running OS follows a seeded workload instead. */
const STATE_LOAD: Record<Exclude<SimHostState, 'os-running'>, number> = {
  off: 0,
  firmware: 0.55,
  'os-booting': 0.8,
  'shutting-down': 0.35,
  panicked: 0.15,
};
/** States in which the kernel runs (it takes SysRq, an NMI panics it). */
const KERNEL_UP: ReadonlySet<SimHostState> = new Set(['os-booting', 'os-running', 'shutting-down']);

interface BootText {
  readonly hostname: string;
  readonly cpus: number;
  readonly memoryMiB: number;
  readonly media: string | null;
}

/** The OS boot log: when (fraction of the OS boot time) and what; kernel lines go to dmesg. */
const OS_BOOT: readonly { at: number; kernel: boolean; text: (b: BootText) => string }[] = [
  { at: 0, kernel: true, text: () => `Linux version ${KERNEL_RELEASE} (builder@tsbmc) (gcc (GCC) 12.2.0) #1 SMP PREEMPT_DYNAMIC` },
  {
    at: 0,
    kernel: true,
    text: (b) => `Command line: BOOT_IMAGE=${b.media ? '/live/vmlinuz boot=live' : `/boot/vmlinuz-${KERNEL_RELEASE} root=/dev/sda2 ro`} console=ttyS0,115200n8`,
  },
  { at: 0.01, kernel: true, text: () => `DMI: tsbmc Simulated Server/Sim Board, BIOS ${FIRMWARE_VERSION} ${FIRMWARE_DATE}` },
  { at: 0.03, kernel: true, text: (b) => `smpboot: Allowing ${b.cpus} CPUs, 0 hotplug CPUs` },
  { at: 0.05, kernel: true, text: (b) => `Memory: ${b.memoryMiB * 1024 - 412_000}K/${b.memoryMiB * 1024}K available` },
  { at: 0.12, kernel: true, text: () => 'ACPI: Core revision 20220331' },
  { at: 0.2, kernel: true, text: () => 'PCI: Using configuration type 1 for base access' },
  { at: 0.3, kernel: true, text: () => 'serial8250: ttyS0 at I/O 0x3f8 (irq = 4, base_baud = 115200) is a 16550A' },
  { at: 0.38, kernel: true, text: () => 'ahci 0000:00:17.0: AHCI 0001.0301 32 slots 6 ports 6 Gbps 0x3f impl SATA mode' },
  {
    at: 0.45,
    kernel: true,
    text: (b) => (b.media ? 'sr 1:0:0:0: [sr0] scsi3-mmc drive: 24x/24x cd/rw xa/form2 tray' : 'sd 0:0:0:0: [sda] 937703088 512-byte logical blocks: (480 GB/447 GiB)'),
  },
  {
    at: 0.52,
    kernel: true,
    text: (b) => (b.media ? `ISO 9660 Extensions: RRIP_1991A (${b.media})` : 'EXT4-fs (sda2): mounted filesystem with ordered data mode. Quota mode: none.'),
  },
  { at: 0.58, kernel: true, text: () => 'Run /sbin/init as init process' },
  { at: 0.64, kernel: true, text: () => 'systemd[1]: Detected architecture x86-64.' },
  { at: 0.66, kernel: true, text: (b) => `systemd[1]: Hostname set to <${b.hostname}>.` },
  { at: 0.75, kernel: true, text: () => 'ipmi_si IPI0001:00: IPMI kcs interface initialized' },
  { at: 0.82, kernel: true, text: () => 'e1000e 0000:00:1f.6 eth0: NIC Link is Up 1000 Mbps Full Duplex, Flow Control: Rx/Tx' },
  { at: 0.9, kernel: false, text: () => '[  OK  ] Started OpenSSH server daemon.' },
  { at: 0.95, kernel: false, text: () => '[  OK  ] Reached target Multi-User System.' },
];

const NMI_PANIC = [
  'Uhhuh. NMI received for unknown reason 3d on CPU 0.',
  'Do you have a strange power saving mode enabled?',
  'Kernel panic - not syncing: NMI: Not continuing',
  `CPU: 0 PID: 0 Comm: swapper/0 Not tainted ${KERNEL_RELEASE} #1`,
  `Hardware name: tsbmc Simulated Server/Sim Board, BIOS ${FIRMWARE_VERSION} ${FIRMWARE_DATE}`,
  'Call Trace:',
  ' <NMI>',
  ' dump_stack_lvl+0x44/0x5c',
  ' panic+0x118/0x2ed',
  ' nmi_panic.cold+0xc/0xc',
  ' unknown_nmi_error.cold+0x44/0x62',
  ' exc_nmi+0x14b/0x170',
  ' </NMI>',
  'Kernel Offset: disabled',
  '---[ end Kernel panic - not syncing: NMI: Not continuing ]---',
] as const;

interface Thermal {
  readonly ambient: number;
  readonly loadRise: number;
  readonly tauS: number;
  value: number;
}

interface Step {
  /** Ms from the start of the script. */
  readonly at: number;
  readonly run: () => void;
}

export class SimHost implements HostLink {
  readonly kind = 'sim';
  readonly console: SimConsole;
  readonly consoleBuffer: ConsoleBuffer;
  readonly hostname: string;
  readonly #sensors: readonly SimSensor[];
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #seed: number;
  readonly #idleW: number;
  readonly #maxW: number;
  readonly #standbyW: number;
  /** Highest processor load the power cap allows (1 = no cap). */
  #capLoad = 1;
  readonly #bootMs: number;
  readonly #shutdownMs: number;
  readonly #cpus: number;
  readonly #memoryMiB: number;
  readonly #dimms: number;
  readonly #osInstalled: boolean;
  readonly #mac: string;
  /** Thermal state of each temperature sensor, by sensor number. */
  readonly #thermal = new Map<number, Thermal>();
  #thermalAt: number;
  /** How far back a catch-up integration needs to look (~40 of the slowest time constant). */
  readonly #horizonMs: number;
  #reports: HostReports | undefined;
  #state: SimHostState = 'off';
  /** The image in the virtual CD/DVD drive (its name), as the BMC's model connected it. */
  #media: string | null = null;
  #usb: MediaImage | null = null;
  #lastBootChoice: BootChoice | undefined;
  #kernelStart = 0;
  #dmesg: string[] = [];
  #timers = new Set<TimerHandle>();
  /** Bumped whenever pending timers are cancelled, so a running script stops. */
  #generation = 0;

  constructor(opts: SimHostOptions) {
    this.#sensors = opts.sensors;
    this.#clock = opts.clock;
    this.#log = opts.log ?? silentLogger;
    this.#seed = Math.trunc(opts.seed ?? 0x5eed) | 0;
    this.#idleW = opts.powerIdleWatts ?? 95;
    this.#maxW = Math.max(opts.powerMaxWatts ?? 280, this.#idleW);
    this.#standbyW = opts.powerStandbyWatts ?? 5 + 3 * unit(this.#seed, 0x1fd);
    this.#bootMs = Math.max(0, opts.bootMs ?? 8000);
    this.#shutdownMs = Math.max(0, opts.shutdownMs ?? 3000);
    this.hostname = opts.hostname ?? 'sim-host';
    this.#cpus = opts.cpus ?? 8;
    const dimms = opts.sensors.filter((s) => s.def.present && /^DIMM/i.test(s.def.name)).length;
    this.#dimms = dimms > 0 ? dimms : 4;
    this.#memoryMiB = opts.memoryMiB ?? this.#dimms * 16_384;
    this.#osInstalled = opts.osInstalled ?? true;
    this.#mac = ['02', ...[1, 2, 3, 4, 5].map((i) => Math.floor(unit(this.#seed, 100 + i) * 256).toString(16).padStart(2, '0'))].join(':');
    this.#thermalAt = this.#clock.monotonic();
    for (const s of opts.sensors) {
      if (s.sim.kind !== 'temperature') continue;
      const tauS = s.sim.tauSeconds !== undefined && s.sim.tauSeconds > 0 ? s.sim.tauSeconds : DEFAULT_TAU_S;
      this.#thermal.set(s.def.number, { ambient: s.sim.ambient, loadRise: s.sim.loadRise, tauS, value: s.sim.ambient });
    }
    let maxTau = DEFAULT_TAU_S;
    for (const th of this.#thermal.values()) maxTau = Math.max(maxTau, th.tauS);
    this.#horizonMs = Math.max(3_600_000, maxTau * 40_000);
    this.consoleBuffer = opts.consoleBuffer ?? new ConsoleBuffer();
    this.console = new SimConsole({
      buffer: this.consoleBuffer,
      env: this.#shellEnv(),
      ...(opts.consoleUser !== undefined ? { user: opts.consoleUser } : {}),
      ...(opts.consolePassword !== undefined ? { password: opts.consolePassword } : {}),
    });
  }

  /** Where the host is in its life; for tests and diagnostics. */
  get state(): SimHostState {
    return this.#state;
  }

  /** The boot device the firmware took at the last boot. */
  get lastBootChoice(): BootChoice | undefined {
    return this.#lastBootChoice;
  }

  get media(): string | null {
    return this.#media;
  }

  /** The image on the virtual USB stick, if any (the firmware does not boot from it yet). */
  get usbMedia(): MediaImage | null {
    return this.#usb;
  }

  /** Connects an image to the virtual CD/DVD drive or USB port (null ejects it); the model's slot state drives this. */
  attachMedia(slot: MediaSlotKind, image: MediaImage | null): void {
    if (slot === 'cd') this.#media = image?.name ?? null;
    else this.#usb = image;
  }

  // ---- HostLink --------------------------------------------------------------

  attach(reports: HostReports): void {
    this.#reports = reports;
  }

  powerOn(): void {
    if (this.#state !== 'off') return;
    this.#startFirmware();
  }

  powerOff(): void {
    this.#cancelAll();
    this.console.close();
    this.#setState('off');
  }

  reset(): void {
    if (this.#state === 'off') return;
    this.#startFirmware();
  }

  diagnosticInterrupt(): void {
    if (!KERNEL_UP.has(this.#state)) return;
    this.#panic(NMI_PANIC);
  }

  softOff(): void {
    // Only a running OS listens to the power button; firmware and a booting
    // kernel drop the event, and the BMC's soft-off request lapses.
    if (this.#state !== 'os-running') return;
    this.console.print('\nsystemd-logind[612]: Power key pressed short.\n');
    this.#goDown('poweroff', 'acpi-shutdown');
  }

  sample(nowMs: number): { readings: ReadonlyMap<number, number | null>; powerWatts: number } {
    // The caller's wall time, mapped onto the monotonic clock the timers use.
    const mono = nowMs - this.#clock.now() + this.#clock.monotonic();
    this.#advanceThermal(mono);
    const t = Math.max(mono, this.#thermalAt);
    const cell = Math.floor(t / CELL_MS);
    const on = this.#state !== 'off';
    const readings = new Map<number, number | null>();
    for (const { def, sim } of this.#sensors) {
      readings.set(def.number, def.present ? this.#reading(def.number, sim, on, cell) : null);
    }
    const load = this.#load(t);
    const watts = on
      ? (this.#idleW + (this.#maxW - this.#idleW) * load) * (1 + 0.01 * signed(this.#seed, 0x1fe, cell))
      : Math.max(0, this.#standbyW + 0.3 * signed(this.#seed, 0x1fc, cell));
    return { readings, powerWatts: Math.round(watts * 10) / 10 };
  }

  async close(): Promise<void> {
    this.#cancelAll();
    this.console.close();
  }

  // ---- sensors -----------------------------------------------------------------

  #reading(num: number, sim: SimBehaviour, on: boolean, cell: number): number | null {
    switch (sim.kind) {
      case 'constant':
        return sim.value;
      case 'voltage':
        if (!on && !sim.standby) return null;
        return sim.nominal * (1 + sim.noise * signed(this.#seed, num, cell));
      case 'temperature': {
        if (!on && sim.onlyWhenOn) return null;
        const th = this.#thermal.get(num);
        return th ? th.value + 0.3 * signed(this.#seed, num, cell) : sim.ambient;
      }
      case 'fan': {
        if (!on) return null;
        // POST runs the fans flat out until the OS's fan control takes over.
        if (this.#state === 'firmware') return sim.maxRpm;
        const temp = this.#thermal.get(sim.follows)?.value;
        const [lo, hi] = sim.atTemp;
        const frac = temp === undefined ? 0 : hi > lo ? Math.min(1, Math.max(0, (temp - lo) / (hi - lo))) : temp >= hi ? 1 : 0;
        const rpm = sim.minRpm + (sim.maxRpm - sim.minRpm) * frac;
        return Math.max(0, rpm * (1 + 0.015 * signed(this.#seed, num, cell)));
      }
    }
  }

  /** Processor load 0..1 at a monotonic time, in the current state, throttled to the power cap. */
  #load(t: number): number {
    const load = this.#state === 'os-running' ? smoothLoad(this.#seed, t) : STATE_LOAD[this.#state];
    return Math.min(load, this.#capLoad);
  }

  /**
   * Power capping: the processors are throttled so the draw (with its 1 %
   * ripple) stays under the cap; the idle draw is the floor, so a cap below
   * it cannot be met. Throttling lowers the temperatures as well.
   */
  setPowerCap(watts: number | null): void {
    this.#advanceThermal(this.#clock.monotonic());
    const span = this.#maxW - this.#idleW;
    this.#capLoad = watts === null || span <= 0 ? 1 : Math.min(1, Math.max(0, (watts / 1.011 - this.#idleW) / span));
  }

  /**
   * Integrates every temperature up to `to`: exponential approach to its
   * target, the target held for each grid cell (so splitting a cell at a
   * sample or a state change gives the same result).
   */
  #advanceThermal(to: number): void {
    if (to <= this.#thermalAt) return;
    let t = this.#thermalAt;
    // Beyond ~40 time constants the past no longer shows; skip it.
    if (to - t > this.#horizonMs) t = to - this.#horizonMs;
    const on = this.#state !== 'off';
    while (t < to) {
      const cellStart = Math.floor(t / CELL_MS) * CELL_MS;
      const end = Math.min(to, cellStart + CELL_MS);
      const dtS = (end - t) / 1000;
      const load = on ? this.#load(cellStart) : 0;
      for (const th of this.#thermal.values()) {
        const target = th.ambient + th.loadRise * load;
        th.value += (target - th.value) * (1 - Math.exp(-dtS / th.tauS));
      }
      t = end;
    }
    this.#thermalAt = to;
  }

  // ---- life cycle --------------------------------------------------------------

  #setState(next: SimHostState): void {
    this.#advanceThermal(this.#clock.monotonic());
    if (next === this.#state) return;
    this.#log.debug('sim host state', { host: this.hostname, from: this.#state, to: next });
    this.#state = next;
  }

  #after(ms: number, fn: () => void): void {
    const handle = this.#clock.setTimeout(() => {
      this.#timers.delete(handle);
      fn();
    }, Math.max(0, ms));
    this.#timers.add(handle);
  }

  #cancelAll(): void {
    for (const t of this.#timers) t.cancel();
    this.#timers.clear();
    this.#generation++;
  }

  /** Runs steps at their times, one timer at a time; stops when timers are cancelled. */
  #script(steps: readonly Step[]): void {
    const generation = this.#generation;
    const start = this.#clock.monotonic();
    const next = (i: number): void => {
      const step = steps[i];
      if (!step) return;
      this.#after(start + step.at - this.#clock.monotonic(), () => {
        if (generation !== this.#generation) return;
        step.run();
        if (generation === this.#generation) next(i + 1);
      });
    };
    next(0);
  }

  /** Lines with relative delays (fractions of bootMs) as steps, then a final action. */
  #linesThen(lines: readonly BootLine[], then: () => void): void {
    const steps: Step[] = [];
    let at = 0;
    for (const l of lines) {
      at += l.delay * this.#bootMs;
      steps.push({ at, run: () => this.console.print(`${l.text}\n`) });
    }
    steps.push({ at, run: then });
    this.#script(steps);
  }

  #startFirmware(): void {
    this.#cancelAll();
    this.console.close();
    this.#setState('firmware');
    this.#linesThen(postLines({ cpus: this.#cpus, memoryMiB: this.#memoryMiB, dimms: this.#dimms }), () => this.#selectBootDevice());
  }

  #selectBootDevice(): void {
    // Asked exactly once per boot: this consumes a "Once" override.
    const choice: BootChoice = this.#reports?.takeBootChoice() ?? { device: 'none', mode: 'legacy' };
    this.#lastBootChoice = choice;
    this.#log.debug('sim host boot device', { host: this.hostname, device: choice.device, mode: choice.mode });
    const plan = bootPlan(choice, { media: this.#media, osInstalled: this.#osInstalled, mac: this.#mac });
    this.#linesThen(plan.lines, () => {
      switch (plan.outcome.kind) {
        case 'os':
          this.#startOs(null);
          return;
        case 'media':
          this.#startOs(plan.outcome.name);
          return;
        case 'setup':
        case 'halt':
          return;
      }
    });
  }

  #startOs(media: string | null): void {
    this.#setState('os-booting');
    this.#kernelStart = this.#clock.monotonic();
    this.#dmesg = [];
    const osMs = this.#bootMs * OS_FRACTION;
    const text: BootText = { hostname: this.hostname, cpus: this.#cpus, memoryMiB: this.#memoryMiB, media };
    const steps: Step[] = OS_BOOT.map((l) => ({
      at: l.at * osMs,
      run: () => (l.kernel ? this.#klog(l.text(text)) : this.console.print(`${l.text(text)}\n`)),
    }));
    steps.push({
      at: osMs,
      run: () => {
        this.#setState('os-running');
        this.console.openLogin();
      },
    });
    this.#script(steps);
  }

  /** The OS shuts down (power button, poweroff) or reboots, then acts. */
  #goDown(kind: 'poweroff' | 'reboot', reason: string): void {
    this.#cancelAll();
    this.console.close();
    this.#setState('shutting-down');
    const what = kind === 'reboot' ? 'reboot' : 'power-off';
    this.console.print(`\nBroadcast message from root@${this.hostname} on ttyS0 (${formatDate(this.#clock.now())}):\n\nSystem is going down for ${what} NOW!\n\n`);
    const S = this.#shutdownMs;
    this.#script([
      { at: 0.2 * S, run: () => this.console.print('[  OK  ] Stopped target Multi-User System.\n') },
      { at: 0.4 * S, run: () => this.console.print('[  OK  ] Stopped OpenSSH server daemon.\n') },
      { at: 0.6 * S, run: () => this.console.print('[  OK  ] Unmounted /home.\n') },
      { at: 0.8 * S, run: () => this.console.print(`[  OK  ] Reached target System ${kind === 'reboot' ? 'Reboot' : 'Power Off'}.\n`) },
      {
        at: S,
        run: () => {
          if (kind === 'reboot') {
            this.#klog('reboot: Restarting system');
            this.#reports?.restarted(reason);
            this.#startFirmware();
          } else {
            this.#klog('reboot: Power down');
            this.#selfOff(reason);
          }
        },
      },
    ]);
  }

  /** The host turned itself off; the model hears of it. */
  #selfOff(reason: string): void {
    this.#cancelAll();
    this.console.close();
    this.#setState('off');
    this.#reports?.poweredOff(reason);
  }

  #panic(lines: readonly string[]): void {
    this.#cancelAll();
    this.console.close();
    this.#setState('panicked');
    for (const l of lines) this.#klog(l);
  }

  /** A kernel message: timestamped on the console and kept for dmesg. */
  #klog(text: string): void {
    const secs = (this.#clock.monotonic() - this.#kernelStart) / 1000;
    const line = `[${secs.toFixed(6).padStart(12)}] ${text}`;
    this.#dmesg.push(line);
    if (this.#dmesg.length > MAX_DMESG_LINES) this.#dmesg.shift();
    this.console.print(`${line}\n`);
  }

  #sysrq(key: string): boolean {
    if (!KERNEL_UP.has(this.#state)) return false;
    switch (key) {
      case 'b':
        this.#klog('sysrq: Resetting');
        this.#reports?.restarted('sysrq-reset');
        this.#startFirmware();
        return true;
      case 'o':
        this.#klog('sysrq: Power Off');
        this.#selfOff('sysrq-poweroff');
        return true;
      case 'c':
        this.#klog('sysrq: Trigger a crash');
        this.#panic(['Kernel panic - not syncing: sysrq triggered crash', '---[ end Kernel panic - not syncing: sysrq triggered crash ]---']);
        return true;
      default:
        this.#klog('sysrq: HELP : reboot(b) crash(c) power-off(o)');
        return true;
    }
  }

  #shellEnv(): ShellEnv {
    return {
      hostname: this.hostname,
      osName: OS_NAME,
      kernelRelease: KERNEL_RELEASE,
      cpus: this.#cpus,
      memoryMiB: this.#memoryMiB,
      now: () => this.#clock.now(),
      uptimeMs: () => this.#clock.monotonic() - this.#kernelStart,
      loadAverage: () => {
        // The load some minutes back, faded in over the averaging window since boot.
        const now = this.#clock.monotonic();
        const up = now - this.#kernelStart;
        const avg = (windowMs: number): number =>
          Math.round(this.#load(now - windowMs / 5) * this.#cpus * Math.min(1, up / windowMs) * 100) / 100;
        return [avg(60_000), avg(300_000), avg(900_000)];
      },
      dmesg: () => this.#dmesg,
      poweroff: () => this.#goDown('poweroff', 'os-poweroff'),
      reboot: () => this.#goDown('reboot', 'os-reboot'),
      sysrq: (key) => this.#sysrq(key),
    };
  }
}
