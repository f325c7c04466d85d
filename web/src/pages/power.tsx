// Power: the host's power state and the ComputerSystem.Reset types it offers
// (each confirmed), the PowerRestorePolicy, the consumption (legacy Chassis
// Power PowerControl[0]: PowerConsumedWatts and PowerMetrics, or
// EnvironmentMetrics PowerWatts) with a chart of the samples polled while the
// page is open, and the power limit (PowerControl[0].PowerLimit, the same
// limit as IPMI DCMI Get/Set Power Limit).
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError } from '../api';
import { useResource, useStream } from '../hooks';
import type { PageProps } from './index';
import './power.css';

type Json = Record<string, any>;

/** The reset types this page offers, in the order shown, with their wording. */
const RESETS: { type: string; label: string; needsOn: boolean; danger?: boolean; what: string }[] = [
  { type: 'On', label: 'Power on', needsOn: false, what: 'Power on' },
  { type: 'GracefulShutdown', label: 'Shut down', needsOn: true, what: 'Ask the operating system to shut down' },
  { type: 'ForceOff', label: 'Power off', needsOn: true, danger: true, what: 'Cut power immediately (unsaved work is lost) on' },
  { type: 'GracefulRestart', label: 'Restart', needsOn: true, what: 'Ask the operating system to restart' },
  { type: 'ForceRestart', label: 'Reset', needsOn: true, danger: true, what: 'Reset immediately (unsaved work is lost)' },
  { type: 'PowerCycle', label: 'Power cycle', needsOn: true, danger: true, what: 'Power off and on again' },
];

const POLICIES: Record<string, string> = {
  AlwaysOn: 'Always on',
  AlwaysOff: 'Always off',
  LastState: 'Last state',
};

const LIMIT_EXCEPTIONS: Record<string, string> = {
  NoAction: 'No action',
  LogEventOnly: 'Log an event only',
  HardPowerOff: 'Power off the host',
};

const POLL_MS = 3000;
/** The chart keeps the last hour, at most this many points. */
const KEEP = 600;
const KEEP_MS = 3_600_000;

interface Sample {
  t: number;
  w: number;
}

function keep(s: Sample[]): Sample[] {
  const from = Date.now() - KEEP_MS;
  const recent = s.filter((x) => x.t >= from);
  return recent.length > KEEP ? recent.slice(-KEEP) : recent;
}

/** "45 s", "12 min", "1 h": a span for people. */
function spanText(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 120) return `${s} s`;
  const m = Math.round(s / 60);
  return m < 120 ? `${m} min` : `${Math.round(m / 60)} h`;
}

/**
 * The server's recent history of the chassis power reading, when the service
 * has one: the TelemetryService report (one hour window) whose metric is the
 * `total_power` Sensor's Reading, found through the definitions'
 * MetricProperties. Times are moved onto the browser's clock.
 */
async function powerHistory(chassis: string): Promise<Sample[]> {
  const property = `${chassis}/Sensors/total_power#/Reading`;
  const defs = await api.get('/redfish/v1/TelemetryService/MetricReportDefinitions?$expand=.');
  const def = ((defs.Members as Json[] | undefined) ?? []).find(
    (d) => d.ReportTimespan === 'PT1H' && (d.Metrics as Json[] | undefined)?.some((m) => (m.MetricProperties as string[] | undefined)?.includes(property)),
  );
  const link = def?.MetricReport?.['@odata.id'] as string | undefined;
  if (!link) return [];
  const report = await api.get(link);
  const skew = Date.now() - Date.parse(report.Timestamp as string);
  const out: Sample[] = [];
  for (const v of (report.MetricValues as Json[] | undefined) ?? []) {
    const t = Date.parse(v.Timestamp as string) + (Number.isFinite(skew) ? skew : 0);
    const w = Number(v.MetricValue);
    if (Number.isFinite(t) && Number.isFinite(w)) out.push({ t, w });
  }
  return out;
}

function errorText(e: unknown): string {
  return e instanceof ApiError ? e.message : String(e);
}

function watts(v: unknown): string {
  return typeof v === 'number' ? `${Number(v.toFixed(1))} W` : '—';
}

/**
 * A line chart of the samples: an inline SVG stretched to its box (the line
 * keeps its width), with the scale as HTML text so it stays legible on a phone.
 */
