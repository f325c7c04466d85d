// Event log: the selected host's System Event Log as Redfish LogEntries
// ({system}/LogServices/EventLog/Entries), newest first, filtered by severity
// and text, paged in the browser; live through /ws/events (LogEntry and
// LogService events of this system refresh it); LogService.ClearLog for
// Operators and Administrators; CSV and JSON of the filtered entries made in
// the browser.
import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { api, ApiError } from '../api';
import { useResource, useStream, when } from '../hooks';
import { healthClass } from './dashboard';
import type { PageProps } from './index';
import './event-log.css';

type Json = Record<string, any>;

const SEVERITIES = ['Critical', 'Warning', 'OK'] as const;
const PAGE_SIZES = [25, 50, 100, 250];
/** Events that can change a system's log: entries added or removed, the log cleared. */
const EVENT_FILTER = "ResourceType eq 'LogEntry' or ResourceType eq 'LogService'";

/** The sensor an entry is about: its name from the message ("CPU Temp: ..."), else type and number. */
export function sensorOf(e: Json): string {
  const msg = typeof e.Message === 'string' ? e.Message : '';
  const i = msg.indexOf(': ');
  if (e.SensorNumber !== undefined && i > 0) return msg.slice(0, i);
  if (e.SensorType || e.SensorNumber !== undefined) {
    const num = typeof e.SensorNumber === 'number' ? ` #0x${e.SensorNumber.toString(16).padStart(2, '0')}` : '';
    return `${e.SensorType ?? 'Sensor'}${num}`;
  }
  return '—';
}

/** The message without the leading sensor name (shown in its own column). */
function messageOf(e: Json): string {
  const msg = typeof e.Message === 'string' ? e.Message : '';
  const i = msg.indexOf(': ');
  return e.SensorNumber !== undefined && i > 0 ? msg.slice(i + 2) : msg;
}

const CSV_COLUMNS: [string, (e: Json) => unknown][] = [
  ['Id', (e) => e.Id],
  ['Created', (e) => e.Created],
  ['Severity', (e) => e.Severity],
  ['Sensor', (e) => sensorOf(e)],
  ['SensorType', (e) => e.SensorType],
  ['SensorNumber', (e) => e.SensorNumber],
  ['EntryCode', (e) => e.EntryCode],
  ['MessageId', (e) => e.MessageId],
  ['Message', (e) => e.Message],
];

