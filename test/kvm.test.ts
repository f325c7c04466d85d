// KVM over IP end to end: tsbmc runs the qemu-guest harness's guest with a
// VGA display (`host.qemu.vnc: true`); real clients reach QEMU's VNC server
// through /ws/kvm. With the `ws` package: QEMU's "RFB 003.008" greeting
// through the bridge right after power on, a full RFB 3.8 handshake
// (security None, ClientInit, ServerInit with the VGA text mode's size), a
// FramebufferUpdateRequest answered with a FramebufferUpdate; refusals
// (no token 4401, ReadOnly 4403, host off 4503, more than 4: 4429); a
// reset keeps the stream, a power off closes it (4503). In Chromium: the Remote
// control page connects noVNC, the canvas shows the guest's VGA console,
// and keys typed into it reach the guest (a command in the guest reads a
// line from /dev/tty1 and prints it on the serial console, which is the
// console log). Redfish GraphicalConsole matches, and validates against the
// DMTF schemas. The simulated server: no display (4503, ServiceEnabled
// false, the card says so).
//
// Needs qemu-system-x86_64 and the harness (../shared/tools/qemu-guest or
// $QEMU_GUEST_TOOLS); without them the QEMU part is skipped with a loud
// notice (under CI a missing QEMU fails). About 40 s once the images are
// cached. TSBMC_SCREENSHOTS=1 also writes docs/screenshots/console-kvm.png.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { WebSocket } from 'ws';
import { launchBrowser, signInAt } from './helpers/browser.js';
import { ADMIN_PASSWORD, ipmitool, redfish, startBmcProcess, waitFor, type BmcProcess } from './helpers/bmc-process.js';
import { REPO_DIR as REPO, QEMU_GUEST_CACHE as CACHE, guestInitrd, prepareQemuGuest } from './helpers/qemu-guest.js';
import { RedfishSchemas } from './helpers/redfish-schemas.js';

const SYS = '/redfish/v1/Systems/system';
const MGR = '/redfish/v1/Managers/bmc';
const RFB_VERSION = 'RFB 003.008\n';

/**
 * The base initramfs plus the harness's config and commands: `mc info`, then
 * a line read from the VGA console's keyboard (/dev/tty1), echoed to the
 * serial console; the guest then stays up for the rest of the test.
 */
function kvmInitrd(dir: string): string {
  return guestInitrd(CACHE, dir, {
    commands: 'mc info\nsh: read -t 50 line < /dev/tty1; echo "kvm-typed:$line"\n',
    config: 'IFACE=kcs\nHOLD=90\nCMD_TIMEOUT=60\nDEV_TIMEOUT=30\n',
  });
}

function consoleLog(bmc: BmcProcess): string {
  const f = join(bmc.stateDir, 'console', 'bmc0', 'host0.log');
  return existsSync(f) ? readFileSync(f, 'latin1') : '';
}

async function login(bmc: BmcProcess, user: string, password: string): Promise<string> {
  const r = await redfish(bmc, 'POST', '/redfish/v1/SessionService/Sessions', { noAuth: true, body: { UserName: user, Password: password } });
  assert.equal(r.status, 201, r.text);
  return String(r.headers['x-auth-token']);
}

/** An RFB client over /ws/kvm: reads exact byte counts from the stream of binary messages. */
class RfbSocket {
  readonly ws: WebSocket;
  #buf = Buffer.alloc(0);
  #wake: (() => void) | undefined;
  closed: { code: number; reason: string } | undefined;
  readonly done: Promise<{ code: number; reason: string }>;

  constructor(bmc: BmcProcess, opts: { token?: string; query?: string } = {}) {
    // as a browser does: the token as a subprotocol entry next to tsbmc.v1
    const protocols = ['tsbmc.v1', ...(opts.token ? [`x-auth-token.${opts.token}`] : [])];
    this.ws = new WebSocket(`wss://127.0.0.1:${bmc.httpsPort}/ws/kvm${opts.query ?? ''}`, protocols, { rejectUnauthorized: false });
    this.ws.on('message', (data: Buffer, binary: boolean) => {
      assert.ok(binary, 'the KVM stream sends binary messages only');
      this.#buf = Buffer.concat([this.#buf, data]);
      this.#wake?.();
    });
    this.ws.on('error', () => undefined);
    this.done = new Promise((resolve) =>
      this.ws.once('close', (code: number, reason: Buffer) => {
        this.closed = { code, reason: reason.toString() };
        this.#wake?.();
        resolve(this.closed);
      }),
    );
  }

