import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { compareErpWithSource } from '../../src/cli/verify.js';
import { createRig, syncNow, type TestRig } from '../helpers/harness.js';

describe('end-to-end sync', () => {
  let rig: TestRig;

  beforeAll(async () => {
    rig = await createRig('sync', { products: 230, orders: 140 });
  });

  afterAll(async () => {
    await rig.close();
  });

  it('copies every record into the ERP', async () => {
    const { app, erp } = await rig.startWorker();

    // The schedulers also start a run at boot; requestSync joins it or runs after it.
    await syncNow(app, 'products');
    await syncNow(app, 'orders');

    expect(erp.stats('products')).toEqual({ records: 230, writes: 230 });
    expect(erp.stats('orders')).toEqual({ records: 140, writes: 140 });
    for (const entity of ['products', 'orders'] as const) {
      const comparison = compareErpWithSource(
        entity,
        rig.simulator.snapshot(entity),
        erp.list(entity),
      );
      expect(comparison.missing).toEqual([]);
      expect(comparison.extra).toEqual([]);
      expect(comparison.different).toEqual([]);
      expect(comparison.erpCount).toBe(comparison.sourceCount);
    }
    await app.stop();
  });

  it('fetches only changed records next time', async () => {
    const { app, erp } = await rig.startWorker();
    const watermarkBefore = await app.state.getWatermark('products');
    const changedProducts = rig.simulator.mutate('products', 7);
    const changedOrders = rig.simulator.mutate('orders', 4);
    rig.simulator.resetStats();

    const products = await syncNow(app, 'products');
    const orders = await syncNow(app, 'orders');

    expect(products.records).toEqual({ created: 0, updated: 7, unchanged: 0, rejected: 0 });
    expect(orders.records).toEqual({ created: 0, updated: 4, unchanged: 0, rejected: 0 });
    const productRequests = rig.simulator
      .stats()
      .requests.filter((request) => request.path === '/api/products');
    expect(productRequests).toHaveLength(1);
    expect(productRequests[0]?.query.updatedSince).toBe(watermarkBefore?.updatedAt);
    expect(productRequests[0]?.query.afterId).toBe(watermarkBefore?.id);
    for (const id of changedProducts) {
      const source = rig.simulator
        .snapshot('products')
        .find((record) => (record as { Id: string }).Id === id);
      expect(erp.get('products', id)?.payload).toEqual(source);
    }
    expect(
      compareErpWithSource('orders', rig.simulator.snapshot('orders'), erp.list('orders')).matches,
    ).toBe(true);
    expect(changedOrders).toHaveLength(4);
    await app.stop();
  });

  it('sends nothing to the ERP without changes', async () => {
    const { app } = await rig.startWorker();

    const receipt = await syncNow(app, 'products');

    expect(receipt.pages).toBe(0);
    expect(receipt.requests).toBe(1);
    expect(receipt.records).toEqual({ created: 0, updated: 0, unchanged: 0, rejected: 0 });
    await app.stop();
  });

  it('full sync rewrites nothing unchanged', async () => {
    const { app, erp } = await rig.startWorker();
    const writesBefore = erp.stats('products').writes;

    const receipt = await syncNow(app, 'products', { full: true });

    expect(receipt.records.unchanged).toBe(230);
    expect(erp.stats('products').writes).toBe(writesBefore);
    await app.stop();
  });
});
