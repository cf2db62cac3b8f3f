/**
 * A stand-alone worker process for the fleet login test. It connects to Redis, prints
 * `ready`, waits for a line on stdin, calls `current()` once and prints one JSON line with its
 * login count and a SHA-256 of the token, so that the parent can compare tokens without
 * printing them.
 *
 * Environment: LOGIN_TEST_BASE_URL (simulator URL), LOGIN_TEST_PREFIX (Redis key prefix),
 * LOGIN_TEST_CLIENT_SECRET. Redis is 127.0.0.1:6379.
 */
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createInterface } from 'node:readline';

import { Redis } from 'ioredis';
import { pino } from 'pino';

import { LoginCredential } from '../../src/nymble/login.js';
import { stateKeys } from '../../src/queue/names.js';

function requiredEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is missing: the login test sets it for this process`);
  return value;
}

async function main(): Promise<void> {
  const redis = new Redis('redis://127.0.0.1:6379', { maxRetriesPerRequest: 1 });
  const credential = new LoginCredential({
    baseUrl: requiredEnv('LOGIN_TEST_BASE_URL'),
    orgCode: 'org_52a3021e813',
    clientId: 'sync-admin',
    clientSecret: requiredEnv('LOGIN_TEST_CLIENT_SECRET'),
    refreshSkewSeconds: 300,
    loginsPerMinute: 10,
    timeoutMs: 5_000,
    redis,
    keys: stateKeys(requiredEnv('LOGIN_TEST_PREFIX')),
    log: pino({ level: 'warn' }, process.stderr),
  });

  try {
    await redis.ping();
    const lines = createInterface({ input: process.stdin });
    process.stdout.write('ready\n');
    await once(lines, 'line');
    lines.close();

    const header = await credential.current();
    const tokenSha256 = createHash('sha256').update(header.value).digest('hex');
    const result = { loginCount: credential.loginCount(), fresh: header.fresh, tokenSha256 };
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    await credential.close();
    await redis.quit();
  }
}

main().catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`login process failed: ${message}\n`);
  process.exitCode = 1;
});
