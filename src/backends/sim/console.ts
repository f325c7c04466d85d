// The simulated host's serial console (ttyS0) as a terminal: a line
// discipline (echo, DEL/^H erase, ^U, ^C, ^D, CR/LF/CRLF, escape sequences
// swallowed), a getty-style login and a small shell. Output goes through the
// shared ConsoleBuffer, so SOL, the web console and the console log all read
// the same history. The host drives it: print() for firmware and kernel
// output, openLogin() once the OS is up, close() when it goes away.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { HostConsole } from '../link.js';
import type { ConsoleBuffer } from '../../model/console.js';

/** What the shell may ask of the host it runs on. */
export interface ShellEnv {
  readonly hostname: string;
  readonly osName: string;
  readonly kernelRelease: string;
  readonly cpus: number;
  readonly memoryMiB: number;
  /** Wall-clock milliseconds since the epoch. */
  now(): number;
  /** Milliseconds since the kernel started. */
  uptimeMs(): number;
  loadAverage(): readonly [number, number, number];
  /** The kernel log lines so far, without line ends. */
  dmesg(): readonly string[];
  poweroff(): void;
  reboot(): void;
  /** A magic SysRq key after a serial break; true when the kernel took it. */
  sysrq(key: string): boolean;
}

export interface SimConsoleOptions {
  readonly buffer: ConsoleBuffer;
  readonly env: ShellEnv;
  /** The only account that may log in; default `root`. */
  readonly user?: string;
  /** Its password; default `tsbmc`. */
  readonly password?: string;
}

export type ConsoleMode = 'closed' | 'login-user' | 'login-password' | 'shell';

/** Longest input line kept; further bytes ring the bell, as a tty's buffer does. */
const MAX_LINE = 1024;

const Key = {
  ctrlC: 0x03,
  ctrlD: 0x04,
  bell: 0x07,
  backspace: 0x08,
  lf: 0x0a,
  cr: 0x0d,
  ctrlU: 0x15,
  esc: 0x1b,
  del: 0x7f,
} as const;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/** Splits a command line into words: blanks separate, quotes and backslashes group. */
export function splitWords(line: string): string[] | { error: string } {
  const words: string[] = [];
  let word: string | null = null;
  let quote: "'" | '"' | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote === "'") {
      if (c === "'") quote = null;
      else word += c;
    } else if (quote === '"') {
      if (c === '"') quote = null;
      else if (c === '\\' && i + 1 < line.length && '"\\$`'.includes(line[i + 1]!)) word += line[++i]!;
      else word += c;
    } else if (c === ' ' || c === '\t') {
      if (word !== null) words.push(word);
      word = null;
    } else if (c === "'" || c === '"') {
      quote = c;
      word ??= '';
    } else if (c === '\\' && i + 1 < line.length) {
      word = (word ?? '') + line[++i]!;
    } else {
      word = (word ?? '') + c;
    }
  }
  if (quote !== null) return { error: 'syntax error: unterminated quoted string' };
  if (word !== null) words.push(word);
  return words;
}

type Command = (args: readonly string[], sh: SimConsole, env: ShellEnv) => string | undefined;

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'] as const;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'] as const;
const two = (n: number): string => String(n).padStart(2, '0');

/** `date` output in UTC, e.g. "Thu Jan  1 00:00:00 UTC 2026". */
export function formatDate(ms: number): string {
  const d = new Date(ms);
  const time = `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}`;
  return `${DAYS[d.getUTCDay()]!} ${MONTHS[d.getUTCMonth()]!} ${String(d.getUTCDate()).padStart(2)} ${time} UTC ${d.getUTCFullYear()}`;
}

/** `uptime` output, as procps words it. */
export function formatUptime(nowMs: number, upMs: number, load: readonly [number, number, number]): string {
  const d = new Date(nowMs);
  const clock = `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}`;
  const totalMin = Math.floor(upMs / 60_000);
  const days = Math.floor(totalMin / 1440);
  const hours = Math.floor((totalMin % 1440) / 60);
  const mins = totalMin % 60;
  let up = days > 0 ? `${days} day${days === 1 ? '' : 's'}, ` : '';
  up += hours > 0 ? `${String(hours).padStart(2)}:${two(mins)}` : `${mins} min`;
  return ` ${clock} up ${up},  1 user,  load average: ${load.map((l) => l.toFixed(2)).join(', ')}`;
}

