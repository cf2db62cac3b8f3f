/**
 * Shared pieces of the integration tests. Each test gets a unique Redis prefix, the simulator
 * on a loopback port and a mock ERP in a temp folder. Workers run in-process or as real child
 * processes, and cleanup removes exactly the keys and files a test created.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PassThrough } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';

import { Redis } from 'ioredis';

import { loadConfig } from '../../src/config.js';
import { MockErp } from '../../src/erp/mock-erp.js';
import { createLogger } from '../../src/log.js';
import { deleteKeysWithPrefix } from '../../src/queue/cleanup.js';
import { createSimulator, type Simulator } from '../../src/simulator/index.js';
import { startWorkerApp, type WorkerApp } from '../../src/worker/app.js';

export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
export const ROOT = resolve(import.meta.dirname, '../..');

export function uniquePrefix(name: string): string {
  return `test-${name}-${process.pid}-${Date.now().toString(36)}`;
}

export async function waitFor<T>(
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  what: string,
  timeoutMs = 20_000,
  intervalMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline)
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}

/** Log lines written by an in-process worker, parsed back from JSON. */
export class LogCapture {
  readonly stream = new PassThrough();
  readonly lines: Array<Record<string, unknown>> = [];
  readonly raw: string[] = [];

  constructor() {
    let buffer = '';
    this.stream.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('utf8');
      const parts = buffer.split('\n');
      buffer = parts.pop() ?? '';
      for (const line of parts.filter(Boolean)) {
        this.raw.push(line);
        this.lines.push(JSON.parse(line) as Record<string, unknown>);
      }
    });
  }

  messages(msg: string): Array<Record<string, unknown>> {
    return this.lines.filter((line) => line.msg === msg);
  }
}

export interface TestRig {
  prefix: string;
  dir: string;
  simulator: Simulator;
  redis: Redis;
  erpPath: string;
  /** Environment for a worker against this rig; `overrides` win. */
  env(overrides?: Record<string, string | undefined>): Record<string, string>;
  startWorker(
    overrides?: Record<string, string | undefined>,
  ): Promise<{ app: WorkerApp; log: LogCapture; erp: MockErp }>;
  spawnWorker(overrides?: Record<string, string | undefined>): SpawnedWorker;
  openErp(): MockErp;
  close(): Promise<void>;
}

export interface SpawnedWorker {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

export async function createRig(
  name: string,
  simulatorOptions: Parameters<typeof createSimulator>[0] = {},
): Promise<TestRig> {
  const prefix = uniquePrefix(name);
  const dir = mkdtempSync(join(tmpdir(), `nymble-sync-${name}-`));
  const simulator = createSimulator({ seed: 7, products: 120, orders: 80, ...simulatorOptions });
  await simulator.start();
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  const erpPath = join(dir, 'mock-erp.sqlite');
  const apps: WorkerApp[] = [];
  const children: ChildProcess[] = [];
  const erps: MockErp[] = [];

  const env = (overrides: Record<string, string | undefined> = {}) => {
    const merged: Record<string, string | undefined> = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      REDIS_URL,
      QUEUE_PREFIX: prefix,
      NYMBLE_BASE_URL: simulator.url,
      NYMBLE_API_KEY: simulator.apiKey,
      ERP_MOCK_DB_PATH: erpPath,
      HTTP_PORT: '0',
      LOG_LEVEL: 'info',
      RETRY_BASE_DELAY_MS: '50',
      RETRY_MAX_DELAY_MS: '200',
      SYNC_PRODUCTS_INTERVAL_SECONDS: '3600',
      SYNC_ORDERS_INTERVAL_SECONDS: '3600',
      NYMBLE_PAGE_SIZE: '25',
      ...overrides,
    };
    return Object.fromEntries(
      Object.entries(merged).filter(([, value]) => value !== undefined),
    ) as Record<string, string>;
  };

  return {
    prefix,
    dir,
    simulator,
    redis,
    erpPath,
    env,
    async startWorker(overrides) {
      const log = new LogCapture();
      const config = loadConfig(env(overrides));
      const erp = new MockErp({ path: erpPath });
      const app = await startWorkerApp(
        config,
        createLogger({ level: 'debug', destination: log.stream }),
        { erp },
      );
      apps.push(app);
      return { app, log, erp };
    },
    spawnWorker(overrides) {
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), 'worker'],
        {
          cwd: ROOT,
          env: env(overrides),
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      children.push(child);
      let output = '';
      child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
      child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
      const exited = new Promise<number | null>((resolveExit) =>
        child.once('exit', (code) => resolveExit(code)),
      );
      return { child, output: () => output, exited };
    },
    openErp() {
      const erp = new MockErp({ path: erpPath });
      erps.push(erp);
      return erp;
    },
    async close() {
      for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
      await Promise.all(apps.map((app) => app.stop()));
      for (const erp of erps) await erp.close();
      await simulator.stop();
      await deleteKeysWithPrefix(redis, prefix);
      await redis.quit();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Requests a sync and resolves with the receipt of that run. */
export async function syncNow(
  app: WorkerApp,
  entity: 'products' | 'orders',
  options: { full?: boolean } = {},
) {
  const { job } = await app.queues.requestSync(entity, options);
  return waitFor(async () => {
    const state = await job.getState();
    if (state === 'failed')
      throw new Error(
        `sync job ${job.id} failed: ${(await app.queues.sync[entity].getJob(job.id!))?.failedReason}`,
      );
    if (state !== 'completed') return undefined;
    return (await app.queues.sync[entity].getJob(job.id!))?.returnvalue;
  }, `sync of ${entity}`);
}

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs the real CLI as a child process. Asynchronous on purpose: the simulator of the test
 * runs in this process, and a blocking spawnSync would stop it from responding to the child.
 */
export function runCli(
  args: string[],
  env: Record<string, string>,
  timeoutMs = 30_000,
): Promise<CliResult> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), ...args],
      {
        cwd: ROOT,
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(
          `nymble-sync ${args.join(' ')} did not exit within ${timeoutMs} ms:\n${stdout}\n${stderr}`,
        ),
      );
    }, timeoutMs);
    child.once('exit', (status) => {
      clearTimeout(timer);
      resolveRun({ status, stdout, stderr });
    });
  });
}
