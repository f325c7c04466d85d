// The web server of the BMC: HTTPS with fastify for Redfish (and, later,
// the web UI and WebSocket streams), plus a plain-HTTP listener that only
// redirects to HTTPS. Fastify supplies the HTTP plumbing (keep-alive, body
// limits, timeouts); the Redfish pipeline itself is RedfishRouter.
import { createServer, type Server, type ServerResponse } from 'node:http';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import type { Server as HttpsServer } from 'node:https';
import type { Readable } from 'node:stream';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger } from '../log.js';
import type { Bmc } from '../model/bmc.js';
import { Base, Errors, RedfishError, errorBody } from './messages.js';
import { PrivilegeMap } from './privileges.js';
import { metadataXml, serviceRootRoutes } from './resources/service-root.js';
import { sessionRoutes } from './resources/sessions.js';
import { IMAGE_LIMIT, MULTIPART_PUSH_URI, PUSH_URI } from './resources/update-service.js';
import { RedfishRouter, type RedfishServices, type RouteDef } from './router.js';
import { SessionStore, type Principal } from './sessions.js';

export const BODY_LIMIT = 1024 * 1024;
/** Answers from this size on are gzip-compressed for clients that accept it. */
export const COMPRESS_MIN_BYTES = 8 * 1024;
const gzipAsync = promisify(gzip);

export interface RedfishServerOptions {
  bmc: Bmc;
  log: Logger;
  /** Resource families beyond the core (systems, chassis, managers, ...). */
  routes?: readonly RouteDef[];
  /** Extra services handlers reach through ctx.services. */
  services?: Record<string, unknown>;
  /** Streaming endpoints outside the JSON pipeline (EventService SSE). */
  streams?: readonly RedfishStream[];
  /** The privilege registry, read-only: one per process serves every BMC of a fleet (about 250 KB each otherwise). */
  privileges?: PrivilegeMap;
}

/** What a stream endpoint is opened with, once authenticated. */
export interface StreamRequest {
  readonly principal: Principal;
  /** Path and query, as received. */
  readonly url: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly clientAddress: string;
}

/**
 * A GET endpoint that writes a long-lived response itself (text/event-stream).
 * `open` authorizes and validates (throwing RedfishError before anything is
 * written), then returns the function that takes over the raw response.
 */
export interface RedfishStream {
  readonly path: string;
  open(req: StreamRequest): (res: ServerResponse, onClose: (fn: () => void) => void) => void;
}

/** The Redfish service over a BMC: router, sessions, and the fastify app serving them. */
export class RedfishService {
  readonly router: RedfishRouter;
  readonly sessions: SessionStore;
  readonly services: RedfishServices;
  readonly #streams: readonly RedfishStream[];

  constructor(opts: RedfishServerOptions) {
    this.#streams = opts.streams ?? [];
    this.router = new RedfishRouter({ bmc: opts.bmc, privileges: opts.privileges ?? PrivilegeMap.load() });
    this.sessions = new SessionStore(opts.bmc);
    this.services = { sessions: this.sessions, log: opts.log, router: this.router, ...(opts.services ?? {}) };
    this.router.attach(this.services);
    this.router.add(...serviceRootRoutes(), ...sessionRoutes(), ...(opts.routes ?? []));
  }

