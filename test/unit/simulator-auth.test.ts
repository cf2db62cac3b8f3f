import { describe, expect, it } from 'vitest';

import { retryAfterHeader } from '../../src/simulator/fault-responses.js';
import { validatePlan } from '../../src/simulator/fault-plan.js';
import { LoginLimiter } from '../../src/simulator/login-limit.js';
import { RolePolicy } from '../../src/simulator/roles.js';
import { signToken, verifyToken, type TokenClaims } from '../../src/simulator/token.js';

const CLAIMS: TokenClaims = {
  OrganizationId: 'org-1',
  CustomerNumber: 'CUST456',
  PriceTier: 'Wholesale',
  CurrencyCode: 'USD',
  role: 'Customer',
  exp: 2_000_000_000,
  iat: 1_999_913_600,
  sub: 'client-1',
  jti: 'token-1',
  ver: 1,
};

describe('simulator token', () => {
  it('verifies its own signature', () => {
    expect(verifyToken(signToken(CLAIMS, 'secret'), 'secret')).toEqual(CLAIMS);
  });

  it('rejects wrong secret', () => {
    expect(verifyToken(signToken(CLAIMS, 'secret'), 'other')).toBeUndefined();
  });

  it('rejects missing claims', () => {
    const { jti: _jti, ...withoutJti } = CLAIMS;
    const token = signToken(withoutJti as TokenClaims, 'secret');

    expect(verifyToken(token, 'secret')).toBeUndefined();
  });

  it('rejects malformed tokens', () => {
    for (const token of ['', 'abc', 'a.b', 'a.b.c.d', '!!.??.**']) {
      expect(verifyToken(token, 'secret')).toBeUndefined();
    }
  });
});

describe('simulator login limiter', () => {
  it('admits up to limit', () => {
    const limiter = new LoginLimiter(3);

    expect([0, 1, 2].map((second) => limiter.admit('a', second * 1000))).toEqual([0, 0, 0]);
    expect(limiter.admit('a', 3000)).toBe(57);
    expect(limiter.admit('b', 3000)).toBe(0);
  });

  it('rejected requests take no slot', () => {
    const limiter = new LoginLimiter(1);
    limiter.admit('a', 0);

    expect(limiter.admit('a', 59_500)).toBe(1);
    expect(limiter.admit('a', 60_000)).toBe(0);
  });
});

describe('simulator role policy', () => {
  it('default table and overrides', () => {
    const policy = new RolePolicy();

    expect(policy.isAllowed('Customer', '/api/customers')).toBe(false);
    expect(policy.isAllowed('SalesRep', '/api/customers')).toBe(true);
    expect(policy.isAllowed('Customer', '/api/orders/ord_000001')).toBe(true);

    policy.deny('Customer', '/api/orders');
    expect(policy.isAllowed('Customer', '/api/orders/ord_000001')).toBe(false);
    expect(policy.isAllowed('Customer', '/api/ordersx')).toBe(false);
    expect(policy.isAllowed('Customer', '/api/products')).toBe(true);

    policy.allow('Customer', '/api/orders/ord_000001');
    expect(policy.isAllowed('Customer', '/api/orders/ord_000001')).toBe(true);
    expect(policy.isAllowed('Customer', '/api/orders')).toBe(false);
  });

  it('rejects unknown role', () => {
    expect(() => new RolePolicy().deny('Owner', '/api/orders')).toThrow(/Owner/);
    expect(() => new RolePolicy().deny('Admin', 'orders')).toThrow(/path/);
  });
});

describe('simulator fault plans', () => {
  it('errors name the field', () => {
    expect(() => validatePlan({ rateLimit: { count: 'x' } })).toThrow(/rateLimit\.count/);
    expect(() => validatePlan({ serverErrors: { status: 200 } })).toThrow(/serverErrors\.status/);
    expect(() => validatePlan({ malformedPages: { count: 1 } })).toThrow(/malformedPages\.kind/);
    expect(() => validatePlan({ retry: 1 })).toThrow(/retry is not a fault/);
  });

  it('fills documented defaults', () => {
    expect(validatePlan({ rateLimit: { count: 1 }, serverErrors: {} })).toEqual({
      rateLimit: { remaining: 1, retryAfter: '1' },
      serverErrors: { remaining: -1, rate: 1, status: 503 },
    });
  });

  it('retry-after date rounds up', () => {
    const now = Date.parse('2026-01-05T10:00:00.300Z');

    expect(retryAfterHeader('date:+2000', now)).toBe('Mon, 05 Jan 2026 10:00:03 GMT');
    expect(retryAfterHeader('7', now)).toBe('7');
  });
});
