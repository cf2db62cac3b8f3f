/**
 * Sync state kept in Redis beside the queues: each entity's watermark, its last run receipt
 * and its breaker. A lost watermark (Redis flushed) costs a full re-sync, never a lost record,
 * because ERP upserts are idempotent.
 */
import type { Redis } from 'ioredis';

import type { DeadLetterReason } from '../decisions.js';
import type { EntityName } from '../erp/adapter.js';
import type { Watermark } from '../watermark.js';
import type { StateKeys } from './names.js';

/** The reason and time an entity's schedule was paused. */
export interface BreakerState {
  reason: DeadLetterReason;
  message: string;
  /** ISO 8601 time the breaker opened. */
  since: string;
}

export class SyncState {
  constructor(
    private readonly redis: Redis,
    private readonly keys: StateKeys,
  ) {}

  async getWatermark(entity: EntityName): Promise<Watermark | undefined> {
    const value = await this.redis.hgetall(this.keys.watermark(entity));
    if (!value.updatedAt || !value.id) return undefined;
    return { updatedAt: value.updatedAt, id: value.id };
  }

  async setWatermark(entity: EntityName, watermark: Watermark): Promise<void> {
    await this.redis.hset(this.keys.watermark(entity), {
      updatedAt: watermark.updatedAt,
      id: watermark.id,
    });
  }

  async clearWatermark(entity: EntityName): Promise<void> {
    await this.redis.del(this.keys.watermark(entity));
  }

  /** Stores the outcome of a run; a successful one also becomes the entity's last success. */
  async setLastRun(
    entity: EntityName,
    run: { result: 'succeeded' | 'failed'; [field: string]: unknown },
  ): Promise<void> {
    const value = JSON.stringify(run);
    const multi = this.redis.multi().set(this.keys.lastRun(entity), value);
    if (run.result === 'succeeded') multi.set(this.keys.lastSuccess(entity), value);
    await multi.exec();
  }

  async getLastSuccess(
    entity: EntityName,
  ): Promise<{ startedAt: string; finishedAt: string } | undefined> {
    const value = await this.redis.get(this.keys.lastSuccess(entity));
    return value === null ? undefined : JSON.parse(value);
  }

  async getLastRun<T>(entity: EntityName): Promise<T | undefined> {
    const value = await this.redis.get(this.keys.lastRun(entity));
    return value === null ? undefined : (JSON.parse(value) as T);
  }

  async getBreaker(entity: EntityName): Promise<BreakerState | undefined> {
    const value = await this.redis.hgetall(this.keys.breaker(entity));
    if (!value.reason) return undefined;
    return {
      reason: value.reason as DeadLetterReason,
      message: value.message ?? '',
      since: value.since ?? '',
    };
  }

  async setBreaker(entity: EntityName, state: BreakerState): Promise<void> {
    await this.redis.hset(this.keys.breaker(entity), { ...state });
  }

  async clearBreaker(entity: EntityName): Promise<void> {
    await this.redis.del(this.keys.breaker(entity));
  }
}