  /** Registers the Redfish routes on a fastify instance. */
  register(app: FastifyInstance): void {
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body));
    // firmware images: raw bytes (within the 1 MiB limit except on the push URIs below)
    app.addContentTypeParser(['multipart/form-data', 'application/octet-stream'], { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
    const handler = async (req: FastifyRequest, reply: FastifyReply, stream?: Readable): Promise<void> => {
      const body = req.body;
      const res = await this.router.handle({
        method: req.method,
        url: req.url,
        headers: req.headers,
        body: typeof body === 'string' ? body : undefined,
        upload: Buffer.isBuffer(body) ? { contentType: req.headers['content-type'] ?? '', bytes: body } : undefined,
        stream,
        clientAddress: req.ip,
      });
      reply.code(res.status).headers(res.headers);
      // a streamed body refused before it was read: close rather than read the rest
      if (stream && !stream.readableEnded) reply.header('Connection', 'close');
      if (res.body === undefined || req.method === 'HEAD' || res.status === 304) {
        await reply.send();
        return;
      }
      reply.header('Content-Type', 'application/json; charset=utf-8');
      const text = res.text ?? JSON.stringify(res.body);
      // compress where it pays: large answers ($expand, registries, logs) to
      // clients that accept gzip; small ones cost more CPU than they save
      if (text.length >= COMPRESS_MIN_BYTES && /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''))) {
        reply.header('Content-Encoding', 'gzip').header('Vary', 'Accept-Encoding');
        await reply.send(await gzipAsync(res.bytes ?? text, { level: 6 }));
        return;
      }
      // bytes already encoded (a cached resource) go out as they are: no
      // UTF-8 length and encoding of the text, no header+body string to flatten
      await reply.send(res.bytes ?? text);
    };
    for (const stream of this.#streams) {
      app.route({
        method: 'GET',
        url: stream.path,
        exposeHeadRoute: false,
        handler: async (req, reply) => {
          let start: ReturnType<RedfishStream['open']>;
          try {
            const principal = this.router.authenticate({ method: 'GET', url: req.url, headers: req.headers, clientAddress: req.ip });
            if (!principal) throw Errors.noValidSession();
            start = stream.open({ principal, url: req.url, headers: req.headers, clientAddress: req.ip });
          } catch (err) {
            const e = err instanceof RedfishError ? err : Errors.internal();
            reply.code(e.status).headers({ 'OData-Version': '4.0', ...e.headers }).header('Content-Type', 'application/json; charset=utf-8');
            await reply.send(JSON.stringify(errorBody(e.messages)));
            return;
          }
          reply.hijack();
          start(reply.raw, (fn) => req.raw.socket.once('close', fn));
        },
      });
    }
    const methods = ['GET', 'HEAD', 'POST', 'PATCH', 'PUT', 'DELETE', 'OPTIONS'] as const;
    app.route({ method: [...methods], url: '/redfish', handler });
    app.route({ method: [...methods], url: '/redfish/*', handler });
    for (const url of [PUSH_URI, MULTIPART_PUSH_URI]) app.route({ method: [...methods], url, handler, bodyLimit: IMAGE_LIMIT });
    // uploads of any size (virtual media images): POST bodies left unread by
    // fastify (no body limit) and streamed to the handler, which bounds them
    const streamed = this.router.streamingPaths();
    if (streamed.length > 0) {
      void app.register(async (child) => {
        child.removeAllContentTypeParsers();
        child.addContentTypeParser('*', (_req, _payload, done) => done(null));
        for (const path of streamed) {
          child.route({ method: 'POST', url: path.replace(/\{(\w+)\}/g, ':$1'), handler: (req, reply) => handler(req, reply, req.raw) });
        }
      });
    }
    app.get('/redfish/v1/$metadata', async (_req, reply) => {
      reply.header('Content-Type', 'application/xml').header('OData-Version', '4.0').header('Cache-Control', 'no-cache');
      return metadataXml();
    });
    app.setErrorHandler(async (err: { statusCode?: number; code?: string; message: string }, req, reply) => {
      const status = err.statusCode ?? 500;
      const msg =
        status === 413 || err.code === 'FST_ERR_CTP_BODY_TOO_LARGE'
          ? Base.message('PayloadTooLarge')
          : status >= 500
            ? Base.message('InternalError')
            : Base.message('GeneralError');
      if (status >= 500) this.services.log.error('HTTP request failed', { method: req.method, url: req.url, err: err.message });
      reply.code(status === 413 || err.code === 'FST_ERR_CTP_BODY_TOO_LARGE' ? 413 : status).header('OData-Version', '4.0');
      return errorBody([msg]);
    });
    app.setNotFoundHandler(async (req, reply) => {
      reply.code(404);
      return errorBody([Base.message('ResourceNotFound', ['Resource', req.url])]);
    });
  }
}

