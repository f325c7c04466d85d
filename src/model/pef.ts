// Platform Event Filtering of one host (IPMI v2.0 section 17; configuration
// parameters table 30-6). Every event that reaches the host's event receiver
// (the BMC's own events and Platform Event Messages) is matched against the
// enabled event filters; the highest-priority power action of the matches,
// masked by the action global control, is taken, announced first by a
// "System Event: PEF Action" record when PEF control asks for it. Events that
// arrive while the postpone timer runs, PEF is temporarily disabled or the
// startup delay after a power-up or reset lasts wait, and are processed when
// it ends, skipping those system software has marked processed.
//
// PEF lives per host: each host has its own SEL, sensors, power and LAN
// endpoint, so a multi-node chassis filters each node's events on their own.
// Filters are kept as the spec's 20-byte entries (table 17-2): what the
// configuration commands move, lossless. The alert action walks the alert
// policy table (17.11) for the filter's policy number; each entry names a
// channel and destination that an alerter (Platform Event Traps over LAN)
// delivers to, and the policy type says whether the walk goes on after a
// delivery that succeeded. Alert strings (parameters 11-13) ride along.
import type { Clock, TimerHandle } from './clock.js';
import type { ModelEvents } from './events.js';
import type { Persistence } from './persist.js';
import type { SystemEvent } from './sel.js';

/** Event filter action and action global control bits (table 17-2 byte 2, table 30-6 parameter 2). */
export const PefAction = {
  Alert: 0x01,
  PowerDown: 0x02,
  Reset: 0x04,
  PowerCycle: 0x08,
  Oem: 0x10,
  DiagnosticInterrupt: 0x20,
} as const;

/** PEF control bits (table 30-6 parameter 1). */
export const PefControl = {
  Enable: 0x01,
  EventMessages: 0x02,
  AlertStartupDelay: 0x04,
  StartupDelay: 0x08,
} as const;

/** The actions this BMC carries out (Get PEF Capabilities). */
export const PEF_SUPPORTED_ACTIONS = PefAction.Alert | PefAction.PowerDown | PefAction.Reset | PefAction.PowerCycle | PefAction.DiagnosticInterrupt;
/** PEF control bits this BMC honours. */
export const PEF_SUPPORTED_CONTROL = PefControl.Enable | PefControl.EventMessages | PefControl.StartupDelay;
export const PEF_FILTER_COUNT = 16;
export const PEF_FILTER_SIZE = 20;
export const PEF_POLICY_COUNT = 16;
export const PEF_POLICY_SIZE = 3;
/** Non-volatile alert strings 1..N; string 0 is the volatile one (Alert Immediate). */
export const PEF_ALERT_STRING_COUNT = 4;
/** Bytes an alert string holds (4 blocks of 16), NUL terminated when shorter. */
export const PEF_ALERT_STRING_SIZE = 64;
export const PEF_ALERT_STRING_BLOCK = 16;
/** Record id meaning "none" in Get Last Processed Event ID. */
export const NO_RECORD = 0xffff;
/** The postpone timer's "temporary PEF disable" value (30.2). */
export const POSTPONE_TEMPORARY_DISABLE = 0xfe;

/** Power actions in the order PEF prefers them (17.6: power down over cycle over reset over NMI). */
const PRIORITY: readonly [number, PefPowerAction][] = [
  [PefAction.PowerDown, 'off'],
  [PefAction.PowerCycle, 'cycle'],
  [PefAction.Reset, 'reset'],
  [PefAction.DiagnosticInterrupt, 'diag'],
];

export type PefPowerAction = 'off' | 'cycle' | 'reset' | 'diag';

/** Why a configuration change was refused; the IPMI front door answers CCh for each. */
export type PefRefusal = 'reserved-bits' | 'unsupported-action' | 'unsupported-control' | 'no-such-filter' | 'no-such-policy' | 'no-such-string';

