import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { Command } from 'commander';

import type { SyncReceipt } from '../../../jobs/sync-run.js';
import { loadConfig } from '../../config.js';
import type { EntityName } from '../../erp/adapter.js';
import { MockErp } from '../../erp/mock-erp.js';
import { createLogger } from '../../log.js';
import { deleteKeysWithPrefix } from '../../queue/cleanup.js';
import { createSimulator, type Simulator } from '../../simulator/index.js';
import { startWorkerApp, type WorkerApp } from '../../worker/app.js';
import { EXIT_INTERRUPTED, parseCount, runCommand } from '../exit.js';
import { findDemoRedis } from '../local-redis.js';
import { compareErpWithSource, type Comparison } from '../verify.js';
import { ProgressView } from '../progress.js';
import { stopSignal } from '../signals.js';
import { formatReceipt } from './sync.js';

interface DemoOptions {
  once?: boolean;
  products: number;
  orders: number;
  intervalSeconds: number;
}

/** Registers `nymble-sync demo`: simulator, worker and mock ERP in one process. */
export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('Run a complete sync against a built-in Nymble simulator into a fresh mock ERP')
    .option(
      '--once',
      'exit after the first full sync of both entities; status 0 only if the ERP matches the source',
    )
    .option('--products <count>', 'products the simulator seeds', parseCount('--products'), 3_000)
    .option('--orders <count>', 'orders the simulator seeds', parseCount('--orders'), 2_000)
    .option(
      '--interval-seconds <seconds>',
      'schedule interval of both entities, in seconds',
      parseCount('--interval-seconds', 86_400, 1),
      30,
    )
    .action((options: DemoOptions) => runCommand(() => runDemo(options)));
}

async function runDemo(options: DemoOptions): Promise<number> {
  // Installed first, so that Ctrl+C at any point, repeated or not, still runs the cleanup below.
  const stopped = stopSignal();
  const redis = await findDemoRedis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  const workDir = mkdtempSync(join(tmpdir(), 'nymble-sync-demo-'));
  const simulator = createSimulator({
    seed: 42,
    products: options.products,
    orders: options.orders,
  });
  await simulator.start();
  const prefix = `nymble-sync-demo-${process.pid}`;

  const say = (line: string) => process.stdout.write(`${line}\n`);
  say(
    `Nymble simulator: ${simulator.url} (${options.products} products, ${options.orders} orders)`,
  );
  say(
    `Redis: ${redis.private ? `private redis-server at ${redis.url}` : redis.url} (key prefix ${prefix})`,
  );

  let app: WorkerApp | undefined;
  try {
    const config = loadConfig(
      demoEnvironment(simulator, redis.url, prefix, workDir, options.intervalSeconds),
    );
    const log = createLogger({ level: config.logLevel, destination: process.stderr });
    const erp = new MockErp({ path: join(workDir, 'mock-erp.sqlite') });
    app = await startWorkerApp(config, log, { erp });
    if (app.http) say(`Dashboard, health and metrics: ${app.http.url}`);

    return options.once
      ? await runOnce(app, simulator, erp, say, stopped)
      : await runUntilInterrupted(app, simulator, say, stopped);
  } finally {
    await app?.stop();
    await simulator.stop();
    const cleanup = (await import('../../queue/connection.js')).createRedis(
      redis.url,
      'command',
      'nymble-sync-demo-cleanup',
    );
    await deleteKeysWithPrefix(cleanup, prefix).finally(() => cleanup.quit());
    await redis.stop();
    rmSync(workDir, { recursive: true, force: true });
  }
}

