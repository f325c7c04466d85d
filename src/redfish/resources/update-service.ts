// UpdateService (v1_17_0) and its FirmwareInventory (SoftwareInventory
// v1_13_0): firmware updates by SimpleUpdate (the BMC downloads ImageURI over
// HTTP or HTTPS), by an octet-stream push to HttpPushUri, and by a multipart
// push to MultipartHttpPushUri (DSP0266 12.6.2: an `UpdateParameters` JSON
// part and an `UpdateFile` part). Each answers 202 Accepted with a task
// monitor (task-service.ts); the model (model/firmware.ts) verifies, writes
// and stages the image, which activates on the next reset of what it updates.
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Bmc } from '../../model/bmc.js';
import type { FirmwareComponent, ImageSource } from '../../model/firmware.js';
import { readBody } from '../body.js';
import { paths, ROOT } from '../ids.js';
import { Base, Errors, MessageRegistry, RedfishError } from '../messages.js';
import type { HandlerResult, JsonObject, RequestContext, RouteDef, Upload } from '../router.js';
import { collection, odataType } from '../schemas.js';
import { accepted } from './task-service.js';

const SERVICE = `${ROOT}/UpdateService`;
const INVENTORY = `${SERVICE}/FirmwareInventory`;
const SIMPLE_UPDATE = `${SERVICE}/Actions/UpdateService.SimpleUpdate`;
const ACTION_INFO = `${SERVICE}/SimpleUpdateActionInfo`;
export const PUSH_URI = `${SERVICE}/update`;
export const MULTIPART_PUSH_URI = `${SERVICE}/update-multipart`;
/** The largest image accepted (pushed or downloaded). */
export const IMAGE_LIMIT = 64 * 1024 * 1024;
const DOWNLOAD_TIMEOUT_MS = 60_000;
const ACTION = 'UpdateService.SimpleUpdate';
const PROTOCOLS = ['HTTP', 'HTTPS'] as const;
/** Schemes of DMTF's TransferProtocolType that this service does not fetch. */
const OTHER_SCHEMES: Readonly<Record<string, string>> = { ftp: 'FTP', sftp: 'SFTP', tftp: 'TFTP', scp: 'SCP', nfs: 'NFS', cifs: 'CIFS', smb: 'CIFS', file: 'OEM' };
const Update = MessageRegistry.load('Update.1.3.0.json');

const inventoryPath = (id: string) => `${INVENTORY}/${encodeURIComponent(id)}`;
const STAGED_SUFFIX = '-staged';

function relatedItems(bmc: Bmc, c: FirmwareComponent): string[] {
  if (c.kind === 'bmc') return [paths.manager()];
  if (c.kind === 'bios') {
    const h = c.host === undefined ? undefined : bmc.host(c.host);
    return h ? [paths.system(bmc, h)] : [];
  }
  return bmc.hosts.map((h) => paths.chassis(bmc, h));
}

/** The SoftwareInventory entry of a component's running image. */
export function softwareInventoryBody(bmc: Bmc, c: FirmwareComponent): JsonObject {
  const related = relatedItems(bmc, c);
  return {
    '@odata.id': inventoryPath(c.id),
    '@odata.type': odataType('SoftwareInventory'),
    Id: c.id,
    Name: c.name,
    Description: `${c.name}, running image`,
    SoftwareId: c.id,
    Version: c.version,
    ReleaseDate: c.releaseDate,
    Manufacturer: c.manufacturer,
    Updateable: c.updateable,
    WriteProtected: false,
    Active: true,
    Staged: false,
    ResetRequiredOnUpdate: c.activation !== 'none',
    Status: { State: c.updating ? 'Updating' : 'Enabled', Health: 'OK' },
    RelatedItem: related.map((p) => ({ '@odata.id': p })),
    'RelatedItem@odata.count': related.length,
  };
}