export interface PefConfig {
  control: number;
  actionControl: number;
  startupDelayS: number;
  /** Event filter table, entries 1..N at indexes 0..N-1. */
  filters: readonly Uint8Array[];
  /** Alert policy table (parameter 9), entries 1..N at indexes 0..N-1, 3 bytes each. */
  policies: readonly Uint8Array[];
  /** Alert string keys (parameter 12) of strings 0..N: [filter number, string set]. */
  stringKeys: readonly (readonly [number, number])[];
  /** Alert strings 0..N (parameter 13), PEF_ALERT_STRING_SIZE bytes each. */
  strings: readonly Uint8Array[];
}

/**
 * Defaults: PEF enabled with event messages for its actions, every action
 * this BMC supports allowed globally, a 60 s startup delay kept but not
 * enabled, and all filters empty and disabled (software-configurable). With
 * no filter enabled nothing happens until an operator configures one; the
 * switches an operator expects to find on are on.
 */
export function defaultPefConfig(): PefConfig {
  return {
    control: PefControl.Enable | PefControl.EventMessages,
    actionControl: PEF_SUPPORTED_ACTIONS,
    startupDelayS: 60,
    filters: Array.from({ length: PEF_FILTER_COUNT }, () => new Uint8Array(PEF_FILTER_SIZE)),
    policies: Array.from({ length: PEF_POLICY_COUNT }, () => new Uint8Array(PEF_POLICY_SIZE)),
    stringKeys: Array.from({ length: PEF_ALERT_STRING_COUNT + 1 }, () => [0, 0] as const),
    strings: Array.from({ length: PEF_ALERT_STRING_COUNT + 1 }, () => new Uint8Array(PEF_ALERT_STRING_SIZE)),
  };
}

/*
 * Alert policy table entry (table 30-6 parameter 9), 3 bytes:
 *   1  [7:4] policy number, [3] enabled, [2:0] policy: 0 always send; 1 if the
 *      previous alert succeeded skip this entry and go on; 2 if it succeeded
 *      stop; 3 if it succeeded go on to an entry on another channel; 4 ... to
 *      another destination type
 *   2  [7:4] channel number, [3:0] destination selector
 *   3  alert string key: [7] 1 = look the string up by (filter number, string
 *      set), [6:0] string set, else [6:0] the string selector itself
 */
export interface AlertPolicy {
  entry: number;
  policy: number;
  enabled: boolean;
  type: number;
  channel: number;
  destination: number;
  eventSpecificString: boolean;
  stringKey: number;
}

export function decodePolicy(entry: number, b: Uint8Array): AlertPolicy {
  return {
    entry,
    policy: b[0]! >> 4,
    enabled: (b[0]! & 0x08) !== 0,
    type: b[0]! & 0x07,
    channel: b[1]! >> 4,
    destination: b[1]! & 0x0f,
    eventSpecificString: (b[2]! & 0x80) !== 0,
    stringKey: b[2]! & 0x7f,
  };
}

export function checkPolicy(b: Uint8Array): PefRefusal | undefined {
  if (b.length !== PEF_POLICY_SIZE || (b[0]! & 0x07) > 4) return 'reserved-bits';
  return undefined;
}

/** Where one policy entry sends: its destination's type decides policy 4. */
export type AlertSend = (p: AlertPolicy) => Promise<boolean>;

/**
 * Walks the enabled entries of one policy number in table order (17.11),
 * sending where the policy type says. Returns the entries it sent to, each
 * with the outcome.
 */
