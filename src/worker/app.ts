/**
 * The worker process, assembled: Redis, the credential, the Nymble client, the ERP adapter,
 * the queues with their Job Schedulers, one BullMQ worker per entity, and the HTTP server for
 * the dashboard, health and metrics. `stop()` shuts it down once, in order.
 */
import { EventEmitter } from 'node:events';

import { Worker } from 'bullmq';
import type { Redis } from 'ioredis';

import { ENTITIES } from '../../jobs/index.js';
import type { SyncReceipt } from '../../jobs/sync-run.js';
import type { Config } from '../config.js';
import type { EntityName, ErpAdapter } from '../erp/adapter.js';
import { loadErpAdapter } from '../erp/load-adapter.js';
import { throttledErrorLog, type Logger } from '../log.js';
import { createMetrics, type Metrics } from '../metrics.js';
import type { NymbleClient } from '../nymble/client.js';
import { createNymbleClient } from '../nymble/create-client.js';
import type { CredentialProvider } from '../nymble/credentials.js';
import { Breaker } from '../queue/breaker.js';
import { createRedis, logRedisOutages } from '../queue/connection.js';
import { DeadLetters } from '../queue/dead-letters.js';
import { stateKeys, syncQueueName } from '../queue/names.js';
import { SyncQueues, type SyncJobData } from '../queue/queues.js';
import { SyncState } from '../queue/state.js';
import { startHttpServer, type HttpServerHandle } from '../server/http.js';
import { JobLifecycle } from './lifecycle.js';
import { createProcessor } from './processor.js';
import { ScheduleKeeper } from './schedule-keeper.js';
import { scopeGuard } from './scope-guard.js';

export interface WorkerAppOptions {
  /** An adapter built by the caller (the demo, tests); by default ERP_ADAPTER decides. */
  erp?: ErpAdapter;
  /** Start the HTTP server (dashboard, health, metrics); default true. */
  http?: boolean;
}

/** Events for progress displays: `progress` (entity, progress) and `completed` (receipt). */
export interface WorkerEvents extends EventEmitter {}

export interface WorkerApp {
  readonly config: Config;
  readonly redis: Redis;
  readonly queues: SyncQueues;
  readonly state: SyncState;
  readonly deadLetters: DeadLetters;
  readonly breaker: Breaker;
  readonly metrics: Metrics;
  readonly credential: CredentialProvider;
  readonly client: NymbleClient;
  readonly erp: ErpAdapter;
  readonly events: WorkerEvents;
  readonly http?: HttpServerHandle;
  /** Stops taking jobs, lets running syncs checkpoint, then closes everything. Runs once. */
  stop(): Promise<void>;
}

/** BullMQ's manual rate limit (`queue.rateLimit`) takes effect only when a limiter is set. */
const LIMITER = { max: 10_000, duration: 1_000 };

/** Starts of one job that BullMQ allows before failing it, as a guard against endless re-queues. */
const MAX_STARTED_ATTEMPTS = 500;

