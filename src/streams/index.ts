// The WebSocket front door (RFC 6455) on the HTTPS server: /ws/sensors,
// /ws/events, /ws/console and /ws/kvm (docs/STREAMS.md), plus /openapi.json and
// /openapi describing every non-Redfish endpoint. Upgrades go through
// fastify's router (@fastify/websocket); each connection is authenticated
// with a Redfish session token, checked against the stream's privilege,
// and closed with a 44xx code when refused. One sweep re-checks the
// sessions of open streams, so a logout, an expiry or a lost privilege
// closes them.
import { fastifyWebsocket, type WebSocket } from '@fastify/websocket';
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from '../log.js';
import type { Bmc } from '../model/bmc.js';
import type { Clock, TimerHandle } from '../model/clock.js';
import type { EventService } from '../redfish/events.js';
import type { RedfishSession, SessionStore } from '../redfish/sessions.js';
import { authorize, CloseCode, currentPrivileges, recheck, selectProtocol, StreamError, tokenFrom } from './auth.js';
import { consoleStream } from './console.js';
import { eventStream } from './events.js';
import { kvmStream } from './kvm.js';
import { openApiDocument, openApiHtml, OPENAPI_HTML_PATH, OPENAPI_JSON_PATH } from './openapi.js';
import type { Incoming, Peer, StreamDef, StreamHandle } from './peer.js';
import { sensorStream } from './sensors.js';

export { APP_PROTOCOL, CloseCode, TOKEN_PROTOCOL_PREFIX } from './auth.js';
export type { StreamDef } from './peer.js';

/** Largest message a client may send (ws closes with 1009 beyond it). */
export const MAX_PAYLOAD = 16 * 1024;
/** How long a shutdown waits for clients to answer the close handshake. */
export const CLOSE_GRACE_MS = 1000;
/** How long a refused upgrade's socket may linger after the answer. */
export const UPGRADE_LINGER_MS = 5000;
/** How often open streams' sessions are re-checked. */
export const RECHECK_MS = 1000;

/** The documented streams over one BMC's model and EventService. */
export function defaultStreams(events: EventService): StreamDef[] {
  return [sensorStream(), eventStream(events), consoleStream(), kvmStream()];
}

interface Connection {
  readonly def: StreamDef;
  readonly session: RedfishSession;
  readonly handle: StreamHandle;
  readonly peer: Peer;
}

function wsPeer(socket: WebSocket): Peer {
  return {
    send: (data) => {
      if (socket.readyState === socket.OPEN) socket.send(data, { binary: typeof data !== 'string' });
    },
    close: (code, reason) => {
      if (socket.readyState === socket.OPEN || socket.readyState === socket.CONNECTING) socket.close(code, reason);
    },
    get bufferedAmount() {
      return socket.bufferedAmount;
    },
    pause: () => socket.pause(),
    resume: () => socket.resume(),
  };
}

function toBytes(data: Buffer | ArrayBuffer | Buffer[]): Uint8Array {
  if (Array.isArray(data)) return Buffer.concat(data);
  return data instanceof ArrayBuffer ? new Uint8Array(data) : data;
}

export class StreamHub {
  readonly #bmc: Bmc;
  readonly #sessions: SessionStore;
  readonly #defs: readonly StreamDef[];
  readonly #log: Logger;
  readonly #clock: Clock;
  readonly #open = new Set<Connection>();
  #sweep: TimerHandle | undefined;
  #closed = false;

  constructor(opts: { bmc: Bmc; sessions: SessionStore; streams: readonly StreamDef[]; log: Logger; clock?: Clock }) {
    this.#bmc = opts.bmc;
    this.#sessions = opts.sessions;
    this.#defs = opts.streams;
    this.#log = opts.log;
    this.#clock = opts.clock ?? opts.bmc.clock;
  }

  /** Open connections (for tests and diagnostics). */
  get size(): number {
    return this.#open.size;
  }