export async function walkPolicy(
  entries: readonly AlertPolicy[],
  policy: number,
  send: AlertSend,
  destinationType: (p: AlertPolicy) => number = () => 0,
): Promise<{ entry: number; ok: boolean }[]> {
  const done: { entry: number; ok: boolean }[] = [];
  let last: { p: AlertPolicy; ok: boolean } | undefined;
  for (const p of entries) {
    if (!p.enabled || p.policy !== policy) continue;
    const succeeded = last?.ok === true;
    if (succeeded && p.type === 1) continue;
    if (succeeded && p.type === 2) break;
    if (succeeded && p.type === 3 && p.channel === last!.p.channel) continue;
    if (succeeded && p.type === 4 && destinationType(p) === destinationType(last!.p)) continue;
    let ok = false;
    try {
      ok = await send(p);
    } catch {
      ok = false;
    }
    done.push({ entry: p.entry, ok });
    last = { p, ok };
  }
  return done;
}

/** The text of an alert string: its bytes up to the first NUL. */
export function alertStringText(b: Uint8Array): string {
  const nul = b.indexOf(0);
  return Buffer.from(b.subarray(0, nul < 0 ? b.length : nul)).toString('latin1');
}

/** What the alert action hands an alerter for one policy entry. */
export interface AlertRequest {
  channel: number;
  destination: number;
  event: Omit<SystemEvent, 'timestamp'>;
  /** Event severity of the filter (table 17-2 byte 4). */
  severity: number;
  alertString?: string;
}

export interface Alerter {
  /** Delivers one alert; resolves true when it was delivered (acknowledged when the destination asks for it). */
  send(req: AlertRequest): Promise<boolean>;
  /** The destination type (LAN parameter 18 [2:0]) of a channel's destination, for policy type 4. */
  destinationType(channel: number, destination: number): number;
  /** Whether the channel has this destination. */
  hasDestination(channel: number, destination: number): boolean;
  /** Alert Immediate: sends in the background, keeping the outcome as the immediate status. */
  immediate(req: AlertRequest): void;
  readonly immediateStatus: number;
  clearImmediateStatus(): void;
  /** PET Acknowledge: false when no acknowledged alert with these fields waits. */
  acknowledge(sequence: number, timestamp: number, sourceType: number, sensorDevice: number, sensorNumber: number, eventData: readonly number[]): boolean;
}

/*
 * Event data comparison (17.8): the AND mask selects the bits that take part;
 * among them, those set in Compare 1 must equal Compare 2 exactly, and when
 * any remain, at least one of those must equal its Compare 2 bit.
 */
export function eventDataMatches(value: number, andMask: number, compare1: number, compare2: number): boolean {
  const masked = value & andMask;
  const exact = andMask & compare1;
  if ((masked & exact) !== (compare2 & exact)) return false;
  const loose = andMask & ~compare1 & 0xff;
  return loose === 0 || (~(masked ^ compare2) & loose) !== 0;
}

/*
 * Event filter table entry (table 17-2), 20 bytes:
 *   1  filter configuration: [7] enabled, [6:5] 00b software configurable, 10b pre-configured
 *   2  action: [5] diagnostic interrupt, [4] OEM, [3] power cycle, [2] reset, [1] power off, [0] alert
 *   3  alert policy number: [6:4] group control selector, [3:0] policy
 *   4  event severity (for alerts)
 *   5  generator id byte 1 (slave address / software id), FFh any
 *   6  generator id byte 2 ([7:4] channel, [1:0] LUN), FFh any
 *   7  sensor type, FFh any
 *   8  sensor number, FFh any
 *   9  event trigger (event/reading type), FFh any
 *   10:11 event data 1 offset mask, LS first: bit n matches offset n
 *   12:14 event data 1 AND mask, compare 1, compare 2
 *   15:17 event data 2 AND mask, compare 1, compare 2
 *   18:20 event data 3 AND mask, compare 1, compare 2
 */
