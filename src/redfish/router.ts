// The Redfish request pipeline, independent of the HTTP server: match a
// literal route (no prefix matching), authenticate (X-Auth-Token or Basic),
// check the method (405 with Allow) and the privilege from the DMTF registry
// (403), read the body (strictly, in the handler), check If-Match (412), run
// the handler, then apply only/$expand/$select/$top/$skip and add the
// headers every Redfish response carries (OData-Version, ETag, Link, Allow).
import { hash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { Bmc } from '../model/bmc.js';
import type { Logger } from '../log.js';
import { Base, Errors, RedfishError, errorBody } from './messages.js';
import { PrivilegeMap, type Method } from './privileges.js';
import { expandLinks, pageMembers, parseQuery, selectProperties, type JsonObject, type QueryOptions } from './query.js';
import type { Principal, SessionStore } from './sessions.js';

export type { JsonObject } from './query.js';

/** What a handler sees. */
export interface RequestContext {
  readonly bmc: Bmc;
  readonly services: RedfishServices;
  readonly principal: Principal | undefined;
  readonly params: Readonly<Record<string, string>>;
  readonly path: string;
  readonly method: Method;
  readonly query: QueryOptions;
  readonly clientAddress: string;
  /** Parsed JSON body (PATCH/POST/PUT), or undefined. */
  readonly body: unknown;
  /** A non-JSON request body (a firmware image push), with its Content-Type. */
  readonly upload?: Upload;
  /** The unread body of a POST to a `streamPost` route, with what describes it. */
  readonly stream?: StreamedBody;
}

export interface StreamedBody {
  readonly body: Readable;
  /** Content-Length, when the request has a valid one. */
  readonly length: number | undefined;
  readonly contentType: string;
  /** The request's query parameters (action parameters of an upload). */
  readonly search: URLSearchParams;
}

export interface Upload {
  readonly contentType: string;
  readonly bytes: Uint8Array;
}

/** Front-door services shared by the handlers (sessions; later tasks, events). */
export interface RedfishServices {
  readonly sessions: SessionStore;
  readonly log: Logger;
  readonly router: RedfishRouter;
  /** Extension point for resource families (virtual media, updates, events). */
  readonly [name: string]: unknown;
}

export interface HandlerResult {
  readonly status?: number;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

export type GetHandler = (ctx: RequestContext) => JsonObject | Promise<JsonObject>;
export type WriteHandler = (ctx: RequestContext) => HandlerResult | Promise<HandlerResult>;

export interface RouteDef {
  /** Literal path with {Param} segments, e.g. /redfish/v1/Systems/{SystemId}. */
  readonly path: string;
  /** Entity name in the privilege registry. */
  readonly entity: string;
  /** Methods that need no authentication (ServiceRoot, login). */
  readonly public?: readonly Method[];
  /**
   * Extra privilege rule for a method, tried when the registry denies
   * (ConfigureSelf on one's own account or session).
   */
  readonly allowIf?: Partial<Record<Method, (ctx: RequestContext) => boolean>>;
  readonly get?: GetHandler;
  /**
   * A GET answering with its own status and headers (a task monitor: 202
   * while the task runs); no ETag or query options. Instead of `get`.
   */
  readonly getRaw?: WriteHandler;
  readonly patch?: WriteHandler;
  readonly post?: WriteHandler;
  readonly put?: WriteHandler;
  readonly delete?: WriteHandler;
  /**
   * The POST body is not buffered: the web server leaves it unread and the
   * handler reads ctx.stream (an image upload of any size).
   */
  readonly streamPost?: boolean;
}

export interface RedfishRequest {
  readonly method: string;
  /** Path and query, as received. */
  readonly url: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** Raw body text, if any. */
  readonly body?: string;
  /** A non-JSON body (multipart or octet-stream image push); `body` is then absent. */
  readonly upload?: Upload;
  /** The unread body, for a `streamPost` route. */
  readonly stream?: Readable;
  readonly clientAddress: string;
}

export interface RedfishResponse {
  status: number;
  /** May be shared between answers (a cached resource's headers): read, never modify. */
  headers: Readonly<Record<string, string>>;
  body?: unknown;
  /** The body as JSON text when the router already serialized it (for the ETag), so it is not serialized twice. */
  text?: string;
  /** `text` as UTF-8, when the router keeps it encoded (cached resources), so it is not encoded per answer. */
  bytes?: Buffer;
}

interface Compiled {
  readonly def: RouteDef;
  readonly segments: readonly string[];
  readonly allow: string;
}

/** A node of the route trie: literal children first, then one parameter child. */
interface TrieNode {
  readonly literal: Map<string, TrieNode>;
  param?: { readonly name: string; readonly node: TrieNode };
  route?: Compiled;
}

const newNode = (): TrieNode => ({ literal: new Map() });

/** How long a rendered resource may be reused when nothing changed (ms). */
const CACHE_MS = 1000;
const CACHE_ENTRIES = 4096;

/** A rendered resource (or shaped answer) in the render cache. */
interface Rendered {
  readonly gen: number;
  readonly at: number;
  readonly base: JsonObject;
  readonly text: string;
  /** The resource's ETag (of the unshaped resource, also for a shaped answer). */
  readonly etag: string;
  /** `text` as UTF-8 and the headers of a 200 answer, made on the first GET that sends them (not for $expand's in-process reads). */
  bytes?: Buffer;
  headers?: Readonly<Record<string, string>>;
}

const METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'PATCH', 'POST', 'PUT', 'DELETE']);
const NO_QUERY = new URLSearchParams();

