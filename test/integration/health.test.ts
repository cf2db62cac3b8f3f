import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { freePort, redisAnswers } from '../../src/cli/local-redis.js';
import { ENTITY_NAMES } from '../../src/erp/adapter.js';
import { schedulerId } from '../../src/queue/names.js';
import type { WorkerApp } from '../../src/worker/app.js';
import { createRig, syncNow, waitFor, type LogCapture, type TestRig } from '../helpers/harness.js';

/** A redis-server of this test alone, on loopback, without persistence. */
class PrivateRedis {
  #child: ChildProcess | undefined;
  readonly dir = mkdtempSync(join(tmpdir(), 'nymble-sync-health-redis-'));

  constructor(readonly port: number) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--save', ''];
    args.push('--appendonly', 'no', '--dir', this.dir);
    this.#child = spawn('redis-server', args, { stdio: 'ignore' });
    await waitFor(() => redisAnswers(this.url, 200), `redis-server on port ${this.port}`, 10_000);
  }

  /** Kills the server as a crash would, and resolves once the process is gone. */
  async kill(): Promise<void> {
    const child = this.#child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }

  async remove(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

async function status(url: string): Promise<number> {
  const response = await fetch(url, { signal: AbortSignal.timeout(3_000) });
  await response.arrayBuffer();
  return response.status;
}

describe('health endpoints across a Redis restart', () => {
  let rig: TestRig;
  let redis: PrivateRedis;
  let app: WorkerApp;
  let log: LogCapture;
  let base: string;
  const healthz: Array<{ at: number; code: number }> = [];
  const outage = { killedAt: 0, readyAgainAt: 0 };
  let probe: NodeJS.Timeout | undefined;

  beforeAll(async () => {
    rig = await createRig('health');
    redis = new PrivateRedis(await freePort());
    await redis.start();
    ({ app, log } = await rig.startWorker({
      REDIS_URL: redis.url,
      SCHEDULE_CHECK_INTERVAL_MS: '1000',
    }));
    base = app.http?.url ?? '';
    // /healthz must return 200 whatever Redis does, so it is sampled for the whole test.
    probe = setInterval(() => {
      const at = Date.now();
      void status(`${base}/healthz`).then(
        (code) => healthz.push({ at, code }),
        () => healthz.push({ at, code: 0 }),
      );
    }, 50);
  });

  afterAll(async () => {
    clearInterval(probe);
    await app?.stop();
    await redis?.remove();
    await rig?.close();
  });

  it('readyz follows Redis down and up', async () => {
    expect(await status(`${base}/readyz`)).toBe(200);

    outage.killedAt = Date.now();
    await redis.kill();
    await waitFor(async () => (await status(`${base}/readyz`)) === 503, 'readyz 503', 10_000);
    const downMs = Date.now() - outage.killedAt;
    // A scrape during the outage still returns the counters instead of waiting for Redis,
    // which would outlast the abort.
    const scrape = await fetch(`${base}/metrics`, { signal: AbortSignal.timeout(5_000) });
    expect(scrape.status).toBe(200);
    expect(await scrape.text()).toContain('nymble_sync_http_requests_total');

    const restartedAt = Date.now();
    await redis.start();
    await waitFor(async () => (await status(`${base}/readyz`)) === 200, 'readyz 200', 20_000);
    outage.readyAgainAt = Date.now();
    const upMs = outage.readyAgainAt - restartedAt;

    console.info(`/readyz: 503 after ${downMs} ms, 200 again after ${upMs} ms`);
    expect(downMs).toBeLessThan(5_000);
    expect(upMs).toBeLessThan(10_000);
  });

  it('schedules reappear once per entity', async () => {
    const schedulers = await app.queues.listSchedulers();

    for (const entity of ENTITY_NAMES) {
      const mine = schedulers.filter((scheduler) => scheduler.entity === entity);
      expect(mine.map((scheduler) => scheduler.key)).toEqual([schedulerId(entity)]);
      expect(mine[0]?.every).toBe(3_600_000);
    }
    expect(await app.queues.sync.products.getGlobalConcurrency()).toBe(1);
    // The keeper re-upserts on the `ready` event, or on a periodic check queued during the outage.
    const repaired = log.messages('schedules were missing from Redis, upserted again');
    expect(repaired.length).toBeGreaterThan(0);
    expect(repaired[0]?.missing).toEqual(['products', 'orders']);
  });

  it('worker still consumes after restart', async () => {
    const receipt = await syncNow(app, 'products');

    expect(receipt.outcome).toBe('completed');
    expect(Date.parse(receipt.startedAt)).toBeGreaterThan(outage.readyAgainAt - 1_000);
    expect(await status(`${base}/readyz`)).toBe(200);
  });

  it('healthz stays 200 throughout', () => {
    const duringOutage = healthz.filter(
      ({ at }) => at >= outage.killedAt && at <= outage.readyAgainAt,
    );
    expect(duringOutage.length).toBeGreaterThan(0);
    expect(healthz.filter(({ code }) => code !== 200)).toEqual([]);
  });
});
