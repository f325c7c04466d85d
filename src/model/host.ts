// One managed host (a server node): its power state machine and what the
// BMC keeps for it — restart cause, power-on hours, restore policy, boot
// options, watchdog, sensors, event log, FRU, identify, DCMI power data.
// Nothing here knows a protocol; front doors translate.
import { createHash } from 'node:crypto';
import type { HostLink, HostReports } from '../backends/link.js';
import { BiosSettings, biosAttributeDefs, type AttributeDef } from './bios.js';
import { BOOT_FLAGS_TIMEOUT_MS, consumeBootOverride, defaultBootOptions, type BootOptions, type BootOverride } from './boot.js';
import type { Clock, TimerHandle } from './clock.js';
import { ConsoleBuffer } from './console.js';
import { encodeEventMessage, EventMessageBuffer, NOT_LOGGED } from './event-buffer.js';
import type { ModelEvents } from './events.js';
import { FruDevice, type FruInfo } from './fru.js';
import { POWER_CHANNEL, SensorHistory } from './history.js';
import { HostMedia } from './media.js';
import { DEFAULT_INVENTORY, hostInventory, type Inventory } from './inventory.js';
import { Pef, type PefPowerAction } from './pef.js';
import type { Persistence } from './persist.js';
import { OFF, ON, powerStep, type PowerAction, type PowerEffect, type PowerMachineState, type PowerRefusal, type RestartCause } from './power.js';
import { EventLog, type OverflowPolicy, type SystemEvent } from './sel.js';
import { EventReadingType, fromRaw, Sensor, SensorType, type SensorChange, type SensorDef } from './sensors.js';
import { Watchdog, WatchdogAction, type WatchdogExpiry } from './watchdog.js';

export type RestorePolicy = 'always-off' | 'previous' | 'always-on';

export interface HostSpec {
  readonly index: number;
  readonly name: string;
  readonly sensors: readonly SensorDef[];
  readonly fru: FruInfo;
  readonly fruSize: number;
  readonly selCapacity: number;
  readonly selOverflow: OverflowPolicy;
  /** Off interval of a power cycle, ms. */
  readonly powerCycleIntervalMs: number;
  /** How long an ACPI soft-off may take before the request lapses, ms. */
  readonly softOffTimeoutMs: number;
  readonly systemGuid: Uint8Array;
  readonly defaultRestorePolicy: RestorePolicy;
  /** Processors, DIMMs, NICs, storage; the default 1U server's when absent. */
  readonly inventory?: Inventory;
  /** The firmware's setup attributes; derived from the inventory when absent. */
  readonly biosAttributes?: readonly AttributeDef[];
}

export interface PowerLimit {
  /** 0 no action, 1 hard power off and log, 0x11 log only. */
  exceptionAction: number;
  limitWatts: number;
  correctionMs: number;
  samplingSeconds: number;
  active: boolean;
}

export interface IdentifyState {
  on: boolean;
  forced: boolean;
  /** Monotonic ms when a timed identify ends. */
  until: number | null;
}

const GENERATOR_BMC = 0x0020;
/** BMC global enables (IPMI v2.0 22.1) the model acts on. */
const GlobalEnable = { EventMessageBuffer: 0x04, SystemEventLogging: 0x08 } as const;
/** Message flags (22.4) the model keeps. */
const MessageFlag = { EventMessageBuffer: 0x02, WatchdogPreTimeout: 0x08 } as const;
/** SEL record type of a power limit exception (timestamped OEM, IPMI v2.0 32.2). */
export const POWER_LIMIT_RECORD_TYPE = 0xc0;
const EVM_REV = 0x04;
const POWER_SAMPLES = 3600;

interface StoredPower {
  lastState: 'on' | 'off';
  policy: RestorePolicy;
  pohMs: number;
  /** Power-ons and resets over the host's life. */
  cycles?: number;
}

