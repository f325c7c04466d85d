// VirtualMedia (VirtualMedia v1_6_5) and its collections, under the System
// (what Ironic uses) and under the Manager (what older clients use): both
// show the same drives of the same host (model/media.ts). Actions
// #VirtualMedia.InsertMedia (the BMC downloads Image over HTTP/HTTPS in the
// background) and #VirtualMedia.EjectMedia; PATCH of Image/Inserted as the
// alternative some clients take. Download credentials are write-only.
// Also the ComputerSystem's BootProgress (what the firmware booted last).
//
// OEM action #TsbmcVirtualMedia.UploadMedia (in Actions.Oem of each drive;
// what the web console uses to mount an image from the operator's computer):
//   POST <drive>/Actions/Oem/TsbmcVirtualMedia.UploadMedia?name=boot.iso[&WriteProtected=true|false]
//   Content-Type: application/octet-stream, Content-Length: <size>, body = the image.
// The body is streamed into the media cache, never buffered (router
// `streamPost`); it needs the privilege of a POST on the VirtualMedia entity
// (ConfigureManager in DSP8011). `name` is a plain file name (1-255
// printable characters, no / or \, not . or ..). Content-Length is
// required (411 HeaderMissing) and must not exceed Oem.Tsbmc.MaxImageSizeBytes
// (413 PayloadTooLarge); a drive holding or fetching media answers 409
// ResourceInUse. While the bytes arrive the drive shows DownloadState
// Downloading with BytesTransferred; once all have arrived (204) it shows
// Inserted, ImageName = name, Image = `upload:<name percent-encoded>` (a URI
// naming no server), TransferMethod Upload, ConnectedVia URI. An upload cut
// short leaves the drive empty and no file behind.
import type { Bmc } from '../../model/bmc.js';
import type { Host } from '../../model/host.js';
import { SLOTS, type InsertRequest, type MediaFailure, type MediaRefusal, type MediaSlotId, type SlotState, type TransferMethod } from '../../model/media.js';
import { readBody, type Spec } from '../body.js';
import { hostBySystemId, paths, requireManager, ROOT } from '../ids.js';
import { Base, Errors, RedfishError, type RedfishMessage } from '../messages.js';
import type { HandlerResult, JsonObject, RequestContext, RouteDef } from '../router.js';
import { collection, odataType } from '../schemas.js';

const INSERT = 'VirtualMedia.InsertMedia';
const EJECT = 'VirtualMedia.EjectMedia';
const UPLOAD = 'TsbmcVirtualMedia.UploadMedia';
const NAME_MAX = 255;
const PROTOCOLS = ['HTTP', 'HTTPS'] as const;
const METHODS: readonly TransferMethod[] = ['Stream', 'Upload'];
/** URL schemes of DMTF's TransferProtocolType that this service does not fetch. */
const OTHER_SCHEMES: Readonly<Record<string, string>> = { ftp: 'FTP', sftp: 'SFTP', tftp: 'TFTP', scp: 'SCP', nfs: 'NFS', cifs: 'CIFS', smb: 'CIFS', file: 'OEM' };

/** One drive as a resource: the host it belongs to, its slot and where it is shown. */
interface Located {
  readonly host: Host;
  readonly slot: MediaSlotId;
  readonly id: string;
  readonly path: string;
}

const systemCollectionPath = (bmc: Bmc, host: Host) => `${paths.system(bmc, host)}/VirtualMedia`;
const managerCollectionPath = () => `${paths.manager()}/VirtualMedia`;

/** The System-side path of a host's drive (used by the EventService too). */
export function systemMediaPath(bmc: Bmc, host: Host, slot: string): string {
  const def = SLOTS.find((s) => s.id === slot);
  return `${systemCollectionPath(bmc, host)}/${def?.id ?? 'CD'}`;
}

