// The Settings and Maintenance pages in headless Chromium against the real
// tsbmc process, checked across protocols: network and clock changes made in
// the page show in ipmitool; a user added in the page signs in over Redfish
// and IPMI at the role's privilege; the TLS certificate is replaced, and a
// signing request made in the page is signed by an openssl CA and installed
// without a key; a
// firmware image is uploaded and followed to 100 %; a support bundle is
// downloaded (with the SEL, without passwords); ReadOnly and Operator users
// see no administrator controls.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { X509Certificate } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { selfSignedCertificate } from '../src/redfish/x509.js';
import { launchBrowser, signInAt } from './helpers/browser.js';
import { ADMIN_PASSWORD, ipmitool, keyValues, redfish, startBmcProcess, type BmcProcess } from './helpers/bmc-process.js';

let bmc: BmcProcess;
let browser: Browser;
let admin: Page;

before(async () => {
  [bmc, browser] = await Promise.all([startBmcProcess(), launchBrowser()]);
  for (const [UserName, Password, RoleId] of [
    ['viewer', 'viewer-pass1', 'ReadOnly'],
    ['oper', 'oper-pass12', 'Operator'],
  ] as const) {
    const r = await redfish(bmc, 'POST', '/redfish/v1/AccountService/Accounts', { body: { UserName, Password, RoleId } });
    assert.equal(r.status, 201, r.text);
  }
  admin = await signIn('admin', ADMIN_PASSWORD);
});

after(async () => {
  await browser?.close();
  await bmc?.stop();
});

async function signIn(user: string, password: string): Promise<Page> {
  const context = await browser.newContext({ ignoreHTTPSErrors: true, acceptDownloads: true });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  page.on('dialog', (d) => void d.accept());
  await signInAt(page, `${bmc.baseUrl}/`, user, password);
  await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
  return page;
}

async function open(page: Page, id: 'settings' | 'maintenance', title: string): Promise<void> {
  await page.getByRole('link', { name: title, exact: true }).click();
  await page.getByRole('heading', { name: title, level: 1 }).waitFor();
  assert.ok(page.url().endsWith(`#/${id}`));
}

/** Waits for a role=status message matching `text` (an alert fails the test with its text). */
async function statusShows(page: Page, text: RegExp): Promise<void> {
  const status = page.getByRole('status').filter({ hasText: text });
  const alert = page.getByRole('alert');
  await Promise.race([
    status.first().waitFor(),
    alert.first().waitFor().then(async () => assert.fail(`alert: ${await alert.first().innerText()}`)),
  ]);
}

