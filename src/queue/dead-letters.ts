/**
 * Dead-letter queues: one BullMQ queue per entity, with no worker, so entries wait there, visible
 * in Bull Board, until `nymble-sync dlq replay` or `purge` removes them.
 *
 * Sync-level entries are grouped by cause: a second failure with the same reason updates the
 * entry (attempts, last failure) instead of adding another. Record-level entries (the ERP
 * rejected one record, or Nymble sent it invalid) are keyed by the record id, and a set of those
 * ids lets a later sync that writes the record remove its entry with one lookup per page.
 */
import type { Job, Queue } from 'bullmq';

import type { DeadLetterReason } from '../decisions.js';
import { ENTITY_NAMES, type EntityName } from '../erp/adapter.js';
import { scrubSecrets } from '../secrets.js';
import type { Watermark } from '../watermark.js';
import { stateKeys } from './names.js';
import type { SyncJobData, SyncQueues } from './queues.js';

export interface DeadLetter {
  kind: 'sync' | 'record';
  entity: EntityName;
  reason: DeadLetterReason;
  /** Description of the failure and of the next step, with secrets removed. */
  message: string;
  status?: number;
  endpoint?: string;
  requestId?: string;
  /** Role that Nymble denied, for `forbidden`. */
  role?: string;
  attempts: number;
  firstFailedAt: string;
  lastFailedAt: string;
  /** The entity's watermark when the failure happened. */
  watermark?: Watermark;
  /** Name and data of the sync job that failed; for record-level entries, the run's job. */
  originalJob?: { id?: string; name: string; data: SyncJobData };
  /** The rejected record, for record-level entries. */
  record?: { id: string; version: string };
}

export type NewDeadLetter = Omit<DeadLetter, 'firstFailedAt' | 'lastFailedAt' | 'attempts'> & {
  attempts?: number;
};

export interface StoredDeadLetter extends DeadLetter {
  /** Queue-qualified id: `<entity>/<job id>`, as the CLI shows it. */
  id: string;
}

const DEAD_LETTER_JOB = 'dead-letter';

const RECORD_JOB_PREFIX = 'record.';

/**
 * Returns the BullMQ job id of an entry. Record ids are percent-encoded, because BullMQ
 * rejects a custom id with `:` and the CLI's ids use `/` to separate the entity.
 */
function jobIdFor(letter: NewDeadLetter): string {
  if (letter.kind === 'record' && letter.record) {
    return recordJobId(letter.record.id);
  }
  return `sync.${letter.reason}`;
}

function recordJobId(recordId: string): string {
  return `${RECORD_JOB_PREFIX}${encodeURIComponent(recordId)}`;
}

function scrubbed(letter: DeadLetter): DeadLetter {
  return JSON.parse(scrubSecrets(JSON.stringify(letter))) as DeadLetter;
}

export class DeadLetters {
  readonly #keys: ReturnType<typeof stateKeys>;

  constructor(private readonly queues: SyncQueues) {
    this.#keys = stateKeys(queues.prefix);
  }

  /** Adds an entry, or updates the entry of the same cause. Returns the stored entry. */
  async add(letter: NewDeadLetter): Promise<StoredDeadLetter> {
    const queue = this.queues.deadLetter[letter.entity];
    const jobId = jobIdFor(letter);
    const now = new Date().toISOString();
    const existing = await queue.getJob(jobId);
    const previous = existing?.data as DeadLetter | undefined;

    const entry = scrubbed({
      ...letter,
      attempts: (previous?.attempts ?? 0) + (letter.attempts ?? 1),
      firstFailedAt: previous?.firstFailedAt ?? now,
      lastFailedAt: now,
    });
    if (existing) await existing.updateData(entry);
    else
      await queue.add(DEAD_LETTER_JOB, entry, {
        jobId,
        removeOnComplete: true,
        removeOnFail: true,
      });
    if (letter.kind === 'record' && letter.record) {
      await this.#redis.sadd(this.#keys.recordDeadLetters(letter.entity), letter.record.id);
    }
    return { ...entry, id: `${letter.entity}/${jobId}` };
  }

  /**
   * Removes the record-level entries of records that a sync has since written to the ERP, and
   * returns their ids. One Redis round trip when none of `recordIds` has an entry.
   */
  async resolveRecords(entity: EntityName, recordIds: readonly string[]): Promise<string[]> {
    if (recordIds.length === 0) return [];
    const key = this.#keys.recordDeadLetters(entity);
    const present = await this.#redis.smismember(key, ...recordIds);
    const resolved = recordIds.filter((_, index) => present[index] === 1);

    for (const recordId of resolved) await this.remove(`${entity}/${recordJobId(recordId)}`);
    return resolved;
  }

  async list(filter: { entity?: EntityName; reason?: string } = {}): Promise<StoredDeadLetter[]> {
    const entities = filter.entity ? [filter.entity] : ENTITY_NAMES;
    const result: StoredDeadLetter[] = [];
    for (const entity of entities) {
      const jobs = await this.queues.deadLetter[entity].getJobs([
        'waiting',
        'delayed',
        'prioritized',
      ]);
      for (const job of jobs) {
        if (!job?.id) continue;
        const letter = job.data as DeadLetter;
        if (filter.reason && letter.reason !== filter.reason) continue;
        result.push({ ...letter, id: `${entity}/${job.id}` });
      }
    }
    return result.sort((a, b) => a.firstFailedAt.localeCompare(b.firstFailedAt));
  }

  async get(id: string): Promise<StoredDeadLetter | undefined> {
    const job = await this.#job(id);
    if (!job) return undefined;
    return { ...(job.data as DeadLetter), id };
  }

  /** Removes one entry; returns false when it was not there. */
  async remove(id: string): Promise<boolean> {
    const job = await this.#job(id);
    await this.#forgetRecord(id);
    if (!job) return false;
    await job.remove();
    return true;
  }

  async count(entity: EntityName): Promise<number> {
    return this.queues.deadLetter[entity].getJobCountByTypes('waiting', 'delayed', 'prioritized');
  }

  get #redis() {
    return this.queues.connection;
  }

  /** Drops a record entry's id from the set, also when its job was removed elsewhere. */
  async #forgetRecord(id: string): Promise<void> {
    const separator = id.indexOf('/');
    const entity = id.slice(0, separator) as EntityName;
    const jobId = id.slice(separator + 1);
    if (!(ENTITY_NAMES as readonly string[]).includes(entity)) return;
    if (!jobId.startsWith(RECORD_JOB_PREFIX)) return;

    // An id typed at the command line may not be valid percent-encoding; no entry has it.
    let recordId: string;
    try {
      recordId = decodeURIComponent(jobId.slice(RECORD_JOB_PREFIX.length));
    } catch {
      return;
    }
    await this.#redis.srem(this.#keys.recordDeadLetters(entity), recordId);
  }

  async #job(id: string): Promise<Job | undefined> {
    const separator = id.indexOf('/');
    const entity = id.slice(0, separator);
    const jobId = separator > 0 ? id.slice(separator + 1) : undefined;
    if (!jobId || !(ENTITY_NAMES as readonly string[]).includes(entity)) return undefined;
    const queue: Queue = this.queues.deadLetter[entity as EntityName];
    return (await queue.getJob(jobId)) ?? undefined;
  }
}
