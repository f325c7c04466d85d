// Inventory: what the host is made of, as Redfish reports it. Identity (the
// System, the Chassis and its Assembly, i.e. the FRU data IPMI shows too,
// with the AssetTag editable by operators), processors, memory slots
// (populated and absent), network adapters with their MACs, drives (each
// Storage's Drives) and firmware (UpdateService FirmwareInventory).
import { isValidElement, type ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, ApiError } from '../api';
import { useResource } from '../hooks';
import type { PageProps } from './index';
import './inventory.css';

type Json = Record<string, any>;

const members = (c: Json | undefined) => (c?.Members as Json[] | undefined) ?? [];
const dash = (v: unknown) => (v === undefined || v === null || v === '' ? '—' : String(v));

function bytes(n: unknown): string {
  if (typeof n !== 'number') return '—';
  // drives are sold in decimal units
  return n >= 1e12 ? `${(n / 1e12).toFixed(1)} TB` : `${(n / 1e9).toFixed(0)} GB`;
}

/** "Maker Model", unless the model already names its maker. */
function withMaker(maker: unknown, model: unknown): string | undefined {
  if (typeof model !== 'string' || !model) return typeof maker === 'string' ? maker : undefined;
  if (typeof maker !== 'string' || !maker || model.toLowerCase().startsWith(maker.toLowerCase())) return model;
  return `${maker} ${model}`;
}

function Status({ s }: { s: Json | undefined }) {
  const state = s?.State as string | undefined;
  const health = s?.Health as string | undefined;
  if (state === 'Absent') return <span class="pill off">Absent</span>;
  const cls = health === 'Critical' ? 'crit' : health === 'Warning' ? 'warn' : health === 'OK' ? 'ok' : 'off';
  return <span class={`pill ${cls}`}>{health ?? state ?? '—'}</span>;
}

