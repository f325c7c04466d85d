// The Sensors page in headless Chromium against the real tsbmc process: the
// table matches Redfish, filters, a reading going live when the host is
// powered on over IPMI, a threshold edit (quantized value shown, the sensor
// turning Warning, the event in the SEL over IPMI, a Base error inline), the
// history chart from the TelemetryService, and no edit controls for ReadOnly.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser, signInAt } from './helpers/browser.js';
import { ADMIN_PASSWORD, ipmitool, redfish, startBmcProcess, waitFor, type BmcProcess } from './helpers/bmc-process.js';

let bmc: BmcProcess;
let browser: Browser;
let admin: Page;

const SENSORS = '/redfish/v1/Chassis/chassis/Sensors?$expand=.';

before(async () => {
  bmc = await startBmcProcess();
  browser = await launchBrowser();
  const r = await redfish(bmc, 'POST', '/redfish/v1/AccountService/Accounts', { body: { UserName: 'viewer', Password: 'viewer-pass1', RoleId: 'ReadOnly' } });
  assert.equal(r.status, 201, r.text);
  admin = await openSensors('admin', ADMIN_PASSWORD);
});

after(async () => {
  await browser?.close();
  await bmc?.stop();
});

async function openSensors(user: string, password: string): Promise<Page> {
  const context = await browser.newContext({ ignoreHTTPSErrors: true });
  const page = await context.newPage();
  await signInAt(page, `${bmc.baseUrl}/`, user, password);
  await page.getByRole('link', { name: 'Sensors' }).click();
  await page.getByRole('heading', { name: 'All sensors' }).waitFor();
  await page.locator('tr[data-sensor]').first().waitFor();
  return page;
}

