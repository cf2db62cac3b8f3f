import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { compareErpWithSource } from '../../src/cli/verify.js';
import type { WorkerApp } from '../../src/worker/app.js';
import { createRig, runCli, syncNow, waitFor, type TestRig } from '../helpers/harness.js';

describe('dlq command', () => {
  let rig: TestRig;
  let app: WorkerApp;
  let rejectedId: string;
  const dlq = (...args: string[]) => runCli(['dlq', ...args], rig.env());

  beforeAll(async () => {
    rig = await createRig('dlq-cli', { products: 40, orders: 20 });
    ({ app } = await rig.startWorker());
    await syncNow(app, 'products');
    await syncNow(app, 'orders');

    [rejectedId] = rig.simulator.mutate('products', 1) as [string];
    rig.simulator.updateRecord('products', rejectedId, { Sku: 'lower case' });
    await syncNow(app, 'products');

    rig.simulator.revokeApiKey();
    const { job } = await app.queues.requestSync('orders');
    await waitFor(async () => (await job.getState()) === 'failed', 'the orders sync to fail');
  });

  afterAll(async () => {
    await rig.close();
  });

  it('lists entries as a table', async () => {
    const result = await dlq('list');

    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^ID\s+REASON\s+STATUS\s+ATTEMPTS/);
    expect(result.stdout).toContain(`products/record.${rejectedId}`);
    expect(result.stdout).toMatch(/orders\/sync\.unauthorized\s+unauthorized\s+401/);
  });

  it('lists without Nymble settings', async () => {
    const env = rig.env({ NYMBLE_BASE_URL: undefined, NYMBLE_API_KEY: undefined });

    const listed = await runCli(['dlq', 'list'], env);
    const replayed = await runCli(['dlq', 'replay', '--reason', 'erp_rejected'], env);

    expect(listed.status).toBe(0);
    expect(listed.stdout).toContain(`products/record.${rejectedId}`);
    expect(replayed.status).toBe(2);
    expect(replayed.stderr).toContain('NYMBLE_BASE_URL and a credential are missing');
  });

  it('filters by reason as JSON', async () => {
    const result = await dlq('list', '--reason', 'erp_rejected', '--json');
    const letters = JSON.parse(result.stdout) as Array<{ id: string; reason: string }>;

    expect(result.status).toBe(0);
    expect(letters.map((letter) => letter.reason)).toEqual(['erp_rejected']);
    expect(letters[0]?.id).toBe(`products/record.${rejectedId}`);
  });

  it('shows one entry in full', async () => {
    const result = await dlq('show', 'orders/sync.unauthorized');
    const letter = JSON.parse(result.stdout) as Record<string, unknown>;

    expect(result.status).toBe(0);
    expect(letter.endpoint).toBe('GET /api/orders');
    expect(letter.originalJob).toMatchObject({ name: 'sync', data: { entity: 'orders' } });
    expect(typeof letter.firstFailedAt).toBe('string');
    expect(result.stdout).not.toContain(rig.simulator.apiKey);
  });

  it('rejects unknown ids and filters', async () => {
    const missing = await dlq('show', 'orders/sync.nothing');
    const badReason = await dlq('list', '--reason', 'bored');
    const nothingNamed = await dlq('replay');

    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain('"orders/sync.nothing" was not found');
    expect(badReason.status).toBe(2);
    expect(badReason.stderr).toContain('--reason "bored" is invalid');
    expect(nothingNamed.status).toBe(2);
    expect(nothingNamed.stderr).toContain('a dead letter ID, --all, or --reason');
  });

  it('replays a sync entry after the fix', async () => {
    rig.simulator.restoreApiKey();
    rig.simulator.mutate('orders', 2);

    const result = await dlq('replay', 'orders/sync.unauthorized');

    expect(result.status).toBe(0);
    expect(result.stdout).toContain('orders/sync.unauthorized: resumed orders');
    await waitFor(
      () =>
        compareErpWithSource(
          'orders',
          rig.simulator.snapshot('orders'),
          rig.openErp().list('orders'),
        ).matches,
      'orders to match the source',
    );
    expect(await app.queues.sync.orders.isPaused()).toBe(false);
  });

  it('replays a record with its current version', async () => {
    const stillBad = await dlq('replay', '--reason', 'erp_rejected');
    rig.simulator.updateRecord('products', rejectedId, { Sku: 'SKU-FIXED-7' });
    const fixed = await dlq('replay', '--reason', 'erp_rejected');

    expect(stillBad.status).toBe(1);
    expect(stillBad.stdout).toContain('rejected the current version again');
    expect(fixed.status).toBe(0);
    expect(fixed.stdout).toContain('current version fetched and written (updated)');
    expect((rig.openErp().get('products', rejectedId)?.payload as { Sku: string }).Sku).toBe(
      'SKU-FIXED-7',
    );
  });

  it('purges only with --yes', async () => {
    rig.simulator.denyRole('Admin', '/api/orders');
    const { job } = await app.queues.requestSync('orders');
    await waitFor(async () => (await job.getState()) === 'failed', 'the forbidden sync');

    const unconfirmed = await dlq('purge');
    const confirmed = await dlq('purge', '--yes');
    const after = await dlq('list', '--json');

    expect(unconfirmed.status).toBe(2);
    expect(unconfirmed.stderr).toContain('add --yes');
    expect(confirmed.status).toBe(0);
    expect(confirmed.stdout).toContain('Removed 1 dead letter.');
    expect(confirmed.stdout).toContain(
      'Resumed orders: no dead letter explains the pause any more.',
    );
    expect(await app.queues.sync.orders.isPaused()).toBe(false);
    expect(await app.breaker.get('orders')).toBeUndefined();
    expect(JSON.parse(after.stdout)).toEqual([]);
  });
});
