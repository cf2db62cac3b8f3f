import { orderSchema, type NymbleOrder } from '../src/nymble/schemas.js';
import { canonicalTimestamp, fetchedUnder, type EntityDefinition } from './entity.js';

export const orders: EntityDefinition<NymbleOrder> = {
  name: 'orders',
  path: 'api/orders',
  itemSchema: orderSchema,
  toErpRecord: (record, claims) => ({
    id: record.Id,
    version: canonicalTimestamp(record.UpdatedAt),
    fetchedUnder: fetchedUnder(record, claims),
    payload: record,
  }),
};
