// A small line chart in SVG, without dependencies: series of {t, v} points
// over a time axis, a y-axis with units, horizontal threshold lines, and a
// readout of the point under the pointer (or chosen with the arrow keys when
// the chart has focus). Gaps longer than `gapMs` break the line.
import { useMemo, useState } from 'preact/hooks';
import './chart.css';

export interface Point {
  t: number;
  v: number;
}

export interface Series {
  label: string;
  points: Point[];
}

export interface ThresholdLine {
  label: string;
  value: number;
  severity: 'warn' | 'crit';
}

export interface ChartProps {
  /** The accessible name of the chart. */
  title: string;
  series: Series[];
  /** Units shown on the y-axis and in the readout (e.g. "°C", "V", "RPM"). */
  units?: string;
  thresholds?: ThresholdLine[];
  /** Time axis bounds, ms since the epoch (default: the data's). */
  from?: number;
  to?: number;
  /** Points further apart than this are not joined (default: never). */
  gapMs?: number;
}

const W = 640;
const H = 240;
const PAD = { l: 56, r: 12, t: 12, b: 28 };

/** About `n` round tick values covering [lo, hi]. */
export function ticks(lo: number, hi: number, n = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / n;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((k) => k * mag).find((s) => s >= raw) ?? raw;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

function fmt(v: number): string {
  const a = Math.abs(v);
  return a !== 0 && (a < 0.01 || a >= 1e6) ? v.toExponential(2) : String(Number(v.toPrecision(4)));
}

function timeLabel(t: number, span: number): string {
  const d = new Date(t);
  if (span > 2 * 86_400_000) return d.toLocaleDateString(undefined, { month: 'short', day: 'numeric' }) + ' ' + d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
  return d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
}

/** Thresholds at the same value drawn once: labels joined, the worse severity. */
function merge(lines: ThresholdLine[]): ThresholdLine[] {
  const out = new Map<number, ThresholdLine>();
  for (const th of lines) {
    const m = out.get(th.value);
    out.set(th.value, m ? { label: `${m.label}, ${th.label}`, value: th.value, severity: m.severity === 'crit' || th.severity === 'crit' ? 'crit' : 'warn' } : th);
  }
  return [...out.values()];
}

export function LineChart({ title, series, units = '', thresholds: given = [], from, to, gapMs = Infinity }: ChartProps) {
  const thresholds = merge(given);
  const [cursor, setCursor] = useState<number | undefined>();
  const all = useMemo(() => series.flatMap((s) => s.points), [series]);
  const t0 = from ?? (all.length ? Math.min(...all.map((p) => p.t)) : Date.now() - 3_600_000);
  const t1 = Math.max(to ?? (all.length ? Math.max(...all.map((p) => p.t)) : Date.now()), t0 + 1);

  // y domain: the data, widened to show the thresholds near it and the
  // closest one on each side (without data: every threshold)
  let lo = all.length ? Math.min(...all.map((p) => p.v)) : Math.min(0, ...thresholds.map((th) => th.value));
  let hi = all.length ? Math.max(...all.map((p) => p.v)) : Math.max(1, ...thresholds.map((th) => th.value));
  const span = Math.max(hi - lo, Math.abs(hi) * 0.1, 1e-6);
  const above = thresholds.filter((th) => th.value > hi).sort((a, b) => a.value - b.value)[0];
  const below = thresholds.filter((th) => th.value < lo).sort((a, b) => b.value - a.value)[0];
  const near = thresholds.filter((th) => (th.value >= lo - span * 1.5 && th.value <= hi + span * 1.5) || th.value === above?.value || th.value === below?.value);
  for (const th of near) {
    lo = Math.min(lo, th.value);
    hi = Math.max(hi, th.value);
  }
  if (hi === lo) {
    hi += Math.abs(hi) * 0.05 || 1;
    lo -= Math.abs(lo) * 0.05 || 1;
  }
  const pad = (hi - lo) * 0.08;
  lo -= pad;
  hi += pad;
  const x = (t: number) => PAD.l + ((t - t0) / (t1 - t0)) * (W - PAD.l - PAD.r);
  const y = (v: number) => PAD.t + (1 - (v - lo) / (hi - lo)) * (H - PAD.t - PAD.b);

  const paths = series.map((s) => {
    let d = '';
    let prev: Point | undefined;
    for (const p of s.points) {
      d += `${!prev || p.t - prev.t > gapMs ? 'M' : 'L'}${x(p.t).toFixed(1)},${y(p.v).toFixed(1)}`;
      prev = p;
    }
    return d;
  });
  const first = series[0]?.points ?? [];
  const lonely = first.filter((p, i) => (i === 0 || p.t - first[i - 1]!.t > gapMs) && (i === first.length - 1 || first[i + 1]!.t - p.t > gapMs));
  const sel = cursor === undefined ? undefined : first[Math.min(cursor, first.length - 1)];
  const off = thresholds.filter((th) => !near.includes(th));
  const last = first[first.length - 1];
  const summary = first.length
    ? `${title}: ${first.length} points, latest ${fmt(last!.v)} ${units}, lowest ${fmt(Math.min(...first.map((p) => p.v)))}, highest ${fmt(Math.max(...first.map((p) => p.v)))}.`
    : `${title}: no readings in this period.`;

  const pick = (clientX: number, el: SVGSVGElement) => {
    if (first.length === 0) return;
    const r = el.getBoundingClientRect();
    const t = t0 + ((((clientX - r.left) / r.width) * W - PAD.l) / (W - PAD.l - PAD.r)) * (t1 - t0);
    let best = 0;
    for (let i = 1; i < first.length; i++) if (Math.abs(first[i]!.t - t) < Math.abs(first[best]!.t - t)) best = i;
    setCursor(best);
  };
  const onKey = (e: KeyboardEvent) => {
    if (first.length === 0) return;
    const c = cursor ?? first.length - 1;
    const next = e.key === 'ArrowLeft' ? c - 1 : e.key === 'ArrowRight' ? c + 1 : e.key === 'Home' ? 0 : e.key === 'End' ? first.length - 1 : undefined;
    if (next === undefined) return;
    e.preventDefault();
    setCursor(Math.max(0, Math.min(first.length - 1, next)));
  };

  return (
    <figure class="chart">
      <svg
        viewBox={`0 0 ${W} ${H}`}
        role="img"
        aria-label={summary}
        tabIndex={0}
        data-points={first.length}
        onPointerMove={(e) => pick(e.clientX, e.currentTarget as SVGSVGElement)}
        onPointerLeave={() => setCursor(undefined)}
        onKeyDown={onKey}
        onBlur={() => setCursor(undefined)}
      >
        {ticks(lo, hi).map((v) => (
          <g class="grid-y">
            <line x1={PAD.l} x2={W - PAD.r} y1={y(v)} y2={y(v)} />
            <text x={PAD.l - 6} y={y(v) + 4} text-anchor="end">
              {fmt(v)}
            </text>
          </g>
        ))}
        <text class="units" x={4} y={PAD.t + 4} dominant-baseline="hanging">
          {units}
        </text>
        {ticks(t0, t1, 4).map((t) => (
          <text class="axis-x" x={x(t)} y={H - 8} text-anchor="middle">
            {timeLabel(t, t1 - t0)}
          </text>
        ))}
        {near.map((th) => (
          <g class={`threshold ${th.severity}`}>
            <line x1={PAD.l} x2={W - PAD.r} y1={y(th.value)} y2={y(th.value)} />
            <text x={W - PAD.r - 4} y={y(th.value) - 4} text-anchor="end">
              {th.label} {fmt(th.value)}
            </text>
          </g>
        ))}
        {paths.map((d, i) => (
          <path class={`series s${i}`} d={d} />
        ))}
        {lonely.map((p) => (
          <circle class="series-dot" cx={x(p.t)} cy={y(p.v)} r={2.5} />
        ))}
        {sel && (
          <g class="cursor">
            <line x1={x(sel.t)} x2={x(sel.t)} y1={PAD.t} y2={H - PAD.b} />
            <circle cx={x(sel.t)} cy={y(sel.v)} r={4} />
          </g>
        )}
      </svg>
      <figcaption class="chart-readout">
        {sel ? (
          <span>
            {new Date(sel.t).toLocaleString()}: <strong>{fmt(sel.v)}</strong> {units}
          </span>
        ) : (
          <span class="muted">{first.length ? 'Point at the chart (or focus it and use the arrow keys) for values.' : 'No readings in this period.'}</span>
        )}
        {off.length > 0 && <span class="muted"> Off the chart: {off.map((th) => `${th.label} ${fmt(th.value)}`).join(', ')}.</span>}
      </figcaption>
    </figure>
  );
}