export function Inventory({ host }: PageProps) {
  const system = useResource(host?.path);
  const chassis = useResource(host?.chassis);
  const assembly = useResource(chassis.data?.Assembly?.['@odata.id'] as string | undefined);
  const cpus = useResource(host ? `${host.path}/Processors?$expand=.` : undefined);
  const memory = useResource(host ? `${host.path}/Memory?$expand=.` : undefined);
  const nics = useResource(host ? `${host.path}/EthernetInterfaces?$expand=.` : undefined);
  const storage = useResource(host ? `${host.path}/Storage?$expand=.` : undefined);
  const firmware = useResource('/redfish/v1/UpdateService/FirmwareInventory?$expand=.');
  const drives = useDrives(storage.data);

  const dimms = members(memory.data);
  const present = dimms.filter((m) => m.Status?.State !== 'Absent');
  const totalMiB = present.reduce((n, m) => n + (typeof m.CapacityMiB === 'number' ? m.CapacityMiB : 0), 0);

  return (
    <div class="inventory">
      <section class="card" aria-labelledby="i-identity">
        <h2 id="i-identity">Identity</h2>
        <div class="inv-identity">
          <div>
            <h3>System</h3>
            <dl class="facts">
              <dt>Manufacturer</dt>
              <dd>{dash(system.data?.Manufacturer)}</dd>
              <dt>Model</dt>
              <dd>{dash(system.data?.Model)}</dd>
              <dt>Serial number</dt>
              <dd data-testid="system-serial">{dash(system.data?.SerialNumber)}</dd>
              <dt>Part number</dt>
              <dd>{dash(system.data?.PartNumber)}</dd>
              <dt>SKU</dt>
              <dd>{dash(system.data?.SKU)}</dd>
              <dt>UUID</dt>
              <dd class="inv-wrap">{dash(system.data?.UUID)}</dd>
              <dt>Asset tag</dt>
              <dd data-testid="asset-tag">{dash(system.data?.AssetTag)}</dd>
            </dl>
            {api.can('operate') && host && system.data && <AssetTag path={host.path} current={(system.data.AssetTag as string | undefined) ?? ''} onSaved={system.refresh} />}
          </div>
          <div>
            <h3>Chassis</h3>
            <dl class="facts">
              <dt>Type</dt>
              <dd>{dash(chassis.data?.ChassisType)}</dd>
              <dt>Manufacturer</dt>
              <dd>{dash(chassis.data?.Manufacturer)}</dd>
              <dt>Model</dt>
              <dd>{dash(chassis.data?.Model)}</dd>
              <dt>Serial number</dt>
              <dd>{dash(chassis.data?.SerialNumber)}</dd>
              <dt>Part number</dt>
              <dd>{dash(chassis.data?.PartNumber)}</dd>
            </dl>
          </div>
        </div>
        {members({ Members: assembly.data?.Assemblies }).length > 0 && (
          <>
            <h3>Assemblies (FRU)</h3>
            <Table
              label="Assemblies"
              head={['Name', 'Model', 'Manufacturer', 'Part number', 'Serial number', 'Made']}
              rows={(assembly.data!.Assemblies as Json[]).map((a) => [a.Name, a.Model, a.Producer ?? a.Vendor, a.PartNumber, a.SerialNumber, a.ProductionDate ? new Date(a.ProductionDate as string).toLocaleDateString() : undefined])}
            />
          </>
        )}
      </section>

      <section class="card" aria-labelledby="i-cpu">
        <h2 id="i-cpu">Processors</h2>
        <Table
          label="Processors"
          testid="inv-cpus"
          head={['Socket', 'Model', 'Cores / threads', 'Max speed', 'Status']}
          rows={members(cpus.data).map((p) => [
            p.Socket ?? p.Id,
            p.Model,
            p.TotalCores !== undefined ? `${p.TotalCores} / ${p.TotalThreads ?? '?'}` : undefined,
            p.MaxSpeedMHz !== undefined ? `${p.MaxSpeedMHz} MHz` : undefined,
            <Status s={p.Status} />,
          ])}
          empty={cpus.error ?? 'No processors reported.'}
        />
      </section>

      <section class="card" aria-labelledby="i-mem">
        <h2 id="i-mem">Memory</h2>
        {memory.data && (
          <p class="muted" data-testid="inv-mem-summary">
            {present.length} of {dimms.length} slots populated, {totalMiB / 1024} GiB in total.
          </p>
        )}
        <Table
          label="Memory slots"
          testid="inv-memory"
          head={['Slot', 'Size', 'Type', 'Speed', 'Manufacturer', 'Part number', 'Serial number', 'Status']}
          rows={dimms.map((m) => [
            m.DeviceLocator ?? m.Id,
            typeof m.CapacityMiB === 'number' ? `${m.CapacityMiB / 1024} GiB` : undefined,
            m.MemoryDeviceType,
            m.OperatingSpeedMhz !== undefined ? `${m.OperatingSpeedMhz} MT/s` : undefined,
            m.Manufacturer,
            m.PartNumber,
            m.SerialNumber,
            <Status s={m.Status} />,
          ])}
          empty={memory.error ?? 'No memory reported.'}
        />
      </section>

      <section class="card" aria-labelledby="i-nic">
        <h2 id="i-nic">Network adapters</h2>
        <Table
          label="Network adapters"
          testid="inv-nics"
          head={['Name', 'MAC address', 'Link', 'Speed', 'Status']}
          rows={members(nics.data).map((n) => [
            n.Name ?? n.Id,
            <code>{dash(n.MACAddress)}</code>,
            n.LinkStatus,
            n.SpeedMbps !== undefined ? `${n.SpeedMbps} Mb/s` : undefined,
            <Status s={n.Status} />,
          ])}
          empty={nics.error ?? 'No network adapters reported.'}
        />
      </section>

      <section class="card" aria-labelledby="i-drives">
        <h2 id="i-drives">Drives</h2>
        <Table
          label="Drives"
          testid="inv-drives"
          head={['Name', 'Controller', 'Model', 'Serial number', 'Capacity', 'Media', 'Protocol', 'Status']}
          rows={drives.list.map(({ drive: d, controller }) => [
            d.Name ?? d.Id,
            controller,
            withMaker(d.Manufacturer, d.Model),
            d.SerialNumber,
            bytes(d.CapacityBytes),
            d.MediaType,
            d.Protocol,
            <Status s={d.Status} />,
          ])}
          empty={storage.error ?? drives.error ?? (drives.loading ? 'Loading…' : 'No drives reported.')}
        />
      </section>

      <section class="card" aria-labelledby="i-fw">
        <h2 id="i-fw">Firmware</h2>
        <Table
          label="Firmware"
          testid="inv-firmware"
          head={['Component', 'Version', 'Released', 'Updateable', 'Status']}
          rows={members(firmware.data).map((f) => [
            f.Name ?? f.Id,
            f.Version,
            f.ReleaseDate ? new Date(f.ReleaseDate as string).toLocaleDateString() : undefined,
            f.Updateable ? 'Yes' : 'No',
            <Status s={f.Status} />,
          ])}
          empty={firmware.error ?? 'No firmware reported.'}
        />
      </section>
    </div>
  );
}