export class Host {
  readonly index: number;
  readonly name: string;
  readonly spec: HostSpec;
  readonly sel: EventLog;
  readonly sensors: ReadonlyMap<number, Sensor>;
  readonly frus: ReadonlyMap<number, FruDevice>;
  readonly inventory: Inventory;
  readonly watchdog: Watchdog;
  /** Platform Event Filtering of the events that reach this host's event receiver. */
  readonly pef: Pef;
  /** Firmware setup attributes and Secure Boot; pending settings apply at each power-on and reset. */
  readonly bios: BiosSettings;
  readonly link: HostLink;
  /**
   * The host's serial console output: one bounded history that SOL, the web
   * console and any other reader share. The backend writes into it.
   */
  readonly console: ConsoleBuffer;
  /** Virtual media drives (CD/DVD, USB stick) and their images. */
  readonly media: HostMedia;
  /** Recent readings of the threshold sensors and the power draw (bounded rings, fed by scan()). */
  readonly history: SensorHistory;
  /** ACPI system and device power states (Set/Get ACPI Power State). */
  acpi = { system: 0x05, device: 0x03 };
  /**
   * Event messages for system software on the system interface (22.8): the
   * BMC's own events while global enables bit 2 is set.
   */
  readonly eventBuffer = new EventMessageBuffer();
  /** Event receiver address and LUN (29.1); 0xFF disables event messages. */
  eventReceiver = { address: 0x20, lun: 0 };
  powerLimit: PowerLimit = { exceptionAction: 0, limitWatts: 0, correctionMs: 1000, samplingSeconds: 1, active: false };
  /** Power cycle interval, seconds (Set Power Cycle Interval). */
  powerCycleIntervalS: number;
  /**
   * When the host's sensor set last changed (ms since the epoch): kept across
   * restarts, so clients that cache the SDR (FreeIPMI) see it as unchanged.
   */
  readonly sensorSetChangedAt: number;
  #power: PowerMachineState = OFF;
  #globalEnables: number = GlobalEnable.SystemEventLogging;
  /** Message flags the model raised (the event buffer's flag is its contents). */
  #messageFlags = 0;
  /** When the power draw went above the active limit (undefined: at or below it). */
  #overLimitSince: number | undefined;
  /** The exception action of the current excursion above the limit was taken. */
  #limitExceptionTaken = false;
  #restartCause: RestartCause = 'unknown';
  #restartChannel = 0;
  #policy: RestorePolicy;
  #pohMs = 0;
  #onSince: number | null = null;
  #boot: BootOptions;
  #identify: IdentifyState = { on: false, forced: false, until: null };
  #identifyTimer: TimerHandle | undefined;
  #bootFlagsTimer: TimerHandle | undefined;
  #timers: TimerHandle[] = [];
  #powerSamples: { t: number; w: number }[] = [];
  #powerCycles = 0;
  #lastResetAt = 0;
  readonly #events: ModelEvents;
  readonly #clock: Clock;
  readonly #persist: Persistence;
  readonly #sensorsByType = new Map<number, Sensor>();
  readonly #charted: readonly Sensor[];

