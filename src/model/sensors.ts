// Sensors of one host (IPMI v2.0 sections 35-36 and 43): threshold sensors
// with six thresholds and hysteresis, discrete sensors with state bits, and
// the resolution each sensor really has (the linear conversion between
// engineering units and counts). Threshold evaluation is one pure function
// that turns each crossing into exactly one assertion or deassertion.

/** Sensor type codes, table 42-3. */
export const SensorType = {
  Temperature: 0x01,
  Voltage: 0x02,
  Current: 0x03,
  Fan: 0x04,
  PhysicalSecurity: 0x05,
  Processor: 0x07,
  PowerSupply: 0x08,
  PowerUnit: 0x09,
  Memory: 0x0c,
  SystemEvent: 0x12,
  CriticalInterrupt: 0x13,
  Watchdog2: 0x23,
  ManagementSubsystemHealth: 0x28,
  Other: 0x0b,
} as const;

/** Event/reading type codes, table 42-1/42-2. */
export const EventReadingType = {
  Threshold: 0x01,
  DiscreteState: 0x03,
  DiscretePresence: 0x08,
  SensorSpecific: 0x6f,
} as const;

/** Base unit codes, table 43-15. */
export const UnitCode: Record<string, number> = {
  unspecified: 0,
  'degrees C': 1,
  'degrees F': 2,
  Kelvin: 3,
  Volts: 4,
  Amps: 5,
  Watts: 6,
  Joules: 7,
  RPM: 18,
  percent: 0, // expressed with the percentage bit in units byte 1
};

export const THRESHOLD_NAMES = ['lnc', 'lc', 'lnr', 'unc', 'uc', 'unr'] as const;
export type ThresholdName = (typeof THRESHOLD_NAMES)[number];
export type Thresholds = Partial<Record<ThresholdName, number>>;

/** Linear conversion y = (M*x + B*10^Bexp) * 10^Rexp, section 36.3. */
export interface Conversion {
  m: number;
  b: number;
  bExp: number;
  rExp: number;
  /** Counts are two's-complement signed (analog data format 2). */
  signed: boolean;
}

export interface SensorDef {
  readonly number: number;
  readonly name: string;
  readonly type: number;
  readonly eventReadingType: number;
  readonly unit: string;
  readonly entity: { readonly id: number; readonly instance: number };
  readonly present: boolean;
  readonly conversion: Conversion;
  /** Thresholds as the board ships them. */
  readonly thresholds: Thresholds;
  /** Which thresholds may be set (defaults to those defined). */
  readonly settable?: readonly ThresholdName[];
  /** Hysteresis in counts: positive-going (upper), negative-going (lower). */
  readonly hysteresis: { readonly positive: number; readonly negative: number };
  /** For discrete sensors: which state bits can assert. */
  readonly discreteMask?: number;
  /** Nominal reading (engineering units), for the SDR and the simulation. */
  readonly nominal?: number;
}

export interface EventEnables {
  allEvents: boolean;
  scanning: boolean;
  /** Bit per event offset (threshold: 12 offsets; discrete: 15 states). */
  assertion: number;
  deassertion: number;
}

/** Threshold event offsets, table 42-2 (generic threshold). */
export const ThresholdOffset = {
  lncLow: 0,
  lncHigh: 1,
  lcLow: 2,
  lcHigh: 3,
  lnrLow: 4,
  lnrHigh: 5,
  uncLow: 6,
  uncHigh: 7,
  ucLow: 8,
  ucHigh: 9,
  unrLow: 10,
  unrHigh: 11,
} as const;

/** The offset each threshold asserts: "going low" for lower, "going high" for upper. */
export const ASSERT_OFFSET: Record<ThresholdName, number> = {
  lnc: ThresholdOffset.lncLow,
  lc: ThresholdOffset.lcLow,
  lnr: ThresholdOffset.lnrLow,
  unc: ThresholdOffset.uncHigh,
  uc: ThresholdOffset.ucHigh,
  unr: ThresholdOffset.unrHigh,
};