describe('web UI: Settings', () => {
  it('a network change shows in ipmitool lan print', async () => {
    await open(admin, 'settings', 'Settings');
    const form = admin.getByRole('form', { name: 'Change BMC network' });
    await form.getByLabel('Static').check();
    await form.getByLabel('IPv4 address').fill('192.0.2.44');
    await form.getByLabel('Subnet mask').fill('255.255.255.0');
    await form.getByLabel('Gateway').fill('192.0.2.1');
    await form.getByLabel('Tag with a VLAN').check();
    await form.getByLabel('VLAN ID').fill('42');
    await form.getByRole('button', { name: 'Apply network settings' }).click();
    await statusShows(admin, /Network settings applied/);
    const lan = keyValues((await ipmitool(bmc, ['lan', 'print', '1'])).stdout);
    assert.equal(lan.get('IP Address'), '192.0.2.44');
    assert.equal(lan.get('Subnet Mask'), '255.255.255.0');
    assert.equal(lan.get('Default Gateway IP'), '192.0.2.1');
    assert.equal(lan.get('IP Address Source'), 'Static Address');
    assert.equal(lan.get('802.1q VLAN ID'), '42');
    await admin.getByTestId('net-address').filter({ hasText: '192.0.2.44 / 255.255.255.0 (Static)' }).waitFor();
  });

  it('a date and time change shows in ipmitool sel time get', async () => {
    const form = admin.getByRole('form', { name: 'Set BMC date and time' });
    await form.getByLabel('Date and time').fill('2030-01-02T03:04:05');
    await form.getByLabel('UTC offset').fill('+00:00');
    await form.getByRole('button', { name: 'Set date and time' }).click();
    await statusShows(admin, /date and time set/);
    const t = await ipmitool(bmc, ['sel', 'time', 'get']);
    assert.match(t.stdout, /^01\/02\/(20)?30 03:0[4-5]:\d\d/);
    await admin.getByTestId('bmc-time').filter({ hasText: /^2030-01-02T03:0/ }).waitFor();
    // back to the real time, for the rest of the run
    await form.getByRole('button', { name: "Use this computer's time" }).click();
    await form.getByRole('button', { name: 'Set date and time' }).click();
    await admin.getByTestId('bmc-time').filter({ hasText: new RegExp(`^${new Date().getUTCFullYear()}-`) }).waitFor();
  });

  it('a user added in the page signs in over Redfish and IPMI at the role privilege; role change and delete', async () => {
    const add = admin.getByRole('form', { name: 'Add a user' });
    await add.getByLabel('New user name').fill('alice');
    await add.getByLabel("New user's role").selectOption('Operator');
    await add.getByLabel("New user's password").fill('Al1ce-pass');
    await add.getByLabel('Repeat the password').fill('Al1ce-pass');
    await add.getByRole('button', { name: 'Add user' }).click();
    await statusShows(admin, /User alice added as Operator/);
    const row = admin.getByRole('row', { name: /alice/ });
    await row.waitFor();
    assert.equal(await row.getByLabel('Role of alice').inputValue(), 'Operator');
    // never a password in the page
    assert.ok(!(await admin.content()).includes('Al1ce-pass'));
    const alice = { user: 'alice', password: 'Al1ce-pass' };
    assert.equal((await redfish(bmc, 'GET', '/redfish/v1/Managers/bmc', alice)).status, 200);
    assert.equal((await ipmitool(bmc, ['-L', 'OPERATOR', 'chassis', 'status'], alice)).code, 0);
    assert.notEqual((await ipmitool(bmc, ['-L', 'ADMINISTRATOR', 'chassis', 'status'], alice)).code, 0);

    await row.getByLabel('Role of alice').selectOption('ReadOnly');
    await statusShows(admin, /alice is now ReadOnly/);
    assert.equal((await ipmitool(bmc, ['-L', 'USER', 'chassis', 'status'], alice)).code, 0);
    assert.notEqual((await ipmitool(bmc, ['-L', 'OPERATOR', 'chassis', 'status'], alice)).code, 0);

    await row.getByRole('button', { name: 'Change password of alice' }).click();
    await row.getByLabel('New password for alice').fill('N3w-alice-pw');
    await row.getByRole('button', { name: 'Set password' }).click();
    await statusShows(admin, /Password of alice changed/);
    assert.equal((await redfish(bmc, 'GET', '/redfish/v1/Managers/bmc', { user: 'alice', password: 'N3w-alice-pw' })).status, 200);

    await row.getByRole('button', { name: 'Disable alice' }).click();
    await statusShows(admin, /alice disabled/);
    assert.equal((await redfish(bmc, 'GET', '/redfish/v1/Managers/bmc', { user: 'alice', password: 'N3w-alice-pw' })).status, 401);
    await row.getByRole('button', { name: 'Enable alice' }).click();
    await statusShows(admin, /alice enabled/);

    await row.getByRole('button', { name: 'Delete alice' }).click();
    await statusShows(admin, /User alice deleted/);
    await admin.getByRole('row', { name: /alice/ }).waitFor({ state: 'detached' });
    assert.equal((await redfish(bmc, 'GET', '/redfish/v1/Managers/bmc', { user: 'alice', password: 'N3w-alice-pw' })).status, 401);
  });

  it('replaces the TLS certificate and shows the new fingerprint', async () => {
    const old = await admin.getByTestId('cert-fingerprint').innerText();
    const made = selfSignedCertificate({ commonName: 'bmc-ui-test.example', organization: 'tsbmc tests', hosts: ['127.0.0.1'], days: 30 });
    const fingerprint = new X509Certificate(made.certPem).fingerprint256;
    assert.notEqual(old, fingerprint);
    await admin.getByLabel('Certificate (PEM)').fill(made.certPem);
    await admin.getByLabel('Private key (PEM)').fill(made.keyPem);
    await admin.getByRole('button', { name: 'Replace certificate' }).click();
    await statusShows(admin, /Certificate replaced/);
    await admin.getByTestId('cert-fingerprint').filter({ hasText: fingerprint }).waitFor();
    assert.match(await admin.getByTestId('cert-subject').innerText(), /CN=bmc-ui-test\.example/);
    // the private key is not shown back
    assert.ok(!(await admin.content()).includes(made.keyPem.split('\n')[1]!));
  });

  it('generates a signing request, and installs the certificate a CA signed for it without a key', async (t) => {
    if (spawnSync('openssl', ['version']).status !== 0) {
      if (process.env.CI === 'true') assert.fail('openssl is not installed: bash .ci/run installs it');
      process.stderr.write(`${'!'.repeat(78)}\n!! openssl is not installed: the signing request page test is SKIPPED\n${'!'.repeat(78)}\n`);
      t.skip('openssl not installed');
      return;
    }
    await admin.getByLabel('Common name').fill('bmc-ui-csr.example');
    await admin.getByLabel('Organization', { exact: true }).fill('tsbmc tests');
    await admin.getByLabel('Alternative names').fill('127.0.0.1, bmc-ui-alt.example');
    await admin.getByLabel('Key type').selectOption({ label: 'RSA 2048' });
    await admin.getByRole('button', { name: 'Generate signing request' }).click();
    await statusShows(admin, /Signing request generated/);
    const csr = await admin.getByTestId('csr-pem').inputValue();
    assert.match(csr, /^-----BEGIN CERTIFICATE REQUEST-----\n/);
    const dir = mkdtempSync(join(tmpdir(), 'tsbmc-ui-csr-'));
    try {
      writeFileSync(join(dir, 'bmc.csr'), csr);
      const sh = (args: string[]) => {
        const r = spawnSync('openssl', args, { encoding: 'utf8' });
        assert.equal(r.status, 0, r.stderr);
        return r.stdout;
      };
      assert.match(sh(['req', '-in', join(dir, 'bmc.csr'), '-noout', '-text']), /DNS:bmc-ui-csr\.example, IP Address:127\.0\.0\.1, DNS:bmc-ui-alt\.example/);
      sh(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(dir, 'ca.key'), '-out', join(dir, 'ca.pem'), '-subj', '/CN=tsbmc UI test CA', '-days', '2']);
      sh(['x509', '-req', '-in', join(dir, 'bmc.csr'), '-CA', join(dir, 'ca.pem'), '-CAkey', join(dir, 'ca.key'), '-CAcreateserial', '-days', '2', '-copy_extensions', 'copy', '-out', join(dir, 'bmc.pem')]);
      const signed = readFileSync(join(dir, 'bmc.pem'), 'utf8');
      const fingerprint = new X509Certificate(signed).fingerprint256;
      await admin.getByLabel('Certificate (PEM)').fill(signed);
      await admin.getByLabel('Private key (PEM)').fill('');
      await admin.getByRole('button', { name: 'Replace certificate' }).click();
      await statusShows(admin, /Certificate replaced/);
      await admin.getByTestId('cert-fingerprint').filter({ hasText: fingerprint }).waitFor();
      assert.match(await admin.getByTestId('cert-subject').innerText(), /CN=bmc-ui-csr\.example/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('IPMI cipher suites are shown and can be limited', async () => {
    await admin.getByLabel('Highest privilege for cipher suite 3').selectOption('User');
    await admin.getByRole('button', { name: 'Save cipher suites' }).click();
    await statusShows(admin, /Cipher suites saved/);
    const lan = keyValues((await ipmitool(bmc, ['lan', 'print', '1'])).stdout);
    assert.match(lan.get('Cipher Suite Priv Max') ?? '', /u/);
  });
});

describe('web UI: Maintenance', () => {
  it('a firmware update runs to 100 % and the inventory shows the staged version', async () => {
    await open(admin, 'maintenance', 'Maintenance');
    const bios = admin.getByTestId('fw-bios');
    await bios.waitFor();
    const image = Buffer.concat([Buffer.from('{"component":"bios","version":"7.7.1"}\n'), Buffer.alloc(4096, 0xa5)]);
    await admin.getByLabel('Firmware image').setInputFiles({ name: 'bios-7.7.1.bin', mimeType: 'application/octet-stream', buffer: image });
    await admin.getByLabel('Component to update').selectOption('/redfish/v1/UpdateService/FirmwareInventory/bios');
    await admin.getByRole('button', { name: 'Upload and update' }).click();
    const bar = admin.getByRole('progressbar', { name: /Update progress for/ });
    await bar.waitFor();
    await admin.locator('progress[aria-label^="Update progress"][value="100"]').waitFor({ timeout: 30_000 });
    await statusShows(admin, /written and staged/);
    assert.equal(await bar.getAttribute('value'), '100');
    await bios.filter({ hasText: '7.7.1' }).waitFor();
    assert.match(await bios.innerText(), /Staged\s+7\.7\.1/);
    assert.match(await admin.getByTestId('update-result').innerText(), /→ 7\.7\.1 \(staged\)/);
  });

  it('downloads a support bundle with the SEL and without passwords', async () => {
    assert.equal((await ipmitool(bmc, ['event', '1'])).code, 0);
    const [download] = await Promise.all([admin.waitForEvent('download', { timeout: 30_000 }), admin.getByRole('button', { name: 'Collect and download support bundle' }).click()]);
    assert.match(download.suggestedFilename(), /^tsbmc-diagnostics-\d+\.json$/);
    const text = await readFile((await download.path())!, 'utf8');
    const bundle = JSON.parse(text) as { Hosts: { SelRecords: unknown[]; EventLog: { Message: string }[] }[]; Accounts: { UserName: string; Password: unknown }[] };
    assert.ok(bundle.Hosts[0]!.SelRecords.length >= 1);
    assert.ok(bundle.Hosts[0]!.EventLog.length >= 1);
    assert.ok(bundle.Accounts.some((a) => a.UserName === 'viewer'));
    for (const secret of [ADMIN_PASSWORD, 'viewer-pass1', 'oper-pass12', 'Al1ce-pass', 'N3w-alice-pw']) assert.ok(!text.includes(secret), `bundle holds ${secret}`);
    for (const a of bundle.Accounts) assert.equal(a.Password, null);
    await statusShows(admin, /Support bundle collected/);
  });

  it('restart and reset to defaults need confirmation', async () => {
    const reset = admin.getByRole('button', { name: 'Reset to defaults' });
    assert.equal(await reset.isDisabled(), true);
    await admin.getByLabel('Type RESET to confirm').fill('RESET');
    await reset.click();
    await statusShows(admin, /reset to its defaults/);
    const ntp = await redfish(bmc, 'GET', '/redfish/v1/Managers/bmc/NetworkProtocol');
    assert.deepEqual(ntp.body.NTP.NTPServers, []);
    await admin.getByRole('button', { name: 'Restart BMC' }).click();
    await statusShows(admin, /BMC restart requested/);
  });
});

describe('web UI: roles on Settings and Maintenance', () => {
  for (const [user, password, canUpdate] of [
    ['viewer', 'viewer-pass1', false],
    ['oper', 'oper-pass12', true],
  ] as const) {
    it(`${user} sees no administrator controls`, async () => {
      const page = await signIn(user, password);
      await open(page, 'settings', 'Settings');
      await page.getByRole('heading', { name: 'BMC network' }).waitFor();
      await page.getByTestId('net-address').filter({ hasText: /\d/ }).waitFor();
      for (const name of ['Apply network settings', 'Set date and time', 'Add user', 'Replace certificate', 'Generate signing request', 'Save cipher suites', 'Save NTP servers']) {
        assert.equal(await page.getByRole('button', { name }).count(), 0, name);
      }
      assert.equal(await page.getByRole('switch').count(), 0);
      await page.getByText('Only administrators manage user accounts').waitFor();
      await open(page, 'maintenance', 'Maintenance');
      await page.getByTestId('fw-bios').waitFor();
      for (const name of ['Restart BMC', 'Reset to defaults', 'Collect and download support bundle']) {
        assert.equal(await page.getByRole('button', { name }).count(), 0, name);
      }
      assert.equal(await page.getByRole('button', { name: 'Upload and update' }).count(), canUpdate ? 1 : 0);
      await page.context().close();
    });
  }
});
