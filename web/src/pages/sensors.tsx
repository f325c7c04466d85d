// Sensors: every sensor of the host with its reading, health and thresholds,
// live over /ws/sensors; filters by type and status; a history chart from
// the TelemetryService's metric reports; threshold editing (Sensor PATCH,
// ConfigureComponents: operators and administrators) showing the value the
// BMC stored after quantizing to the sensor's resolution.
import { useEffect, useMemo, useState } from 'preact/hooks';
import { api, ApiError } from '../api';
import { LineChart, type ThresholdLine } from '../chart';
import { useResource, useStream } from '../hooks';
import { healthClass } from './dashboard';
import type { PageProps } from './index';
import './sensors.css';

type Json = Record<string, any>;

/** Redfish threshold names, lower first, as they are edited and drawn. */
const THRESHOLDS = ['LowerFatal', 'LowerCritical', 'LowerCaution', 'UpperCaution', 'UpperCritical', 'UpperFatal'] as const;
type ThresholdName = (typeof THRESHOLDS)[number];
const THRESHOLD_LABEL: Record<ThresholdName, string> = {
  LowerFatal: 'Lower fatal',
  LowerCritical: 'Lower critical',
  LowerCaution: 'Lower caution',
  UpperCaution: 'Upper caution',
  UpperCritical: 'Upper critical',
  UpperFatal: 'Upper fatal',
};

const TYPE_LABEL: Record<string, string> = { Temperature: 'Temperature', Voltage: 'Voltage', Rotational: 'Fan', Power: 'Power', Current: 'Current', Percent: 'Percent', EnergyJoules: 'Energy' };
const UNIT_LABEL: Record<string, string> = { Cel: '°C', V: 'V', RPM: 'RPM', W: 'W', A: 'A', '%': '%', J: 'J' };
const STATUSES = ['OK', 'Warning', 'Critical', 'Absent', 'No reading'] as const;

const WINDOWS = [
  { id: '1h', label: '1 h', span: 'PT1H', ms: 3_600_000, gapMs: 25_000, refreshMs: 10_000 },
  { id: '24h', label: '24 h', span: 'P1D', ms: 86_400_000, gapMs: 750_000, refreshMs: 60_000 },
  { id: '7d', label: '7 d', span: 'P7D', ms: 604_800_000, gapMs: 4_500_000, refreshMs: 300_000 },
] as const;

interface Row {
  id: string;
  uri: string;
  name: string;
  reading: number | null;
  units: string;
  type: string;
  health: string | null;
  absent: boolean;
  thresholds: Partial<Record<ThresholdName, number>>;
}

function rowFromRedfish(s: Json): Row {
  const thresholds: Row['thresholds'] = {};
  for (const n of THRESHOLDS) {
    const v = s.Thresholds?.[n]?.Reading;
    if (typeof v === 'number') thresholds[n] = v;
  }
  return {
    id: s.Id,
    uri: s['@odata.id'],
    name: s.Name ?? s.Id,
    reading: typeof s.Reading === 'number' ? s.Reading : null,
    units: s.ReadingUnits ?? '',
    type: s.ReadingType ?? 'Other',
    health: s.Status?.Health ?? null,
    absent: s.Status?.State === 'Absent',
    thresholds,
  };
}

function statusOf(r: Row): (typeof STATUSES)[number] {
  if (r.absent) return 'Absent';
  if (r.reading === null || !r.health) return 'No reading';
  return r.health as 'OK' | 'Warning' | 'Critical';
}

function fmt(v: number | null | undefined): string {
  return v === null || v === undefined ? '—' : String(Number(v.toPrecision(6)));
}

/** Report definitions of the TelemetryService, fetched once per page load. */
let definitions: Promise<Json[]> | undefined;
function reportDefinitions(): Promise<Json[]> {
  definitions ??= api
    .get('/redfish/v1/TelemetryService/MetricReportDefinitions?$expand=.')
    .then((c) => (c.Members as Json[] | undefined) ?? [])
    .catch((e: unknown) => {
      definitions = undefined;
      throw e;
    });
  return definitions;
}

