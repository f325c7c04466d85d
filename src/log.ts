// Structured logging: one line per record, a child logger per component,
// secrets redacted by key name, and a per-peer rate limiter for bad input.

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';
const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

export type LogFields = Record<string, unknown>;

const SECRET_KEY = /pass(word)?|secret|token|key|kg|sik|auth(code)?$/i;

export interface Logger {
  readonly level: LogLevel;
  enabled(level: LogLevel): boolean;
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  child(component: string, fields?: LogFields): Logger;
}

export type LogSink = (line: string) => void;

function redact(fields: LogFields): LogFields {
  const out: LogFields = {};
  for (const [k, v] of Object.entries(fields)) out[k] = SECRET_KEY.test(k) ? '[redacted]' : v;
  return out;
}

export function createLogger(opts: {
  level: LogLevel;
  sink?: LogSink;
  format?: 'text' | 'json';
  bindings?: LogFields;
}): Logger {
  const sink = opts.sink ?? ((line: string) => process.stderr.write(line + '\n'));
  const format = opts.format ?? 'text';
  const bindings = opts.bindings ?? {};
  const min = RANK[opts.level];
  const write = (level: LogLevel, msg: string, fields?: LogFields): void => {
    if (RANK[level] < min) return;
    const all = redact({ ...bindings, ...fields });
    if (format === 'json') {
      sink(JSON.stringify({ time: new Date().toISOString(), level, msg, ...all }));
      return;
    }
    const { component, ...rest } = all;
    const kv = Object.entries(rest)
      .map(([k, v]) => `${k}=${typeof v === 'string' && !/\s/.test(v) ? v : JSON.stringify(v)}`)
      .join(' ');
    sink(`${new Date().toISOString()} ${level.toUpperCase().padEnd(5)} ${component ? `[${String(component)}] ` : ''}${msg}${kv ? ' ' + kv : ''}`);
  };
  return {
    level: opts.level,
    enabled: (level) => RANK[level] >= min,
    debug: (m, f) => write('debug', m, f),
    info: (m, f) => write('info', m, f),
    warn: (m, f) => write('warn', m, f),
    error: (m, f) => write('error', m, f),
    child: (component, fields) =>
      createLogger({
        level: opts.level,
        sink,
        format,
        bindings: { ...bindings, component: bindings.component ? `${String(bindings.component)}/${component}` : component, ...fields },
      }),
  };
}

export const silentLogger: Logger = createLogger({ level: 'silent' });

/**
 * Lets through at most `burst` messages per key per `windowMs`, then one
 * summary of how many were suppressed. Keys are peers (address:port).
 */
export class RateLimitedLog {
  readonly #log: Logger;
  readonly #windowMs: number;
  readonly #burst: number;
  readonly #state = new Map<string, { start: number; count: number; suppressed: number }>();

  constructor(log: Logger, windowMs = 10_000, burst = 5) {
    this.#log = log;
    this.#windowMs = windowMs;
    this.#burst = burst;
  }

  warn(key: string, msg: string, fields?: LogFields, now = Date.now()): void {
    let s = this.#state.get(key);
    if (!s || now - s.start >= this.#windowMs) {
      if (s && s.suppressed > 0) this.#log.warn('suppressed repeated warnings', { peer: key, count: s.suppressed });
      s = { start: now, count: 0, suppressed: 0 };
      this.#state.set(key, s);
      if (this.#state.size > 4096) this.#state.delete(this.#state.keys().next().value as string);
    }
    if (s.count < this.#burst) {
      s.count++;
      this.#log.warn(msg, { peer: key, ...fields });
    } else {
      s.suppressed++;
    }
  }
}
