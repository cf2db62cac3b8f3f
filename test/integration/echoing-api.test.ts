import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { WorkerApp } from '../../src/worker/app.js';
import { createRig, waitFor, type LogCapture, type TestRig } from '../helpers/harness.js';
import { dumpRedisValues } from '../helpers/secrets.js';

// Quotes and a backslash, so that every JSON serialisation escapes the secret differently.
const CLIENT_SECRET = 'Ech0"Secret\\Value/+=';
const SECRET_FRAGMENT = 'Ech0';

/** Starts a stand-in for Nymble whose login fails with HTTP 500, echoing the request body. */
function startEchoingLogin(): Promise<{ server: Server; url: string }> {
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    request.on('end', () => {
      const error = { code: 'internal_error', message: `bad body ${body}` };
      response.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify(error));
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }),
    ),
  );
}

describe('login error that echoes the secret', () => {
  let rig: TestRig;
  let app: WorkerApp;
  let log: LogCapture;
  let api: { server: Server; url: string };

  beforeAll(async () => {
    rig = await createRig('echoing', { products: 1, orders: 1 });
    api = await startEchoingLogin();
    ({ app, log } = await rig.startWorker({
      NYMBLE_BASE_URL: api.url,
      NYMBLE_API_KEY: undefined,
      NYMBLE_ORG_CODE: 'org_echo',
      NYMBLE_CLIENT_ID: 'client-echo',
      NYMBLE_CLIENT_SECRET: CLIENT_SECRET,
      RETRY_MAX_ATTEMPTS: '2',
      SYNC_ENTITIES: 'products',
    }));
  });

  afterAll(async () => {
    await rig.close();
    api.server.close();
  });

  it('keeps the secret out of Redis and logs', async () => {
    const { job } = await app.queues.requestSync('products');
    await waitFor(async () => (await job.getState()) === 'failed', 'the products sync to fail');
    const failed = await app.queues.sync.products.getJob(job.id!);
    const [letter] = await app.deadLetters.list({ entity: 'products' });

    // The echo reached the worker, and only the secret was cut from it.
    expect(letter?.reason).toBe('transient_exhausted');
    expect(letter?.message).toContain('"ClientId":"client-echo","ClientSecret":"[redacted]"');
    expect(failed?.failedReason).toContain('[redacted]');
    const values = [...(await dumpRedisValues(rig.redis, rig.prefix)).values()].join('\n');
    expect(values).toContain('client-echo');
    expect(values).not.toContain(SECRET_FRAGMENT);
    expect(log.raw.join('\n')).toContain('client-echo');
    expect(log.raw.join('\n')).not.toContain(SECRET_FRAGMENT);
  });
});
