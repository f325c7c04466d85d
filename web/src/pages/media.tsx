// Virtual media: the host's CD/DVD and USB drives (the System's VirtualMedia
// collection). Shows what is mounted and the BMC's download of it
// (Oem.Tsbmc.DownloadState, BytesTransferred, ImageSizeBytes), mounts an
// image by URL (#VirtualMedia.InsertMedia, the credentials write-only),
// uploads a file from this computer (the documented OEM action
// #TsbmcVirtualMedia.UploadMedia: the file as an octet-stream body, sent with
// XMLHttpRequest for its upload progress, cancellable) and ejects
// (#VirtualMedia.EjectMedia). Changing media needs ConfigureManager (a POST
// on VirtualMedia in DSP8011): Administrators only.
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError } from '../api';
import { useResource } from '../hooks';
import type { PageProps } from './index';
import './media.css';

type Json = Record<string, any>;

export function VirtualMedia({ host }: PageProps) {
  const [busy, setBusy] = useState(false);
  const list = useResource(host ? `${host.path}/VirtualMedia?$expand=.` : undefined, busy ? 1000 : 5000);
  const drives = (list.data?.Members as Json[] | undefined) ?? [];
  const downloading = drives.some((d) => d.Oem?.Tsbmc?.DownloadState === 'Downloading');
  // poll every second while a download runs, to show its progress
  useEffect(() => setBusy(downloading), [downloading]);
  return (
    <div class="grid media-grid">
      {list.error && (
        <p class="error" role="alert">
          {list.error}
        </p>
      )}
      {!list.data && !list.error && <p class="muted">Loading…</p>}
      {drives.map((d) => (
        <Drive key={d['@odata.id'] as string} drive={d} refresh={list.refresh} />
      ))}
    </div>
  );
}

/** Plain names for Redfish MediaType values. */
const MEDIA_NAMES: Readonly<Record<string, string>> = { USBStick: 'USB stick', CD: 'CD', DVD: 'DVD', Floppy: 'Floppy' };

function size(bytes: unknown): string {
  if (typeof bytes !== 'number') return '?';
  if (bytes >= 1 << 30) return `${(bytes / (1 << 30)).toFixed(1)} GiB`;
  if (bytes >= 1 << 20) return `${(bytes / (1 << 20)).toFixed(1)} MiB`;
  if (bytes >= 1 << 10) return `${(bytes / (1 << 10)).toFixed(0)} KiB`;
  return `${bytes} B`;
}

