import { describe, expect, it } from 'vitest';

import {
  backoffDelayMs,
  decide,
  type Decision,
  type FailureContext,
  type RetryPolicy,
} from '../../src/decisions.js';
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
} from '../../src/errors.js';

const policy: RetryPolicy = {
  maxAttempts: 4,
  baseDelayMs: 100,
  maxDelayMs: 1_000,
  inlineWaitMaxMs: 5_000,
  rateLimitBudgetMs: 60_000,
};
const facts = { endpoint: 'GET /api/products', status: 500 };
const context = (overrides: Partial<FailureContext> = {}): FailureContext => ({
  attempt: 1,
  rateLimitedForMs: 0,
  canRelogin: false,
  random: () => 0.5,
  ...overrides,
});

const cases: Array<[string, unknown, Partial<FailureContext>, Decision]> = [
  [
    '429 with short Retry-After',
    new RateLimitedError(facts, 2_000),
    {},
    { action: 'retry', delayMs: 2_000, rateLimited: true },
  ],
  [
    '429 with Retry-After 0',
    new RateLimitedError(facts, 0),
    {},
    { action: 'retry', delayMs: 0, rateLimited: true },
  ],
  [
    '429 without Retry-After',
    new RateLimitedError(facts, undefined),
    { rateLimitAttempt: 2 },
    { action: 'retry', delayMs: 150, rateLimited: true },
  ],
  [
    'second 429 with Retry-After 0',
    new RateLimitedError(facts, 0),
    { rateLimitAttempt: 2 },
    { action: 'retry', delayMs: 75, rateLimited: true },
  ],
  [
    'fourth 429 with Retry-After 0',
    new RateLimitedError(facts, 0),
    { rateLimitAttempt: 4 },
    { action: 'retry', delayMs: 300, rateLimited: true },
  ],
  [
    'later 429 with longer Retry-After',
    new RateLimitedError(facts, 2_000),
    { rateLimitAttempt: 3 },
    { action: 'retry', delayMs: 2_000, rateLimited: true },
  ],
  [
    '429 with long Retry-After',
    new RateLimitedError(facts, 30_000),
    {},
    { action: 'defer', delayMs: 30_000 },
  ],
  [
    '429 past the budget',
    new RateLimitedError(facts, 2_000),
    { rateLimitedForMs: 59_000 },
    { action: 'dead-letter', reason: 'rate_limit_exhausted', breaker: 'none' },
  ],
  [
    '503 on first attempt',
    new UnavailableError(facts, 'down'),
    {},
    { action: 'retry', delayMs: 75, rateLimited: false },
  ],
  [
    '503 on third attempt',
    new UnavailableError(facts, 'down'),
    { attempt: 3 },
    { action: 'retry', delayMs: 300, rateLimited: false },
  ],
  [
    '503 on last attempt',
    new UnavailableError(facts, 'down'),
    { attempt: 4 },
    { action: 'dead-letter', reason: 'transient_exhausted', breaker: 'none' },
  ],
  [
    'ERP down, attempts left',
    new ErpUnavailableError('down'),
    { attempt: 1 },
    { action: 'retry', delayMs: 75, rateLimited: false },
  ],
  [
    'ERP down, attempts spent',
    new ErpUnavailableError('down'),
    { attempt: 4 },
    { action: 'dead-letter', reason: 'erp_unavailable', breaker: 'none' },
  ],
  [
    '401 on an API key',
    new UnauthorizedError(facts, false),
    {},
    { action: 'dead-letter', reason: 'unauthorized', breaker: 'entity' },
  ],
  [
    '401 on an old token',
    new UnauthorizedError(facts, false),
    { canRelogin: true },
    { action: 'relogin' },
  ],
  [
    '401 on a fresh token',
    new UnauthorizedError(facts, true),
    { canRelogin: true },
    { action: 'dead-letter', reason: 'unauthorized', breaker: 'entity' },
  ],
  [
    'login rejected',
    new CredentialsRejectedError(facts),
    { canRelogin: true },
    { action: 'dead-letter', reason: 'credentials_rejected', breaker: 'all' },
  ],
  [
    '403',
    new ForbiddenError(facts, 'Customer'),
    {},
    { action: 'dead-letter', reason: 'forbidden', breaker: 'entity' },
  ],
  [
    'scope not allowed',
    new ScopeNotAllowedError('SalesRep'),
    {},
    { action: 'dead-letter', reason: 'scope_not_allowed', breaker: 'all' },
  ],
  [
    'invalid page',
    new InvalidResponseError(facts, 'bad'),
    {},
    { action: 'dead-letter', reason: 'invalid_response', breaker: 'none' },
  ],
  [
    'other 4xx',
    new RequestRejectedError(facts, 'bad'),
    {},
    { action: 'dead-letter', reason: 'request_rejected', breaker: 'none' },
  ],
  [
    '404',
    new NotFoundError(facts),
    {},
    { action: 'dead-letter', reason: 'request_rejected', breaker: 'none' },
  ],
  [
    'ERP outcome mismatch',
    new ErpInvalidResultError('bad'),
    {},
    { action: 'dead-letter', reason: 'erp_invalid_result', breaker: 'none' },
  ],
  [
    'unknown error, attempts left',
    new Error('boom'),
    { attempt: 1 },
    { action: 'retry', delayMs: 75, rateLimited: false },
  ],
  [
    'unknown error, attempts spent',
    new Error('boom'),
    { attempt: 4 },
    { action: 'dead-letter', reason: 'unexpected_error', breaker: 'none' },
  ],
];

describe('decide', () => {
  it.each(cases)('%s', (_name, error, overrides, expected) => {
    expect(decide(error, policy, context(overrides))).toEqual(expected);
  });
});

describe('backoffDelayMs', () => {
  it('grows exponentially up to the cap', () => {
    const top = () => 0.999_999;
    expect(backoffDelayMs(policy, 1, top)).toBe(100);
    expect(backoffDelayMs(policy, 2, top)).toBe(200);
    expect(backoffDelayMs(policy, 4, top)).toBe(800);
    expect(backoffDelayMs(policy, 10, top)).toBe(1_000);
  });

  it('keeps jitter between half and all', () => {
    expect(backoffDelayMs(policy, 3, () => 0)).toBe(200);
    expect(backoffDelayMs(policy, 3, () => 0.999_999)).toBe(400);
  });
});
