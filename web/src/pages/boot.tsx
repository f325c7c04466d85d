// Boot: the next boot device (the System's Boot.BootSourceOverrideTarget,
// with the allowable values the service lists), once / continuous /
// disabled, UEFI or Legacy, and the URI for UEFI HTTP boot. One PATCH of the
// System. The override is the host's own boot options, shared with IPMI
// (Chassis Boot Options parameter 5): `ipmitool chassis bootdev` shows here.
import { useEffect, useState } from 'preact/hooks';
import { api, ApiError } from '../api';
import { useResource } from '../hooks';
import type { PageProps } from './index';
import './boot.css';

/** Plain names for Redfish BootSource values. */
const TARGET_NAMES: Readonly<Record<string, string>> = {
  None: 'No override (the normal boot order)',
  Pxe: 'Network (PXE)',
  Hdd: 'Hard disk',
  Cd: 'CD/DVD',
  Usb: 'USB',
  BiosSetup: 'BIOS setup',
  UefiHttp: 'UEFI HTTP boot',
  Diags: 'Diagnostics partition',
  Floppy: 'Floppy / removable media',
  UefiShell: 'UEFI shell',
  UefiTarget: 'UEFI device path',
  SDCard: 'SD card',
  Utilities: 'Utilities',
  RemoteDrive: 'Remote drive',
  UefiBootNext: 'UEFI BootNext',
  Recovery: 'Recovery',
};

const ENABLED = [
  { value: 'Once', label: 'Next boot only' },
  { value: 'Continuous', label: 'Every boot' },
  { value: 'Disabled', label: 'Disabled (the normal boot order)' },
] as const;

const MODES = [
  { value: 'UEFI', label: 'UEFI' },
  { value: 'Legacy', label: 'Legacy BIOS' },
] as const;

interface Form {
  target: string;
  enabled: string;
  mode: string;
  uri: string;
}

const targetName = (t: string | undefined) => (t ? `${TARGET_NAMES[t] ?? t} (${t})` : '—');