export function filterMatches(f: Uint8Array, e: Omit<SystemEvent, 'timestamp'>): boolean {
  if (f.length !== PEF_FILTER_SIZE || (f[0]! & 0x80) === 0) return false;
  const any = (field: number, value: number): boolean => field === 0xff || field === value;
  if (!any(f[4]!, e.generatorId & 0xff) || !any(f[5]!, (e.generatorId >> 8) & 0xff)) return false;
  if (!any(f[6]!, e.sensorType) || !any(f[7]!, e.sensorNumber) || !any(f[8]!, e.eventDirType & 0x7f)) return false;
  const offsetMask = f[9]! | (f[10]! << 8);
  if ((offsetMask & (1 << (e.eventData[0] & 0x0f))) === 0) return false;
  for (let i = 0; i < 3; i++) {
    const at = 11 + i * 3;
    if (!eventDataMatches(e.eventData[i]!, f[at]!, f[at + 1]!, f[at + 2]!)) return false;
  }
  return true;
}

/** The actions all matching filters ask for. */
export function matchingActions(filters: readonly Uint8Array[], e: Omit<SystemEvent, 'timestamp'>): number {
  let actions = 0;
  for (const f of filters) if (filterMatches(f, e)) actions |= f[1]!;
  return actions;
}

/** The one power action PEF takes for a set of allowed actions, if any. */
export function chosenPowerAction(actions: number): PefPowerAction | undefined {
  return PRIORITY.find(([bit]) => (actions & bit) !== 0)?.[1];
}

/** Checks a filter entry written over a front door. */
export function checkFilter(f: Uint8Array): PefRefusal | undefined {
  if (f.length !== PEF_FILTER_SIZE) return 'reserved-bits';
  return checkFilterConfig(f[0]!) ?? checkActions(f[1]!) ?? ((f[2]! & 0x80) !== 0 ? 'reserved-bits' : undefined);
}

/** Byte 1 of an entry: reserved bits clear, type software-configurable (00b) or pre-configured (10b). */
export function checkFilterConfig(b: number): PefRefusal | undefined {
  if ((b & 0x1f) !== 0 || (b & 0x60) === 0x20 || (b & 0x60) === 0x60) return 'reserved-bits';
  return undefined;
}

function checkActions(a: number): PefRefusal | undefined {
  if ((a & 0xc0) !== 0) return 'reserved-bits';
  if ((a & ~PEF_SUPPORTED_ACTIONS) !== 0) return 'unsupported-action';
  return undefined;
}

export interface PefHooks {
  /** Logs the "PEF Action" system event (sensor type 12h, offset 04h) naming the actions taken. */
  logAction(actions: number): void;
  /** Carries out a power action on the host. */
  act(action: PefPowerAction): void;
}

interface Stored {
  control: number;
  actionControl: number;
  startupDelayS: number;
  filters: string[];
  policies?: string[];
  stringKeys?: [number, number][];
  strings?: string[];
}

function hexTable(stored: unknown, defaults: readonly Uint8Array[]): Uint8Array[] {
  const list = Array.isArray(stored) ? stored : [];
  return defaults.map((d, i) => {
    const hex: unknown = list[i];
    const b = typeof hex === 'string' ? new Uint8Array(Buffer.from(hex, 'hex')) : d;
    return b.length === d.length ? b : d;
  });
}

interface StoredState {
  lastBmc: number;
  lastSoftware: number;
}

type Postpone = { kind: 'off' } | { kind: 'temporary' } | { kind: 'timer'; until: number; timer: TimerHandle };

interface Pending {
  id: number;
  event: Omit<SystemEvent, 'timestamp'>;
}

/** At most this many events wait while PEF is postponed; older ones are dropped unprocessed. */
const PENDING_LIMIT = 256;

export class Pef {
  #config: PefConfig;
  #lastBmc = NO_RECORD;
  #lastSoftware = NO_RECORD;
  #postpone: Postpone = { kind: 'off' };
  #startupUntil: number | undefined;
  #startupTimer: TimerHandle | undefined;
  #pending: Pending[] = [];
  readonly #clock: Clock;
  readonly #persist: Persistence;
  readonly #hooks: PefHooks;
  readonly #unsubscribe: (() => void)[];
  #alerter: Alerter | undefined;

