/**
 * The BullMQ queues of nymble-sync: one sync queue per entity with its Job Scheduler, and one
 * dead-letter queue per entity. One active sync per entity is enforced by BullMQ's global
 * concurrency of 1 on each sync queue, which applies across every worker process.
 */
import { Queue, type Job, type JobSchedulerJson } from 'bullmq';
import type { Redis } from 'ioredis';

import type { Schedule } from '../config.js';
import { ENTITY_NAMES, type EntityName } from '../erp/adapter.js';
import { deadLetterQueueName, schedulerId, syncQueueName } from './names.js';

/** Data of a sync job. */
export interface SyncJobData {
  entity: EntityName;
  trigger: 'schedule' | 'manual' | 'replay';
  /** Ignore the watermark and walk every record. */
  full?: boolean;
  /** First 429 met by this job, in ms since the epoch; kept across re-queues for the budget. */
  rateLimitedSinceMs?: number;
  /** Times this job was held back by a long rate limit, and the milliseconds it was held. */
  deferrals?: { count: number; waitMs: number };
}

export const SYNC_JOB_NAME = 'sync';

/** Attempts BullMQ makes for a sync job whose failure escaped the decision table. */
const SYNC_JOB_ATTEMPTS = 3;

const JOB_RETENTION = {
  removeOnComplete: { count: 200, age: 7 * 86_400 },
  removeOnFail: { count: 500, age: 30 * 86_400 },
};

export class SyncQueues {
  readonly sync: Readonly<Record<EntityName, Queue<SyncJobData>>>;
  readonly deadLetter: Readonly<Record<EntityName, Queue>>;

  constructor(
    readonly connection: Redis,
    readonly prefix: string,
  ) {
    const make = (name: string) => new Queue(name, { connection, prefix });
    this.sync = {
      products: make(syncQueueName('products')),
      orders: make(syncQueueName('orders')),
    };
    this.deadLetter = {
      products: make(deadLetterQueueName('products')),
      orders: make(deadLetterQueueName('orders')),
    };
  }

  /**
   * Sends every queue's `error` events to `handler`. Without a listener BullMQ prints each
   * connection error to stderr, once per reconnect attempt.
   */
  onError(handler: (error: Error) => void): void {
    for (const queue of [...Object.values(this.sync), ...Object.values(this.deadLetter)]) {
      queue.on('error', handler);
    }
  }

  /** Sets global concurrency 1 on every sync queue. Idempotent; run at every start. */
  async enforceOneSyncPerEntity(): Promise<void> {
    for (const entity of ENTITY_NAMES) await this.sync[entity].setGlobalConcurrency(1);
  }

  /**
   * Upserts the Job Scheduler of each entity in `schedules` and removes the scheduler of any
   * entity that is no longer configured. Upserting an existing id replaces its repeat options,
   * so a changed interval or cron pattern leaves no second scheduler behind.
   */
  async upsertSchedules(schedules: Partial<Record<EntityName, Schedule>>): Promise<void> {
    for (const entity of ENTITY_NAMES) {
      const schedule = schedules[entity];
      const queue = this.sync[entity];
      if (!schedule) {
        await queue.removeJobScheduler(schedulerId(entity));
        continue;
      }
      await queue.upsertJobScheduler(schedulerId(entity), repeatOptions(schedule), {
        name: SYNC_JOB_NAME,
        data: { entity, trigger: 'schedule' },
        opts: {
          attempts: SYNC_JOB_ATTEMPTS,
          backoff: { type: 'exponential', delay: 5_000 },
          ...JOB_RETENTION,
        },
      });
    }
  }

  /** Returns the schedulers of every sync queue, for status output and health checks. */
  async listSchedulers(): Promise<Array<JobSchedulerJson & { entity: EntityName }>> {
    const result: Array<JobSchedulerJson & { entity: EntityName }> = [];
    for (const entity of ENTITY_NAMES) {
      const schedulers = await this.sync[entity].getJobSchedulers();
      result.push(...schedulers.map((scheduler) => ({ ...scheduler, entity })));
    }
    return result;
  }

  /**
   * Starts a sync now unless one is already waiting to start, in which case that job is
   * returned, so that a manual run never doubles a queued one. A run that is already active is
   * not joined, because it may have fetched its last page before the caller's changes were
   * made: the new job waits behind it (global concurrency 1) and starts once it ends.
   * `behind` is the id of that active run, when there is one.
   */
  async requestSync(
    entity: EntityName,
    options: { full?: boolean; trigger?: SyncJobData['trigger'] } = {},
  ): Promise<{ job: Job<SyncJobData>; created: boolean; behind?: string }> {
    const queue = this.sync[entity];
    const waiting = await queue.getJobs(['waiting', 'prioritized'], 0, 0);
    if (waiting[0] && !options.full) return { job: waiting[0], created: false };

    const [active] = await queue.getJobs(['active'], 0, 0);
    const job = await queue.add(
      SYNC_JOB_NAME,
      { entity, trigger: options.trigger ?? 'manual', full: options.full },
      {
        attempts: SYNC_JOB_ATTEMPTS,
        backoff: { type: 'exponential', delay: 5_000 },
        ...JOB_RETENTION,
      },
    );
    return { job, created: true, behind: active?.id };
  }

  /** Stops every worker from taking sync jobs of any entity for `ms` milliseconds. */
  async rateLimitAll(ms: number): Promise<void> {
    await Promise.all(ENTITY_NAMES.map((entity) => this.sync[entity].rateLimit(ms)));
  }

  async close(): Promise<void> {
    const queues = [...Object.values(this.sync), ...Object.values(this.deadLetter)];
    await Promise.all(queues.map((queue) => queue.close()));
  }
}

function repeatOptions(schedule: Schedule) {
  if (schedule.kind === 'cron') return { pattern: schedule.pattern, tz: schedule.timezone };
  return { every: schedule.everyMs };
}