export function Boot({ host }: PageProps) {
  const system = useResource(host?.path, 10000);
  // the PATCH answer (the System as saved) until the next GET arrives
  const [saved, setSaved] = useState<Record<string, any> | undefined>();
  useEffect(() => setSaved(undefined), [system.data]);
  const boot = (saved ?? system.data)?.Boot as Record<string, any> | undefined;
  const [form, setForm] = useState<Form | undefined>();
  const [dirty, setDirty] = useState(false);
  const [saving, setSaving] = useState(false);
  const [message, setMessage] = useState<{ text: string; error: boolean } | undefined>();
  const canOperate = api.can('operate');

  // follow the service (IPMI may change it too) unless the user is editing
  useEffect(() => {
    if (!boot || dirty) return;
    setForm({
      target: String(boot.BootSourceOverrideTarget ?? 'None'),
      enabled: String(boot.BootSourceOverrideEnabled ?? 'Disabled'),
      mode: String(boot.BootSourceOverrideMode ?? 'UEFI'),
      uri: (boot.HttpBootUri as string | null | undefined) ?? '',
    });
  }, [boot, dirty]);

  const targets = (boot?.['BootSourceOverrideTarget@Redfish.AllowableValues'] as string[] | undefined) ?? Object.keys(TARGET_NAMES).slice(0, 9);
  const modes = (boot?.['BootSourceOverrideMode@Redfish.AllowableValues'] as string[] | undefined) ?? ['UEFI', 'Legacy'];

  const edit = (patch: Partial<Form>) => {
    if (!form) return;
    setForm({ ...form, ...patch });
    setDirty(true);
    setMessage(undefined);
  };

  const save = async (e: Event) => {
    e.preventDefault();
    if (!form || !host) return;
    const Boot: Record<string, unknown> = {
      BootSourceOverrideTarget: form.target,
      BootSourceOverrideEnabled: form.enabled,
      BootSourceOverrideMode: form.mode,
    };
    if (form.target === 'UefiHttp') Boot.HttpBootUri = form.uri.trim() || null;
    setSaving(true);
    try {
      setSaved(await api.patch(host.path, { Boot }));
      setMessage({ text: 'Boot override saved.', error: false });
      setDirty(false);
      system.refresh();
    } catch (err) {
      setMessage({ text: err instanceof ApiError ? err.message : String(err), error: true });
    } finally {
      setSaving(false);
    }
  };

  const revert = () => {
    setDirty(false);
    setMessage(undefined);
    system.refresh();
  };

  return (
    <div class="grid boot-grid">
      <section class="card" aria-labelledby="b-current">
        <h2 id="b-current">Current setting</h2>
        {system.error && (
          <p class="error" role="alert">
            {system.error}
          </p>
        )}
        <dl class="facts">
          <dt>Boot device</dt>
          <dd data-testid="boot-current-target">{targetName(boot?.BootSourceOverrideTarget as string | undefined)}</dd>
          <dt>Applies</dt>
          <dd data-testid="boot-current-enabled">{ENABLED.find((x) => x.value === boot?.BootSourceOverrideEnabled)?.label ?? boot?.BootSourceOverrideEnabled ?? '—'}</dd>
          <dt>Mode</dt>
          <dd>{boot?.BootSourceOverrideMode ?? '—'}</dd>
          {boot?.HttpBootUri && (
            <>
              <dt>HTTP boot URI</dt>
              <dd class="boot-uri">{boot.HttpBootUri}</dd>
            </>
          )}
          <dt>Last boot</dt>
          <dd>{system.data?.BootProgress?.LastState ?? '—'}</dd>
        </dl>
        <p class="muted boot-note">The same setting as IPMI's boot options (ipmitool chassis bootdev): a change made there shows here.</p>
      </section>

      <section class="card" aria-labelledby="b-change">
        <h2 id="b-change">Change the next boot</h2>
        {!canOperate && <p class="muted">Your role can see the boot override but not change it.</p>}
        {form && (
          <form class="boot-form" onSubmit={save}>
            <fieldset disabled={!canOperate || saving}>
              <label>
                <span>Boot device</span>
                <select value={form.target} onChange={(e) => edit({ target: (e.target as HTMLSelectElement).value })}>
                  {targets.map((t) => (
                    <option value={t}>{targetName(t)}</option>
                  ))}
                </select>
              </label>
              {form.target === 'UefiHttp' && (
                <label>
                  <span>HTTP boot URI</span>
                  <input
                    type="url"
                    value={form.uri}
                    placeholder="http://server/boot/image.efi"
                    onInput={(e) => edit({ uri: (e.target as HTMLInputElement).value })}
                  />
                </label>
              )}
              <fieldset class="boot-choice">
                <legend>Applies to</legend>
                {ENABLED.map((o) => (
                  <label class="check">
                    <input type="radio" name="boot-enabled" value={o.value} checked={form.enabled === o.value} onChange={() => edit({ enabled: o.value })} />
                    <span>{o.label}</span>
                  </label>
                ))}
              </fieldset>
              <fieldset class="boot-choice">
                <legend>Boot mode</legend>
                {MODES.filter((m) => modes.includes(m.value)).map((o) => (
                  <label class="check">
                    <input type="radio" name="boot-mode" value={o.value} checked={form.mode === o.value} onChange={() => edit({ mode: o.value })} />
                    <span>{o.label}</span>
                  </label>
                ))}
              </fieldset>
              <div class="actions">
                <button class="primary" type="submit" disabled={!dirty}>
                  Save
                </button>
                <button type="button" onClick={revert} disabled={!dirty}>
                  Discard changes
                </button>
              </div>
            </fieldset>
          </form>
        )}
        <p role="status" class={message?.error ? 'error' : 'muted'}>
          {message?.text}
        </p>
      </section>
    </div>
  );
}
