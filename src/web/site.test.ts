// The web UI's files as the BMC serves them: gzip when the browser accepts
// it (the same bytes once inflated), identity otherwise, security headers,
// 404 for the rest, and one read of the folder per process.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import Fastify from 'fastify';
import { WebSite } from './site.js';

function webDir(): { dir: string; js: string } {
  const dir = mkdtempSync(join(tmpdir(), 'tsbmc-web-'));
  mkdirSync(join(dir, 'assets'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>tsbmc</title>');
  const js = `export const x = ${JSON.stringify('tsbmc '.repeat(400))};\n`;
  writeFileSync(join(dir, 'assets', 'app-1234.js'), js);
  return { dir, js };
}

test('assets: gzip when accepted (inflates to the file), identity otherwise; immutable caching; CSP', async (t) => {
  const { dir, js } = webDir();
  const app = Fastify();
  t.after(() => app.close());
  new WebSite(dir).register(app);
  const gz = await app.inject({ url: '/assets/app-1234.js', headers: { 'accept-encoding': 'gzip, br' } });
  assert.equal(gz.statusCode, 200);
  assert.equal(gz.headers['content-encoding'], 'gzip');
  assert.equal(gunzipSync(gz.rawPayload).toString('utf8'), js);
  assert.match(String(gz.headers['cache-control']), /immutable/);
  assert.match(String(gz.headers['content-security-policy']), /default-src 'self'/);
  const plain = await app.inject({ url: '/assets/app-1234.js' });
  assert.equal(plain.headers['content-encoding'], undefined);
  assert.equal(plain.body, js);
  const index = await app.inject({ url: '/', headers: { 'accept-encoding': 'gzip' } });
  assert.equal(index.statusCode, 200);
  assert.equal(index.headers['content-encoding'], undefined, 'too small to compress');
  assert.equal(index.headers['cache-control'], 'no-cache');
  assert.equal((await app.inject({ url: '/assets/nope.js' })).statusCode, 404);
});

test('a folder without a built UI serves 404 with a hint; the API is unaffected', async (t) => {
  const app = Fastify();
  t.after(() => app.close());
  const site = new WebSite(mkdtempSync(join(tmpdir(), 'tsbmc-web-empty-')));
  assert.equal(site.available, false);
  site.register(app);
  const r = await app.inject({ url: '/' });
  assert.equal(r.statusCode, 404);
  assert.match(r.body, /npm run build/);
});

test('the BMCs of one process share one read of the folder', async (t) => {
  const { dir } = webDir();
  const [a, b] = [Fastify(), Fastify()];
  t.after(() => Promise.all([a.close(), b.close()]));
  new WebSite(dir).register(a);
  // a file added later is not seen: the folder was read once, by the first site
  writeFileSync(join(dir, 'assets', 'late-5678.js'), 'export {};\n');
  new WebSite(dir).register(b);
  assert.equal((await b.inject({ url: '/assets/app-1234.js' })).statusCode, 200);
  assert.equal((await b.inject({ url: '/assets/late-5678.js' })).statusCode, 404);
});
