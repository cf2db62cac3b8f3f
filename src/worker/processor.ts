/**
 * The job boundary: runs one sync job and turns whatever escaped the sync into a queue
 * decision through src/decisions.ts. It is the only code that moves a sync job to delayed,
 * re-queues it, or dead-letters it.
 */
import {
  DelayedError,
  RateLimitError,
  UnrecoverableError,
  WaitingError,
  type Job,
  type Processor,
} from 'bullmq';

import {
  runSync,
  type SyncDeps,
  type RecordFailure,
  type SyncProgress,
  type SyncReceipt,
} from '../../jobs/sync-run.js';
import type { EntityDefinition } from '../../jobs/entity.js';
import { decide, exhaustedReason, type Decision, type RetryPolicy } from '../decisions.js';
import type { EntityName } from '../erp/adapter.js';
import {
  ErpUnavailableError,
  ForbiddenError,
  NymbleRequestError,
  RateLimitedError,
  ScopeNotAllowedError,
} from '../errors.js';
import type { Metrics } from '../metrics.js';
import type { RunStats } from '../nymble/client.js';
import type { RateGate } from '../nymble/rate-gate.js';
import type { Breaker } from '../queue/breaker.js';
import type { DeadLetters, NewDeadLetter } from '../queue/dead-letters.js';
import type { SyncJobData, SyncQueues } from '../queue/queues.js';
import type { SyncState } from '../queue/state.js';
import { scrubSecrets } from '../secrets.js';
import { ENTITY_NAMES } from '../erp/adapter.js';
import type { Watermark } from '../watermark.js';
import type { JobLifecycle } from './lifecycle.js';

export interface ProcessorDeps {
  entities: Readonly<Record<EntityName, EntityDefinition>>;
  sync: Omit<SyncDeps, 'rejected'>;
  queues: SyncQueues;
  state: SyncState;
  deadLetters: DeadLetters;
  breaker: Breaker;
  gate: RateGate;
  policy: RetryPolicy;
  lifecycle: JobLifecycle;
  metrics: Metrics;
  /** Throws ScopeNotAllowedError when the credential may not run an organization-wide sync. */
  checkScope: () => Promise<void>;
  /** Aborted at shutdown. */
  shutdown: AbortSignal;
}

export function createProcessor(deps: ProcessorDeps): Processor<SyncJobData, SyncReceipt> {
  return async (job, token) => {
    const entity = deps.entities[job.data.entity];
    if (!entity) {
      throw new UnrecoverableError(
        `Unknown entity ${JSON.stringify(job.data.entity)} in job ${job.id}`,
      );
    }

    const stats: RunStats = {
      requests: 0,
      retries: 0,
      rateLimitWaitMs: 0,
      rateLimitedSinceMs: job.data.rateLimitedSinceMs,
    };
    deps.lifecycle.started(job);
    const loginsAtStart = deps.sync.client.credential.loginCount();
    try {
      await deps.checkScope();
      const receipt = await runSync(syncDeps(deps, job), {
        entity,
        jobId: job.id,
        full: job.data.full ?? false,
        loginsAtStart,
        log: deps.lifecycle.jobLogger(job),
        stats,
        signal: deps.shutdown,
        onProgress: (progress) => checkpointed(job, progress),
        onRecords: (outcome, count) =>
          deps.metrics.records.inc({ entity: entity.name, outcome }, count),
      });
      return await finish(deps, job, token, withDeferrals(receipt, job.data));
    } catch (error) {
      if (error instanceof WaitingError) throw error;
      if (deps.shutdown.aborted && isAbort(error)) {
        return requeueAtShutdown(deps, job, token, error);
      }
      throw withoutSecrets(await handleFailure(deps, job, token, error, stats));
    } finally {
      countRetries(deps.metrics, entity.name, stats);
    }
  };
}

/**
 * Scrubs secrets from the message and stack of an error that BullMQ is about to store in Redis
 * as the job's `failedReason` and `stacktrace`. The error is changed in place, because BullMQ
 * recognises its control-flow errors (RateLimitError, DelayedError) by class.
 */
function withoutSecrets(error: Error): Error {
  error.message = scrubSecrets(error.message);
  if (error.stack !== undefined) error.stack = scrubSecrets(error.stack);
  return error;
}

/**
 * Adds the deferrals of earlier attempts of this job to its receipt, so that a run held back by
 * a long rate limit reports that wait, which no counter of the final attempt saw.
 */
