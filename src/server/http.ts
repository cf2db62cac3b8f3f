/**
 * The HTTP server of a worker or of `nymble-sync dashboard`: Bull Board under `/dashboard`
 * (`/` redirects there), `/healthz` (the process is alive), `/readyz` (Redis responds and, in a
 * worker, the schedules exist and the workers consume) and `/metrics` (Prometheus text format).
 * Bound to HTTP_HOST, 127.0.0.1 by default. Only the dashboard sits behind basic auth, so that
 * probes and Prometheus scrapes need no credentials.
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';

import type { Queue, Worker } from 'bullmq';
import express, { type Express } from 'express';
import type { Redis } from 'ioredis';

import { dashboardExposureProblem, type Config } from '../config.js';
import { ENTITY_NAMES } from '../erp/adapter.js';
import { ConfigError } from '../errors.js';
import type { Logger } from '../log.js';
import { refreshGauges, type Metrics } from '../metrics.js';
import type { CredentialProvider } from '../nymble/credentials.js';
import type { DeadLetters } from '../queue/dead-letters.js';
import { schedulerId } from '../queue/names.js';
import type { SyncQueues } from '../queue/queues.js';
import type { SyncState } from '../queue/state.js';
import { mountDashboard } from './dashboard.js';

export interface HttpServerDeps {
  config: Config;
  log: Logger;
  metrics: Metrics;
  queues: SyncQueues;
  state: SyncState;
  deadLetters: DeadLetters;
  /** The worker's credential, for the token age gauge; absent in `nymble-sync dashboard`. */
  credential?: CredentialProvider;
  redis: Redis;
  /**
   * The process's BullMQ workers. Absent in `nymble-sync dashboard`, whose readiness then
   * depends on Redis alone, because workers elsewhere own the schedules.
   */
  workers?: Worker[];
}

export interface HttpServerHandle {
  url: string;
  app: Express;
  close(): Promise<void>;
}

export interface ReadinessCheck {
  ok: boolean;
  /** `schedules` and `workers` are checked only in a worker process. */
  checks: { redis: boolean; schedules?: boolean; workers?: boolean };
  detail?: string;
}

/** Readiness timeout for the Redis round trip, so that /readyz responds while Redis hangs. */
const READY_REDIS_TIMEOUT_MS = 1_000;

/** Time a scrape may spend reading gauges from Redis before it returns without them. */
const GAUGE_TIMEOUT_MS = 2_000;

export async function checkReadiness(deps: HttpServerDeps): Promise<ReadinessCheck> {
  const checks: ReadinessCheck['checks'] = { redis: false };
  if (deps.workers) {
    checks.schedules = false;
    checks.workers = deps.workers.length > 0 && deps.workers.every((worker) => worker.isRunning());
  }
  if (deps.redis.status !== 'ready')
    return { ok: false, checks, detail: `Redis connection is ${deps.redis.status}` };

  try {
    await withTimeout(deps.redis.ping(), READY_REDIS_TIMEOUT_MS);
    checks.redis = true;
    if (deps.workers) checks.schedules = await schedulesPresent(deps);
  } catch (error) {
    return { ok: false, checks, detail: error instanceof Error ? error.message : String(error) };
  }
  return { ok: Object.values(checks).every(Boolean), checks };
}

async function schedulesPresent(deps: HttpServerDeps): Promise<boolean> {
  const schedulers = await withTimeout(deps.queues.listSchedulers(), READY_REDIS_TIMEOUT_MS);
  const present = new Set(schedulers.map((scheduler) => scheduler.key));
  return deps.config.sync.entities.every((entity) => present.has(schedulerId(entity)));
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return Promise.race([
    promise,
    new Promise<T>((_, reject) =>
      setTimeout(() => reject(new Error(`Redis did not respond within ${ms} ms`)), ms).unref(),
    ),
  ]);
}

