// The Event log and Power pages in headless Chromium against the real tsbmc
// process, checked across protocols with ipmitool: SEL entries added over
// IPMI list (and arrive live), filter, search, paging, CSV download, clear
// (hidden for ReadOnly); power actions, restore policy, power limit and
// consumption.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser, signInAt } from './helpers/browser.js';
import { ADMIN_PASSWORD, ipmitool, keyValues, redfish, startBmcProcess, type BmcProcess } from './helpers/bmc-process.js';

let bmc: BmcProcess;
let browser: Browser;

/** SEL event records as `ipmitool sel add` reads them: EvMRev, sensor type, number, event dir/type, 3 data bytes. */
const WARNING = '0x04 0x01 0x30 0x01 0x07 0x00 0x00'; // Upper Non-critical going high, asserted
const CRITICAL = '0x04 0x01 0x30 0x01 0x09 0x00 0x00'; // Upper Critical going high, asserted
const OK = '0x04 0x01 0x30 0x81 0x07 0x00 0x00'; // deasserted
const IERR = '0x04 0x07 0x50 0x6f 0x00 0x00 0x00'; // Processor IERR, Critical

async function selAdd(lines: string[]): Promise<void> {
  const file = join(bmc.stateDir, `sel-${Date.now()}.txt`);
  writeFileSync(file, lines.join('\n') + '\n');
  const r = await ipmitool(bmc, ['sel', 'add', file]);
  assert.equal(r.code, 0, r.stderr);
}

async function ok(args: string[]): Promise<string> {
  const r = await ipmitool(bmc, args);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout;
}

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

async function signIn(user: string, password: string, route: string): Promise<Page> {
  const context = await browser.newContext({ ignoreHTTPSErrors: true, acceptDownloads: true });
  const page = await context.newPage();
  await signInAt(page, `${bmc.baseUrl}/`, user, password);
  await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
  await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: route }).click();
  await page.getByRole('heading', { level: 1, name: route }).waitFor();
  return page;
}

/** Accepts every confirmation and records what it asked. */
function acceptDialogs(page: Page): string[] {
  const asked: string[] = [];
  page.on('dialog', (d) => {
    asked.push(d.message());
    void d.accept();
  });
  return asked;
}

async function countShows(page: Page, text: RegExp): Promise<void> {
  await page.getByTestId('ev-count').filter({ hasText: text }).waitFor({ timeout: 15_000 });
}