/** The entry of an image written and waiting for activation. */
function stagedBody(bmc: Bmc, c: FirmwareComponent): JsonObject | undefined {
  const p = c.pending;
  if (!p) return undefined;
  const related = relatedItems(bmc, c);
  const activation = c.activation === 'manager-reset' ? 'the next manager reset' : c.activation === 'host-reset' ? 'the next host power-on or reset' : 'the next power-on';
  return {
    '@odata.id': inventoryPath(c.id + STAGED_SUFFIX),
    '@odata.type': odataType('SoftwareInventory'),
    Id: c.id + STAGED_SUFFIX,
    Name: `${c.name} (staged)`,
    Description: `${c.name}, image ${p.imageName} staged; activates on ${activation}`,
    SoftwareId: c.id,
    Version: p.version,
    ...(p.releaseDate ? { ReleaseDate: p.releaseDate } : {}),
    Manufacturer: c.manufacturer,
    Updateable: false,
    Active: false,
    Staged: true,
    SizeBytes: p.sizeBytes,
    Status: { State: 'StandbyOffline', Health: 'OK' },
    RelatedItem: related.map((x) => ({ '@odata.id': x })),
    'RelatedItem@odata.count': related.length,
  };
}

function serviceBody(ctx: RequestContext): JsonObject {
  return {
    '@odata.id': SERVICE,
    '@odata.type': odataType('UpdateService'),
    Id: 'UpdateService',
    Name: 'Update Service',
    Description: 'Firmware updates of the BMC, BIOS and CPLD',
    ServiceEnabled: true,
    Status: { State: 'Enabled', Health: 'OK' },
    HttpPushUri: PUSH_URI,
    MultipartHttpPushUri: MULTIPART_PUSH_URI,
    HttpPushUriOptions: { HttpPushUriApplyTime: { ApplyTime: 'OnReset' } },
    HttpPushUriOptionsBusy: ctx.bmc.firmware.activeUpdate !== undefined,
    MaxImageSizeBytes: IMAGE_LIMIT,
    VerifyRemoteServerCertificate: false,
    FirmwareInventory: { '@odata.id': INVENTORY },
    Actions: {
      '#UpdateService.SimpleUpdate': {
        target: SIMPLE_UPDATE,
        '@Redfish.ActionInfo': ACTION_INFO,
        'TransferProtocol@Redfish.AllowableValues': [...PROTOCOLS],
      },
    },
  };
}

function actionInfoBody(ctx: RequestContext): JsonObject {
  const targets = ctx.bmc.firmware.components().filter((c) => c.updateable).map((c) => inventoryPath(c.id));
  return {
    '@odata.id': ACTION_INFO,
    '@odata.type': odataType('ActionInfo'),
    Id: 'SimpleUpdateActionInfo',
    Name: 'SimpleUpdate Action Info',
    Parameters: [
      { Name: 'ImageURI', Required: true, DataType: 'String' },
      { Name: 'TransferProtocol', Required: false, DataType: 'String', AllowableValues: [...PROTOCOLS] },
      { Name: 'Targets', Required: false, DataType: 'StringArray', ArraySizeMaximum: targets.length, AllowableValues: targets },
      { Name: 'Username', Required: false, DataType: 'String' },
      { Name: 'Password', Required: false, DataType: 'String' },
    ],
  };
}

function inventoryEntry(ctx: RequestContext): JsonObject {
  const id = ctx.params.SoftwareId ?? '';
  const fw = ctx.bmc.firmware;
  const c = fw.component(id);
  if (c) return softwareInventoryBody(ctx.bmc, c);
  if (id.endsWith(STAGED_SUFFIX)) {
    const base = fw.component(id.slice(0, -STAGED_SUFFIX.length));
    const staged = base && stagedBody(ctx.bmc, base);
    if (staged) return staged;
  }
  throw Errors.notFound('SoftwareInventory', id);
}

function inventoryMembers(bmc: Bmc): string[] {
  const out: string[] = [];
  for (const c of bmc.firmware.components()) {
    out.push(inventoryPath(c.id));
    if (c.pending) out.push(inventoryPath(c.id + STAGED_SUFFIX));
  }
  return out;
}