export function toRaw(value: number, c: Conversion): number {
  const raw = Math.round((value / 10 ** c.rExp - c.b * 10 ** c.bExp) / c.m);
  return c.signed ? Math.max(-128, Math.min(127, raw)) : Math.max(0, Math.min(255, raw));
}

export function fromRaw(raw: number, c: Conversion): number {
  const v = (c.m * raw + c.b * 10 ** c.bExp) * 10 ** c.rExp;
  return Number(v.toPrecision(12));
}

/** Quantizes a value to what the sensor can represent. */
export function quantize(value: number, c: Conversion): number {
  return fromRaw(toRaw(value, c), c);
}

/** Counts as the byte on the wire. */
export function rawByte(raw: number): number {
  return raw & 0xff;
}

export function byteToRaw(byte: number, c: Conversion): number {
  return c.signed && byte & 0x80 ? byte - 0x100 : byte;
}

export interface ThresholdChange {
  readonly offset: number;
  readonly assertion: boolean;
  readonly threshold: ThresholdName;
}

/**
 * Pure threshold evaluation in counts: which thresholds are asserted after
 * this reading, given those asserted before. A lower threshold asserts at or
 * below its value and deasserts above value + negative hysteresis; an upper
 * one asserts at or above and deasserts below value - positive hysteresis.
 */
export function evaluateThresholds(
  asserted: ReadonlySet<ThresholdName>,
  raw: number,
  thresholds: Partial<Record<ThresholdName, number>>,
  hysteresis: { positive: number; negative: number },
): { asserted: Set<ThresholdName>; changes: ThresholdChange[] } {
  const next = new Set<ThresholdName>();
  const changes: ThresholdChange[] = [];
  for (const name of THRESHOLD_NAMES) {
    const t = thresholds[name];
    if (t === undefined) continue;
    const lower = name === 'lnc' || name === 'lc' || name === 'lnr';
    const was = asserted.has(name);
    let now: boolean;
    if (lower) now = was ? raw <= t + hysteresis.negative : raw <= t;
    else now = was ? raw >= t - hysteresis.positive : raw >= t;
    if (now) next.add(name);
    if (now !== was) changes.push({ offset: ASSERT_OFFSET[name], assertion: now, threshold: name });
  }
  return { asserted: next, changes };
}

/** Severity of the worst asserted threshold, as operators read it. */
export function thresholdStatus(asserted: ReadonlySet<ThresholdName>): 'ok' | 'nc' | 'cr' | 'nr' {
  if (asserted.has('lnr') || asserted.has('unr')) return 'nr';
  if (asserted.has('lc') || asserted.has('uc')) return 'cr';
  if (asserted.has('lnc') || asserted.has('unc')) return 'nc';
  return 'ok';
}

export type SensorChange =
  | { kind: 'threshold'; change: ThresholdChange; raw: number; thresholdRaw: number }
  | { kind: 'discrete'; offset: number; assertion: boolean };

/** The runtime state of one sensor. */
export class Sensor {
  readonly def: SensorDef;
  /** Thresholds in counts (what was set; defines readable/settable). */
  thresholdsRaw: Partial<Record<ThresholdName, number>>;
  hysteresis: { positive: number; negative: number };
  enables: EventEnables;
  present: boolean;
  #raw: number | null = null;
  #asserted = new Set<ThresholdName>();
  #states = 0;
  /** Event status latched since the last re-arm, one bit per offset. */
  #latched = { assertion: 0, deassertion: 0 };

  constructor(def: SensorDef) {
    this.def = def;
    this.present = def.present;
    this.thresholdsRaw = {};
    for (const n of THRESHOLD_NAMES) {
      const v = def.thresholds[n];
      if (v !== undefined) this.thresholdsRaw[n] = toRaw(v, def.conversion);
    }
    this.hysteresis = { ...def.hysteresis };
    const threshold = def.eventReadingType === EventReadingType.Threshold;
    const assertion = threshold
      ? THRESHOLD_NAMES.filter((n) => def.thresholds[n] !== undefined).reduce((m, n) => m | (1 << ASSERT_OFFSET[n]), 0)
      : (def.discreteMask ?? 0);
    this.enables = { allEvents: true, scanning: true, assertion, deassertion: assertion };
  }