  async read(n: number, ms = 15_000): Promise<Buffer> {
    const end = Date.now() + ms;
    while (this.#buf.length < n) {
      if (this.closed) throw new Error(`closed (${this.closed.code} ${this.closed.reason}) after ${this.#buf.length} of ${n} bytes`);
      const left = end - Date.now();
      if (left <= 0) throw new Error(`timed out reading ${n} bytes (have ${this.#buf.length})`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.#wake = () => {
          clearTimeout(t);
          r();
        };
      });
    }
    const out = this.#buf.subarray(0, n);
    this.#buf = this.#buf.subarray(n);
    return out;
  }

  write(bytes: Uint8Array | string): void {
    this.ws.send(typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes);
  }

  async closeAndWait(): Promise<void> {
    if (!this.closed) this.ws.close(1000);
    await this.done;
  }
}

interface ServerInit {
  width: number;
  height: number;
  bitsPerPixel: number;
  name: string;
}

/** RFC 6143 7.1-7.3: version, security type None (1), SecurityResult, ClientInit (shared), ServerInit; then SetEncodings. */
async function handshake(c: RfbSocket): Promise<ServerInit> {
  assert.equal((await c.read(12)).toString('latin1'), RFB_VERSION);
  c.write(RFB_VERSION);
  const n = (await c.read(1))[0]!;
  assert.ok(n > 0, 'the server offers security types (0 would be a failure reason)');
  const types = [...(await c.read(n))];
  assert.ok(types.includes(1), `security type None offered: ${types.join(',')}`);
  c.write(Buffer.from([1]));
  assert.equal((await c.read(4)).readUInt32BE(0), 0, 'SecurityResult OK');
  c.write(Buffer.from([1]));
  const si = await c.read(24);
  const name = (await c.read(si.readUInt32BE(20))).toString('utf8');
  setEncodings(c);
  return { width: si.readUInt16BE(0), height: si.readUInt16BE(2), bitsPerPixel: si[4]!, name };
}

/** DesktopSize pseudo-encoding (RFC 6143 7.8.2): the guest may switch video modes at any time. */
const DESKTOP_SIZE = -223;

/** SetEncodings (7.5.2): Raw, and DesktopSize so that a mode switch is announced. */
function setEncodings(c: RfbSocket): void {
  const m = Buffer.alloc(12);
  m[0] = 2;
  m.writeUInt16BE(2, 2);
  m.writeInt32BE(0, 4);
  m.writeInt32BE(DESKTOP_SIZE, 8);
  c.write(m);
}

/**
 * FramebufferUpdateRequest (7.5.3) for the whole screen, and the
 * FramebufferUpdate (7.6.1) answering it: Raw rectangles, or a DesktopSize
 * (the screen changed size; `init` follows it and the request is repeated).
 */
async function fullUpdate(c: RfbSocket, init: ServerInit): Promise<{ rects: number; pixels: number; colours: number }> {
  for (let attempt = 0; attempt < 4; attempt++) {
    const req = Buffer.alloc(10);
    req[0] = 3;
    req[1] = 0;
    req.writeUInt16BE(init.width, 6);
    req.writeUInt16BE(init.height, 8);
    c.write(req);
    const head = await c.read(4);
    assert.equal(head[0], 0, 'FramebufferUpdate');
    const rects = head.readUInt16BE(2);
    let pixels = 0;
    const colours = new Set<number>();
    const bpp = init.bitsPerPixel / 8;
    for (let i = 0; i < rects; i++) {
      const r = await c.read(12);
      const [x, y, w, h, enc] = [r.readUInt16BE(0), r.readUInt16BE(2), r.readUInt16BE(4), r.readUInt16BE(6), r.readInt32BE(8)];
      if (enc === DESKTOP_SIZE) {
        init.width = w;
        init.height = h;
        continue;
      }
      assert.equal(enc, 0, 'Raw: the client asked for no other encoding');
      assert.ok(x + w <= init.width && y + h <= init.height, 'the rectangle lies on the screen');
      const data = await c.read(w * h * bpp);
      for (let p = 0; p < data.length; p += bpp) colours.add(data.readUIntLE(p, bpp));
      pixels += w * h;
    }
    if (pixels > 0) return { rects, pixels, colours: colours.size };
  }
  throw new Error('no framebuffer update with pixels');
}

