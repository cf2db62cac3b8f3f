import { spawnSync } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import { compareErpWithSource } from '../../src/cli/verify.js';
import { schedulerId } from '../../src/queue/names.js';
import { SyncQueues } from '../../src/queue/queues.js';
import { createRig, ROOT, runCli, syncNow, waitFor, type TestRig } from '../helpers/harness.js';

let rig: TestRig | undefined;

afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

/** Completed-sync log lines of a worker's JSON output. */
function completedRuns(output: string): Array<{ entity: string; jobId: string }> {
  return output
    .split('\n')
    .filter((line) => line.includes('"msg":"sync completed"'))
    .map((line) => JSON.parse(line) as { entity: string; jobId: string });
}

describe('worker process', () => {
  it('two workers sync each tick once', async () => {
    rig = await createRig('two-workers', { products: 80, orders: 50 });
    const env = { SYNC_PRODUCTS_INTERVAL_SECONDS: '2', SYNC_ORDERS_INTERVAL_SECONDS: '2' };
    const workers = [rig.spawnWorker(env), rig.spawnWorker(env)];
    const queues = new SyncQueues(rig.redis, rig.prefix);

    await waitFor(
      async () => (await queues.sync.products.getCompletedCount()) >= 3,
      'three product ticks',
      20_000,
    );
    rig.simulator.mutate('products', 5);
    await waitFor(
      async () => (await queues.sync.products.getCompletedCount()) >= 5,
      'two more ticks',
      20_000,
    );
    for (const worker of workers) worker.child.kill('SIGTERM');
    const codes = await Promise.all(workers.map((worker) => worker.exited));

    expect(codes).toEqual([0, 0]);
    const runs = workers.flatMap((worker) => completedRuns(worker.output()));
    for (const entity of ['products', 'orders']) {
      const jobIds = runs.filter((run) => run.entity === entity).map((run) => run.jobId);
      expect(new Set(jobIds).size).toBe(jobIds.length);
      expect(jobIds.length).toBe(await queues.sync[entity as 'products'].getCompletedCount());
    }
    const erp = rig.openErp();
    expect(erp.stats('products')).toEqual({ records: 80, writes: 85 });
    expect(erp.stats('orders')).toEqual({ records: 50, writes: 50 });
    expect(
      compareErpWithSource('products', rig.simulator.snapshot('products'), erp.list('products'))
        .matches,
    ).toBe(true);
    await queues.close();
  });

  it('SIGTERM checkpoints and the next run resumes', async () => {
    rig = await createRig('sigterm', { products: 300, orders: 10 });
    rig.simulator.setFaults({ path: '/api/products', latencyMs: 120 });
    const env = { NYMBLE_PAGE_SIZE: '10' };
    const first = rig.spawnWorker(env);
    const queues = new SyncQueues(rig.redis, rig.prefix);
    const keys = `${rig.prefix}:nymble-sync:watermark:products`;

    await waitFor(async () => (await rig!.redis.hget(keys, 'id')) !== null, 'the first checkpoint');
    await new Promise((resolve) => setTimeout(resolve, 500));
    const signalledAt = Date.now();
    first.child.kill('SIGTERM');
    const code = await first.exited;
    const exitMs = Date.now() - signalledAt;
    const checkpoint = await rig.redis.hgetall(keys);
    const writtenBefore = rig.openErp().stats('products').records;

    expect(code).toBe(0);
    expect(exitMs).toBeLessThan(10_000);
    expect(writtenBefore).toBeGreaterThan(0);
    expect(writtenBefore).toBeLessThan(300);
    expect(first.output()).toContain('sync interrupted at shutdown, resumes from checkpoint');

    rig.simulator.clearFaults();
    rig.simulator.resetStats();
    const second = rig.spawnWorker(env);
    await waitFor(
      () => rig!.openErp().stats('products').records === 300,
      'the resumed sync',
      30_000,
    );
    const firstRequest = rig.simulator
      .stats()
      .requests.find((request) => request.path === '/api/products');
    second.child.kill('SIGTERM');
    await second.exited;

    expect(firstRequest?.query.updatedSince).toBe(checkpoint.updatedAt);
    expect(firstRequest?.query.afterId).toBe(checkpoint.id);
    const erp = rig.openErp();
    expect(erp.stats('products')).toEqual({ records: 300, writes: 300 });
    expect(
      compareErpWithSource('products', rig.simulator.snapshot('products'), erp.list('products'))
        .matches,
    ).toBe(true);
    await queues.close();
  });

  it('interrupted full sync resumes, not restarts', async () => {
    rig = await createRig('full-resume', { products: 200, orders: 5 });
    const first = await rig.startWorker({ NYMBLE_PAGE_SIZE: '10' });
    await syncNow(first.app, 'products');
    rig.simulator.setFaults({ path: '/api/products', latencyMs: 80 });
    const key = `${rig.prefix}:nymble-sync:watermark:products`;
    const before = await rig.redis.hgetall(key);

    await first.app.queues.requestSync('products', { full: true });
    await waitFor(
      async () => (await rig!.redis.hget(key, 'id')) !== before.id,
      'a full-sync checkpoint',
    );
    await first.app.stop();
    const checkpoint = await rig.redis.hgetall(key);
    rig.simulator.clearFaults();
    rig.simulator.resetStats();
    const second = await rig.startWorker({ NYMBLE_PAGE_SIZE: '10' });
    await waitFor(
      async () => (await rig!.redis.hget(key, 'id')) === before.id,
      'the full walk to finish',
      30_000,
    );

    const [resumedFirst] = rig.simulator
      .stats()
      .requests.filter((request) => request.path === '/api/products');
    expect(checkpoint.id).not.toBe(before.id);
    expect(resumedFirst?.query.updatedSince).toBe(checkpoint.updatedAt);
    expect(resumedFirst?.query.afterId).toBe(checkpoint.id);
    await second.app.stop();
  });

  it('changed schedule replaces the old one', async () => {
    rig = await createRig('schedule-change', { products: 5, orders: 5 });
    const queues = new SyncQueues(rig.redis, rig.prefix);

    const first = await rig.startWorker({ SYNC_PRODUCTS_INTERVAL_SECONDS: '3600' });
    await first.app.stop();
    const second = await rig.startWorker({
      SYNC_PRODUCTS_CRON: '*/5 * * * *',
      SYNC_PRODUCTS_INTERVAL_SECONDS: undefined,
      SYNC_TIMEZONE: 'Europe/Berlin',
    });
    await second.app.stop();
    const afterCron = await queues.sync.products.getJobSchedulers();
    const third = await rig.startWorker({ SYNC_PRODUCTS_INTERVAL_SECONDS: '120' });
    await third.app.stop();
    const afterInterval = await queues.sync.products.getJobSchedulers();

    expect(afterCron).toHaveLength(1);
    expect(afterCron[0]?.key).toBe(schedulerId('products'));
    expect(afterCron[0]?.pattern).toBe('*/5 * * * *');
    expect(afterCron[0]?.tz).toBe('Europe/Berlin');
    expect(afterInterval).toHaveLength(1);
    expect(afterInterval[0]?.every).toBe(120_000);
    expect(afterInterval[0]?.pattern ?? undefined).toBeUndefined();
    await queues.close();
  });

  it('invalid configuration exits 2 naming each variable', () => {
    const result = spawnSync(
      process.execPath,
      ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), 'worker'],
      {
        cwd: ROOT,
        encoding: 'utf8',
        env: {
          PATH: process.env.PATH,
          NYMBLE_PAGE_SIZE: '9000',
          REDIS_URL: 'http://wrong',
          SYNC_ORDERS_CRON: 'every day',
          NYMBLE_CLIENT_SECRET: 'do-not-print-this-secret',
        },
        timeout: 30_000,
      },
    );

    expect(result.status).toBe(2);
    const message = result.stderr;
    for (const name of [
      'NYMBLE_BASE_URL',
      'NYMBLE_PAGE_SIZE',
      'REDIS_URL',
      'SYNC_ORDERS_CRON',
      'NYMBLE_ORG_CODE',
      'NYMBLE_CLIENT_ID',
    ]) {
      expect(message).toContain(name);
    }
    expect(message).not.toContain('do-not-print-this-secret');
    expect(message).not.toMatch(/\n\s+at /);
    expect(result.stdout).toBe('');
  });

  it('busy HTTP port exits 2', async () => {
    rig = await createRig('busy-port', { products: 5, orders: 5 });
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as AddressInfo).port;

    const result = await runCli(['worker'], rig.env({ HTTP_PORT: String(port) }));
    blocker.close();

    expect(result.status).toBe(2);
    expect(result.stderr).toContain(`HTTP_PORT=${port} cannot be used (EADDRINUSE)`);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('missing ERP adapter exits 2', async () => {
    rig = await createRig('bad-adapter', { products: 5, orders: 5 });

    const result = await runCli(['worker'], rig.env({ ERP_ADAPTER: './no-such-adapter.js' }));

    expect(result.status).toBe(2);
    expect(result.stderr).toContain('ERP_ADAPTER');
    expect(result.stderr).toContain('no-such-adapter.js');
  });
});
