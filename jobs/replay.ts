/**
 * Replay of dead letters. A sync-level entry closes the breaker it opened and starts a sync,
 * which resumes from the watermark. A record-level entry fetches the record's current version
 * from Nymble and pushes that, so a stale payload is never written.
 */
import type { ErpAdapter, UpsertOutcome } from '../src/erp/adapter.js';
import { FLEET_WIDE_REASONS } from '../src/decisions.js';
import { NotFoundError } from '../src/errors.js';
import type { Logger } from '../src/log.js';
import type { NymbleClient } from '../src/nymble/client.js';
import type { Breaker } from '../src/queue/breaker.js';
import type { DeadLetters, StoredDeadLetter } from '../src/queue/dead-letters.js';
import type { SyncQueues } from '../src/queue/queues.js';
import { ENTITY_NAMES, type EntityName } from '../src/erp/adapter.js';
import type { EntityDefinition } from './entity.js';

export interface ReplayDeps {
  entities: Readonly<Record<string, EntityDefinition>>;
  deadLetters: DeadLetters;
  breaker: Breaker;
  queues: SyncQueues;
  log: Logger;
  /** Needed for record-level entries only. */
  client?: NymbleClient;
  erp?: ErpAdapter;
}

export type ReplayResult =
  | {
      id: string;
      action: 'resumed';
      entities: string[];
      jobIds: string[];
      /** The entities whose paused queue the replay resumed; empty when none was paused. */
      unpaused: string[];
    }
  | { id: string; action: 'written'; outcome: UpsertOutcome['outcome'] }
  | { id: string; action: 'still-rejected'; reason: string }
  | { id: string; action: 'gone' };

export async function replayDeadLetter(
  letter: StoredDeadLetter,
  deps: ReplayDeps,
): Promise<ReplayResult> {
  if (letter.kind === 'record') return replayRecord(letter, deps);
  return resumeSync(letter, deps);
}

async function resumeSync(letter: StoredDeadLetter, deps: ReplayDeps): Promise<ReplayResult> {
  const entities = await entitiesToResume(letter, deps);
  // A breaker opened for another reason stays: replaying, say, an invalid page must not lift
  // a pause that a rejected credential caused.
  const breaker = await deps.breaker.get(letter.entity);
  if (breaker && breaker.reason !== letter.reason) {
    throw new Error(
      `${letter.entity} is paused by ${breaker.reason}: replay ${letter.entity}/sync.${breaker.reason} ` +
        'first, once its cause is fixed',
    );
  }

  const jobIds: string[] = [];
  const unpaused: string[] = [];
  for (const entity of entities) {
    if (await deps.breaker.get(entity)) unpaused.push(entity);
    // Requested while the queue is still paused, so that the run joins a sync already waiting
    // there instead of queueing a second one behind it once the resumed queue starts that sync.
    const { job } = await deps.queues.requestSync(entity, { trigger: 'replay' });
    await deps.breaker.close(entity);
    jobIds.push(String(job.id));
    // The same cause dead-lettered the other entities too; their entries are replayed here.
    await deps.deadLetters.remove(`${entity}/sync.${letter.reason}`);
  }
  await deps.deadLetters.remove(letter.id);
  deps.log.info(
    { deadLetterId: letter.id, entities, jobIds },
    'dead letter replayed, sync resumed',
  );
  return { id: letter.id, action: 'resumed', entities, jobIds, unpaused };
}

/**
 * Returns the entities a sync-level replay resumes: the letter's own, plus, for a failure of the
 * credential itself, every entity that the same reason paused.
 */
async function entitiesToResume(letter: StoredDeadLetter, deps: ReplayDeps): Promise<EntityName[]> {
  if (!FLEET_WIDE_REASONS.has(letter.reason)) return [letter.entity];

  const entities: EntityName[] = [];
  for (const entity of ENTITY_NAMES) {
    const breaker = await deps.breaker.get(entity);
    if (entity === letter.entity || breaker?.reason === letter.reason) entities.push(entity);
  }
  return entities;
}

/**
 * Closes the breakers that no dead letter explains any more, after entries were purged. A purge
 * is the operator's decision to drop the failure, so the schedules it paused run again.
 */
export async function closeOrphanedBreakers(
  deps: Pick<ReplayDeps, 'breaker' | 'deadLetters'>,
): Promise<EntityName[]> {
  const remaining = await deps.deadLetters.list();
  const closed: EntityName[] = [];
  for (const entity of ENTITY_NAMES) {
    const breaker = await deps.breaker.get(entity);
    if (!breaker) continue;
    const explained = remaining.some(
      (letter) =>
        letter.reason === breaker.reason &&
        (letter.entity === entity || FLEET_WIDE_REASONS.has(letter.reason)),
    );
    if (explained) continue;
    await deps.breaker.close(entity);
    closed.push(entity);
  }
  return closed;
}

async function replayRecord(letter: StoredDeadLetter, deps: ReplayDeps): Promise<ReplayResult> {
  const entity = deps.entities[letter.entity];
  const recordId = letter.record?.id;
  if (!entity || !recordId || !deps.client || !deps.erp) {
    throw new Error(
      `Dead letter ${letter.id} cannot be replayed: it names no record, or no Nymble client or ERP is configured`,
    );
  }

  const context = { log: deps.log, stats: { requests: 0, retries: 0, rateLimitWaitMs: 0 } };
  let current;
  try {
    current = await deps.client.get(
      `${entity.path}/${encodeURIComponent(recordId)}`,
      {},
      entity.itemSchema,
      context,
    );
  } catch (error) {
    if (!(error instanceof NotFoundError)) throw error;
    await deps.deadLetters.remove(letter.id);
    deps.log.info(
      { deadLetterId: letter.id, recordId },
      'record no longer exists in Nymble, dead letter removed',
    );
    return { id: letter.id, action: 'gone' };
  }

  const auth = await deps.client.credential.current();
  const record = entity.toErpRecord(current, auth.claims);
  const [outcome] = await deps.erp.upsert(entity.name, [record]);
  if (!outcome || outcome.outcome === 'rejected') {
    const reason = outcome?.reason ?? 'no outcome returned';
    await deps.deadLetters.add({
      ...letter,
      message: `ERP rejected ${entity.name} record ${recordId} again: ${reason}`,
      record: { id: record.id, version: record.version },
    });
    return { id: letter.id, action: 'still-rejected', reason };
  }

  await deps.deadLetters.remove(letter.id);
  deps.log.info(
    { deadLetterId: letter.id, recordId, outcome: outcome.outcome, version: record.version },
    'dead letter replayed, record written',
  );
  return { id: letter.id, action: 'written', outcome: outcome.outcome };
}
