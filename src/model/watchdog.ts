// The BMC watchdog timer of one host (IPMI v2.0 section 27): timer use,
// pre-timeout interrupt, countdown in 100 ms units, and an expiry action the
// host really carries out. The countdown is computed from the clock, so no
// periodic tick is needed.
import type { Clock, TimerHandle } from './clock.js';

export const WatchdogAction = { None: 0, HardReset: 1, PowerDown: 2, PowerCycle: 3 } as const;
export const PreTimeoutInterrupt = { None: 0, Smi: 1, Nmi: 2, Messaging: 3 } as const;

export interface WatchdogSettings {
  /** Timer use 1..5 (BIOS FRB2, BIOS/POST, OS load, SMS/OS, OEM). */
  timerUse: number;
  dontLog: boolean;
  preTimeoutInterrupt: number;
  action: number;
  /** Pre-timeout interval, seconds. */
  preTimeoutSeconds: number;
  /** Initial countdown, 100 ms units. */
  initialCountdown: number;
}

export interface WatchdogStatus extends WatchdogSettings {
  running: boolean;
  /** Timer use expiration flags (bit n = timer use n expired). */
  expirationFlags: number;
  /** Present countdown, 100 ms units. */
  presentCountdown: number;
  initialized: boolean;
}

export interface WatchdogExpiry {
  timerUse: number;
  action: number;
  preTimeoutInterrupt: number;
  dontLog: boolean;
}

export class Watchdog {
  #settings: WatchdogSettings = {
    timerUse: 1,
    dontLog: false,
    preTimeoutInterrupt: 0,
    action: 0,
    preTimeoutSeconds: 0,
    initialCountdown: 0,
  };
  #initialized = false;
  #running = false;
  #expirationFlags = 0;
  #deadline = 0;
  #timer: TimerHandle | undefined;
  #preTimer: TimerHandle | undefined;
  #stoppedCountdown = 0;
  readonly #clock: Clock;
  readonly #onExpire: (e: WatchdogExpiry) => void;
  readonly #onPreTimeout: (e: WatchdogExpiry) => void;
  readonly #onChange: (what: 'armed' | 'stopped') => void;

  constructor(opts: {
    clock: Clock;
    onExpire: (e: WatchdogExpiry) => void;
    onPreTimeout: (e: WatchdogExpiry) => void;
    onChange: (what: 'armed' | 'stopped') => void;
  }) {
    this.#clock = opts.clock;
    this.#onExpire = opts.onExpire;
    this.#onPreTimeout = opts.onPreTimeout;
    this.#onChange = opts.onChange;
  }

  status(): WatchdogStatus {
    return {
      ...this.#settings,
      running: this.#running,
      expirationFlags: this.#expirationFlags,
      presentCountdown: this.#running
        ? Math.max(0, Math.ceil((this.#deadline - this.#clock.monotonic()) / 100))
        : this.#stoppedCountdown,
      initialized: this.#initialized,
    };
  }

  /** Set Watchdog Timer: new settings; keeps running only when dontStop and running. */
  set(s: WatchdogSettings, dontStop: boolean, clearFlags: number): void {
    this.#settings = { ...s };
    this.#initialized = true;
    this.#expirationFlags &= ~clearFlags & 0x3e;
    this.#stoppedCountdown = s.initialCountdown;
    if (dontStop && this.#running) this.#start();
    else this.stop();
  }

  /** Reset Watchdog Timer: (re)starts the countdown. False when never set. */
  reset(): boolean {
    if (!this.#initialized) return false;
    this.#start();
    return true;
  }

  stop(): void {
    const wasRunning = this.#running;
    if (this.#running) this.#stoppedCountdown = this.status().presentCountdown;
    this.#running = false;
    this.#timer?.cancel();
    this.#preTimer?.cancel();
    this.#timer = this.#preTimer = undefined;
    if (wasRunning) this.#onChange('stopped');
  }

  #start(): void {
    this.#timer?.cancel();
    this.#preTimer?.cancel();
    const ms = this.#settings.initialCountdown * 100;
    this.#running = true;
    this.#deadline = this.#clock.monotonic() + ms;
    const expiry: WatchdogExpiry = {
      timerUse: this.#settings.timerUse,
      action: this.#settings.action,
      preTimeoutInterrupt: this.#settings.preTimeoutInterrupt,
      dontLog: this.#settings.dontLog,
    };
    const pre = this.#settings.preTimeoutSeconds * 1000;
    if (this.#settings.preTimeoutInterrupt !== 0 && pre > 0 && pre <= ms) {
      this.#preTimer = this.#clock.setTimeout(() => this.#onPreTimeout(expiry), ms - pre);
    }
    this.#timer = this.#clock.setTimeout(() => {
      this.#running = false;
      this.#stoppedCountdown = 0;
      this.#timer = undefined;
      this.#expirationFlags |= 1 << this.#settings.timerUse;
      this.#onExpire(expiry);
    }, ms);
    this.#onChange('armed');
  }
}
