// SimConsole on its own: the line discipline (echo, erase, ^C, ^U, ^D,
// CR/LF, escape sequences, length cap), input split anywhere, login, the
// word splitter, uptime/date formatting and SysRq after a break.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConsoleBuffer } from '../../model/console.js';
import { SimConsole, formatDate, formatUptime, splitWords, type ShellEnv } from './console.js';

const PROMPT = 'root@box:~# ';

function make(): { con: SimConsole; buf: ConsoleBuffer; calls: string[] } {
  const buf = new ConsoleBuffer({ capacity: 1 << 16 });
  const calls: string[] = [];
  const env: ShellEnv = {
    hostname: 'box',
    osName: 'TestOS',
    kernelRelease: '6.1.0-test',
    cpus: 4,
    memoryMiB: 1024,
    now: () => Date.UTC(2026, 1, 3, 4, 5, 6),
    uptimeMs: () => 90_000,
    loadAverage: () => [0.5, 0.25, 0.125],
    dmesg: () => ['[    0.000000] first', '[    0.100000] second'],
    poweroff: () => calls.push('poweroff'),
    reboot: () => calls.push('reboot'),
    sysrq: (key) => {
      calls.push(`sysrq:${key}`);
      return true;
    },
  };
  return { con: new SimConsole({ buffer: buf, env, password: 'pw' }), buf, calls };
}

const typed = (con: SimConsole, buf: ConsoleBuffer, s: string): string => {
  const from = buf.end;
  con.write(Buffer.from(s, 'utf8'));
  return Buffer.from(buf.since(from).data).toString('utf8');
};

function loggedIn(): { con: SimConsole; buf: ConsoleBuffer; calls: string[] } {
  const m = make();
  m.con.openLogin();
  typed(m.con, m.buf, 'root\rpw\r');
  assert.equal(m.con.mode, 'shell');
  return m;
}

test('input is dropped while the port is closed', () => {
  const { con, buf } = make();
  assert.equal(con.mode, 'closed');
  assert.equal(typed(con, buf, 'hello\r'), '');
});

test('DEL and ^H erase with "\\b \\b"; a UTF-8 character erases as one', () => {
  const { con, buf } = loggedIn();
  const out = typed(con, buf, 'echo héx\x7f\x7f\x08e\r');
  assert.equal(out, 'echo héx\b \b\b \b\b \be\r\ne\r\n' + PROMPT);
  assert.equal(typed(con, buf, '\x7f'), '', 'nothing to erase, nothing echoed');
});

test('CR LF is one line end; LF alone ends a line; blank lines just prompt', () => {
  const { con, buf } = loggedIn();
  assert.equal(typed(con, buf, 'echo a\r\n'), `echo a\r\na\r\n${PROMPT}`);
  assert.equal(typed(con, buf, 'echo b\n'), `echo b\r\nb\r\n${PROMPT}`);
  assert.equal(typed(con, buf, '\r'), `\r\n${PROMPT}`);
});

test('^C discards the line, ^U erases it, escape sequences are swallowed', () => {
  const { con, buf } = loggedIn();
  assert.equal(typed(con, buf, 'echo no\x03'), `echo no^C\r\n${PROMPT}`);
  assert.equal(typed(con, buf, 'ab\x15'), 'ab\b \b\b \b');
  assert.equal(typed(con, buf, '\x1b[A\x1bOB\x1b[1;5Cecho x\r'), `echo x\r\nx\r\n${PROMPT}`);
});

test('^D on an empty line logs out; ^D on a non-empty line does nothing', () => {
  const { con, buf } = loggedIn();
  assert.equal(typed(con, buf, 'x\x04'), 'x');
  typed(con, buf, '\x15');
  const out = typed(con, buf, '\x04');
  assert.match(out, /logout/);
  assert.ok(out.endsWith('box login: '));
  assert.equal(con.mode, 'login-user');
});

test('an overlong line rings the bell instead of growing', () => {
  const { con, buf } = loggedIn();
  const out = typed(con, buf, 'a'.repeat(1030));
  assert.equal(out, 'a'.repeat(1024) + '\x07'.repeat(6));
});

test('input split at every offset gives the same output as one write', () => {
  const script = 'root\r\npw\r\necho "one two"\r\nuname -s\x7f\x7fr\rexit\r';
  const whole = make();
  whole.con.openLogin();
  const expected = typed(whole.con, whole.buf, script);
  const bytes = Buffer.from(script);
  for (let cut = 0; cut <= bytes.length; cut++) {
    const m = make();
    m.con.openLogin();
    const from = m.buf.end;
    m.con.write(bytes.subarray(0, cut));
    m.con.write(bytes.subarray(cut));
    assert.equal(Buffer.from(m.buf.since(from).data).toString(), expected, `cut at ${cut}`);
  }
  const single = make();
  single.con.openLogin();
  const from = single.buf.end;
  for (const b of bytes) single.con.write(Uint8Array.of(b));
  assert.equal(Buffer.from(single.buf.since(from).data).toString(), expected, 'one byte at a time');
});