  /** Registers the WebSocket routes and the OpenAPI document on the HTTPS app. */
  register(app: FastifyInstance): void {
    const doc = JSON.stringify(openApiDocument(), null, 2);
    const html = openApiHtml(openApiDocument());
    void app.register(async (inst) => {
      await inst.register(fastifyWebsocket, {
        options: { maxPayload: MAX_PAYLOAD, handleProtocols: (offered) => selectProtocol(offered), perMessageDeflate: false },
        // close frames first; a client that does not answer within the grace is cut off
        preClose: async () => {
          this.close();
          const clients = inst.websocketServer.clients;
          for (const c of clients) c.close(CloseCode.GoingAway, 'Shutting down');
          const end = Date.now() + CLOSE_GRACE_MS;
          while (clients.size > 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
          for (const c of clients) c.terminate();
        },
        errorHandler: (err, socket) => {
          this.#log.debug('websocket error', { err: err.message });
          socket.terminate();
        },
      });
      for (const def of this.#defs) {
        inst.route({
          method: 'GET',
          url: def.path,
          exposeHeadRoute: false,
          handler: upgradeRequired,
          wsHandler: (socket, req) => this.#accept(def, socket, req),
        });
      }
    });
    // /openapi* outside the WebSocket context: an upgrade request there gets the page, not a socket
    app.get(OPENAPI_JSON_PATH, async (_req, reply) => {
      void reply.header('Content-Type', 'application/json; charset=utf-8').header('Cache-Control', 'no-cache');
      return doc;
    });
    app.get(OPENAPI_HTML_PATH, async (_req, reply) => {
      void reply
        .header('Content-Type', 'text/html; charset=utf-8')
        .header('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'")
        .header('X-Content-Type-Options', 'nosniff');
      return html;
    });
    // Once an 'upgrade' listener exists, Node hands every request carrying
    // Upgrade to it with the socket detached from the HTTP server (no
    // keep-alive, no timeouts). One that got an ordinary answer (Redfish, a
    // 404, a 426) is ended here, and destroyed if the client lingers.
    const upgrades = new WeakSet<IncomingMessage>();
    app.server.on('upgrade', (req: IncomingMessage) => upgrades.add(req));
    app.addHook('onResponse', (req, _reply, done) => {
      if (upgrades.has(req.raw)) {
        const socket = req.raw.socket;
        socket.end();
        socket.setTimeout(UPGRADE_LINGER_MS, () => socket.destroy());
      }
      done();
    });
  }

  #accept(def: StreamDef, socket: WebSocket, req: FastifyRequest): void {
    const peer = wsPeer(socket);
    let conn: Connection | undefined;
    try {
      if (this.#closed) throw new StreamError(CloseCode.GoingAway, 'Shutting down');
      const { principal, session } = authorize(this.#sessions, tokenFrom(req.headers), def.privilege);
      const url = new URL(req.url, 'http://localhost');
      const handle = def.open(
        {
          bmc: this.#bmc,
          clock: this.#clock,
          principal,
          session,
          query: url.searchParams,
          privileges: () => currentPrivileges(this.#sessions, session),
          touch: () => void this.#sessions.byToken(session.token),
        },
        peer,
      );
      conn = { def, session, handle, peer };
      this.#open.add(conn);
      this.#startSweep();
    } catch (err) {
      const e = err instanceof StreamError ? err : new StreamError(CloseCode.Unavailable, 'Internal error');
      if (!(err instanceof StreamError)) this.#log.error('stream open failed', { path: def.path, err: String(err) });
      peer.close(e.code, e.reason);
      return;
    }
    const c = conn;
    socket.on('message', (data, isBinary) => {
      const m: Incoming = { binary: isBinary, data: toBytes(data) };
      try {
        c.handle.message?.(m);
      } catch (err) {
        this.#log.warn('stream message failed', { path: def.path, err: String(err) });
      }
    });
    socket.on('close', () => this.#drop(c));
  }

  #drop(c: Connection): void {
    if (!this.#open.delete(c)) return;
    c.handle.close();
  }

  #startSweep(): void {
    if (this.#sweep || this.#closed) return;
    this.#sweep = this.#clock.setTimeout(() => {
      this.#sweep = undefined;
      this.recheck();
      if (this.#open.size > 0) this.#startSweep();
    }, RECHECK_MS);
  }

  /** Closes every stream whose session ended or lost the stream's privilege. */
  recheck(): void {
    for (const c of [...this.#open]) {
      const e = recheck(this.#sessions, c.session, c.def.privilege);
      if (!e) continue;
      this.#drop(c);
      c.peer.close(e.code, e.reason);
    }
  }

  /** Closes every stream (1001 Going Away). */
  close(): void {
    this.#closed = true;
    this.#sweep?.cancel();
    this.#sweep = undefined;
    for (const c of [...this.#open]) {
      this.#drop(c);
      c.peer.close(CloseCode.GoingAway, 'Shutting down');
    }
  }
}

/** A plain GET on a WebSocket endpoint: 426 Upgrade Required (RFC 9110 15.5.22). */
async function upgradeRequired(_req: FastifyRequest, reply: FastifyReply): Promise<string> {
  void reply.code(426).header('Upgrade', 'websocket').header('Connection', 'Upgrade').header('Content-Type', 'application/json; charset=utf-8');
  return JSON.stringify({ error: 'Upgrade Required', message: 'This endpoint is a WebSocket; see /openapi' });
}