function withDeferrals(receipt: SyncReceipt, data: SyncJobData): SyncReceipt {
  if (!data.deferrals) return receipt;
  return {
    ...receipt,
    retries: receipt.retries + data.deferrals.count,
    rateLimitWaitMs: receipt.rateLimitWaitMs + data.deferrals.waitMs,
  };
}

/** Adds the retries and rate-limit waits made inside this job to the metrics. */
function countRetries(metrics: Metrics, entity: EntityName, stats: RunStats): void {
  const rateLimited = stats.rateLimitRetries ?? 0;
  metrics.retries.inc({ entity, kind: 'rate_limit' }, rateLimited);
  metrics.retries.inc({ entity, kind: 'transient' }, stats.retries - rateLimited);
  metrics.rateLimitWait.inc({ entity }, stats.rateLimitWaitMs / 1000);
}

function syncDeps(deps: ProcessorDeps, job: Job<SyncJobData>): SyncDeps {
  return {
    ...deps.sync,
    rejected: {
      recordFailed: async (entity: EntityName, failure: RecordFailure, watermark?: Watermark) => {
        const what = failure.reason === 'erp_rejected' ? 'ERP rejected' : 'Nymble sent an invalid';
        const letter = await deps.deadLetters.add({
          kind: 'record',
          entity,
          reason: failure.reason,
          message: `${what} ${entity} record ${failure.id}: ${failure.detail}`,
          watermark,
          record: { id: failure.id, version: failure.version },
          originalJob: { id: job.id, name: job.name, data: job.data },
        });
        deps.lifecycle.recordDeadLettered(entity, letter);
      },
      recordsWritten: async (entity: EntityName, ids: readonly string[]) => {
        const resolved = await deps.deadLetters.resolveRecords(entity, ids);
        if (resolved.length === 0) return;
        deps.lifecycle
          .jobLogger(job)
          .info({ recordIds: resolved }, 'record dead letters removed, records since written');
      },
    },
  };
}

/**
 * Reports progress after each acknowledged page. The first checkpoint of a full sync also
 * clears `full` in the job data: the full walk now lives in the watermark, so a run that is
 * interrupted and resumed goes on from there instead of starting over.
 */
async function checkpointed(job: Job<SyncJobData>, progress: SyncProgress): Promise<void> {
  if (job.data.full) await job.updateData({ ...job.data, full: false });
  await job.updateProgress({ ...progress });
}

async function finish(
  deps: ProcessorDeps,
  job: Job<SyncJobData>,
  token: string | undefined,
  receipt: SyncReceipt,
): Promise<SyncReceipt> {
  if (receipt.outcome === 'interrupted') {
    deps.lifecycle.interrupted(job, receipt);
    await job.moveToWait(token);
    throw new WaitingError();
  }
  await deps.state.setLastRun(receipt.entity, { ...receipt, result: 'succeeded' as const });
  // A success means the cause of an earlier breaker is gone (the queue was resumed by hand, in
  // Bull Board for example), so its state must not go on reporting the entity as blocked.
  if (await deps.breaker.get(receipt.entity)) await deps.state.clearBreaker(receipt.entity);
  deps.lifecycle.completed(job, receipt);
  return receipt;
}

async function requeueAtShutdown(
  deps: ProcessorDeps,
  job: Job<SyncJobData>,
  token: string | undefined,
  error: unknown,
): Promise<never> {
  deps.lifecycle
    .jobLogger(job)
    .info({ err: error }, 'sync stopped at shutdown, resumes from checkpoint');
  await job.moveToWait(token);
  throw new WaitingError();
}

function isAbort(error: unknown): boolean {
  return (
    error instanceof Error &&
    (error.name === 'AbortError' || (error as { code?: string }).code === 'ABORT_ERR')
  );
}

/** Carries out the decision for a failure and returns the error for BullMQ to see. */
async function handleFailure(
  deps: ProcessorDeps,
  job: Job<SyncJobData>,
  token: string | undefined,
  error: unknown,
  stats: RunStats,
): Promise<Error> {
  // Request and ERP errors that reach this point have used up their retries inside the job.
  // Anything else (a Redis error while checkpointing, a bug) gets the job's own attempts.
  const retriedInside = error instanceof NymbleRequestError || error instanceof ErpUnavailableError;
  const attempts = job.opts.attempts ?? 1;
  const decided = (error as { decision?: Decision }).decision;
  const decision =
    retriedInside && decided
      ? decided
      : decide(error, retriedInside ? deps.policy : { ...deps.policy, maxAttempts: attempts }, {
          attempt: retriedInside ? Number.POSITIVE_INFINITY : job.attemptsMade + 1,
          rateLimitedForMs:
            stats.rateLimitedSinceMs === undefined ? 0 : Date.now() - stats.rateLimitedSinceMs,
          canRelogin: false,
        });

  if (decision.action === 'defer') return defer(deps, job, token, decision.delayMs, error, stats);
  // A short rate limit met outside the client's retry loop (the login in the scope check) is
  // waited out like a long one, rather than costing one of the job's attempts.
  if (decision.action === 'retry' && error instanceof RateLimitedError) {
    return defer(deps, job, token, decision.delayMs, error, stats);
  }
  if (decision.action === 'dead-letter') return deadLetter(deps, job, decision, error);
  if (job.attemptsMade + 1 >= attempts) {
    const reason = exhaustedReason(error);
    return deadLetter(deps, job, { action: 'dead-letter', reason, breaker: 'none' }, error);
  }

  deps.lifecycle.retrying(job, error);
  return error instanceof Error ? error : new Error(String(error));
}

