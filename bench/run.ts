/**
 * Throughput and memory benchmark: a full sync of a large organization, then an incremental
 * sync of a few changes, through the real worker (BullMQ, Redis, HTTP, SQLite mock ERP).
 * The simulator runs in its own process so that the memory figures are the worker's alone.
 *
 *   npm run bench                 # 20,000 products and 10,000 orders
 *   npm run bench -- --products 5000 --orders 2000
 *
 * Exits 1 when a target in TARGETS is missed. Results go to stdout and .bench/latest.json.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

import { ENTITIES } from '../jobs/index.js';
import type { SyncReceipt } from '../jobs/sync-run.js';
import { findDemoRedis } from '../src/cli/local-redis.js';
import { loadConfig } from '../src/config.js';
import type { EntityName } from '../src/erp/adapter.js';
import { MockErp } from '../src/erp/mock-erp.js';
import { createLogger } from '../src/log.js';
import { deleteKeysWithPrefix } from '../src/queue/cleanup.js';
import { createRedis } from '../src/queue/connection.js';
import { startWorkerApp, type WorkerApp } from '../src/worker/app.js';

/** Targets for a 2-core machine; see docs/benchmarks.md for the figures measured. */
const TARGETS = {
  /** Full sync throughput, records per second, both entities together. */
  minRecordsPerSecond: 5_000,
  /** Peak resident memory of the worker process during the full sync, in MiB. */
  maxPeakRssMiB: 300,
  /** Heap growth after the full sync and a forced GC, in MiB: the sync must not retain pages. */
  maxRetainedHeapMiB: 40,
  /** Incremental sync of CHANGED_RECORDS changes per entity, in milliseconds. */
  maxIncrementalMs: 1_000,
};
const CHANGED_RECORDS = 200;
const ROOT = resolve(import.meta.dirname, '..');

const { values } = parseArgs({
  options: {
    products: { type: 'string', default: '20000' },
    orders: { type: 'string', default: '10000' },
  },
});
const counts = { products: Number(values.products), orders: Number(values.orders) };

interface SimulatorProcess {
  url: string;
  apiKey: string;
  control(path: string, body: object): Promise<unknown>;
  stop(): void;
}

