// Regenerates docs/screenshots/*.png: every page of the web UI at laptop
// width, and the dashboard at phone width, against a freshly started tsbmc
// with the simulated server powered on. Run after `npm run build`:
//   node scripts/screenshots.mjs
import { mkdirSync } from 'node:fs';
import { launchBrowser } from '../dist/test/helpers/browser.js';
import { ADMIN_PASSWORD, ipmitool, redfish, startBmcProcess } from '../dist/test/helpers/bmc-process.js';

const OUT = new URL('../docs/screenshots/', import.meta.url).pathname;
mkdirSync(OUT, { recursive: true });

const bmc = await startBmcProcess();
const browser = await launchBrowser();
try {
  await ipmitool(bmc, ['chassis', 'power', 'on']);
  // a few events for the log, and time for readings to settle
  await ipmitool(bmc, ['sensor', 'thresh', 'System Temp', 'unc', '24']);
  await new Promise((r) => setTimeout(r, 4000));
  await redfish(bmc, 'GET', '/redfish/v1');
  for (const [name, width, height] of [['laptop', 1280, 800], ['phone', 390, 844]]) {
    const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width, height }, deviceScaleFactor: 1 });
    const page = await context.newPage();
    await page.goto(`${bmc.baseUrl}/`);
    await page.getByLabel('User name').fill('admin');
    await page.getByLabel('Password').fill(ADMIN_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
    await page.waitForTimeout(1500);
    if (name === 'phone') {
      await page.screenshot({ path: `${OUT}dashboard-phone.png`, fullPage: true });
    } else {
      const links = await page.locator('nav.sidebar a').evaluateAll((as) => as.map((a) => [a.getAttribute('href'), a.textContent]));
      for (const [href, title] of links) {
        await page.goto(`${bmc.baseUrl}/${href}`);
        await page.getByRole('heading', { name: title, exact: true }).waitFor();
        await page.waitForTimeout(1500);
        const file = `${OUT}${href.replace(/^#\//, '')}.png`;
        await page.screenshot({ path: file, fullPage: true });
        console.log('wrote', file);
      }
    }
    await context.close();
  }
} finally {
  await browser.close();
  await bmc.stop();
}
