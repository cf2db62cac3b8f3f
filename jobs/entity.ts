/**
 * The definition of a synced entity: where Nymble serves it, the shape of one record, and how a record
 * becomes an ERP record. jobs/products.ts and jobs/orders.ts are the two instances.
 */
import type { z } from 'zod';

import type { EntityName, ErpRecord } from '../src/erp/adapter.js';
import type { TokenClaims } from '../src/nymble/credentials.js';
import type { NymbleRecord } from '../src/nymble/schemas.js';

export interface EntityDefinition<R extends NymbleRecord = NymbleRecord> {
  name: EntityName;
  /** Path of the list endpoint below the base URL, without a leading slash. */
  path: string;
  itemSchema: z.ZodType<R>;
  /** Builds the ERP record; `claims` are the login token's, absent for API keys. */
  toErpRecord(record: R, claims: TokenClaims | undefined): ErpRecord;
}

/** Normalises a Nymble timestamp to ISO 8601 UTC with milliseconds, the watermark's format. */
export function canonicalTimestamp(value: string): string {
  return new Date(Date.parse(value)).toISOString();
}

/**
 * Returns the price tier and currency a record was fetched under: the token's claims for a
 * login, otherwise the values Nymble stamped on the record, otherwise the organization default.
 */
export function fetchedUnder(
  record: NymbleRecord,
  claims: TokenClaims | undefined,
): ErpRecord['fetchedUnder'] {
  const recordTier = typeof record.PriceTier === 'string' ? record.PriceTier : undefined;
  const recordCurrency = typeof record.CurrencyCode === 'string' ? record.CurrencyCode : undefined;
  return {
    priceTier: claims?.PriceTier ?? recordTier ?? 'organization-default',
    currencyCode: claims?.CurrencyCode ?? recordCurrency ?? 'organization-default',
  };
}
