import { describe, expect, it } from 'vitest';

import { decodeTokenClaims, InvalidTokenError, isExpired } from '../../src/nymble/claims.js';

// The example AccessToken of Nymble's authentication guide. Its signature is a placeholder.
const VENDOR_EXAMPLE_TOKEN =
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.' +
  'eyJPcmdhbml6YXRpb25JZCI6IjY1OTA0OTM3NDU3MzE0MjIyYzNmMWNiNCIsIkN1c3RvbWVyTnVtYmVyIjoiQ1VT' +
  'VDQ1NiIsIlByaWNlVGllciI6Ildob2xlc2FsZSIsIkN1cnJlbmN5Q29kZSI6IlVTRCIsInJvbGUiOiJDdXN0b21l' +
  'ciIsImV4cCI6MTczNTY4OTYwMH0.fake_signature';

const EXAMPLE_EXP_MS = Date.UTC(2025, 0, 1);

function segment(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

function tokenWith(payload: unknown): string {
  return `${segment({ alg: 'HS256', typ: 'JWT' })}.${segment(payload)}.c2lnbmF0dXJl`;
}

describe('decodeTokenClaims', () => {
  it('decodes the vendor example token', () => {
    const claims = decodeTokenClaims(VENDOR_EXAMPLE_TOKEN);

    expect(claims.OrganizationId).toBe('65904937457314222c3f1cb4');
    expect(claims.CustomerNumber).toBe('CUST456');
    expect(claims.PriceTier).toBe('Wholesale');
    expect(claims.CurrencyCode).toBe('USD');
    expect(claims.role).toBe('Customer');
    expect(claims.exp).toBe(1735689600);
  });

  it('ignores claims outside the documented set', () => {
    const claims = decodeTokenClaims(tokenWith({ role: 'Admin', sub: 'sync-admin', iat: 1 }));

    expect(claims).toEqual({ role: 'Admin' });
  });

  it('accepts a token without exp', () => {
    const claims = decodeTokenClaims(tokenWith({ role: 'Admin' }));

    expect(claims.exp).toBeUndefined();
  });

  const notJson = Buffer.from('{oops').toString('base64url');
  const malformed: Array<{ name: string; token: string; problem: RegExp }> = [
    { name: 'empty string', token: '', problem: /non-empty string/ },
    {
      name: 'one segment',
      token: 'nk_live_0123456789abcdef',
      problem: /3 dot-separated segments, got 1/,
    },
    { name: 'four segments', token: 'a.b.c.d', problem: /3 dot-separated segments, got 4/ },
    {
      name: 'empty payload',
      token: 'eyJhbGciOiJIUzI1NiJ9..c2ln',
      problem: /payload segment is empty/,
    },
    { name: 'non-base64url payload', token: 'eyJhbGci.pay+load/=.c2ln', problem: /not base64url/ },
    { name: 'non-JSON payload', token: `eyJhbGci.${notJson}.c2ln`, problem: /not valid JSON/ },
    { name: 'array payload', token: tokenWith(['role', 'Admin']), problem: /not a JSON object/ },
    {
      name: 'string exp',
      token: tokenWith({ exp: '1735689600' }),
      problem: /claim exp: .*expected number/,
    },
    {
      name: 'numeric role',
      token: tokenWith({ role: 7 }),
      problem: /claim role: .*expected string/,
    },
  ];

  for (const { name, token, problem } of malformed) {
    it(`rejects ${name}`, () => {
      let thrown: unknown;
      try {
        decodeTokenClaims(token);
      } catch (error) {
        thrown = error;
      }

      expect(thrown).toBeInstanceOf(InvalidTokenError);
      const message = (thrown as Error).message;
      expect(message).toMatch(/^Invalid access token: /);
      expect(message).toMatch(problem);
      if (token !== '') expect(message).not.toContain(token);
      for (const part of token.split('.').filter((piece) => piece.length > 4)) {
        expect(message).not.toContain(part);
      }
    });
  }

  it('rejects a non-string value', () => {
    expect(() => decodeTokenClaims(undefined as unknown as string)).toThrow(InvalidTokenError);
  });
});

describe('isExpired', () => {
  const claims = decodeTokenClaims(VENDOR_EXAMPLE_TOKEN);

  it('reports the example expired now', () => {
    expect(isExpired(claims, Date.now(), 0)).toBe(true);
  });

  it('treats the exp second as expired', () => {
    expect(isExpired(claims, EXAMPLE_EXP_MS, 0)).toBe(true);
    expect(isExpired(claims, EXAMPLE_EXP_MS - 1, 0)).toBe(false);
  });

  it('applies the refresh skew', () => {
    const fiveMinutesBefore = EXAMPLE_EXP_MS - 300_000;

    expect(isExpired(claims, fiveMinutesBefore - 1, 300)).toBe(false);
    expect(isExpired(claims, fiveMinutesBefore, 300)).toBe(true);
  });

  it('never expires claims without exp', () => {
    expect(isExpired({ role: 'Admin' }, Number.MAX_SAFE_INTEGER, 300)).toBe(false);
  });
});
