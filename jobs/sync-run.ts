/**
 * One sync run of one entity: walk Nymble's pages after the watermark, upsert each page into
 * the ERP, dead-letter the records the ERP rejects, and advance the watermark only after the
 * ERP acknowledged the page. A run stopped between pages resumes from the last checkpoint.
 */
import { setTimeout as sleep, setImmediate as yieldToEventLoop } from 'node:timers/promises';

import { decide, type RetryPolicy } from '../src/decisions.js';
import type {
  EntityName,
  ErpAdapter,
  ErpRecord,
  UpsertOutcome,
  UpsertOutcomeKind,
} from '../src/erp/adapter.js';
import { ErpInvalidResultError, ErpUnavailableError, InvalidResponseError } from '../src/errors.js';
import type { Logger } from '../src/log.js';
import type { NymbleClient, RunStats } from '../src/nymble/client.js';
import type { TokenClaims } from '../src/nymble/credentials.js';
import { pageSchema, type NymbleRecord } from '../src/nymble/schemas.js';
import { canonicalTimestamp } from './entity.js';
import { pageQuery, recordsAfter, type Watermark } from '../src/watermark.js';
import type { EntityDefinition } from './entity.js';

/** Storage of watermarks; src/queue/state.ts implements it on Redis. */
export interface WatermarkStore {
  getWatermark(entity: EntityName): Promise<Watermark | undefined>;
  setWatermark(entity: EntityName, watermark: Watermark): Promise<void>;
}

/** A record that did not reach the ERP: the ERP rejected it, or Nymble sent it malformed. */
export interface RecordFailure {
  id: string;
  version: string;
  reason: 'erp_rejected' | 'invalid_record';
  /** Description of the failure, naming the field and the value. */
  detail: string;
}

/** Receives the records that failed, before the watermark moves past them. */
export interface RejectedRecordSink {
  recordFailed(
    entity: EntityName,
    failure: RecordFailure,
    watermark: Watermark | undefined,
  ): Promise<void>;
  /** Receives the ids the ERP accepted in a page, whose earlier record failures are now moot. */
  recordsWritten?(entity: EntityName, ids: readonly string[]): Promise<void>;
}

export interface SyncDeps {
  client: NymbleClient;
  erp: ErpAdapter;
  watermarks: WatermarkStore;
  rejected: RejectedRecordSink;
  policy: RetryPolicy;
  pageSize: number;
}

export interface SyncProgress {
  pages: number;
  records: number;
  watermark?: Watermark;
}

export interface SyncRunInput {
  entity: EntityDefinition;
  jobId?: string;
  full: boolean;
  /** The credential's login count when the job started, so logins before the walk count too. */
  loginsAtStart?: number;
  log: Logger;
  stats: RunStats;
  /** Aborted at shutdown: the run stops after the page in hand is checkpointed. */
  signal?: AbortSignal;
  onProgress?: (progress: SyncProgress) => Promise<void>;
  onRecords?: (outcome: UpsertOutcomeKind, count: number) => void;
}

/** The account of one run, stored with the job and logged once. */
export interface SyncReceipt {
  entity: EntityName;
  jobId?: string;
  outcome: 'completed' | 'interrupted';
  full: boolean;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  pages: number;
  records: Record<UpsertOutcomeKind, number>;
  requests: number;
  retries: number;
  rateLimitWaitMs: number;
  logins: number;
  watermarkFrom?: Watermark;
  watermarkTo?: Watermark;
}