export function Sensors({ host }: PageProps) {
  const list = useResource(host ? `${host.chassis}/Sensors?$expand=.` : undefined, 15000);
  const [rows, setRows] = useState<Map<string, Row>>(new Map());
  const [type, setType] = useState('all');
  const [status, setStatus] = useState('all');
  const [selected, setSelected] = useState<string | undefined>();

  // Redfish is the baseline (thresholds, the power sensor); the stream keeps readings live
  useEffect(() => {
    const members = list.data?.Members as Json[] | undefined;
    if (members) setRows(new Map(members.map((m) => [m.Id as string, rowFromRedfish(m)])));
  }, [list.data]);
  useEffect(() => {
    setRows(new Map());
    setSelected(undefined);
  }, [host?.id]);

  useStream(host ? `/ws/sensors?system=${encodeURIComponent(host.id)}&interval=500` : undefined, (m) => {
    if (m.type === 'snapshot' || m.type === 'readings') {
      const updates = (m.type === 'snapshot' ? m.sensors : m.readings) as Json[];
      setRows((prev) => {
        const next = new Map(prev);
        for (const u of updates) {
          const r = next.get(u.id);
          if (!r) continue;
          const changed: Row = { ...r, reading: u.value ?? null, health: u.health ?? null };
          if (m.type === 'snapshot') {
            changed.absent = u.present === false;
            changed.thresholds = { ...(u.thresholds as Row['thresholds']) };
          }
          next.set(u.id, changed);
        }
        return next;
      });
    } else if (m.type === 'threshold') {
      setRows((prev) => {
        const r = prev.get(m.sensor);
        if (!r) return prev;
        const next = new Map(prev);
        next.set(m.sensor, { ...r, reading: m.value ?? r.reading, health: m.health ?? null });
        return next;
      });
    }
  });

  const all = [...rows.values()];
  const types = [...new Set(all.map((r) => r.type))].sort();
  const shown = all.filter((r) => (type === 'all' || r.type === type) && (status === 'all' || statusOf(r) === status));
  const current = selected ? rows.get(selected) : undefined;

  return (
    <div class="sensors">
      <section class="card" aria-labelledby="s-list">
        <h2 id="s-list">All sensors</h2>
        <div class="filters" role="group" aria-label="Filters">
          <label>
            Type
            <select value={type} onChange={(e) => setType((e.target as HTMLSelectElement).value)}>
              <option value="all">All types</option>
              {types.map((t) => (
                <option value={t}>{TYPE_LABEL[t] ?? t}</option>
              ))}
            </select>
          </label>
          <label>
            Status
            <select value={status} onChange={(e) => setStatus((e.target as HTMLSelectElement).value)}>
              <option value="all">Any status</option>
              {STATUSES.map((s) => (
                <option value={s}>{s}</option>
              ))}
            </select>
          </label>
          <p class="muted count" role="status">
            {list.error ? '' : `${shown.length} of ${all.length} sensors`}
          </p>
        </div>
        {list.error && <p role="alert" class="error">{list.error}</p>}
        <div class="table-wrap">
          <table class="sensor-table">
            <thead>
              <tr>
                <th scope="col">Sensor</th>
                <th scope="col" class="num">Reading</th>
                <th scope="col">Status</th>
                <th scope="col" class="wide">Lower thresholds</th>
                <th scope="col" class="wide">Upper thresholds</th>
              </tr>
            </thead>
            <tbody>
              {shown.map((r) => (
                <tr key={r.id} class={r.id === selected ? 'selected' : ''} data-sensor={r.id}>
                  <th scope="row">
                    <button class="link sensor-name" aria-pressed={r.id === selected} onClick={() => setSelected(r.id === selected ? undefined : r.id)}>
                      {r.name}
                    </button>
                  </th>
                  <td class="num" data-testid={`reading-${r.id}`}>
                    {fmt(r.reading)} <span class="muted">{r.reading === null ? '' : (UNIT_LABEL[r.units] ?? r.units)}</span>
                  </td>
                  <td>
                    <span class={`pill ${r.absent ? 'off' : healthClass(r.health ?? undefined)}`} data-testid={`status-${r.id}`}>
                      {statusOf(r)}
                    </span>
                  </td>
                  <td class="wide thresholds">{thresholdText(r, 'Lower')}</td>
                  <td class="wide thresholds">{thresholdText(r, 'Upper')}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        {all.length > 0 && shown.length === 0 && <p class="muted">No sensor matches the filters.</p>}
      </section>
      {current && <SensorDetail key={current.id} row={current} onStored={(r) => setRows((prev) => new Map(prev).set(r.id, r))} onClose={() => setSelected(undefined)} />}
    </div>
  );
}

function thresholdText(r: Row, side: 'Lower' | 'Upper'): string {
  const parts = (['Caution', 'Critical', 'Fatal'] as const)
    .map((k) => [k, r.thresholds[`${side}${k}` as ThresholdName]] as const)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k} ${fmt(v)}`);
  return parts.length ? parts.join(' · ') : '—';
}

function SensorDetail({ row, onStored, onClose }: { row: Row; onStored: (r: Row) => void; onClose: () => void }) {
  const units = UNIT_LABEL[row.units] ?? row.units;
  const lines: ThresholdLine[] = THRESHOLDS.filter((n) => row.thresholds[n] !== undefined).map((n) => ({
    label: THRESHOLD_LABEL[n],
    value: row.thresholds[n]!,
    severity: n.endsWith('Caution') ? 'warn' : 'crit',
  }));
  return (
    <section class="card detail" aria-labelledby="s-detail">
      <div class="detail-head">
        <h2 id="s-detail">{row.name}</h2>
        <button class="link" onClick={onClose}>
          Close
        </button>
      </div>
      <p>
        Reading <strong data-testid="detail-reading">{fmt(row.reading)}</strong> {row.reading === null ? '' : units} ·{' '}
        <span class={`pill ${row.absent ? 'off' : healthClass(row.health ?? undefined)}`}>{statusOf(row)}</span>
      </p>
      <History row={row} units={units} lines={lines} />
      {api.can('operate') && !row.absent && Object.keys(row.thresholds).length > 0 && <ThresholdForm row={row} units={units} onStored={onStored} />}
    </section>
  );
}

function History({ row, units, lines }: { row: Row; units: string; lines: ThresholdLine[] }) {
  const [win, setWin] = useState<(typeof WINDOWS)[number]>(WINDOWS[0]);
  const [points, setPoints] = useState<{ t: number; v: number }[] | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [now, setNow] = useState(Date.now());

  useEffect(() => {
    let stop = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    setPoints(undefined);
    setError(undefined);
    const load = async () => {
      try {
        const defs = await reportDefinitions();
        const property = `${row.uri}#/Reading`;
        const def = defs.find((d) => d.ReportTimespan === win.span && (d.Metrics as Json[] | undefined)?.some((m) => (m.MetricProperties as string[] | undefined)?.includes(property)));
        if (!def) throw new Error('This sensor has no history.');
        const report = await api.get(def.MetricReport['@odata.id'] as string);
        if (stop) return;
        setPoints(((report.MetricValues as Json[] | undefined) ?? []).map((v) => ({ t: Date.parse(v.Timestamp as string), v: Number(v.MetricValue) })).filter((p) => Number.isFinite(p.t) && Number.isFinite(p.v)));
        setNow(report.Timestamp ? Date.parse(report.Timestamp as string) : Date.now());
        setError(undefined);
      } catch (e) {
        if (!stop) setError(e instanceof Error ? e.message : String(e));
      }
      if (!stop) timer = setTimeout(load, win.refreshMs);
    };
    void load();
    return () => {
      stop = true;
      if (timer) clearTimeout(timer);
    };
  }, [row.uri, win]);

  const series = useMemo(() => [{ label: row.name, points: points ?? [] }], [points, row.name]);
  return (
    <div class="history">
      <div class="history-head">
        <h3 id="s-history">History</h3>
        <div class="segmented" role="group" aria-label="History period">
          {WINDOWS.map((w) => (
            <button aria-pressed={w === win} onClick={() => setWin(w)}>
              {w.label}
            </button>
          ))}
        </div>
      </div>
      {error ? (
        <p role="alert" class="error">
          {error}
        </p>
      ) : points === undefined ? (
        <p class="muted">Loading…</p>
      ) : (
        <LineChart title={`${row.name} over the last ${win.label}`} series={series} units={units} thresholds={lines} from={now - win.ms} to={now} gapMs={win.gapMs} />
      )}
    </div>
  );
}

