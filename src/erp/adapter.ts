/**
 * The contract between the sync jobs and an ERP. The jobs call only this interface, so a real
 * ERP adapter replaces the mock without any change to jobs/ (see docs/erp-adapters.md).
 */

/** Entities that nymble-sync moves into the ERP. */
export type EntityName = 'products' | 'orders';

export const ENTITY_NAMES: readonly EntityName[] = ['products', 'orders'];

/** One Nymble record on its way into the ERP. */
export interface ErpRecord {
  /** Nymble id of the record: the upsert key. */
  id: string;
  /** Nymble `UpdatedAt` of this version, ISO 8601 in UTC. An older version never replaces a newer one. */
  version: string;
  /** Price tier and currency of the credential the record was fetched under. */
  fetchedUnder: { priceTier: string; currencyCode: string };
  /** The record as the ERP should store it. */
  payload: Record<string, unknown>;
}

export type UpsertOutcomeKind = 'created' | 'updated' | 'unchanged' | 'rejected';

export interface UpsertOutcome {
  id: string;
  outcome: UpsertOutcomeKind;
  /** Reason the ERP rejected the record; set only when `outcome` is `rejected`. */
  reason?: string;
}

export interface ErpAdapter {
  /** Short name for logs and preflight, for example `mock`. */
  readonly name: string;

  /**
   * Upserts one page of records and returns one outcome per record, in the same order.
   * Must be idempotent: the same page sent twice yields `unchanged` the second time.
   * A record whose `version` is older than the stored one is `unchanged` and not written.
   * Throws (any error) when the ERP as a whole is unreachable, so that the page is retried.
   * A problem with one record is a `rejected` outcome instead.
   */
  upsert(entity: EntityName, records: readonly ErpRecord[]): Promise<UpsertOutcome[]>;

  /** Checks that the ERP is reachable and writable; throws with the reason when it is not. */
  check(): Promise<void>;

  /** Releases connections and file handles. Called once at shutdown. */
  close(): Promise<void>;
}