export async function runSync(deps: SyncDeps, input: SyncRunInput): Promise<SyncReceipt> {
  const startedMs = Date.now();
  const loginsBefore = input.loginsAtStart ?? deps.client.credential.loginCount();
  const entity = input.entity;
  const watermarkFrom = input.full ? undefined : await deps.watermarks.getWatermark(entity.name);
  const records: Record<UpsertOutcomeKind, number> = {
    created: 0,
    updated: 0,
    unchanged: 0,
    rejected: 0,
  };
  let watermark = watermarkFrom;
  let pages = 0;
  let outcome: SyncReceipt['outcome'] = 'completed';

  for (;;) {
    if (input.signal?.aborted) {
      outcome = 'interrupted';
      break;
    }
    const page = await fetchPage(deps, input, watermark);
    if (page.Items.length === 0) break;

    const entries = newRecordsOf(page, watermark, input);
    if (entries.length === 0 && !page.HasMore) break;
    const erpRecords = entries.flatMap((entry) => (entry.record ? [entry.record] : []));
    const outcomes = erpRecords.length > 0 ? await upsertPage(deps, input, erpRecords) : [];
    await deadLetterRejected(deps, input, erpRecords, outcomes, watermark);
    await deps.rejected.recordsWritten?.(entity.name, writtenIds(erpRecords, outcomes));
    const invalid = await deadLetterInvalid(deps, input, entries, watermark);
    countOutcomes(records, outcomes, input);
    records.rejected += invalid;
    if (invalid > 0) input.onRecords?.('rejected', invalid);

    watermark = lastWatermark(entries);
    await deps.watermarks.setWatermark(entity.name, watermark);
    pages += 1;
    await input.onProgress?.({ pages, records: sumRecords(records), watermark });
    if (!page.HasMore) break;

    // Pages are processed back to back; yielding here keeps BullMQ's lock renewal on time.
    await yieldToEventLoop();
  }

  const finishedMs = Date.now();
  return {
    entity: entity.name,
    jobId: input.jobId,
    outcome,
    full: input.full,
    startedAt: new Date(startedMs).toISOString(),
    finishedAt: new Date(finishedMs).toISOString(),
    durationMs: finishedMs - startedMs,
    pages,
    records,
    requests: input.stats.requests,
    retries: input.stats.retries,
    rateLimitWaitMs: input.stats.rateLimitWaitMs,
    logins: deps.client.credential.loginCount() - loginsBefore,
    watermarkFrom,
    watermarkTo: watermark,
  };
}

async function fetchPage(deps: SyncDeps, input: SyncRunInput, watermark: Watermark | undefined) {
  const schema = pageSchema;
  const context = { log: input.log, stats: input.stats, signal: input.signal };
  const body = await deps.client.get(
    input.entity.path,
    pageQuery(watermark, deps.pageSize),
    schema,
    context,
  );
  // A page beyond pageSize means Nymble ignored it, and the next page may be larger still: one
  // huge page would hold the event loop in the ERP upsert past the job's lock.
  if (body.Items.length > deps.pageSize) {
    throw new InvalidResponseError(
      { endpoint: `GET /${input.entity.path}`, status: 200 },
      `GET /${input.entity.path} returned ${body.Items.length} records for pageSize ` +
        `${deps.pageSize}, so it does not honour pageSize`,
    );
  }
  const auth = await deps.client.credential.current();
  return { ...body, claims: auth.claims };
}

/** Upserts one page, retrying as src/decisions.ts decides when the ERP as a whole fails. */
async function upsertPage(
  deps: SyncDeps,
  input: SyncRunInput,
  records: ErpRecord[],
): Promise<UpsertOutcome[]> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      const outcomes = await deps.erp.upsert(input.entity.name, records);
      checkOutcomes(records, outcomes, deps.erp.name);
      return outcomes;
    } catch (caught) {
      const error =
        caught instanceof ErpInvalidResultError
          ? caught
          : new ErpUnavailableError(
              `ERP adapter ${deps.erp.name} failed to upsert ${records.length} ${input.entity.name}`,
              { cause: caught },
            );
      const decision = decide(error, deps.policy, {
        attempt,
        rateLimitedForMs: 0,
        canRelogin: false,
      });
      if (decision.action !== 'retry') throw error;

      input.stats.retries += 1;
      input.log.warn(
        { attempt, delayMs: decision.delayMs, err: error },
        'ERP upsert failed, retrying',
      );
      await sleep(decision.delayMs, undefined, { signal: input.signal });
    }
  }
}

const OUTCOME_KINDS: ReadonlySet<string> = new Set(['created', 'updated', 'unchanged', 'rejected']);

function checkOutcomes(records: ErpRecord[], outcomes: UpsertOutcome[], adapter: string): void {
  const valid =
    Array.isArray(outcomes) &&
    outcomes.length === records.length &&
    outcomes.every(
      (outcome, index) =>
        outcome?.id === records[index]?.id && OUTCOME_KINDS.has(outcome?.outcome as string),
    );
  if (!valid) {
    throw new ErpInvalidResultError(
      `ERP adapter ${adapter} returned outcomes that do not match the ${records.length} records it was given ` +
        '(it must return one outcome per record, in the same order, each created, updated, ' +
        'unchanged or rejected)',
    );
  }
}