  constructor(opts: { spec: HostSpec; link: HostLink; events: ModelEvents; clock: Clock; persist: Persistence; console?: ConsoleBuffer }) {
    const { spec } = opts;
    this.console = opts.console ?? new ConsoleBuffer();
    this.index = spec.index;
    this.name = spec.name;
    this.spec = spec;
    this.link = opts.link;
    this.#events = opts.events;
    this.#clock = opts.clock;
    this.#persist = opts.persist;
    this.powerCycleIntervalS = Math.round(spec.powerCycleIntervalMs / 1000);
    this.media = new HostMedia({ host: spec.index, link: opts.link, events: opts.events, clock: opts.clock, persist: opts.persist });
    this.inventory = spec.inventory ?? hostInventory(DEFAULT_INVENTORY, { index: spec.index, hosts: 1, systemGuid: spec.systemGuid, hostName: spec.name });
    this.sel = new EventLog({
      host: spec.index,
      capacity: spec.selCapacity,
      overflowPolicy: spec.selOverflow,
      clock: opts.clock,
      persist: opts.persist,
      events: opts.events,
    });
    this.pef = new Pef({
      host: spec.index,
      clock: opts.clock,
      persist: opts.persist,
      events: opts.events,
      hooks: { logAction: (actions) => this.#logPefAction(actions), act: (action) => this.#pefAct(action) },
    });
    this.bios = new BiosSettings({ attributes: spec.biosAttributes ?? biosAttributeDefs(this.inventory), persist: opts.persist, now: () => opts.clock.now() });
    const sensors = new Map<number, Sensor>();
    for (const def of spec.sensors) {
      const s = new Sensor(def);
      sensors.set(def.number, s);
      if (!this.#sensorsByType.has(def.type)) this.#sensorsByType.set(def.type, s);
    }
    this.sensors = sensors;
    this.#loadSensorConfig();
    const charted = [...sensors.values()].filter((s) => s.isThreshold).sort((a, b) => a.def.number - b.def.number);
    this.#charted = charted;
    this.history = new SensorHistory({
      channels: [
        ...charted.map((s) => ({ key: s.def.number, toValue: (raw: number) => fromRaw(raw, s.def.conversion) })),
        { key: POWER_CHANNEL, toValue: (w: number) => w },
      ],
    });
    const digest = createHash('sha256').update(JSON.stringify(spec.sensors)).digest('hex');
    const known = opts.persist.load('sensor-set') as { digest: string; changedAt: number } | undefined;
    if (known?.digest === digest) this.sensorSetChangedAt = known.changedAt;
    else {
      this.sensorSetChangedAt = opts.clock.now();
      opts.persist.save('sensor-set', { digest, changedAt: this.sensorSetChangedAt });
    }
    this.frus = new Map([
      [0, new FruDevice({ id: 0, name: 'Builtin FRU Device', host: spec.index, defaults: spec.fru, size: spec.fruSize, persist: opts.persist, events: opts.events })],
    ]);
    const stored = opts.persist.load('power') as StoredPower | undefined;
    this.#policy = stored?.policy ?? spec.defaultRestorePolicy;
    this.#pohMs = stored?.pohMs ?? 0;
    this.#powerCycles = stored?.cycles ?? 0;
    const boot = opts.persist.load('boot') as BootOptions | undefined;
    this.#boot = boot ? { ...defaultBootOptions(), ...boot } : defaultBootOptions();
    const dcmi = opts.persist.load('power-limit') as PowerLimit | undefined;
    if (dcmi) this.powerLimit = dcmi;
    this.watchdog = new Watchdog({
      clock: opts.clock,
      onExpire: (e) => this.#watchdogExpired(e),
      onPreTimeout: (e) => this.#watchdogPreTimeout(e),
      onChange: (what) => this.#events.emit({ type: 'watchdog', host: this.index, action: what }),
    });
    const reports: HostReports = {
      poweredOff: (reason) => this.#apply(powerStep(this.#power, { kind: 'host-off' }), reason),
      poweredOn: (reason) => this.#apply(powerStep(this.#power, { kind: 'host-on' }), reason),
      restarted: (reason) => {
        if (this.#power.current !== 'on') return;
        this.#restartCause = 'soft-reset';
        this.#restartChannel = 0;
        this.#effect({ kind: 'reset' }, reason);
      },
      takeBootChoice: () => {
        const c = consumeBootOverride(this.#boot.override, { cause: this.#restartCause, validBitClearing: this.#boot.validBitClearing });
        if (c.next !== this.#boot.override) this.setBootOverride(c.next);
        this.media.noteBoot(c.device);
        return { device: c.device, mode: c.mode };
      },
    };
    this.link.attach(reports);
    this.#applyPowerCap();
  }

  // ---- global enables and message flags (IPMI v2.0 22.1-22.4) ----------------

  /**
   * BMC global enables: [3] system event logging (on at start), [2] event
   * message buffer, [1] event message buffer full interrupt, [0] receive
   * message queue interrupt, [7:5] OEM. Volatile, as on a real BMC.
   */
  get globalEnables(): number {
    return this.#globalEnables;
  }

  /** Sets the global enables; turning the event message buffer off empties it. */
  setGlobalEnables(value: number): void {
    this.#globalEnables = value & 0xff;
    if ((value & GlobalEnable.EventMessageBuffer) === 0) this.eventBuffer.clear();
  }

  /**
   * Message flags: [3] watchdog pre-timeout interrupt occurred, [1] event
   * message buffer full (set while the buffer holds a message), [7:5] OEM.
   */
  get messageFlags(): number {
    return this.#messageFlags | (this.eventBuffer.size > 0 ? MessageFlag.EventMessageBuffer : 0);
  }

  /** Clears the flags in `mask`; clearing bit 1 empties the event message buffer. */
  clearMessageFlags(mask: number): void {
    this.#messageFlags &= ~mask & 0xff;
    if ((mask & MessageFlag.EventMessageBuffer) !== 0) this.eventBuffer.clear();
  }

  /**
   * An event the BMC generated itself: logged in the SEL when `log` (the
   * caller's rule), and put in the event message buffer while it is enabled,
   * with the SEL record's id and time (FFFFh and the SEL clock when not
   * logged). Events system software sent (Add SEL Entry, Platform Event
   * Message) do not come here: they are not echoed back to it. PEF sees the
   * event unless it is PEF's own action record.
   */
  #bmcEvent(e: Omit<SystemEvent, 'timestamp'>, log: boolean, filter = true): void {
    const id = log ? this.sel.addSystemEvent(e) : undefined;
    if ((this.#globalEnables & GlobalEnable.EventMessageBuffer) !== 0) {
      const rec = typeof id === 'number' ? this.sel.get(id) : undefined;
      const timestamp = rec ? (rec.body[0]! | (rec.body[1]! << 8) | (rec.body[2]! << 16) | (rec.body[3]! << 24)) >>> 0 : this.sel.time();
      this.eventBuffer.put(encodeEventMessage(rec ? rec.id : NOT_LOGGED, { ...e, timestamp }));
    }
    // after the event is out, so a PEF Action record and the action follow it
    if (filter) this.pef.process(typeof id === 'number' ? id : 0, e);
  }

  /**
   * A Platform Event Message reached the event receiver (29.3): logged while
   * System Event Logging is enabled (a full SEL drops it), then filtered by PEF.
   */
  platformEvent(e: Omit<SystemEvent, 'timestamp'>): void {
    const id = (this.#globalEnables & GlobalEnable.SystemEventLogging) !== 0 ? this.sel.addSystemEvent(e) : undefined;
    this.pef.process(typeof id === 'number' ? id : 0, e);
  }

  /** The "System Event: PEF Action" record (sensor type 12h, offset 04h; event data 2 = the actions). */
  #logPefAction(actions: number): void {
    this.#bmcEvent(
      {
        generatorId: GENERATOR_BMC,
        evmRev: EVM_REV,
        sensorType: SensorType.SystemEvent,
        sensorNumber: this.sensorOfType(SensorType.SystemEvent)?.def.number ?? 0xff,
        eventDirType: EventReadingType.SensorSpecific,
        eventData: [0xc4, actions & 0xff, 0xff],
      },
      (this.#globalEnables & GlobalEnable.SystemEventLogging) !== 0,
      false,
    );
  }

  #pefAct(action: PefPowerAction): void {
    this.request(action, action === 'cycle' ? 'pef-cycle' : 'pef-reset');
  }

  // ---- power ---------------------------------------------------------------

  get power(): 'on' | 'off' {
    return this.#power.current;
  }

  get powerState(): PowerMachineState {
    return this.#power;
  }

  get restartCause(): RestartCause {
    return this.#restartCause;
  }

  /** The channel the request behind the last restart came in on (0 when not from a channel). */
  get restartChannel(): number {
    return this.#restartChannel;
  }

  get restorePolicy(): RestorePolicy {
    return this.#policy;
  }

  /** Times the host was powered on or reset since the BMC started. */
  /** When the host last powered on or reset (ms since the epoch), or null while off. */
  get lastResetAt(): number | null {
    return this.#power.current === 'on' ? this.#lastResetAt : null;
  }

  /** Power-ons and resets over the host's life (kept across BMC restarts). */
  get powerCycles(): number {
    return this.#powerCycles;
  }

  setRestorePolicy(p: RestorePolicy): void {
    this.#policy = p;
    this.#savePower();
    this.#events.emit({ type: 'power-policy', host: this.index });
  }

  /** Power-on hours counter in minutes. */
  powerOnMinutes(): number {
    const running = this.#onSince === null ? 0 : this.#clock.monotonic() - this.#onSince;
    return Math.floor((this.#pohMs + running) / 60_000);
  }

  /**
   * Carries out a power action; a refusal names why. `channel` is the
   * management channel the request came in on, when it came in on one.
   */
  request(action: PowerAction, cause: RestartCause = 'chassis-control', channel = 0): PowerRefusal | undefined {
    const step = powerStep(this.#power, { kind: 'request', action, cause });
    if (!step.ok) return step.reason;
    if (step.effects.some((e) => e.kind === 'restart-cause')) this.#restartChannel = channel;
    // a Chassis Control command restarts the boot flags' 60-second countdown
    if (cause === 'chassis-control' && this.#bootFlagsTimer) this.#armBootFlagsTimeout();
    this.#apply(step, cause);
    return undefined;
  }

  /** Applies the restore policy once, when the BMC starts. */
  applyRestorePolicy(): void {
    const stored = this.#persist.load('power') as StoredPower | undefined;
    if (this.#policy === 'always-on') this.request('on', 'policy-always-on');
    else if (this.#policy === 'previous' && stored?.lastState === 'on') this.request('on', 'policy-previous');
  }

  #apply(step: ReturnType<typeof powerStep>, cause: string): void {
    if (!step.ok) return;
    this.#power = step.state;
    for (const e of step.effects) this.#effect(e, cause);
  }

  #effect(e: PowerEffect, cause: string): void {
    switch (e.kind) {
      case 'backend-on':
        this.link.powerOn();
        return;
      case 'backend-off':
        this.link.powerOff();
        return;
      case 'backend-reset':
        this.link.reset();
        return;
      case 'backend-nmi':
        this.link.diagnosticInterrupt();
        this.#events.emit({ type: 'host-signal', host: this.index, signal: 'nmi' });
        return;
      case 'backend-soft-off':
        this.link.softOff();
        this.#events.emit({ type: 'host-signal', host: this.index, signal: 'soft-off' });
        return;
      case 'start-cycle-timer':
        this.#timers.push(
          this.#clock.setTimeout(() => this.#apply(powerStep(this.#power, { kind: 'cycle-interval-elapsed' }), 'power cycle'), this.powerCycleIntervalS * 1000),
        );
        return;
      case 'start-soft-off-timer':
        this.#timers.push(
          this.#clock.setTimeout(() => this.#apply(powerStep(this.#power, { kind: 'soft-off-timeout' }), 'soft-off timeout'), this.spec.softOffTimeoutMs),
        );
        return;
      case 'cancel-timers':
        for (const t of this.#timers) t.cancel();
        this.#timers = [];
        return;
      case 'restart-cause':
        this.#restartCause = e.cause;
        return;
      case 'changed':
        this.#powerChanged(e.to, cause);
        return;
      case 'reset':
        this.#powerCycles++;
        this.#lastResetAt = this.#clock.now();
        this.#savePower();
        this.bios.boot();
        this.#events.emit({ type: 'host-reset', host: this.index, cause });
        return;
    }
  }

  #powerChanged(to: 'on' | 'off', cause: string): void {
    const now = this.#clock.monotonic();
    if (to === 'on') {
      this.#onSince = now;
      this.#powerCycles++;
      this.#lastResetAt = this.#clock.now();
      this.bios.boot();
      this.acpi = { system: 0x00, device: 0x00 };
    } else {
      if (this.#onSince !== null) this.#pohMs += now - this.#onSince;
      this.#onSince = null;
      this.acpi = { system: 0x05, device: 0x03 };
      this.watchdog.stop();
    }
    this.#savePower();
    this.#events.emit({ type: 'power', host: this.index, state: to, cause });
  }

  #savePower(): void {
    const running = this.#onSince === null ? 0 : this.#clock.monotonic() - this.#onSince;
    this.#persist.save('power', {
      lastState: this.#power.current,
      policy: this.#policy,
      pohMs: this.#pohMs + running,
      cycles: this.#powerCycles,
    } satisfies StoredPower);
  }

  // ---- boot ----------------------------------------------------------------

  get boot(): Readonly<BootOptions> {
    return this.#boot;
  }

  /**
   * Sets the boot override. `timeout`: the override was set through a door
   * that has IPMI's 60-second rule (IPMI v2.0 28.12): unless parameter 3
   * keeps it, the valid bit clears when no Chassis Control command follows
   * within 60 s. Redfish's Once has no such rule.
   */
  setBootOverride(o: BootOverride, opts: { timeout?: boolean } = {}): void {
    this.#boot = { ...this.#boot, override: { ...o } };
    this.#bootFlagsTimer?.cancel();
    this.#bootFlagsTimer = undefined;
    if (opts.timeout && o.valid && (this.#boot.validBitClearing & 0x08) === 0) this.#armBootFlagsTimeout();
    this.#saveBoot();
  }

  #armBootFlagsTimeout(): void {
    this.#bootFlagsTimer?.cancel();
    this.#bootFlagsTimer = this.#clock.setTimeout(() => {
      this.#bootFlagsTimer = undefined;
      if (!this.#boot.override.valid) return;
      this.#boot = { ...this.#boot, override: { ...this.#boot.override, valid: false } };
      this.#saveBoot();
    }, BOOT_FLAGS_TIMEOUT_MS);
  }

  setBootOptions(change: Partial<BootOptions>): void {
    this.#boot = { ...this.#boot, ...change };
    this.#saveBoot();
  }

  #saveBoot(): void {
    this.#persist.save('boot', this.#boot);
    this.#events.emit({ type: 'boot-options', host: this.index });
  }

  // ---- identify ------------------------------------------------------------

  get identify(): Readonly<IdentifyState> {
    if (this.#identify.until !== null && this.#clock.monotonic() >= this.#identify.until) {
      this.#identify = { on: false, forced: false, until: null };
    }
    return this.#identify;
  }

  /** Turns identify on for a time (seconds), on until turned off (forced), or off. */
  setIdentify(mode: { seconds: number } | 'force-on' | 'off'): void {
    this.#identifyTimer?.cancel();
    this.#identifyTimer = undefined;
    if (mode === 'off' || (typeof mode === 'object' && mode.seconds === 0)) {
      this.#identify = { on: false, forced: false, until: null };
    } else if (mode === 'force-on') {
      this.#identify = { on: true, forced: true, until: null };
    } else {
      this.#identify = { on: true, forced: false, until: this.#clock.monotonic() + mode.seconds * 1000 };
      this.#identifyTimer = this.#clock.setTimeout(() => {
        this.#identify = { on: false, forced: false, until: null };
        this.#events.emit({ type: 'identify', host: this.index, on: false });
      }, mode.seconds * 1000);
    }
    this.#events.emit({ type: 'identify', host: this.index, on: this.#identify.on });
  }

  // ---- sensors -------------------------------------------------------------

  sensorOfType(type: number): Sensor | undefined {
    return this.#sensorsByType.get(type);
  }

  /** Takes one sample from the backend: readings, threshold events, power. */
  scan(): void {
    const now = this.#clock.now();
    const { readings, powerWatts } = this.link.sample(now);
    for (const [num, value] of readings) {
      const s = this.sensors.get(num);
      if (!s || !s.isThreshold) continue;
      const before = s.raw;
      const changes = s.setValue(value);
      if (s.raw !== before) this.#events.emit({ type: 'reading', host: this.index, sensor: num, value: s.value });
      this.#logChanges(s, changes);
    }
    this.#powerSamples.push({ t: now, w: powerWatts });
    if (this.#powerSamples.length > POWER_SAMPLES) this.#powerSamples.shift();
    this.#checkPowerLimit(now);
    const charted = this.#charted;
    this.history.record(now, (i) => (i < charted.length ? charted[i]!.raw : powerWatts));
  }

  /** Sets a discrete sensor's state bits (intrusion, presence) and logs what changed. */
  setDiscrete(sensor: number, states: number): void {
    const s = this.sensors.get(sensor);
    if (!s || s.isThreshold) return;
    this.#logChanges(s, s.setStates(states));
  }

  /** Records events a sensor change caused, as the SEL and subscribers see them. */
  #logChanges(s: Sensor, changes: readonly SensorChange[]): void {
    for (const c of changes) {
      const offset = c.kind === 'threshold' ? c.change.offset : c.offset;
      const assertion = c.kind === 'threshold' ? c.change.assertion : c.assertion;
      if (c.kind === 'threshold') this.#events.emit({ type: 'threshold', host: this.index, sensor: s.def.number, offset, assertion });
      const enabled = s.enables.allEvents && ((assertion ? s.enables.assertion : s.enables.deassertion) & (1 << offset)) !== 0;
      if (!enabled) continue;
      const data: [number, number, number] =
        c.kind === 'threshold' ? [0x50 | offset, c.raw & 0xff, c.thresholdRaw & 0xff] : [offset, 0xff, 0xff];
      this.#bmcEvent(
        {
          generatorId: GENERATOR_BMC,
          evmRev: EVM_REV,
          sensorType: s.def.type,
          sensorNumber: s.def.number,
          eventDirType: (assertion ? 0 : 0x80) | s.def.eventReadingType,
          eventData: data,
        },
        (this.#globalEnables & GlobalEnable.SystemEventLogging) !== 0,
      );
    }
  }

  /** Persists thresholds, hysteresis and event enables set over a front door. */
  sensorConfigChanged(sensor: Sensor): void {
    const cfg: Record<number, unknown> = (this.#persist.load('sensor-config') as Record<number, unknown> | undefined) ?? {};
    cfg[sensor.def.number] = { thresholds: sensor.thresholdsRaw, hysteresis: sensor.hysteresis, enables: sensor.enables };
    this.#persist.save('sensor-config', cfg);
    this.#logChanges(sensor, sensor.reevaluate());
    this.#events.emit({ type: 'sensor-config', host: this.index, sensor: sensor.def.number });
  }

  /** Re-arms a sensor (all events, or those selected): conditions that still hold are logged again. */
  rearm(sensor: Sensor, mask?: { assertion: number; deassertion: number }): void {
    this.#logChanges(sensor, sensor.rearm(mask));
  }

  #loadSensorConfig(): void {
    const cfg = this.#persist.load('sensor-config') as
      | Record<string, { thresholds: Sensor['thresholdsRaw']; hysteresis: Sensor['hysteresis']; enables: Sensor['enables'] }>
      | undefined;
    if (!cfg) return;
    for (const [num, c] of Object.entries(cfg)) {
      const s = this.sensors.get(Number(num));
      if (!s) continue;
      s.thresholdsRaw = c.thresholds;
      s.hysteresis = c.hysteresis;
      s.enables = c.enables;
    }
  }

  // ---- power metering (DCMI) -------------------------------------------------

  /** Power statistics over the last `periodS` seconds (all samples when 0). */
  powerStats(periodS = 0): { current: number; min: number; max: number; average: number; periodMs: number; timestamp: number } {
    const now = this.#clock.now();
    const samples = periodS > 0 ? this.#powerSamples.filter((s) => now - s.t <= periodS * 1000) : this.#powerSamples;
    if (samples.length === 0) {
      const w = this.link.sample(now).powerWatts;
      return { current: w, min: w, max: w, average: w, periodMs: 0, timestamp: Math.floor(now / 1000) };
    }
    let min = Infinity;
    let max = -Infinity;
    let sum = 0;
    for (const s of samples) {
      min = Math.min(min, s.w);
      max = Math.max(max, s.w);
      sum += s.w;
    }
    return {
      current: samples[samples.length - 1]!.w,
      min,
      max,
      average: sum / samples.length,
      periodMs: now - samples[0]!.t,
      timestamp: Math.floor(now / 1000),
    };
  }

  setPowerLimit(p: PowerLimit): void {
    this.powerLimit = { ...p };
    this.#persist.save('power-limit', this.powerLimit);
    // new settings start a new correction period
    this.#overLimitSince = undefined;
    this.#limitExceptionTaken = false;
    this.#applyPowerCap();
    this.#events.emit({ type: 'dcmi', host: this.index });
  }

  /** Hands the active limit to the platform's power capping (the backend throttles to it). */
  #applyPowerCap(): void {
    const l = this.powerLimit;
    this.link.setPowerCap?.(l.active && l.limitWatts > 0 ? l.limitWatts : null);
  }

