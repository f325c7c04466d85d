// Process-level crash test of the store: a child process saves an increasing
// counter and a growing list, printing each value after save() returns; the
// parent SIGKILLs it at random moments, then reopens the store and checks that
// every acknowledged value survived and no document is corrupt. (SIGKILL tests
// the atomic-rename path; power loss additionally relies on the fsyncs.)
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { createLogger } from '../src/log.js';
import { FileStore } from '../src/store/index.js';

const storeUrl = new URL('../src/store/index.js', import.meta.url).href;
const logUrl = new URL('../src/log.js', import.meta.url).href;

// The child resumes from what is stored, so every round also tests reopening after a kill.
const childScript = `
import { FileStore } from ${JSON.stringify(storeUrl)};
import { silentLogger } from ${JSON.stringify(logUrl)};
const store = FileStore.open(process.argv[1], silentLogger);
let n = store.load('bmc0/counter')?.n ?? 0;
const list = store.load('bmc0/host/0/sel')?.items ?? [];
for (;;) {
  n++;
  store.save('bmc0/counter', { n });
  list.push({ n, pad: 'x'.repeat(40) });
  if (list.length > 1500) list.splice(0, list.length - 1500);
  store.save('bmc0/host/0/sel', { n, items: list });
  process.stdout.write(n + '\\n');
}
`;

const root = mkdtempSync(join(tmpdir(), 'tsbmc-crash-'));
after(() => rmSync(root, { recursive: true, force: true }));

interface Round {
  lastAcked: number;
}

function runAndKill(dir: string, killAfterMs: number): Promise<Round> {
  return new Promise((resolveRound, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', childScript, dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let timer: NodeJS.Timeout | undefined;
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      // Start the kill clock at the first acknowledgement, so each round does real work.
      timer ??= setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
    const guard = setTimeout(() => child.kill('SIGKILL'), 3000);
    child.on('error', reject);
    child.on('close', (_code, signal) => {
      clearTimeout(guard);
      if (timer) clearTimeout(timer);
      if (signal !== 'SIGKILL' || err !== '') {
        reject(new Error(`child ended with signal ${String(signal)}: ${err}`));
        return;
      }
      // Only complete lines were acknowledged.
      const lines = out.slice(0, out.lastIndexOf('\n') + 1).split('\n').filter((l) => l !== '');
      const last = lines.at(-1);
      resolveRound({ lastAcked: last === undefined ? 0 : Number(last) });
    });
  });
}

test('SIGKILL at random moments never loses an acknowledged save or corrupts a document', async (t) => {
  const dir = join(root, 'state');
  const started = Date.now();
  let floor = 0;
  for (let round = 0; round < 10 && Date.now() - started < 7000; round++) {
    const { lastAcked } = await runAndKill(dir, 5 + Math.floor(Math.random() * 250));
    const lines: string[] = [];
    const store = FileStore.open(dir, createLogger({ level: 'warn', sink: (l) => lines.push(l) }));
    const counter = store.load('bmc0/counter') as { n: number } | undefined;
    const sel = store.load('bmc0/host/0/sel') as { n: number; items: { n: number }[] } | undefined;
    assert.ok(counter && sel, `round ${round}: documents present`);
    assert.ok(counter.n >= lastAcked, `round ${round}: counter ${counter.n} < acknowledged ${lastAcked}`);
    assert.ok(sel.n >= lastAcked, `round ${round}: list ${sel.n} < acknowledged ${lastAcked}`);
    assert.ok(counter.n >= floor, `round ${round}: went backwards`);
    assert.equal(sel.items.at(-1)?.n, sel.n, `round ${round}: list consistent`);
    assert.ok(counter.n - sel.n === 0 || counter.n - sel.n === 1, `round ${round}: counter ${counter.n}, list ${sel.n}`);
    assert.deepEqual(lines, [], `round ${round}: no corruption logged`);
    assert.deepEqual(readdirSync(dir).filter((f) => f.includes('.corrupt-') || f.includes('.tmp-')), []);
    floor = counter.n;
    t.diagnostic(`round ${round}: acknowledged ${lastAcked}, stored counter ${counter.n}, list ${sel.n}`);
  }
  assert.ok(floor > 0, 'the child made progress');
});
