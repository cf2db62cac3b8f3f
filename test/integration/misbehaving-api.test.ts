import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { WorkerApp } from '../../src/worker/app.js';
import { createRig, waitFor, type TestRig } from '../helpers/harness.js';

type Page = { Items: object[]; HasMore: boolean };

const product = (id: string, updatedAt: string) => ({
  Id: id,
  Sku: `SKU-${id.toUpperCase()}`,
  Name: id,
  Price: 1,
  UpdatedAt: updatedAt,
});

/** A stand-in for Nymble whose product pages a test scripts, to model vendor bugs. */
class ScriptedApi {
  server: Server = createServer((request, response) => {
    this.requests += 1;
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const empty: Page = { Items: [], HasMore: false };
    const body = url.pathname === '/api/products' ? this.respond(url.searchParams) : empty;
    const text = JSON.stringify(body);
    if (!this.chunked) {
      response.writeHead(200, { 'content-type': 'application/json' }).end(text);
      return;
    }
    // With chunked transfer encoding, no content-length header announces the size.
    response.writeHead(200, { 'content-type': 'application/json' });
    for (let start = 0; start < text.length; start += 8_192) {
      response.write(text.slice(start, start + 8_192));
    }
    response.end();
  });
  /** Send bodies in chunks without a content-length header. */
  chunked = false;
  page: Page = { Items: [], HasMore: false };
  /** Builds the response from the query; by default the fixed `page`. */
  respond: (query: URLSearchParams) => Page = () => this.page;
  requests = 0;

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }
}