describe('web UI: event log', () => {
  it('lists SEL entries newest first, live, filtered, searched, paged, downloaded and cleared', async () => {
    // 60 entries: 20 each of Warning, Critical and OK
    const lines: string[] = [];
    for (let i = 0; i < 20; i++) lines.push(WARNING, CRITICAL, OK);
    await selAdd(lines);
    const page = await signIn('admin', ADMIN_PASSWORD, 'Event log');
    const table = page.getByRole('table', { name: 'Event log entries' });
    await countShows(page, /Showing 1–25 of 60$/);
    assert.equal(await table.getByRole('row').count(), 26);
    assert.deepEqual(await table.getByRole('columnheader').allInnerTexts(), ['Id', 'Severity', 'Time', 'Sensor', 'Message']);
    // newest first: record 60 (an OK deassertion) heads the list
    const first = table.getByRole('row').nth(1);
    assert.equal(await first.getByRole('cell').first().innerText(), '60');
    assert.match(await first.innerText(), /12V[\s\S]*Upper Non-critical going high, Deasserted/);

    // paging
    assert.equal(await page.getByTestId('ev-page').innerText(), 'Page 1 of 3');
    await page.getByRole('button', { name: 'Next' }).click();
    assert.equal(await page.getByTestId('ev-page').innerText(), 'Page 2 of 3');
    await countShows(page, /Showing 26–50 of 60$/);
    await page.getByRole('button', { name: 'Last' }).click();
    await countShows(page, /Showing 51–60 of 60$/);
    assert.equal(await table.getByRole('row').count(), 11);
    await page.getByLabel('Per page').selectOption('100');
    await countShows(page, /Showing 1–60 of 60$/);
    assert.equal(await page.getByTestId('ev-page').count(), 0);

    // live: an entry added over IPMI appears without a reload
    await selAdd([IERR]);
    await countShows(page, /of 61$/);
    assert.match(await table.getByRole('row').nth(1).innerText(), /Processor #0x50[\s\S]*IERR, Asserted/);

    // severity filter
    await page.getByLabel('Severity').selectOption('Critical');
    await countShows(page, /^Showing 1–21 of 21 \(61 in the log\)$/);
    const pills = await table.locator('tbody .pill').allInnerTexts();
    assert.equal(pills.length, 21);
    assert.ok(pills.every((p) => p === 'Critical'));

    // text search narrows further
    await page.getByLabel('Search').fill('ierr');
    await countShows(page, /^Showing 1–1 of 1 /);
    await page.getByLabel('Search').fill('no such thing');
    await countShows(page, /^No entries match\.$/);
    await page.getByLabel('Severity').selectOption('');
    await page.getByLabel('Search').fill('Upper Critical');
    await countShows(page, /^Showing 1–20 of 20 /);

    // CSV of the filtered entries, made in the browser
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download CSV' }).click()]);
    assert.match(download.suggestedFilename(), /^event-log-system-.*\.csv$/);
    const csv = readFileSync((await download.path())!, 'utf8').trim().split('\r\n');
    assert.equal(csv[0], 'Id,Created,Severity,Sensor,SensorType,SensorNumber,EntryCode,MessageId,Message');
    assert.equal(csv.length, 21);
    assert.ok(csv.slice(1).every((l) => l.includes(',Critical,12V,Temperature,48,Assert,') && l.endsWith(',"12V: Upper Critical going high, Asserted"')), csv[1]);
    const [json] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download JSON' }).click()]);
    const parsed = JSON.parse(readFileSync((await json.path())!, 'utf8')) as { Id: string }[];
    assert.equal(parsed.length, 20);

    // clear, confirmed; IPMI agrees
    const asked = acceptDialogs(page);
    await page.getByLabel('Search').fill('');
    await page.getByRole('button', { name: 'Clear log' }).click();
    await page.getByRole('status').filter({ hasText: 'Event log cleared.' }).waitFor();
    await countShows(page, /^The log is empty\.$/);
    assert.match(asked[0] ?? '', /Clear the event log of system\? All 61 entries/);
    const list = await ipmitool(bmc, ['sel', 'list']);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout + list.stderr, /SEL has no entries/);
    assert.equal(keyValues(await ok(['sel', 'info'])).get('Entries'), '0');
    await page.context().close();
  });

  it('a ReadOnly user reads and downloads the log but sees no Clear', async () => {
    await selAdd([WARNING]);
    const page = await signIn('viewer', 'viewer-pass1', 'Event log');
    await countShows(page, /Showing 1–1 of 1$/);
    await page.getByRole('button', { name: 'Download CSV' }).waitFor();
    assert.equal(await page.getByRole('button', { name: 'Clear log' }).count(), 0);
    await page.context().close();
  });
});