function scrapeCollectors(deps: HttpServerDeps) {
  return {
    lastSuccess: async () =>
      Promise.all(
        deps.config.sync.entities.map(async (entity) => {
          const run = await deps.state.getLastSuccess(entity);
          return {
            entity,
            startedAt: run ? Date.parse(run.startedAt) / 1000 : undefined,
            finishedAt: run ? Date.parse(run.finishedAt) / 1000 : undefined,
          };
        }),
      ),
    oldestWaitingAgeSeconds: async () =>
      Promise.all(
        ENTITY_NAMES.map(async (entity) => {
          const queue = deps.queues.sync[entity];
          const [oldest] = await queue.getJobs(['waiting', 'prioritized'], 0, 0, true);
          const ageSeconds = Math.max(
            waitingSeconds(oldest),
            await overdueSeconds(deps.redis, queue),
          );
          return { queue: queue.name, ageSeconds };
        }),
      ),
    deadLetterCounts: async () =>
      Promise.all(
        ENTITY_NAMES.map(async (entity) => ({
          entity,
          count: await deps.deadLetters.count(entity),
        })),
      ),
    breakers: async () =>
      Promise.all(
        ENTITY_NAMES.map(async (entity) => ({
          entity,
          open: (await deps.state.getBreaker(entity)) !== undefined,
        })),
      ),
    tokenAgeSeconds: () => tokenAgeSeconds(deps.credential),
  };
}

/**
 * Returns how long the earliest delayed job of `queue` has been due, in seconds, or 0. A
 * scheduled job stays delayed until a worker promotes it, so with no worker running the overdue
 * delayed job is the one that waits. The due time comes from the delayed set's score, which
 * BullMQ 6 writes as `dueMs * 0x1000 + counter` (its getDelayedScore.lua): a job's own
 * `timestamp + delay` is stale once it has been moved back to delayed.
 */
async function overdueSeconds(redis: Redis, queue: Queue): Promise<number> {
  const key = queue.keys.delayed;
  if (key === undefined) return 0;
  const [, score] = await redis.zrange(key, 0, 0, 'WITHSCORES');
  if (score === undefined) return 0;

  const dueMs = Math.floor(Number(score) / 0x1000);
  return Math.max(0, (Date.now() - dueMs) / 1000);
}

/** Returns how long a job has been due without starting, in seconds, or 0 for none. */
function waitingSeconds(job: { timestamp: number; delay?: number } | undefined): number {
  if (!job) return 0;
  return Math.max(0, (Date.now() - job.timestamp - (job.delay ?? 0)) / 1000);
}

/** Returns the login token's age; undefined for an API key or without a credential. */
function tokenAgeSeconds(credential: CredentialProvider | undefined): number | undefined {
  const provider = credential as { tokenAgeSeconds?: () => number | undefined } | undefined;
  return provider?.tokenAgeSeconds?.();
}

export function createHttpApp(deps: HttpServerDeps): Express {
  const app = express();
  app.disable('x-powered-by');

  app.get('/healthz', (_request, response) => {
    response.json({ ok: true });
  });
  app.get('/readyz', async (_request, response) => {
    const readiness = await checkReadiness(deps);
    response.status(readiness.ok ? 200 : 503).json(readiness);
  });
  app.get('/metrics', async (_request, response) => {
    try {
      // Worker connections wait for Redis instead of failing, so without these guards a scrape
      // during an outage would hang until Prometheus gave up and the counters were lost too.
      if (deps.redis.status !== 'ready') {
        throw new Error(`Redis connection is ${deps.redis.status}`);
      }
      await withTimeout(refreshGauges(deps.metrics, scrapeCollectors(deps)), GAUGE_TIMEOUT_MS);
    } catch (error) {
      // Counters stay valid without Redis, so the scrape still returns what it has.
      deps.log.warn({ err: error }, 'metrics gauges not refreshed');
    }
    response.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
  });
  mountDashboard(app, deps.queues, deps.config.http);
  return app;
}

/**
 * Starts listening on HTTP_HOST and HTTP_PORT.
 * @throws ConfigError when the dashboard would be reachable off loopback without credentials;
 * loadConfig rejects that already, and this repeats the check for hand-built configurations.
 */
/**
 * Listens on host and port. Express 5 passes a listen error to the callback instead of
 * throwing, so the callback checks for it and turns it into a ConfigError naming the setting.
 */
function listen(app: Express, host: string, port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = app.listen(port, host, (error?: Error) => {
      if (!error) {
        resolve(server);
        return;
      }
      const code = (error as { code?: string }).code ?? error.message;
      reject(
        new ConfigError([
          `HTTP_HOST=${JSON.stringify(host)} HTTP_PORT=${port} cannot be used (${code}): ` +
            'choose a free port and an address of this machine',
        ]),
      );
    });
  });
}

export async function startHttpServer(deps: HttpServerDeps): Promise<HttpServerHandle> {
  const exposure = dashboardExposureProblem(deps.config.http);
  if (exposure !== undefined) throw new ConfigError([exposure]);

  const app = createHttpApp(deps);
  const { host, port } = deps.config.http;
  const server = await listen(app, host, port);

  const address = server.address() as AddressInfo;
  const url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
  return {
    url,
    app,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
