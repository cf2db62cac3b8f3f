import type { ResolvedOptions } from './options.js';
import { derivedRandom, randomInt, type Random } from './random.js';
import {
  buildCustomer,
  buildOrder,
  buildProduct,
  salesRepId,
  type Customer,
  type StoredRecord,
} from './records.js';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** The time range that seeded timestamps fall in, in ms since the epoch. */
interface TimeWindow {
  start: number;
  end: number;
}

export interface SeededData {
  products: StoredRecord[];
  orders: StoredRecord[];
  customers: Customer[];
}

/**
 * Generates the initial data from the seed. Timestamps lie in the 90 days that end one hour
 * before the UTC midnight of `nowMs`. The same seed therefore gives the same data all day, and
 * every seeded UpdatedAt is in the past.
 */
export function seedData(options: ResolvedOptions, nowMs: number): SeededData {
  const midnight = Math.floor(nowMs / DAY_MS) * DAY_MS;
  const window = { start: midnight - 90 * DAY_MS, end: midnight - HOUR_MS };
  const customers = seedCustomers(derivedRandom(options.seed, 'customers'), options, window);
  const products = seedProducts(derivedRandom(options.seed, 'products'), options.products, window);
  const orderRandom = derivedRandom(options.seed, 'orders');
  const orderStamps = seedUpdatedAt(orderRandom, options.orders, window);

  const orders = orderStamps.map((updatedAt, index) => {
    const createdAt = seedCreatedAt(orderRandom, updatedAt, window);
    return buildOrder(orderRandom, index + 1, { products, customers }, createdAt, updatedAt);
  });
  return { products, orders, customers };
}

function seedProducts(random: Random, count: number, window: TimeWindow): StoredRecord[] {
  const stamps = seedUpdatedAt(random, count, window);

  return stamps.map((updatedAt, index) => {
    const createdAt = seedCreatedAt(random, updatedAt, window);
    return buildProduct(random, index + 1, createdAt, updatedAt);
  });
}

/**
 * Draws one UpdatedAt per record, then gives runs of 4 to 9 consecutive records a shared
 * UpdatedAt, as a bulk import would. There is one run per 40 records, and at least one when
 * there are 4 or more records; a later run may overwrite part of an earlier one. Clients that
 * page by UpdatedAt alone therefore skip or repeat records.
 */
export function seedUpdatedAt(random: Random, count: number, window: TimeWindow): number[] {
  const stamps = Array.from({ length: count }, () => randomInt(random, window.start, window.end));
  if (count < 4) {
    return stamps;
  }

  const runs = Math.max(1, Math.floor(count / 40));
  for (let run = 0; run < runs; run++) {
    const size = randomInt(random, 4, Math.min(9, count));
    const first = randomInt(random, 0, count - size);
    const shared = randomInt(random, window.start, window.end);
    stamps.fill(shared, first, first + size);
  }
  return stamps;
}

/** Returns a CreatedAt up to 30 days before `updatedAt`, but not before the window. */
function seedCreatedAt(random: Random, updatedAt: number, window: TimeWindow): number {
  return updatedAt - randomInt(random, 0, Math.min(30 * DAY_MS, updatedAt - window.start));
}

function compareText(a: string, b: string): number {
  if (a === b) {
    return 0;
  }
  return a < b ? -1 : 1;
}

/**
 * Generates CUST001, CUST002, ... and then adds the customer of every client whose
 * customerNumber is not among them, with that client's tier and currency. Customers are
 * assigned to sales reps in turn, and returned in CustomerNumber order.
 */
function seedCustomers(random: Random, options: ResolvedOptions, window: TimeWindow): Customer[] {
  const customers: Customer[] = [];
  const nextRep = () => salesRepId(customers.length % options.salesReps);

  for (let i = 1; i <= options.customers; i++) {
    const number = `CUST${String(i).padStart(3, '0')}`;
    const createdAt = randomInt(random, window.start, window.end);
    customers.push(buildCustomer(random, number, nextRep(), createdAt));
  }

  for (const client of options.clients) {
    const number = client.customerNumber;
    if (number === '' || customers.some((customer) => customer.CustomerNumber === number)) {
      continue;
    }
    const customer = buildCustomer(random, number, nextRep(), window.start);
    customers.push({ ...customer, PriceTier: client.priceTier, CurrencyCode: client.currencyCode });
  }
  return customers.sort((a, b) => compareText(a.CustomerNumber, b.CustomerNumber));
}