async function startSimulatorProcess(): Promise<SimulatorProcess> {
  const args = [
    '--import',
    'tsx',
    join(ROOT, 'src/cli/main.ts'),
    'simulator',
    '--port',
    '0',
    '--seed',
    '3',
  ];
  args.push('--products', String(counts.products), '--orders', String(counts.orders));
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });

  let output = '';
  const ready = new Promise<{ url: string; apiKey: string }>((resolveReady, reject) => {
    child.once('exit', (code) => reject(new Error(`simulator exited with ${code}`)));
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
      const url = /listening on (\S+)/.exec(output)?.[1];
      const apiKey = /API key \(x-api-key header\): (\S+)/.exec(output)?.[1];
      if (url && apiKey) resolveReady({ url, apiKey });
    });
  });
  const { url, apiKey } = await ready;
  const control = async (path: string, body: object) => {
    const response = await fetch(`${url}/_sim/${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return response.json();
  };
  return { url, apiKey, control, stop: () => child.kill('SIGTERM') };
}

function sampleMemory(): { stop(): number } {
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 20);
  return {
    stop() {
      clearInterval(timer);
      return Math.max(peak, process.memoryUsage.rss());
    },
  };
}

async function syncAndWait(app: WorkerApp, entity: EntityName): Promise<SyncReceipt> {
  return new Promise((resolveSync, reject) => {
    const onCompleted = (receipt: SyncReceipt) => {
      if (receipt.entity !== entity || receipt.outcome !== 'completed') return;
      app.events.off('completed', onCompleted);
      resolveSync(receipt);
    };
    app.events.on('completed', onCompleted);
    app.events.on('failed', (failed: string, _id: string, error: Error) => {
      if (failed === entity) reject(error);
    });
    void app.queues.requestSync(entity);
  });
}

const mib = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;

async function main(): Promise<number> {
  const redis = await findDemoRedis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  const simulator = await startSimulatorProcess();
  const workDir = mkdtempSync(join(tmpdir(), 'nymble-sync-bench-'));
  const prefix = `nymble-sync-bench-${process.pid}`;
  const config = loadConfig({
    REDIS_URL: redis.url,
    QUEUE_PREFIX: prefix,
    NYMBLE_BASE_URL: simulator.url,
    NYMBLE_API_KEY: simulator.apiKey,
    NYMBLE_PAGE_SIZE: '500',
    // Yearly cron schedules never fire during the run, unlike interval schedules, which start
    // a run at once; the benchmark starts every run itself.
    SYNC_PRODUCTS_CRON: '0 0 1 1 *',
    SYNC_ORDERS_CRON: '0 0 1 1 *',
    HTTP_PORT: '0',
    LOG_LEVEL: 'warn',
  });
  const erp = new MockErp({ path: join(workDir, 'erp.sqlite') });
  const app = await startWorkerApp(
    config,
    createLogger({ level: 'warn', destination: process.stderr }),
    { erp, http: false },
  );

  try {
    global.gc?.();
    const heapBefore = process.memoryUsage().heapUsed;
    const memory = sampleMemory();
    const started = performance.now();
    const full = await Promise.all([syncAndWait(app, 'products'), syncAndWait(app, 'orders')]);
    const fullMs = performance.now() - started;
    const peakRss = memory.stop();
    global.gc?.();
    const retainedHeap = process.memoryUsage().heapUsed - heapBefore;

    for (const entity of Object.keys(ENTITIES))
      await simulator.control('mutate', { entity, count: CHANGED_RECORDS });
    const incrementalStarted = performance.now();
    const incremental = await Promise.all([
      syncAndWait(app, 'products'),
      syncAndWait(app, 'orders'),
    ]);
    const incrementalMs = performance.now() - incrementalStarted;

    const records = full.reduce(
      (sum, receipt) =>
        sum + receipt.records.created + receipt.records.updated + receipt.records.unchanged,
      0,
    );
    const result = {
      machine: { cpus: (await import('node:os')).cpus().length, node: process.version },
      counts,
      full: {
        records,
        ms: Math.round(fullMs),
        recordsPerSecond: Math.round(records / (fullMs / 1000)),
        requests: full.reduce((sum, r) => sum + r.requests, 0),
      },
      memory: {
        peakRssMiB: mib(peakRss),
        retainedHeapMiB: mib(retainedHeap),
        gcExposed: Boolean(global.gc),
      },
      incremental: {
        changed: CHANGED_RECORDS * 2,
        ms: Math.round(incrementalMs),
        updated: incremental.reduce((sum, r) => sum + r.records.updated, 0),
        requests: incremental.reduce((sum, r) => sum + r.requests, 0),
      },
      erpMatches:
        erp.count('products') === counts.products && erp.count('orders') === counts.orders,
    };
    const misses = [
      result.full.recordsPerSecond < TARGETS.minRecordsPerSecond &&
        `throughput ${result.full.recordsPerSecond}/s < ${TARGETS.minRecordsPerSecond}/s`,
      result.memory.peakRssMiB > TARGETS.maxPeakRssMiB &&
        `peak RSS ${result.memory.peakRssMiB} MiB > ${TARGETS.maxPeakRssMiB} MiB`,
      result.memory.gcExposed &&
        result.memory.retainedHeapMiB > TARGETS.maxRetainedHeapMiB &&
        `retained heap ${result.memory.retainedHeapMiB} MiB > ${TARGETS.maxRetainedHeapMiB} MiB`,
      result.incremental.ms > TARGETS.maxIncrementalMs &&
        `incremental ${result.incremental.ms} ms > ${TARGETS.maxIncrementalMs} ms`,
      !result.erpMatches && 'ERP record counts do not match the source',
    ].filter(Boolean);

    mkdirSync(join(ROOT, '.bench'), { recursive: true });
    writeFileSync(
      join(ROOT, '.bench/latest.json'),
      `${JSON.stringify({ ...result, targets: TARGETS, misses }, null, 2)}\n`,
    );
    console.log(JSON.stringify({ ...result, targets: TARGETS }, null, 2));
    console.log(
      misses.length === 0 ? 'All targets met.' : `Targets missed:\n  ${misses.join('\n  ')}`,
    );
    return misses.length === 0 ? 0 : 1;
  } finally {
    await app.stop();
    simulator.stop();
    const cleanup = createRedis(redis.url, 'command', 'nymble-sync-bench-cleanup');
    await deleteKeysWithPrefix(cleanup, prefix).finally(() => cleanup.quit());
    await redis.stop();
    rmSync(workDir, { recursive: true, force: true });
  }
}

process.exitCode = await main();