/** One CSV cell (RFC 4180), with text a spreadsheet would run as a formula made inert. */
function csvCell(v: unknown): string {
  if (v === undefined || v === null) return '';
  let s = String(v);
  if (typeof v === 'string' && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function toCsv(entries: Json[]): string {
  const lines = [CSV_COLUMNS.map(([h]) => h).join(',')];
  for (const e of entries) lines.push(CSV_COLUMNS.map(([, f]) => csvCell(f(e))).join(','));
  return lines.join('\r\n') + '\r\n';
}

function download(name: string, type: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

export function EventLog({ host }: PageProps) {
  const logPath = host ? `${host.path}/LogServices/EventLog` : undefined;
  const service = useResource(logPath);
  const [entries, setEntries] = useState<Json[] | undefined>();
  const [loadError, setLoadError] = useState<string | undefined>();
  const [severity, setSeverity] = useState('');
  const [search, setSearch] = useState('');
  const [size, setSize] = useState(PAGE_SIZES[0]!);
  const [page, setPage] = useState(0);
  const [message, setMessage] = useState<{ text: string; error?: boolean } | undefined>();
  const seq = useRef(0);
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>();

  const load = useCallback(() => {
    if (!logPath) return;
    const mine = ++seq.current;
    api
      .get(`${logPath}/Entries`)
      .then((c) => {
        if (mine !== seq.current) return;
        // the collection lists the SEL in record order, oldest first
        setEntries(((c.Members as Json[] | undefined) ?? []).slice().reverse());
        setLoadError(undefined);
      })
      .catch((e: unknown) => {
        if (mine === seq.current) setLoadError(e instanceof ApiError ? e.message : String(e));
      });
  }, [logPath]);

  /** Coalesces bursts of events (a `sel add` of many records) into one read. */
  const soon = useCallback(() => {
    if (timer.current) clearTimeout(timer.current);
    timer.current = setTimeout(load, 250);
  }, [load]);

  useEffect(() => {
    setEntries(undefined);
    setPage(0);
    load();
    return () => {
      if (timer.current) clearTimeout(timer.current);
    };
  }, [load]);

  useStream(host ? `/ws/events?$filter=${encodeURIComponent(EVENT_FILTER)}` : undefined, (m) => {
    if (m.type === 'ready' || m.type === 'gap') soon();
    else if (m.type === 'event') {
      const origin = (m.event?.OriginOfCondition?.['@odata.id'] as string | undefined) ?? '';
      if (host && origin.startsWith(`${host.path}/LogServices/`)) soon();
    }
  });

  const filtered = useMemo(() => {
    const all = entries ?? [];
    const q = search.trim().toLowerCase();
    if (!severity && !q) return all;
    return all.filter((e) => {
      if (severity && e.Severity !== severity) return false;
      if (!q) return true;
      return [e.Id, e.Message, e.MessageId, e.SensorType, e.EntryCode, e.Created].some((v) => v !== undefined && String(v).toLowerCase().includes(q));
    });
  }, [entries, severity, search]);

  const pages = Math.max(1, Math.ceil(filtered.length / size));
  const current = Math.min(page, pages - 1);
  const rows = filtered.slice(current * size, current * size + size);

  const clear = async () => {
    if (!host || !logPath) return;
    if (!confirm(`Clear the event log of ${host.id}? All ${entries?.length ?? 0} entries will be deleted.`)) return;
    const target = (service.data?.Actions?.['#LogService.ClearLog']?.target as string | undefined) ?? `${logPath}/Actions/LogService.ClearLog`;
    try {
      await api.post(target, {});
      setMessage({ text: 'Event log cleared.' });
      setPage(0);
      load();
    } catch (e) {
      setMessage({ text: e instanceof ApiError ? e.message : String(e), error: true });
    }
  };

  const stamp = () => new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
  const base = () => `event-log-${host?.id ?? 'host'}-${stamp()}`;

  return (
    <section class="card event-log" aria-labelledby="ev-title">
      <h2 id="ev-title">System event log of {host?.id}</h2>
      <div class="ev-toolbar">
        <label>
          <span id="ev-sev-label">Severity</span>
          <select
            aria-labelledby="ev-sev-label"
            value={severity}
            onChange={(e) => {
              setSeverity((e.target as HTMLSelectElement).value);
              setPage(0);
            }}
          >
            <option value="">All</option>
            {SEVERITIES.map((s) => (
              <option value={s}>{s}</option>
            ))}
          </select>
        </label>
        <label class="ev-search">
          <span>Search</span>
          <input
            type="search"
            value={search}
            placeholder="Sensor, message, id…"
            onInput={(e) => {
              setSearch((e.target as HTMLInputElement).value);
              setPage(0);
            }}
          />
        </label>
        <label>
          <span id="ev-size-label">Per page</span>
          <select
            aria-labelledby="ev-size-label"
            value={String(size)}
            onChange={(e) => {
              setSize(Number((e.target as HTMLSelectElement).value));
              setPage(0);
            }}
          >
            {PAGE_SIZES.map((n) => (
              <option value={String(n)}>{n}</option>
            ))}
          </select>
        </label>
        <div class="ev-buttons" role="group" aria-label="Log actions">
          <button onClick={() => download(`${base()}.csv`, 'text/csv', toCsv(filtered))} disabled={!filtered.length}>
            Download CSV
          </button>
          <button onClick={() => download(`${base()}.json`, 'application/json', JSON.stringify(filtered, null, 2))} disabled={!filtered.length}>
            Download JSON
          </button>
          {api.can('operate') && (
            <button class="danger" onClick={() => void clear()} disabled={!entries?.length}>
              Clear log
            </button>
          )}
        </div>
      </div>

      {message && (
        <p role={message.error ? 'alert' : 'status'} class={message.error ? 'error' : undefined}>
          {message.text}
        </p>
      )}
      {loadError && (
        <p role="alert" class="error">
          {loadError}
        </p>
      )}

      <p class="muted" data-testid="ev-count">
        {entries === undefined
          ? 'Loading…'
          : filtered.length === 0
            ? entries.length === 0
              ? 'The log is empty.'
              : 'No entries match.'
            : `Showing ${current * size + 1}–${current * size + rows.length} of ${filtered.length}${filtered.length !== entries.length ? ` (${entries.length} in the log)` : ''}`}
      </p>

      {rows.length > 0 && (
        <div class="ev-scroll">
          <table class="compact ev-table" aria-label="Event log entries">
            {/* explicit roles keep the table's semantics when a phone-width layout restyles its rows */}
            <thead role="rowgroup">
              <tr role="row">
                <th role="columnheader" scope="col">Id</th>
                <th role="columnheader" scope="col">Severity</th>
                <th role="columnheader" scope="col">Time</th>
                <th role="columnheader" scope="col">Sensor</th>
                <th role="columnheader" scope="col">Message</th>
              </tr>
            </thead>
            <tbody role="rowgroup">
              {rows.map((e) => (
                <tr role="row" key={e.Id as string}>
                  <td role="cell" class="ev-id">{e.Id}</td>
                  <td role="cell">
                    <span class={`pill ${healthClass(e.Severity as string | undefined)}`}>{e.Severity ?? '—'}</span>
                  </td>
                  <td role="cell" class="ev-time">{when(e.Created as string | undefined)}</td>
                  <td role="cell" class="ev-sensor" title={e.SensorType ? `${e.SensorType}${e.SensorNumber !== undefined ? ` #${e.SensorNumber}` : ''}` : undefined}>{sensorOf(e)}</td>
                  <td role="cell" class="ev-message">{messageOf(e)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}

      {pages > 1 && (
        <nav class="ev-pager" aria-label="Pages">
          <button onClick={() => setPage(0)} disabled={current === 0}>
            First
          </button>
          <button onClick={() => setPage(current - 1)} disabled={current === 0}>
            Previous
          </button>
          <span data-testid="ev-page">
            Page {current + 1} of {pages}
          </span>
          <button onClick={() => setPage(current + 1)} disabled={current >= pages - 1}>
            Next
          </button>
          <button onClick={() => setPage(pages - 1)} disabled={current >= pages - 1}>
            Last
          </button>
        </nav>
      )}
    </section>
  );
}