function Drive({ drive: d, refresh }: { drive: Json; refresh: () => void }) {
  const id = d.Id as string;
  const oem = (d.Oem?.Tsbmc as Json | undefined) ?? {};
  const state = oem.DownloadState as string | undefined;
  const [image, setImage] = useState('');
  const [user, setUser] = useState('');
  const [password, setPassword] = useState('');
  const [writeProtected, setWriteProtected] = useState(true);
  const [verify, setVerify] = useState(true);
  const [message, setMessage] = useState<{ text: string; error: boolean } | undefined>();
  const [sending, setSending] = useState(false);
  const insert = d.Actions?.['#VirtualMedia.InsertMedia']?.target as string | undefined;
  const eject = d.Actions?.['#VirtualMedia.EjectMedia']?.target as string | undefined;
  const upload = d.Actions?.Oem?.['#TsbmcVirtualMedia.UploadMedia']?.target as string | undefined;
  const [uploading, setUploading] = useState(false);
  const mounted = d.Image !== null && d.Image !== undefined;
  // what the service enforces: a POST or PATCH on VirtualMedia needs ConfigureManager
  const canOperate = api.can('administer');
  const heading = `m-${id}`;

  const mount = async (e: Event) => {
    e.preventDefault();
    if (!insert) return;
    setSending(true);
    setMessage(undefined);
    try {
      await api.post(insert, {
        Image: image.trim(),
        Inserted: true,
        WriteProtected: writeProtected,
        ...(image.trim().toLowerCase().startsWith('https:') ? { VerifyCertificate: verify } : {}),
        ...(user ? { UserName: user } : {}),
        ...(password ? { Password: password } : {}),
      });
      setMessage({ text: 'Mount requested: the BMC is fetching the image.', error: false });
      setImage('');
      setUser('');
      setPassword('');
      refresh();
    } catch (err) {
      setMessage({ text: err instanceof ApiError ? err.message : String(err), error: true });
    } finally {
      setPassword('');
      setSending(false);
    }
  };

  const doEject = async () => {
    if (!eject) return;
    if (!confirm(`Eject ${d.ImageName ?? 'the image'} from ${d.Name}? The host loses the device.`)) return;
    setSending(true);
    setMessage(undefined);
    try {
      await api.post(eject, {});
      setMessage({ text: 'Ejected.', error: false });
      refresh();
    } catch (err) {
      setMessage({ text: err instanceof ApiError ? err.message : String(err), error: true });
    } finally {
      setSending(false);
    }
  };

  const total = oem.ImageSizeBytes as number | null | undefined;
  const done = (oem.BytesTransferred as number | undefined) ?? 0;
  return (
    <section class="card" aria-labelledby={heading} data-testid={`media-${id}`}>
      <h2 id={heading}>{d.Name ?? id}</h2>
      <dl class="facts">
        <dt>Media</dt>
        <dd>{((d.MediaTypes as string[] | undefined) ?? []).map((t) => MEDIA_NAMES[t] ?? t).join(', ') || '—'}</dd>
        <dt>Inserted</dt>
        <dd>
          <span class={`pill ${d.Inserted ? 'ok' : 'off'}`} data-testid={`inserted-${id}`}>
            {d.Inserted ? 'Yes' : 'No'}
          </span>
        </dd>
        <dt>Image</dt>
        <dd data-testid={`image-name-${id}`}>{d.ImageName ?? '—'}</dd>
        {mounted && (
          <>
            <dt>Address</dt>
            <dd class="media-url">{String(d.Image).startsWith('upload:') ? 'Uploaded from a browser' : d.Image}</dd>
            <dt>Write protected</dt>
            <dd>{d.WriteProtected ? 'Yes' : 'No'}</dd>
          </>
        )}
        <dt>Download</dt>
        <dd>
          <span class={`pill ${state === 'Ready' ? 'ok' : state === 'Failed' ? 'crit' : state === 'Downloading' ? 'warn' : 'off'}`} data-testid={`download-${id}`}>
            {state ?? '—'}
          </span>
          {state === 'Downloading' && (
            <label class="media-progress">
              <span>
                {size(done)} of {size(total)}
              </span>
              <progress max={total ?? undefined} value={total ? done : undefined} aria-label={`Download of ${d.ImageName ?? 'the image'}`} />
            </label>
          )}
        </dd>
      </dl>
      {state === 'Failed' && (
        <p class="error">
          The download failed: {oem.FailureReason ?? (d.Status?.Conditions?.[0]?.Message as string | undefined) ?? 'unknown reason'}.
        </p>
      )}
      {canOperate && mounted && !uploading && (
        <div class="actions">
          <button class="danger" onClick={doEject} disabled={sending}>
            Eject
          </button>
        </div>
      )}
      {canOperate && !mounted && (
        <form class="media-form" onSubmit={mount} aria-label={`Mount an image on ${d.Name ?? id}`}>
          <h3>Mount an image</h3>
          <label>
            <span>Image address (HTTP or HTTPS)</span>
            <input
              type="url"
              required
              value={image}
              placeholder="https://server/images/live.iso"
              onInput={(e) => setImage((e.target as HTMLInputElement).value)}
            />
          </label>
          <div class="media-creds">
            <label>
              <span>User name (optional)</span>
              <input type="text" autocomplete="off" value={user} onInput={(e) => setUser((e.target as HTMLInputElement).value)} />
            </label>
            <label>
              <span>Password (optional)</span>
              <input type="password" autocomplete="new-password" value={password} onInput={(e) => setPassword((e.target as HTMLInputElement).value)} />
            </label>
          </div>
          <label class="check">
            <input type="checkbox" checked={writeProtected} onChange={(e) => setWriteProtected((e.target as HTMLInputElement).checked)} />
            <span>Write protected</span>
          </label>
          {image.trim().toLowerCase().startsWith('https:') && (
            <label class="check">
              <input type="checkbox" checked={verify} onChange={(e) => setVerify((e.target as HTMLInputElement).checked)} />
              <span>Verify the server's certificate</span>
            </label>
          )}
          <div class="actions">
            <button class="primary" type="submit" disabled={sending || !image.trim()}>
              Mount
            </button>
          </div>
          <p class="muted media-note">The user name and password are sent to the BMC for the download only; they are never shown again.</p>
        </form>
      )}
      {canOperate && (!mounted || uploading) && upload && (
        <Upload drive={d} target={upload} onBusy={setUploading} onDone={(text, error) => { setMessage({ text, error }); refresh(); }} />
      )}
      {!canOperate && <p class="muted">Your role can see the virtual media but not change it (Administrators only).</p>}
      <p role="status" class={message?.error ? 'error' : 'muted'}>
        {message?.text}
      </p>
    </section>
  );
}