/** The Manager shows every host's drives: CD and USB for one host, CD0, USB0, CD1, ... for several. */
function managerDrives(bmc: Bmc): Located[] {
  const out: Located[] = [];
  for (const host of bmc.hosts) {
    for (const def of SLOTS) {
      const id = bmc.hosts.length === 1 ? def.id : `${def.id}${host.index}`;
      out.push({ host, slot: def.id, id, path: `${managerCollectionPath()}/${id}` });
    }
  }
  return out;
}

function systemDrives(bmc: Bmc, host: Host): Located[] {
  return SLOTS.map((def) => ({ host, slot: def.id, id: def.id, path: `${systemCollectionPath(bmc, host)}/${def.id}` }));
}

/** The drive a request names (exact id match), or 404. */
function locate(ctx: RequestContext): Located {
  const id = ctx.params.VirtualMediaId ?? '';
  let drives: Located[];
  if (ctx.params.SystemId !== undefined) drives = systemDrives(ctx.bmc, hostBySystemId(ctx.bmc, ctx.params.SystemId));
  else {
    requireManager(ctx.params.ManagerId);
    drives = managerDrives(ctx.bmc);
  }
  const hit = drives.find((d) => d.id === id);
  if (!hit) throw Errors.notFound('VirtualMedia', id);
  return hit;
}

function failureMessage(image: string, failure: MediaFailure, detail: string): RedfishMessage {
  switch (failure) {
    case 'unauthorized':
      return Base.message('ResourceAtUriUnauthorized', [image, detail]);
    case 'not-found':
    case 'http-error':
    case 'connect-failed':
    case 'certificate':
      return Base.message('CouldNotEstablishConnection', [image]);
    case 'too-large':
      return Base.message('InsufficientStorage');
    case 'timeout':
      return Base.message('OperationTimeout');
    case 'io-error':
    case 'interrupted':
    case 'cache-missing':
      return Base.message('OperationFailed');
  }
}

const DOWNLOAD_STATE = { idle: 'Idle', downloading: 'Downloading', ready: 'Ready', failed: 'Failed' } as const;

function status(s: SlotState): JsonObject {
  const d = s.download;
  if (d.state === 'downloading') return { State: 'Starting', Health: 'OK' };
  if (d.state === 'failed' && d.failure) {
    const m = failureMessage(s.image ?? '', d.failure, d.detail ?? '');
    return {
      State: 'Enabled',
      Health: 'Warning',
      Conditions: [{ MessageId: m.MessageId, Message: `${m.Message} (${d.detail ?? d.failure})`, MessageArgs: m.MessageArgs, Severity: 'Warning' }],
    };
  }
  return { State: 'Enabled', Health: 'OK' };
}

/** The VirtualMedia resource of one drive. */
export function virtualMediaBody(bmc: Bmc, at: Located, s: SlotState): JsonObject {
  const d = s.download;
  const many = bmc.hosts.length > 1 && at.path.startsWith(managerCollectionPath());
  return {
    '@odata.id': at.path,
    '@odata.type': odataType('VirtualMedia'),
    Id: at.id,
    Name: many ? `${s.def.name} of ${at.host.name}` : s.def.name,
    Description: `${s.def.name}: the BMC downloads the image, then shows it to the host`,
    MediaTypes: [...s.def.mediaTypes],
    Image: s.image,
    ImageName: s.imageName,
    Inserted: s.inserted,
    WriteProtected: s.writeProtected,
    VerifyCertificate: s.verifyCertificate,
    ConnectedVia: s.image !== null ? 'URI' : 'NotConnected',
    TransferProtocolType: s.transferProtocol,
    // the whole image is fetched before the host sees it, whatever was asked
    TransferMethod: 'Upload',
    Status: status(s),
    Oem: {
      Tsbmc: {
        DownloadState: DOWNLOAD_STATE[d.state],
        BytesTransferred: d.bytes,
        ImageSizeBytes: d.total,
        FailureReason: d.detail,
        MaxImageSizeBytes: at.host.media.maxBytes,
      },
    },
    Actions: {
      [`#${INSERT}`]: { target: `${at.path}/Actions/${INSERT}`, '@Redfish.ActionInfo': `${at.path}/InsertMediaActionInfo` },
      [`#${EJECT}`]: { target: `${at.path}/Actions/${EJECT}` },
      Oem: { [`#${UPLOAD}`]: { target: `${at.path}/Actions/Oem/${UPLOAD}` } },
    },
  };
}