  constructor(opts: { host: number; clock: Clock; persist: Persistence; events: ModelEvents; hooks: PefHooks }) {
    this.#clock = opts.clock;
    this.#persist = opts.persist;
    this.#hooks = opts.hooks;
    const defaults = defaultPefConfig();
    const s = opts.persist.load('pef') as Stored | undefined;
    this.#config =
      s && Array.isArray(s.filters)
        ? {
            control: s.control,
            actionControl: s.actionControl,
            startupDelayS: s.startupDelayS,
            filters: hexTable(s.filters, defaults.filters),
            policies: hexTable(s.policies, defaults.policies),
            stringKeys: defaults.stringKeys.map((d, i) => {
              const k: unknown = Array.isArray(s.stringKeys) ? s.stringKeys[i] : undefined;
              return Array.isArray(k) && typeof k[0] === 'number' && typeof k[1] === 'number' ? ([k[0] & 0x7f, k[1] & 0x7f] as const) : d;
            }),
            // string 0 is volatile
            strings: [defaults.strings[0]!, ...hexTable(s.strings, defaults.strings.slice(1))],
          }
        : defaults;
    const st = opts.persist.load('pef-state') as StoredState | undefined;
    if (st) {
      this.#lastBmc = st.lastBmc;
      this.#lastSoftware = st.lastSoftware;
    }
    // the startup delay runs after each power-up and reset of the host (30.4 parameter 3)
    this.#unsubscribe = [
      opts.events.on('power', (ev) => {
        if (ev.host === opts.host && ev.state === 'on') this.#startDelay();
      }),
      opts.events.on('host-reset', (ev) => {
        if (ev.host === opts.host) this.#startDelay();
      }),
    ];
  }

  get config(): Readonly<PefConfig> {
    return this.#config;
  }

  filter(n: number): Uint8Array | undefined {
    return n >= 1 ? this.#config.filters[n - 1] : undefined;
  }

  setControl(v: number): PefRefusal | undefined {
    if ((v & 0xf0) !== 0) return 'reserved-bits';
    if ((v & ~PEF_SUPPORTED_CONTROL) !== 0) return 'unsupported-control';
    this.#update({ control: v });
    if ((v & PefControl.StartupDelay) === 0) this.#endDelay();
    return undefined;
  }

  setActionControl(v: number): PefRefusal | undefined {
    const refusal = checkActions(v);
    if (refusal) return refusal;
    this.#update({ actionControl: v });
    return undefined;
  }

  setStartupDelay(seconds: number): void {
    this.#update({ startupDelayS: seconds & 0xff });
  }

  setFilter(n: number, entry: Uint8Array): PefRefusal | undefined {
    if (!this.filter(n)) return 'no-such-filter';
    const refusal = checkFilter(entry);
    if (refusal) return refusal;
    this.#update({ filters: this.#config.filters.map((f, i) => (i === n - 1 ? new Uint8Array(entry) : f)) });
    return undefined;
  }

  policy(n: number): Uint8Array | undefined {
    return n >= 1 ? this.#config.policies[n - 1] : undefined;
  }

  setPolicy(n: number, entry: Uint8Array): PefRefusal | undefined {
    if (!this.policy(n)) return 'no-such-policy';
    const refusal = checkPolicy(entry);
    if (refusal) return refusal;
    this.#update({ policies: this.#config.policies.map((p, i) => (i === n - 1 ? new Uint8Array(entry) : p)) });
    return undefined;
  }

  setStringKey(n: number, filter: number, set: number): PefRefusal | undefined {
    if (n < 0 || n > PEF_ALERT_STRING_COUNT) return 'no-such-string';
    if ((filter & 0x80) !== 0 || (set & 0x80) !== 0) return 'reserved-bits';
    this.#update({ stringKeys: this.#config.stringKeys.map((k, i) => (i === n ? ([filter, set] as const) : k)) });
    return undefined;
  }

  /** Writes block `block` (1-based) of alert string `n`. */
  setStringBlock(n: number, block: number, data: Uint8Array): PefRefusal | undefined {
    const s = this.#config.strings[n];
    const at = (block - 1) * PEF_ALERT_STRING_BLOCK;
    if (!s || block < 1 || at + data.length > PEF_ALERT_STRING_SIZE) return 'no-such-string';
    const next = new Uint8Array(s);
    next.set(data, at);
    this.#update({ strings: this.#config.strings.map((x, i) => (i === n ? next : x)) });
    return undefined;
  }

  get alerter(): Alerter | undefined {
    return this.#alerter;
  }

  /** Attaches what delivers alerts; without one the alert action does nothing. */
  setAlerter(a: Alerter | undefined): void {
    this.#alerter = a;
  }

  /** The string an entry's key selects, if any is set. */
  alertString(p: Pick<AlertPolicy, 'eventSpecificString' | 'stringKey'>, filter: number): string | undefined {
    const c = this.#config;
    const n = p.eventSpecificString ? c.stringKeys.findIndex(([f, set]) => f === filter && set === p.stringKey) : p.stringKey;
    const s = n >= 0 ? c.strings[n] : undefined;
    const text = s ? alertStringText(s) : '';
    return text === '' ? undefined : text;
  }

  /** Writes byte 1 of an entry (parameter 7): enable and type. */
  setFilterConfig(n: number, b: number): PefRefusal | undefined {
    const f = this.filter(n);
    if (!f) return 'no-such-filter';
    const refusal = checkFilterConfig(b);
    if (refusal) return refusal;
    const next = new Uint8Array(f);
    next[0] = b;
    return this.setFilter(n, next);
  }

  /** Last record processed by the BMC and by system software (FFFFh: none). */
  get lastProcessed(): { bmc: number; software: number } {
    return { bmc: this.#lastBmc, software: this.#lastSoftware };
  }

  setLastProcessed(which: 'bmc' | 'software', id: number): void {
    if (which === 'bmc') this.#lastBmc = id & 0xffff;
    else this.#lastSoftware = id & 0xffff;
    this.#saveState();
  }

  /** The postpone timer as Arm PEF Postpone Timer reports it: 0 off, FEh temporary disable, else seconds left. */
  get postponeCountdown(): number {
    const p = this.#postpone;
    if (p.kind === 'off') return 0;
    if (p.kind === 'temporary') return POSTPONE_TEMPORARY_DISABLE;
    return Math.max(1, Math.min(0xfd, Math.ceil((p.until - this.#clock.monotonic()) / 1000)));
  }

  /**
   * Arm PEF Postpone Timer (30.2): 00h disables the timer (PEF runs at once),
   * 01h-FDh postpones PEF for that many seconds, FEh disables PEF until the
   * timer is disabled or armed again. Returns the countdown afterwards.
   */
  armPostpone(value: number): number {
    if (this.#postpone.kind === 'timer') this.#postpone.timer.cancel();
    if (value === 0) this.#postpone = { kind: 'off' };
    else if (value === POSTPONE_TEMPORARY_DISABLE) this.#postpone = { kind: 'temporary' };
    else {
      const timer = this.#clock.setTimeout(() => {
        this.#postpone = { kind: 'off' };
        this.#drain();
      }, value * 1000);
      this.#postpone = { kind: 'timer', until: this.#clock.monotonic() + value * 1000, timer };
    }
    if (this.#postpone.kind === 'off') this.#drain();
    return this.postponeCountdown;
  }

  /**
   * An event reached the event receiver: `id` is its SEL record id, or 0 when
   * it was not logged (SEL full or logging disabled).
   */
  process(id: number, event: Omit<SystemEvent, 'timestamp'>): void {
    if ((this.#config.control & PefControl.Enable) !== 0 && this.#deferred()) {
      this.#pending.push({ id, event });
      if (this.#pending.length > PENDING_LIMIT) this.#pending.shift();
      return;
    }
    this.#run(id, event);
  }

  close(): void {
    for (const u of this.#unsubscribe) u();
    if (this.#postpone.kind === 'timer') this.#postpone.timer.cancel();
    this.#startupTimer?.cancel();
  }

  #deferred(): boolean {
    return this.#postpone.kind !== 'off' || this.#startupUntil !== undefined;
  }

  #run(id: number, event: Omit<SystemEvent, 'timestamp'>): void {
    this.#lastBmc = id;
    this.#saveState();
    // a disabled PEF still moves past the event, so enabling it later does not act on old events
    if ((this.#config.control & PefControl.Enable) === 0) return;
    const wanted = matchingActions(this.#config.filters, event) & PEF_SUPPORTED_ACTIONS & this.#config.actionControl;
    if ((wanted & PefAction.Alert) !== 0) this.#alert(event);
    const action = chosenPowerAction(wanted);
    if (!action) return;
    const taken = PRIORITY.find(([, a]) => a === action)![0];
    if ((this.#config.control & PefControl.EventMessages) !== 0) this.#hooks.logAction(taken);
    this.#hooks.act(action);
  }

  /**
   * The alert action: each matching filter with the alert action walks its
   * policy number, in the background (delivery waits for acknowledgements and
   * must not hold up the event path).
   */
  #alert(event: Omit<SystemEvent, 'timestamp'>): void {
    const alerter = this.#alerter;
    if (!alerter) return;
    const entries = this.#config.policies.map((b, i) => decodePolicy(i + 1, b));
    this.#config.filters.forEach((f, i) => {
      if ((f[1]! & PefAction.Alert) === 0 || !filterMatches(f, event)) return;
      const filter = i + 1;
      void walkPolicy(
        entries,
        f[2]! & 0x0f,
        (p) => {
          const alertString = this.alertString(p, filter);
          return alerter.send({ channel: p.channel, destination: p.destination, event, severity: f[3]!, ...(alertString !== undefined ? { alertString } : {}) });
        },
        (p) => alerter.destinationType(p.channel, p.destination),
      );
    });
  }

  /** Processes the events that waited, after the last one system software marked processed. */
  #drain(): void {
    if (this.#deferred()) return;
    const pending = this.#pending;
    this.#pending = [];
    let from = 0;
    if (this.#lastSoftware !== NO_RECORD) {
      const at = pending.map((p) => p.id).lastIndexOf(this.#lastSoftware);
      if (at >= 0) from = at + 1;
    }
    for (const p of pending.slice(from)) this.#run(p.id, p.event);
  }

  #startDelay(): void {
    const c = this.#config;
    if ((c.control & PefControl.StartupDelay) === 0 || c.startupDelayS === 0) return;
    this.#startupTimer?.cancel();
    this.#startupUntil = this.#clock.monotonic() + c.startupDelayS * 1000;
    this.#startupTimer = this.#clock.setTimeout(() => this.#endDelay(), c.startupDelayS * 1000);
  }

  #endDelay(): void {
    this.#startupTimer?.cancel();
    this.#startupTimer = undefined;
    if (this.#startupUntil === undefined) return;
    this.#startupUntil = undefined;
    this.#drain();
  }

  #update(change: Partial<PefConfig>): void {
    this.#config = { ...this.#config, ...change };
    const c = this.#config;
    this.#persist.save('pef', {
      control: c.control,
      actionControl: c.actionControl,
      startupDelayS: c.startupDelayS,
      filters: c.filters.map((f) => Buffer.from(f).toString('hex')),
      policies: c.policies.map((p) => Buffer.from(p).toString('hex')),
      stringKeys: c.stringKeys.map(([f, set]) => [f, set]),
      strings: c.strings.slice(1).map((x) => Buffer.from(x).toString('hex')),
    } satisfies Stored);
  }

  #saveState(): void {
    this.#persist.save('pef-state', { lastBmc: this.#lastBmc, lastSoftware: this.#lastSoftware } satisfies StoredState);
  }
}
