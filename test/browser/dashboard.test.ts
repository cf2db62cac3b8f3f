import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { chromium, type BrowserContext, type Locator, type Response } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { WorkerApp } from '../../src/worker/app.js';
import { createRig, waitFor, type TestRig } from '../helpers/harness.js';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const CREDENTIALS = { username: 'operator', password: 'dashboard-test-password' };

/** Where the one screenshot goes, for a person to look at; it is never compared. */
const SCREENSHOT = join(tmpdir(), 'nymble-sync-dashboard.png');

/** Waits until the locator's first match is visible; fails after playwright's default 30 s. */
async function visible(locator: Locator): Promise<boolean> {
  await locator.first().waitFor({ state: 'visible' });
  return locator.first().isVisible();
}

describe('dashboard in a browser', () => {
  let rig: TestRig;
  let app: WorkerApp;
  let base: string;
  const profiles: string[] = [];
  const contexts: BrowserContext[] = [];

  /** Opens Chromium with a fresh profile directory, with or without basic-auth credentials. */
  async function openBrowser(httpCredentials?: typeof CREDENTIALS): Promise<BrowserContext> {
    const profile = mkdtempSync(join(tmpdir(), 'nymble-sync-chromium-'));
    profiles.push(profile);
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      args: CHROMIUM_ARGS,
      httpCredentials,
    });
    contexts.push(context);
    return context;
  }

  beforeAll(async () => {
    rig = await createRig('dashboard');
    // The first scheduled products run meets the revoked key and ends in a dead letter.
    rig.simulator.revokeApiKey();
    ({ app } = await rig.startWorker({
      DASHBOARD_USERNAME: CREDENTIALS.username,
      DASHBOARD_PASSWORD: CREDENTIALS.password,
    }));
    base = app.http?.url ?? '';
    await waitFor(async () => (await app.deadLetters.count('products')) === 1, 'dead letter');
  });

  afterAll(async () => {
    for (const context of contexts) await context.close();
    await rig.close();
    for (const profile of profiles) rmSync(profile, { recursive: true, force: true });
  });

  it('lists the sync and dead-letter queues', async () => {
    const context = await openBrowser(CREDENTIALS);
    const page = context.pages()[0] ?? (await context.newPage());

    const response = await page.goto(`${base}/`);
    expect(response?.status()).toBe(200);
    expect(new URL(page.url()).pathname).toBe('/dashboard/');
    for (const queue of ['sync-products', 'sync-orders', 'dead-letter-products']) {
      expect(await visible(page.getByText(queue, { exact: true })), queue).toBe(true);
    }
  });

  it('shows the dead-lettered job', async () => {
    const context = contexts[0] ?? (await openBrowser(CREDENTIALS));
    const page = await context.newPage();

    await page.goto(`${base}/dashboard/queue/dead-letter-products?status=waiting`);

    expect(await visible(page.getByText('sync.unauthorized'))).toBe(true);
    expect(await visible(page.getByText('"unauthorized"', { exact: true }))).toBe(true);
    expect(await visible(page.getByText('"GET /api/products"', { exact: true }))).toBe(true);
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
  });

  it('read-only mode rejects changes', async () => {
    const { app: readOnly } = await rig.startWorker({
      DASHBOARD_USERNAME: CREDENTIALS.username,
      DASHBOARD_PASSWORD: CREDENTIALS.password,
      DASHBOARD_READ_ONLY: 'true',
    });
    const context = contexts[0] ?? (await openBrowser(CREDENTIALS));
    const readOnlyBase = readOnly.http?.url ?? '';

    const queues = await context.request.get(`${readOnlyBase}/dashboard/api/queues`);
    const resume = await context.request.put(
      `${readOnlyBase}/dashboard/api/queues/sync-products/resume`,
    );
    const writable = await context.request.get(`${base}/dashboard/api/queues`);

    const body = (await queues.json()) as {
      queues: Array<{ name: string; readOnlyMode: boolean }>;
    };
    expect(body.queues.map((queue) => [queue.name, queue.readOnlyMode])).toEqual([
      ['sync-products', true],
      ['sync-orders', true],
      ['dead-letter-products', true],
      ['dead-letter-orders', true],
    ]);
    expect(resume.status()).toBe(405);
    expect(await app.queues.sync.products.isPaused()).toBe(true);
    const writableBody = (await writable.json()) as { queues: Array<{ readOnlyMode: boolean }> };
    expect(writableBody.queues.every((queue) => !queue.readOnlyMode)).toBe(true);
    await readOnly.stop();
  });

  it('answers 401 without credentials', async () => {
    const context = await openBrowser();
    const page = context.pages()[0] ?? (await context.newPage());

    const responses: Response[] = [];
    page.on('response', (response) => responses.push(response));

    // Without credentials to offer, Chromium ends the navigation with an error after the 401.
    const navigation = await page.goto(`${base}/dashboard/`).then(
      () => 'loaded',
      (error: Error) => error.message,
    );
    const response = responses.find((candidate) => candidate.url() === `${base}/dashboard/`);

    expect(navigation).toContain('ERR_INVALID_AUTH_CREDENTIALS');
    expect(response?.status()).toBe(401);
    expect(await response?.headerValue('www-authenticate')).toBe(
      'Basic realm="nymble-sync dashboard", charset="UTF-8"',
    );
    const api = await page.request.get(`${base}/dashboard/api/queues`);
    expect(api.status()).toBe(401);
    const wrongPassword = await page.request.get(`${base}/dashboard/api/queues`, {
      headers: {
        authorization: `Basic ${Buffer.from(`${CREDENTIALS.username}:wrong`).toString('base64')}`,
      },
    });
    expect(wrongPassword.status()).toBe(401);
    for (const path of ['/healthz', '/readyz', '/metrics']) {
      const open = await page.request.get(`${base}${path}`);
      expect(open.status(), path).not.toBe(401);
    }
  });
});
