import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { replayDeadLetter } from '../../jobs/replay.js';
import { ENTITIES } from '../../jobs/index.js';
import { compareErpWithSource } from '../../src/cli/verify.js';
import { createLogger } from '../../src/log.js';
import type { WorkerApp } from '../../src/worker/app.js';
import type { MockErp } from '../../src/erp/mock-erp.js';
import { createRig, syncNow, waitFor, type LogCapture, type TestRig } from '../helpers/harness.js';
import { findSecretsInRedis } from '../helpers/secrets.js';

type Entity = 'products' | 'orders';

const quiet = createLogger({ level: 'silent' });

/** Requests a sync and resolves once BullMQ has failed the job; returns its failure reason. */
async function syncFails(app: WorkerApp, entity: Entity): Promise<string> {
  const { job } = await app.queues.requestSync(entity);
  return waitFor(async () => {
    const current = await app.queues.sync[entity].getJob(job.id!);
    return (await current?.getState()) === 'failed'
      ? (current?.failedReason ?? 'failed')
      : undefined;
  }, `failure of the ${entity} sync`);
}

function requestsTo(rig: TestRig, path: string) {
  return rig.simulator.stats().requests.filter((request) => request.path === path);
}

describe('failure semantics', () => {
  let rig: TestRig;
  let app: WorkerApp;
  let erp: MockErp;
  let log: LogCapture;

  beforeAll(async () => {
    rig = await createRig('failures', { products: 60, orders: 40 });
    ({ app, erp, log } = await rig.startWorker({ RATE_LIMIT_INLINE_WAIT_MAX_MS: '5000' }));
    await syncNow(app, 'products');
    await syncNow(app, 'orders');
  });

  afterAll(async () => {
    await rig.close();
  });

  it('401 dead-letters at once and pauses only that entity', async () => {
    rig.simulator.revokeApiKey();
    rig.simulator.resetStats();

    const reason = await syncFails(app, 'products');

    expect(reason).toContain('unauthorized');
    expect(requestsTo(rig, '/api/products')).toHaveLength(1);
    const letters = await app.deadLetters.list({ entity: 'products' });
    expect(letters).toHaveLength(1);
    expect(letters[0]?.reason).toBe('unauthorized');
    expect(letters[0]?.status).toBe(401);
    expect(letters[0]?.endpoint).toBe('GET /api/products');
    expect(letters[0]?.watermark).toEqual(await app.state.getWatermark('products'));
    expect(await app.queues.sync.products.isPaused()).toBe(true);
    expect(await app.queues.sync.orders.isPaused()).toBe(false);
    expect((await app.breaker.get('products'))?.reason).toBe('unauthorized');
  });

  it('unrelated replay keeps the auth pause', async () => {
    const [paused] = await app.deadLetters.list({ entity: 'products', reason: 'unauthorized' });
    const unrelated = {
      ...paused!,
      id: 'products/sync.invalid_response',
      reason: 'invalid_response' as const,
    };

    await expect(
      replayDeadLetter(unrelated, { entities: ENTITIES, ...app, log: quiet }),
    ).rejects.toThrow('products is paused by unauthorized');
    expect(await app.queues.sync.products.isPaused()).toBe(true);
  });

  it('keeps syncing orders while products is paused', async () => {
    rig.simulator.restoreApiKey();
    rig.simulator.mutate('orders', 3);
    rig.simulator.mutate('products', 2);
    rig.simulator.resetStats();

    const orders = await syncNow(app, 'orders');
    await app.queues.requestSync('products');
    await new Promise((resolve) => setTimeout(resolve, 500));

    expect(orders.records.updated).toBe(3);
    expect(requestsTo(rig, '/api/products')).toHaveLength(0);
  });

  it('replay resumes the entity and consumes the letter', async () => {
    const [letter] = await app.deadLetters.list({ entity: 'products', reason: 'unauthorized' });
    expect(letter).toBeDefined();
    const [waiting] = await app.queues.sync.products.getJobs(['waiting'], 0, 0);
    expect(waiting).toBeDefined();

    const result = await replayDeadLetter(letter!, { entities: ENTITIES, ...app, log: quiet });

    expect(result.action).toBe('resumed');
    if (result.action !== 'resumed') return;
    expect(result.unpaused).toEqual(['products']);
    // The sync requested while paused is the one replay starts: no second run is queued.
    expect(result.jobIds).toEqual([waiting!.id]);
    expect(await app.deadLetters.list({ entity: 'products' })).toHaveLength(0);
    expect(await app.queues.sync.products.isPaused()).toBe(false);
    await waitFor(
      () =>
        compareErpWithSource('products', rig.simulator.snapshot('products'), erp.list('products'))
          .matches,
      'products in the ERP to match the source',
    );
    expect(await app.breaker.get('products')).toBeUndefined();
  });

  it('403 names the endpoint and the role', async () => {
    rig.simulator.denyRole('Admin', '/api/orders');
    rig.simulator.mutate('products', 2);

    await syncFails(app, 'orders');
    const products = await syncNow(app, 'products');

    const [letter] = await app.deadLetters.list({ entity: 'orders' });
    expect(letter?.reason).toBe('forbidden');
    expect(letter?.status).toBe(403);
    expect(letter?.endpoint).toBe('GET /api/orders');
    expect(letter?.role).toBe('Admin (API key)');
    expect(letter?.message).toContain('GET /api/orders');
    expect(letter?.message).toContain('Admin');
    expect(products.records.updated).toBe(2);
    expect(await app.queues.sync.products.isPaused()).toBe(false);

    rig.simulator.allowRole('Admin', '/api/orders');
    const replayed = await replayDeadLetter(letter!, { entities: ENTITIES, ...app, log: quiet });
    const [jobId] = replayed.action === 'resumed' ? replayed.jobIds : [];
    await waitFor(
      async () => (await app.queues.sync.orders.getJob(jobId!))?.finishedOn,
      'the replayed orders sync',
    );
  });

  it('replay resumes only its own entity', async () => {
    rig.simulator.revokeApiKey();
    await syncFails(app, 'products');
    await syncFails(app, 'orders');
    rig.simulator.restoreApiKey();

    const [letter] = await app.deadLetters.list({ entity: 'products', reason: 'unauthorized' });
    const result = await replayDeadLetter(letter!, { entities: ENTITIES, ...app, log: quiet });

    expect(result).toMatchObject({ action: 'resumed', entities: ['products'] });
    expect(await app.queues.sync.products.isPaused()).toBe(false);
    expect(await app.queues.sync.orders.isPaused()).toBe(true);
    const [orders] = await app.deadLetters.list({ entity: 'orders' });
    expect(orders?.reason).toBe('unauthorized');
    await replayDeadLetter(orders!, { entities: ENTITIES, ...app, log: quiet });
    expect(await app.queues.sync.orders.isPaused()).toBe(false);
    await waitFor(async () => (await app.deadLetters.list()).length === 0, 'no dead letters');
  });

  it.each([
    ['2', 2_000, 3_500],
    ['date:+2000', 1_000, 3_500],
    ['0', 0, 500],
  ])('429 with Retry-After %s waits as told', async (retryAfter, minGapMs, maxGapMs) => {
    rig.simulator.mutate('products', 1);
    rig.simulator.resetStats();
    rig.simulator.setFaults({ path: '/api/products', rateLimit: { count: 1, retryAfter } });

    const receipt = await syncNow(app, 'products');

    const requests = requestsTo(rig, '/api/products');
    expect(requests.map((request) => request.status)).toEqual([429, 200]);
    const gap = requests[1]!.at - requests[0]!.at;
    expect(gap).toBeGreaterThanOrEqual(minGapMs);
    expect(gap).toBeLessThan(maxGapMs);
    expect(receipt.retries).toBe(1);
    expect(receipt.records.updated).toBe(1);
  });

  it('retries 5xx and resets, then completes', async () => {
    rig.simulator.mutate('products', 4);
    rig.simulator.resetStats();
    rig.simulator.setFaults([
      { path: '/api/products', serverErrors: { count: 3, status: 503 } },
      { path: '/api/orders', resetConnections: { count: 2 } },
    ]);
    rig.simulator.mutate('orders', 2);

    const products = await syncNow(app, 'products');
    const orders = await syncNow(app, 'orders');

    expect(requestsTo(rig, '/api/products').map((request) => request.status)).toEqual([
      503, 503, 503, 200,
    ]);
    expect(requestsTo(rig, '/api/orders').map((request) => request.status)).toEqual([0, 0, 200]);
    expect(products.retries).toBe(3);
    expect(products.records.updated).toBe(4);
    expect(orders.records.updated).toBe(2);
    for (const entity of ['products', 'orders'] as const) {
      expect(
        compareErpWithSource(entity, rig.simulator.snapshot(entity), erp.list(entity)).matches,
      ).toBe(true);
    }
  });

  it('dead-letters after bounded 5xx attempts', async () => {
    rig.simulator.mutate('products', 1);
    rig.simulator.resetStats();
    rig.simulator.setFaults({ path: '/api/products', serverErrors: { count: -1, status: 502 } });

    await syncFails(app, 'products');
    const requests = requestsTo(rig, '/api/products');
    rig.simulator.clearFaults();
    await syncNow(app, 'products');

    expect(requests).toHaveLength(5);
    const [letter] = await app.deadLetters.list({
      entity: 'products',
      reason: 'transient_exhausted',
    });
    expect(letter?.status).toBe(502);
    expect(letter?.attempts).toBe(5);
    expect(await app.queues.sync.products.isPaused()).toBe(false);
    const replayed = await replayDeadLetter(letter!, { entities: ENTITIES, ...app, log: quiet });
    // Nothing was paused, so the replay only starts a sync.
    expect(replayed).toMatchObject({ action: 'resumed', entities: ['products'], unpaused: [] });
    const [jobId] = replayed.action === 'resumed' ? replayed.jobIds : [];
    await waitFor(
      async () => (await app.queues.sync.products.getJob(jobId!))?.finishedOn,
      'the replayed products sync',
    );
  });

  it('retries a truncated page, dead-letters a wrong shape', async () => {
    rig.simulator.mutate('products', 1);
    rig.simulator.resetStats();
    rig.simulator.setFaults({
      path: '/api/products',
      malformedPages: { count: 1, kind: 'truncated' },
    });
    const retried = await syncNow(app, 'products');

    rig.simulator.mutate('products', 1);
    rig.simulator.setFaults({
      path: '/api/products',
      malformedPages: { count: 1, kind: 'invalid-schema' },
    });
    await syncFails(app, 'products');
    rig.simulator.clearFaults();
    await syncNow(app, 'products');

    expect(retried.retries).toBe(1);
    expect(retried.records.updated).toBe(1);
    const [letter] = await app.deadLetters.list({ entity: 'products', reason: 'invalid_response' });
    expect(letter?.message).toContain('does not match the documented shape');
    await app.deadLetters.remove(letter!.id);
  });

  it('ERP rejection dead-letters one record only', async () => {
    const [badId] = rig.simulator.mutate('products', 3);
    rig.simulator.updateRecord('products', badId!, { Sku: 'not a sku' });

    const receipt = await syncNow(app, 'products');

    expect(receipt.records.rejected).toBe(1);
    expect(receipt.records.updated).toBe(2);
    const [letter] = await app.deadLetters.list({ entity: 'products', reason: 'erp_rejected' });
    expect(letter?.record?.id).toBe(badId);
    expect(letter?.message).toContain('Sku');

    // The source fixes the record; replay must push the fixed version, not the rejected one.
    rig.simulator.updateRecord('products', badId!, { Sku: 'FIXED-001' });
    rig.simulator.resetStats();
    const result = await replayDeadLetter(letter!, { entities: ENTITIES, ...app, log: quiet });

    expect(result.action).toBe('written');
    expect(requestsTo(rig, `/api/products/${badId}`)).toHaveLength(1);
    expect((erp.get('products', badId!)?.payload as { Sku: string }).Sku).toBe('FIXED-001');
    expect(await app.deadLetters.list({ entity: 'products', reason: 'erp_rejected' })).toHaveLength(
      0,
    );
  });

  it('leaves no secret in logs or Redis', async () => {
    const found = await findSecretsInRedis(rig.redis, rig.prefix, [rig.simulator.apiKey]);

    expect(found).toEqual([]);
    expect(log.raw.length).toBeGreaterThan(10);
    expect(log.raw.filter((line) => line.includes(rig.simulator.apiKey))).toEqual([]);
  });
});