const COMMON_HEADERS: Readonly<Record<string, string>> = {
  'OData-Version': '4.0',
  'Cache-Control': 'no-cache',
  'X-Frame-Options': 'DENY',
  'X-Content-Type-Options': 'nosniff',
  'Strict-Transport-Security': 'max-age=31536000; includeSubdomains',
  'Content-Security-Policy': "default-src 'none'; frame-ancestors 'none'",
};

export function normalizePath(path: string): string {
  let p = path;
  while (p.length > 1 && p.endsWith('/')) p = p.slice(0, -1);
  return p;
}

function header(req: RedfishRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

export function etagOf(body: unknown): string {
  return etagOfText(JSON.stringify(body));
}

/** The weak ETag of a body's JSON text (one-shot SHA-1, truncated: a change detector, not a security measure). */
export function etagOfText(text: string): string {
  return `W/"${hash('sha1', text, 'base64url').slice(0, 16)}"`;
}

/** The headers of a GET answer: the common ones, the ETag, Allow and, when known, the schema link. */
function answerHeaders(etag: string, allow: string, link: string | undefined): Readonly<Record<string, string>> {
  return Object.freeze(link ? { ...COMMON_HEADERS, ETag: etag, Allow: allow, Link: link } : { ...COMMON_HEADERS, ETag: etag, Allow: allow });
}

function describedBy(body: unknown): string | undefined {
  if (!body || typeof body !== 'object') return undefined;
  const t = (body as { '@odata.type'?: unknown })['@odata.type'];
  if (typeof t !== 'string') return undefined;
  const m = /^#([A-Za-z]+)\.(v\d+_\d+_\d+)\.[A-Za-z]+$/.exec(t) ?? /^#([A-Za-z]+)\.[A-Za-z]+$/.exec(t);
  if (!m) return undefined;
  const file = m[2] ? `${m[1]}.${m[2]}.json` : `${m[1]}.json`;
  return `<https://redfish.dmtf.org/schemas/v1/${file}>; rel=describedby`;
}

export class RedfishRouter {
  readonly #routes: Compiled[] = [];
  /** Routes by number of path segments: a request is compared with those of its own length only. */
  readonly #trie: TrieNode = newNode();
  readonly #privileges: PrivilegeMap;
  readonly #bmc: Bmc;
  #services: RedfishServices | undefined;

  /**
   * Rendered resources, reused while the model has not changed (any model
   * event or Redfish write starts a new generation) and for at most
   * CACHE_MS, so values that move without events (clocks, task progress,
   * power draw) are never older than that. Keyed by caller and path, since
   * some bodies depend on who asks.
   */
  readonly #cache = new Map<string, Rendered>();
  #generation = 0;

  constructor(opts: { bmc: Bmc; privileges: PrivilegeMap }) {
    this.#bmc = opts.bmc;
    this.#privileges = opts.privileges;
    opts.bmc.events.onAny(() => this.#generation++);
  }

  /** The cache entry under a key while it is fresh: same model generation, younger than CACHE_MS. */
  #fresh(key: string, now: number): Rendered | undefined {
    const hit = this.#cache.get(key);
    return hit && hit.gen === this.#generation && now - hit.at < CACHE_MS ? hit : undefined;
  }

  #store(key: string, entry: Rendered): Rendered {
    if (this.#cache.size >= CACHE_ENTRIES) this.#cache.clear();
    this.#cache.set(key, entry);
    return entry;
  }

  /**
   * A resource's body with its serialization and ETag, from the cache when
   * fresh. A hit is returned as is, not as a promise: most GETs end here.
   */
  #render(ctx: RequestContext, get: GetHandler): Rendered | Promise<Rendered> {
    const key = `${ctx.principal?.userId ?? 0} ${ctx.path}`;
    const now = performance.now();
    return this.#fresh(key, now) ?? this.#renderNew(ctx, get, key, now);
  }

  async #renderNew(ctx: RequestContext, get: GetHandler, key: string, now: number): Promise<Rendered> {
    const gen = this.#generation;
    const base = await get(ctx);
    const text = JSON.stringify(base);
    return this.#store(key, { gen, at: now, base, text, etag: etagOfText(text) });
  }

  attach(services: RedfishServices): void {
    this.#services = services;
  }

  add(...defs: readonly RouteDef[]): this {
    for (const def of defs) {
      if (!this.#privileges.has(def.entity)) throw new Error(`route ${def.path}: entity ${def.entity} is not in the privilege registry`);
      const segments = def.path.split('/').slice(1);
      if (this.#routes.some((r) => r.def.path === def.path)) throw new Error(`duplicate route ${def.path}`);
      const methods = ['GET', 'HEAD', ...(['patch', 'post', 'put', 'delete'] as const).filter((m) => def[m]).map((m) => m.toUpperCase())];
      this.#routes.push({ def, segments, allow: def.get || def.getRaw ? methods.join(', ') : methods.filter((m) => m !== 'GET' && m !== 'HEAD').join(', ') });
      let node = this.#trie;
      for (const seg of segments) {
        if (seg.startsWith('{')) {
          const name = seg.slice(1, -1);
          if (node.param && node.param.name !== name) throw new Error(`route ${def.path}: parameter {${name}} conflicts with {${node.param.name}}`);
          node.param ??= { name, node: newNode() };
          node = node.param.node;
        } else {
          let next = node.literal.get(seg);
          if (!next) node.literal.set(seg, (next = newNode()));
          node = next;
        }
      }
      node.route = this.#routes[this.#routes.length - 1]!;
    }
    return this;
  }

  /** The paths of the routes whose POST body is streamed to the handler. */
  streamingPaths(): string[] {
    return this.#routes.filter((r) => r.def.streamPost).map((r) => r.def.path);
  }

  /** Every route's path, for documentation and tests. */
  paths(): string[] {
    return this.#routes.map((r) => r.def.path);
  }

  /**
   * Finds the route of a path: a literal segment wins over a {Param} at the
   * same place (Registries/BiosAttributeRegistry over Registries/{RegistryId}),
   * falling back to the parameter when the literal branch leads nowhere.
   */
  match(path: string): { route: Compiled; params: Record<string, string> } | undefined {
    // parts[0] is the empty string before the leading slash
    const parts = path.split('/');
    const params: Record<string, string> = {};
    const walk = (node: TrieNode, i: number): Compiled | undefined => {
      if (i === parts.length) return node.route;
      const part = parts[i]!;
      const lit = node.literal.get(part);
      if (lit) {
        const r = walk(lit, i + 1);
        if (r) return r;
      }
      if (node.param && part !== '') {
        const value = decodeSegment(part);
        if (value === undefined) return undefined;
        const r = walk(node.param.node, i + 1);
        if (r) {
          params[node.param.name] = value;
          return r;
        }
      }
      return undefined;
    };
    const route = walk(this.#trie, 1);
    return route ? { route, params } : undefined;
  }


  #services_(): RedfishServices {
    if (!this.#services) throw new Error('router used before attach()');
    return this.#services;
  }

  /** Authenticates a request from its X-Auth-Token or Basic credentials. */
  authenticate(req: RedfishRequest): Principal | undefined {
    const sessions = this.#services_().sessions;
    const token = header(req, 'x-auth-token');
    if (token) {
      const s = sessions.byToken(token);
      return s ? sessions.principal(s.userId, s) : undefined;
    }
    const auth = header(req, 'authorization');
    if (auth && /^basic /i.test(auth)) {
      const decoded = Buffer.from(auth.slice(6).trim(), 'base64').toString('latin1');
      const colon = decoded.indexOf(':');
      if (colon < 0) return undefined;
      const r = this.#bmc.users.authenticate(decoded.slice(0, colon), Buffer.from(decoded.slice(colon + 1), 'latin1'));
      return r.ok ? sessions.principal(r.user.id) : undefined;
    }
    return undefined;
  }

  /** Runs one request; never throws. */
  async handle(req: RedfishRequest): Promise<RedfishResponse> {
    try {
      return await this.#handle(req);
    } catch (err) {
      if (err instanceof RedfishError) {
        return { status: err.status, headers: { ...COMMON_HEADERS, ...err.headers }, body: errorBody(err.messages) };
      }
      this.#services?.log.error('Redfish handler failed', {
        method: req.method,
        url: req.url,
        err: err instanceof Error ? err.stack ?? err.message : String(err),
      });
      return { status: 500, headers: { ...COMMON_HEADERS }, body: errorBody([Base.message('InternalError')]) };
    }
  }

  async #handle(req: RedfishRequest): Promise<RedfishResponse> {
    const q = req.url.indexOf('?');
    const rawPath = q < 0 ? req.url : req.url.slice(0, q);
    const search = q < 0 ? NO_QUERY : new URLSearchParams(req.url.slice(q + 1));
    const path = normalizePath(rawPath);
    const method = req.method.toUpperCase() as Method;
    const found = this.match(path);
    const isPublic = found?.route.def.public?.includes(method === 'HEAD' ? 'GET' : method) ?? false;
    const principal = isPublic ? undefined : this.authenticate(req);
    if (!isPublic && !principal) {
      const e = Errors.noValidSession();
      // A Basic challenge only for clients that may answer one: not for token
      // clients nor for scripts in a browser (X-Requested-With), where it
      // would raise a credentials dialog.
      if (header(req, 'x-auth-token') !== undefined || header(req, 'x-requested-with') === 'XMLHttpRequest') {
        throw new RedfishError(401, e.messages);
      }
      throw e;
    }
    if (!found) throw Errors.notFound(typeFromPath(path), path.split('/').pop() ?? '');
    const { route, params } = found;
    const def = route.def;
    const handler = method === 'GET' || method === 'HEAD' ? def.get ?? def.getRaw : def[method.toLowerCase() as 'patch' | 'post' | 'put' | 'delete'];
    if (!handler || !METHODS.has(method)) throw Errors.operationNotAllowed(route.allow);
    const query = method === 'GET' || method === 'HEAD' ? parseQuery(search) : { only: false };
    let body: unknown;
    if (req.body !== undefined && req.body.length > 0 && method !== 'GET' && method !== 'HEAD' && !(def.streamPost && method === 'POST')) {
      try {
        body = JSON.parse(req.body);
      } catch {
        throw Errors.malformedJson();
      }
    }
    let ctx: RequestContext = { bmc: this.#bmc, services: this.#services_(), principal, params, path, method, query, clientAddress: req.clientAddress, body };
    if (req.upload && method === 'POST') ctx = { ...ctx, upload: req.upload };
    if (def.streamPost && method === 'POST') ctx = { ...ctx, stream: streamedBody(req, new URLSearchParams(search)) };
    if (!isPublic && principal) {
      const privMethod = method === 'HEAD' ? 'HEAD' : method;
      const allowed = this.#privileges.allows(def.entity, privMethod, principal.privileges) || def.allowIf?.[method]?.(ctx) === true;
      if (!allowed) {
        if (method !== 'GET' && method !== 'HEAD') this.#audit(ctx, 403);
        throw Errors.insufficientPrivilege();
      }
    }
    if ((method === 'GET' || method === 'HEAD') && !def.get && def.getRaw) {
      const r = await def.getRaw(ctx);
      return { status: r.status ?? 200, headers: { ...COMMON_HEADERS, Allow: route.allow, ...(r.headers ?? {}) }, ...(r.body !== undefined ? { body: r.body } : {}) };
    }
    if (method === 'GET' || method === 'HEAD') return this.#get(ctx, def, route.allow, req);
    const ifMatch = header(req, 'if-match');
    if (ifMatch && ifMatch !== '*' && def.get) {
      const current = etagOf(await def.get(ctx));
      if (!ifMatch.split(',').map((s) => s.trim()).includes(current)) throw Errors.preconditionFailed();
    }
    this.#generation++;
    const result = await this.#audited(ctx, handler as WriteHandler);
    this.#generation++;
    const status = result.status ?? (result.body === undefined ? 204 : 200);
    return { status, headers: { ...COMMON_HEADERS, ...(result.headers ?? {}) }, ...(result.body !== undefined ? { body: result.body } : {}) };
  }

  /** Runs a write handler and records it in the BMC's audit log: who, which URI, the result (refusals too). */
  async #audited(ctx: RequestContext, handler: WriteHandler): Promise<HandlerResult> {
    let status = 500;
    try {
      const result = await handler(ctx);
      status = result.status ?? (result.body === undefined ? 204 : 200);
      return result;
    } catch (err) {
      if (err instanceof RedfishError) status = err.status;
      throw err;
    } finally {
      this.#audit(ctx, status);
    }
  }

  #audit(ctx: RequestContext, status: number): void {
    // a login has no principal yet: the account it names (never the password)
    const named = (ctx.body as { UserName?: unknown } | undefined)?.UserName;
    const user = ctx.principal?.userName ?? (typeof named === 'string' ? named.slice(0, 64) : '');
    this.#bmc.audit.record({ user, source: ctx.clientAddress, via: 'Redfish', operation: ctx.method, target: ctx.path, status });
  }

  async #get(ctx: RequestContext, def: RouteDef, allow: string, req: RedfishRequest): Promise<RedfishResponse> {
    const rendered = this.#render(ctx, def.get!);
    const resource = rendered instanceof Promise ? await rendered : rendered;
    const { base, text, etag } = resource;
    // the same for every answer from this entry: built once, shared read-only
    const headers = (resource.headers ??= answerHeaders(etag, allow, describedBy(base)));
    const inm = header(req, 'if-none-match');
    if (inm && inm.split(',').map((s) => s.trim()).includes(etag)) return { status: 304, headers };
    const q = ctx.query;
    const shaped = q.only || q.top !== undefined || q.skip !== undefined || q.expand !== undefined || q.select !== undefined;
    if (!shaped) return { status: 200, headers, body: base, text, bytes: (resource.bytes ??= Buffer.from(text)) };
    // the shaped answer (expanded, selected, paged) is cached like the resource
    const key = `Q${ctx.principal?.userId ?? 0} ${req.url}`;
    const now = performance.now();
    const hit = this.#fresh(key, now);
    if (hit) return { status: 200, headers, body: hit.base, text: hit.text, bytes: (hit.bytes ??= Buffer.from(hit.text)) };
    const gen = this.#generation;
    let body = base;
    if (q.only) {
      const members = base.Members;
      if (!Array.isArray(members)) throw Errors.queryNotSupportedOnResource();
      const first = members[0];
      if (members.length === 1 && first && typeof first === 'object' && !Array.isArray(first) && typeof first['@odata.id'] === 'string') {
        const target = await this.resolve(first['@odata.id'], ctx.principal);
        if (target) body = target;
      }
    }
    if (q.top !== undefined || q.skip !== undefined) body = pageMembers(body, q.top, q.skip, ctx.path);
    if (q.expand) body = await expandLinks(body, q.expand, (p) => this.resolve(p, ctx.principal));
    if (q.select) body = selectProperties(body, q.select);
    const shapedText = body === base ? text : JSON.stringify(body);
    this.#store(key, { gen, at: now, base: body, text: shapedText, etag });
    return { status: 200, headers, body, text: shapedText };
  }

  /** GETs a resource in-process (for $expand and "only"), with the caller's privileges. */
  async resolve(path: string, principal: Principal | undefined): Promise<JsonObject | undefined> {
    const found = this.match(normalizePath(path));
    const def = found?.route.def;
    const get = def?.get;
    if (!found || !def || !get) return undefined;
    if (principal && !this.#privileges.allows(def.entity, 'GET', principal.privileges)) return undefined;
    const ctx: RequestContext = {
      bmc: this.#bmc,
      services: this.#services_(),
      principal,
      params: found.params,
      path: normalizePath(path),
      method: 'GET',
      query: { only: false },
      clientAddress: '',
      body: undefined,
    };
    try {
      const rendered = this.#render(ctx, get);
      return (rendered instanceof Promise ? await rendered : rendered).base;
    } catch {
      return undefined;
    }
  }
}

/** A streamed POST body; one that arrived buffered (a path the web server did not stream) is replayed. */
function streamedBody(req: RedfishRequest, search: URLSearchParams): StreamedBody {
  const length = header(req, 'content-length');
  const body = req.stream ?? Readable.from(req.upload ? [Buffer.from(req.upload.bytes)] : req.body ? [Buffer.from(req.body)] : []);
  return {
    body,
    length: length !== undefined && /^\d{1,16}$/.test(length) ? Number(length) : undefined,
    contentType: header(req, 'content-type') ?? '',
    search,
  };
}

/** A path segment, percent-decoded; undefined for a malformed escape (no match, so 404, never a 500). */
function decodeSegment(part: string): string | undefined {
  if (!part.includes('%')) return part;
  try {
    return decodeURIComponent(part);
  } catch {
    return undefined;
  }
}

function typeFromPath(path: string): string {
  const parts = path.split('/').filter(Boolean);
  return parts.length >= 2 ? parts[parts.length - 2]! : 'Resource';
}
