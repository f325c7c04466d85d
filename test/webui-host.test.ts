// The web UI's host pages in headless Chromium against the real tsbmc
// process: the serial console (xterm.js over /ws/console: log in to the
// simulated host and run a command; a ReadOnly user watches only), virtual
// media mounted from a local HTTP server and ejected, the boot override
// (agreeing with `ipmitool chassis bootparam`/`bootdev` both ways) and the
// inventory (what the Redfish resources report).
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser, signInAt } from './helpers/browser.js';
import { ADMIN_PASSWORD, ipmitool, keyValues, redfish, startBmcProcess, waitFor, type BmcProcess } from './helpers/bmc-process.js';

let bmc: BmcProcess;
let browser: Browser;
let images: Server;
let imageBase: string;
const ISO = Buffer.alloc(256 * 1024, 0x42);
const SYS = '/redfish/v1/Systems/system';

before(async () => {
  images = createServer((req, res) => {
    if (req.url === '/images/rescue.iso') res.writeHead(200, { 'content-length': ISO.length }).end(ISO);
    else res.writeHead(404).end();
  });
  await new Promise<void>((r) => images.listen(0, '127.0.0.1', r));
  imageBase = `http://127.0.0.1:${(images.address() as AddressInfo).port}`;
  bmc = await startBmcProcess();
  // the simulated host takes a few seconds to reach its login prompt: start it now
  const on = await ipmitool(bmc, ['chassis', 'power', 'on']);
  assert.equal(on.code, 0, on.stderr);
  browser = await launchBrowser();
  const r = await redfish(bmc, 'POST', '/redfish/v1/AccountService/Accounts', { body: { UserName: 'viewer', Password: 'viewer-pass1', RoleId: 'ReadOnly' } });
  assert.equal(r.status, 201, r.text);
});

after(async () => {
  await browser?.close();
  await bmc?.stop();
  images?.closeAllConnections();
  images?.close();
});

async function signIn(user: string, password: string, route: string): Promise<Page> {
  const context = await browser.newContext({ ignoreHTTPSErrors: true });
  // keep hold of the console's WebSockets, so a test can cut one as a network drop would
  await context.addInitScript(`
    window.__consoleSockets = [];
    const Native = window.WebSocket;
    window.WebSocket = class extends Native {
      constructor(url, protocols) {
        super(url, protocols);
        if (String(url).includes('/ws/console')) window.__consoleSockets.push(this);
      }
    };`);
  const page = await context.newPage();
  await signInAt(page, `${bmc.baseUrl}/#/${route}`, user, password);
  return page;
}

/** The terminal's visible text, one line per row (xterm's DOM renderer rows). */
async function screen(page: Page): Promise<string> {
  const rows = await page.getByTestId('console-terminal').locator('.xterm-rows > div').allTextContents();
  return rows.map((r) => r.replace(/\u00a0/g, ' ').trimEnd()).join('\n');
}

async function screenMatches(page: Page, re: RegExp, timeout = 10_000): Promise<string> {
  return waitFor(async () => {
    const s = await screen(page);
    return re.test(s) ? s : undefined;
  }, timeout);
}