test('login: blank user re-prompts, wrong user or password refused, ^C at Password goes back', () => {
  const { con, buf } = make();
  con.openLogin();
  assert.equal(typed(con, buf, '\r'), '\r\nbox login: ');
  assert.match(typed(con, buf, 'root\rnope\r'), /Login incorrect/);
  assert.equal(typed(con, buf, 'root\r\x03'), 'root\r\nPassword: ^C\r\nbox login: ');
  assert.match(typed(con, buf, 'toor\rpw\r'), /Login incorrect/);
  assert.ok(typed(con, buf, 'root\rpw\r').endsWith(PROMPT));
});

test('shell: poweroff, shutdown and reboot reach the host', () => {
  const { con, buf, calls } = loggedIn();
  typed(con, buf, 'poweroff\r');
  typed(con, buf, 'shutdown -h now\r');
  typed(con, buf, 'shutdown -r now\r');
  typed(con, buf, 'reboot\r');
  assert.deepEqual(calls, ['poweroff', 'poweroff', 'reboot', 'reboot']);
});

test('shell: cat, dmesg, uptime, date, whoami, uname errors', () => {
  const { con, buf } = loggedIn();
  const run = (cmd: string): string => {
    const out = typed(con, buf, `${cmd}\r`);
    return out.slice(cmd.length + 2, out.length - PROMPT.length);
  };
  assert.equal(run('cat /etc/hostname /nope'), 'box\r\ncat: /nope: No such file or directory\r\n');
  assert.equal(run('dmesg'), '[    0.000000] first\r\n[    0.100000] second\r\n');
  assert.equal(run('uptime'), ' 04:05:06 up 1 min,  1 user,  load average: 0.50, 0.25, 0.13\r\n');
  assert.equal(run('date'), 'Tue Feb  3 04:05:06 UTC 2026\r\n');
  assert.equal(run('whoami'), 'root\r\n');
  assert.equal(run('uname -z'), "uname: invalid option -- 'z'\r\n");
  assert.equal(run('uname -nr'), 'box 6.1.0-test\r\n');
  assert.equal(run('echo "open'), 'sh: syntax error: unterminated quoted string\r\n');
  assert.equal(run('constructor'), 'sh: constructor: command not found\r\n');
});

test('a serial break makes the next key a SysRq command', () => {
  const { con, buf, calls } = loggedIn();
  con.sendBreak();
  assert.equal(typed(con, buf, 'b'), '');
  assert.deepEqual(calls, ['sysrq:b']);
  assert.equal(typed(con, buf, 'b'), 'b', 'only the key right after the break');
});

test('splitWords', () => {
  assert.deepEqual(splitWords('  a  b\tc '), ['a', 'b', 'c']);
  assert.deepEqual(splitWords(`'x y' "p \\"q\\"" r\\ s ''`), ['x y', 'p "q"', 'r s', '']);
  assert.deepEqual(splitWords(''), []);
  assert.deepEqual(splitWords("'unterminated"), { error: 'syntax error: unterminated quoted string' });
});

test('formatUptime and formatDate word things as procps and date do', () => {
  const load = [1, 2, 3] as const;
  const t = Date.UTC(2026, 0, 1, 13, 2, 3);
  assert.equal(formatUptime(t, 59_000, load), ' 13:02:03 up 0 min,  1 user,  load average: 1.00, 2.00, 3.00');
  assert.equal(formatUptime(t, 3 * 3_600_000 + 7 * 60_000, load), ' 13:02:03 up  3:07,  1 user,  load average: 1.00, 2.00, 3.00');
  assert.equal(formatUptime(t, 86_400_000 + 60_000, load), ' 13:02:03 up 1 day, 1 min,  1 user,  load average: 1.00, 2.00, 3.00');
  assert.equal(formatUptime(t, 2 * 86_400_000 + 11 * 3_600_000, load), ' 13:02:03 up 2 days, 11:00,  1 user,  load average: 1.00, 2.00, 3.00');
  assert.equal(formatDate(Date.UTC(2026, 0, 1)), 'Thu Jan  1 00:00:00 UTC 2026');
  assert.equal(formatDate(Date.UTC(2025, 11, 31, 23, 59, 59)), 'Wed Dec 31 23:59:59 UTC 2025');
});
