import { describe, expect, it } from 'vitest';

import { createSimulator } from '../../src/simulator/index.js';
import { mulberry32, sampleIndices } from '../../src/simulator/random.js';

const NOW = Date.parse('2026-01-05T10:00:00.000Z');

describe('simulator seed data', () => {
  it('same seed gives same data', () => {
    const first = createSimulator({ seed: 7, products: 100, orders: 100, now: () => NOW });
    const second = createSimulator({ seed: 7, products: 100, orders: 100, now: () => NOW });
    const other = createSimulator({ seed: 8, products: 100, orders: 100, now: () => NOW });

    expect(first.snapshot('products')).toEqual(second.snapshot('products'));
    expect(first.snapshot('orders')).toEqual(second.snapshot('orders'));
    expect(first.apiKey).toBe(second.apiKey);
    expect(first.snapshot('products')).not.toEqual(other.snapshot('products'));
    expect(first.apiKey).not.toBe(other.apiKey);
  });

  it('products have documented shape', () => {
    const simulator = createSimulator({ products: 300, orders: 0, now: () => NOW });
    const products = simulator.snapshot('products') as any[];

    expect(products).toHaveLength(300);
    for (const product of products) {
      expect(product.Id).toMatch(/^prod_\d{6}$/);
      expect(product.Sku).toMatch(/^[A-Z0-9-]+$/);
      expect(product.Name).toMatch(/^[A-Z0-9][\w./ -]+$/);
      expect(product.Price).toBeGreaterThan(0);
      expect(Math.round(product.Price * 100) / 100).toBe(product.Price);
      expect(product.CurrencyCode).toBe('USD');
      expect(product.PriceTier).toBe('Retail');
      expect(Number.isInteger(product.StockQuantity)).toBe(true);
      expect(typeof product.Active).toBe('boolean');
      expect(product.UpdatedAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
      expect(Date.parse(product.UpdatedAt)).toBeLessThan(NOW);
      expect(Date.parse(product.CreatedAt)).toBeLessThanOrEqual(Date.parse(product.UpdatedAt));
    }
    expect(new Set(products.map((product) => product.Sku)).size).toBe(300);
  });

  it('order totals add up', () => {
    const simulator = createSimulator({ products: 50, orders: 200, now: () => NOW });
    const productList = simulator.snapshot('products') as any[];
    const products = new Map(productList.map((product) => [product.Id, product]));
    const cents = (amount: number) => Math.round(amount * 100);

    for (const order of simulator.snapshot('orders') as any[]) {
      const lineTotals = order.Lines.map((line: any) => cents(line.LineTotal));
      const lineSum = lineTotals.reduce((sum: number, total: number) => sum + total, 0);
      expect(order.Lines.length).toBeGreaterThanOrEqual(1);
      expect(lineSum).toBe(cents(order.Subtotal));
      expect(cents(order.Subtotal) + cents(order.Tax)).toBe(cents(order.Total));
      expect(['Pending', 'Confirmed', 'Shipped', 'Delivered', 'Cancelled']).toContain(order.Status);
      for (const line of order.Lines) {
        expect(products.get(line.ProductId)?.Sku).toBe(line.Sku);
        expect(cents(line.LineTotal)).toBe(Math.round(cents(line.UnitPrice) * line.Quantity));
      }
    }
  });

  it('seed has customers of clients', () => {
    const simulator = createSimulator({ customers: 5, orders: 400, now: () => NOW });
    const orders = simulator.snapshot('orders') as any[];
    const customers = new Set(orders.map((order) => order.CustomerNumber));

    expect(customers.has('CUST456')).toBe(true);
    expect(customers.has('CUST005')).toBe(true);
    expect(customers.size).toBe(6);
  });

  it('creates 20000 products quickly', () => {
    const started = performance.now();
    const simulator = createSimulator({ products: 20_000, orders: 0 });
    const elapsedMs = performance.now() - started;

    expect(simulator.snapshot('products')).toHaveLength(20_000);
    expect(elapsedMs).toBeLessThan(1500);
  });

  it('mutations never move UpdatedAt back', () => {
    const simulator = createSimulator({ products: 20, orders: 0, now: () => NOW });
    const first = simulator.mutate('products', 3);
    const second = simulator.mutate('products', 3);
    const snapshot = simulator.snapshot('products') as any[];
    const stampOf = (id: string) =>
      Date.parse(snapshot.find((product) => product.Id === id).UpdatedAt);

    for (const id of first.filter((other) => !second.includes(other))) {
      expect(stampOf(id)).toBe(NOW);
    }
    for (const id of second) {
      expect(stampOf(id)).toBe(NOW + 1);
    }
    expect(
      snapshot
        .slice(-3)
        .map((product) => product.Id)
        .sort(),
    ).toEqual(second);
  });

  it('invalid options name the option', () => {
    expect(() => createSimulator({ products: -1 })).toThrow(/products/);
    expect(() => createSimulator({ tokenTtlSeconds: 0 })).toThrow(/tokenTtlSeconds/);
    expect(() => createSimulator({ apiKey: 'has.dots' })).toThrow(/apiKey/);
    const customerWithoutNumber = { clientId: 'c', clientSecret: 's', role: 'Customer' as const };
    expect(() => createSimulator({ clients: [customerWithoutNumber] })).toThrow(/customerNumber/);
    expect(() => createSimulator({ products: 0, orders: 5 })).toThrow(/products/);
  });
});

describe('simulator random helpers', () => {
  it('mulberry32 is deterministic', () => {
    const first = mulberry32(42);
    const second = mulberry32(42);
    const values = Array.from({ length: 5 }, () => first());

    expect(values).toEqual(Array.from({ length: 5 }, () => second()));
    expect(values.every((value) => value >= 0 && value < 1)).toBe(true);
  });

  it('sampleIndices returns distinct indices', () => {
    for (const [size, count] of [
      [1000, 10],
      [10, 10],
      [10, 20],
    ] as const) {
      const indices = sampleIndices(mulberry32(1), size, count);
      expect(new Set(indices).size).toBe(Math.min(size, count));
      expect(indices.every((index) => index >= 0 && index < size)).toBe(true);
    }
  });
});
