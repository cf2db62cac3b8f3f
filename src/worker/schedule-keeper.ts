/**
 * Keeps the Job Schedulers in Redis. They are upserted at start, again whenever the Redis
 * connection comes back (a restart without persistence or a flush deletes them), and checked
 * every `intervalMs` in case they vanished while the connection stayed up.
 */
import type { Redis } from 'ioredis';

import type { Schedule } from '../config.js';
import type { EntityName } from '../erp/adapter.js';
import type { Logger } from '../log.js';
import { schedulerId } from '../queue/names.js';
import type { SyncQueues } from '../queue/queues.js';

export class ScheduleKeeper {
  #timer: NodeJS.Timeout | undefined;
  #onReady = () => void this.ensure('reconnected');

  constructor(
    private readonly queues: SyncQueues,
    private readonly schedules: Partial<Record<EntityName, Schedule>>,
    private readonly redis: Redis,
    private readonly log: Logger,
    private readonly intervalMs: number,
  ) {}

  async start(): Promise<void> {
    await this.queues.enforceOneSyncPerEntity();
    await this.queues.upsertSchedules(this.schedules);
    this.log.info({ schedules: this.schedules }, 'schedules upserted');

    this.redis.on('ready', this.#onReady);
    this.#timer = setInterval(() => void this.ensure('periodic check'), this.intervalMs);
    this.#timer.unref();
  }

  /** Re-upserts the schedules if any configured scheduler is missing. Catches and logs its own errors, so it never rejects. */
  async ensure(trigger: string): Promise<boolean> {
    try {
      const present = new Set(
        (await this.queues.listSchedulers()).map((scheduler) => scheduler.key),
      );
      const missing = Object.keys(this.schedules).filter(
        (entity) => !present.has(schedulerId(entity as EntityName)),
      );
      if (missing.length === 0) return false;

      await this.queues.enforceOneSyncPerEntity();
      await this.queues.upsertSchedules(this.schedules);
      this.log.warn({ trigger, missing }, 'schedules were missing from Redis, upserted again');
      return true;
    } catch (error) {
      this.log.warn({ err: error, trigger }, 'schedule check failed, will try again');
      return false;
    }
  }

  stop(): void {
    clearInterval(this.#timer);
    this.redis.off('ready', this.#onReady);
  }
}
