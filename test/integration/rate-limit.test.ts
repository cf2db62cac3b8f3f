import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { SyncQueues } from '../../src/queue/queues.js';
import { createRig, waitFor, type SpawnedWorker, type TestRig } from '../helpers/harness.js';

describe('rate limits across worker processes', () => {
  let rig: TestRig;
  let queues: SyncQueues;
  let workers: SpawnedWorker[];

  beforeAll(async () => {
    rig = await createRig('rate-limit', { products: 30, orders: 30 });
    queues = new SyncQueues(rig.redis, rig.prefix);
    const env = {
      RATE_LIMIT_INLINE_WAIT_MAX_MS: '1000',
      RATE_LIMIT_BUDGET_MS: '6000',
      NYMBLE_PAGE_SIZE: '100',
    };
    workers = [rig.spawnWorker(env), rig.spawnWorker(env)];
    await waitFor(
      () => workers.every((worker) => worker.output().includes('worker started')),
      'both workers to start',
    );
    // Both entities sync once at boot; wait for that so the test starts from a quiet API.
    await waitFor(
      async () =>
        (await queues.sync.orders.getCompletedCount()) > 0 &&
        (await queues.sync.products.getCompletedCount()) > 0,
      'first syncs',
    );
  });

  afterAll(async () => {
    for (const worker of workers) worker.child.kill('SIGTERM');
    await Promise.all(workers.map((worker) => worker.exited));
    await queues.close();
    await rig.close();
  });

  it('long Retry-After pauses every worker', async () => {
    rig.simulator.mutate('products', 2);
    rig.simulator.mutate('orders', 2);
    rig.simulator.resetStats();
    rig.simulator.setFaults({ path: '/api/products', rateLimit: { count: 1, retryAfter: '4' } });

    const { job: products } = await queues.requestSync('products');
    const limited = await waitFor(
      () => rig.simulator.stats().requests.find((request) => request.status === 429),
      'the 429',
    );
    // The other worker is free and an orders sync is waiting: it must still hold off.
    await queues.requestSync('orders');
    await waitFor(
      () => rig.simulator.stats().requests.filter((request) => request.status === 200).length >= 2,
      'both syncs to reach the API again',
      15_000,
    );

    const after = rig.simulator.stats().requests.filter((request) => request.at > limited.at);
    expect(after.length).toBeGreaterThanOrEqual(2);
    for (const request of after) expect(request.at - limited.at).toBeGreaterThanOrEqual(3_900);
    const paths = new Set(after.map((request) => request.path));
    expect(paths).toEqual(new Set(['/api/products', '/api/orders']));
    // The receipt counts the deferral, although the attempt that completed waited for nothing.
    const receipt = await waitFor(
      async () => (await queues.sync.products.getJob(products.id!))?.returnvalue,
      'the products receipt',
    );
    expect(receipt.retries).toBe(1);
    expect(receipt.rateLimitWaitMs).toBe(4_000);
  });

  it('endless 429 ends in rate_limit_exhausted', async () => {
    rig.simulator.mutate('orders', 1);
    rig.simulator.resetStats();
    rig.simulator.setFaults({ path: '/api/orders', rateLimit: { count: -1, retryAfter: '1' } });
    const started = Date.now();

    await queues.requestSync('orders');
    const letter = await waitFor(
      async () => (await queues.deadLetter.orders.getJob('sync.rate_limit_exhausted'))?.data,
      'the rate_limit_exhausted dead letter',
      15_000,
    );
    const elapsed = Date.now() - started;
    rig.simulator.clearFaults();

    expect(letter.reason).toBe('rate_limit_exhausted');
    expect(letter.status).toBe(429);
    expect(letter.message).toContain(
      'GET /api/orders was rate limited (HTTP 429, Retry-After 1 s): waiting again would pass ' +
        'the 6000 ms that RATE_LIMIT_BUDGET_MS allows one sync',
    );
    expect(elapsed).toBeLessThan(6_000 + 3_000);
    const attempts = rig.simulator
      .stats()
      .requests.filter((request) => request.path === '/api/orders');
    expect(attempts.length).toBeGreaterThanOrEqual(3);
    expect(attempts.length).toBeLessThanOrEqual(8);
  });

  it('repeated Retry-After 0 backs off', async () => {
    rig.simulator.mutate('products', 1);
    rig.simulator.resetStats();
    rig.simulator.setFaults({ path: '/api/products', rateLimit: { count: -1, retryAfter: '0' } });

    await queues.requestSync('products');
    const letter = await waitFor(
      async () => (await queues.deadLetter.products.getJob('sync.rate_limit_exhausted'))?.data,
      'the rate_limit_exhausted dead letter',
      15_000,
    );
    rig.simulator.clearFaults();

    const attempts = rig.simulator
      .stats()
      .requests.filter((request) => request.path === '/api/products');
    expect(letter.reason).toBe('rate_limit_exhausted');
    // Without backoff a "retry now" loop sends hundreds of requests a second.
    expect(attempts.length).toBeGreaterThanOrEqual(5);
    expect(attempts.length).toBeLessThan(80);
  });
});