export interface WebServerOptions {
  service: RedfishService;
  log: Logger;
  address: string;
  httpsPort: number;
  /** Plain HTTP port that redirects to HTTPS; undefined = none. */
  httpPort: number | undefined;
  tls: { cert: string; key: string };
  /** Non-Redfish routes on the same HTTPS app (the WebSocket streams, /openapi). */
  plugins?: readonly ((app: FastifyInstance) => void)[];
}

/** The HTTPS server and the HTTP redirector. */
export class WebServer {
  readonly #opts: WebServerOptions;
  #app: FastifyInstance | undefined;
  #redirect: Server | undefined;
  #httpsPort = 0;
  #httpPort: number | undefined;

  constructor(opts: WebServerOptions) {
    this.#opts = opts;
  }

  get httpsPort(): number {
    return this.#httpsPort;
  }

  get httpPort(): number | undefined {
    return this.#httpPort;
  }

  async start(): Promise<void> {
    const o = this.#opts;
    const app = Fastify({
      https: { key: o.tls.key, cert: o.tls.cert, minVersion: 'TLSv1.2' },
      logger: false,
      bodyLimit: BODY_LIMIT,
      keepAliveTimeout: 60_000,
      connectionTimeout: 120_000,
      requestTimeout: 60_000,
      return503OnClosing: true,
      forceCloseConnections: true,
      // errors fastify raises before routing (a URL with bad percent-encoding)
      // still get a Redfish error body
      frameworkErrors: (_err, _req, res) => {
        const reply = res as unknown as FastifyReply;
        void reply
          .code(404)
          .header('OData-Version', '4.0')
          .header('Content-Type', 'application/json; charset=utf-8')
          .send(JSON.stringify(errorBody([Base.message('ResourceNotFound', ['Resource', 'malformed URI'])])));
      },
    });
    o.service.register(app);
    for (const plugin of o.plugins ?? []) plugin(app);
    await app.listen({ host: o.address, port: o.httpsPort });
    this.#app = app;
    const addr = app.server.address();
    this.#httpsPort = typeof addr === 'object' && addr ? addr.port : o.httpsPort;
    if (o.httpPort !== undefined) {
      const httpsPort = this.#httpsPort;
      const server = createServer((req, res) => {
        const host = (req.headers.host ?? o.address).replace(/:\d+$/, '').replace(/^\[?(.*?)\]?$/, '$1');
        const hostPart = host.includes(':') ? `[${host}]` : host;
        const status = req.method === 'GET' || req.method === 'HEAD' ? 301 : 308;
        res.writeHead(status, { Location: `https://${hostPart}:${httpsPort}${req.url ?? '/'}`, 'Content-Length': '0' });
        res.end();
      });
      server.keepAliveTimeout = 5_000;
      server.requestTimeout = 10_000;
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(o.httpPort, o.address, () => {
          server.off('error', reject);
          resolve();
        });
      });
      this.#redirect = server;
      const a = server.address();
      this.#httpPort = typeof a === 'object' && a ? a.port : o.httpPort;
    }
  }

  /** Swaps the HTTPS certificate: the next TLS handshake uses it, open connections keep theirs. */
  setCertificate(cert: string, key: string): void {
    const server = this.#app?.server as HttpsServer | undefined;
    server?.setSecureContext({ cert, key, minVersion: 'TLSv1.2' });
  }

  async stop(): Promise<void> {
    await this.#app?.close();
    await new Promise<void>((resolve) => (this.#redirect ? this.#redirect.close(() => resolve()) : resolve()));
    this.#redirect?.closeAllConnections();
  }
}