export async function startWorkerApp(
  config: Config,
  log: Logger,
  options: WorkerAppOptions = {},
): Promise<WorkerApp> {
  // The ERP adapter comes first, so that a bad ERP_ADAPTER fails before a connection is open.
  const erp = options.erp ?? (await loadErpAdapter(config.erp));
  const redis = createRedis(config.redisUrl, 'worker', 'nymble-sync-worker');
  logRedisOutages(redis, log);

  const metrics = createMetrics();
  const keys = stateKeys(config.queuePrefix);
  const state = new SyncState(redis, keys);
  const queues = new SyncQueues(redis, config.queuePrefix);
  queues.onError(throttledErrorLog(log, 'queue error'));
  const deadLetters = new DeadLetters(queues);
  const breaker = new Breaker(queues, state);
  const nymble = await createNymbleClient(config, redis, keys, log, metrics).catch(
    async (error: unknown) => {
      await erp.close();
      await redis.quit().catch(() => redis.disconnect());
      throw error;
    },
  );
  const { client, gate } = nymble;
  const credential = client.credential;

  const schedules = Object.fromEntries(
    config.sync.entities.map((entity) => [entity, config.sync.schedules[entity]]),
  );
  const keeper = new ScheduleKeeper(queues, schedules, redis, log, config.scheduleCheckIntervalMs);

  const shutdown = new AbortController();
  const lifecycle = new JobLifecycle(log, metrics);
  const events: WorkerEvents = new EventEmitter();
  const processor = createProcessor({
    entities: ENTITIES,
    sync: {
      client,
      erp,
      watermarks: state,
      policy: config.retry,
      pageSize: config.nymble.pageSize,
    },
    queues,
    state,
    deadLetters,
    breaker,
    gate,
    policy: config.retry,
    lifecycle,
    metrics,
    checkScope: scopeGuard(credential, config.nymble.allowScopedSync),
    shutdown: shutdown.signal,
  });

  // The HTTP server starts before anything waits for Redis, so that /healthz responds and
  // /readyz explains the wait while Redis is down at start. It reads `workers` at each request.
  const workers: Worker<SyncJobData, SyncReceipt>[] = [];
  let http: HttpServerHandle | undefined;
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= stopInOrder({
      log,
      shutdown,
      http,
      workers,
      keeper,
      queues,
      credential,
      erp,
      redis,
      timeoutMs: config.shutdownTimeoutMs,
    });
    return stopping;
  };

  try {
    const httpDeps = {
      config,
      log,
      metrics,
      queues,
      state,
      deadLetters,
      credential,
      redis,
      workers,
    };
    http = options.http === false ? undefined : await startHttpServer(httpDeps);

    if (redis.status !== 'ready') log.info({ status: redis.status }, 'waiting for Redis');
    await keeper.start();
    for (const entity of config.sync.entities) {
      workers.push(createWorker(entity, processor, redis, config, log, events));
    }
  } catch (error) {
    // Whatever started is stopped again, so that a failed start leaves no process running.
    await stop();
    throw error;
  }

  log.info(
    {
      entities: config.sync.entities,
      auth: config.nymble.auth.method,
      erp: erp.name,
      http: http?.url,
    },
    'worker started',
  );
  return {
    config,
    redis,
    queues,
    state,
    deadLetters,
    breaker,
    metrics,
    credential,
    client,
    erp,
    events,
    http,
    stop,
  };
}

function createWorker(
  entity: EntityName,
  processor: ReturnType<typeof createProcessor>,
  redis: Redis,
  config: Config,
  log: Logger,
  events: WorkerEvents,
): Worker<SyncJobData, SyncReceipt> {
  const worker = new Worker<SyncJobData, SyncReceipt>(syncQueueName(entity), processor, {
    connection: redis,
    prefix: config.queuePrefix,
    concurrency: 1,
    lockDuration: config.sync.lockDurationMs,
    limiter: LIMITER,
    maxStartedAttempts: MAX_STARTED_ATTEMPTS,
  });
  worker.on('error', throttledErrorLog(log, 'worker error', { entity }));
  worker.on('progress', (job, progress) => events.emit('progress', entity, progress, job.id));
  worker.on('completed', (_job, receipt) => events.emit('completed', receipt));
  // `job` is undefined when BullMQ fails a job it could not load, so nothing here depends on it.
  worker.on('failed', (job, error) => events.emit('failed', entity, job?.id, error));
  return worker;
}

interface StopParts {
  log: Logger;
  shutdown: AbortController;
  http?: HttpServerHandle;
  workers: Worker[];
  keeper: ScheduleKeeper;
  queues: SyncQueues;
  credential: CredentialProvider;
  erp: ErpAdapter;
  redis: Redis;
  timeoutMs: number;
}

/** Stops taking work, lets in-flight syncs checkpoint, then closes clients in reverse order. */
async function stopInOrder(parts: StopParts): Promise<void> {
  const { log } = parts;
  log.info('worker stopping');

  parts.shutdown.abort();
  const drained = Promise.all(parts.workers.map((worker) => worker.close()));
  const timedOut = await Promise.race([
    drained.then(() => false),
    new Promise<boolean>((resolve) => setTimeout(() => resolve(true), parts.timeoutMs).unref()),
  ]);
  if (timedOut) {
    // The page in hand was not acknowledged, so its watermark did not move: the next run
    // fetches that page again and the ERP upsert makes the repeat harmless. BullMQ's close()
    // keeps waiting for the running job even when forced, so the rest shuts down without it.
    log.warn(
      { timeoutMs: parts.timeoutMs },
      'running sync did not checkpoint in time, closing anyway',
    );
    for (const worker of parts.workers) void worker.close(true).catch(() => {});
  }

  parts.keeper.stop();
  await parts.http?.close();
  await parts.queues.close();
  await parts.credential.close();
  await parts.erp.close();
  await parts.redis.quit().catch(() => parts.redis.disconnect());
  log.info('worker stopped');
}