/** Every drive of every Storage resource (each one GET: Drives are links). */
function useDrives(storage: Json | undefined): { list: { drive: Json; controller: string }[]; loading: boolean; error: string | undefined } {
  const [state, setState] = useState<{ list: { drive: Json; controller: string }[]; loading: boolean; error: string | undefined }>({ list: [], loading: true, error: undefined });
  useEffect(() => {
    if (!storage) return;
    let live = true;
    const wanted = members(storage).flatMap((s) =>
      ((s.Drives as Json[] | undefined) ?? []).map((d) => ({ path: d['@odata.id'] as string, controller: String(s.Name ?? s.Id) })),
    );
    Promise.all(wanted.map(async (w) => ({ drive: await api.get(w.path), controller: w.controller })))
      .then((list) => live && setState({ list, loading: false, error: undefined }))
      .catch((e: unknown) => live && setState({ list: [], loading: false, error: e instanceof ApiError ? e.message : String(e) }));
    return () => {
      live = false;
    };
  }, [storage]);
  return state;
}

type Cell = unknown;

function Table({ label, head, rows, empty, testid }: { label: string; head: string[]; rows: Cell[][]; empty?: string; testid?: string }) {
  if (rows.length === 0) return <p class="muted">{empty ?? 'None.'}</p>;
  return (
    <div class="inv-table" role="region" aria-label={label} tabIndex={0}>
      <table class="compact" data-testid={testid}>
        <thead>
          <tr>
            {head.map((h) => (
              <th scope="col">{h}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map(([first, ...rest]) => (
            <tr>
              <th scope="row">{cell(first)}</th>
              {rest.map((c) => (
                <td>{cell(c)}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function cell(c: Cell): ComponentChildren {
  return isValidElement(c) ? c : dash(c);
}

function AssetTag({ path, current, onSaved }: { path: string; current: string; onSaved: () => void }) {
  const [value, setValue] = useState(current);
  const [message, setMessage] = useState<{ text: string; error: boolean } | undefined>();
  const [saving, setSaving] = useState(false);
  useEffect(() => setValue(current), [current]);
  const save = async (e: Event) => {
    e.preventDefault();
    setSaving(true);
    try {
      await api.patch(path, { AssetTag: value });
      setMessage({ text: 'Asset tag saved.', error: false });
      onSaved();
    } catch (err) {
      setMessage({ text: err instanceof ApiError ? err.message : String(err), error: true });
    } finally {
      setSaving(false);
    }
  };
  return (
    <form class="inv-asset" onSubmit={save}>
      <label>
        <span>Asset tag</span>
        <input type="text" maxLength={63} pattern="[\x20-\x7e]*" value={value} onInput={(e) => setValue((e.target as HTMLInputElement).value)} />
      </label>
      <button type="submit" disabled={saving || value === current}>
        Save asset tag
      </button>
      <p role="status" class={message?.error ? 'error' : 'muted'}>
        {message?.text}
      </p>
    </form>
  );
}
