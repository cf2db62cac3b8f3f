import type { Redis } from 'ioredis';

/** Reads every value stored under `prefix:` as text, whatever the key's type. */
export async function dumpRedisValues(redis: Redis, prefix: string): Promise<Map<string, string>> {
  const values = new Map<string, string>();
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
    cursor = next;
    for (const key of keys) values.set(key, await readKey(redis, key));
  } while (cursor !== '0');
  return values;
}

async function readKey(redis: Redis, key: string): Promise<string> {
  const type = await redis.type(key);
  if (type === 'string') return (await redis.get(key)) ?? '';
  if (type === 'hash') return JSON.stringify(await redis.hgetall(key));
  if (type === 'list') return JSON.stringify(await redis.lrange(key, 0, -1));
  if (type === 'set') return JSON.stringify(await redis.smembers(key));
  if (type === 'zset') return JSON.stringify(await redis.zrange(key, 0, -1, 'WITHSCORES'));
  if (type === 'stream') return JSON.stringify(await redis.xrange(key, '-', '+'));
  return '';
}

/** Returns `key: secret` for each Redis value that contains one of the secrets. */
export async function findSecretsInRedis(
  redis: Redis,
  prefix: string,
  secrets: readonly string[],
): Promise<string[]> {
  const found: string[] = [];
  for (const [key, value] of await dumpRedisValues(redis, prefix)) {
    for (const secret of secrets)
      if (value.includes(secret)) found.push(`${key}: ${secret.slice(0, 4)}…`);
  }
  return found;
}
