// Maintenance: firmware updates (UpdateService MultipartHttpPushUri with
// UpdateParameters, followed through the task monitor), the firmware
// inventory before and after (running and staged images), BMC restart
// (Manager.Reset), reset to defaults (Manager.ResetToDefaults) and the
// support bundle (LogService.CollectDiagnosticData on the Manager's
// Diagnostics log, then its LogEntry's AdditionalDataURI). Redfish only.
import { useState } from 'preact/hooks';
import { api, ApiError } from '../api';
import { useResource, when } from '../hooks';
import type { PageProps } from './index';
import { errText, OutcomeText, useAction, type Json } from './settings-common';
import './maintenance.css';

const MANAGER = '/redfish/v1/Managers/bmc';
const UPDATE_SERVICE = '/redfish/v1/UpdateService';
const INVENTORY = `${UPDATE_SERVICE}/FirmwareInventory`;
const DIAGNOSTICS = `${MANAGER}/LogServices/Diagnostics`;

interface Progress {
  key: number;
  label: string;
  percent: number;
  state: string;
  message: string | undefined;
  /** "BIOS: 1.0.0 → 2.2.0 (staged)", once the update has completed. */
  result?: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A request with the session token whose body is not JSON (an upload) or whose answer is a file. */
async function raw(method: string, path: string, body?: BodyInit, contentType?: string): Promise<Response> {
  const headers: Record<string, string> = { 'X-Requested-With': 'XMLHttpRequest' };
  if (contentType) headers['Content-Type'] = contentType;
  if (api.session) headers['X-Auth-Token'] = api.session.token;
  const r = await fetch(path, { method, headers, ...(body !== undefined ? { body } : {}) });
  if (r.status === 401 && api.session) {
    api.forget();
    api.onExpired();
  }
  if (!r.ok) {
    let message = r.statusText || `HTTP ${r.status}`;
    try {
      const b = (await r.json()) as Json;
      message = b.error?.['@Message.ExtendedInfo']?.[0]?.Message ?? b.error?.message ?? message;
    } catch {
      /* not JSON */
    }
    throw new ApiError({ status: r.status, message });
  }
  return r;
}

/** Polls a task monitor until the task ends, reporting each state; returns the final Task. */
async function follow(monitor: string, onTask: (t: Json) => void): Promise<Json> {
  for (;;) {
    const t = await api.get(monitor);
    onTask(t);
    if (['Completed', 'Exception', 'Cancelled', 'Killed'].includes(t.TaskState as string)) return t;
    await sleep(1000);
  }
}

function lastMessage(t: Json): string | undefined {
  const m = (t.Messages as Json[] | undefined) ?? [];
  return m[m.length - 1]?.Message as string | undefined;
}

export function Maintenance(_props: PageProps) {
  const admin = api.can('administer');
  return (
    <div class="grid maintenance">
      <FirmwareSection operate={api.can('operate')} />
      {admin ? (
        <>
          <RestartSection />
          <ResetDefaultsSection />
          <SupportBundleSection />
        </>
      ) : (
        <section class="card" aria-labelledby="m-admin">
          <h2 id="m-admin">BMC maintenance</h2>
          <p class="muted">Only administrators restart the BMC, reset it to defaults or collect support bundles.</p>
        </section>
      )}
    </div>
  );
}

// ---- firmware --------------------------------------------------------------------

function FirmwareSection({ operate }: { operate: boolean }) {
  const inventory = useResource(`${INVENTORY}?$expand=.`, 10000);
  const service = useResource(UPDATE_SERVICE);
  const [file, setFile] = useState<File | undefined>();
  const [target, setTarget] = useState('');
  const [updates, setUpdates] = useState<Progress[]>([]);
  const action = useAction();
  const members = (inventory.data?.Members as Json[] | undefined) ?? [];
  const running = members.filter((m) => !m.Staged);
  const staged = members.filter((m) => m.Staged);
  const updateable = running.filter((m) => m.Updateable);

  const upload = (e: Event) => {
    e.preventDefault();
    if (!file) return;
    const pushUri = (service.data?.MultipartHttpPushUri as string | undefined) ?? `${UPDATE_SERVICE}/update-multipart`;
    const label = target ? (running.find((m) => m['@odata.id'] === target)?.Name as string | undefined) ?? target : file.name;
    const key = Date.now();
    // what ran and what was staged before, to tell what this update staged
    const before = new Map(running.map((m) => [m.SoftwareId as string, m.Version as string]));
    const stagedBefore = new Set(staged.map((m) => `${m.SoftwareId}:${m.Version}`));
    const targetId = running.find((m) => m['@odata.id'] === target)?.SoftwareId as string | undefined;
    const set = (p: Partial<Progress>) => setUpdates((list) => list.map((u) => (u.key === key ? { ...u, ...p } : u)));
    void action.run(async () => {
      const form = new FormData();
      form.append('UpdateParameters', new Blob([JSON.stringify(target ? { Targets: [target] } : {})], { type: 'application/json' }));
      form.append('UpdateFile', file, file.name);
      setUpdates((list) => [{ key, label, percent: 0, state: 'Uploading', message: undefined }, ...list.slice(0, 4)]);
      let monitor: string;
      try {
        const r = await raw('POST', pushUri, form);
        monitor = r.headers.get('Location') ?? '';
      } catch (err) {
        set({ state: 'Failed', message: errText(err) });
        throw err;
      }
      const t = await follow(monitor, (t) => set({ percent: Number(t.PercentComplete ?? 0), state: t.TaskState as string, message: lastMessage(t) }));
      inventory.refresh();
      if (t.TaskState !== 'Completed') throw new Error(`The update ended in ${t.TaskState}: ${lastMessage(t) ?? ''}`);
      const now = ((await api.get(`${INVENTORY}?$expand=.`)).Members as Json[]).filter((m) => m.Staged);
      const mine = now.find((m) => m.SoftwareId === targetId) ?? now.find((m) => !stagedBefore.has(`${m.SoftwareId}:${m.Version}`));
      if (mine) {
        const name = (running.find((m) => m.SoftwareId === mine.SoftwareId)?.Name as string | undefined) ?? (mine.SoftwareId as string);
        set({ result: `${name}: ${before.get(mine.SoftwareId as string) ?? '—'} → ${mine.Version as string} (staged)` });
      }
      return `Firmware image ${file.name} written and staged; it activates at the component's next reset.`;
    });
  };

  return (
    <section class="card wide" aria-labelledby="m-fw">
      <h2 id="m-fw">Firmware</h2>
      {inventory.error && <p role="alert" class="error">{inventory.error}</p>}
      <div class="scroll">
        <table class="compact" data-testid="firmware-inventory">
          <thead>
            <tr>
              <th scope="col">Component</th>
              <th scope="col">Running version</th>
              <th scope="col">Staged version</th>
              <th scope="col">Released</th>
            </tr>
          </thead>
          <tbody>
            {running.map((m) => {
              const s = staged.find((x) => x.SoftwareId === m.SoftwareId);
              return (
                <tr data-testid={`fw-${m.Id}`}>
                  <th scope="row">{m.Name}</th>
                  <td>{m.Version}</td>
                  <td>
                    {s ? (
                      <>
                        <span class="pill warn">Staged</span> {s.Version}
                        <div class="muted small">{(s.Description as string | undefined)?.replace(/^.*activates on /, 'Activates on ') ?? ''}</div>
                      </>
                    ) : (
                      <span class="muted">—</span>
                    )}
                  </td>
                  <td>{m.ReleaseDate ? when(m.ReleaseDate).split(',')[0] : '—'}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      {operate && (
        <form class="form" onSubmit={upload} aria-labelledby="m-fw-update">
          <h3 id="m-fw-update">Update firmware</h3>
          <div class="row">
            <label>
              Firmware image
              <input type="file" required accept=".bin,.img,.rom,.fw,.cap,application/octet-stream" onChange={(e) => setFile(e.currentTarget.files?.[0])} />
            </label>
            <label>
              Component to update
              <select value={target} onChange={(e) => setTarget(e.currentTarget.value)}>
                <option value="">As the image says</option>
                {updateable.map((m) => (
                  <option value={m['@odata.id']}>{m.Name}</option>
                ))}
              </select>
            </label>
          </div>
          <p class="muted">The image is checked, written and staged; it becomes active at the component's next reset (the BMC's restart, the host's next power-on).</p>
          <div class="actions">
            <button class="primary" type="submit" disabled={!file || action.busy || service.data?.HttpPushUriOptionsBusy === true}>
              Upload and update
            </button>
          </div>
        </form>
      )}
      {updates.length > 0 && (
        <ul class="plain updates" aria-label="Firmware updates">
          {updates.map((u) => {
            return (
              <li>
                <div class="update-head">
                  <strong>{u.label}</strong> <span class={`pill ${u.state === 'Completed' ? 'ok' : u.state === 'Exception' || u.state === 'Failed' ? 'crit' : 'warn'}`}>{u.state}</span>
                </div>
                <progress max={100} value={u.percent} aria-label={`Update progress for ${u.label}`} />
                <span class="percent">{u.percent} %</span>
                {u.message && <div class="muted small">{u.message}</div>}
                {u.result && (
                  <div class="small" data-testid="update-result">
                    {u.result}
                  </div>
                )}
              </li>
            );
          })}
        </ul>
      )}
      <OutcomeText outcome={action.outcome} />
    </section>
  );
}

// ---- restart and reset ---------------------------------------------------------------

function RestartSection() {
  const manager = useResource(MANAGER, 10000);
  const action = useAction();
  const restart = () => {
    if (!confirm('Restart the BMC? A staged BMC firmware image becomes active; management connections may drop for a moment.')) return;
    void action.run(async () => {
      await api.post(`${MANAGER}/Actions/Manager.Reset`, { ResetType: 'GracefulRestart' });
      manager.refresh();
      return 'BMC restart requested.';
    });
  };
  return (
    <section class="card" aria-labelledby="m-restart">
      <h2 id="m-restart">Restart the BMC</h2>
      <dl class="facts">
        <dt>Firmware</dt>
        <dd>{manager.data?.FirmwareVersion ?? '—'}</dd>
        <dt>BMC time</dt>
        <dd>{when(manager.data?.DateTime)}</dd>
      </dl>
      <p class="muted">The host keeps running. A staged BMC image is activated.</p>
      <div class="actions">
        <button type="button" onClick={restart} disabled={action.busy}>
          Restart BMC
        </button>
      </div>
      <OutcomeText outcome={action.outcome} />
    </section>
  );
}

const RESET_TYPES: readonly { id: string; label: string; what: string }[] = [
  { id: 'PreserveNetworkAndUsers', label: 'Keep network settings and users', what: 'Clears the event log, restores the power restore policy, boot options and NTP servers to their defaults.' },
  { id: 'ResetAll', label: 'Everything, including the network', what: 'As above, and the BMC network (address, VLAN, cipher suites, alert destinations) goes back to its defaults: you may lose your connection.' },
];
const CONFIRM_WORD = 'RESET';

function ResetDefaultsSection() {
  const manager = useResource(MANAGER);
  const allowed = (manager.data?.Actions?.['#Manager.ResetToDefaults']?.['ResetType@Redfish.AllowableValues'] as string[] | undefined) ?? RESET_TYPES.map((t) => t.id);
  const [type, setType] = useState('PreserveNetworkAndUsers');
  const [typed, setTyped] = useState('');
  const action = useAction();
  const choice = RESET_TYPES.find((t) => t.id === type);
  const submit = (e: Event) => {
    e.preventDefault();
    if (typed !== CONFIRM_WORD) return;
    if (!confirm(`Reset the BMC to defaults (${choice?.label ?? type})? This cannot be undone.`)) return;
    void action.run(async () => {
      await api.post(`${MANAGER}/Actions/Manager.ResetToDefaults`, { ResetType: type });
      setTyped('');
      return 'The BMC was reset to its defaults.';
    });
  };
  return (
    <section class="card" aria-labelledby="m-defaults">
      <h2 id="m-defaults">Reset to defaults</h2>
      <form class="form first" onSubmit={submit}>
        <fieldset class="stack">
          <legend>What to reset</legend>
          {RESET_TYPES.filter((t) => allowed.includes(t.id)).map((t) => (
            <label class="inline">
              <input type="radio" name="reset-type" value={t.id} checked={type === t.id} onChange={() => setType(t.id)} /> {t.label}
            </label>
          ))}
        </fieldset>
        <p class="muted">{choice?.what} User accounts, the audit log and the TLS certificate are never reset.</p>
        <label>
          Type {CONFIRM_WORD} to confirm
          <input value={typed} autoComplete="off" onInput={(e) => setTyped(e.currentTarget.value)} />
        </label>
        <div class="actions">
          <button class="danger" type="submit" disabled={typed !== CONFIRM_WORD || action.busy}>
            Reset to defaults
          </button>
        </div>
        <OutcomeText outcome={action.outcome} />
      </form>
    </section>
  );
}

// ---- support bundle ---------------------------------------------------------------------

/** Fetches a bundle with the session token and hands it to the browser as a download. */
async function download(uri: string, name: string): Promise<void> {
  const r = await raw('GET', uri);
  const blob = await r.blob();
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

function bundleName(e: Json): string {
  return `tsbmc-diagnostics-${String(e.Id)}.json`;
}

function SupportBundleSection() {
  const entries = useResource(`${DIAGNOSTICS}/Entries`);
  const [percent, setPercent] = useState<number | undefined>();
  const action = useAction();
  const list = ((entries.data?.Members as Json[] | undefined) ?? []).slice().reverse();
  const collect = () => {
    void action.run(async () => {
      setPercent(0);
      const r = await raw('POST', `${DIAGNOSTICS}/Actions/LogService.CollectDiagnosticData`, JSON.stringify({ DiagnosticDataType: 'Manager' }), 'application/json');
      const monitor = r.headers.get('Location') ?? '';
      const t = await follow(monitor, (t) => setPercent(Number(t.PercentComplete ?? 0)));
      if (t.TaskState !== 'Completed') throw new Error(`Collecting failed: ${lastMessage(t) ?? t.TaskState}`);
      // the entry carries the Id of the task that made it
      const entry = await api.get(`${DIAGNOSTICS}/Entries/${encodeURIComponent(t.Id as string)}`);
      entries.refresh();
      await download(entry.AdditionalDataURI as string, bundleName(entry));
      return 'Support bundle collected and downloaded.';
    });
  };
  return (
    <section class="card" aria-labelledby="m-bundle">
      <h2 id="m-bundle">Support bundle</h2>
      <p class="muted">Logs and configuration for a support case: device and firmware versions, network settings, users (never passwords), event log, audit log, sensor readings and recent console output.</p>
      <div class="actions">
        <button type="button" class="primary" onClick={collect} disabled={action.busy}>
          Collect and download support bundle
        </button>
      </div>
      {percent !== undefined && action.busy && <progress max={100} value={percent} aria-label="Support bundle progress" />}
      <OutcomeText outcome={action.outcome} />
      {list.length > 0 && (
        <>
          <h3>Earlier bundles</h3>
          <ul class="plain">
            {list.map((e) => (
              <li>
                <button type="button" class="link" onClick={() => void action.run(async () => download(e.AdditionalDataURI as string, bundleName(e)))}>
                  Download bundle {e.Id}
                </button>{' '}
                <span class="muted small">
                  {when(e.Created)} · {Math.ceil(Number(e.AdditionalDataSizeBytes ?? 0) / 1024)} KiB
                </span>
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}
