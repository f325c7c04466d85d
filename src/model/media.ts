// Virtual media of one host (what Redfish's VirtualMedia resources show):
// two drives, a CD/DVD and a USB stick. Inserting media downloads the image
// (HTTP or HTTPS only) in the background into a cache directory, bounded in
// size and time, then connects the cached file to the host through the
// backend (HostLink.attachMedia). Ejecting disconnects it and deletes the
// file. What is inserted is persisted and re-attached from the cache after
// a restart. Credentials for the download are held in memory for the
// download only: never persisted, shown or logged. An image can also be
// uploaded (upload()): its bytes are streamed into a .part file in the cache
// as they arrive, counted against the announced size and the cap, then the
// file takes the downloaded image's place; its Image is `upload:<name>`.
// Protocol-free: refusals and failures are typed reasons that front doors map.
import { createWriteStream, existsSync, type WriteStream, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { finished, Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { HostLink, MediaSlotKind } from '../backends/link.js';
import type { BootDevice } from './boot.js';
import type { Clock } from './clock.js';
import type { ModelEvents } from './events.js';
import type { Persistence } from './persist.js';

export type MediaSlotId = 'CD' | 'USB';
export type MediaType = 'CD' | 'DVD' | 'USBStick';
export type DownloadState = 'idle' | 'downloading' | 'ready' | 'failed';
export type TransferProtocol = 'HTTP' | 'HTTPS';
export type TransferMethod = 'Stream' | 'Upload';

/** Why a download failed. */
export type MediaFailure =
  | 'not-found'
  | 'unauthorized'
  | 'http-error'
  | 'connect-failed'
  | 'certificate'
  | 'too-large'
  | 'timeout'
  | 'io-error'
  | 'interrupted'
  | 'cache-missing';

/** Why an insert or change was refused. */
export type MediaRefusal = 'in-use' | 'no-image' | 'unconfigured' | 'too-large';

export interface SlotDef {
  readonly id: MediaSlotId;
  readonly kind: MediaSlotKind;
  readonly mediaTypes: readonly MediaType[];
  readonly name: string;
}

export const SLOTS: readonly SlotDef[] = [
  { id: 'CD', kind: 'cd', mediaTypes: ['CD', 'DVD'], name: 'Virtual CD/DVD' },
  { id: 'USB', kind: 'usb', mediaTypes: ['USBStick'], name: 'Virtual USB stick' },
];

/** The state of one drive, as front doors read it. */
export interface SlotState {
  readonly def: SlotDef;
  /** The image URL without credentials, or null when no image is connected. */
  readonly image: string | null;
  readonly imageName: string | null;
  /** The media is mounted and visible to the host (downloaded and connected). */
  readonly inserted: boolean;
  /** The media is to be visible to the host once it is downloaded. */
  readonly wantInserted: boolean;
  readonly writeProtected: boolean;
  /** Whether an HTTPS server's certificate is verified (the system trust store). */
  readonly verifyCertificate: boolean;
  readonly transferProtocol: TransferProtocol | null;
  readonly transferMethod: TransferMethod;
  readonly download: {
    readonly state: DownloadState;
    readonly failure: MediaFailure | null;
    /** A short human description of the failure (no credentials). */
    readonly detail: string | null;
    readonly bytes: number;
    /** The size the server announced, when it did. */
    readonly total: number | null;
  };
}

export interface InsertRequest {
  readonly url: URL;
  readonly inserted?: boolean;
  readonly writeProtected?: boolean;
  readonly verifyCertificate?: boolean;
  readonly transferMethod?: TransferMethod;
  readonly userName?: string;
  readonly password?: string;
}

export interface UploadRequest {
  /** The image's file name (already checked by the front door: plain, printable, at most 255 characters). */
  readonly name: string;
  /** The number of bytes announced; the upload fails unless exactly this many arrive. */
  readonly size: number;
  readonly writeProtected?: boolean;
  /** The image's bytes, read once. */
  readonly body: Readable;
}

/** The Image an uploaded file shows: a URI naming no server (the `upload` scheme, the name percent-encoded). */
export function uploadedImage(name: string): string {
  return `upload:${encodeURIComponent(name)}`;
}

export interface MediaConfig {
  /** Directory for the cached images of this host (created when missing). */
  readonly cacheDir: string;
  /** The largest image accepted, bytes (default 2 GiB). */
  readonly maxBytes?: number;
  /** Time limit of one download, ms (default 10 minutes). */
  readonly timeoutMs?: number;
}

export const DEFAULT_MAX_BYTES = 2 * 1024 * 1024 * 1024;
export const DEFAULT_TIMEOUT_MS = 10 * 60_000;

/** The last boot as the firmware took it: device and the image it boots, if any. */
export interface LastBoot {
  readonly device: BootDevice;
  readonly image: string | null;
  /** ms since the epoch */
  readonly at: number;
}

interface Slot {
  readonly def: SlotDef;
  image: string | null;
  imageName: string | null;
  wantInserted: boolean;
  writeProtected: boolean;
  verifyCertificate: boolean;
  transferProtocol: TransferProtocol | null;
  transferMethod: TransferMethod;
  state: DownloadState;
  failure: MediaFailure | null;
  detail: string | null;
  bytes: number;
  total: number | null;
  /** File name of the cached image inside the cache directory. */
  file: string | null;
  /** Aborts the download in flight. */
  abort: AbortController | null;
  /** Bumped on every insert/eject, so a stale download's completion is ignored. */
  generation: number;
  attached: boolean;
}

type StoredSlot = Omit<Slot, 'def' | 'abort' | 'generation' | 'attached'>;

interface Stored {
  v: 1;
  slots: Partial<Record<MediaSlotId, StoredSlot>>;
}

const CONNECTABLE = new Set<BootDevice>(['cdrom', 'remote-cdrom']);

/** The last path segment of a URL, decoded and bounded: the image's name. */
export function imageNameOf(url: URL): string {
  const last = url.pathname.split('/').pop() ?? '';
  let name: string;
  try {
    name = decodeURIComponent(last);
  } catch {
    name = last;
  }
  // printable, no path separators
  name = name.replace(/[^\x20-\x7e]|[\\/]/g, '_');
  return (name || 'image').slice(0, 128);
}

/** A URL with its user and password removed (what is stored and shown). */
export function publicUrl(url: URL): string {
  const u = new URL(url.href);
  u.username = '';
  u.password = '';
  return u.href;
}

export class HostMedia {
  readonly #host: number;
  readonly #link: HostLink;
  readonly #events: ModelEvents;
  readonly #clock: Clock;
  readonly #persist: Persistence;
  readonly #slots = new Map<MediaSlotId, Slot>();
  #config: Required<MediaConfig> | undefined;
  #lastBoot: LastBoot | undefined;
  /** When the host last powered on, off or reset: a boot recorded before it is over. */
  #bootStartedAt = -Infinity;
  readonly #unsubscribe: (() => void)[];

  constructor(opts: { host: number; link: HostLink; events: ModelEvents; clock: Clock; persist: Persistence }) {
    this.#host = opts.host;
    this.#link = opts.link;
    this.#events = opts.events;
    this.#clock = opts.clock;
    this.#persist = opts.persist;
    const restart = (e: { host: number }): void => {
      if (e.host === this.#host) this.#bootStartedAt = this.#clock.now();
    };
    this.#unsubscribe = [opts.events.on('power', restart), opts.events.on('host-reset', restart)];
    const stored = opts.persist.load('media') as Stored | undefined;
    for (const def of SLOTS) {
      const s = stored?.v === 1 ? stored.slots[def.id] : undefined;
      this.#slots.set(def.id, {
        def,
        image: s?.image ?? null,
        imageName: s?.imageName ?? null,
        wantInserted: s?.wantInserted ?? false,
        writeProtected: s?.writeProtected ?? true,
        verifyCertificate: s?.verifyCertificate ?? true,
        transferProtocol: s?.transferProtocol ?? null,
        transferMethod: s?.transferMethod ?? 'Upload',
        state: s?.state ?? 'idle',
        failure: s?.failure ?? null,
        detail: s?.detail ?? null,
        bytes: s?.bytes ?? 0,
        total: s?.total ?? null,
        file: s?.file ?? null,
        abort: null,
        generation: 0,
        attached: false,
      });
    }
  }

  /**
   * Sets the cache directory and limits, then restores what was inserted
   * before a restart: a finished image whose cached file is still there is
   * connected again; a download cut short by the restart is marked failed.
   */
  configure(config: MediaConfig): void {
    this.#config = {
      cacheDir: config.cacheDir,
      maxBytes: config.maxBytes ?? DEFAULT_MAX_BYTES,
      timeoutMs: config.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    };
    mkdirSync(config.cacheDir, { recursive: true, mode: 0o700 });
    for (const slot of this.#slots.values()) {
      if (slot.state === 'downloading') {
        this.#fail(slot, 'interrupted', 'the BMC restarted during the download');
      } else if (slot.state === 'ready') {
        const path = slot.file ? join(config.cacheDir, slot.file) : undefined;
        if (!path || !existsSync(path) || statSync(path).size !== slot.bytes) {
          this.#fail(slot, 'cache-missing', 'the cached image is missing');
        } else if (slot.wantInserted) {
          this.#attach(slot);
        }
      }
    }
    // files no slot refers to (partial downloads, leftovers) go
    const keep = new Set([...this.#slots.values()].map((s) => s.file).filter((f): f is string => f !== null));
    for (const f of readdirSync(config.cacheDir)) {
      if (!keep.has(f)) rmSync(join(config.cacheDir, f), { force: true, recursive: true });
    }
  }

  get configured(): boolean {
    return this.#config !== undefined;
  }

  get maxBytes(): number {
    return this.#config?.maxBytes ?? DEFAULT_MAX_BYTES;
  }

  slots(): SlotState[] {
    return SLOTS.map((d) => this.#view(this.#slots.get(d.id)!));
  }

  slot(id: string): SlotState | undefined {
    const s = this.#slots.get(id as MediaSlotId);
    return s ? this.#view(s) : undefined;
  }

  /** The path of a slot's cached image, when it is downloaded. */
  cachedPath(id: MediaSlotId): string | undefined {
    const s = this.#slots.get(id);
    return s?.state === 'ready' && s.file && this.#config ? join(this.#config.cacheDir, s.file) : undefined;
  }

  #view(s: Slot): SlotState {
    return {
      def: s.def,
      image: s.image,
      imageName: s.imageName,
      inserted: s.state === 'ready' && s.wantInserted,
      wantInserted: s.wantInserted,
      writeProtected: s.writeProtected,
      verifyCertificate: s.verifyCertificate,
      transferProtocol: s.transferProtocol,
      transferMethod: s.transferMethod,
      download: { state: s.state, failure: s.failure, detail: s.detail, bytes: s.bytes, total: s.total },
    };
  }

  /**
   * Starts inserting an image: the download runs in the background; the
   * returned promise (for tests) settles when it ends. Refused while the
   * drive holds or is fetching an image.
   */
  insert(id: MediaSlotId, req: InsertRequest): { refusal: MediaRefusal } | { done: Promise<void> } {
    const slot = this.#slots.get(id);
    if (!slot) return { refusal: 'no-image' };
    if (!this.#config) return { refusal: 'unconfigured' };
    if (slot.state === 'downloading' || slot.state === 'ready') return { refusal: 'in-use' };
    this.#removeFile(slot);
    slot.generation++;
    slot.image = publicUrl(req.url);
    slot.imageName = imageNameOf(req.url);
    slot.wantInserted = req.inserted ?? true;
    if (req.writeProtected !== undefined) slot.writeProtected = req.writeProtected;
    if (req.verifyCertificate !== undefined) slot.verifyCertificate = req.verifyCertificate;
    if (req.transferMethod !== undefined) slot.transferMethod = req.transferMethod;
    slot.transferProtocol = req.url.protocol === 'https:' ? 'HTTPS' : 'HTTP';
    slot.state = 'downloading';
    slot.failure = null;
    slot.detail = null;
    slot.bytes = 0;
    slot.total = null;
    slot.file = null;
    this.#changed(slot);
    return { done: this.#download(slot, req, slot.generation) };
  }

  /**
   * Takes an uploaded image: the drive shows it as being transferred while
   * the bytes arrive (BytesTransferred counts them) into a .part file in the
   * cache; once exactly `size` bytes are in, the file is connected as an
   * inserted image, as a finished download would be. Refused when the drive
   * holds or is fetching an image, or when `size` is beyond the cap. On any
   * failure (too many bytes, the sender gone, a disk error, an eject
   * meanwhile) the partial file is deleted and the drive is left empty.
   */
  upload(id: MediaSlotId, req: UploadRequest): { refusal: MediaRefusal } | { done: Promise<{ failure: MediaFailure; detail: string } | undefined> } {
    const slot = this.#slots.get(id);
    if (!slot) return { refusal: 'no-image' };
    if (!this.#config) return { refusal: 'unconfigured' };
    if (slot.state === 'downloading' || slot.state === 'ready') return { refusal: 'in-use' };
    if (req.size > this.#config.maxBytes) return { refusal: 'too-large' };
    this.#removeFile(slot);
    const generation = ++slot.generation;
    slot.image = uploadedImage(req.name);
    slot.imageName = req.name;
    slot.wantInserted = true;
    if (req.writeProtected !== undefined) slot.writeProtected = req.writeProtected;
    slot.transferProtocol = null;
    slot.transferMethod = 'Upload';
    slot.state = 'downloading';
    slot.failure = null;
    slot.detail = null;
    slot.bytes = 0;
    slot.total = req.size;
    slot.file = null;
    this.#changed(slot);
    return { done: this.#receive(slot, req, generation) };
  }

  /** Disconnects and forgets the image (stopping its download) and deletes the cached file. */
  eject(id: MediaSlotId): void {
    const slot = this.#slots.get(id);
    if (!slot) return;
    slot.generation++;
    slot.abort?.abort();
    slot.abort = null;
    this.#detach(slot);
    this.#removeFile(slot);
    slot.image = null;
    slot.imageName = null;
    slot.wantInserted = false;
    slot.transferProtocol = null;
    slot.state = 'idle';
    slot.failure = null;
    slot.detail = null;
    slot.bytes = 0;
    slot.total = null;
    this.#changed(slot);
  }

  /** Changes settings of a drive; `inserted` shows or hides a downloaded image to the host. */
  set(id: MediaSlotId, change: { inserted?: boolean; writeProtected?: boolean; verifyCertificate?: boolean; transferMethod?: TransferMethod }): MediaRefusal | undefined {
    const slot = this.#slots.get(id);
    if (!slot) return 'no-image';
    if (change.inserted === true && slot.image === null) return 'no-image';
    if (change.writeProtected !== undefined) slot.writeProtected = change.writeProtected;
    if (change.verifyCertificate !== undefined) slot.verifyCertificate = change.verifyCertificate;
    if (change.transferMethod !== undefined) slot.transferMethod = change.transferMethod;
    if (change.inserted !== undefined && slot.image !== null) {
      slot.wantInserted = change.inserted;
      if (slot.state === 'ready') {
        if (change.inserted) this.#attach(slot);
        else this.#detach(slot);
      }
    }
    this.#changed(slot);
    return undefined;
  }

  /**
   * The host's firmware took a boot device: records what it boots (the CD
   * image for a CD/DVD boot when one is inserted), as the sim firmware does.
   */
  noteBoot(device: BootDevice): void {
    const cd = this.#slots.get('CD')!;
    const image = CONNECTABLE.has(device) && cd.attached ? cd.imageName : null;
    this.#lastBoot = { device, image, at: this.#clock.now() };
  }

  /** The boot device taken since the host last powered on or reset (none before the firmware takes one). */
  get lastBoot(): LastBoot | undefined {
    return this.#lastBoot && this.#lastBoot.at >= this.#bootStartedAt ? this.#lastBoot : undefined;
  }

  /** Stops downloads in flight (BMC shutdown); what is inserted stays for the next start. */
  close(): void {
    for (const u of this.#unsubscribe) u();
    for (const s of this.#slots.values()) s.abort?.abort();
  }

  // ---- internals -------------------------------------------------------------

  async #download(slot: Slot, req: InsertRequest, generation: number): Promise<void> {
    const config = this.#config!;
    const abort = new AbortController();
    slot.abort = abort;
    const file = `${slot.def.id.toLowerCase()}-${randomBytes(6).toString('hex')}.img`;
    const part = join(config.cacheDir, `${file}.part`);
    const result = await fetchToFile({
      url: req.url,
      path: part,
      maxBytes: config.maxBytes,
      timeoutMs: config.timeoutMs,
      verify: slot.verifyCertificate,
      ...(req.userName !== undefined ? { userName: req.userName } : {}),
      ...(req.password !== undefined ? { password: req.password } : {}),
      signal: abort.signal,
      onProgress: (bytes, total) => {
        if (slot.generation !== generation) return;
        slot.bytes = bytes;
        slot.total = total;
      },
    });
    if (slot.generation !== generation) {
      rmSync(part, { force: true });
      return;
    }
    slot.abort = null;
    if (!result.ok) {
      rmSync(part, { force: true });
      this.#fail(slot, result.failure, result.detail);
      return;
    }
    try {
      renameSync(part, join(config.cacheDir, file));
    } catch (err) {
      rmSync(part, { force: true });
      this.#fail(slot, 'io-error', (err as NodeJS.ErrnoException).code ?? 'rename failed');
      return;
    }
    slot.file = file;
    slot.bytes = result.bytes;
    slot.state = 'ready';
    if (slot.wantInserted) this.#attach(slot);
    this.#changed(slot);
  }

  async #receive(slot: Slot, req: UploadRequest, generation: number): Promise<{ failure: MediaFailure; detail: string } | undefined> {
    const config = this.#config!;
    const abort = new AbortController();
    slot.abort = abort;
    const file = `${slot.def.id.toLowerCase()}-${randomBytes(6).toString('hex')}.img`;
    const part = join(config.cacheDir, `${file}.part`);
    let bytes = 0;
    let failure: { failure: MediaFailure; detail: string } | undefined;
    const counter = new Transform({
      transform: (chunk: Buffer, _enc, done) => {
        bytes += chunk.length;
        if (bytes > req.size || bytes > config.maxBytes) {
          failure = { failure: 'too-large', detail: `more than the ${req.size} bytes announced` };
          done(new Error('too large'));
          return;
        }
        if (slot.generation === generation) slot.bytes = bytes;
        done(null, chunk);
      },
    });
    // the source is piped, not part of the pipeline: a refusal must not destroy
    // it (and with it an HTTP request's socket) before the answer is sent
    const source = req.body;
    const cleanup = finished(source, (err) => {
      if (err) counter.destroy(err);
    });
    source.pipe(counter);
    const out = createWriteStream(part, { flags: 'wx', mode: 0o600 });
    try {
      await pipeline(counter, out, { signal: abort.signal });
      if (bytes !== req.size) failure = { failure: 'interrupted', detail: `${bytes} of the ${req.size} bytes announced arrived` };
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      failure ??=
        slot.generation !== generation || code === 'ABORT_ERR'
          ? { failure: 'interrupted', detail: 'the drive was ejected during the upload' }
          : code === 'ENOSPC'
            ? { failure: 'too-large', detail: 'no space left for the image' }
            : code === 'ECONNRESET' || code === 'ERR_STREAM_PREMATURE_CLOSE'
              ? { failure: 'interrupted', detail: 'the upload was cut short' }
              : { failure: 'io-error', detail: code ?? 'upload failed' };
    }
    cleanup();
    source.unpipe(counter);
    // the file is opened asynchronously: wait until it is closed, so that a
    // failed upload's .part file cannot appear after it has been removed
    if (!out.closed) {
      out.destroy();
      await new Promise<void>((resolve) => out.once('close', () => resolve()));
    }
    if (slot.generation === generation) slot.abort = null;
    if (!failure && slot.generation !== generation) failure = { failure: 'interrupted', detail: 'the drive was ejected during the upload' };
    if (!failure) {
      try {
        renameSync(part, join(config.cacheDir, file));
      } catch (err) {
        failure = { failure: 'io-error', detail: (err as NodeJS.ErrnoException).code ?? 'rename failed' };
      }
    }
    if (failure) {
      rmSync(part, { force: true });
      // an upload that did not complete leaves the drive empty (unless something else took it meanwhile)
      if (slot.generation === generation) this.eject(slot.def.id);
      return failure;
    }
    slot.file = file;
    slot.bytes = bytes;
    slot.state = 'ready';
    this.#attach(slot);
    this.#changed(slot);
    return undefined;
  }

  #fail(slot: Slot, failure: MediaFailure, detail: string): void {
    this.#detach(slot);
    this.#removeFile(slot);
    slot.state = 'failed';
    slot.failure = failure;
    slot.detail = detail;
    this.#changed(slot);
  }

  #attach(slot: Slot): void {
    const path = slot.file && this.#config ? join(this.#config.cacheDir, slot.file) : undefined;
    if (!path || slot.imageName === null) return;
    this.#link.attachMedia?.(slot.def.kind, { path, name: slot.imageName });
    slot.attached = true;
  }

  #detach(slot: Slot): void {
    if (!slot.attached) return;
    this.#link.attachMedia?.(slot.def.kind, null);
    slot.attached = false;
  }

  #removeFile(slot: Slot): void {
    if (slot.file && this.#config) rmSync(join(this.#config.cacheDir, slot.file), { force: true });
    slot.file = null;
  }

  #changed(slot: Slot): void {
    const slots: Stored['slots'] = {};
    for (const s of this.#slots.values()) {
      slots[s.def.id] = {
        image: s.image,
        imageName: s.imageName,
        wantInserted: s.wantInserted,
        writeProtected: s.writeProtected,
        verifyCertificate: s.verifyCertificate,
        transferProtocol: s.transferProtocol,
        transferMethod: s.transferMethod,
        state: s.state,
        failure: s.failure,
        detail: s.detail,
        bytes: s.bytes,
        total: s.total,
        file: s.file,
      };
    }
    this.#persist.save('media', { v: 1, slots } satisfies Stored);
    this.#events.emit({ type: 'media', host: this.#host, slot: slot.def.id });
  }
}

export type FetchResult = { ok: true; bytes: number } | { ok: false; failure: MediaFailure; detail: string };

/**
 * GETs a URL into a file with node's http/https client: bounded in size
 * (Content-Length checked first, then the bytes counted) and time (one
 * deadline for the whole transfer). No redirects are followed.
 */
export function fetchToFile(opts: {
  url: URL;
  path: string;
  maxBytes: number;
  timeoutMs: number;
  verify: boolean;
  userName?: string;
  password?: string;
  signal: AbortSignal;
  onProgress: (bytes: number, total: number | null) => void;
}): Promise<FetchResult> {
  return new Promise<FetchResult>((resolve) => {
    let settled = false;
    let out: WriteStream | undefined;
    const finish = (r: FetchResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      opts.signal.removeEventListener('abort', onAbort);
      // the file is complete (or may be deleted) only once it is closed
      if (out && !out.closed) {
        out.once('close', () => resolve(r));
        if (!r.ok) out.destroy();
      } else resolve(r);
    };
    const url = opts.url;
    const credentials =
      opts.userName !== undefined
        ? `${opts.userName}:${opts.password ?? ''}`
        : url.username
          ? `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`
          : undefined;
    const target = new URL(url.href);
    target.username = '';
    target.password = '';
    const request = target.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = request(target, {
      method: 'GET',
      ...(target.protocol === 'https:' ? { rejectUnauthorized: opts.verify } : {}),
      ...(credentials !== undefined ? { auth: credentials } : {}),
    });
    const deadline = setTimeout(() => {
      finish({ ok: false, failure: 'timeout', detail: `no complete image within ${Math.round(opts.timeoutMs / 1000)} s` });
      req.destroy();
    }, opts.timeoutMs);
    const onAbort = (): void => {
      finish({ ok: false, failure: 'interrupted', detail: 'download cancelled' });
      req.destroy();
    };
    opts.signal.addEventListener('abort', onAbort);
    req.on('error', (err: NodeJS.ErrnoException) => {
      const code = err.code ?? '';
      const cert = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS/.test(code);
      finish({ ok: false, failure: cert ? 'certificate' : 'connect-failed', detail: code || 'connection failed' });
    });
    req.on('response', (res: IncomingMessage) => {
      const status = res.statusCode ?? 0;
      if (status !== 200) {
        res.resume();
        const failure: MediaFailure = status === 404 || status === 410 ? 'not-found' : status === 401 || status === 403 ? 'unauthorized' : 'http-error';
        finish({ ok: false, failure, detail: `HTTP ${status}` });
        return;
      }
      const length = res.headers['content-length'];
      const total = length !== undefined && /^\d+$/.test(length) ? Number(length) : null;
      if (total !== null && total > opts.maxBytes) {
        finish({ ok: false, failure: 'too-large', detail: `image of ${total} bytes exceeds the limit of ${opts.maxBytes}` });
        res.destroy();
        return;
      }
      const file = createWriteStream(opts.path, { mode: 0o600 });
      out = file;
      let bytes = 0;
      opts.onProgress(0, total);
      file.on('error', (err: NodeJS.ErrnoException) => {
        res.destroy();
        finish({ ok: false, failure: 'io-error', detail: err.code ?? 'write failed' });
      });
      res.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        if (bytes > opts.maxBytes) {
          // settle first: destroying the response emits 'aborted' at once
          finish({ ok: false, failure: 'too-large', detail: `image exceeds the limit of ${opts.maxBytes} bytes` });
          res.destroy();
          return;
        }
        opts.onProgress(bytes, total);
      });
      res.on('error', () => {
        finish({ ok: false, failure: 'connect-failed', detail: 'connection lost' });
      });
      res.on('aborted', () => {
        finish({ ok: false, failure: 'connect-failed', detail: 'connection lost' });
      });
      res.pipe(file);
      file.on('finish', () => {
        if (total !== null && bytes !== total) {
          finish({ ok: false, failure: 'connect-failed', detail: `connection lost after ${bytes} of ${total} bytes` });
          return;
        }
        finish({ ok: true, bytes });
      });
    });
    req.end();
  });
}
