/**
 * Finds a Redis for the demo: the one at REDIS_URL when it responds, otherwise a private
 * redis-server on a free loopback port for the demo's lifetime, when one is installed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { Redis } from 'ioredis';

import { withoutUserInfo } from '../config.js';

export interface DemoRedis {
  url: string;
  /** True when the demo started this Redis and stops it at the end. */
  private: boolean;
  stop(): Promise<void>;
}

export async function redisAnswers(url: string, timeoutMs = 1_500): Promise<boolean> {
  const redis = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    connectTimeout: timeoutMs,
    retryStrategy: () => null,
  });
  redis.on('error', () => {});
  try {
    await redis.connect();
    return (await redis.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    redis.disconnect();
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function startPrivateRedis(): Promise<DemoRedis | undefined> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'nymble-sync-redis-'));
  const args = [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--save',
    '',
    '--appendonly',
    'no',
    '--dir',
    dir,
  ];
  const child: ChildProcess = spawn('redis-server', args, { stdio: 'ignore' });
  const spawned = await new Promise<boolean>((resolve) => {
    child.once('spawn', () => resolve(true));
    child.once('error', () => resolve(false));
  });
  if (!spawned) return undefined;

  const url = `redis://127.0.0.1:${port}`;
  for (let attempt = 0; attempt < 50 && !(await redisAnswers(url, 200)); attempt += 1)
    await sleep(100);
  const stop = async () => {
    child.kill('SIGTERM');
    await new Promise((resolve) =>
      child.exitCode === null ? child.once('exit', resolve) : resolve(undefined),
    );
    rmSync(dir, { recursive: true, force: true });
  };
  return { url, private: true, stop };
}

/** Returns a Redis to use, or throws with the ways to get one. */
export async function findDemoRedis(url: string): Promise<DemoRedis> {
  if (await redisAnswers(url)) return { url, private: false, stop: async () => {} };

  const started = await startPrivateRedis();
  if (started) return started;
  throw new Error(
    `No Redis responds at ${withoutUserInfo(url)} and redis-server is not installed. ` +
      'Start Redis 7 there (for example: apt-get install redis-server), or set REDIS_URL to one that runs.',
  );
}