describe('misbehaving API', () => {
  let rig: TestRig;
  let app: WorkerApp;
  const api = new ScriptedApi();

  async function failedSync(): Promise<string | undefined> {
    const { job } = await app.queues.requestSync('products');
    await waitFor(
      async () => (await job.getState()) === 'failed',
      'the products sync to fail',
      10_000,
    );
    const [letter] = await app.deadLetters.list({ entity: 'products' });
    if (letter) await app.deadLetters.remove(letter.id);
    return letter?.message;
  }

  beforeAll(async () => {
    rig = await createRig('misbehaving', { products: 1, orders: 1 });
    const url = await api.start();
    ({ app } = await rig.startWorker({
      NYMBLE_BASE_URL: url,
      SYNC_ENTITIES: 'products',
      NYMBLE_MAX_RESPONSE_BYTES: '65536',
    }));
  });

  afterAll(async () => {
    await rig.close();
    api.server.close();
  });

  it('stops a page that never advances', async () => {
    api.page = { Items: [product('a', '2026-01-01T00:00:00.000Z')], HasMore: true };
    api.requests = 0;

    const message = await failedSync();

    expect(message).toContain('HasMore with no record after the watermark');
    expect(api.requests).toBe(2);
    expect(await app.state.getWatermark('products')).toEqual({
      updatedAt: '2026-01-01T00:00:00.000Z',
      id: 'a',
    });
  });

  it('rejects a page out of order', async () => {
    api.page = {
      Items: [product('c', '2026-01-03T00:00:00.000Z'), product('b', '2026-01-02T00:00:00.000Z')],
      HasMore: false,
    };

    const message = await failedSync();

    expect(message).toContain('out of order: record b');
    expect(await app.state.getWatermark('products')).toEqual({
      updatedAt: '2026-01-01T00:00:00.000Z',
      id: 'a',
    });
    expect(rig.openErp().count('products')).toBe(1);
  });

  it('pages with sub-millisecond timestamps', async () => {
    const stamp = '2026-02-01T00:00:00.1234567Z';
    api.respond = (query) =>
      query.get('updatedSince') === stamp && query.get('afterId') === 'e'
        ? { Items: [], HasMore: false }
        : { Items: [product('d', stamp), product('e', stamp)], HasMore: true };

    // A full sync, so that the run cannot be one that started before `respond` was set.
    const { job } = await app.queues.requestSync('products', { full: true });
    await waitFor(async () => {
      const state = await job.getState();
      if (state === 'failed')
        throw new Error((await app.queues.sync.products.getJob(job.id!))?.failedReason);
      return state === 'completed';
    }, 'the products sync');
    api.respond = () => api.page;

    expect(await app.state.getWatermark('products')).toEqual({ updatedAt: stamp, id: 'e' });
    expect(rig.openErp().get('products', 'e')?.version).toBe('2026-02-01T00:00:00.123Z');
  });

  it('dead-letters a timestamp without an offset', async () => {
    api.page = { Items: [product('f', '2026-03-01 00:00:00')], HasMore: false };

    const message = await failedSync();

    expect(message).toContain('expected an ISO 8601 timestamp with an offset');
  });

  it('dead-letters records whose ids need encoding', async () => {
    api.respond = () => api.page;
    api.page = {
      Items: [{ ...product('a:b/c', '2026-04-01T00:00:00.000Z'), Sku: 'not valid' }],
      HasMore: false,
    };

    const { job } = await app.queues.requestSync('products', { full: true });
    await waitFor(async () => (await job.getState()) === 'completed', 'the products sync');
    const [letter] = await app.deadLetters.list({ entity: 'products', reason: 'erp_rejected' });

    expect(letter?.id).toBe('products/record.a%3Ab%2Fc');
    expect(letter?.record?.id).toBe('a:b/c');
    expect((await app.deadLetters.get(letter!.id))?.record?.id).toBe('a:b/c');
    expect(await app.deadLetters.remove(letter!.id)).toBe(true);
    expect(await app.deadLetters.list({ entity: 'products', reason: 'erp_rejected' })).toEqual([]);
  });

  it('dead-letters one invalid record, keeps the rest', async () => {
    api.respond = () => api.page;
    api.page = {
      Items: [
        { ...product('g', '2026-05-01T00:00:00.000Z'), Price: 'free' },
        product('h', '2026-05-01T00:00:01.000Z'),
      ],
      HasMore: false,
    };

    const { job } = await app.queues.requestSync('products', { full: true });
    await waitFor(async () => (await job.getState()) === 'completed', 'the products sync');
    const [letter] = await app.deadLetters.list({ entity: 'products', reason: 'invalid_record' });

    expect(letter?.record?.id).toBe('g');
    expect(letter?.message).toContain('Price');
    expect(rig.openErp().get('products', 'h')).toBeDefined();
    expect(rig.openErp().get('products', 'g')).toBeUndefined();
    expect(await app.state.getWatermark('products')).toEqual({
      updatedAt: '2026-05-01T00:00:01.000Z',
      id: 'h',
    });
  });

  it('removes a record letter once the record syncs', async () => {
    const [before] = await app.deadLetters.list({ entity: 'products', reason: 'invalid_record' });
    expect(before?.record?.id).toBe('g');
    api.page = { Items: [product('g', '2026-05-02T00:00:00.000Z')], HasMore: false };

    const { job } = await app.queues.requestSync('products');
    await waitFor(async () => (await job.getState()) === 'completed', 'the products sync');

    expect(rig.openErp().get('products', 'g')).toBeDefined();
    expect(await app.deadLetters.list({ entity: 'products', reason: 'invalid_record' })).toEqual(
      [],
    );
    expect(await app.deadLetters.count('products')).toBe(0);
  });

  it('dead-letters a page beyond pageSize', async () => {
    // NYMBLE_PAGE_SIZE is 25 in the test rig.
    api.respond = () => ({
      Items: Array.from({ length: 26 }, (_, index) =>
        product(`p${String(index).padStart(2, '0')}`, '2026-07-01T00:00:00.000Z'),
      ),
      HasMore: true,
    });
    const watermark = await app.state.getWatermark('products');

    const { job } = await app.queues.requestSync('products');
    await waitFor(async () => (await job.getState()) === 'failed', 'the products sync to fail');
    const [letter] = await app.deadLetters.list({ entity: 'products', reason: 'invalid_response' });
    await app.deadLetters.remove(letter!.id);

    expect(letter?.message).toContain('returned 26 records for pageSize 25');
    expect(await app.state.getWatermark('products')).toEqual(watermark);
    expect(rig.openErp().get('products', 'p00')).toBeUndefined();
  });

  it('dead-letters a page over the size limit', async () => {
    const items = Array.from({ length: 1_000 }, (_, index) =>
      product(`big${String(index).padStart(4, '0')}`, '2026-06-01T00:00:00.000Z'),
    );
    api.respond = () => ({ Items: items, HasMore: false });
    const watermark = await app.state.getWatermark('products');

    for (const chunked of [false, true]) {
      api.chunked = chunked;
      api.requests = 0;
      const { job } = await app.queues.requestSync('products');
      await waitFor(async () => (await job.getState()) === 'failed', 'the products sync to fail');
      const [letter] = await app.deadLetters.list({
        entity: 'products',
        reason: 'invalid_response',
      });
      await app.deadLetters.remove(letter!.id);

      expect(letter?.status).toBe(200);
      expect(letter?.message).toContain('over the 65536-byte limit: lower NYMBLE_PAGE_SIZE');
      expect(api.requests).toBe(1);
      expect(await app.state.getWatermark('products')).toEqual(watermark);
      expect(rig.openErp().get('products', 'big0000')).toBeUndefined();
    }

    api.chunked = false;
    api.respond = () => ({ Items: items.slice(0, 10), HasMore: false });
    const { job } = await app.queues.requestSync('products');
    await waitFor(async () => (await job.getState()) === 'completed', 'a normal-sized page');
    expect(rig.openErp().get('products', 'big0000')).toBeDefined();
  });
});
