/**
 * Shapes of Nymble Commerce responses, checked with zod before anything reaches the ERP.
 * Unknown fields are kept (loose objects), so that a field Nymble adds later still reaches the
 * ERP payload instead of being dropped without notice.
 */
import { z } from 'zod';

/** ISO 8601 date and time with seconds and an explicit offset, as Nymble sends UpdatedAt. */
const ISO_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

// Date.parse alone accepts values such as "1" or "Foo 2" and reads an offset-less time in the
// host's zone, either of which could move a watermark to a wrong instant.
const timestamp = z
  .string()
  .refine((value) => ISO_TIMESTAMP.test(value) && !Number.isNaN(Date.parse(value)), {
    message: 'expected an ISO 8601 timestamp with an offset, such as 2026-01-05T10:00:00.000Z',
  });

const money = z.number().finite();

export const productSchema = z.looseObject({
  Id: z.string().min(1),
  Sku: z.string(),
  Name: z.string(),
  Price: money,
  CurrencyCode: z.string().optional(),
  PriceTier: z.string().optional(),
  UpdatedAt: timestamp,
});

export const orderLineSchema = z.looseObject({
  Sku: z.string(),
  Quantity: z.number(),
  UnitPrice: money,
});

export const orderSchema = z.looseObject({
  Id: z.string().min(1),
  OrderNumber: z.string(),
  CustomerNumber: z.string(),
  Status: z.string(),
  CurrencyCode: z.string(),
  Lines: z.array(orderLineSchema),
  Total: money,
  UpdatedAt: timestamp,
});

export type NymbleProduct = z.infer<typeof productSchema>;
export type NymbleOrder = z.infer<typeof orderSchema>;

/** Every record the sync moves has at least these fields. */
export interface NymbleRecord {
  Id: string;
  UpdatedAt: string;
  [field: string]: unknown;
}

/**
 * The fields that place a record in the (UpdatedAt, Id) order. A record without them cannot be
 * paged past safely, so it fails the whole page. Any other invalid field fails only its record
 * (jobs/sync-run.ts checks each record against its entity's schema).
 */
export const recordKeySchema = z.looseObject({ Id: z.string().min(1), UpdatedAt: timestamp });

/** A page whose items are checked for their keys only; each item's own schema comes later. */
export const pageSchema = z.object({
  Items: z.array(recordKeySchema),
  PageSize: z.number().int().positive().optional(),
  HasMore: z.boolean(),
});

export const loginResponseSchema = z.object({
  AccessToken: z.string().min(1),
  TokenType: z.string(),
  ExpiresIn: z.number().int().positive(),
});

export const errorBodySchema = z.object({
  code: z.string().optional(),
  message: z.string().optional(),
});
