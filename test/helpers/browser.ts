// Headless Chromium (Debian's package) driven by playwright-core, with the
// flags this environment needs (no sandbox as root, no background network).
import { chromium, type Browser } from 'playwright-core';

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