/**
 * Holds the job back while Nymble's rate limit lasts. An API-wide limit closes the shared gate
 * and pauses every sync queue, so that no worker keeps calling. A limit on the login endpoint
 * only delays this job: other workers whose token is valid may go on.
 */
async function defer(
  deps: ProcessorDeps,
  job: Job<SyncJobData>,
  token: string | undefined,
  delayMs: number,
  error: unknown,
  stats: RunStats,
): Promise<Error> {
  const deferrals = job.data.deferrals ?? { count: 0, waitMs: 0 };
  await job.updateData({
    ...job.data,
    rateLimitedSinceMs: stats.rateLimitedSinceMs ?? Date.now(),
    deferrals: { count: deferrals.count + 1, waitMs: deferrals.waitMs + delayMs },
  });
  deps.metrics.retries.inc({ entity: job.data.entity, kind: 'deferral' });
  deps.lifecycle.deferred(
    job,
    delayMs,
    error instanceof RateLimitedError && error.loginOnly,
    error,
  );

  if (error instanceof RateLimitedError && error.loginOnly) {
    await job.moveToDelayed(Date.now() + delayMs, token);
    return new DelayedError();
  }
  await deps.gate.closeFor(delayMs);
  await deps.queues.rateLimitAll(delayMs);
  return new RateLimitError();
}

async function deadLetter(
  deps: ProcessorDeps,
  job: Job<SyncJobData>,
  decision: Extract<Decision, { action: 'dead-letter' }>,
  error: unknown,
): Promise<Error> {
  const entity = job.data.entity;
  const letter = await deps.deadLetters.add(await describeFailure(deps, job, decision, error));
  deps.lifecycle.deadLettered(job, letter, error);

  await deps.state.setLastRun(entity, {
    entity,
    jobId: job.id,
    result: 'failed' as const,
    reason: decision.reason,
    message: letter.message,
    finishedAt: letter.lastFailedAt,
  });
  if (decision.breaker !== 'none') {
    const entities = decision.breaker === 'all' ? ENTITY_NAMES : [entity];
    await deps.breaker.open(entities, {
      reason: decision.reason,
      message: letter.message,
      since: letter.lastFailedAt,
    });
    deps.lifecycle.breakerOpened(entities, decision.reason, letter.message);
  }
  return new UnrecoverableError(`${decision.reason}: ${letter.message}`);
}

async function describeFailure(
  deps: ProcessorDeps,
  job: Job<SyncJobData>,
  decision: Extract<Decision, { action: 'dead-letter' }>,
  error: unknown,
): Promise<NewDeadLetter> {
  const facts = error instanceof NymbleRequestError ? error.facts : undefined;
  const attempts =
    error instanceof NymbleRequestError ? (error as { attempts?: number }).attempts : undefined;
  const role =
    error instanceof ForbiddenError
      ? error.role
      : error instanceof ScopeNotAllowedError
        ? error.role
        : undefined;

  const message = error instanceof Error ? error.message : String(error);
  return {
    kind: 'sync',
    entity: job.data.entity,
    reason: decision.reason,
    message:
      decision.reason === 'rate_limit_exhausted'
        ? `${message}: waiting again would pass the ${deps.policy.rateLimitBudgetMs} ms that ` +
          'RATE_LIMIT_BUDGET_MS allows one sync; replay this dead letter once the limit has ' +
          'lifted, or raise RATE_LIMIT_BUDGET_MS'
        : message,
    status: facts?.status,
    endpoint: facts?.endpoint,
    requestId: facts?.requestId,
    role,
    attempts: attempts ?? job.attemptsMade + 1,
    watermark: await deps.state.getWatermark(job.data.entity),
    originalJob: { id: job.id, name: job.name, data: job.data },
  };
}