function PowerChart({ samples }: { samples: Sample[] }) {
  if (samples.length < 2) return <p class="muted">Collecting samples…</p>;
  const W = 600;
  const H = 160;
  const ws = samples.map((s) => s.w);
  let lo = Math.min(...ws);
  let hi = Math.max(...ws);
  if (hi - lo < 1) {
    lo -= 1;
    hi += 1;
  }
  lo = Math.max(0, Math.floor(lo - (hi - lo) * 0.1));
  hi = Math.ceil(hi + (hi - lo) * 0.1);
  const t0 = samples[0]!.t;
  const t1 = samples[samples.length - 1]!.t;
  const x = (t: number) => ((t - t0) / Math.max(1, t1 - t0)) * W;
  const y = (w: number) => (1 - (w - lo) / (hi - lo)) * H;
  const points = samples.map((s) => `${x(s.t).toFixed(1)},${y(s.w).toFixed(1)}`).join(' ');
  const span = spanText(t1 - t0);
  const last = ws[ws.length - 1]!;
  return (
    <div class="pw-chart" role="img" aria-label={`Power consumption over the last ${span}: from ${Math.min(...ws)} to ${Math.max(...ws)} watts, now ${last} watts`}>
      <div class="pw-y">
        <span>{hi} W</span>
        <span>{lo} W</span>
      </div>
      <svg viewBox={`0 0 ${W} ${H}`} preserveAspectRatio="none" aria-hidden="true">
        <line class="pw-grid" x1={0} y1={H / 2} x2={W} y2={H / 2} />
        <polyline class="pw-line" points={points} />
      </svg>
      <div class="pw-x">
        <span>−{span}</span>
        <span>now</span>
      </div>
    </div>
  );
}

