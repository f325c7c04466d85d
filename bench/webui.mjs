// The web UI's benchmark: bundle size (raw and gzip, as tsbmc serves it),
// time to interactive on localhost (navigation to the dashboard showing the
// host's power state, median of several cold loads), and the latency from a
// model change (an IPMI power command) to the browser showing it (pushed over
// /ws/sensors). Run after `npm run build`: node bench/webui.mjs
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { launchBrowser } from '../dist/test/helpers/browser.js';
import { ADMIN_PASSWORD, ipmitool, startBmcProcess } from '../dist/test/helpers/bmc-process.js';

const WEB = new URL('../dist/web/', import.meta.url).pathname;
const RUNS = Number(process.env.RUNS ?? 7);

function files(dir) {
  return readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? files(join(dir, f)) : [join(dir, f)]));
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const bundle = { raw: 0, gzip: 0, initialRaw: 0, initialGzip: 0 };
const html = readFileSync(join(WEB, 'index.html'), 'utf8');
for (const f of files(WEB)) {
  const b = readFileSync(f);
  const g = gzipSync(b, { level: 9 }).length;
  bundle.raw += b.length;
  bundle.gzip += g;
  const rel = f.slice(WEB.length);
  if (rel === 'index.html' || html.includes(rel)) {
    bundle.initialRaw += b.length;
    bundle.initialGzip += g;
  }
}

const bmc = await startBmcProcess();
const browser = await launchBrowser();
const tti = [];
const latency = [];
try {
  for (let i = 0; i < RUNS; i++) {
    const context = await browser.newContext({ ignoreHTTPSErrors: true });
    const page = await context.newPage();
    await page.goto(`${bmc.baseUrl}/`);
    await page.getByLabel('User name').fill('admin');
    await page.getByLabel('Password').fill(ADMIN_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByTestId('power-state').filter({ hasText: /^(On|Off)$/ }).waitFor();
    // cold load with a session: navigation start to the power state on screen
    await page.reload();
    await page.getByTestId('power-state').filter({ hasText: /^(On|Off)$/ }).waitFor();
    tti.push(await page.evaluate(() => performance.now()));
    const target = i % 2 === 0 ? 'On' : 'Off';
    const t0 = Date.now();
    await ipmitool(bmc, ['chassis', 'power', target === 'On' ? 'on' : 'off']);
    await page.getByTestId('power-state').filter({ hasText: new RegExp(`^${target}$`) }).waitFor({ timeout: 10_000 });
    latency.push(Date.now() - t0);
    await context.close();
  }
} finally {
  await browser.close();
  await bmc.stop();
}

const kb = (n) => (n / 1024).toFixed(1);
console.log(`| measure | value |
| --- | --- |
| bundle, all files (raw / gzip) | ${kb(bundle.raw)} KB / ${kb(bundle.gzip)} KB |
| bundle loaded at start (raw / gzip) | ${kb(bundle.initialRaw)} KB / ${kb(bundle.initialGzip)} KB |
| time to interactive, reload to power state shown (median of ${RUNS}) | ${median(tti).toFixed(0)} ms |
| IPMI power command to the browser showing it, including ipmitool's own ~25 ms (median of ${RUNS}) | ${median(latency)} ms |`);
