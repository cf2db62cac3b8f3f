import { describe, expect, it } from 'vitest';

import { RateLimitedError } from '../../src/errors.js';
import { parseRetryAfter } from '../../src/nymble/retry-after.js';

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-12-04T10:00:00.000Z');

  it('reads delay seconds', () => {
    expect(parseRetryAfter('2', now)).toBe(2_000);
    expect(parseRetryAfter(' 120 ', now)).toBe(120_000);
  });

  it('reads zero as retry now', () => {
    expect(parseRetryAfter('0', now)).toBe(0);
  });

  it('reads an HTTP date', () => {
    expect(parseRetryAfter('Fri, 04 Dec 2026 10:00:03 GMT', now)).toBe(3_000);
  });

  it('treats a past date as zero', () => {
    expect(parseRetryAfter('Fri, 04 Dec 2026 09:59:00 GMT', now)).toBe(0);
  });

  it('returns undefined when absent or unreadable', () => {
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter('-5', now)).toBeUndefined();
  });
});

describe('RateLimitedError message', () => {
  it('states the wait in readable units', () => {
    const facts = { endpoint: 'GET /api/orders', status: 429 };
    const message = (ms: number | undefined) => new RateLimitedError(facts, ms).message;

    expect(message(250)).toBe('GET /api/orders was rate limited (HTTP 429, Retry-After 250 ms)');
    expect(message(4_000)).toContain('Retry-After 4 s)');
    expect(message(1e26)).toContain('Retry-After over a year)');
    expect(message(undefined)).toContain('no Retry-After)');
  });
});