function insertActionInfo(at: Located): JsonObject {
  return {
    '@odata.id': `${at.path}/InsertMediaActionInfo`,
    '@odata.type': odataType('ActionInfo'),
    Id: 'InsertMediaActionInfo',
    Name: 'InsertMedia Action Info',
    Parameters: [
      { Name: 'Image', Required: true, DataType: 'String' },
      { Name: 'Inserted', Required: false, DataType: 'Boolean' },
      { Name: 'WriteProtected', Required: false, DataType: 'Boolean' },
      { Name: 'TransferProtocolType', Required: false, DataType: 'String', AllowableValues: [...PROTOCOLS] },
      { Name: 'TransferMethod', Required: false, DataType: 'String', AllowableValues: [...METHODS] },
      { Name: 'UserName', Required: false, DataType: 'String' },
      { Name: 'Password', Required: false, DataType: 'String' },
      { Name: 'VerifyCertificate', Required: false, DataType: 'Boolean' },
    ],
  };
}

/** How a bad parameter is reported: as an action parameter, or as a PATCHed property. */
interface Reporter {
  notInList(value: string, p: string): RedfishError;
  format(value: string, p: string): RedfishError;
  conflict(p: string, value: string): RedfishError;
}

const forAction: Reporter = {
  notInList: (v, p) => Errors.actionParameterNotInList(v, p, INSERT),
  format: (v, p) => new RedfishError(400, [Base.message('ActionParameterValueFormatError', [v, p, INSERT])]),
  conflict: (p, v) => new RedfishError(400, [Base.message('ActionParameterValueConflict', [p, v])]),
};

const forPatch: Reporter = {
  notInList: (v, p) => Errors.propertyValueNotInList(v, p),
  format: (v, p) => Errors.propertyValueFormat(v, p),
  conflict: (p, v) => new RedfishError(400, [Base.message('PropertyValueConflict', [p, v], [`#/${p}`])]),
};

/**
 * Image and TransferProtocolType → the URL to download. HTTP and HTTPS
 * only; an Image without a scheme takes TransferProtocolType's.
 */
export function mediaUrl(image: string, protocol: string | null | undefined, r: Reporter = forAction): URL {
  if (protocol !== undefined && protocol !== null && !(PROTOCOLS as readonly string[]).includes(protocol)) {
    throw r.notInList(protocol, 'TransferProtocolType');
  }
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(image)?.[1]?.toLowerCase();
  if (scheme !== undefined && scheme !== 'http' && scheme !== 'https') {
    const other = OTHER_SCHEMES[scheme];
    if (other) throw r.notInList(other, 'TransferProtocolType');
    throw r.format(image, 'Image');
  }
  if (scheme !== undefined && protocol && scheme.toUpperCase() !== protocol) throw r.conflict('TransferProtocolType', protocol);
  if (scheme === undefined && !protocol) throw r.format(image, 'Image');
  let url: URL;
  try {
    url = new URL(scheme === undefined ? `${protocol!.toLowerCase()}://${image}` : image);
  } catch {
    throw r.format(image, 'Image');
  }
  if (!url.hostname || (url.protocol !== 'http:' && url.protocol !== 'https:')) throw r.format(image, 'Image');
  return url;
}

function refused(refusal: MediaRefusal): RedfishError {
  switch (refusal) {
    case 'in-use':
      return new RedfishError(409, [Base.message('ResourceInUse')]);
    case 'no-image':
      return new RedfishError(400, [Base.message('PropertyValueConflict', ['Inserted', 'Image'], ['#/Inserted'])]);
    case 'unconfigured':
      return new RedfishError(503, [Base.message('ServiceTemporarilyUnavailable', ['60'])], { 'Retry-After': '60' });
    case 'too-large':
      return Errors.payloadTooLarge();
  }
}

