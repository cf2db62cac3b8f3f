import { invalidRequest, SimulatorHttpError } from './errors.js';
import { changeOrder, changeProduct } from './mutations.js';
import type { ResolvedOptions } from './options.js';
import { derivedRandom, sampleIndices, type Random } from './random.js';
import { buildOrder, buildProduct, type Customer, type StoredRecord } from './records.js';
import { seedData } from './seed-data.js';
import { EntityStore, type Page, type PageQuery } from './store.js';
import type { Entity } from './types.js';
import {
  canSeeCustomer,
  canSeeOrder,
  renderOrder,
  renderProduct,
  type CallerView,
} from './views.js';

/** Stored fields that `updateRecord` may set, by entity. Id and UpdatedAt are managed. */
const PATCHABLE_FIELDS: Readonly<Record<Entity, readonly string[]>> = {
  products: [
    'Sku',
    'Name',
    'Description',
    'Category',
    'BasePriceUsd',
    'StockQuantity',
    'Active',
    'CreatedAt',
  ],
  orders: [
    'OrderNumber',
    'CustomerNumber',
    'SalesRepId',
    'Status',
    'CurrencyCode',
    'Lines',
    'Subtotal',
    'Tax',
    'Total',
    'PlacedAt',
    'CreatedAt',
  ],
};

/** Maximum records one addRecords call creates, so one request cannot exhaust memory. */
const MAX_ADDED_RECORDS = 1_000_000;

/** The simulated organization's data: products, orders and customers, and their changes. */
export class DataModel {
  readonly #stores: Record<Entity, EntityStore>;
  readonly #customers: Customer[];
  readonly #customersByNumber: Map<string, Customer>;
  readonly #changeRandom: Random;
  readonly #now: () => number;

  constructor(options: ResolvedOptions, now: () => number) {
    const seeded = seedData(options, now());
    this.#stores = {
      products: new EntityStore(seeded.products),
      orders: new EntityStore(seeded.orders),
    };
    this.#customers = seeded.customers;
    this.#customersByNumber = new Map(
      seeded.customers.map((customer) => [customer.CustomerNumber, customer]),
    );
    this.#changeRandom = derivedRandom(options.seed, 'changes');
    this.#now = now;
  }

  /** Returns one page of records that the caller may see, rendered for it. */
  page(entity: Entity, query: PageQuery, view: CallerView): { items: object[]; hasMore: boolean } {
    const visible = (record: StoredRecord) => this.#isVisible(entity, record, view);
    const page: Page = this.#stores[entity].page(query, visible);
    const items = page.items.map((record) => this.#render(entity, record, view));
    return { items, hasMore: page.hasMore };
  }

  /** Returns the rendered record, or undefined when it is missing or hidden from the caller. */
  find(entity: Entity, id: string, view: CallerView): object | undefined {
    const record = this.#stores[entity].get(id);
    if (record === undefined || !this.#isVisible(entity, record, view)) {
      return undefined;
    }
    return this.#render(entity, record, view);
  }

  snapshot(entity: Entity, view: CallerView): object[] {
    return this.#stores[entity]
      .sorted()
      .filter((record) => this.#isVisible(entity, record, view))
      .map((record) => this.#render(entity, record, view));
  }

  customers(view: CallerView): Customer[] {
    return this.#customers
      .filter((customer) => canSeeCustomer(customer, view))
      .map((customer) => ({ ...customer }));
  }

  /** Changes `count` distinct records picked by the seeded change stream; returns sorted ids. */
  mutate(entity: Entity, count: number): string[] {
    const store = this.#stores[entity];
    requireCount(count, store.size);

    if (count === 0) {
      return [];
    }

    const all = store.inserted();
    const indices = sampleIndices(this.#changeRandom, all.length, count);
    const chosen = indices.map((index) => all[index] as StoredRecord);
    for (const record of chosen) {
      if (entity === 'products') {
        changeProduct(this.#changeRandom, record);
      } else {
        changeOrder(record);
      }
    }

    store.touch(chosen, store.changeStamp(this.#now()));
    return chosen.map((record) => record.Id).sort();
  }

  /** Appends `count` records created now, numbered after the highest existing id. */
  addRecords(entity: Entity, count: number): string[] {
    const store = this.#stores[entity];
    requireCount(count, MAX_ADDED_RECORDS);
    if (entity === 'orders' && this.#stores.products.size === 0) {
      throw invalidRequest('Cannot add orders while there are no products for their lines');
    }

    const stamp = store.changeStamp(this.#now());
    const context = { products: this.#stores.products.inserted(), customers: this.#customers };
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      const sequence = store.nextSequence();
      const record =
        entity === 'products'
          ? buildProduct(this.#changeRandom, sequence, stamp, stamp)
          : buildOrder(this.#changeRandom, sequence, context, stamp, stamp);
      store.add(record);
      ids.push(record.Id);
    }
    return ids;
  }

  /** Sets stored fields to the given values, valid or not, and bumps UpdatedAt. */
  updateRecord(entity: Entity, id: string, patch: Record<string, unknown>): void {
    const store = this.#stores[entity];
    const record = store.get(id);
    if (record === undefined) {
      throw new SimulatorHttpError(404, 'not_found', `No ${entity} record has the id ${id}`);
    }
    validatePatch(entity, patch);

    Object.assign(record.fields, structuredClone(patch));
    store.touch([record], store.changeStamp(this.#now()));
  }

  #isVisible(entity: Entity, record: StoredRecord, view: CallerView): boolean {
    return entity === 'products' || canSeeOrder(record, view, this.#customersByNumber);
  }

  #render(entity: Entity, record: StoredRecord, view: CallerView): Record<string, unknown> {
    return entity === 'products' ? renderProduct(record, view) : renderOrder(record);
  }
}

export function isEntity(value: unknown): value is Entity {
  return value === 'products' || value === 'orders';
}

function requireCount(count: number, max: number): void {
  if (!Number.isSafeInteger(count) || count < 0 || count > max) {
    throw invalidRequest(`count must be an integer from 0 to ${max}, got ${String(count)}`);
  }
}

function validatePatch(entity: Entity, patch: Record<string, unknown>): void {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) {
    throw invalidRequest('The patch must be a JSON object of field names and values');
  }

  const allowed = PATCHABLE_FIELDS[entity];
  for (const field of Object.keys(patch)) {
    if (field === 'Price') {
      throw invalidRequest(
        'Price is computed per caller; set BasePriceUsd, the Retail price in USD',
      );
    }
    if (!allowed.includes(field)) {
      throw invalidRequest(
        `${entity} records have no settable field ${field}; settable: ${allowed.join(', ')}`,
      );
    }
  }
}
