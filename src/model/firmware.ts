// The firmware inventory of a BMC and its update procedure: the BMC's own
// firmware, each host's BIOS, the chassis CPLD and the power supply
// firmware, each with a version, release date and whether it can be updated.
// An update takes an image (bytes pushed or downloaded by a front door),
// transfers, verifies and writes it in timed steps, reporting through a
// Task, and leaves a staged image that activates later: the BMC's on a
// manager reset (or the next start of the BMC), a BIOS on its host's next
// power-on or reset, the CPLD on the next power-on. The image format (a JSON
// manifest line, or a version in the file name) is in docs/FIRMWARE.md.
import { createHash } from 'node:crypto';
import type { Clock } from './clock.js';
import type { ModelEvents } from './events.js';
import type { Persistence } from './persist.js';
import type { Task, TaskMessage } from './tasks.js';

export type ComponentKind = 'bmc' | 'bios' | 'cpld' | 'psu';
/** What makes a staged image take effect. */
export type Activation = 'manager-reset' | 'host-reset' | 'power-on' | 'none';

export interface StagedImage {
  readonly version: string;
  readonly releaseDate: string | undefined;
  readonly imageName: string;
  readonly sizeBytes: number;
  readonly sha256: string;
  /** ms since the epoch. */
  readonly stagedAt: number;
}

export interface FirmwareComponent {
  readonly id: string;
  readonly name: string;
  readonly kind: ComponentKind;
  /** The host a BIOS belongs to. */
  readonly host: number | undefined;
  readonly version: string;
  /** ISO 8601 date-time. */
  readonly releaseDate: string;
  readonly manufacturer: string;
  readonly updateable: boolean;
  readonly activation: Activation;
  /** A written image waiting for its activation. */
  readonly pending: StagedImage | undefined;
  /** An update is being written to it now. */
  readonly updating: boolean;
}

/** The manifest an image carries (docs/FIRMWARE.md). */
export interface ImageManifest {
  readonly component: Exclude<ComponentKind, 'psu'>;
  readonly version: string;
  readonly releaseDate: string | undefined;
  /** Where the manifest came from: the image's header line or its file name. */
  readonly source: 'header' | 'file-name';
  readonly payloadBytes: number;
}

export type ImageRefusal = 'empty' | 'no-manifest' | 'bad-manifest' | 'checksum-mismatch' | 'no-payload';

export const MANIFEST_LINE_MAX = 4096;
const UPDATEABLE_KINDS: readonly string[] = ['bmc', 'bios', 'cpld'];
const VERSION = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,31}$/;
const DATE = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2})?(Z|[+-]\d{2}:\d{2})?)?$/;
const FILE_NAME = /^(bmc|bios|cpld)[-_]v?(\d+(?:\.\d+){1,3}(?:[-+][A-Za-z0-9.]{1,16})?)\.(bin|img|rom|fw|cap)$/i;
const MANIFEST_KEYS = new Set(['component', 'version', 'releaseDate', 'sha256']);

/**
 * Reads an image's manifest. An image starting with `{` must start with one
 * JSON line: {"component": "bmc"|"bios"|"cpld", "version": "...",
 * "releaseDate"?: "YYYY-MM-DD", "sha256"?: hex of the payload}, then at
 * least one payload byte. Any other image needs its component and version in
 * its file name (bios-1.0.4.bin).
 */
export function parseImage(bytes: Uint8Array, fileName: string): { ok: true; manifest: ImageManifest } | { ok: false; reason: ImageRefusal } {
  if (bytes.length === 0) return { ok: false, reason: 'empty' };
  if (bytes[0] === 0x7b) {
    const nl = bytes.subarray(0, MANIFEST_LINE_MAX).indexOf(0x0a);
    if (nl < 0) return { ok: false, reason: 'bad-manifest' };
    let header: unknown;
    try {
      header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, nl)));
    } catch {
      return { ok: false, reason: 'bad-manifest' };
    }
    if (!header || typeof header !== 'object' || Array.isArray(header)) return { ok: false, reason: 'bad-manifest' };
    const h = header as Record<string, unknown>;
    if (Object.keys(h).some((k) => !MANIFEST_KEYS.has(k))) return { ok: false, reason: 'bad-manifest' };
    const { component, version, releaseDate, sha256 } = h;
    if (typeof component !== 'string' || !UPDATEABLE_KINDS.includes(component)) return { ok: false, reason: 'bad-manifest' };
    if (typeof version !== 'string' || !VERSION.test(version)) return { ok: false, reason: 'bad-manifest' };
    if (releaseDate !== undefined && (typeof releaseDate !== 'string' || !DATE.test(releaseDate) || Number.isNaN(Date.parse(releaseDate)))) {
      return { ok: false, reason: 'bad-manifest' };
    }
    if (sha256 !== undefined && (typeof sha256 !== 'string' || !/^[0-9a-fA-F]{64}$/.test(sha256))) return { ok: false, reason: 'bad-manifest' };
    const payload = bytes.subarray(nl + 1);
    if (payload.length === 0) return { ok: false, reason: 'no-payload' };
    if (sha256 !== undefined && createHash('sha256').update(payload).digest('hex') !== sha256.toLowerCase()) return { ok: false, reason: 'checksum-mismatch' };
    return {
      ok: true,
      manifest: { component: component as ImageManifest['component'], version, releaseDate: releaseDate as string | undefined, source: 'header', payloadBytes: payload.length },
    };
  }
  const m = FILE_NAME.exec(fileName);
  if (!m) return { ok: false, reason: 'no-manifest' };
  return {
    ok: true,
    manifest: { component: m[1]!.toLowerCase() as ImageManifest['component'], version: m[2]!, releaseDate: undefined, source: 'file-name', payloadBytes: bytes.length },
  };
}

