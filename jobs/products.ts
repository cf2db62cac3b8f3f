import { productSchema, type NymbleProduct } from '../src/nymble/schemas.js';
import { canonicalTimestamp, fetchedUnder, type EntityDefinition } from './entity.js';

export const products: EntityDefinition<NymbleProduct> = {
  name: 'products',
  path: 'api/products',
  itemSchema: productSchema,
  toErpRecord: (record, claims) => ({
    id: record.Id,
    version: canonicalTimestamp(record.UpdatedAt),
    fetchedUnder: fetchedUnder(record, claims),
    payload: record,
  }),
};
