/**
 * Prometheus metrics of one worker process (prom-client). Counters are updated where things
 * happen; gauges that need Redis are read at scrape time through `collectors`.
 * docs/operations.md lists every series.
 */
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';

export interface ScrapeCollectors {
  /** Per entity: unix seconds of the last successful run's start and finish, if any. */
  lastSuccess(): Promise<Array<{ entity: string; startedAt?: number; finishedAt?: number }>>;
  /** Per queue: age in seconds of the oldest waiting job, 0 when none waits. */
  oldestWaitingAgeSeconds(): Promise<Array<{ queue: string; ageSeconds: number }>>;
  deadLetterCounts(): Promise<Array<{ entity: string; count: number }>>;
  breakers(): Promise<Array<{ entity: string; open: boolean }>>;
  /** Age in seconds of the login token in use, or undefined for API keys. */
  tokenAgeSeconds(): number | undefined;
}

export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'nymble_sync_' });
  const registers = [registry];

  const metrics = {
    registry,
    records: new Counter({
      name: 'nymble_sync_records_total',
      help: 'Records pushed to the ERP, by entity and outcome.',
      labelNames: ['entity', 'outcome'],
      registers,
    }),
    httpRequests: new Counter({
      name: 'nymble_sync_http_requests_total',
      help: 'HTTP responses from Nymble, by endpoint and status (network_error when none arrived).',
      labelNames: ['endpoint', 'status'],
      registers,
    }),
    retries: new Counter({
      name: 'nymble_sync_retries_total',
      help:
        'Retries, by entity and kind: rate_limit and transient inside a job, deferral when a long ' +
        'rate limit re-queued the job, job when BullMQ retried the whole job.',
      labelNames: ['entity', 'kind'],
      registers,
    }),
    rateLimitWait: new Counter({
      name: 'nymble_sync_rate_limit_wait_seconds_total',
      help: 'Seconds spent waiting for Nymble rate limits, by entity.',
      labelNames: ['entity'],
      registers,
    }),
    deadLetters: new Counter({
      name: 'nymble_sync_dead_letters_total',
      help: 'Dead letters written, by entity and reason.',
      labelNames: ['entity', 'reason'],
      registers,
    }),
    syncRuns: new Counter({
      name: 'nymble_sync_runs_total',
      help: 'Finished sync runs, by entity and result.',
      labelNames: ['entity', 'result'],
      registers,
    }),
    logins: new Counter({
      name: 'nymble_sync_logins_total',
      help: 'Login requests sent to POST /api/auth/login, by result.',
      labelNames: ['result'],
      registers,
    }),
    lastSuccess: new Gauge({
      name: 'nymble_sync_last_success_timestamp_seconds',
      help: 'Unix time the last successful sync of the entity finished.',
      labelNames: ['entity'],
      registers,
    }),
    lag: new Gauge({
      name: 'nymble_sync_lag_seconds',
      help: 'Seconds since the start of the last successful sync: every change older than this is in the ERP.',
      labelNames: ['entity'],
      registers,
    }),
    oldestWaiting: new Gauge({
      name: 'nymble_sync_oldest_waiting_job_age_seconds',
      help: 'Seconds the oldest due job has waited to start, overdue scheduled jobs included, by queue.',
      labelNames: ['queue'],
      registers,
    }),
    deadLetterQueue: new Gauge({
      name: 'nymble_sync_dead_letter_queue_size',
      help: 'Entries waiting in the dead-letter queue, by entity.',
      labelNames: ['entity'],
      registers,
    }),
    breakerOpen: new Gauge({
      name: 'nymble_sync_breaker_open',
      help: '1 while the entity is paused by an authentication or authorization failure.',
      labelNames: ['entity'],
      registers,
    }),
    tokenAge: new Gauge({
      name: 'nymble_sync_token_age_seconds',
      help: 'Age of the login token in use; absent with an API key.',
      // A gauge without labels always exposes a value, so the label lets reset() remove it.
      labelNames: ['method'],
      registers,
    }),
  };
  return metrics;
}

export type Metrics = ReturnType<typeof createMetrics>;

/** Refreshes the gauges that are read from Redis; called before each scrape. */
export async function refreshGauges(metrics: Metrics, collectors: ScrapeCollectors): Promise<void> {
  const nowSeconds = Date.now() / 1000;
  for (const { entity, startedAt, finishedAt } of await collectors.lastSuccess()) {
    if (finishedAt !== undefined) metrics.lastSuccess.set({ entity }, finishedAt);
    if (startedAt !== undefined) metrics.lag.set({ entity }, Math.max(0, nowSeconds - startedAt));
  }
  for (const { queue, ageSeconds } of await collectors.oldestWaitingAgeSeconds()) {
    metrics.oldestWaiting.set({ queue }, ageSeconds);
  }
  for (const { entity, count } of await collectors.deadLetterCounts())
    metrics.deadLetterQueue.set({ entity }, count);
  for (const { entity, open } of await collectors.breakers())
    metrics.breakerOpen.set({ entity }, open ? 1 : 0);

  const tokenAge = collectors.tokenAgeSeconds();
  if (tokenAge === undefined) metrics.tokenAge.reset();
  else metrics.tokenAge.set({ method: 'login' }, tokenAge);
}