/** How long each step of an update takes (realistic by default; tests shorten them). */
export interface FirmwareTimings {
  /** Moving the received image into the staging area. */
  readonly transferMs: number;
  readonly verifyMs: number;
  readonly writeSteps: number;
  readonly writeStepMs: number;
}

export const DEFAULT_TIMINGS: FirmwareTimings = { transferMs: 1500, verifyMs: 1000, writeSteps: 8, writeStepMs: 450 };

/** What a front door hands to an update: how to get the image's bytes. */
export type ImageSource = (onProgress: (fraction: number) => void, signal: AbortSignal) => Promise<Uint8Array>;

export type UpdateRefusal = 'update-in-progress' | 'task-not-new';

export interface FirmwareSpec {
  readonly bmcVersion: string;
  readonly bmcReleaseDate?: string;
  /** BIOS version of each host, by host index. */
  readonly hosts: readonly { index: number; biosVersion: string }[];
  readonly cpldVersion?: string;
  readonly psuVersion?: string;
  readonly manufacturer?: string;
}

interface Slot {
  id: string;
  name: string;
  kind: ComponentKind;
  host: number | undefined;
  version: string;
  releaseDate: string;
  updateable: boolean;
  activation: Activation;
  pending: StagedImage | undefined;
  /** Its version came from an update (kept), not from the profile. */
  flashed: boolean;
}

interface Stored {
  versions: Record<string, { version: string; releaseDate: string }>;
  pending: Record<string, StagedImage>;
}

/** The identity fields the BMC's firmware version also lives in (IPMI Get Device ID). */
export interface BmcFirmwareIdentity {
  firmwareVersion: string;
  firmwareMajor: number;
  firmwareMinor: number;
}

class Aborted extends Error {}

export class FirmwareInventory {
  readonly #slots: Slot[] = [];
  readonly #clock: Clock;
  readonly #persist: Persistence;
  readonly #events: ModelEvents;
  readonly #device: BmcFirmwareIdentity;
  readonly #timings: FirmwareTimings;
  readonly #manufacturer: string;
  #busy: { task: Task; targets: Set<string> } | undefined;

