import { describe, expect, it } from 'vitest';

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