function demoEnvironment(
  simulator: Simulator,
  redisUrl: string,
  prefix: string,
  workDir: string,
  intervalSeconds: number,
) {
  const env: Record<string, string | undefined> = { ...process.env };
  for (const name of [
    'NYMBLE_ORG_CODE',
    'NYMBLE_CLIENT_ID',
    'NYMBLE_CLIENT_SECRET',
    'SYNC_PRODUCTS_CRON',
    'SYNC_ORDERS_CRON',
  ]) {
    delete env[name];
  }
  return {
    ...env,
    REDIS_URL: redisUrl,
    QUEUE_PREFIX: prefix,
    NYMBLE_BASE_URL: simulator.url,
    NYMBLE_API_KEY: simulator.apiKey,
    ERP_MOCK_DB_PATH: join(workDir, 'mock-erp.sqlite'),
    SYNC_PRODUCTS_INTERVAL_SECONDS: String(intervalSeconds),
    SYNC_ORDERS_INTERVAL_SECONDS: String(intervalSeconds),
    HTTP_PORT: process.env.HTTP_PORT ?? '0',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
  };
}

async function runOnce(
  app: WorkerApp,
  simulator: Simulator,
  erp: MockErp,
  say: (line: string) => void,
  stopped: Promise<NodeJS.Signals>,
): Promise<number> {
  const view = new ProgressView(process.stdout);
  app.events.on('progress', (entity: EntityName, progress: { pages: number; records: number }) =>
    view.update(entity, progress),
  );

  const receipts = await Promise.race([firstCompletedRuns(app, app.config.sync.entities), stopped]);
  view.done();
  if (typeof receipts === 'string') {
    say(`Stopped by ${receipts} before the first sync of every entity finished.`);
    return EXIT_INTERRUPTED;
  }
  for (const receipt of receipts) say(formatReceipt(receipt));

  const comparisons = app.config.sync.entities.map((entity) =>
    compareErpWithSource(entity, simulator.snapshot(entity), erp.list(entity)),
  );
  for (const comparison of comparisons) say(formatComparison(comparison));

  const matches = comparisons.every((comparison) => comparison.matches);
  say(
    matches ? 'The mock ERP matches the simulator.' : 'The mock ERP does NOT match the simulator.',
  );
  return matches ? 0 : 1;
}

/** Resolves with the first completed receipt of each entity. */
function firstCompletedRuns(
  app: WorkerApp,
  entities: readonly EntityName[],
): Promise<SyncReceipt[]> {
  const receipts = new Map<EntityName, SyncReceipt>();
  return new Promise((resolve) => {
    const onCompleted = (receipt: SyncReceipt) => {
      if (receipt.outcome !== 'completed' || receipts.has(receipt.entity)) return;
      receipts.set(receipt.entity, receipt);
      if (receipts.size < entities.length) return;
      app.events.off('completed', onCompleted);
      resolve(entities.map((entity) => receipts.get(entity) as SyncReceipt));
    };
    app.events.on('completed', onCompleted);
    for (const entity of entities) void app.queues.requestSync(entity, { trigger: 'manual' });
  });
}

/**
 * Runs like the real worker until SIGINT or SIGTERM. Every interval the simulator changes a
 * few records, so that each scheduled run shows an incremental sync.
 */
async function runUntilInterrupted(
  app: WorkerApp,
  simulator: Simulator,
  say: (line: string) => void,
  stopped: Promise<NodeJS.Signals>,
): Promise<number> {
  app.events.on('completed', (receipt: SyncReceipt) => say(formatReceipt(receipt)));
  for (const entity of app.config.sync.entities)
    await app.queues.requestSync(entity, { trigger: 'manual' });

  const intervalMs =
    app.config.sync.schedules.products.kind === 'interval'
      ? app.config.sync.schedules.products.everyMs
      : 30_000;
  const changer = setInterval(() => {
    const changed = [...simulator.mutate('products', 5), ...simulator.mutate('orders', 3)];
    say(`Simulator changed ${changed.length} records; the next scheduled run picks them up.`);
  }, intervalMs / 2);

  say('Syncing on schedule. Press Ctrl+C to stop.');
  await stopped;
  clearInterval(changer);
  say('Stopping.');
  return 0;
}

function formatComparison(comparison: Comparison): string {
  const status = comparison.matches ? 'match' : 'MISMATCH';
  const detail = comparison.matches
    ? ''
    : ` (missing ${comparison.missing.length}, extra ${comparison.extra.length}, different ${comparison.different.length})`;
  return `${comparison.entity.padEnd(8)} source ${comparison.sourceCount}, ERP ${comparison.erpCount}: ${status}${detail}`;
}