  constructor(opts: {
    spec: FirmwareSpec;
    device: BmcFirmwareIdentity;
    clock: Clock;
    persist: Persistence;
    events: ModelEvents;
    timings?: FirmwareTimings;
  }) {
    const { spec } = opts;
    this.#clock = opts.clock;
    this.#persist = opts.persist;
    this.#events = opts.events;
    this.#device = opts.device;
    this.#timings = opts.timings ?? DEFAULT_TIMINGS;
    this.#manufacturer = spec.manufacturer ?? 'tsbmc';
    const date = '2026-01-01T00:00:00Z';
    const slot = (s: Omit<Slot, 'pending' | 'releaseDate' | 'flashed'> & { releaseDate?: string }): Slot => ({ releaseDate: date, pending: undefined, flashed: false, ...s });
    this.#slots.push(slot({ id: 'bmc', name: 'BMC Firmware', kind: 'bmc', host: undefined, version: spec.bmcVersion, updateable: true, activation: 'manager-reset', ...(spec.bmcReleaseDate ? { releaseDate: spec.bmcReleaseDate } : {}) }));
    for (const h of spec.hosts) {
      const id = biosId(h.index, spec.hosts.length);
      const name = spec.hosts.length === 1 ? 'BIOS' : `BIOS (node${h.index})`;
      this.#slots.push(slot({ id, name, kind: 'bios', host: h.index, version: h.biosVersion, updateable: true, activation: 'host-reset' }));
    }
    this.#slots.push(slot({ id: 'cpld', name: 'Chassis CPLD', kind: 'cpld', host: undefined, version: spec.cpldVersion ?? '1.2', updateable: true, activation: 'power-on' }));
    this.#slots.push(slot({ id: 'psu', name: 'Power Supply Firmware', kind: 'psu', host: undefined, version: spec.psuVersion ?? '02.10', updateable: false, activation: 'none' }));

    const stored = opts.persist.load('firmware') as Partial<Stored> | undefined;
    for (const s of this.#slots) {
      const v = stored?.versions?.[s.id];
      if (v) Object.assign(s, { version: v.version, releaseDate: v.releaseDate, flashed: true });
      const p = stored?.pending?.[s.id];
      if (p && s.updateable) s.pending = p;
    }
    // this constructor runs when the BMC starts: a staged BMC image is now running
    if (this.#slot('bmc')?.pending) this.activatePending('bmc');
    else if (this.#slot('bmc')?.flashed) this.#syncDevice();

    opts.events.on('power', (ev) => {
      if (ev.state !== 'on') return;
      for (const s of this.#slots) {
        if ((s.kind === 'bios' && s.host === ev.host) || s.activation === 'power-on') this.activatePending(s.id);
      }
    });
    opts.events.on('host-reset', (ev) => {
      for (const s of this.#slots) if (s.kind === 'bios' && s.host === ev.host) this.activatePending(s.id);
    });
  }

  components(): FirmwareComponent[] {
    return this.#slots.map((s) => this.#view(s));
  }

  component(id: string): FirmwareComponent | undefined {
    const s = this.#slot(id);
    return s ? this.#view(s) : undefined;
  }

  /** The BIOS component of a host (its version is the system's BiosVersion). */
  bios(hostIndex: number): FirmwareComponent | undefined {
    return this.components().find((c) => c.kind === 'bios' && c.host === hostIndex);
  }

  /** The task of the update under way, if any. */
  get activeUpdate(): Task | undefined {
    return this.#busy?.task;
  }

  /**
   * Makes a staged image the running one. The Managers front door calls
   * this for 'bmc' on Manager.Reset; host power events do it for BIOS and
   * CPLD. Returns the image activated, if there was one.
   */
  activatePending(id: string): StagedImage | undefined {
    const s = this.#slot(id);
    const p = s?.pending;
    if (!s || !p) return undefined;
    s.version = p.version;
    s.releaseDate = p.releaseDate ? new Date(p.releaseDate).toISOString().replace(/\.000Z$/, 'Z') : new Date(p.stagedAt).toISOString().replace(/\.\d{3}Z$/, 'Z');
    s.pending = undefined;
    s.flashed = true;
    if (s.kind === 'bmc') this.#syncDevice();
    this.#save();
    this.#events.emit({ type: 'bmc', what: 'firmware' });
    return p;
  }

  /**
   * Runs an update through `task` (which must be New): get the image, move
   * it to staging, verify its manifest, pick the targets (the given component
   * ids, else every component of the image's kind), write it in steps, stage
   * it. Refused while another update runs. The task carries the outcome.
   */
  update(req: { task: Task; imageName: string; targets?: readonly string[]; source: ImageSource }): UpdateRefusal | undefined {
    if (this.#busy) return 'update-in-progress';
    if (req.task.state !== 'New') return 'task-not-new';
    this.#busy = { task: req.task, targets: new Set(req.targets ?? []) };
    void this.#run(req).finally(() => {
      if (this.#busy?.task === req.task) this.#busy = undefined;
    });
    return undefined;
  }

  async #run(req: { task: Task; imageName: string; targets?: readonly string[]; source: ImageSource }): Promise<void> {
    const { task, imageName } = req;
    const t = this.#timings;
    const ac = new AbortController();
    const timers = new Set<{ cancel(): void }>();
    const sleep = (ms: number): Promise<void> =>
      new Promise((resolve, reject) => {
        if (ac.signal.aborted) return reject(new Aborted());
        const onAbort = (): void => reject(new Aborted());
        const h = this.#clock.setTimeout(() => {
          timers.delete(h);
          ac.signal.removeEventListener('abort', onAbort);
          resolve();
        }, ms);
        timers.add(h);
        ac.signal.addEventListener('abort', onAbort, { once: true });
      });
    const msg = (registry: 'Update', key: string, ...args: string[]): TaskMessage => ({ registry, key, args });
    task.setCancellable(() => {
      ac.abort();
      for (const h of timers) h.cancel();
    });
    task.start();
    const stage = 'BMC';
    try {
      // 1. transfer: the source (download or upload) to 20 %, then into staging to 30 %
      task.progress(0, msg('Update', 'TransferringToComponent', imageName, stage));
      let bytes: Uint8Array;
      try {
        bytes = await req.source((f) => {
          if (!task.finished) task.progress(Math.max(0, Math.min(1, f)) * 20);
        }, ac.signal);
      } catch {
        if (ac.signal.aborted) throw new Aborted();
        task.fail(msg('Update', 'TransferFailed', imageName, stage));
        return;
      }
      if (ac.signal.aborted) throw new Aborted();
      for (let i = 1; i <= 3; i++) {
        await sleep(t.transferMs / 3);
        task.progress(20 + (i * 10) / 3);
      }
      // 2. verify
      task.progress(30, msg('Update', 'VerifyingAtComponent', imageName, stage));
      await sleep(t.verifyMs);
      const parsed = parseImage(bytes, imageName);
      if (!parsed.ok) {
        task.fail(msg('Update', 'VerificationFailed', imageName, stage));
        return;
      }
      const manifest = parsed.manifest;
      const candidates = req.targets ? req.targets.map((id) => this.#slot(id)).filter((s): s is Slot => s !== undefined) : this.#slots;
      const chosen = candidates.filter((s) => s.updateable && s.kind === manifest.component);
      if (chosen.length === 0) {
        const names = (req.targets ? candidates : this.#slots.filter((s) => s.kind === manifest.component)).map((s) => s.name).join(', ') || manifest.component;
        task.fail(msg('Update', 'UpdateNotApplicable', imageName, names));
        return;
      }
      for (const s of chosen) task.message(msg('Update', 'TargetDetermined', s.name, imageName));
      task.progress(40, msg('Update', 'AllTargetsDetermined'));
      // 3. write: not cancellable any more
      task.setCancellable(undefined);
      this.#busy?.targets.clear();
      for (const s of chosen) this.#busy?.targets.add(s.id);
      const names = chosen.map((s) => s.name).join(', ');
      task.message(msg('Update', 'InstallingOnComponent', imageName, names));
      for (let i = 1; i <= t.writeSteps; i++) {
        await sleep(t.writeStepMs);
        task.progress(40 + (i * 59) / t.writeSteps);
      }
      // 4. stage, awaiting activation
      const staged: StagedImage = {
        version: manifest.version,
        releaseDate: manifest.releaseDate,
        imageName,
        sizeBytes: bytes.length,
        sha256: createHash('sha256').update(bytes).digest('hex'),
        stagedAt: this.#clock.now(),
      };
      for (const s of chosen) {
        s.pending = staged;
        task.message(msg('Update', 'AwaitToActivate', imageName, s.name));
      }
      this.#save();
      this.#events.emit({ type: 'bmc', what: 'firmware' });
      task.complete();
    } catch (err) {
      if (!(err instanceof Aborted)) {
        task.fail(msg('Update', 'ApplyFailed', imageName, stage));
        throw err;
      }
    } finally {
      for (const h of timers) h.cancel();
    }
  }

  #slot(id: string): Slot | undefined {
    return this.#slots.find((s) => s.id === id);
  }

  #view(s: Slot): FirmwareComponent {
    return {
      id: s.id,
      name: s.name,
      kind: s.kind,
      host: s.host,
      version: s.version,
      releaseDate: s.releaseDate,
      manufacturer: this.#manufacturer,
      updateable: s.updateable,
      activation: s.activation,
      pending: s.pending,
      updating: this.#busy?.targets.has(s.id) ?? false,
    };
  }

  #syncDevice(): void {
    const bmc = this.#slot('bmc');
    if (!bmc) return;
    const [major = '0', minor = '0'] = bmc.version.split(/[.-]/);
    this.#device.firmwareVersion = bmc.version;
    this.#device.firmwareMajor = Math.min(127, Number.parseInt(major, 10) || 0);
    this.#device.firmwareMinor = Math.min(99, Number.parseInt(minor, 10) || 0);
  }

  #save(): void {
    const doc: Stored = { versions: {}, pending: {} };
    for (const s of this.#slots) {
      if (s.flashed) doc.versions[s.id] = { version: s.version, releaseDate: s.releaseDate };
      if (s.pending) doc.pending[s.id] = s.pending;
    }
    this.#persist.save('firmware', doc);
  }
}

/** The component id of a host's BIOS: 'bios' on a one-host BMC, else 'bios-node<N>'. */
export function biosId(hostIndex: number, hostCount: number): string {
  return hostCount === 1 ? 'bios' : `bios-node${hostIndex}`;
}