/** The Redfish error message of an XMLHttpRequest's answer. */
function xhrError(xhr: XMLHttpRequest): string {
  try {
    const b = JSON.parse(xhr.responseText) as Json;
    const m = b.error?.['@Message.ExtendedInfo']?.[0]?.Message ?? b.error?.message;
    if (typeof m === 'string') return m;
  } catch {
    // not JSON: the status line says it
  }
  return `HTTP ${xhr.status} ${xhr.statusText}`.trim();
}

/**
 * Uploads a local file into the drive with the OEM UploadMedia action.
 * XMLHttpRequest, since fetch reports no upload progress; the session token
 * goes in X-Auth-Token as with every other call.
 */
function Upload({ drive: d, target, onBusy, onDone }: { drive: Json; target: string; onBusy: (b: boolean) => void; onDone: (text: string, error: boolean) => void }) {
  const id = d.Id as string;
  const max = d.Oem?.Tsbmc?.MaxImageSizeBytes as number | undefined;
  const [file, setFile] = useState<File | undefined>();
  const [progress, setProgress] = useState<{ sent: number; total: number } | undefined>();
  const [error, setError] = useState('');
  const xhr = useRef<XMLHttpRequest | undefined>();
  const input = useRef<HTMLInputElement>(null);
  // a page left during an upload cancels it
  useEffect(() => () => xhr.current?.abort(), []);

  const finish = (text: string, failed: boolean) => {
    xhr.current = undefined;
    setProgress(undefined);
    if (!failed) {
      setFile(undefined);
      if (input.current) input.current.value = '';
    }
    onBusy(false);
    // reported by the drive's card: this form may go once the drive shows the image
    onDone(text, failed);
  };

  const start = (e: Event) => {
    e.preventDefault();
    if (!file) return;
    setError('');
    if (max !== undefined && file.size > max) {
      setError(`The file is ${size(file.size)}; this drive takes images up to ${size(max)}.`);
      return;
    }
    const req = new XMLHttpRequest();
    xhr.current = req;
    req.open('POST', `${target}?name=${encodeURIComponent(file.name)}`);
    req.setRequestHeader('Content-Type', 'application/octet-stream');
    req.setRequestHeader('X-Requested-With', 'XMLHttpRequest');
    if (api.session) req.setRequestHeader('X-Auth-Token', api.session.token);
    req.upload.onprogress = (ev) => setProgress({ sent: ev.loaded, total: ev.lengthComputable ? ev.total : file.size });
    req.onload = () => {
      if (req.status === 401 && api.session) {
        api.forget();
        api.onExpired();
      }
      if (req.status >= 200 && req.status < 300) finish(`Uploaded ${file.name}: it is inserted.`, false);
      else finish(`The upload failed: ${xhrError(req)}`, true);
    };
    req.onerror = () => finish('The upload failed: the connection to the BMC was lost.', true);
    req.onabort = () => finish('Upload cancelled.', true);
    setProgress({ sent: 0, total: file.size });
    onBusy(true);
    req.send(file);
  };

  const pct = progress && progress.total > 0 ? Math.floor((progress.sent / progress.total) * 100) : 0;
  return (
    <form class="media-form" onSubmit={start} aria-label={`Upload an image to ${d.Name ?? id}`}>
      <h3>Upload an image</h3>
      <label>
        <span>Image file on this computer{max !== undefined ? ` (up to ${size(max)})` : ''}</span>
        <input
          ref={input}
          type="file"
          accept=".iso,.img,.raw,.bin,application/octet-stream"
          disabled={progress !== undefined}
          onChange={(e) => {
            setFile((e.target as HTMLInputElement).files?.[0]);
            setError('');
          }}
        />
      </label>
      {progress && (
        <label class="media-progress">
          <span data-testid={`upload-progress-${id}`}>
            {size(progress.sent)} of {size(progress.total)} ({pct} %)
          </span>
          <progress max={100} value={pct} aria-label={`Upload of ${file?.name ?? 'the image'}`} />
        </label>
      )}
      <div class="actions">
        {progress ? (
          <button type="button" onClick={() => xhr.current?.abort()}>
            Cancel upload
          </button>
        ) : (
          <button class="primary" type="submit" disabled={!file}>
            Upload
          </button>
        )}
      </div>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}
