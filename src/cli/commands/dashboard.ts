import type { Command } from 'commander';
import type { Redis } from 'ioredis';

import { loadConfig } from '../../config.js';
import { createLogger, throttledErrorLog, type Logger } from '../../log.js';
import { createMetrics } from '../../metrics.js';
import { createRedis, logRedisOutages } from '../../queue/connection.js';
import { DeadLetters } from '../../queue/dead-letters.js';
import { stateKeys } from '../../queue/names.js';
import { SyncQueues } from '../../queue/queues.js';
import { SyncState } from '../../queue/state.js';
import { startHttpServer } from '../../server/http.js';
import { runCommand } from '../exit.js';
import { stopSignal } from '../signals.js';

/** Registers `nymble-sync dashboard`: Bull Board, health and metrics without a worker. */
export function registerDashboard(program: Command): void {
  program
    .command('dashboard')
    .description(
      'Serve the dashboard, /healthz, /readyz and /metrics without running a worker, until ' +
        'SIGTERM or SIGINT (for workers that run elsewhere; same environment variables)',
    )
    .action(() => runCommand(() => serveDashboard()));
}

async function serveDashboard(): Promise<number> {
  const config = loadConfig(process.env, { nymble: 'optional' });
  const log = createLogger({ level: config.logLevel });

  const redis = createRedis(config.redisUrl, 'worker', 'nymble-sync-dashboard');
  logRedisOutages(redis, log);
  const queues = new SyncQueues(redis, config.queuePrefix);
  queues.onError(throttledErrorLog(log, 'queue error'));
  const http = await startHttpServer({
    config,
    log,
    metrics: createMetrics(),
    queues,
    state: new SyncState(redis, stateKeys(config.queuePrefix)),
    deadLetters: new DeadLetters(queues),
    redis,
  }).catch(async (error: unknown) => {
    await closeRedis(queues, redis);
    throw error;
  });
  log.info({ http: http.url, readOnly: config.http.dashboardReadOnly }, 'dashboard started');

  const signal = await stopSignal();
  log.info({ signal }, 'shutdown requested');
  await http.close();
  await closeRedis(queues, redis);
  log.info('dashboard stopped');
  await new Promise<void>((resolve) => log.flush(() => resolve()));
  return 0;
}

async function closeRedis(queues: SyncQueues, redis: Redis) {
  await queues.close();
  await redis.quit().catch(() => redis.disconnect());
}