test('the simulated server has no display: /ws/kvm 4503, GraphicalConsole disabled, the card says so', { timeout: 60_000 }, async (t) => {
  const bmc = await startBmcProcess();
  t.after(() => bmc.stop());
  const token = await login(bmc, 'admin', ADMIN_PASSWORD);
  assert.equal((await ipmitool(bmc, ['chassis', 'power', 'on'])).code, 0);
  const c = new RfbSocket(bmc, { token });
  const closed = await c.done;
  assert.equal(closed.code, 4503);
  assert.match(closed.reason, /no graphical console/);
  for (const path of [SYS, MGR]) {
    const r = await redfish(bmc, 'GET', path);
    assert.deepEqual(r.body.GraphicalConsole, { ServiceEnabled: false, MaxConcurrentSessions: 0, ConnectTypesSupported: [] }, path);
  }
  const browser = await launchBrowser();
  t.after(() => browser.close());
  const page = await signIn(browser, bmc, 'admin', ADMIN_PASSWORD);
  await page.getByTestId('kvm-unsupported').waitFor();
  assert.equal(await page.getByRole('button', { name: 'Connect' }).count(), 0);
});

async function signIn(browser: Browser, bmc: BmcProcess, user: string, password: string): Promise<Page> {
  const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1 });
  // every refusal by the page's Content-Security-Policy, with the script that caused it
  await context.addInitScript(`
    window.__csp = [];
    document.addEventListener('securitypolicyviolation', (e) => window.__csp.push({ file: e.sourceFile, directive: e.violatedDirective }));`);
  const page = await context.newPage();
  await signInAt(page, `${bmc.baseUrl}/#/console`, user, password);
  await page.getByRole('heading', { name: 'Remote control' }).waitFor();
  await page.getByRole('heading', { name: 'Graphical console (KVM)' }).waitFor();
  return page;
}

/** What the test needs of a canvas element (the test build has no DOM types). */
interface Canvas2d {
  width: number;
  height: number;
  getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } | null;
}

/** How many distinct colours noVNC's canvas shows (1: a blank screen). */
function canvasColours(page: Page): Promise<number> {
  return page.getByTestId('kvm-canvas').evaluate((el) => {
    const c = el as unknown as Canvas2d;
    const ctx = c.getContext('2d');
    if (!ctx || c.width === 0 || c.height === 0) return 0;
    const d = ctx.getImageData(0, 0, c.width, c.height).data;
    const seen = new Set<number>();
    for (let i = 0; i < d.length && seen.size < 16; i += 4) seen.add((d[i]! << 16) | (d[i + 1]! << 8) | d[i + 2]!);
    return seen.size;
  });
}

