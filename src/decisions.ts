/**
 * The one place that turns a failure into what happens next: retry inside the job, defer the
 * job while Nymble's rate limit lasts, log in again, or dead-letter. The Nymble client calls it
 * between attempts, and the job boundary calls it once more for what escaped the client.
 * test/unit/decisions.test.ts checks it as a table.
 */
import {
  CredentialsRejectedError,
  ErpInvalidResultError,
  ErpUnavailableError,
  ForbiddenError,
  InvalidResponseError,
  NotFoundError,
  RateLimitedError,
  RequestRejectedError,
  ScopeNotAllowedError,
  UnauthorizedError,
  UnavailableError,
} from './errors.js';

/** Reason a job or record ended in a dead-letter queue; docs/errors.md lists them. */
export type DeadLetterReason =
  | 'unauthorized'
  | 'credentials_rejected'
  | 'forbidden'
  | 'rate_limit_exhausted'
  | 'transient_exhausted'
  | 'invalid_response'
  | 'request_rejected'
  | 'scope_not_allowed'
  | 'erp_unavailable'
  | 'erp_invalid_result'
  | 'erp_rejected'
  | 'invalid_record'
  | 'unexpected_error';

export const DEAD_LETTER_REASONS: readonly DeadLetterReason[] = [
  'unauthorized',
  'credentials_rejected',
  'forbidden',
  'rate_limit_exhausted',
  'transient_exhausted',
  'invalid_response',
  'request_rejected',
  'scope_not_allowed',
  'erp_unavailable',
  'erp_invalid_result',
  'erp_rejected',
  'invalid_record',
  'unexpected_error',
];

/** Scope of the schedules a dead letter pauses: none, the failing entity's, or every entity's. */
export type BreakerScope = 'none' | 'entity' | 'all';

/** Reasons that concern the credential itself, so they pause every entity at once. */
export const FLEET_WIDE_REASONS: ReadonlySet<DeadLetterReason> = new Set([
  'credentials_rejected',
  'scope_not_allowed',
]);

export type Decision =
  | { action: 'retry'; delayMs: number; rateLimited: boolean }
  | { action: 'defer'; delayMs: number }
  | { action: 'relogin' }
  | { action: 'dead-letter'; reason: DeadLetterReason; breaker: BreakerScope };

export interface RetryPolicy {
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  inlineWaitMaxMs: number;
  rateLimitBudgetMs: number;
}

export interface FailureContext {
  /** Attempts made so far for this request, the failed one included (1 after the first failure). */
  attempt: number;
  /** Milliseconds since this sync first met a 429; 0 before that. */
  rateLimitedForMs: number;
  /** 429s met by this request so far, the failed one included; 0 when it met none. */
  rateLimitAttempt?: number;
  /** True when the credential is a login token that a new login could replace. */
  canRelogin: boolean;
  /** Returns a number in [0, 1) for jitter; tests pass a fixed value. */
  random?: () => number;
}

/**
 * Returns the backoff before the next attempt: exponential from `baseDelayMs`, capped at
 * `maxDelayMs`, with jitter between half and all of it so that workers do not retry in step.
 */
export function backoffDelayMs(policy: RetryPolicy, attempt: number, random = Math.random): number {
  const exponential = policy.baseDelayMs * 2 ** Math.max(0, attempt - 1);
  const capped = Math.min(policy.maxDelayMs, exponential);
  return Math.round(capped * (0.5 + random() / 2));
}

function decideRateLimit(
  error: RateLimitedError,
  policy: RetryPolicy,
  context: FailureContext,
): Decision {
  const random = context.random ?? Math.random;
  const attempt = Math.max(1, context.rateLimitAttempt ?? 1);
  // The first Retry-After is honoured as sent, 0 included. After that, a Retry-After shorter
  // than the backoff (0 again, or a date already past) gets the backoff, so that a server that
  // keeps responding "retry now" cannot drive a hot loop.
  const backoff = backoffDelayMs(policy, attempt - 1, random);
  const delayMs =
    error.retryAfterMs === undefined
      ? backoffDelayMs(policy, attempt, random)
      : attempt === 1
        ? error.retryAfterMs
        : Math.max(error.retryAfterMs, backoff);

  if (context.rateLimitedForMs + delayMs > policy.rateLimitBudgetMs) {
    return { action: 'dead-letter', reason: 'rate_limit_exhausted', breaker: 'none' };
  }
  if (delayMs <= policy.inlineWaitMaxMs) return { action: 'retry', delayMs, rateLimited: true };
  return { action: 'defer', delayMs };
}

function decideTransient(
  policy: RetryPolicy,
  context: FailureContext,
  reason: DeadLetterReason,
): Decision {
  if (context.attempt >= policy.maxAttempts)
    return { action: 'dead-letter', reason, breaker: 'none' };

  const delayMs = backoffDelayMs(policy, context.attempt, context.random);
  return { action: 'retry', delayMs, rateLimited: false };
}

/**
 * Returns the dead-letter reason for a retryable failure whose attempts are all spent, so
 * that a failure never ends without a dead letter.
 */
export function exhaustedReason(error: unknown): DeadLetterReason {
  if (error instanceof RateLimitedError) return 'rate_limit_exhausted';
  if (error instanceof UnavailableError) return 'transient_exhausted';
  if (error instanceof ErpUnavailableError) return 'erp_unavailable';
  return 'unexpected_error';
}

/** Decides what follows a failure. Pure: the caller carries the decision out. */
export function decide(error: unknown, policy: RetryPolicy, context: FailureContext): Decision {
  const deadLetter = (reason: DeadLetterReason, breaker: BreakerScope = 'none'): Decision => ({
    action: 'dead-letter',
    reason,
    breaker,
  });

  if (error instanceof RateLimitedError) return decideRateLimit(error, policy, context);
  if (error instanceof UnavailableError)
    return decideTransient(policy, context, 'transient_exhausted');
  if (error instanceof ErpUnavailableError)
    return decideTransient(policy, context, 'erp_unavailable');

  if (error instanceof UnauthorizedError) {
    if (context.canRelogin && !error.credentialFresh) return { action: 'relogin' };
    return deadLetter('unauthorized', 'entity');
  }
  if (error instanceof CredentialsRejectedError) return deadLetter('credentials_rejected', 'all');
  if (error instanceof ForbiddenError) return deadLetter('forbidden', 'entity');
  if (error instanceof ScopeNotAllowedError) return deadLetter('scope_not_allowed', 'all');
  if (error instanceof InvalidResponseError) return deadLetter('invalid_response');
  if (error instanceof RequestRejectedError || error instanceof NotFoundError) {
    return deadLetter('request_rejected');
  }
  if (error instanceof ErpInvalidResultError) return deadLetter('erp_invalid_result');

  // A programming error or an unforeseen failure: retried a bounded number of times in case it
  // was passing, then dead-lettered with its message so that it is visible.
  return decideTransient(policy, context, 'unexpected_error');
}