function ThresholdForm({ row, units, onStored }: { row: Row; units: string; onStored: (r: Row) => void }) {
  const names = THRESHOLDS.filter((n) => row.thresholds[n] !== undefined);
  const [values, setValues] = useState<Record<string, string>>(() => Object.fromEntries(names.map((n) => [n, fmt(row.thresholds[n])])));
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<{ ok: boolean; text: string } | undefined>();

  const submit = async (e: Event) => {
    e.preventDefault();
    const changes: Json = {};
    for (const n of names) {
      const text = (values[n] ?? '').trim();
      const v = Number(text);
      if (text === '' || !Number.isFinite(v)) {
        setResult({ ok: false, text: `${THRESHOLD_LABEL[n]}: enter a number.` });
        return;
      }
      if (v !== row.thresholds[n]) changes[n] = { Reading: v };
    }
    if (Object.keys(changes).length === 0) {
      setResult({ ok: true, text: 'Nothing to change.' });
      return;
    }
    setBusy(true);
    try {
      const body = await api.patch(row.uri, { Thresholds: changes });
      const stored = rowFromRedfish(body);
      onStored(stored);
      setValues(Object.fromEntries(names.map((n) => [n, fmt(stored.thresholds[n])])));
      const asked = Object.entries(changes as Record<string, { Reading: number }>);
      setResult({
        ok: true,
        text: `Saved. The BMC stored ${asked
          .map(([n, c]) => {
            const s = stored.thresholds[n as ThresholdName];
            return `${THRESHOLD_LABEL[n as ThresholdName]} ${fmt(s)}${s !== c.Reading ? ` (asked ${fmt(c.Reading)}, rounded to the sensor's resolution)` : ''}`;
          })
          .join(', ')}.`,
      });
    } catch (err) {
      setResult({ ok: false, text: err instanceof ApiError ? err.message : String(err) });
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="threshold-form" onSubmit={submit} aria-labelledby="s-thresholds">
      <h3 id="s-thresholds">Thresholds</h3>
      <div class="threshold-fields">
        {names.map((n) => (
          <label>
            {THRESHOLD_LABEL[n]} ({units})
            <input
              type="text"
              inputMode="decimal"
              name={n}
              value={values[n]}
              onInput={(e) => setValues({ ...values, [n]: (e.target as HTMLInputElement).value })}
            />
          </label>
        ))}
      </div>
      <div class="actions">
        <button class="primary" type="submit" disabled={busy}>
          Save thresholds
        </button>
      </div>
      {result && (
        <p role={result.ok ? 'status' : 'alert'} class={result.ok ? '' : 'error'} data-testid="threshold-result">
          {result.text}
        </p>
      )}
    </form>
  );
}
