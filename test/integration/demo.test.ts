import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';

import { freePort } from '../../src/cli/local-redis.js';
import { REDIS_URL, ROOT, runCli, waitFor } from '../helpers/harness.js';

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

describe('demo until interrupted', () => {
  it('cleans up after a repeated Ctrl+C', async () => {
    // The demo makes its work folder under TMPDIR, so the folder's absence shows it was removed.
    const tempRoot = mkdtempSync(join(tmpdir(), 'demo-interrupt-'));
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        join(ROOT, 'src/cli/main.ts'),
        'demo',
        '--products',
        '60',
        '--orders',
        '40',
      ],
      {
        cwd: ROOT,
        env: { ...baseEnv, REDIS_URL, TMPDIR: tempRoot },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    const demoFolders = () =>
      readdirSync(tempRoot).filter((name) => name.startsWith('nymble-sync-demo-'));

    try {
      await waitFor(() => stdout.includes('Syncing on schedule.'), 'the demo to run', 45_000);
      const prefix = /key prefix (\S+)\)/.exec(stdout)?.[1];
      expect(prefix).toBeDefined();
      expect(demoFolders()).toHaveLength(1);
      // A terminal's Ctrl+C, relayed once more by a wrapper such as tsx while cleanup runs.
      child.stdout.on('data', (chunk: Buffer) => {
        if (chunk.toString('utf8').includes('Stopping.')) child.kill('SIGINT');
      });
      child.kill('SIGINT');

      expect(await exited).toBe(0);
      expect(stdout).toContain('Stopping.');
      expect(await leftoverKeys(prefix!)).toBe(0);
      expect(demoFolders()).toEqual([]);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      rmSync(tempRoot, { recursive: true, force: true });
    }
  });
});
