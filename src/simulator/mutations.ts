import { roundMoney } from './pricing.js';
import { randomInt, type Random } from './random.js';
import type { StoredRecord } from './records.js';

/** The next status of an order that moves forward; Delivered and Cancelled are final. */
const NEXT_STATUS: Readonly<Record<string, string>> = {
  Pending: 'Confirmed',
  Confirmed: 'Shipped',
  Shipped: 'Delivered',
};

/**
 * Changes a product as a catalog edit would: always its stock, and half of the time its
 * base price by -10 % to +10 % (never below 0.01 USD).
 */
export function changeProduct(random: Random, record: StoredRecord): void {
  const stock = record.fields.StockQuantity;
  const previousStock = typeof stock === 'number' ? stock : 0;
  record.fields.StockQuantity = (previousStock + randomInt(random, 1, 500)) % 2001;

  const basePrice = record.fields.BasePriceUsd;
  if (random() < 0.5 && typeof basePrice === 'number') {
    const factor = 1 + randomInt(random, -10, 10) / 100;
    record.fields.BasePriceUsd = Math.max(0.01, roundMoney(basePrice * factor));
  }
}

/**
 * Moves an order one status forward (Pending, Confirmed, Shipped, Delivered). A Delivered or
 * Cancelled order keeps its status, and only its UpdatedAt changes, as after an internal note.
 */
export function changeOrder(record: StoredRecord): void {
  const status = record.fields.Status;
  const next = typeof status === 'string' ? NEXT_STATUS[status] : undefined;
  if (next !== undefined) {
    record.fields.Status = next;
  }
}
