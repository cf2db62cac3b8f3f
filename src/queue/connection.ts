/**
 * Redis connections. A worker's connection retries forever (`maxRetriesPerRequest: null`, as
 * BullMQ requires for workers) so that a Redis restart pauses the worker instead of killing
 * it. A command-line connection gives up after a few reconnect attempts, so that a command
 * fails within seconds when Redis is down.
 */
import { Redis, type RedisOptions } from 'ioredis';

import { withoutUserInfo } from '../config.js';
import type { Logger } from '../log.js';

export type ConnectionRole = 'worker' | 'command';

export function createRedis(url: string, role: ConnectionRole, connectionName: string): Redis {
  const options: RedisOptions = {
    connectionName,
    maxRetriesPerRequest: role === 'worker' ? null : 1,
    enableReadyCheck: true,
    connectTimeout: role === 'worker' ? 10_000 : 3_000,
    // Reconnect quickly at first, then every 2 s at most, without ever giving up.
    retryStrategy: (times) => Math.min(100 * times, 2_000),
  };
  if (role === 'command') options.retryStrategy = (times) => (times > 2 ? null : 200 * times);
  return new Redis(url, options);
}

/** Resolves once the connection is ready, or rejects with a message that names the URL. */
export async function waitForRedis(redis: Redis, url: string, timeoutMs: number): Promise<void> {
  if (redis.status === 'ready') return;

  const safeUrl = withoutUserInfo(url);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(
        new Error(
          `Redis at ${safeUrl} did not respond within ${timeoutMs} ms: start Redis or fix REDIS_URL`,
        ),
      );
    }, timeoutMs);
    const onReady = () => {
      cleanup();
      resolve();
    };
    const onEnd = () => {
      cleanup();
      reject(new Error(`Redis at ${safeUrl} is not reachable: start Redis or fix REDIS_URL`));
    };
    const cleanup = () => {
      clearTimeout(timer);
      redis.off('ready', onReady);
      redis.off('end', onEnd);
    };
    redis.on('ready', onReady);
    redis.on('end', onEnd);
  });
}

/** Logs a Redis outage once when it starts and once when it ends, not once per reconnect attempt. */
export function logRedisOutages(redis: Redis, log: Logger): void {
  let down = false;
  redis.on('error', (error) => {
    if (down) return;
    down = true;
    log.error({ err: error }, 'Redis connection lost, reconnecting');
  });
  redis.on('ready', () => {
    if (!down) return;
    down = false;
    log.info('Redis connection restored');
  });
}