export function Power({ host }: PageProps) {
  const system = useResource(host?.path, 5000);
  const [power, setPower] = useState<string | undefined>();
  const [message, setMessage] = useState<{ text: string; error?: boolean } | undefined>();
  const [policy, setPolicy] = useState<string | undefined>();
  const [policyMsg, setPolicyMsg] = useState<{ text: string; error?: boolean } | undefined>();
  const [metrics, setMetrics] = useState<{ control?: Json; env?: Json; error?: string }>({});
  const [samples, setSamples] = useState<Sample[]>([]);
  const [limitWatts, setLimitWatts] = useState('');
  const [limitException, setLimitException] = useState('NoAction');
  const [limitMsg, setLimitMsg] = useState<{ text: string; error?: boolean } | undefined>();
  const limitLoaded = useRef(false);

  useStream(host ? `/ws/sensors?system=${encodeURIComponent(host.id)}&interval=10000` : undefined, (m) => {
    if (m.type === 'snapshot' && typeof m.power === 'string') setPower(m.power);
    if (m.type === 'power' && typeof m.state === 'string') {
      setPower(m.state);
      system.refresh();
    }
  });

  // consumption: the legacy Power resource (it has min/max/average), else EnvironmentMetrics
  useEffect(() => {
    if (!host) return;
    let stop = false;
    setSamples([]);
    limitLoaded.current = false;
    const poll = async () => {
      let next: { control?: Json; env?: Json; error?: string };
      try {
        const p = await api.get(`${host.chassis}/Power`);
        next = { control: (p.PowerControl as Json[] | undefined)?.[0] };
      } catch {
        try {
          next = { env: await api.get(`${host.chassis}/EnvironmentMetrics`) };
        } catch (e) {
          next = { error: errorText(e) };
        }
      }
      if (stop) return;
      setMetrics(next);
      const w = next.control?.PowerConsumedWatts ?? next.env?.PowerWatts?.Reading;
      if (typeof w === 'number') setSamples((s) => keep([...s, { t: Date.now(), w }]));
      const limit = next.control?.PowerLimit as Json | undefined;
      if (limit && !limitLoaded.current) {
        limitLoaded.current = true;
        setLimitWatts(typeof limit.LimitInWatts === 'number' ? String(limit.LimitInWatts) : '');
        if (typeof limit.LimitException === 'string' && limit.LimitException in LIMIT_EXCEPTIONS) setLimitException(limit.LimitException);
      }
    };
    // the server's history first (when it keeps one), then the samples taken here
    powerHistory(host.chassis)
      .then((h) => {
        if (!stop && h.length) setSamples((s) => keep([...h.filter((x) => x.t < (s[0]?.t ?? Infinity)), ...s]));
      })
      .catch(() => undefined);
    void poll();
    const t = setInterval(() => void poll(), POLL_MS);
    return () => {
      stop = true;
      clearInterval(t);
    };
  }, [host?.chassis]);

  const s = system.data;
  const state = power ?? (s?.PowerState as string | undefined);
  const reset = s?.Actions?.['#ComputerSystem.Reset'] as Json | undefined;
  const allowed = (reset?.['ResetType@Redfish.AllowableValues'] as string[] | undefined) ?? ['On', 'ForceOff', 'GracefulShutdown', 'ForceRestart'];
  const offered = RESETS.filter((r) => allowed.includes(r.type));
  const policies = (s?.['PowerRestorePolicy@Redfish.AllowableValues'] as string[] | undefined) ?? Object.keys(POLICIES);
  const currentPolicy = s?.PowerRestorePolicy as string | undefined;
  const chosenPolicy = policy ?? currentPolicy ?? '';

  const act = async (r: (typeof RESETS)[number]) => {
    if (!host) return;
    if (!confirm(`${r.what} ${host.id}?`)) return;
    try {
      await api.post((reset?.target as string | undefined) ?? `${host.path}/Actions/ComputerSystem.Reset`, { ResetType: r.type });
      setMessage({ text: `${r.label} requested.` });
      system.refresh();
    } catch (e) {
      setMessage({ text: errorText(e), error: true });
    }
  };

  const savePolicy = async (e: Event) => {
    e.preventDefault();
    if (!host || !chosenPolicy) return;
    try {
      await api.patch(host.path, { PowerRestorePolicy: chosenPolicy });
      setPolicyMsg({ text: `Restore policy set to ${chosenPolicy}.` });
      setPolicy(undefined);
      system.refresh();
    } catch (err) {
      setPolicyMsg({ text: errorText(err), error: true });
    }
  };

  const patchLimit = async (PowerLimit: Json, done: string) => {
    if (!host) return;
    try {
      const p = await api.patch(`${host.chassis}/Power`, { PowerControl: [{ PowerLimit }] });
      const control = (p.PowerControl as Json[] | undefined)?.[0];
      if (control) setMetrics({ control });
      setLimitMsg({ text: done });
    } catch (err) {
      setLimitMsg({ text: errorText(err), error: true });
    }
  };

  const setLimit = async (e: Event) => {
    e.preventDefault();
    const n = Number(limitWatts);
    if (!Number.isInteger(n) || n < 1 || n > 65535) {
      setLimitMsg({ text: 'Enter a whole number of watts from 1 to 65535.', error: true });
      return;
    }
    if (limitException === 'HardPowerOff' && !confirm(`Power ${host?.id} off whenever it draws more than ${n} W?`)) return;
    await patchLimit({ LimitInWatts: n, LimitException: limitException }, `Power limit set to ${n} W.`);
  };

  const removeLimit = async () => {
    if (!confirm('Remove the power limit?')) return;
    await patchLimit({ LimitInWatts: null }, 'Power limit removed.');
    setLimitWatts('');
  };

  const c = metrics.control;
  const pm = c?.PowerMetrics as Json | undefined;
  const limit = c?.PowerLimit as Json | undefined;
  const now = c?.PowerConsumedWatts ?? metrics.env?.PowerWatts?.Reading;

  return (
    <div class="grid power">
      <section class="card" aria-labelledby="pw-state">
        <h2 id="pw-state">Power state</h2>
        <dl class="facts">
          <dt>Host</dt>
          <dd>{host?.id}</dd>
          <dt>Power</dt>
          <dd>
            <span class={`pill ${state === 'On' ? 'ok' : state === 'Off' ? 'off' : 'warn'}`} data-testid="power-state">
              {state ?? '…'}
            </span>
          </dd>
          <dt>Restore policy</dt>
          <dd data-testid="restore-policy">{currentPolicy ?? '—'}</dd>
        </dl>
        {api.can('operate') ? (
          <div class="actions" role="group" aria-label="Power actions">
            {offered.map((r) => (
              <button class={r.danger ? 'danger' : undefined} onClick={() => void act(r)} disabled={!state || (r.needsOn ? state !== 'On' : state === 'On')}>
                {r.label}
              </button>
            ))}
          </div>
        ) : (
          <p class="muted">Your role may view the power state but not change it.</p>
        )}
        {message && (
          <p role={message.error ? 'alert' : 'status'} class={message.error ? 'error' : undefined}>
            {message.text}
          </p>
        )}
        {system.error && (
          <p role="alert" class="error">
            {system.error}
          </p>
        )}
      </section>

      <section class="card" aria-labelledby="pw-policy">
        <h2 id="pw-policy">Power restore policy</h2>
        <p class="muted">What the host does when mains power returns after a loss: power on (always on), stay off (always off), or return to the state it was in (last state).</p>
        <form class="pw-form" onSubmit={(e) => void savePolicy(e)}>
          <label>
            <span id="pw-policy-label">Restore policy</span>
            <select aria-labelledby="pw-policy-label" value={chosenPolicy} disabled={!api.can('operate')} onChange={(e) => setPolicy((e.target as HTMLSelectElement).value)}>
              {policies.map((p) => (
                <option value={p}>{POLICIES[p] ?? p}</option>
              ))}
            </select>
          </label>
          {api.can('operate') && (
            <button type="submit" class="primary" disabled={!chosenPolicy || chosenPolicy === currentPolicy}>
              Apply policy
            </button>
          )}
        </form>
        {policyMsg && (
          <p role={policyMsg.error ? 'alert' : 'status'} class={policyMsg.error ? 'error' : undefined}>
            {policyMsg.text}
          </p>
        )}
      </section>

      <section class="card pw-wide" aria-labelledby="pw-usage">
        <h2 id="pw-usage">Power consumption</h2>
        <dl class="facts">
          <dt>Now</dt>
          <dd data-testid="power-now">{watts(now)}</dd>
          {pm && (
            <>
              <dt>Minimum</dt>
              <dd data-testid="power-min">{watts(pm.MinConsumedWatts)}</dd>
              <dt>Maximum</dt>
              <dd data-testid="power-max">{watts(pm.MaxConsumedWatts)}</dd>
              <dt>Average</dt>
              <dd data-testid="power-avg">{watts(pm.AverageConsumedWatts)}</dd>
              <dt>Over</dt>
              <dd>{typeof pm.IntervalInMin === 'number' ? (pm.IntervalInMin < 1 ? 'under a minute' : `${pm.IntervalInMin} min`) : '—'}</dd>
            </>
          )}
        </dl>
        {metrics.error && (
          <p role="alert" class="error">
            {metrics.error}
          </p>
        )}
        <h3>Recent samples</h3>
        <PowerChart samples={samples} />
        <p class="muted pw-note">The BMC's recent history where it keeps one, then a sample every {POLL_MS / 1000} s while this page is open.</p>
      </section>

      {limit && (
        <section class="card" aria-labelledby="pw-limit">
          <h2 id="pw-limit">Power limit</h2>
          <dl class="facts">
            <dt>Limit</dt>
            <dd data-testid="power-limit">{typeof limit.LimitInWatts === 'number' ? `${limit.LimitInWatts} W` : 'No limit'}</dd>
            <dt>When exceeded</dt>
            <dd>{LIMIT_EXCEPTIONS[limit.LimitException as string] ?? limit.LimitException ?? '—'}</dd>
            {typeof limit.CorrectionInMs === 'number' && (
              <>
                <dt>Correction time</dt>
                <dd>{limit.CorrectionInMs} ms</dd>
              </>
            )}
          </dl>
          {api.can('administer') ? (
            <form class="pw-form" onSubmit={(e) => void setLimit(e)}>
              <label>
                <span>Limit (watts)</span>
                <input type="number" inputMode="numeric" min={1} max={65535} step={1} value={limitWatts} onInput={(e) => setLimitWatts((e.target as HTMLInputElement).value)} />
              </label>
              <label>
                <span id="pw-exc-label">When exceeded</span>
                <select aria-labelledby="pw-exc-label" value={limitException} onChange={(e) => setLimitException((e.target as HTMLSelectElement).value)}>
                  {Object.entries(LIMIT_EXCEPTIONS).map(([k, v]) => (
                    <option value={k}>{v}</option>
                  ))}
                </select>
              </label>
              <div class="actions">
                <button type="submit" class="primary">
                  Set limit
                </button>
                <button type="button" onClick={() => void removeLimit()} disabled={typeof limit.LimitInWatts !== 'number'}>
                  Remove limit
                </button>
              </div>
            </form>
          ) : (
            <p class="muted">Only an Administrator may change the power limit.</p>
          )}
          {limitMsg && (
            <p role={limitMsg.error ? 'alert' : 'status'} class={limitMsg.error ? 'error' : undefined}>
              {limitMsg.text}
            </p>
          )}
        </section>
      )}
    </div>
  );
}