  get isThreshold(): boolean {
    return this.def.eventReadingType === EventReadingType.Threshold;
  }

  get settable(): readonly ThresholdName[] {
    return this.def.settable ?? THRESHOLD_NAMES.filter((n) => this.def.thresholds[n] !== undefined);
  }

  /** Reading in counts, or null when unavailable (absent device, not scanning). */
  get raw(): number | null {
    return this.present && this.enables.scanning ? this.#raw : null;
  }

  /** Reading in engineering units, or null. */
  get value(): number | null {
    const r = this.raw;
    return r === null ? null : fromRaw(r, this.def.conversion);
  }

  get asserted(): ReadonlySet<ThresholdName> {
    return this.#asserted;
  }

  /** Discrete state bits. */
  get states(): number {
    return this.#states;
  }

  /** Events that occurred since the last re-arm (Get Sensor Event Status). */
  get latched(): Readonly<{ assertion: number; deassertion: number }> {
    return this.#latched;
  }

  thresholdValue(name: ThresholdName): number | undefined {
    const r = this.thresholdsRaw[name];
    return r === undefined ? undefined : fromRaw(r, this.def.conversion);
  }

  /** Takes a new reading; returns the crossings it caused. */
  setValue(value: number | null): SensorChange[] {
    if (value === null) {
      this.#raw = null;
      return [];
    }
    const raw = toRaw(value, this.def.conversion);
    this.#raw = raw;
    if (!this.isThreshold || !this.present || !this.enables.scanning) return [];
    return this.#evaluate(raw);
  }

  /** Re-evaluates after thresholds or hysteresis changed. */
  reevaluate(): SensorChange[] {
    const r = this.raw;
    return r === null || !this.isThreshold ? [] : this.#evaluate(r);
  }

  /**
   * Re-arm Sensor Events: forgets the selected event state (all when no
   * mask is given) so conditions that still hold assert again.
   */
  rearm(mask?: { assertion: number; deassertion: number }): SensorChange[] {
    const m = mask ?? { assertion: 0x7fff, deassertion: 0x7fff };
    this.#latched = { assertion: this.#latched.assertion & ~m.assertion, deassertion: this.#latched.deassertion & ~m.deassertion };
    if (!this.isThreshold) {
      // discrete: report the selected states that are asserted now once more
      const again = this.#states & m.assertion & 0x7fff;
      const out: SensorChange[] = [];
      for (let bit = 0; bit < 15; bit++) if (again & (1 << bit)) out.push({ kind: 'discrete', offset: bit, assertion: true });
      this.#latch(out);
      return out;
    }
    this.#asserted = new Set([...this.#asserted].filter((n) => (m.assertion & (1 << ASSERT_OFFSET[n])) === 0));
    return this.reevaluate();
  }

  /** Sets discrete state bits; returns the bits that changed. */
  setStates(states: number): SensorChange[] {
    const changed = (this.#states ^ states) & 0x7fff;
    this.#states = states & 0x7fff;
    const out: SensorChange[] = [];
    for (let bit = 0; bit < 15; bit++) {
      if (changed & (1 << bit)) out.push({ kind: 'discrete', offset: bit, assertion: (states & (1 << bit)) !== 0 });
    }
    this.#latch(out);
    return out;
  }

  #latch(changes: readonly SensorChange[]): void {
    for (const c of changes) {
      const offset = c.kind === 'threshold' ? c.change.offset : c.offset;
      const assertion = c.kind === 'threshold' ? c.change.assertion : c.assertion;
      if (assertion) this.#latched.assertion |= 1 << offset;
      else this.#latched.deassertion |= 1 << offset;
    }
  }

  #evaluate(raw: number): SensorChange[] {
    const { asserted, changes } = evaluateThresholds(this.#asserted, raw, this.thresholdsRaw, this.hysteresis);
    this.#asserted = asserted;
    const out = changes.map((change): SensorChange => ({ kind: 'threshold', change, raw, thresholdRaw: this.thresholdsRaw[change.threshold]! }));
    this.#latch(out);
    return out;
  }
}
