// The web UI's virtual media upload in headless Chromium against the real
// tsbmc process: an administrator chooses a generated 2 MiB file, uploads it
// into the CD drive (the OEM #TsbmcVirtualMedia.UploadMedia action over
// XMLHttpRequest), sees the progress reach 100 % and the drive show the image
// inserted, and Redfish agrees; a ReadOnly user is offered no upload.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser, signInAt } from './helpers/browser.js';
import { ADMIN_PASSWORD, redfish, startBmcProcess, type BmcProcess } from './helpers/bmc-process.js';

let bmc: BmcProcess;
let browser: Browser;
const SYS = '/redfish/v1/Systems/system';

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
  // every text the upload's progress label shows, as it changes
  await context.addInitScript(`
    window.__progress = [];
    new MutationObserver(() => {
      for (const el of document.querySelectorAll('[data-testid^="upload-progress-"]')) {
        const t = el.textContent;
        if (window.__progress[window.__progress.length - 1] !== t) window.__progress.push(t);
      }
    }).observe(document, { subtree: true, childList: true, characterData: true });`);
  const page = await context.newPage();
  await signInAt(page, `${bmc.baseUrl}/#/media`, user, password);
  await page.getByRole('heading', { name: 'Virtual media' }).waitFor();
  return page;
}

describe('web UI: virtual media upload', () => {
  it('an administrator uploads a 2 MiB file into the CD drive: progress to 100 %, inserted, Redfish agrees', async () => {
    const page = await signIn('admin', ADMIN_PASSWORD);
    const cd = page.getByTestId('media-CD');
    const form = cd.getByRole('form', { name: 'Upload an image to Virtual CD/DVD' });
    await form.getByRole('heading', { name: 'Upload an image' }).waitFor();
    const upload = form.getByRole('button', { name: 'Upload', exact: true });
    assert.equal(await upload.isDisabled(), true, 'nothing chosen yet');
    const image = Buffer.alloc(2 * 1024 * 1024, 0x5a);
    await form.getByLabel(/Image file on this computer/).setInputFiles({ name: 'live-rescue.iso', mimeType: 'application/octet-stream', buffer: image });
    await upload.click();
    await cd.getByRole('status').filter({ hasText: 'Uploaded live-rescue.iso: it is inserted.' }).waitFor({ timeout: 20_000 });
    await cd.getByTestId('inserted-CD').filter({ hasText: 'Yes' }).waitFor({ timeout: 10_000 });
    assert.equal(await cd.getByTestId('image-name-CD').innerText(), 'live-rescue.iso');
    assert.equal(await cd.getByTestId('download-CD').innerText(), 'Ready');
    const seen = (await page.evaluate('window.__progress')) as string[];
    assert.ok(seen.some((t) => t.endsWith('(100 %)')), `progress seen: ${JSON.stringify(seen)}`);
    assert.match(seen[seen.length - 1]!, /^2\.0 MiB of 2\.0 MiB \(100 %\)$/);
    // the upload form goes once the drive holds the image; Eject comes back
    await cd.getByRole('button', { name: 'Eject' }).waitFor();
    assert.equal(await form.count(), 0);

    const vm = (await redfish(bmc, 'GET', `${SYS}/VirtualMedia/CD`)).body;
    assert.equal(vm.Inserted, true);
    assert.equal(vm.ImageName, 'live-rescue.iso');
    assert.equal(vm.Image, 'upload:live-rescue.iso');
    assert.equal(vm.TransferMethod, 'Upload');
    assert.equal(vm.Oem.Tsbmc.BytesTransferred, image.length);
    // the USB drive still offers its own upload
    await page.getByTestId('media-USB').getByRole('form', { name: 'Upload an image to Virtual USB stick' }).waitFor();
    await page.context().close();
  });

  it('a ReadOnly user is offered no upload', async () => {
    const page = await signIn('viewer', 'viewer-pass1');
    const usb = page.getByTestId('media-USB');
    await usb.getByText('Your role can see the virtual media but not change it').waitFor();
    assert.equal(await usb.getByRole('button', { name: 'Upload', exact: true }).count(), 0);
    assert.equal(await usb.getByLabel(/Image file on this computer/).count(), 0);
    await page.context().close();
  });
});
