import { setTimeout as sleep } from 'node:timers/promises';

import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { createMetrics } from '../../src/metrics.js';
import { deleteKeysWithPrefix } from '../../src/queue/cleanup.js';
import { DeadLetters } from '../../src/queue/dead-letters.js';
import { stateKeys } from '../../src/queue/names.js';
import { SYNC_JOB_NAME, SyncQueues } from '../../src/queue/queues.js';
import { SyncState } from '../../src/queue/state.js';
import { startHttpServer, type HttpServerHandle } from '../../src/server/http.js';
import { REDIS_URL, uniquePrefix } from '../helpers/harness.js';

/** Returns the value of the oldest-waiting-job gauge for `queue` in a Prometheus scrape. */
function oldestWaitingAge(text: string, queue: string): number {
  const line = text
    .split('\n')
    .find((entry) =>
      entry.startsWith(`nymble_sync_oldest_waiting_job_age_seconds{queue="${queue}"}`),
    );
  if (line === undefined) throw new Error(`No oldest-waiting gauge for ${queue} in the scrape`);
  return Number(line.split(' ').at(-1));
}

// The server of `nymble-sync dashboard`: no worker consumes, so scheduled jobs stay delayed.
describe('metrics without a worker', () => {
  const prefix = uniquePrefix('idle-metrics');
  let redis: Redis;
  let queues: SyncQueues;
  let http: HttpServerHandle;

  beforeAll(async () => {
    redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
    queues = new SyncQueues(redis, prefix);
    const config = loadConfig(
      { REDIS_URL, QUEUE_PREFIX: prefix, HTTP_PORT: '0', LOG_LEVEL: 'silent' },
      { nymble: 'optional' },
    );
    http = await startHttpServer({
      config,
      log: createLogger({ level: 'silent' }),
      metrics: createMetrics(),
      queues,
      state: new SyncState(redis, stateKeys(prefix)),
      deadLetters: new DeadLetters(queues),
      redis,
    });
  });

  afterAll(async () => {
    await http.close();
    await queues.close();
    await deleteKeysWithPrefix(redis, prefix);
    await redis.quit();
  });

  it('counts an overdue delayed job as waiting', async () => {
    await queues.sync.products.add(
      SYNC_JOB_NAME,
      { entity: 'products', trigger: 'schedule' },
      {
        delay: 100,
      },
    );
    await queues.sync.orders.add(
      SYNC_JOB_NAME,
      { entity: 'orders', trigger: 'schedule' },
      {
        delay: 3_600_000,
      },
    );
    await sleep(1_300);

    const text = await (await fetch(`${http.url}/metrics`)).text();

    expect(oldestWaitingAge(text, 'sync-products')).toBeGreaterThanOrEqual(1);
    expect(oldestWaitingAge(text, 'sync-orders')).toBe(0);
  });
});
