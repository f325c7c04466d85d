// Dashboard: host power and health at a glance, sensors needing attention,
// recent events by severity, quick power actions, firmware and BMC network.
import { useState } from 'preact/hooks';
import { api, ApiError } from '../api';
import { useResource, useStream, when } from '../hooks';
import type { PageProps } from './index';

type Json = Record<string, any>;

const DAY = 24 * 3600 * 1000;

export function Dashboard({ host }: PageProps) {
  const system = useResource(host?.path, 5000);
  const [power, setPower] = useState<string | undefined>();
  const sensors = useResource(host ? `${host.chassis}/Sensors?$expand=.` : undefined, 10000);
  const log = useResource(host ? `${host.path}/LogServices/EventLog/Entries` : undefined, 15000);
  const manager = useResource('/redfish/v1/Managers/bmc');
  const eth = useResource('/redfish/v1/Managers/bmc/EthernetInterfaces/eth0');
  const firmware = useResource('/redfish/v1/UpdateService/FirmwareInventory?$expand=.');
  const [message, setMessage] = useState<string | undefined>();

  useStream(host ? `/ws/sensors?system=${encodeURIComponent(host.id)}` : undefined, (m) => {
    if (m.type === 'power' && typeof m.state === 'string') setPower(m.state);
    if (m.type === 'power' || m.type === 'health') system.refresh();
  });

  const s = system.data;
  const powerState = power ?? (s?.PowerState as string | undefined);
  const attention = ((sensors.data?.Members as Json[] | undefined) ?? []).filter((x) => x.Status?.Health && x.Status.Health !== 'OK');
  const entries = (log.data?.Members as Json[] | undefined) ?? [];
  const now = Date.now();
  const count = (days: number, sev: string) => entries.filter((e) => e.Severity === sev && now - Date.parse(e.Created as string) < days * DAY).length;

  const act = async (ResetType: string) => {
    if (!host) return;
    if (!confirm(`${ResetType} ${host.id}?`)) return;
    try {
      await api.post(`${host.path}/Actions/ComputerSystem.Reset`, { ResetType });
      setMessage(`${ResetType} requested.`);
      system.refresh();
    } catch (e) {
      setMessage(e instanceof ApiError ? e.message : String(e));
    }
  };

  return (
    <div class="grid">
      <section class="card" aria-labelledby="d-host">
        <h2 id="d-host">Host {host?.id}</h2>
        <dl class="facts">
          <dt>Power</dt>
          <dd>
            <span class={`pill ${powerState === 'On' ? 'ok' : 'off'}`} data-testid="power-state">
              {powerState ?? '…'}
            </span>
          </dd>
          <dt>Health</dt>
          <dd>
            <span class={`pill ${healthClass(s?.Status?.Health)}`} data-testid="health">
              {s?.Status?.Health ?? '—'}
            </span>
          </dd>
          <dt>Up for</dt>
          <dd data-testid="host-uptime">{s?.LastResetTime ? since(s.LastResetTime as string) : '—'}</dd>
          <dt>Power cycles</dt>
          <dd data-testid="power-cycles">{s?.Oem?.Tsbmc?.PowerCycles ?? '—'}</dd>
          <dt>Model</dt>
          <dd>{s?.Model ?? '—'}</dd>
          <dt>Serial</dt>
          <dd>{s?.SerialNumber ?? '—'}</dd>
          <dt>BIOS</dt>
          <dd>{s?.BiosVersion ?? '—'}</dd>
        </dl>
        {api.can('operate') && (
          <div class="actions" role="group" aria-label="Power actions">
            <button onClick={() => act('On')} disabled={powerState === 'On'}>
              Power on
            </button>
            <button onClick={() => act('GracefulShutdown')} disabled={powerState !== 'On'}>
              Shut down
            </button>
            <button class="danger" onClick={() => act('ForceOff')} disabled={powerState !== 'On'}>
              Power off
            </button>
            <button onClick={() => act('ForceRestart')} disabled={powerState !== 'On'}>
              Reset
            </button>
          </div>
        )}
        {message && <p role="status">{message}</p>}
      </section>

      <section class="card" aria-labelledby="d-attention">
        <h2 id="d-attention">Sensors needing attention</h2>
        {attention.length === 0 ? (
          <p class="muted" data-testid="attention-none">
            All sensors are within their thresholds.
          </p>
        ) : (
          <ul class="plain">
            {attention.map((x) => (
              <li>
                <span class={`pill ${healthClass(x.Status.Health)}`}>{x.Status.Health}</span> {x.Name}: {x.Reading ?? 'n/a'} {x.ReadingUnits ?? ''}
              </li>
            ))}
          </ul>
        )}
      </section>

      <section class="card" aria-labelledby="d-events">
        <h2 id="d-events">Events</h2>
        <table class="compact">
          <thead>
            <tr>
              <th scope="col">Severity</th>
              <th scope="col">Today</th>
              <th scope="col">30 days</th>
            </tr>
          </thead>
          <tbody>
            {['Critical', 'Warning', 'OK'].map((sev) => (
              <tr>
                <th scope="row">{sev}</th>
                <td>{count(1, sev)}</td>
                <td>{count(30, sev)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>

      <section class="card" aria-labelledby="d-bmc">
        <h2 id="d-bmc">BMC</h2>
        <dl class="facts">
          <dt>Firmware</dt>
          <dd>{manager.data?.FirmwareVersion ?? '—'}</dd>
          <dt>Up for</dt>
          <dd data-testid="bmc-uptime">{manager.data?.LastResetTime ? since(manager.data.LastResetTime as string) : '—'}</dd>
          <dt>Date and time</dt>
          <dd>{when(manager.data?.DateTime)}</dd>
          <dt>Address</dt>
          <dd>{eth.data?.IPv4Addresses?.[0]?.Address ?? '—'}</dd>
          <dt>MAC</dt>
          <dd>{eth.data?.MACAddress ?? '—'}</dd>
        </dl>
        <h3>Firmware inventory</h3>
        <ul class="plain">
          {((firmware.data?.Members as Json[] | undefined) ?? []).map((f) => (
            <li>
              {f.Name}: {f.Version}
            </li>
          ))}
        </ul>
      </section>
    </div>
  );
}

/** "3 d 4 h", "2 h 5 min", "45 s" since an ISO time. */
export function since(iso: string): string {
  const s = Math.max(0, Math.floor((Date.now() - Date.parse(iso)) / 1000));
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d > 0) return `${d} d ${h} h`;
  if (h > 0) return `${h} h ${m} min`;
  if (m > 0) return `${m} min`;
  return `${s} s`;
}

export function healthClass(h: string | undefined): string {
  return h === 'Critical' ? 'crit' : h === 'Warning' ? 'warn' : h === 'OK' ? 'ok' : 'off';
}
