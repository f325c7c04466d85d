// The web UI in headless Chromium against the real tsbmc process: sign in,
// the dashboard follows the host's power state (changed in the page and over
// IPMI), role-aware actions, bad credentials and an ended session.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser, signInAt } from './helpers/browser.js';
import { ADMIN_PASSWORD, ipmitool, keyValues, redfish, startBmcProcess, type BmcProcess } from './helpers/bmc-process.js';

let bmc: BmcProcess;
let browser: Browser;

before(async () => {
  bmc = await startBmcProcess();
  browser = await launchBrowser();
  const r = await redfish(bmc, 'POST', '/redfish/v1/AccountService/Accounts', { body: { UserName: 'viewer', Password: 'viewer-pass1', RoleId: 'ReadOnly' } });
  assert.equal(r.status, 201, r.text);
});

after(async () => {
  await browser?.close();
  await bmc?.stop();
});

async function signIn(user: string, password: string): Promise<Page> {
  const context = await browser.newContext({ ignoreHTTPSErrors: true });
  const page = await context.newPage();
  await signInAt(page, `${bmc.baseUrl}/`, user, password);
  return page;
}

/** Waits until the dashboard's power pill reads `state`. */
async function powerShows(page: Page, state: string): Promise<void> {
  await page.getByTestId('power-state').filter({ hasText: new RegExp(`^${state}$`) }).waitFor({ timeout: 10_000 });
}

describe('web UI', () => {
  it('bad credentials are refused with a message', async () => {
    const page = await signIn('admin', 'not-the-password');
    await page.getByRole('alert').waitFor();
    assert.match(await page.getByRole('alert').innerText(), /not correct/);
    await page.context().close();
  });

  it('an administrator signs in and powers the host on from the dashboard', async () => {
    const page = await signIn('admin', ADMIN_PASSWORD);
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
    const state = page.getByTestId('power-state');
    await powerShows(page, 'Off');
    page.on('dialog', (d) => void d.accept());
    await page.getByRole('button', { name: 'Power on' }).click();
    await powerShows(page, 'On');
    assert.equal(await state.innerText(), 'On');
    const ipmi = await ipmitool(bmc, ['chassis', 'status']);
    assert.equal(keyValues(ipmi.stdout).get('System Power'), 'on');
    // uptimes and the power-cycle count come from Redfish (LastResetTime, Oem.Tsbmc.PowerCycles)
    await page.getByTestId('host-uptime').filter({ hasText: /\d+ (s|min)/ }).waitFor();
    await page.getByTestId('power-cycles').filter({ hasText: /^[1-9]\d*$/ }).waitFor();
    assert.match(await page.getByTestId('bmc-uptime').innerText(), /\d+ (s|min|h)/);
    // a change made over IPMI shows in the open page without a reload
    await ipmitool(bmc, ['chassis', 'power', 'off']);
    await powerShows(page, 'Off');
    await page.context().close();
  });

  it('a ReadOnly user sees no power actions', async () => {
    const page = await signIn('viewer', 'viewer-pass1');
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
    await page.getByTestId('power-state').waitFor();
    assert.equal(await page.getByRole('button', { name: 'Power on' }).count(), 0);
    assert.match(await page.locator('.who').innerText(), /ReadOnly/);
    await page.context().close();
  });

  it('an ended session returns to the sign-in page with a notice', async () => {
    const page = await signIn('admin', ADMIN_PASSWORD);
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
    // end every admin session from outside (as an expiry would)
    const sessions = await redfish(bmc, 'GET', '/redfish/v1/SessionService/Sessions');
    for (const m of sessions.body.Members as { '@odata.id': string }[]) await redfish(bmc, 'DELETE', m['@odata.id']);
    await page.getByRole('button', { name: 'Sign in' }).waitFor({ timeout: 20_000 });
    assert.match(await page.getByRole('status').innerText(), /expired/);
    await page.context().close();
  });
});