const UNAME_FLAGS: readonly { flag: string; value: (env: ShellEnv) => string }[] = [
  { flag: 's', value: () => 'Linux' },
  { flag: 'n', value: (env) => env.hostname },
  { flag: 'r', value: (env) => env.kernelRelease },
  { flag: 'v', value: () => '#1 SMP PREEMPT_DYNAMIC' },
  { flag: 'm', value: () => 'x86_64' },
  { flag: 'o', value: () => 'GNU/Linux' },
];

function uname(args: readonly string[], env: ShellEnv): string {
  const wanted = new Set<string>();
  for (const a of args) {
    if (!a.startsWith('-') || a === '-') return `uname: extra operand '${a}'`;
    for (const f of a.slice(1)) {
      if (f === 'a') UNAME_FLAGS.forEach((u) => wanted.add(u.flag));
      else if (UNAME_FLAGS.some((u) => u.flag === f)) wanted.add(f);
      else return `uname: invalid option -- '${f}'`;
    }
  }
  if (wanted.size === 0) wanted.add('s');
  return UNAME_FLAGS.filter((u) => wanted.has(u.flag))
    .map((u) => u.value(env))
    .join(' ');
}

/** The files `cat` knows. */
const FILES: ReadonlyMap<string, (env: ShellEnv) => string> = new Map([
  [
    '/proc/cpuinfo',
    (env: ShellEnv) =>
      Array.from({ length: Math.min(env.cpus, 2) }, (_, i) =>
        [
          `processor\t: ${i}`,
          'vendor_id\t: GenuineSim',
          'model name\t: Simulated x86-64 Processor @ 2.40GHz',
          'cpu MHz\t\t: 2400.000',
          `cpu cores\t: ${env.cpus}`,
          'flags\t\t: fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat sse sse2 ht syscall nx lm',
          '',
        ].join('\n'),
      ).join('\n') + (env.cpus > 2 ? `\n(${env.cpus - 2} more processors omitted)` : ''),
  ],
  ['/proc/uptime', (env: ShellEnv) => `${(env.uptimeMs() / 1000).toFixed(2)} ${((env.uptimeMs() / 1000) * env.cpus * 0.9).toFixed(2)}`],
  ['/proc/loadavg', (env: ShellEnv) => `${env.loadAverage().map((l) => l.toFixed(2)).join(' ')} 1/143 812`],
  ['/proc/meminfo', (env: ShellEnv) => `MemTotal:       ${env.memoryMiB * 1024} kB`],
  ['/etc/hostname', (env: ShellEnv) => env.hostname],
  ['/etc/os-release', (env: ShellEnv) => `NAME="${env.osName}"\nID=simlinux\nPRETTY_NAME="${env.osName}"`],
]);