/** Resolves Targets (inventory entries, the Manager, a System) to component ids. */
function resolveTargets(bmc: Bmc, targets: readonly string[] | undefined, param: string, action: string | undefined): string[] | undefined {
  if (!targets || targets.length === 0) return undefined;
  const ids = new Set<string>();
  for (const raw of targets) {
    const t = raw.length > 1 ? raw.replace(/\/+$/, '') : raw;
    let id: string | undefined;
    const c = bmc.firmware.components().find((x) => inventoryPath(x.id) === t);
    if (c?.updateable) id = c.id;
    else if (t === paths.manager()) id = 'bmc';
    else {
      const h = bmc.hosts.find((x) => paths.system(bmc, x) === t);
      if (h) id = bmc.firmware.bios(h.index)?.id;
    }
    if (!id) {
      throw action
        ? Errors.actionParameterNotInList(raw, param, action)
        : new RedfishError(400, [Base.message('PropertyValueNotInList', [raw, param], [`#/${param}`])]);
    }
    ids.add(id);
  }
  return [...ids];
}

function busy(): RedfishError {
  return new RedfishError(503, [Base.message('ServiceTemporarilyUnavailable', ['10']), Update.message('UpdateInProgress')], { 'Retry-After': '10' });
}

/** Creates the task and hands the image to the model; answers 202 with the task monitor. */
function startUpdate(ctx: RequestContext, opts: { imageName: string; targets: string[] | undefined; source: ImageSource; payload: string }): HandlerResult {
  const fw = ctx.bmc.firmware;
  if (fw.activeUpdate) throw busy();
  const task = ctx.bmc.tasks.create({
    name: `Firmware update (${opts.imageName})`,
    owner: ctx.principal?.userName ?? '',
    payload: { operation: 'POST', target: ctx.path, body: opts.payload },
  });
  if (task === 'task-limit') throw new RedfishError(503, [Base.message('ServiceTemporarilyUnavailable', ['10'])], { 'Retry-After': '10' });
  const refusal = fw.update({ task, imageName: opts.imageName, ...(opts.targets ? { targets: opts.targets } : {}), source: opts.source });
  if (refusal) {
    task.fail();
    throw busy();
  }
  ctx.services.log.info('firmware update started', { task: task.id, image: opts.imageName, user: ctx.principal?.userName });
  return accepted(task);
}

interface SimpleUpdateBody {
  ImageURI: string;
  TransferProtocol?: string;
  Targets?: string[];
  Username?: string;
  Password?: string;
  '@Redfish.OperationApplyTime'?: string;
}

/** ImageURI and TransferProtocol → the URL to download (DSP0266: a URI without a scheme takes TransferProtocol's). */
export function imageUrl(uri: string, protocol: string | undefined): URL {
  if (protocol !== undefined && !(PROTOCOLS as readonly string[]).includes(protocol)) throw Errors.actionParameterNotInList(protocol, 'TransferProtocol', ACTION);
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(uri)?.[1]?.toLowerCase();
  if (scheme !== undefined && scheme !== 'http' && scheme !== 'https') {
    const other = OTHER_SCHEMES[scheme];
    if (other) throw Errors.actionParameterNotInList(other, 'TransferProtocol', ACTION);
    throw new RedfishError(400, [Base.message('ActionParameterValueFormatError', [uri, 'ImageURI', ACTION])]);
  }
  if (scheme !== undefined && protocol !== undefined && scheme.toUpperCase() !== protocol) {
    throw new RedfishError(400, [Base.message('ActionParameterValueConflict', ['TransferProtocol', protocol])]);
  }
  if (scheme === undefined && protocol === undefined) throw new RedfishError(400, [Base.message('ActionParameterValueFormatError', [uri, 'ImageURI', ACTION])]);
  let url: URL;
  try {
    url = new URL(scheme === undefined ? `${protocol!.toLowerCase()}://${uri}` : uri);
  } catch {
    throw new RedfishError(400, [Base.message('ActionParameterValueFormatError', [uri, 'ImageURI', ACTION])]);
  }
  if (!url.hostname) throw new RedfishError(400, [Base.message('ActionParameterValueFormatError', [uri, 'ImageURI', ACTION])]);
  return url;
}

/** The last path segment of a URL (the image's file name), bounded. */
function fileNameOf(url: URL): string {
  const last = url.pathname.split('/').pop() ?? '';
  let name: string;
  try {
    name = decodeURIComponent(last);
  } catch {
    name = last;
  }
  return (name || 'image').slice(0, 128);
}