  /**
   * DCMI power limit enforcement (DCMI 1.5 6.6): the platform caps the draw;
   * when the average over the sampling period still exceeds the limit for
   * longer than the correction time, the exception action is taken once per
   * excursion: 01h logs and hard powers off, 11h logs only, 00h nothing.
   */
  #checkPowerLimit(now: number): void {
    const l = this.powerLimit;
    const watched = l.active && l.limitWatts > 0 && this.#power.current === 'on';
    const average = watched ? this.powerStats(Math.max(1, l.samplingSeconds)).average : 0;
    if (!watched || average <= l.limitWatts) {
      this.#overLimitSince = undefined;
      this.#limitExceptionTaken = false;
      return;
    }
    this.#overLimitSince ??= now;
    if (this.#limitExceptionTaken || now - this.#overLimitSince < l.correctionMs) return;
    this.#limitExceptionTaken = true;
    if (l.exceptionAction !== 0x01 && l.exceptionAction !== 0x11) return;
    // DCMI leaves the record open: a timestamped OEM record (type C0h, no manufacturer)
    // carrying DCh, the action, the average and the limit in watts
    const avg = Math.min(0xffff, Math.round(average));
    const body = new Uint8Array(13);
    body.set([0x00, 0x00, 0x00, 0xdc, l.exceptionAction, avg & 0xff, avg >> 8, l.limitWatts & 0xff, l.limitWatts >> 8], 4);
    this.sel.add(POWER_LIMIT_RECORD_TYPE, body);
    if (l.exceptionAction === 0x01) this.request('off', 'oem');
  }