/** The shell's commands: name → what it prints (undefined prints nothing). */
const COMMANDS: ReadonlyMap<string, { help: string; run: Command }> = new Map<string, { help: string; run: Command }>([
  ['help', { help: 'list commands', run: () => [...COMMANDS].map(([n, c]) => `  ${n.padEnd(10)} ${c.help}`).join('\n') }],
  [
    'echo',
    {
      help: 'print arguments',
      run: (a, sh) => {
        if (a[0] === '-n') {
          sh.print(a.slice(1).join(' '));
          return undefined;
        }
        return a.join(' ');
      },
    },
  ],
  ['uname', { help: 'system information (-a, -s, -n, -r, -v, -m, -o)', run: (a, _sh, env) => uname(a, env) }],
  ['hostname', { help: 'host name', run: (_a, _sh, env) => env.hostname }],
  ['whoami', { help: 'current user', run: (_a, sh) => sh.user }],
  ['uptime', { help: 'time since boot and load', run: (_a, _sh, env) => formatUptime(env.now(), env.uptimeMs(), env.loadAverage()) }],
  ['date', { help: 'current date and time', run: (_a, _sh, env) => formatDate(env.now()) }],
  [
    'cat',
    {
      help: 'print a file (/proc/cpuinfo, /proc/uptime, /etc/hostname, ...)',
      run: (a, _sh, env) =>
        a.length === 0 ? undefined : a.map((f) => FILES.get(f)?.(env) ?? `cat: ${f}: No such file or directory`).join('\n'),
    },
  ],
  ['dmesg', { help: 'kernel log', run: (_a, _sh, env) => env.dmesg().join('\n') }],
  ['clear', { help: 'clear the screen', run: (_a, sh) => void sh.print('\x1b[H\x1b[2J') }],
  ['poweroff', { help: 'shut down and power off', run: (_a, _sh, env) => void env.poweroff() }],
  [
    'shutdown',
    {
      help: 'shutdown -h now | -r now',
      run: (a, _sh, env) => {
        if (a.includes('-c')) return 'shutdown: no scheduled shutdown to cancel';
        if (a.includes('-r')) env.reboot();
        else env.poweroff();
        return undefined;
      },
    },
  ],
  ['reboot', { help: 'restart the host', run: (_a, _sh, env) => void env.reboot() }],
  ['exit', { help: 'log out', run: (_a, sh) => void sh.logout() }],
  ['logout', { help: 'log out', run: (_a, sh) => void sh.logout() }],
]);

export class SimConsole implements HostConsole {
  readonly user: string;
  readonly #buffer: ConsoleBuffer;
  readonly #env: ShellEnv;
  readonly #userDigest: Buffer;
  readonly #passwordDigest: Buffer;
  #mode: ConsoleMode = 'closed';
  #line: number[] = [];
  #escape: 'none' | 'esc' | 'csi' = 'none';
  #afterCr = false;
  #sysrqArmed = false;
  #loginName = '';
  /** Echo bytes gathered during one write(), flushed before other output. */
  #echo: number[] = [];

  constructor(opts: SimConsoleOptions) {
    this.#buffer = opts.buffer;
    this.#env = opts.env;
    this.user = opts.user ?? 'root';
    this.#userDigest = digest(this.user);
    this.#passwordDigest = digest(opts.password ?? 'tsbmc');
  }

  get mode(): ConsoleMode {
    return this.#mode;
  }

  get prompt(): string {
    return `${this.user}@${this.#env.hostname}:~# `;
  }

  // ---- HostConsole -----------------------------------------------------------

  onOutput(fn: (data: Uint8Array) => void): () => void {
    return this.#buffer.subscribe((data) => fn(data));
  }

  /** Bytes typed at the console. Input is dropped while nothing reads the port. */
  write(data: Uint8Array): void {
    try {
      for (const b of data) this.#key(b);
    } finally {
      this.#flushEcho();
    }
  }

  /** A serial break: the next key is a magic SysRq command for the kernel. */
  sendBreak(): void {
    this.#sysrqArmed = true;
  }

  // ---- host side -------------------------------------------------------------

  /** Host output; "\n" becomes CR LF as the tty's ONLCR does. */
  print(text: string): void {
    this.#flushEcho();
    this.#buffer.append(text.replace(/\r?\n/g, '\r\n'));
  }

  /** The OS is up: getty shows its banner and asks for a login. */
  openLogin(): void {
    this.#reset();
    this.print(`\n${this.#env.osName} ${this.#env.hostname} ttyS0\n\n`);
    this.#loginPrompt();
  }

  /** Nothing reads the port any more (power off, reset, shutdown, panic). */
  close(): void {
    this.#reset();
    this.#mode = 'closed';
  }

  /** Ends the shell session and returns to the login prompt. */
  logout(): void {
    if (this.#mode !== 'shell') return;
    this.print('logout\n');
    this.openLogin();
  }

  // ---- line discipline ---------------------------------------------------------

  #reset(): void {
    this.#line = [];
    this.#escape = 'none';
    this.#afterCr = false;
    this.#loginName = '';
    this.#echo = [];
  }

