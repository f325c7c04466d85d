// Serves the built web UI (dist/web, made by `vite build` from web/) from
// memory: index.html at /, hashed assets under /assets/ (cached for a year,
// gzip-compressed when the browser accepts it), with a content security
// policy that allows only this origin. The UI talks to the BMC through
// Redfish and the WebSocket streams only. The files are read once per
// process (every BMC of a rack shares them) and compressed in libuv's
// thread pool, in the background after start or at the first request, so
// compression never holds up the event loop (IPMI answers included).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

export const WEB_DIR = fileURLToPath(new URL('../../web/', import.meta.url));

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
};

const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

const gzipAsync = promisify(gzip);

interface Asset {
  readonly type: string;
  readonly body: Buffer;
  /** Worth compressing (text, larger than a packet). */
  readonly compressible: boolean;
  /** The gzip form, once asked for. */
  gzip: Promise<Buffer> | undefined;
  readonly immutable: boolean;
}

function load(dir: string, prefix: string, out: Map<string, Asset>): void {
  for (const name of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, name.name);
    if (name.isDirectory()) {
      load(path, `${prefix}${name.name}/`, out);
      continue;
    }
    const body = readFileSync(path);
    const type = TYPES[extname(name.name)] ?? 'application/octet-stream';
    const compressible = /^(text\/|application\/json|image\/svg)/.test(type) && body.length > 512;
    out.set(`/${prefix}${name.name}`, { type, body, compressible, gzip: undefined, immutable: prefix.startsWith('assets/') });
  }
}

/** The asset's gzip form, compressed once in the thread pool. */
function gzipped(a: Asset): Promise<Buffer> {
  a.gzip ??= gzipAsync(a.body, { level: 9 });
  return a.gzip;
}

/** The files of each web folder, read once per process. */
const loaded = new Map<string, ReadonlyMap<string, Asset>>();

function assetsOf(dir: string): ReadonlyMap<string, Asset> {
  let assets = loaded.get(dir);
  if (!assets) {
    const m = new Map<string, Asset>();
    if (existsSync(join(dir, 'index.html'))) load(dir, '', m);
    loaded.set(dir, m);
    assets = m;
    // compress in the background, after the start-up work of this tick
    setImmediate(() => {
      for (const a of m.values()) if (a.compressible) void gzipped(a);
    }).unref();
  }
  return assets;
}

/** The web UI's files, or none when the UI was not built (the API still works). */
export class WebSite {
  readonly #assets: ReadonlyMap<string, Asset>;

  constructor(dir = WEB_DIR) {
    this.#assets = assetsOf(dir);
  }

  get available(): boolean {
    return this.#assets.has('/index.html');
  }

  register(app: FastifyInstance): void {
    const send = async (req: FastifyRequest, reply: FastifyReply, path: string): Promise<void> => {
      const a = this.#assets.get(path);
      if (!a) {
        reply.code(404).header('Content-Type', 'text/plain; charset=utf-8');
        await reply.send(this.available ? 'Not found' : 'The web UI is not built (npm run build).');
        return;
      }
      reply
        .header('Content-Type', a.type)
        .header('Content-Security-Policy', CSP)
        .header('X-Content-Type-Options', 'nosniff')
        .header('X-Frame-Options', 'DENY')
        .header('Referrer-Policy', 'no-referrer')
        .header('Strict-Transport-Security', 'max-age=31536000; includeSubdomains')
        .header('Cache-Control', a.immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
      if (a.compressible && /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''))) {
        reply.header('Content-Encoding', 'gzip').header('Vary', 'Accept-Encoding');
        await reply.send(await gzipped(a));
        return;
      }
      await reply.send(a.body);
    };
    app.get('/', (req, reply) => send(req, reply, '/index.html'));
    app.get('/index.html', (req, reply) => send(req, reply, '/index.html'));
    app.get('/assets/*', (req, reply) => send(req, reply, req.url.split('?')[0]!));
  }
}
