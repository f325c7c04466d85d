// The persistent console log of one host: every byte the host writes to its
// serial console, appended to `<dir>/<name>.log` and rotated by size
// (`.log` → `.log.1` → ... → `.log.<keep>`, the oldest dropped). Writing is
// asynchronous and never blocks the appender: chunks queue in memory (bounded;
// past the bound the oldest queued bytes are dropped and a marker says how
// many) and one write loop drains them. Reads the shared ConsoleBuffer.
import { mkdir, open, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../log.js';
import type { ConsoleBuffer } from './console.js';

export interface ConsoleLogOptions {
  readonly console: ConsoleBuffer;
  /** Directory of the log files (created when missing). */
  readonly dir: string;
  /** File name without `.log`, e.g. `host0`. */
  readonly name: string;
  /** Rotate when the file would grow past this many bytes; default 1 MiB. */
  readonly maxBytes?: number;
  /** Rotated files kept besides the current one; default 3. */
  readonly keep?: number;
  /** Most bytes queued for writing; default 1 MiB. */
  readonly maxQueued?: number;
  readonly log?: Logger;
}

export const CONSOLE_LOG_MAX_BYTES = 1024 * 1024;
export const CONSOLE_LOG_KEEP = 3;

export class ConsoleLog {
  readonly path: string;
  readonly #opts: ConsoleLogOptions;
  readonly #maxBytes: number;
  readonly #keep: number;
  readonly #maxQueued: number;
  #queue: Uint8Array[] = [];
  #queued = 0;
  #dropped = 0;
  #size = -1;
  #file: FileHandle | undefined;
  #running: Promise<void> | undefined;
  #closed = false;
  #failed = false;
  readonly #unsubscribe: () => void;

  constructor(opts: ConsoleLogOptions) {
    this.#opts = opts;
    this.#maxBytes = Math.max(1, opts.maxBytes ?? CONSOLE_LOG_MAX_BYTES);
    this.#keep = Math.max(0, opts.keep ?? CONSOLE_LOG_KEEP);
    this.#maxQueued = Math.max(1, opts.maxQueued ?? CONSOLE_LOG_MAX_BYTES);
    this.path = join(opts.dir, `${opts.name}.log`);
    this.#unsubscribe = opts.console.subscribe((data) => this.#append(data));
  }

  /** Resolves once everything queued so far is on disk. */
  async flush(): Promise<void> {
    while (this.#running) await this.#running;
  }

  /** Stops listening, writes what is queued and closes the file. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#unsubscribe();
    await this.flush();
    await this.#file?.close().catch(() => undefined);
    this.#file = undefined;
  }

  #append(data: Uint8Array): void {
    if (this.#failed) return;
    this.#queue.push(data);
    this.#queued += data.length;
    while (this.#queued > this.#maxQueued && this.#queue.length > 1) {
      const old = this.#queue.shift()!;
      this.#queued -= old.length;
      this.#dropped += old.length;
    }
    this.#kick();
  }

  #kick(): void {
    if (this.#running) return;
    this.#running = this.#drain().finally(() => {
      this.#running = undefined;
      if (this.#queue.length > 0 && !this.#failed) this.#kick();
    });
  }

  async #drain(): Promise<void> {
    try {
      while (this.#queue.length > 0) {
        let chunks = this.#queue;
        this.#queue = [];
        this.#queued = 0;
        if (this.#dropped > 0) {
          chunks = [new TextEncoder().encode(`\n[console log: ${this.#dropped} bytes dropped]\n`), ...chunks];
          this.#dropped = 0;
        }
        await this.#write(Buffer.concat(chunks));
      }
    } catch (err) {
      // A log that cannot be written must not take the BMC down: say so once and stop.
      this.#failed = true;
      this.#queue = [];
      this.#queued = 0;
      this.#opts.log?.warn('console log write failed; console logging stopped', { path: this.path, err: (err as Error).message });
    }
  }

  async #write(buf: Buffer): Promise<void> {
    let at = 0;
    while (at < buf.length) {
      const file = await this.#openFile();
      const room = this.#maxBytes - this.#size;
      if (room <= 0) {
        await this.#rotate();
        continue;
      }
      const part = buf.subarray(at, at + room);
      await file.write(part);
      this.#size += part.length;
      at += part.length;
    }
  }

  async #openFile(): Promise<FileHandle> {
    if (this.#file) return this.#file;
    await mkdir(this.#opts.dir, { recursive: true, mode: 0o700 });
    this.#file = await open(this.path, 'a', 0o600);
    this.#size = (await stat(this.path)).size;
    return this.#file;
  }

  async #rotate(): Promise<void> {
    await this.#file?.close();
    this.#file = undefined;
    if (this.#keep === 0) {
      await rm(this.path, { force: true });
      return;
    }
    await rm(`${this.path}.${this.#keep}`, { force: true });
    for (let i = this.#keep - 1; i >= 1; i--) {
      await rename(`${this.path}.${i}`, `${this.path}.${i + 1}`).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw err;
      });
    }
    await rename(this.path, `${this.path}.1`);
  }
}