  #key(b: number): void {
    if (this.#sysrqArmed) {
      this.#sysrqArmed = false;
      this.#flushEcho();
      if (this.#env.sysrq(String.fromCharCode(b))) return;
    }
    if (this.#mode === 'closed') return;
    if (this.#escape === 'esc') {
      this.#escape = b === 0x5b || b === 0x4f ? 'csi' : 'none';
      return;
    }
    if (this.#escape === 'csi') {
      if (b >= 0x40 && b <= 0x7e) this.#escape = 'none';
      return;
    }
    const afterCr = this.#afterCr;
    this.#afterCr = b === Key.cr;
    switch (b) {
      case Key.cr:
        this.#submit();
        return;
      case Key.lf:
        if (!afterCr) this.#submit();
        return;
      case Key.del:
      case Key.backspace:
        this.#erase(1);
        return;
      case Key.ctrlU:
        this.#erase(Infinity);
        return;
      case Key.ctrlC:
        this.#interrupt();
        return;
      case Key.ctrlD:
        if (this.#line.length === 0 && this.#mode === 'shell') {
          this.#echoString('\r\n');
          this.logout();
        }
        return;
      case Key.esc:
        this.#escape = 'esc';
        return;
    }
    if (b < 0x20) return;
    if (this.#line.length >= MAX_LINE) {
      this.#echo.push(Key.bell);
      return;
    }
    this.#line.push(b);
    if (this.#mode !== 'login-password') this.#echo.push(b);
  }

  /** Erases up to n characters (UTF-8 sequences count as one). */
  #erase(n: number): void {
    for (let i = 0; i < n && this.#line.length > 0; i++) {
      let b = this.#line.pop();
      while (b !== undefined && (b & 0xc0) === 0x80 && this.#line.length > 0) b = this.#line.pop();
      if (this.#mode !== 'login-password') this.#echoString('\b \b');
    }
  }

  #interrupt(): void {
    this.#line = [];
    this.#echoString('^C\r\n');
    if (this.#mode === 'shell') this.print(this.prompt);
    else this.#loginPrompt();
  }

  #echoString(s: string): void {
    for (const b of encoder.encode(s)) this.#echo.push(b);
  }

  #flushEcho(): void {
    if (this.#echo.length === 0) return;
    const bytes = Uint8Array.from(this.#echo);
    this.#echo = [];
    this.#buffer.append(bytes);
  }

  #submit(): void {
    const line = decoder.decode(Uint8Array.from(this.#line));
    this.#line = [];
    this.#echoString('\r\n');
    switch (this.#mode) {
      case 'login-user':
        if (line.trim() === '') {
          this.#loginPrompt();
          return;
        }
        this.#loginName = line.trim();
        this.#mode = 'login-password';
        this.print('Password: ');
        return;
      case 'login-password':
        this.#login(this.#loginName, line);
        return;
      case 'shell':
        this.#run(line);
        if (this.#mode === 'shell') this.print(this.prompt);
        return;
      case 'closed':
        return;
    }
  }

  #loginPrompt(): void {
    this.#mode = 'login-user';
    this.#loginName = '';
    this.print(`${this.#env.hostname} login: `);
  }

  #login(name: string, password: string): void {
    // Both compared in constant time, and both always compared.
    const userOk = timingSafeEqual(digest(name), this.#userDigest);
    const passOk = timingSafeEqual(digest(password), this.#passwordDigest);
    if (!(userOk && passOk)) {
      this.print('\nLogin incorrect\n');
      this.#loginPrompt();
      return;
    }
    this.#mode = 'shell';
    this.print(`Linux ${this.#env.hostname} ${this.#env.kernelRelease} x86_64\n\nType 'help' for the commands this console knows.\n`);
    this.print(this.prompt);
  }

  #run(line: string): void {
    const words = splitWords(line);
    if (!Array.isArray(words)) {
      this.print(`sh: ${words.error}\n`);
      return;
    }
    const [name, ...args] = words;
    if (name === undefined) return;
    const cmd = COMMANDS.get(name);
    if (!cmd) {
      this.print(`sh: ${name}: command not found\n`);
      return;
    }
    const out = cmd.run(args, this, this.#env);
    if (out !== undefined) this.print(out.length > 0 ? `${out}\n` : '\n');
  }
}
