// Builds the shared qemu-guest harness's kernel and initramfs once, even when
// several test files ask for them at the same time (the build writes fixed
// temporary names in the cache): the first caller builds under a lock
// directory, the others wait for it.
import { mkdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { run, type RunResult } from './bmc-process.js';

export async function buildGuestImages(tools: string, cache: string, timeoutMs = 240_000): Promise<RunResult> {
  mkdirSync(cache, { recursive: true });
  const lock = join(cache, '.build-lock');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      // a lock older than the timeout was left by a killed build
      try {
        if (Date.now() - statSync(lock).mtimeMs > timeoutMs) rmSync(lock, { recursive: true, force: true });
      } catch {
        // gone meanwhile
      }
      if (Date.now() > deadline) return { code: -1, stdout: '', stderr: `timed out waiting for ${lock}` };
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  try {
    return await run(join(tools, 'build-guest.sh'), [cache], timeoutMs);
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}