describe('web UI: host pages', () => {
  it('Remote control: an administrator logs in on the serial console and runs a command', async () => {
    const page = await signIn('admin', ADMIN_PASSWORD, 'console');
    await page.getByRole('heading', { name: 'Remote control' }).waitFor();
    await page.getByTestId('console-link').filter({ hasText: 'Connected' }).waitFor({ timeout: 15_000 });
    await screenMatches(page, /login: *$/m, 30_000);
    const terminal = page.getByRole('region', { name: /Serial console of system/ });
    await terminal.click();
    await page.keyboard.type('root');
    await page.keyboard.press('Enter');
    await screenMatches(page, /Password: *$/m);
    await page.keyboard.type('tsbmc');
    await page.keyboard.press('Enter');
    await screenMatches(page, /# *$/m);
    await page.keyboard.type('echo hello-ui');
    await page.keyboard.press('Enter');
    const text = await screenMatches(page, /^hello-ui$/m);
    assert.match(text, /echo hello-ui/);

    // a dropped connection resumes where it stopped (since=offset): nothing shown twice
    const sockets = await page.evaluate('window.__consoleSockets.length');
    assert.equal(sockets, 1);
    await page.evaluate('window.__consoleSockets[0].close()');
    const urls = await waitFor(async () => {
      const u = (await page.evaluate('window.__consoleSockets.map((s) => s.url)')) as string[];
      return u.length === 2 ? u : undefined;
    });
    await page.getByTestId('console-link').filter({ hasText: 'Connected' }).waitFor({ timeout: 15_000 });
    assert.match(urls[1]!, /[?&]since=\d+/);
    await page.keyboard.type('echo again-ui');
    await page.keyboard.press('Enter');
    const after = await screenMatches(page, /^again-ui$/m);
    assert.equal(after.match(/^hello-ui$/gm)?.length, 1);
    assert.equal(after.match(/login: /g)?.length, 1);
    assert.equal(await page.getByTestId('console-watch-only').count(), 0);
    // the graphical console is not faked
    await page.getByRole('heading', { name: 'Graphical console (KVM)' }).waitFor();
    await page.context().close();
  });

  it('Remote control: a ReadOnly user watches but cannot type', async () => {
    const page = await signIn('viewer', 'viewer-pass1', 'console');
    await page.getByTestId('console-link').filter({ hasText: 'Connected' }).waitFor({ timeout: 15_000 });
    await page.getByTestId('console-watch-only').waitFor();
    // the history includes the administrator's session
    await screenMatches(page, /^hello-ui$/m);
    assert.equal(await page.getByRole('button', { name: 'Send serial break' }).count(), 0);
    await page.getByRole('region', { name: /Serial console of system/ }).click();
    await page.keyboard.type('whoami-ro');
    await page.keyboard.press('Enter');
    await page.getByRole('alert').filter({ hasText: /not type/ }).waitFor();
    await new Promise((r) => setTimeout(r, 500));
    assert.ok(!(await screen(page)).includes('whoami-ro'), 'nothing was echoed');
    await page.context().close();
  });

  it('Virtual media: mount an image by URL, Redfish agrees, eject', async () => {
    const page = await signIn('admin', ADMIN_PASSWORD, 'media');
    await page.getByRole('heading', { name: 'Virtual media' }).waitFor();
    const cd = page.getByTestId('media-CD');
    await cd.getByRole('heading', { name: 'Virtual CD/DVD' }).waitFor();
    await cd.getByLabel('Image address (HTTP or HTTPS)').fill(`${imageBase}/images/rescue.iso`);
    await cd.getByLabel('User name (optional)').fill('reader');
    await cd.getByLabel('Password (optional)').fill('s3cret-pass');
    await cd.getByRole('button', { name: 'Mount' }).click();
    await cd.getByTestId('inserted-CD').filter({ hasText: 'Yes' }).waitFor({ timeout: 15_000 });
    assert.equal(await cd.getByTestId('image-name-CD').innerText(), 'rescue.iso');
    assert.equal(await cd.getByTestId('download-CD').innerText(), 'Ready');
    const vm = await redfish(bmc, 'GET', `${SYS}/VirtualMedia/CD`);
    assert.equal(vm.body.Inserted, true);
    assert.equal(vm.body.ImageName, 'rescue.iso');
    assert.equal(vm.body.Image, `${imageBase}/images/rescue.iso`);
    // the credentials are never shown back
    assert.ok(!(await page.content()).includes('s3cret-pass'));
    assert.ok(!vm.text.includes('s3cret-pass'));

    let asked = '';
    page.once('dialog', (d) => {
      asked = d.message();
      void d.accept();
    });
    await cd.getByRole('button', { name: 'Eject' }).click();
    await cd.getByTestId('inserted-CD').filter({ hasText: 'No' }).waitFor();
    assert.match(asked, /Eject rescue\.iso/);
    const ejected = await redfish(bmc, 'GET', `${SYS}/VirtualMedia/CD`);
    assert.equal(ejected.body.Inserted, false);
    assert.equal(ejected.body.Image, null);
    await page.context().close();
  });

  it('Boot: PXE once is what IPMI reports; ipmitool bootdev cdrom shows after a reload', async () => {
    const page = await signIn('admin', ADMIN_PASSWORD, 'boot');
    await page.getByRole('heading', { name: 'Change the next boot' }).waitFor();
    await page.getByLabel('Boot device').selectOption('Pxe');
    await page.getByRole('radio', { name: 'Next boot only' }).check();
    await page.getByRole('radio', { name: 'UEFI' }).check();
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('status').filter({ hasText: 'Boot override saved.' }).waitFor();
    assert.match(await page.getByTestId('boot-current-target').innerText(), /\(Pxe\)/);
    const param = await ipmitool(bmc, ['chassis', 'bootparam', 'get', '5']);
    assert.equal(param.code, 0, param.stderr);
    const kv = keyValues(param.stdout);
    assert.match(kv.get('- Boot Device Selector') ?? param.stdout, /Force PXE/);
    assert.match(param.stdout, /Options apply to only next boot/);
    assert.match(param.stdout, /BIOS EFI boot/);

    const dev = await ipmitool(bmc, ['chassis', 'bootdev', 'cdrom']);
    assert.equal(dev.code, 0, dev.stderr);
    await page.reload();
    await page.getByTestId('boot-current-target').filter({ hasText: '(Cd)' }).waitFor();
    assert.equal(await page.getByLabel('Boot device').inputValue(), 'Cd');
    await page.context().close();
  });

  it('Boot: a ReadOnly user sees the setting but cannot change it', async () => {
    const page = await signIn('viewer', 'viewer-pass1', 'boot');
    await page.getByTestId('boot-current-target').filter({ hasText: '(Cd)' }).waitFor();
    assert.ok(await page.getByLabel('Boot device').isDisabled());
    await page.context().close();
  });

  it('Inventory: lists the CPU, DIMMs, NIC MACs, drives and firmware Redfish reports; operators set the asset tag', async () => {
    const page = await signIn('admin', ADMIN_PASSWORD, 'inventory');
    await page.getByRole('heading', { name: 'Inventory', level: 1 }).waitFor();
    const cpus = (await redfish(bmc, 'GET', `${SYS}/Processors?$expand=.`)).body.Members as Record<string, any>[];
    const dimms = (await redfish(bmc, 'GET', `${SYS}/Memory?$expand=.`)).body.Members as Record<string, any>[];
    const nics = (await redfish(bmc, 'GET', `${SYS}/EthernetInterfaces?$expand=.`)).body.Members as Record<string, any>[];
    const storage = (await redfish(bmc, 'GET', `${SYS}/Storage?$expand=.`)).body.Members as Record<string, any>[];
    const drives = await Promise.all(storage.flatMap((s) => (s.Drives as { '@odata.id': string }[]).map(async (d) => (await redfish(bmc, 'GET', d['@odata.id'])).body as Record<string, any>)));
    assert.ok(cpus.length > 0 && dimms.length > 0 && nics.length > 0 && drives.length > 0);

    const cpuTable = page.getByTestId('inv-cpus');
    await cpuTable.waitFor();
    for (const c of cpus) await cpuTable.getByRole('cell', { name: c.Model as string }).waitFor();
    const memTable = page.getByTestId('inv-memory');
    await memTable.waitFor();
    assert.equal(await memTable.locator('tbody tr').count(), dimms.length);
    for (const d of dimms) {
      const row = memTable.getByRole('row', { name: new RegExp(`^${d.DeviceLocator as string}\\b`) });
      await row.waitFor();
      if (d.Status.State === 'Absent') assert.match(await row.innerText(), /Absent/);
      else assert.match(await row.innerText(), new RegExp(d.SerialNumber as string));
    }
    const populated = dimms.filter((d) => d.Status.State !== 'Absent').length;
    assert.match(await page.getByTestId('inv-mem-summary').innerText(), new RegExp(`^${populated} of ${dimms.length} slots populated`));
    const nicTable = page.getByTestId('inv-nics');
    await nicTable.waitFor();
    for (const n of nics) await nicTable.getByText(n.MACAddress as string, { exact: true }).waitFor();
    const driveTable = page.getByTestId('inv-drives');
    await driveTable.waitFor();
    for (const d of drives) await driveTable.getByRole('cell', { name: d.SerialNumber as string }).waitFor();
    await page.getByTestId('inv-firmware').getByRole('rowheader', { name: 'BIOS', exact: true }).waitFor();

    await page.getByLabel('Asset tag').fill('RACK7-U12');
    await page.getByRole('button', { name: 'Save asset tag' }).click();
    await page.getByTestId('asset-tag').filter({ hasText: 'RACK7-U12' }).waitFor();
    const sys = await redfish(bmc, 'GET', SYS);
    assert.equal(sys.body.AssetTag, 'RACK7-U12');
    await page.context().close();
  });
});