  // ---- watchdog --------------------------------------------------------------

  #watchdogSensorNumber(): number {
    return this.sensorOfType(SensorType.Watchdog2)?.def.number ?? 0xff;
  }

  #watchdogPreTimeout(e: WatchdogExpiry): void {
    this.#messageFlags |= MessageFlag.WatchdogPreTimeout;
    // "don't log" (27.6) suppresses the timer's automatic event: no SEL record, no event message
    if (!e.dontLog) {
      this.#bmcEvent(
        {
          generatorId: GENERATOR_BMC,
          evmRev: EVM_REV,
          sensorType: SensorType.Watchdog2,
          sensorNumber: this.#watchdogSensorNumber(),
          eventDirType: EventReadingType.SensorSpecific,
          eventData: [0xc8, ((e.preTimeoutInterrupt & 0x0f) << 4) | (e.timerUse & 0x0f), 0xff],
        },
        true,
      );
    }
    this.#events.emit({ type: 'watchdog', host: this.index, action: 'pretimeout' });
  }

  #watchdogExpired(e: WatchdogExpiry): void {
    this.#events.emit({ type: 'watchdog', host: this.index, action: 'expired' });
    if (!e.dontLog) {
      this.#bmcEvent(
        {
          generatorId: GENERATOR_BMC,
          evmRev: EVM_REV,
          sensorType: SensorType.Watchdog2,
          sensorNumber: this.#watchdogSensorNumber(),
          eventDirType: EventReadingType.SensorSpecific,
          eventData: [0xc0 | (e.action & 0x0f), ((e.preTimeoutInterrupt & 0x0f) << 4) | (e.timerUse & 0x0f), 0xff],
        },
        true,
      );
    }
    switch (e.action) {
      case WatchdogAction.HardReset:
        this.request('reset', 'watchdog');
        return;
      case WatchdogAction.PowerDown:
        this.request('off', 'watchdog');
        return;
      case WatchdogAction.PowerCycle:
        this.request('cycle', 'watchdog');
        return;
    }
  }

  async close(): Promise<void> {
    for (const t of this.#timers) t.cancel();
    this.#identifyTimer?.cancel();
    this.#bootFlagsTimer?.cancel();
    this.watchdog.stop();
    this.pef.close();
    this.media.close();
    if (this.#onSince !== null) this.#savePower();
    await this.link.close();
  }
}

export { ON, OFF };
