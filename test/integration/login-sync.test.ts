import { afterEach, describe, expect, it } from 'vitest';

import { compareErpWithSource } from '../../src/cli/verify.js';
import { SyncQueues } from '../../src/queue/queues.js';
import { createRig, runCli, syncNow, waitFor, type TestRig } from '../helpers/harness.js';
import { findSecretsInRedis } from '../helpers/secrets.js';

const ADMIN = {
  NYMBLE_API_KEY: undefined,
  NYMBLE_ORG_CODE: 'org_52a3021e813',
  NYMBLE_CLIENT_ID: 'sync-admin',
  NYMBLE_CLIENT_SECRET: 'sync-admin-secret',
};
const CUSTOMER = { ...ADMIN, NYMBLE_CLIENT_ID: 'CUST456', NYMBLE_CLIENT_SECRET: 'CUST456-secret' };

let rig: TestRig | undefined;

afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

function loginStatuses(current: TestRig): number[] {
  return current.simulator
    .stats()
    .requests.filter((request) => request.path === '/api/auth/login')
    .map((request) => request.status);
}

function preflight(current: TestRig, env: Record<string, string | undefined>) {
  return runCli(['preflight'], current.env(env));
}

describe('sync with credential login', () => {
  it('re-logs in once when the token expires mid-sync', async () => {
    rig = await createRig('token-expiry', { products: 150, orders: 5, tokenTtlSeconds: 3_600 });
    rig.simulator.setFaults({ path: '/api/products', latencyMs: 60 });
    const { app, log } = await rig.startWorker({ ...ADMIN, NYMBLE_PAGE_SIZE: '10' });
    const checkpoint = `${rig.prefix}:nymble-sync:watermark:products`;

    await waitFor(
      async () => (await rig!.redis.hget(checkpoint, 'id')) !== null,
      'the first products page',
    );
    rig.simulator.advanceClock(3_601_000);
    const receipt = (await waitFor(
      () => app.state.getLastSuccess('products'),
      'the products sync to finish',
      30_000,
    )) as { logins?: number };
    // The boot run logged in once at its start and once more when the token expired.
    expect(receipt.logins).toBe(2);

    const statuses = rig.simulator
      .stats()
      .requests.filter((request) => request.path === '/api/products')
      .map((request) => request.status);
    expect(statuses.filter((status) => status === 401)).toHaveLength(1);
    expect(loginStatuses(rig)).toEqual([200, 200]);
    expect(await app.deadLetters.list()).toEqual([]);
    expect(log.messages('token rejected, logging in again')).toHaveLength(1);
    expect(
      compareErpWithSource(
        'products',
        rig.simulator.snapshot('products'),
        rig.openErp().list('products'),
      ).matches,
    ).toBe(true);
  });

  it('dead-letters rotated credentials and pauses all', async () => {
    rig = await createRig('rotation', { products: 40, orders: 20 });
    const { app } = await rig.startWorker(ADMIN);
    await syncNow(app, 'products');
    await syncNow(app, 'orders');

    rig.simulator.rotateClientSecret('sync-admin', 'a-brand-new-secret');
    rig.simulator.mutate('products', 2);
    rig.simulator.resetStats();
    const { job } = await app.queues.requestSync('products');
    await waitFor(async () => (await job.getState()) === 'failed', 'the products sync to fail');

    const [letter] = await app.deadLetters.list();
    expect(letter?.reason).toBe('credentials_rejected');
    expect(letter?.endpoint).toBe('POST /api/auth/login');
    expect(loginStatuses(rig)).toEqual([401]);
    expect(await app.queues.sync.products.isPaused()).toBe(true);
    expect(await app.queues.sync.orders.isPaused()).toBe(true);
    expect((await app.breaker.get('orders'))?.reason).toBe('credentials_rejected');
    expect(JSON.stringify(letter)).not.toContain('a-brand-new-secret');
    expect(JSON.stringify(letter)).not.toContain('sync-admin-secret');
  });

  it('login 429 delays the job, costs no attempt', async () => {
    rig = await createRig('login-429', { products: 10, orders: 10 });
    rig.simulator.setFaults({ path: '/api/auth/login', rateLimit: { count: 1, retryAfter: '1' } });
    const { app, log } = await rig.startWorker({ ...ADMIN, SYNC_ENTITIES: 'products' });

    const receipt = (await waitFor(
      () => app.state.getLastSuccess('products'),
      'the products sync after the login block',
    )) as { jobId?: string };
    const job = await app.queues.sync.products.getJob(receipt.jobId!);

    expect(loginStatuses(rig)).toEqual([429, 200]);
    // BullMQ counts the completion itself as an attempt; a failed attempt would make it 2.
    expect(job?.attemptsMade).toBe(1);
    expect(log.messages('sync delayed by the login rate limit')).toHaveLength(1);
    expect(
      log
        .messages('sync failed, job will be retried')
        .map((line) => JSON.stringify(line).slice(0, 600)),
    ).toEqual([]);
  });

  it('three workers starting together log in once', async () => {
    rig = await createRig('three-workers', { products: 30, orders: 30 });
    const workers = [rig.spawnWorker(ADMIN), rig.spawnWorker(ADMIN), rig.spawnWorker(ADMIN)];
    const queues = new SyncQueues(rig.redis, rig.prefix);

    await waitFor(
      async () =>
        (await queues.sync.products.getCompletedCount()) > 0 &&
        (await queues.sync.orders.getCompletedCount()) > 0,
      'both boot syncs',
      30_000,
    );
    for (const worker of workers) worker.child.kill('SIGTERM');
    await Promise.all(workers.map((worker) => worker.exited));
    await queues.close();

    expect(rig.simulator.stats().logins).toBe(1);
    const erp = rig.openErp();
    expect(erp.stats('products')).toEqual({ records: 30, writes: 30 });
    expect(erp.stats('orders')).toEqual({ records: 30, writes: 30 });
  });

  it('refuses a Customer sync unless allowed', async () => {
    rig = await createRig('scope', { products: 20, orders: 60 });
    const refused = await rig.startWorker(CUSTOMER);
    const { job } = await refused.app.queues.requestSync('orders');
    await waitFor(async () => (await job.getState()) === 'failed', 'the refused sync');
    const [letter] = await refused.app.deadLetters.list({ reason: 'scope_not_allowed' });
    await refused.app.deadLetters.remove(letter!.id);
    await refused.app.stop();

    expect(letter?.message).toContain('role Customer');
    expect(letter?.message).toContain('NYMBLE_ALLOW_SCOPED_SYNC=true');
    expect(
      rig.simulator.stats().requests.filter((request) => request.path === '/api/orders'),
    ).toHaveLength(0);

    const allowed = await rig.startWorker({ ...CUSTOMER, NYMBLE_ALLOW_SCOPED_SYNC: 'true' });
    await allowed.app.breaker.close('products');
    await allowed.app.breaker.close('orders');
    await syncNow(allowed.app, 'orders');
    await syncNow(allowed.app, 'products');

    const view = {
      role: 'Customer',
      customerNumber: 'CUST456',
      priceTier: 'Wholesale',
      currencyCode: 'USD',
    };
    const erp = rig.openErp();
    expect(
      compareErpWithSource('orders', rig.simulator.snapshot('orders', view), erp.list('orders'))
        .matches,
    ).toBe(true);
    expect(erp.count('orders')).toBeLessThan(60);
    for (const record of erp.list('orders'))
      expect(record.fetchedUnder).toEqual({ priceTier: 'Wholesale', currencyCode: 'USD' });
    expect(erp.list('products')[0]?.fetchedUnder).toEqual({
      priceTier: 'Wholesale',
      currencyCode: 'USD',
    });
  });

  it('preflight fails a Customer, passes Admin and keys', async () => {
    rig = await createRig('preflight', { products: 5, orders: 5 });

    const customer = await preflight(rig, CUSTOMER);
    const admin = await preflight(rig, ADMIN);
    const apiKey = await preflight(rig, {});
    rig.simulator.denyRole('Admin', '/api/orders');
    const denied = await preflight(rig, {});

    expect(customer.status).toBe(1);
    expect(customer.stdout).toMatch(/role and scope\s+FAIL/);
    expect(customer.stdout).toContain('Customer sees only');
    expect(customer.stdout).toContain('NYMBLE_ALLOW_SCOPED_SYNC=true');
    expect(admin.status).toBe(0);
    expect(admin.stdout).toMatch(/role and scope\s+OK/);
    expect(admin.stdout).toContain('role Admin');
    expect(apiKey.status).toBe(0);
    expect(apiKey.stdout).toMatch(/GET \/api\/orders\s+OK\s+HTTP 200/);
    rig.simulator.allowRole('Admin', '/api/orders');
    rig.simulator.revokeApiKey();
    const revoked = await preflight(rig, {});
    expect(revoked.status).toBe(1);
    expect(revoked.stdout).toMatch(
      /credential\s+FAIL\s+Nymble rejected this api-key credential \(HTTP 401\)/,
    );
    const badSecret = await preflight(rig, { ...ADMIN, NYMBLE_CLIENT_SECRET: 'wrong-secret-1234' });
    expect(badSecret.status).toBe(1);
    expect(badSecret.stdout).toMatch(
      /GET \/api\/products\s+WARN\s+not checked, because the credential failed/,
    );
    expect(rig.simulator.stats().loginResponses['401']).toBe(1);
    expect(denied.status).toBe(1);
    expect(denied.stdout).toMatch(/GET \/api\/orders\s+FAIL\s+HTTP 403/);
    const badAdapter = await preflight(rig, { ERP_ADAPTER: './no-such-adapter.mjs' });
    expect(badAdapter.status).toBe(1);
    expect(badAdapter.stdout).toMatch(
      /^ERP adapter\s+FAIL\s+ERP_ADAPTER="\.\/no-such-adapter\.mjs"/m,
    );
    expect(badAdapter.stdout).not.toContain('Invalid configuration');
    for (const output of [customer.stdout, admin.stdout, apiKey.stdout, denied.stdout]) {
      expect(output).not.toContain('sync-admin-secret');
      expect(output).not.toContain(rig.simulator.apiKey);
    }
    expect(rig.simulator.stats().logins).toBe(3);
  });

  it('keeps token and secret out of logs and Redis', async () => {
    rig = await createRig('login-secrets', { products: 30, orders: 30 });
    const { app, log } = await rig.startWorker(ADMIN);
    await syncNow(app, 'products');
    await syncNow(app, 'orders');
    const token = (await app.credential.current()).value;

    const secrets = [token, 'sync-admin-secret', rig.simulator.apiKey];
    expect(await findSecretsInRedis(rig.redis, rig.prefix, secrets)).toEqual([]);
    expect(log.raw.filter((line) => secrets.some((secret) => line.includes(secret)))).toEqual([]);
    const [login] = log.messages('logged in to Nymble');
    expect((login?.claims as { role?: string } | undefined)?.role).toBe('Admin');
    expect(JSON.stringify(login)).not.toContain(token);
  });
});