describe('web UI: power', () => {
  it('powers on and off with confirmation; IPMI agrees', async () => {
    const page = await signIn('admin', ADMIN_PASSWORD, 'Power');
    const asked = acceptDialogs(page);
    const pill = page.getByRole('main').getByTestId('power-state');
    await pill.filter({ hasText: /^Off$/ }).waitFor({ timeout: 10_000 });
    const actions = page.getByRole('group', { name: 'Power actions' });
    // the Reset types the system offers (GracefulRestart included)
    assert.deepEqual(await actions.getByRole('button').allInnerTexts(), ['Power on', 'Shut down', 'Power off', 'Restart', 'Reset', 'Power cycle']);
    await actions.getByRole('button', { name: 'Power on' }).click();
    await pill.filter({ hasText: /^On$/ }).waitFor({ timeout: 10_000 });
    assert.match(asked[0] ?? '', /Power on system\?/);
    assert.equal(keyValues(await ok(['chassis', 'status'])).get('System Power'), 'on');
    await actions.getByRole('button', { name: 'Power off' }).click();
    await pill.filter({ hasText: /^Off$/ }).waitFor({ timeout: 10_000 });
    assert.match(asked[1] ?? '', /Cut power immediately/);
    assert.equal(keyValues(await ok(['chassis', 'status'])).get('System Power'), 'off');
    // a declined confirmation does nothing
    page.removeAllListeners('dialog');
    page.once('dialog', (d) => void d.dismiss());
    await actions.getByRole('button', { name: 'Power on' }).click();
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(keyValues(await ok(['chassis', 'status'])).get('System Power'), 'off');
    await page.context().close();
  });

  it('sets the restore policy and the power limit; shows consumption', async () => {
    const page = await signIn('admin', ADMIN_PASSWORD, 'Power');
    acceptDialogs(page);
    // restore policy
    await page.getByLabel('Restore policy', { exact: true }).selectOption('LastState');
    await page.getByRole('button', { name: 'Apply policy' }).click();
    await page.getByRole('status').filter({ hasText: 'Restore policy set to LastState.' }).waitFor();
    await page.getByTestId('restore-policy').filter({ hasText: 'LastState' }).waitFor();
    assert.equal(keyValues(await ok(['chassis', 'status'])).get('Power Restore Policy'), 'previous');
    await page.getByLabel('Restore policy', { exact: true }).selectOption('AlwaysOn');
    await page.getByRole('button', { name: 'Apply policy' }).click();
    await page.getByTestId('restore-policy').filter({ hasText: 'AlwaysOn' }).waitFor();
    assert.equal(keyValues(await ok(['chassis', 'status'])).get('Power Restore Policy'), 'always-on');

    // power limit, shared with DCMI
    await page.getByTestId('power-limit').filter({ hasText: 'No limit' }).waitFor();
    await page.getByLabel('Limit (watts)').fill('250');
    await page.getByLabel('When exceeded').selectOption('LogEventOnly');
    await page.getByRole('button', { name: 'Set limit' }).click();
    await page.getByTestId('power-limit').filter({ hasText: '250 W' }).waitFor();
    let dcmi = keyValues(await ok(['dcmi', 'power', 'get_limit']));
    assert.equal(dcmi.get('Power Limit'), '250 Watts');
    assert.equal(dcmi.get('Current Limit State'), 'Power Limit Active');
    await page.getByRole('button', { name: 'Remove limit' }).click();
    await page.getByTestId('power-limit').filter({ hasText: 'No limit' }).waitFor();
    dcmi = keyValues(await ok(['dcmi', 'power', 'get_limit']));
    assert.equal(dcmi.get('Current Limit State'), 'No Active Power Limit');

    // consumption numbers and the chart of samples
    for (const id of ['power-now', 'power-min', 'power-max', 'power-avg']) {
      assert.match(await page.getByTestId(id).innerText(), /^\d+(\.\d+)? W$/, id);
    }
    const chart = page.getByRole('img', { name: /^Power consumption over the last \d+ (s|min|h): from [\d.]+ to [\d.]+ watts, now [\d.]+ watts$/ });
    await chart.waitFor({ timeout: 15_000 });
    await page.context().close();
  });

  it('a ReadOnly user sees the state but no power actions or limit form', async () => {
    const page = await signIn('viewer', 'viewer-pass1', 'Power');
    await page.getByRole('main').getByTestId('power-state').filter({ hasText: /^(On|Off)$/ }).waitFor();
    assert.equal(await page.getByRole('group', { name: 'Power actions' }).count(), 0);
    assert.equal(await page.getByRole('button', { name: 'Apply policy' }).count(), 0);
    await page.getByText('Only an Administrator may change the power limit.').waitFor();
    assert.equal(await page.getByLabel('Limit (watts)').count(), 0);
    await page.context().close();
  });
});
