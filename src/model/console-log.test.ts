// Console log: appends the host's output asynchronously, rotates by size
// keeping N files, and drops (with a marker) what exceeds its queue bound.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ConsoleBuffer } from './console.js';
import { ConsoleLog } from './console-log.js';

test('appends output and never blocks the appender', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tsbmc-conlog-'));
  try {
    const buf = new ConsoleBuffer();
    const log = new ConsoleLog({ console: buf, dir: join(dir, 'console'), name: 'host0' });
    buf.append('login: ');
    buf.append('root\r\n');
    // nothing written synchronously
    assert.equal(existsSync(log.path), false);
    await log.flush();
    assert.equal(readFileSync(log.path, 'utf8'), 'login: root\r\n');
    await log.close();
    buf.append('after close');
    assert.equal(readFileSync(log.path, 'utf8'), 'login: root\r\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('rotates at maxBytes keeping `keep` files', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tsbmc-conlog-'));
  try {
    const buf = new ConsoleBuffer();
    const log = new ConsoleLog({ console: buf, dir, name: 'host0', maxBytes: 10, keep: 2 });
    for (const s of ['aaaaaaaaaa', 'bbbbbbbbbb', 'cccccccccc', 'ddddd']) {
      buf.append(s);
      await log.flush();
    }
    assert.equal(readFileSync(join(dir, 'host0.log'), 'utf8'), 'ddddd');
    assert.equal(readFileSync(join(dir, 'host0.log.1'), 'utf8'), 'cccccccccc');
    assert.equal(readFileSync(join(dir, 'host0.log.2'), 'utf8'), 'bbbbbbbbbb');
    assert.equal(existsSync(join(dir, 'host0.log.3')), false);
    // one chunk larger than the limit is split across files
    buf.append('0123456789012');
    await log.close();
    assert.equal(readFileSync(join(dir, 'host0.log'), 'utf8'), '56789012');
    assert.equal(readFileSync(join(dir, 'host0.log.1'), 'utf8'), 'ddddd01234');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a queue past its bound drops the oldest bytes and says so', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tsbmc-conlog-'));
  try {
    const buf = new ConsoleBuffer();
    const log = new ConsoleLog({ console: buf, dir, name: 'host0', maxQueued: 8 });
    // the first chunk starts the write; the following ones queue meanwhile
    buf.append('1111');
    for (const s of ['2222', '3333', '4444', '5555']) buf.append(s);
    await log.close();
    const text = readFileSync(log.path, 'utf8');
    assert.match(text, /^1111\n\[console log: 8 bytes dropped\]\n44445555$/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
