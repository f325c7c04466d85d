// The host firmware's setup (BIOS) and UEFI Secure Boot state, as a BMC
// keeps them: an attribute registry (names, types, allowed values, bounds,
// defaults; DSP0266 "BIOS" and the AttributeRegistry schema), the values in
// effect, the values pending until the next boot (Redfish's Settings object,
// SupportedApplyTimes [OnReset]), a reset-to-defaults request, firmware
// passwords, and Secure Boot (SecureBoot schema: SecureBootEnable takes
// effect at the next boot, SecureBootCurrentBoot is what the running boot
// has, SecureBootMode follows the key store). The host calls `boot()` at
// every power-on and reset. Nothing here knows a protocol.
//
// BootMode (the firmware's default boot mode) is kept apart from the boot
// override's mode (boot.ts): the override applies to one boot, as IPMI's
// boot flags and Redfish's BootSourceOverrideMode say; BootMode is what the
// firmware does otherwise. Secure Boot is in effect for a boot only when it
// is enabled, BootMode is Uefi and a platform key is enrolled (not SetupMode).
import { randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';
import type { Inventory } from './inventory.js';
import type { Persistence } from './persist.js';

export type AttributeType = 'Enumeration' | 'Integer' | 'Boolean' | 'String' | 'Password';
export type AttributeValue = string | number | boolean;

export interface AttributeDef {
  readonly name: string;
  readonly type: AttributeType;
  readonly displayName: string;
  readonly helpText: string;
  /** Setup menu the attribute appears in. */
  readonly menu: string;
  /** Absent for passwords (never shown). */
  readonly defaultValue?: AttributeValue;
  /** Enumeration values, in display order. */
  readonly values?: readonly { readonly name: string; readonly display: string }[];
  readonly lowerBound?: number;
  readonly upperBound?: number;
  readonly minLength?: number;
  readonly maxLength?: number;
  /** Set by the firmware only (mirrors of other state). */
  readonly readOnly?: boolean;
}

export const BIOS_MENUS = [
  { name: 'BootSettings', display: 'Boot Settings' },
  { name: 'ProcessorSettings', display: 'Processor Settings' },
  { name: 'PowerSettings', display: 'Power Management' },
  { name: 'IntegratedDevices', display: 'Integrated Devices' },
  { name: 'SerialSettings', display: 'Serial Communication' },
  { name: 'Security', display: 'System Security' },
] as const;

const ENABLED_DISABLED = [
  { name: 'Enabled', display: 'Enabled' },
  { name: 'Disabled', display: 'Disabled' },
] as const;

function onOff(name: string, displayName: string, helpText: string, menu: string, on: boolean): AttributeDef {
  return { name, type: 'Enumeration', displayName, helpText, menu, defaultValue: on ? 'Enabled' : 'Disabled', values: ENABLED_DISABLED };
}

/**
 * The attribute registry of a host's firmware: cores and PXE per NIC come
 * from its inventory, the rest is the same for every host. Pure.
 */
export function biosAttributeDefs(inv: {
  readonly processors: readonly Pick<Inventory['processors'][number], 'cores'>[];
  readonly nics: readonly Pick<Inventory['nics'][number], 'id' | 'name'>[];
}): AttributeDef[] {
  const cores = Math.max(1, ...inv.processors.map((p) => p.cores));
  return [
    {
      name: 'BootMode', type: 'Enumeration', displayName: 'Boot Mode', menu: 'BootSettings', defaultValue: 'Uefi',
      helpText: 'The mode the firmware boots in when no boot override says otherwise. Secure Boot needs Uefi.',
      values: [{ name: 'Uefi', display: 'UEFI' }, { name: 'Legacy', display: 'Legacy BIOS' }],
    },
    { name: 'QuietBoot', type: 'Boolean', displayName: 'Quiet Boot', menu: 'BootSettings', defaultValue: true, helpText: 'Shows a logo instead of POST messages.' },
    {
      name: 'NumLock', type: 'Enumeration', displayName: 'Keyboard NumLock', menu: 'BootSettings', defaultValue: 'On',
      helpText: 'NumLock state after POST.', values: [{ name: 'On', display: 'On' }, { name: 'Off', display: 'Off' }],
    },
    { name: 'HaltOnPostError', type: 'Boolean', displayName: 'Halt On POST Error', menu: 'BootSettings', defaultValue: false, helpText: 'Stops at a POST error and waits for a key.' },
    {
      name: 'BootRetryCount', type: 'Integer', displayName: 'Boot Retry Count', menu: 'BootSettings', defaultValue: 3, lowerBound: 0, upperBound: 10,
      helpText: 'How many times the boot order is retried before the firmware gives up (0: never retry).',
    },
    ...inv.nics.map((nic, i) => onOff(`Nic${i + 1}PxeBoot`, `${nic.name} PXE Boot`, `Lets ${nic.name} (${nic.id}) boot from the network.`, 'BootSettings', i === 0)),
    onOff('ProcHyperThreading', 'Hyper-Threading', 'Two logical processors per core.', 'ProcessorSettings', true),
    onOff('ProcVirtualization', 'Virtualization Technology (VT-x)', 'Hardware-assisted virtualization.', 'ProcessorSettings', true),
    onOff('ProcVtd', 'VT for Directed I/O (VT-d)', 'IOMMU for device assignment.', 'ProcessorSettings', true),
    onOff('SriovGlobalEnable', 'SR-IOV Global Enable', 'Lets devices expose virtual functions.', 'IntegratedDevices', false),
    onOff('ProcTurboMode', 'Turbo Mode', 'Lets cores run above their base frequency.', 'ProcessorSettings', true),
    onOff('ProcCStates', 'C-States', 'Processor idle power states.', 'PowerSettings', true),
    {
      name: 'ProcCoresEnabled', type: 'Integer', displayName: 'Enabled Cores per Processor', menu: 'ProcessorSettings', defaultValue: 0, lowerBound: 0, upperBound: cores,
      helpText: `Cores enabled in each processor; 0 enables all ${cores}.`,
    },
    {
      name: 'PowerProfile', type: 'Enumeration', displayName: 'System Power Profile', menu: 'PowerSettings', defaultValue: 'Balanced',
      helpText: 'Trades performance against power.',
      values: [
        { name: 'MaxPerformance', display: 'Maximum Performance' },
        { name: 'Balanced', display: 'Balanced' },
        { name: 'PowerSaver', display: 'Power Saver' },
        { name: 'OsControl', display: 'OS Control' },
      ],
    },
    {
      name: 'SerialConsoleRedirection', type: 'Enumeration', displayName: 'Serial Console Redirection', menu: 'SerialSettings', defaultValue: 'Com1',
      helpText: 'The serial port the firmware console is redirected to (Com1 is the one Serial over LAN carries).',
      values: [{ name: 'Disabled', display: 'Disabled' }, { name: 'Com1', display: 'COM1' }, { name: 'Com2', display: 'COM2' }],
    },
    {
      name: 'SerialBaudRate', type: 'Enumeration', displayName: 'Serial Baud Rate', menu: 'SerialSettings', defaultValue: '115200',
      helpText: 'Bit rate of the redirected console.',
      values: ['9600', '19200', '38400', '57600', '115200'].map((b) => ({ name: b, display: `${b} bps` })),
    },
    onOff('OsWatchdogTimer', 'OS Watchdog Timer', 'Arms the BMC watchdog during boot; the OS must stop it.', 'PowerSettings', false),
    {
      name: 'UsbPorts', type: 'Enumeration', displayName: 'USB Ports', menu: 'IntegratedDevices', defaultValue: 'AllOn',
      helpText: 'Which USB ports are usable.',
      values: [{ name: 'AllOn', display: 'All Ports On' }, { name: 'OnlyBackPorts', display: 'Only Back Ports On' }, { name: 'AllOff', display: 'All Ports Off' }],
    },
    {
      name: 'EmbeddedSata', type: 'Enumeration', displayName: 'Embedded SATA', menu: 'IntegratedDevices', defaultValue: 'Ahci',
      helpText: 'Mode of the onboard SATA controller.',
      values: [{ name: 'Ahci', display: 'AHCI' }, { name: 'Raid', display: 'RAID' }, { name: 'Off', display: 'Off' }],
    },
    {
      name: 'AdminPhone', type: 'String', displayName: 'Administrator Phone', menu: 'Security', defaultValue: '', minLength: 0, maxLength: 32,
      helpText: 'Shown on the setup screen.',
    },
    {
      name: 'SecureBoot', type: 'Enumeration', displayName: 'Secure Boot', menu: 'Security', defaultValue: 'Disabled', readOnly: true,
      helpText: 'Whether Secure Boot is in effect for the current boot; set through the SecureBoot resource.',
      values: ENABLED_DISABLED,
    },
    onOff('TpmSecurity', 'TPM Security', 'Makes the TPM visible to the OS.', 'Security', true),
    { name: 'AdminPassword', type: 'Password', displayName: 'Setup Password', menu: 'Security', minLength: 8, maxLength: 32, helpText: 'Protects the setup screens (write-only).' },
    { name: 'UserPassword', type: 'Password', displayName: 'System Password', menu: 'Security', minLength: 8, maxLength: 32, helpText: 'Asked for at boot (write-only).' },
  ];
}

/** Why a value cannot be set; front doors map these to their own errors. */
export type AttributeProblem =
  | { kind: 'unknown'; name: string }
  | { kind: 'read-only'; name: string }
  | { kind: 'type'; name: string; value: unknown }
  | { kind: 'not-in-list'; name: string; value: string }
  | { kind: 'out-of-range'; name: string; value: number }
  | { kind: 'too-long'; name: string; value: string; limit: number }
  | { kind: 'too-short'; name: string; value: string };

/** Checks one value against its definition (undefined when acceptable). Pure. */
export function checkAttribute(def: AttributeDef | undefined, name: string, value: unknown): AttributeProblem | undefined {
  if (!def) return { kind: 'unknown', name };
  if (def.readOnly) return { kind: 'read-only', name };
  switch (def.type) {
    case 'Boolean':
      return typeof value === 'boolean' ? undefined : { kind: 'type', name, value };
    case 'Integer':
      if (typeof value !== 'number' || !Number.isInteger(value)) return { kind: 'type', name, value };
      if ((def.lowerBound !== undefined && value < def.lowerBound) || (def.upperBound !== undefined && value > def.upperBound)) return { kind: 'out-of-range', name, value };
      return undefined;
    case 'Enumeration':
      if (typeof value !== 'string') return { kind: 'type', name, value };
      return def.values?.some((v) => v.name === value) ? undefined : { kind: 'not-in-list', name, value };
    case 'String':
    case 'Password':
      if (typeof value !== 'string') return { kind: 'type', name, value };
      if (def.maxLength !== undefined && value.length > def.maxLength) return { kind: 'too-long', name, value, limit: def.maxLength };
      // an empty password clears it
      if (def.minLength !== undefined && value.length < def.minLength && !(def.type === 'Password' && value === '')) return { kind: 'too-short', name, value };
      if (!/^[\x20-\x7e]*$/.test(value)) return { kind: 'type', name, value };
      return undefined;
  }
}

export type SecureBootMode = 'SetupMode' | 'UserMode' | 'AuditMode' | 'DeployedMode';
export const RESET_KEYS_TYPES = ['ResetAllKeysToDefault', 'DeleteAllKeys', 'DeletePK'] as const;
export type ResetKeysType = (typeof RESET_KEYS_TYPES)[number];

export interface SecureBootState {
  /** The setting: Secure Boot at the next boot. */
  readonly enable: boolean;
  /** Whether the running (last) boot had Secure Boot in effect. */
  readonly currentBoot: 'Enabled' | 'Disabled';
  readonly mode: SecureBootMode;
  /** Which keys are enrolled: the factory set, KEK/db without PK, or none. */
  readonly keys: 'default' | 'no-pk' | 'none';
}

export type ChangePasswordResult = 'ok' | 'unknown-password' | 'wrong-old-password' | 'bad-new-password';

interface PasswordHash {
  salt: string;
  hash: string;
}

interface Stored {
  current: Record<string, AttributeValue>;
  pending: Record<string, AttributeValue>;
  /** Password changes waiting for the next boot: hash, or null to clear. */
  pendingPasswords: Record<string, PasswordHash | null>;
  passwords: Record<string, PasswordHash>;
  resetToDefaultsPending: boolean;
  /** When pending settings were last applied (ms since the epoch), with what. */
  lastApplied: { time: number; attributes: string[] } | null;
  secureBoot: SecureBootState;
}

const DEFAULT_SECURE_BOOT: SecureBootState = { enable: false, currentBoot: 'Disabled', mode: 'UserMode', keys: 'default' };

function hashPassword(pw: string, salt = randomBytes(16).toString('base64')): PasswordHash {
  return { salt, hash: scryptSync(pw, salt, 32).toString('base64') };
}

function passwordMatches(h: PasswordHash | undefined, pw: string): boolean {
  if (!h) return pw === '';
  const got = scryptSync(pw, h.salt, 32);
  const want = Buffer.from(h.hash, 'base64');
  return got.length === want.length && timingSafeEqual(got, want);
}

/** One host's firmware settings and Secure Boot state, persisted under "bios". */
export class BiosSettings {
  readonly registry: readonly AttributeDef[];
  readonly #defs: ReadonlyMap<string, AttributeDef>;
  readonly #persist: Persistence;
  readonly #now: () => number;
  #s: Stored;

  constructor(opts: { attributes: readonly AttributeDef[]; persist: Persistence; now: () => number }) {
    this.registry = opts.attributes;
    this.#defs = new Map(opts.attributes.map((d) => [d.name, d]));
    this.#persist = opts.persist;
    this.#now = opts.now;
    this.#s = this.#load(opts.persist.load('bios'));
  }

  /** Stored state checked against the registry: what no longer fits is dropped or defaulted (a firmware update may change the registry). */
  #load(raw: unknown): Stored {
    const r = (raw && typeof raw === 'object' ? raw : {}) as Partial<Stored>;
    const fits = (name: string, v: unknown): v is AttributeValue => {
      const d = this.#defs.get(name);
      return d !== undefined && d.type !== 'Password' && checkAttribute(d.readOnly ? { ...d, readOnly: false } : d, name, v) === undefined;
    };
    const current: Record<string, AttributeValue> = {};
    for (const d of this.registry) {
      if (d.type === 'Password' || d.defaultValue === undefined) continue;
      const v = r.current?.[d.name];
      current[d.name] = fits(d.name, v) ? v : d.defaultValue;
    }
    const pending: Record<string, AttributeValue> = {};
    for (const [k, v] of Object.entries(r.pending ?? {})) if (fits(k, v) && !this.#defs.get(k)?.readOnly) pending[k] = v;
    const passwordsOnly = <T>(o: Record<string, T> | undefined): Record<string, T> =>
      Object.fromEntries(Object.entries(o ?? {}).filter(([k]) => this.#defs.get(k)?.type === 'Password'));
    const sb = r.secureBoot;
    const secureBoot: SecureBootState = {
      enable: typeof sb?.enable === 'boolean' ? sb.enable : DEFAULT_SECURE_BOOT.enable,
      currentBoot: sb?.currentBoot === 'Enabled' ? 'Enabled' : 'Disabled',
      mode: sb && ['SetupMode', 'UserMode', 'AuditMode', 'DeployedMode'].includes(sb.mode) ? sb.mode : DEFAULT_SECURE_BOOT.mode,
      keys: sb && ['default', 'no-pk', 'none'].includes(sb.keys) ? sb.keys : DEFAULT_SECURE_BOOT.keys,
    };
    return {
      current,
      pending,
      pendingPasswords: passwordsOnly(r.pendingPasswords),
      passwords: passwordsOnly(r.passwords),
      resetToDefaultsPending: r.resetToDefaultsPending === true,
      lastApplied: r.lastApplied ?? null,
      secureBoot,
    };
  }

  #save(): void {
    this.#persist.save('bios', this.#s);
  }

  attribute(name: string): AttributeDef | undefined {
    return this.#defs.get(name);
  }

  /** Values in effect; passwords are never shown (null). */
  get current(): Readonly<Record<string, AttributeValue | null>> {
    const out: Record<string, AttributeValue | null> = { ...this.#s.current, SecureBoot: this.#s.secureBoot.currentBoot };
    for (const d of this.registry) if (d.type === 'Password') out[d.name] = null;
    if (!this.#defs.has('SecureBoot')) delete out.SecureBoot;
    return out;
  }

  /** Values waiting for the next boot (only those that change something); a pending password shows as null. */
  get pending(): Readonly<Record<string, AttributeValue | null>> {
    const out: Record<string, AttributeValue | null> = { ...this.#s.pending };
    for (const k of Object.keys(this.#s.pendingPasswords)) out[k] = null;
    return out;
  }

  get resetToDefaultsPending(): boolean {
    return this.#s.resetToDefaultsPending;
  }

  get lastApplied(): Readonly<{ time: number; attributes: readonly string[] }> | null {
    return this.#s.lastApplied;
  }

  /** Whether a password is set. */
  hasPassword(name: string): boolean {
    return this.#s.passwords[name] !== undefined;
  }

  /** Every problem of a set of changes; empty when all can be made. Pure. */
  check(changes: Readonly<Record<string, unknown>>): AttributeProblem[] {
    const out: AttributeProblem[] = [];
    for (const [name, value] of Object.entries(changes)) {
      const p = checkAttribute(this.#defs.get(name), name, value);
      if (p) out.push(p);
    }
    return out;
  }

  /**
   * Makes changes pending for the next boot, all or none: the problems when
   * any value is refused. A value equal to the one in effect withdraws a
   * pending change of that attribute.
   */
  setPending(changes: Readonly<Record<string, unknown>>): AttributeProblem[] {
    const problems = this.check(changes);
    if (problems.length > 0) return problems;
    for (const [name, value] of Object.entries(changes) as [string, AttributeValue][]) {
      const def = this.#defs.get(name)!;
      if (def.type === 'Password') {
        this.#s.pendingPasswords[name] = value === '' ? null : hashPassword(value as string);
      } else if (this.#s.current[name] === value) {
        delete this.#s.pending[name];
      } else {
        this.#s.pending[name] = value;
      }
    }
    this.#save();
    return [];
  }

  /** Bios.ResetBios: the defaults become pending (as bmcweb and DSP0266 do); passwords are kept. */
  resetToDefaults(): void {
    const pending: Record<string, AttributeValue> = {};
    for (const d of this.registry) {
      if (d.type === 'Password' || d.readOnly || d.defaultValue === undefined) continue;
      if (this.#s.current[d.name] !== d.defaultValue) pending[d.name] = d.defaultValue;
    }
    this.#s.pending = pending;
    this.#s.resetToDefaultsPending = true;
    this.#save();
  }

  /** Applies pending settings and clears them; the names applied. */
  applyPending(): string[] {
    const names = [...Object.keys(this.#s.pending), ...Object.keys(this.#s.pendingPasswords)];
    if (names.length === 0 && !this.#s.resetToDefaultsPending) return [];
    this.#s.current = { ...this.#s.current, ...this.#s.pending };
    for (const [k, h] of Object.entries(this.#s.pendingPasswords)) {
      if (h) this.#s.passwords[k] = h;
      else delete this.#s.passwords[k];
    }
    this.#s.pending = {};
    this.#s.pendingPasswords = {};
    this.#s.resetToDefaultsPending = false;
    this.#s.lastApplied = { time: this.#now(), attributes: names };
    this.#save();
    return names;
  }

  /**
   * What the firmware does as the host boots (power-on or reset): pending
   * settings take effect, then Secure Boot is decided for this boot.
   */
  boot(): string[] {
    const applied = this.applyPending();
    const sb = this.#s.secureBoot;
    const on = sb.enable && this.#s.current.BootMode !== 'Legacy' && sb.mode !== 'SetupMode';
    this.#s.secureBoot = { ...sb, currentBoot: on ? 'Enabled' : 'Disabled' };
    this.#save();
    return applied;
  }

  /** Bios.ChangePassword: takes effect at once (the firmware's password store, not a setup option). */
  changePassword(name: string, oldPassword: string, newPassword: string): ChangePasswordResult {
    const def = this.#defs.get(name);
    if (!def || def.type !== 'Password') return 'unknown-password';
    if (!passwordMatches(this.#s.passwords[name], oldPassword)) return 'wrong-old-password';
    if (checkAttribute(def, name, newPassword)) return 'bad-new-password';
    if (newPassword === '') delete this.#s.passwords[name];
    else this.#s.passwords[name] = hashPassword(newPassword);
    delete this.#s.pendingPasswords[name];
    this.#save();
    return 'ok';
  }

  // ---- Secure Boot -------------------------------------------------------------

  get secureBoot(): Readonly<SecureBootState> {
    return this.#s.secureBoot;
  }

  /** BootMode at the next boot: the pending value, else the one in effect. */
  get nextBootMode(): AttributeValue | undefined {
    return this.#s.pending.BootMode ?? this.#s.current.BootMode;
  }

  /**
   * Secure Boot at the next boot. Refused ('needs-uefi') when enabling while
   * the next boot is a Legacy one ("can be enabled in UEFI boot mode only").
   */
  setSecureBootEnable(enable: boolean): 'needs-uefi' | undefined {
    if (enable && this.nextBootMode === 'Legacy') return 'needs-uefi';
    this.#s.secureBoot = { ...this.#s.secureBoot, enable };
    this.#save();
    return undefined;
  }

  /**
   * SecureBoot.ResetKeys, on the key store at once: the factory keys put the
   * platform in UserMode; without a platform key it is in SetupMode, where
   * Secure Boot is not enforced. The current boot is not changed.
   */
  resetKeys(type: ResetKeysType): void {
    const keys: SecureBootState['keys'] = type === 'ResetAllKeysToDefault' ? 'default' : type === 'DeletePK' ? 'no-pk' : 'none';
    this.#s.secureBoot = { ...this.#s.secureBoot, keys, mode: keys === 'default' ? 'UserMode' : 'SetupMode' };
    this.#save();
  }
}
