/**
 * The one owner of the sync-job lifecycle log lines and their levels:
 * success is `info`, an expected retry or deferral `warn`, a dead letter `error`.
 * It also counts the same events in the metrics, so that logs and metrics always agree.
 */
import type { Job } from 'bullmq';

import type { SyncReceipt } from '../../jobs/sync-run.js';
import type { EntityName } from '../erp/adapter.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import type { StoredDeadLetter } from '../queue/dead-letters.js';
import type { SyncJobData } from '../queue/queues.js';

export class JobLifecycle {
  constructor(
    private readonly log: Logger,
    private readonly metrics: Metrics,
  ) {}

  /** Returns a logger bound to one job, for the lines that the sync itself writes. */
  jobLogger(job: Job<SyncJobData>): Logger {
    return this.log.child({ entity: job.data.entity, jobId: job.id, trigger: job.data.trigger });
  }

  started(job: Job<SyncJobData>): void {
    this.jobLogger(job).info(
      { attempt: job.attemptsMade + 1, full: job.data.full ?? false },
      'sync started',
    );
  }

  completed(job: Job<SyncJobData>, receipt: SyncReceipt): void {
    this.metrics.syncRuns.inc({ entity: receipt.entity, result: 'completed' });
    this.jobLogger(job).info({ receipt }, 'sync completed');
  }

  interrupted(job: Job<SyncJobData>, receipt: SyncReceipt): void {
    this.metrics.syncRuns.inc({ entity: receipt.entity, result: 'interrupted' });
    this.jobLogger(job).info({ receipt }, 'sync interrupted at shutdown, resumes from checkpoint');
  }

  retrying(job: Job<SyncJobData>, error: unknown): void {
    this.metrics.retries.inc({ entity: job.data.entity, kind: 'job' });
    this.jobLogger(job).warn(
      { err: error, attempt: job.attemptsMade + 1, attempts: job.opts.attempts },
      'sync failed, job will be retried',
    );
  }

  deferred(job: Job<SyncJobData>, delayMs: number, loginOnly: boolean, error: unknown): void {
    const message = loginOnly
      ? 'sync delayed by the login rate limit'
      : 'sync deferred by rate limit, every sync queue paused';
    this.jobLogger(job).warn({ err: error, delayMs }, message);
  }

  deadLettered(job: Job<SyncJobData>, letter: StoredDeadLetter, error: unknown): void {
    this.metrics.syncRuns.inc({ entity: letter.entity, result: 'dead_lettered' });
    this.metrics.deadLetters.inc({ entity: letter.entity, reason: letter.reason });
    this.jobLogger(job).error(
      {
        err: error,
        deadLetterId: letter.id,
        reason: letter.reason,
        status: letter.status,
        endpoint: letter.endpoint,
      },
      'sync dead-lettered',
    );
  }

  recordDeadLettered(entity: EntityName, letter: StoredDeadLetter): void {
    this.metrics.deadLetters.inc({ entity, reason: letter.reason });
    this.log.warn(
      { entity, deadLetterId: letter.id, recordId: letter.record?.id, message: letter.message },
      'record dead-lettered',
    );
  }

  breakerOpened(entities: readonly EntityName[], reason: string, message: string): void {
    this.log.error(
      { entities, reason, message },
      'schedule paused until the dead letter is replayed',
    );
  }
}
