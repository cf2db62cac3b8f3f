/** Names of the BullMQ queues and of nymble-sync's own Redis keys, all under one prefix. */
import type { EntityName } from '../erp/adapter.js';

export const syncQueueName = (entity: EntityName): string => `sync-${entity}`;

export const deadLetterQueueName = (entity: EntityName): string => `dead-letter-${entity}`;

/** Id of the Job Scheduler of an entity; upserting the same id replaces the old schedule. */
export const schedulerId = (entity: EntityName): string => `sync-${entity}-schedule`;

/** Keys outside BullMQ's own, all below `<prefix>:nymble-sync:`. */
export function stateKeys(prefix: string) {
  const base = `${prefix}:nymble-sync`;
  return {
    watermark: (entity: EntityName) => `${base}:watermark:${entity}`,
    lastRun: (entity: EntityName) => `${base}:last-run:${entity}`,
    lastSuccess: (entity: EntityName) => `${base}:last-success:${entity}`,
    breaker: (entity: EntityName) => `${base}:breaker:${entity}`,
    /** Set of the record ids that have a record-level dead letter. */
    recordDeadLetters: (entity: EntityName) => `${base}:record-dead-letters:${entity}`,
    rateGate: `${base}:rate-gate`,
    heartbeat: `${base}:heartbeat`,
    authToken: `${base}:auth:token`,
    authLock: `${base}:auth:lock`,
    authLogins: `${base}:auth:logins`,
    authBlockedUntil: `${base}:auth:blocked-until`,
  };
}

export type StateKeys = ReturnType<typeof stateKeys>;
