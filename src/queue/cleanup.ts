import type { Redis } from 'ioredis';

/**
 * Deletes every key that starts with `prefix:`. For the demo and tests, which each run under a
 * prefix of their own on a Redis that others share; never called by the worker.
 */
export async function deleteKeysWithPrefix(redis: Redis, prefix: string): Promise<number> {
  let cursor = '0';
  let deleted = 0;
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
    cursor = next;
    if (keys.length > 0) deleted += await redis.unlink(...keys);
  } while (cursor !== '0');
  return deleted;
}