test('KVM over IP: a QEMU guest\'s VGA console through /ws/kvm, with ws and with noVNC in Chromium', { timeout: 240_000 }, async (t) => {
  if (!(await prepareQemuGuest(t, 'the KVM over IP end-to-end test'))) return;

  const dir = mkdtempSync(join(tmpdir(), 'tsbmc-kvm-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const profile = JSON.parse(readFileSync(join(REPO, 'profiles', 'qemu-guest.json'), 'utf8')) as { $schema?: string; host: { qemu: Record<string, unknown> } };
  delete profile.$schema;
  profile.host.qemu.kernel = join(CACHE, 'vmlinuz');
  profile.host.qemu.initrd = kvmInitrd(dir);
  profile.host.qemu.vnc = true;
  // the kernel writes to the VGA console too; the last console= (ttyS0) stays /dev/console for the harness
  profile.host.qemu.append = 'console=tty0 console=ttyS0 panic=-1';
  writeFileSync(join(dir, 'profile.json'), JSON.stringify(profile));

  const bmc = await startBmcProcess({ args: ['--profile', join(dir, 'profile.json'), '--log-level', 'info'] });
  t.after(() => bmc.stop());
  const browser = await launchBrowser();
  t.after(() => browser.close());
  const t0 = Date.now();
  const at = (): string => `+${((Date.now() - t0) / 1000).toFixed(1)}s`;
  const token = await login(bmc, 'admin', ADMIN_PASSWORD);
  const created = await redfish(bmc, 'POST', '/redfish/v1/AccountService/Accounts', { body: { UserName: 'kvmviewer', Password: 'Kvm-viewer-pass1', RoleId: 'ReadOnly' } });
  assert.equal(created.status, 201, created.text);
  const roToken = await login(bmc, 'kvmviewer', 'Kvm-viewer-pass1');

  await t.test('Redfish: Manager and ComputerSystem GraphicalConsole offer KVMIP, valid against the DMTF schemas', async () => {
    const schemas = new RedfishSchemas();
    for (const path of [SYS, MGR]) {
      const r = await redfish(bmc, 'GET', path);
      assert.deepEqual(r.body.GraphicalConsole, { ServiceEnabled: true, MaxConcurrentSessions: 4, ConnectTypesSupported: ['KVMIP'] }, path);
      assert.deepEqual(schemas.validate(r.body), [], path);
    }
  });

  await t.test('refusals before the host is on: no token 4401, ReadOnly 4403, host off 4503', async () => {
    assert.deepEqual(await new RfbSocket(bmc).done, { code: 4401, reason: 'Unauthorized' });
    const ro = await new RfbSocket(bmc, { token: roToken }).done;
    assert.equal(ro.code, 4403);
    assert.match(ro.reason, /ConfigureComponents/);
    assert.deepEqual(await new RfbSocket(bmc, { token }).done, { code: 4503, reason: 'The host is off' });
    assert.equal((await new RfbSocket(bmc, { token, query: '?host=3' }).done).code, 4404);
  });

  let first: RfbSocket | undefined;
  await t.test('right after power on: QEMU greets through the bridge; a full RFB 3.8 handshake and a framebuffer update', async () => {
    assert.equal((await ipmitool(bmc, ['chassis', 'power', 'on'])).code, 0);
    // at once, before QEMU has created its VNC socket: the bridge waits for it
    const c = new RfbSocket(bmc, { token, query: '?system=system' });
    first = c;
    const init = await handshake(c);
    t.diagnostic(`${at()} ServerInit ${init.width}x${init.height} ${init.bitsPerPixel} bpp "${init.name}"`);
    assert.ok(
      (init.width === 720 && init.height === 400) || (init.width === 640 && init.height === 480),
      `a VGA mode: ${init.width}x${init.height}`,
    );
    assert.equal(init.name, 'QEMU (tsbmc-host0)', "QEMU's desktop name carries the VM's name");
    const u = await fullUpdate(c, init);
    assert.ok(u.rects >= 1 && u.pixels > 0, `the update carries pixels: ${JSON.stringify(u)}`);
  });

  await t.test('at most 4 KVM streams per host: the fifth is closed with 4429', async () => {
    const more = [new RfbSocket(bmc, { token }), new RfbSocket(bmc, { token }), new RfbSocket(bmc, { token })];
    for (const c of more) assert.equal((await c.read(12)).toString('latin1'), RFB_VERSION);
    const fifth = await new RfbSocket(bmc, { token }).done;
    assert.deepEqual(fifth, { code: 4429, reason: 'Too many KVM sessions on this host' });
    for (const c of more) await c.closeAndWait();
    await first?.closeAndWait();
  });

  await t.test('Chromium: noVNC connects, shows the guest console, and keys typed reach the guest', async () => {
    const page = await signIn(browser, bmc, 'admin', ADMIN_PASSWORD);
    const problems: string[] = [];
    // (CSP refusals are reported below with their source)
    page.on('console', (m) => {
      if (m.type() === 'error' && !/Content Security Policy/.test(m.text())) problems.push(m.text());
    });
    page.on('pageerror', (e) => problems.push(String(e)));
    await page.getByRole('button', { name: 'Connect' }).click();
    await page.getByTestId('kvm-status').filter({ hasText: 'Connected' }).waitFor({ timeout: 20_000 });
    t.diagnostic(`${at()} noVNC connected`);
    await waitFor(async () => ((await canvasColours(page)) > 1 ? true : undefined), 20_000, 250);
    // the guest's command reads a line from the VGA console's keyboard
    await waitFor(async () => (/CMD 2 BEGIN .*read -t 50 line/.test(consoleLog(bmc)) ? true : undefined), 60_000, 250);
    await page.getByTestId('kvm-canvas').click();
    await page.keyboard.type('hello-kvm', { delay: 30 });
    await page.keyboard.press('Enter');
    await waitFor(async () => (consoleLog(bmc).includes('kvm-typed:hello-kvm') ? true : undefined), 20_000, 250);
    t.diagnostic(`${at()} the guest read "hello-kvm" from /dev/tty1`);
    if (process.env.TSBMC_SCREENSHOTS) {
      await new Promise((r) => setTimeout(r, 500));
      await page.screenshot({ path: join(REPO, 'docs', 'screenshots', 'console-kvm.png'), fullPage: true });
    }
    // every other key goes to the host; Shift+Tab leaves the screen (no keyboard trap)
    assert.equal(await page.evaluate('document.activeElement?.dataset?.testid'), 'kvm-canvas');
    await page.keyboard.press('Shift+Tab');
    assert.notEqual(await page.evaluate('document.activeElement?.dataset?.testid'), 'kvm-canvas');
    assert.ok(await page.getByRole('button', { name: 'Send Ctrl+Alt+Del' }).isEnabled());
    await page.getByRole('application', { name: /Graphical console of system/ }).waitFor();
    await page.getByRole('button', { name: 'Disconnect' }).click();
    await page.getByTestId('kvm-status').filter({ hasText: 'Disconnected' }).waitFor();
    assert.deepEqual(problems, [], 'no script error');
    // the serial console's xterm.js tries <style> elements (refused, then adopted as constructed sheets); noVNC needs nothing refused
    const csp = (await page.evaluate('window.__csp')) as { file: string; directive: string }[];
    assert.deepEqual(
      csp.filter((v) => !/\/assets\/xterm-[\w-]+\.js$/.test(v.file)),
      [],
      'no CSP refusal caused by the KVM view or noVNC',
    );
    await page.context().close();
  });

  await t.test('Chromium: a ReadOnly user is told that KVM needs Operator', async () => {
    const page = await signIn(browser, bmc, 'kvmviewer', 'Kvm-viewer-pass1');
    await page.getByTestId('kvm-needs-operator').waitFor();
    assert.equal(await page.getByRole('button', { name: 'Connect' }).count(), 0);
    await page.context().close();
  });

  await t.test('a reset keeps the stream; power off closes it with 4503; the page then says the host is off', async () => {
    const c = new RfbSocket(bmc, { token });
    const init = await handshake(c);
    assert.equal((await ipmitool(bmc, ['chassis', 'power', 'reset'])).code, 0);
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal(c.closed, undefined, 'the VM restarted in the same QEMU process: same VNC server');
    assert.ok((await fullUpdate(c, init)).pixels > 0);
    assert.equal((await ipmitool(bmc, ['chassis', 'power', 'off'])).code, 0);
    assert.deepEqual(await c.done, { code: 4503, reason: 'The host powered off' });
    t.diagnostic(`${at()} power off closed the stream`);
    const page = await signIn(browser, bmc, 'admin', ADMIN_PASSWORD);
    await page.getByRole('button', { name: 'Connect' }).click();
    await page.getByTestId('kvm-why').filter({ hasText: 'The host is off' }).waitFor();
    await page.getByTestId('kvm-status').filter({ hasText: 'Disconnected' }).waitFor();
    await page.context().close();
  });
  assert.doesNotMatch(bmc.stdout() + bmc.stderr(), /QEMU exited unexpectedly|QMP command failed|ERROR/);
});