/** Downloads an image with node's http/https client: bounded size and time, progress from Content-Length. */
export function downloader(url: URL, auth: { username?: string; password?: string }): ImageSource {
  return (onProgress, signal) =>
    new Promise<Uint8Array>((resolve, reject) => {
      const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
      const credentials = auth.username !== undefined ? `${auth.username}:${auth.password ?? ''}` : url.username ? `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}` : undefined;
      const req = request(
        url,
        { method: 'GET', signal, timeout: DOWNLOAD_TIMEOUT_MS, rejectUnauthorized: false, ...(credentials ? { auth: credentials } : {}) },
        (res: IncomingMessage) => {
          if (res.statusCode !== 200) {
            res.resume();
            reject(new Error(`HTTP ${res.statusCode ?? 0}`));
            return;
          }
          const total = Number(res.headers['content-length']);
          if (total > IMAGE_LIMIT) {
            res.destroy();
            reject(new Error('image too large'));
            return;
          }
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (d: Buffer) => {
            size += d.length;
            if (size > IMAGE_LIMIT) {
              res.destroy(new Error('image too large'));
              return;
            }
            chunks.push(d);
            if (total > 0) onProgress(size / total);
          });
          res.on('error', reject);
          res.on('end', () => {
            onProgress(1);
            resolve(new Uint8Array(Buffer.concat(chunks)));
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', reject);
      req.end();
    });
}

function simpleUpdate(ctx: RequestContext): HandlerResult {
  const b = readBody<SimpleUpdateBody>(
    ctx.body,
    {
      ImageURI: { type: 'string', maxLength: 2048 },
      TransferProtocol: { type: 'string' },
      Targets: { type: 'array', items: { type: 'string', maxLength: 256 }, maxItems: 16 },
      Username: { type: 'string', maxLength: 64 },
      Password: { type: 'string', maxLength: 256 },
      '@Redfish.OperationApplyTime': { type: 'string', enum: ['OnReset', 'Immediate'] },
    },
    { required: ['ImageURI'], action: ACTION },
  );
  const url = imageUrl(b.ImageURI, b.TransferProtocol);
  const targets = resolveTargets(ctx.bmc, b.Targets, 'Targets', ACTION);
  const shown = { ...b, ...(b.Password !== undefined ? { Password: null } : {}) };
  return startUpdate(ctx, {
    imageName: fileNameOf(url),
    targets,
    source: downloader(url, { ...(b.Username !== undefined ? { username: b.Username } : {}), ...(b.Password !== undefined ? { password: b.Password } : {}) }),
    payload: JSON.stringify(shown),
  });
}

const unrecognized = () => new RedfishError(400, [Base.message('UnrecognizedRequestBody')]);

/** HttpPushUri: the request body is the image (application/octet-stream). */
function httpPush(ctx: RequestContext): HandlerResult {
  const up = ctx.upload;
  if (!up || !/^application\/octet-stream\b/i.test(up.contentType)) throw unrecognized();
  const bytes = up.bytes;
  return startUpdate(ctx, { imageName: 'image.bin', targets: undefined, source: async () => bytes, payload: `(${bytes.length} bytes)` });
}

export interface MultipartPart {
  readonly name: string;
  readonly fileName: string | undefined;
  readonly contentType: string | undefined;
  readonly body: Uint8Array;
}

const MAX_PARTS = 8;
const MAX_PART_HEADER = 8192;

/**
 * Splits a multipart/form-data body (RFC 7578) into its parts; undefined
 * when it is malformed. Bounded: at most 8 parts, 8 KiB of headers each.
 */
export function parseMultipart(contentType: string, body: Uint8Array): MultipartPart[] | undefined {
  const m = /;\s*boundary=(?:"([^"]{1,70})"|([^\s;]{1,70}))/i.exec(contentType);
  const boundary = m?.[1] ?? m?.[2];
  if (!boundary || !/^multipart\/form-data\b/i.test(contentType)) return undefined;
  const buf = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const delim = Buffer.from(`--${boundary}`, 'latin1');
  const next = Buffer.from(`\r\n--${boundary}`, 'latin1');
  let pos = buf.indexOf(delim);
  if (pos < 0) return undefined;
  pos += delim.length;
  const parts: MultipartPart[] = [];
  for (;;) {
    if (buf[pos] === 0x2d && buf[pos + 1] === 0x2d) return parts;
    while (buf[pos] === 0x20 || buf[pos] === 0x09) pos++;
    if (buf[pos] !== 0x0d || buf[pos + 1] !== 0x0a) return undefined;
    pos += 2;
    const headerEnd = buf.indexOf('\r\n\r\n', pos, 'latin1');
    if (headerEnd < 0 || headerEnd - pos > MAX_PART_HEADER) return undefined;
    const headers = new Map<string, string>();
    for (const line of buf.subarray(pos, headerEnd).toString('utf8').split('\r\n')) {
      const i = line.indexOf(':');
      if (i <= 0) return undefined;
      headers.set(line.slice(0, i).trim().toLowerCase(), line.slice(i + 1).trim());
    }
    const end = buf.indexOf(next, headerEnd + 4);
    if (end < 0) return undefined;
    const disposition = headers.get('content-disposition') ?? '';
    if (!/^form-data\b/i.test(disposition)) return undefined;
    const name = /;\s*name="([^"]*)"/i.exec(disposition)?.[1] ?? /;\s*name=([^;\s]+)/i.exec(disposition)?.[1];
    if (name === undefined) return undefined;
    const fileName = /;\s*filename="([^"]*)"/i.exec(disposition)?.[1] ?? /;\s*filename=([^;\s]+)/i.exec(disposition)?.[1];
    parts.push({ name, fileName, contentType: headers.get('content-type'), body: new Uint8Array(buf.subarray(headerEnd + 4, end)) });
    if (parts.length > MAX_PARTS) return undefined;
    pos = end + next.length;
  }
}