async function deadLetterRejected(
  deps: SyncDeps,
  input: SyncRunInput,
  records: ErpRecord[],
  outcomes: UpsertOutcome[],
  watermark: Watermark | undefined,
): Promise<void> {
  for (const [index, outcome] of outcomes.entries()) {
    const record = records[index];
    if (outcome.outcome !== 'rejected' || !record) continue;
    input.log.warn({ recordId: record.id, reason: outcome.reason }, 'ERP rejected record');
    const detail = outcome.reason ?? 'rejected by the ERP';
    const failure = {
      id: record.id,
      version: record.version,
      reason: 'erp_rejected' as const,
      detail,
    };
    await deps.rejected.recordFailed(input.entity.name, failure, watermark);
  }
}

/** Returns the ids of the records the ERP accepted: created, updated or unchanged. */
function writtenIds(records: ErpRecord[], outcomes: UpsertOutcome[]): string[] {
  return outcomes.flatMap((outcome, index) => {
    const record = records[index];
    return outcome.outcome !== 'rejected' && record ? [record.id] : [];
  });
}

function countOutcomes(
  records: Record<UpsertOutcomeKind, number>,
  outcomes: UpsertOutcome[],
  input: SyncRunInput,
): void {
  const page: Record<UpsertOutcomeKind, number> = {
    created: 0,
    updated: 0,
    unchanged: 0,
    rejected: 0,
  };
  for (const { outcome } of outcomes) page[outcome] += 1;
  for (const kind of Object.keys(page) as UpsertOutcomeKind[]) {
    records[kind] += page[kind];
    if (page[kind] > 0) input.onRecords?.(kind, page[kind]);
  }
}

/**
 * Returns the page's records that come after the watermark: each converted to an ERP record,
 * or, when it fails its entity's schema, with the reason. Throws InvalidResponseError when the
 * page is out of (UpdatedAt, Id) order, or when it claims more pages but brings nothing new,
 * which would otherwise loop forever on the same page.
 */
function newRecordsOf(
  page: { Items: NymbleRecord[]; HasMore: boolean; claims: TokenClaims | undefined },
  watermark: Watermark | undefined,
  input: SyncRunInput,
): PageEntry[] {
  const entity = input.entity;
  const keyed = page.Items.map((item) => ({ updatedAt: item.UpdatedAt, id: item.Id, item }));
  const result = recordsAfter(watermark, keyed);
  const facts = { endpoint: `GET /${entity.path}`, status: 200 };

  if ('violation' in result) {
    throw new InvalidResponseError(
      facts,
      `GET /${entity.path} returned a page out of order: ${result.violation}`,
    );
  }
  if (result.records.length === 0 && page.HasMore) {
    throw new InvalidResponseError(
      facts,
      `GET /${entity.path} returned HasMore with no record after the watermark, so paging cannot advance`,
    );
  }
  if (result.dropped > 0) {
    input.log.debug({ dropped: result.dropped }, 'records at or before the watermark skipped');
  }
  return result.records.map(({ updatedAt, id, item }) => {
    const parsed = entity.itemSchema.safeParse(item);
    if (parsed.success)
      return { updatedAt, id, record: entity.toErpRecord(parsed.data, page.claims) };
    return { updatedAt, id, invalid: describeIssues(parsed.error.issues) };
  });
}

function describeIssues(issues: ReadonlyArray<{ path: PropertyKey[]; message: string }>): string {
  return issues
    .slice(0, 3)
    .map((issue) => `${issue.path.map(String).join('.') || '(record)'}: ${issue.message}`)
    .join('; ');
}

/** Reports the records that failed their schema; they are dead-lettered, not retried. */
async function deadLetterInvalid(
  deps: SyncDeps,
  input: SyncRunInput,
  entries: PageEntry[],
  watermark: Watermark | undefined,
): Promise<number> {
  let count = 0;
  for (const entry of entries) {
    if (entry.invalid === undefined) continue;
    count += 1;
    input.log.warn({ recordId: entry.id, detail: entry.invalid }, 'Nymble sent an invalid record');
    const failure = {
      id: entry.id,
      version: canonicalTimestamp(entry.updatedAt),
      reason: 'invalid_record' as const,
      detail: entry.invalid,
    };
    await deps.rejected.recordFailed(input.entity.name, failure, watermark);
  }
  return count;
}

/**
 * A record of a page with the UpdatedAt Nymble sent, which the next page request repeats, and
 * either its ERP record or why it is invalid.
 */
interface PageEntry extends Watermark {
  record?: ErpRecord;
  invalid?: string;
}

function lastWatermark(entries: PageEntry[]): Watermark {
  const last = entries[entries.length - 1] as PageEntry;
  return { updatedAt: last.updatedAt, id: last.id };
}

function sumRecords(records: Record<UpsertOutcomeKind, number>): number {
  return records.created + records.updated + records.unchanged + records.rejected;
}
