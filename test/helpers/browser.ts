// Headless Chromium (Debian's package) driven by playwright-core, with the
// flags this environment needs (no sandbox as root, no background network).
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM = process.env.TSBMC_CHROMIUM ?? '/usr/bin/chromium';

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--ignore-certificate-errors',
    ],
  });
}

/** Opens `url` (the UI's sign-in page comes first) and signs in with the form, as a person would. */
export async function signInAt(page: Page, url: string, user: string, password: string): Promise<void> {
  await page.goto(url);
  await page.getByLabel('User name').fill(user);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}