interface InsertBody {
  Image: string;
  Inserted?: boolean;
  WriteProtected?: boolean;
  TransferProtocolType?: string;
  TransferMethod?: string;
  UserName?: string;
  Password?: string;
  VerifyCertificate?: boolean;
}

const INSERT_SPEC: Spec = {
  Image: { type: 'string', maxLength: 2048 },
  Inserted: { type: 'boolean' },
  WriteProtected: { type: 'boolean' },
  TransferProtocolType: { type: 'string' },
  TransferMethod: { type: 'string' },
  UserName: { type: 'string', maxLength: 256 },
  Password: { type: 'string', maxLength: 256 },
  // not an InsertMedia parameter in DSP8010 (a property of the resource); accepted here as a convenience
  VerifyCertificate: { type: 'boolean' },
};

function startInsert(ctx: RequestContext, at: Located, b: Omit<InsertBody, 'Image' | 'TransferProtocolType'>, url: URL, r: Reporter): void {
  if (b.TransferMethod !== undefined && !METHODS.includes(b.TransferMethod as TransferMethod)) throw r.notInList(b.TransferMethod, 'TransferMethod');
  const req: InsertRequest = {
    url,
    ...(b.Inserted !== undefined ? { inserted: b.Inserted } : {}),
    ...(b.WriteProtected !== undefined ? { writeProtected: b.WriteProtected } : {}),
    ...(b.VerifyCertificate !== undefined ? { verifyCertificate: b.VerifyCertificate } : {}),
    ...(b.TransferMethod !== undefined ? { transferMethod: b.TransferMethod as TransferMethod } : {}),
    ...(b.UserName !== undefined ? { userName: b.UserName } : {}),
    ...(b.Password !== undefined ? { password: b.Password } : {}),
  };
  const result = at.host.media.insert(at.slot, req);
  if ('refusal' in result) throw refused(result.refusal);
  const shown = at.host.media.slot(at.slot);
  ctx.services.log.info('virtual media insert', { host: at.host.index, slot: at.slot, image: shown?.image, user: ctx.principal?.userName });
  void result.done.then(() => {
    const after = at.host.media.slot(at.slot);
    if (after?.download.state === 'failed') {
      ctx.services.log.warn('virtual media download failed', { host: at.host.index, slot: at.slot, image: after.image, reason: after.download.detail });
    }
  });
}

function insertMedia(ctx: RequestContext): HandlerResult {
  const at = locate(ctx);
  const b = readBody<InsertBody>(ctx.body, INSERT_SPEC, { required: ['Image'], action: INSERT });
  const url = mediaUrl(b.Image, b.TransferProtocolType, forAction);
  startInsert(ctx, at, b, url, forAction);
  return { status: 204 };
}

function ejectMedia(ctx: RequestContext): HandlerResult {
  const at = locate(ctx);
  // sushy posts no body at all, others {}: both mean "eject"; anything in it is unknown
  if (ctx.body !== undefined) readBody(ctx.body, {}, { allowEmpty: true });
  at.host.media.eject(at.slot);
  ctx.services.log.info('virtual media eject', { host: at.host.index, slot: at.slot, user: ctx.principal?.userName });
  return { status: 204 };
}

const READ_ONLY = { type: 'string', readOnly: true } as const;

