import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';

import { freePort } from '../../src/cli/local-redis.js';
import { REDIS_URL, runCli } from '../helpers/harness.js';

const baseEnv = {
  PATH: process.env.PATH ?? '',
  HOME: process.env.HOME ?? '/tmp',
  LOG_LEVEL: 'warn',
};

async function leftoverKeys(prefix: string): Promise<number> {
  const redis = new Redis(REDIS_URL);
  const [, keys] = await redis.scan('0', 'MATCH', `${prefix}:*`, 'COUNT', 10_000);
  await redis.quit();
  return keys.length;
}

describe('demo --once', () => {
  it('syncs everything and verifies the ERP', async () => {
    const result = await runCli(
      ['demo', '--once', '--products', '400', '--orders', '250'],
      { ...baseEnv, REDIS_URL },
      60_000,
    );
    const prefix = /key prefix (\S+)\)/.exec(result.stdout)?.[1];

    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/products source 400, ERP 400: match/);
    expect(result.stdout).toMatch(/orders\s+source 250, ERP 250: match/);
    expect(result.stdout).toContain('The mock ERP matches the simulator.');
    expect(prefix).toBeDefined();
    expect(await leftoverKeys(prefix!)).toBe(0);
  });

  it('starts a private Redis when none answers', async () => {
    const unused = `redis://127.0.0.1:${await freePort()}`;

    const result = await runCli(
      ['demo', '--once', '--products', '50', '--orders', '30'],
      { ...baseEnv, REDIS_URL: unused },
      60_000,
    );

    expect(result.status).toBe(0);
    expect(result.stdout).toContain('private redis-server');
    expect(result.stdout).toContain('The mock ERP matches the simulator.');
  });

  it('explains how to get Redis without one', async () => {
    const unused = `redis://127.0.0.1:${await freePort()}`;
    // The CLI starts by absolute path, so an empty PATH only hides redis-server.
    const nodeOnly = { ...baseEnv, PATH: '/nonexistent', REDIS_URL: unused };

    const result = await runCli(['demo', '--once'], nodeOnly, 60_000);

    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`No Redis responds at ${unused}`);
    expect(result.stderr).toContain('redis-server is not installed');
    expect(result.stderr).toContain('set REDIS_URL');
  });
});