const rows = (page: Page) => page.locator('tbody tr[data-sensor]');
const shownIds = async (page: Page) => (await rows(page).evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-sensor')!))).sort();

interface Member {
  Id: string;
  Name: string;
  Reading: number | null;
  ReadingType?: string;
  Status: { State: string; Health?: string };
}

describe('web UI: sensors', { timeout: 120_000 }, () => {
  it('lists every sensor with readings matching Redfish', async () => {
    const members = (await redfish(bmc, 'GET', SENSORS)).body.Members as Member[];
    await waitFor(async () => ((await rows(admin).count()) === members.length ? true : undefined));
    assert.deepEqual(await shownIds(admin), members.map((m) => m.Id).sort());
    for (const m of members) {
      const row = admin.locator(`tr[data-sensor="${m.Id}"]`);
      assert.equal(await row.getByRole('rowheader').innerText(), m.Name);
      const text = (await admin.getByTestId(`reading-${m.Id}`).innerText()).trim();
      if (m.Reading === null) assert.equal(text, '—', m.Id);
      else {
        // readings move (noise, the power draw): allow a few counts
        const shown = Number(text.split(/\s/)[0]);
        assert.ok(Math.abs(shown - m.Reading) <= Math.max(0.05 * Math.abs(m.Reading), 0.25), `${m.Id}: page ${text}, Redfish ${m.Reading}`);
      }
      const status = await admin.getByTestId(`status-${m.Id}`).innerText();
      assert.equal(status, m.Status.State === 'Absent' ? 'Absent' : m.Reading === null ? 'No reading' : m.Status.Health, m.Id);
    }
    assert.match(await admin.getByTestId('reading-CPU_Temp').innerText(), /—/, 'the host is off: no CPU temperature');
    assert.match(await admin.locator('tr[data-sensor="12V"]').innerText(), /V/);
  });

  it('filters by type and status', async () => {
    const members = (await redfish(bmc, 'GET', SENSORS)).body.Members as Member[];
    const fans = members.filter((m) => m.ReadingType === 'Rotational').map((m) => m.Id).sort();
    const absent = members.filter((m) => m.Status.State === 'Absent').map((m) => m.Id).sort();
    assert.ok(fans.length > 0 && absent.length > 0);
    await admin.getByLabel('Type').selectOption({ label: 'Fan' });
    assert.deepEqual(await shownIds(admin), fans);
    await admin.getByLabel('Status').selectOption('Absent');
    assert.deepEqual(await shownIds(admin), fans.filter((f) => absent.includes(f)));
    await admin.getByLabel('Type').selectOption({ label: 'All types' });
    assert.deepEqual(await shownIds(admin), absent);
    assert.match(await admin.getByRole('status').filter({ hasText: 'sensors' }).innerText(), new RegExp(`^${absent.length} of ${members.length} sensors$`));
    await admin.getByLabel('Status').selectOption('all');
    assert.equal(await rows(admin).count(), members.length);
  });

  it('a reading goes live when the host is powered on over IPMI', async () => {
    const cpu = admin.getByTestId('reading-CPU_Temp');
    assert.equal((await cpu.innerText()).trim(), '—');
    const on = await ipmitool(bmc, ['chassis', 'power', 'on']);
    assert.equal(on.code, 0, on.stderr);
    await admin.getByTestId('reading-CPU_Temp').filter({ hasText: /\d/ }).waitFor({ timeout: 15_000 });
    assert.match(await cpu.innerText(), /^\d+(\.\d+)? °C$/);
    assert.equal(await admin.getByTestId('status-CPU_Temp').innerText(), 'OK');
  });

  it('an administrator edits thresholds: quantized values, Warning, an SEL event, Base errors inline', async () => {
    // a voltage threshold is stored at the sensor's resolution (12V: 63 mV counts)
    await admin.getByRole('button', { name: '12V', exact: true }).click();
    await admin.getByRole('heading', { name: '12V', level: 2 }).waitFor();
    await admin.getByLabel('Upper caution (V)').fill('12.95');
    await admin.getByRole('button', { name: 'Save thresholds' }).click();
    const result = admin.getByTestId('threshold-result');
    await result.filter({ hasText: 'Saved' }).waitFor();
    assert.match(await result.innerText(), /Upper caution 12\.945 \(asked 12\.95/);
    const v12 = await redfish(bmc, 'GET', '/redfish/v1/Chassis/chassis/Sensors/12V');
    assert.equal(v12.body.Thresholds.UpperCaution.Reading, 12.945);
    assert.equal(await admin.getByLabel('Upper caution (V)').inputValue(), '12.945');

    // a threshold below the reading: the sensor turns Warning, and the SEL has the event
    const before = (await ipmitool(bmc, ['sel', 'elist'])).stdout;
    await admin.getByRole('button', { name: 'CPU Temp', exact: true }).click();
    await admin.getByRole('heading', { name: 'CPU Temp', level: 2 }).waitFor();
    await admin.getByLabel('Upper caution (°C)').fill('1000');
    await admin.getByRole('button', { name: 'Save thresholds' }).click();
    await admin.getByRole('alert').filter({ hasText: /range/ }).waitFor();
    assert.match(await admin.getByTestId('threshold-result').innerText(), /1000.*Thresholds\/UpperCaution\/Reading/);
    await admin.getByLabel('Upper caution (°C)').fill('20');
    await admin.getByRole('button', { name: 'Save thresholds' }).click();
    await result.filter({ hasText: 'Saved' }).waitFor();
    await admin.getByTestId('status-CPU_Temp').filter({ hasText: 'Warning' }).waitFor({ timeout: 10_000 });
    const sel = await waitFor(async () => {
      const now = (await ipmitool(bmc, ['sel', 'elist'])).stdout;
      return now.split('\n').length > before.split('\n').length && /Upper Non-critical going high/.test(now) ? now : undefined;
    });
    assert.match(sel, /Temperature.*Upper Non-critical going high.*Asserted/);
    const cpu = await redfish(bmc, 'GET', '/redfish/v1/Chassis/chassis/Sensors/CPU_Temp');
    assert.equal(cpu.body.Status.Health, 'Warning');
    // the chart draws the new threshold next to the readings
    await admin.locator('.chart .threshold.warn').first().waitFor();
  });

  it('the history chart shows points from the TelemetryService', async () => {
    await admin.getByRole('button', { name: 'System Temp', exact: true }).click();
    await admin.getByRole('heading', { name: 'System Temp', level: 2 }).waitFor();
    const chart = admin.getByRole('img', { name: /System Temp over the last 1 h/ });
    await chart.waitFor();
    // the scanner samples once a second; the 1 h report averages 10 s intervals and the page reloads it every 10 s
    await waitFor(async () => (Number(await chart.getAttribute('data-points')) >= 2 ? true : undefined), 30_000, 500);
    assert.match((await chart.getAttribute('aria-label'))!, /latest \d+/);
    const report = await redfish(bmc, 'GET', '/redfish/v1/TelemetryService/MetricReports/chassis.System_Temp.1h');
    assert.ok(report.body.MetricValues.length >= 2);
    assert.equal(report.body.MetricValues[0].MetricProperty, '/redfish/v1/Chassis/chassis/Sensors/System_Temp#/Reading');
    // keyboard readout
    await chart.focus();
    await admin.keyboard.press('End');
    assert.match(await admin.locator('.chart-readout').innerText(), /\d+ °C/);
    await admin.getByRole('button', { name: '24 h' }).click();
    const day = admin.getByRole('img', { name: /System Temp over the last 24 h/ });
    await day.waitFor();
    assert.ok(Number(await day.getAttribute('data-points')) >= 1);
    assert.equal(await admin.getByRole('button', { name: '24 h' }).getAttribute('aria-pressed'), 'true');
  });

  it('a ReadOnly user sees readings and history but no edit controls', async () => {
    const page = await openSensors('viewer', 'viewer-pass1');
    await page.getByRole('button', { name: 'CPU Temp', exact: true }).click();
    await page.getByRole('heading', { name: 'CPU Temp', level: 2 }).waitFor();
    await page.getByRole('img', { name: /CPU Temp over the last 1 h/ }).waitFor();
    assert.equal(await page.getByRole('button', { name: 'Save thresholds' }).count(), 0);
    assert.equal(await page.getByRole('textbox').count(), 0);
    await page.context().close();
  });
});