const PATCH_SPEC: Spec = {
  Image: { type: 'string', maxLength: 2048, nullable: true },
  Inserted: { type: 'boolean' },
  WriteProtected: { type: 'boolean' },
  VerifyCertificate: { type: 'boolean' },
  TransferProtocolType: { type: 'string', nullable: true },
  TransferMethod: { type: 'string' },
  UserName: { type: 'string', maxLength: 256 },
  Password: { type: 'string', maxLength: 256 },
  Id: READ_ONLY,
  Name: READ_ONLY,
  Description: READ_ONLY,
  MediaTypes: READ_ONLY,
  ImageName: READ_ONLY,
  ConnectedVia: READ_ONLY,
  Status: READ_ONLY,
  Actions: READ_ONLY,
  Oem: READ_ONLY,
};

interface PatchBody {
  Image?: string | null;
  Inserted?: boolean;
  WriteProtected?: boolean;
  VerifyCertificate?: boolean;
  TransferProtocolType?: string | null;
  TransferMethod?: string;
  UserName?: string;
  Password?: string;
}

function patchMedia(ctx: RequestContext): HandlerResult {
  const at = locate(ctx);
  const b = readBody<PatchBody>(ctx.body, PATCH_SPEC);
  const media = at.host.media;
  if (b.TransferMethod !== undefined && !METHODS.includes(b.TransferMethod as TransferMethod)) throw forPatch.notInList(b.TransferMethod, 'TransferMethod');
  if (b.Image === null) {
    if (b.Inserted === true) throw forPatch.conflict('Inserted', 'true');
    media.eject(at.slot);
  } else if (typeof b.Image === 'string') {
    const url = mediaUrl(b.Image, b.TransferProtocolType, forPatch);
    startInsert(ctx, at, b, url, forPatch);
  } else {
    if (b.UserName !== undefined || b.Password !== undefined) throw forPatch.conflict(b.UserName !== undefined ? 'UserName' : 'Password', '(hidden)');
    const refusal = media.set(at.slot, {
      ...(b.Inserted !== undefined ? { inserted: b.Inserted } : {}),
      ...(b.WriteProtected !== undefined ? { writeProtected: b.WriteProtected } : {}),
      ...(b.VerifyCertificate !== undefined ? { verifyCertificate: b.VerifyCertificate } : {}),
      ...(b.TransferMethod !== undefined ? { transferMethod: b.TransferMethod as TransferMethod } : {}),
    });
    if (refusal) throw refused(refusal);
  }
  return { status: 200, body: virtualMediaBody(ctx.bmc, at, media.slot(at.slot)!) };
}

const uploadFormat = (value: string, p: string) => new RedfishError(400, [Base.message('ActionParameterValueFormatError', [value, p, UPLOAD])]);

/** A file name an upload may carry: plain (no directories), printable, bounded. */
export function validUploadName(name: string): boolean {
  return name.length > 0 && name.length <= NAME_MAX && name !== '.' && name !== '..' && !/[\/\\\x00-\x1f\x7f]/.test(name);
}

/** The action's parameters, from the query: name, WriteProtected; nothing else. */
function uploadParams(search: URLSearchParams): { name: string; writeProtected?: boolean } {
  for (const key of new Set(search.keys())) {
    if (key !== 'name' && key !== 'WriteProtected') throw new RedfishError(400, [Base.message('ActionParameterUnknown', [UPLOAD, key])]);
    if (search.getAll(key).length > 1) throw uploadFormat(search.getAll(key).join(','), key);
  }
  const name = search.get('name');
  if (name === null) throw Errors.actionParameterMissing(UPLOAD, 'name');
  if (!validUploadName(name)) throw uploadFormat(name, 'name');
  const wp = search.get('WriteProtected');
  if (wp !== null && wp !== 'true' && wp !== 'false') throw uploadFormat(wp, 'WriteProtected');
  return { name, ...(wp !== null ? { writeProtected: wp === 'true' } : {}) };
}

function uploadFailed(failure: MediaFailure, detail: string): RedfishError {
  switch (failure) {
    case 'too-large':
      return detail.startsWith('no space') ? new RedfishError(507, [Base.message('InsufficientStorage')]) : Errors.payloadTooLarge();
    case 'interrupted':
      return new RedfishError(409, [Base.message('ResourceInUse')]);
    default:
      return new RedfishError(500, [Base.message('OperationFailed')]);
  }
}