/** MultipartHttpPushUri: UpdateParameters (JSON) and UpdateFile (the image). */
function multipartPush(ctx: RequestContext): HandlerResult {
  const up: Upload | undefined = ctx.upload;
  if (!up) throw unrecognized();
  const parts = parseMultipart(up.contentType, up.bytes);
  if (!parts) throw unrecognized();
  const paramsPart = parts.find((p) => p.name === 'UpdateParameters');
  const file = parts.find((p) => p.name === 'UpdateFile');
  if (!paramsPart) throw Errors.propertyMissing('UpdateParameters');
  if (!file) throw Errors.propertyMissing('UpdateFile');
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(paramsPart.body).toString('utf8'));
  } catch {
    throw Errors.malformedJson();
  }
  const params = readBody<{ Targets?: string[]; '@Redfish.OperationApplyTime'?: string; ForceUpdate?: boolean }>(
    json,
    {
      Targets: { type: 'array', items: { type: 'string', maxLength: 256 }, maxItems: 16 },
      '@Redfish.OperationApplyTime': { type: 'string', enum: ['OnReset', 'Immediate'] },
      ForceUpdate: { type: 'boolean' },
    },
    { allowEmpty: true },
  );
  const targets = resolveTargets(ctx.bmc, params.Targets, 'Targets', undefined);
  const bytes = file.body;
  const imageName = (file.fileName?.split(/[\\/]/).pop() || 'image.bin').slice(0, 128);
  return startUpdate(ctx, { imageName, targets, source: async () => bytes, payload: JSON.stringify(json) });
}

export function updateServiceRoutes(): RouteDef[] {
  return [
    { path: SERVICE, entity: 'UpdateService', get: serviceBody },
    { path: ACTION_INFO, entity: 'UpdateService', get: actionInfoBody },
    { path: SIMPLE_UPDATE, entity: 'UpdateService', post: simpleUpdate },
    { path: PUSH_URI, entity: 'UpdateService', post: httpPush },
    { path: MULTIPART_PUSH_URI, entity: 'UpdateService', post: multipartPush },
    { path: INVENTORY, entity: 'SoftwareInventoryCollection', get: (ctx) => collection('SoftwareInventory', INVENTORY, 'Firmware Inventory', inventoryMembers(ctx.bmc)) },
    { path: `${INVENTORY}/{SoftwareId}`, entity: 'SoftwareInventory', get: inventoryEntry },
  ];
}
