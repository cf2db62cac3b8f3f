import { spawn } from 'node:child_process';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { WorkerApp } from '../../src/worker/app.js';
import { createRig, ROOT, runCli, syncNow, waitFor, type TestRig } from '../helpers/harness.js';

/** Returns the names listed under `Commands:` in commander's help output, without `help`. */
function subcommandsIn(help: string): string[] {
  const section = help.split(/^Commands:$/m)[1] ?? '';
  return section
    .split('\n')
    .map((line) => /^ {2}([a-z][\w-]*)/.exec(line)?.[1])
    .filter((name): name is string => name !== undefined && name !== 'help');
}

/** Returns the paragraph between `Usage:` and the next heading: the command's description. */
function descriptionIn(help: string): string {
  return help.split('\n\n')[1]?.trim() ?? '';
}

describe('command line', () => {
  let rig: TestRig;
  let app: WorkerApp;
  let env: Record<string, string>;

  beforeAll(async () => {
    rig = await createRig('cli');
    ({ app } = await rig.startWorker());
    env = rig.env();
    await syncNow(app, 'products');
    await syncNow(app, 'orders');
  });

  afterAll(async () => {
    await rig.close();
  });

  it('status prints a table', async () => {
    const result = await runCli(['status'], env);

    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^ +products +orders$/m);
    expect(result.stdout).toMatch(/^last run +succeeded +succeeded$/m);
    expect(result.stdout).toMatch(/^created +\d+ +\d+$/m);
    expect(result.stdout).toMatch(/^dead letters +0 +0$/m);
    expect(result.stdout).toMatch(/^blocked +no +no$/m);
    expect(result.stdout).toMatch(/^schedule +every 3600 s +every 3600 s$/m);
    expect(result.stdout).toMatch(/^next run +\S+Z \(in \d+ min\)/m);
  });

  it('status --json prints every field', async () => {
    const result = await runCli(['status', '--json'], env);
    expect(result.status).toBe(0);

    const { entities } = JSON.parse(result.stdout);
    const products = entities.products;
    expect(products.lastRun.result).toBe('succeeded');
    expect(products.lastRun.records).toEqual(expect.objectContaining({ updated: 0, rejected: 0 }));
    expect(typeof products.lastRun.durationMs).toBe('number');
    expect(products.watermark).toEqual(await app.state.getWatermark('products'));
    expect(Date.parse(products.nextRunAt)).toBeGreaterThan(Date.now());
    expect(products.deadLetters).toBe(0);
    expect(products.blocked).toBeNull();
    expect(products.schedule).toEqual({ id: 'sync-products-schedule', every: 3_600_000 });
    expect(entities.orders.lastRun.result).toBe('succeeded');
  });

  it('sync --wait prints the receipt', async () => {
    rig.simulator.mutate('products', 5);

    const result = await runCli(['sync', 'products', '--wait', '--timeout-seconds', '50'], env);

    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^Started a sync of products \(job \S+\)\.$/m);
    expect(result.stdout).toContain('products sync completed');
    expect(result.stdout).toContain('0 created, 5 updated, 0 unchanged, 0 rejected');
    expect(result.stdout).toMatch(
      /\d+ requests?, \d+ (retry|retries), [\d.]+ s rate-limit wait, 0 logins/,
    );
  });

  it('sync --wait points to rejected records', async () => {
    const [badId] = rig.simulator.mutate('products', 2);
    rig.simulator.updateRecord('products', badId!, { Sku: 'not a sku' });

    const result = await runCli(['sync', 'products', '--wait', '--timeout-seconds', '50'], env);

    expect(result.status).toBe(0);
    expect(result.stdout).toContain('1 updated, 0 unchanged, 1 rejected');
    expect(result.stdout).toContain(
      '1 record became a dead letter: run "nymble-sync dlq list --entity products" to see why.',
    );
    const [letter] = await app.deadLetters.list({ entity: 'products', reason: 'erp_rejected' });
    expect(letter?.record?.id).toBe(badId);
    await app.deadLetters.remove(letter!.id);
  });

  it('sync joins a waiting run', async () => {
    const queue = app.queues.sync.orders;
    await queue.pause();
    try {
      const first = await runCli(['sync', 'orders'], env);
      const second = await runCli(['sync', 'orders'], env);

      expect(first.status).toBe(0);
      expect(first.stdout).toMatch(/^Started a sync of orders \(job (\S+)\)\.$/m);
      const jobId = /job (\S+)\)/.exec(first.stdout)?.[1];
      expect(second.status).toBe(0);
      expect(second.stdout).toContain(
        `A sync of orders is already waiting (job ${jobId}), so no second one was started.`,
      );
    } finally {
      await queue.resume();
    }
  });

  it('sync queues behind an active run', async () => {
    // Long enough to outlast the CLI's start-up on a loaded machine, which took over 3 s.
    rig.simulator.setFaults({ path: '/api/orders', latencyMs: 15_000 });
    try {
      const { job: running } = await app.queues.requestSync('orders');
      await waitFor(async () => (await running.getState()) === 'active', 'the slow run to start');
      rig.simulator.mutate('orders', 2);

      const result = await runCli(['sync', 'orders'], env);

      expect(result.status).toBe(0);
      const queued = new RegExp(
        `^Queued a sync of orders \\(job (\\S+)\\) to start when job ${running.id} ends\\.$`,
        'm',
      ).exec(result.stdout);
      expect(queued).not.toBeNull();
      const queuedId = queued?.[1] ?? '';
      expect(queuedId).not.toBe(running.id);
      rig.simulator.clearFaults();
      const queuedJob = await waitFor(async () => {
        const job = await app.queues.sync.orders.getJob(queuedId);
        return job?.returnvalue ? job : undefined;
      }, 'the queued run to complete');
      const runningJob = await app.queues.sync.orders.getJob(running.id ?? '');
      expect(queuedJob.processedOn).toBeGreaterThanOrEqual(runningJob?.finishedOn ?? Infinity);
      // Whether or not the slow run read the changes, the two runs together updated them once.
      const updated =
        (runningJob?.returnvalue.records.updated ?? 0) + queuedJob.returnvalue.records.updated;
      expect(updated).toBe(2);
    } finally {
      rig.simulator.clearFaults();
    }
  });

  it('simulator rejects an invalid fault plan', async () => {
    const syntax = await runCli(['simulator', '--port', '0', '--faults', '{latency'], env);
    const value = await runCli(['simulator', '--port', '0', '--faults', '{"latencyMs":-5}'], env);

    expect(syntax.status).toBe(2);
    expect(syntax.stderr).toContain('--faults takes a JSON fault plan');
    expect(value.status).toBe(2);
    expect(value.stderr).toContain(
      '--faults is invalid: latencyMs must be a number from 0 to 600000, got -5',
    );
    expect(value.stdout).toBe('');
  });

  it('sync rejects an unknown entity', async () => {
    const result = await runCli(['sync', 'invoices'], env);

    expect(result.status).toBe(2);
    expect(result.stderr).toContain('Invalid entity "invoices"');
    expect(result.stderr).toContain('use one of products, orders');
    expect(result.stdout).toBe('');
  });

  it('schedules list prints each scheduler', async () => {
    const table = await runCli(['schedules', 'list'], env);
    const json = await runCli(['schedules', 'list', '--json'], env);

    expect(table.status).toBe(0);
    expect(table.stdout).toMatch(/^ID +ENTITY +EVERY \/ PATTERN +TZ +NEXT RUN$/m);
    expect(table.stdout).toMatch(/^sync-products-schedule +products +every 3600 s +- +\S+Z/m);
    expect(table.stdout).toMatch(/^sync-orders-schedule +orders +every 3600 s +- +\S+Z/m);
    expect(json.status).toBe(0);
    const entries = JSON.parse(json.stdout) as Array<{ id: string; every: number }>;
    expect(entries.map((entry) => entry.id).sort()).toEqual([
      'sync-orders-schedule',
      'sync-products-schedule',
    ]);
    expect(entries.every((entry) => entry.every === 3_600_000)).toBe(true);
  });

  it('every command has --help', async () => {
    const pending: string[][] = [[]];
    const checked: string[] = [];
    while (pending.length > 0) {
      const path = pending.shift() ?? [];
      const result = await runCli([...path, '--help'], env);
      const name = ['nymble-sync', ...path].join(' ');

      expect(result.status, `${name} --help exit code`).toBe(0);
      expect(result.stdout, `${name} --help usage`).toContain(`Usage: ${name}`);
      expect(descriptionIn(result.stdout), `${name} --help description`).not.toBe('');
      checked.push(name);
      for (const child of subcommandsIn(result.stdout)) pending.push([...path, child]);
    }

    for (const command of ['status', 'sync', 'schedules', 'schedules list', 'dashboard']) {
      expect(checked).toContain(`nymble-sync ${command}`);
    }
  }, 180_000);

  it('dashboard serves until SIGTERM', async () => {
    const credentials = { username: 'operator', password: 'cli-test-password' };
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), 'dashboard'],
      {
        cwd: ROOT,
        env: rig.env({
          DASHBOARD_USERNAME: credentials.username,
          DASHBOARD_PASSWORD: credentials.password,
        }),
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));

    try {
      const url = await waitFor(
        () => /"http":"(http:\/\/[^"]+)".*"msg":"dashboard started"/.exec(output)?.[1],
        'dashboard started',
      );
      const token = Buffer.from(`${credentials.username}:${credentials.password}`);
      const auth = `Basic ${token.toString('base64')}`;
      const ready = await fetch(`${url}/readyz`);
      const anonymous = await fetch(`${url}/dashboard/`);
      const queues = await fetch(`${url}/dashboard/api/queues`, {
        headers: { authorization: auth },
      });
      const metrics = await fetch(`${url}/metrics`);

      expect(ready.status).toBe(200);
      expect(await ready.json()).toEqual({ ok: true, checks: { redis: true } });
      expect(anonymous.status).toBe(401);
      expect(queues.status).toBe(200);
      const names = ((await queues.json()) as { queues: Array<{ name: string }> }).queues.map(
        (queue) => queue.name,
      );
      expect(names).toEqual([
        'sync-products',
        'sync-orders',
        'dead-letter-products',
        'dead-letter-orders',
      ]);
      expect(await metrics.text()).toMatch(
        /^nymble_sync_dead_letter_queue_size\{entity="products"\} 0$/m,
      );
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(output).toContain('"msg":"dashboard stopped"');
  });

  it('dashboard rejects a public host without credentials', async () => {
    const result = await runCli(['dashboard'], rig.env({ HTTP_HOST: '0.0.0.0' }));

    expect(result.status).toBe(2);
    expect(result.stderr).toContain('HTTP_HOST="0.0.0.0" is not a loopback address');
    expect(result.stderr).toContain('DASHBOARD_USERNAME and DASHBOARD_PASSWORD');
  });

  // Last, because the dead letter pauses the products queue until it is replayed.
  it('sync --wait reports a dead letter', async () => {
    rig.simulator.revokeApiKey();

    const result = await runCli(['sync', 'products', '--full', '--wait'], env);
    const status = await runCli(['status'], env);

    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/The sync of products \(job \S+\) failed: unauthorized: /);
    expect(result.stderr).toContain(
      'A dead letter was written (products/sync.unauthorized); nymble-sync dlq list shows it.',
    );
    // status exits 1 while an entity is blocked.
    expect(status.status).toBe(1);
    expect(status.stdout).toMatch(/^last run +failed: unauthorized/m);
    expect(status.stdout).toMatch(/^blocked +yes: unauthorized/m);
    expect(status.stdout).toContain('products is blocked since ');
    await waitFor(async () => (await app.deadLetters.count('products')) === 1, 'dead letter');
  });
});
