// /dashboard in headless Chromium (Debian's chromium, installed by .ci/run, driven by playwright-core): the login
// form trades an admin token for the session cookie, the page shows live values that change while a critique runs
// and after it ends, and the run writes a screenshot (under the OS temp folder, never committed).
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HttpService } from '../../src/transport/index.js';
import { makeSandbox, type Sandbox } from '../support/harness.js';
import { connectHttp, startService, writeKeys } from '../support/http.js';

const CHROMIUM = '/usr/bin/chromium';
/** The flags DEPENDENCIES.md lists for this machine kind (no sandbox: containers have no user namespaces). */
const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const SCREENSHOT_DIR = join(tmpdir(), 'brutalist-test-output');

// Skipped only where chromium is absent: .ci/run installs it (apt-get install chromium).
describe.skipIf(!existsSync(CHROMIUM))('/dashboard in headless Chromium', () => {
  let sandbox: Sandbox;
  let service: HttpService;
  let keys: ReturnType<typeof writeKeys>;
  let browser: Browser;

  beforeAll(async () => {
    sandbox = makeSandbox('brutalist-dashboard-');
    keys = writeKeys(sandbox, { ops: ['admin'], user: ['roast'] });
    service = await startService(sandbox, { apiKeysFile: keys.file, dashboardPollMs: 250 });
    await service.ops.warmedUp;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS, headless: true });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await service?.close();
    sandbox?.cleanup();
  });

  it('logs in with an admin token, shows live values as a critique runs, and writes a screenshot', async () => {
    const context = await browser.newContext({ baseURL: service.url });
    const page = await context.newPage();
    await page.goto('/dashboard');
    await page.locator('#login').waitFor({ state: 'visible' });
    await page.fill('#token', keys.tokens.ops ?? '');
    await page.click('#login button[type=submit]');
    await page.locator('#board').waitFor({ state: 'visible' });
    const cookies = await context.cookies();
    expect(cookies.find((c) => c.name === 'brutalist_dashboard')).toMatchObject({
      httpOnly: true,
      sameSite: 'Strict',
      path: '/dashboard',
    });
    await expect.poll(() => page.textContent('#requests')).toBe('0');
    await expect.poll(() => page.textContent('#critics')).toContain('claude');

    const { client } = await connectHttp(service, keys.tokens.user);
    const call = client.callTool({
      name: 'roast',
      arguments: { domain: 'idea', context: 'Live.\n@@fake delay_ms=2500\n@@fake text=LIVE' },
    });
    // While it runs: one in-flight critique with its elapsed time, and the gauge at 1.
    await expect.poll(() => page.textContent('#calls'), { timeout: 10_000 }).toContain('roast');
    await expect.poll(() => page.textContent('#inflight')).toBe('1');
    mkdirSync(SCREENSHOT_DIR, { recursive: true });
    const shot = join(SCREENSHOT_DIR, `dashboard-${process.pid}.png`);
    await page.screenshot({ path: shot, fullPage: true });
    expect(statSync(shot).size).toBeGreaterThan(1_000);

    await call;
    await client.close();
    await expect.poll(() => page.textContent('#requests'), { timeout: 10_000 }).toBe('1');
    await expect.poll(() => page.textContent('#inflight')).toBe('0');
    await expect.poll(() => page.textContent('#slos')).toContain('availability');
    await context.close();
  }, 60_000);

  it('sends a refused token back to the form with the reason', async () => {
    const page = await browser.newPage({ baseURL: service.url });
    await page.goto('/dashboard');
    await page.fill('#token', keys.tokens.user ?? '');
    await page.click('#login button[type=submit]');
    await expect.poll(() => page.textContent('#login-error')).toContain('admin scope');
    expect(await page.isVisible('#board')).toBe(false);
    await page.close();
  }, 30_000);
});
