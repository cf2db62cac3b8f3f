import type { EntityName } from '../src/erp/adapter.js';
import type { EntityDefinition } from './entity.js';
import { orders } from './orders.js';
import { products } from './products.js';

export const ENTITIES: Readonly<Record<EntityName, EntityDefinition>> = {
  products: products as unknown as EntityDefinition,
  orders: orders as unknown as EntityDefinition,
};

export type { EntityDefinition } from './entity.js';
export { runSync, type SyncReceipt, type SyncDeps, type SyncRunInput } from './sync-run.js';
export { type Watermark, compareWatermarks } from '../src/watermark.js';
