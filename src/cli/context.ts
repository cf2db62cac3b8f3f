/**
 * The shared setup of the short-lived commands (status, sync, dlq, schedules): the configuration and a
 * fail-fast Redis connection with the queues and state on it. `close()` releases all of it.
 */
import type { Redis } from 'ioredis';

import { loadConfig, type Config } from '../config.js';
import { Breaker } from '../queue/breaker.js';
import { createRedis, waitForRedis } from '../queue/connection.js';
import { DeadLetters } from '../queue/dead-letters.js';
import { stateKeys } from '../queue/names.js';
import { SyncQueues } from '../queue/queues.js';
import { SyncState } from '../queue/state.js';

export interface CommandContext {
  config: Config;
  redis: Redis;
  queues: SyncQueues;
  state: SyncState;
  deadLetters: DeadLetters;
  breaker: Breaker;
  close(): Promise<void>;
}

/** Time a command waits for Redis before it gives up with a message naming REDIS_URL. */
const REDIS_WAIT_MS = 5_000;

/** Opens the context; Nymble settings are optional because these commands use only Redis. */
export async function openContext(
  config: Config = loadConfig(process.env, { nymble: 'optional' }),
): Promise<CommandContext> {
  const redis = createRedis(config.redisUrl, 'command', 'nymble-sync-cli');
  redis.on('error', () => {
    // Reported by waitForRedis or by the command that fails; ioredis would print it otherwise.
  });
  try {
    await waitForRedis(redis, config.redisUrl, REDIS_WAIT_MS);
  } catch (error) {
    redis.disconnect();
    throw error;
  }

  const queues = new SyncQueues(redis, config.queuePrefix);
  // A command reports the error of the operation that failed; the events add nothing.
  queues.onError(() => {});
  const state = new SyncState(redis, stateKeys(config.queuePrefix));
  return {
    config,
    redis,
    queues,
    state,
    deadLetters: new DeadLetters(queues),
    breaker: new Breaker(queues, state),
    async close() {
      await queues.close();
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