async function uploadMedia(ctx: RequestContext): Promise<HandlerResult> {
  const at = locate(ctx);
  const up = ctx.stream;
  if (!up) throw Errors.actionParameterMissing(UPLOAD, 'body');
  const params = uploadParams(up.search);
  if (!/^application\/octet-stream\s*(;|$)/i.test(up.contentType)) throw new RedfishError(415, [Base.message('HeaderInvalid', [`Content-Type: ${up.contentType.slice(0, 100)}`])]);
  if (up.length === undefined) throw new RedfishError(411, [Base.message('HeaderMissing', ['Content-Length'])]);
  if (up.length === 0) throw new RedfishError(400, [Base.message('ActionParameterValueError', ['body', UPLOAD])]);
  const media = at.host.media;
  const result = media.upload(at.slot, { ...params, size: up.length, body: up.body });
  if ('refusal' in result) throw refused(result.refusal);
  const log = { host: at.host.index, slot: at.slot, image: params.name, bytes: up.length, user: ctx.principal?.userName };
  ctx.services.log.info('virtual media upload', log);
  const failed = await result.done;
  if (failed) {
    ctx.services.log.warn('virtual media upload failed', { ...log, reason: failed.detail });
    throw uploadFailed(failed.failure, failed.detail);
  }
  return { status: 204 };
}

function getMedia(ctx: RequestContext): JsonObject {
  const at = locate(ctx);
  return virtualMediaBody(ctx.bmc, at, at.host.media.slot(at.slot)!);
}

/**
 * The ComputerSystem's BootProgress: what the firmware took at the last
 * boot while the host is on (the boot device and, for a CD/DVD boot, the
 * image it boots).
 */
export function bootProgress(host: Host): JsonObject {
  const last = host.media.lastBoot;
  if (!last || host.power !== 'on') return { LastState: 'None' };
  return {
    LastState: last.device === 'bios-setup' ? 'SetupEntered' : 'OSBootStarted',
    LastStateTime: new Date(last.at).toISOString(),
    Oem: { Tsbmc: { BootDevice: last.device, BootImage: last.image } },
  };
}

function drive(path: string, entity: 'VirtualMedia'): RouteDef[] {
  return [
    { path, entity, get: getMedia, patch: patchMedia },
    { path: `${path}/InsertMediaActionInfo`, entity: 'ActionInfo', get: (ctx) => insertActionInfo(locate(ctx)) },
    { path: `${path}/Actions/${INSERT}`, entity, post: insertMedia },
    { path: `${path}/Actions/${EJECT}`, entity, post: ejectMedia },
    { path: `${path}/Actions/Oem/${UPLOAD}`, entity, post: uploadMedia, streamPost: true },
  ];
}

export function virtualMediaRoutes(): RouteDef[] {
  const SYS = `${ROOT}/Systems/{SystemId}/VirtualMedia`;
  const MGR = `${ROOT}/Managers/{ManagerId}/VirtualMedia`;
  return [
    {
      path: SYS,
      entity: 'VirtualMediaCollection',
      get: (ctx) => {
        const host = hostBySystemId(ctx.bmc, ctx.params.SystemId);
        return collection('VirtualMedia', systemCollectionPath(ctx.bmc, host), 'Virtual Media', systemDrives(ctx.bmc, host).map((d) => d.path));
      },
    },
    ...drive(`${SYS}/{VirtualMediaId}`, 'VirtualMedia'),
    {
      path: MGR,
      entity: 'VirtualMediaCollection',
      get: (ctx) => {
        requireManager(ctx.params.ManagerId);
        return collection('VirtualMedia', managerCollectionPath(), 'Virtual Media', managerDrives(ctx.bmc).map((d) => d.path));
      },
    },
    ...drive(`${MGR}/{VirtualMediaId}`, 'VirtualMedia'),
  ];
}
