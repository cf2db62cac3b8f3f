import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { WorkerApp } from '../../src/worker/app.js';
import { createRig, syncNow, waitFor, type TestRig } from '../helpers/harness.js';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses the Prometheus text format (version 0.0.4) into samples; comments are skipped. */
function parseMetrics(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) throw new Error(`Unparsable metrics line: ${line}`);

    const labels: Record<string, string> = {};
    for (const pair of (match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) {
      labels[pair[1] ?? ''] = (pair[2] ?? '').replace(/\\(.)/g, '$1');
    }
    samples.push({ name: match[1] ?? '', labels, value: Number(match[3]) });
  }
  return samples;
}

/** Returns the samples of `name` whose labels include `labels`. */
function select(samples: Sample[], name: string, labels: Record<string, string> = {}): Sample[] {
  return samples.filter(
    (sample) =>
      sample.name === name &&
      Object.entries(labels).every(([key, value]) => sample.labels[key] === value),
  );
}

function valueOf(samples: Sample[], name: string, labels: Record<string, string> = {}) {
  const matching = select(samples, name, labels);
  if (matching.length !== 1) {
    throw new Error(`Expected one ${name} ${JSON.stringify(labels)}, found ${matching.length}`);
  }
  return matching[0]?.value;
}

function countByStatus(statuses: number[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const status of statuses) counts[String(status)] = (counts[String(status)] ?? 0) + 1;
  return counts;
}

describe('metrics endpoint', () => {
  let rig: TestRig;
  let app: WorkerApp;
  let samples: Sample[];
  let startedSeconds: number;
  let scrapedSeconds: number;

  beforeAll(async () => {
    rig = await createRig('metrics');
    // One 429 with Retry-After 1 s on the orders endpoint: short enough to wait inside the job.
    rig.simulator.setFaults({ path: '/api/orders', rateLimit: { count: 1, retryAfter: '1' } });
    startedSeconds = Date.now() / 1000;
    ({ app } = await rig.startWorker());
    await syncNow(app, 'products');
    await syncNow(app, 'orders');

    // A revoked API key ends the next products run in the dead letter `unauthorized`.
    rig.simulator.revokeApiKey();
    await app.queues.requestSync('products', { full: true });
    await waitFor(async () => (await app.deadLetters.count('products')) === 1, 'dead letter');

    const response = await fetch(`${app.http?.url}/metrics`);
    expect(response.status).toBe(200);
    samples = parseMetrics(await response.text());
    scrapedSeconds = Date.now() / 1000;
  });

  afterAll(async () => {
    await rig.close();
  });

  it('counts created records', () => {
    const created = valueOf(samples, 'nymble_sync_records_total', {
      entity: 'products',
      outcome: 'created',
    });

    expect(created).toBe(rig.simulator.snapshot('products').length);
    expect(created).toBe(120);
  });

  it('counts responses like the simulator', () => {
    const requests = rig.simulator.stats().requests;
    for (const path of ['/api/products', '/api/orders']) {
      const expected = countByStatus(
        requests.filter((request) => request.path === path).map((request) => request.status),
      );
      const series = select(samples, 'nymble_sync_http_requests_total', {
        endpoint: `GET ${path}`,
      });
      const actual = Object.fromEntries(
        series.map((sample) => [sample.labels.status, sample.value]),
      );

      expect(actual, path).toEqual(expected);
    }
    expect(
      valueOf(samples, 'nymble_sync_http_requests_total', {
        endpoint: 'GET /api/orders',
        status: '429',
      }),
    ).toBe(1);
    expect(
      valueOf(samples, 'nymble_sync_http_requests_total', {
        endpoint: 'GET /api/products',
        status: '401',
      }),
    ).toBe(1);
  });

  it('counts the forced dead letter', () => {
    const letters = select(samples, 'nymble_sync_dead_letters_total');

    expect(letters).toEqual([
      {
        name: 'nymble_sync_dead_letters_total',
        labels: { entity: 'products', reason: 'unauthorized' },
        value: 1,
      },
    ]);
    expect(valueOf(samples, 'nymble_sync_dead_letter_queue_size', { entity: 'products' })).toBe(1);
    expect(valueOf(samples, 'nymble_sync_breaker_open', { entity: 'products' })).toBe(1);
  });

  it('reports last success and lag', () => {
    for (const entity of ['products', 'orders']) {
      const lastSuccess = valueOf(samples, 'nymble_sync_last_success_timestamp_seconds', {
        entity,
      });
      const lag = valueOf(samples, 'nymble_sync_lag_seconds', { entity });

      expect(lastSuccess).toBeGreaterThanOrEqual(startedSeconds);
      expect(lastSuccess).toBeLessThanOrEqual(scrapedSeconds);
      expect(lag).toBeGreaterThanOrEqual(0);
      expect(lag).toBeLessThanOrEqual(scrapedSeconds - startedSeconds);
    }
  });

  it('reports oldest waiting job age', () => {
    for (const queue of ['sync-products', 'sync-orders']) {
      const age = valueOf(samples, 'nymble_sync_oldest_waiting_job_age_seconds', { queue });
      expect(age).toBeGreaterThanOrEqual(0);
    }
  });

  it('has no logins with an API key', () => {
    const logins = select(samples, 'nymble_sync_logins_total');

    expect(logins.filter((sample) => sample.value !== 0)).toEqual([]);
    expect(rig.simulator.stats().logins).toBe(0);
  });

  it('omits token age with an API key', () => {
    expect(select(samples, 'nymble_sync_token_age_seconds')).toEqual([]);
  });

  it('counts the in-job rate-limit retry', () => {
    const retries = select(samples, 'nymble_sync_retries_total', { entity: 'orders' });
    const waited = valueOf(samples, 'nymble_sync_rate_limit_wait_seconds_total', {
      entity: 'orders',
    });

    expect(retries.reduce((sum, sample) => sum + sample.value, 0)).toBe(1);
    expect(
      valueOf(samples, 'nymble_sync_retries_total', { entity: 'orders', kind: 'rate_limit' }),
    ).toBe(1);
    expect(waited).toBe(1);
  });
});
