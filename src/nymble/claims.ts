/**
 * Reads the claims of a Nymble login token, a compact JWS (RFC 7515) carrying JWT claims
 * (RFC 7519). The signature is NOT verified: this client is not the issuer and has no key, so
 * it reads the claims only to schedule refreshes and to report the role and price tier. It never
 * grants anything on their basis, and Nymble checks the signature on every request.
 */
import { z } from 'zod';

import type { TokenClaims } from './credentials.js';

/** A token that cannot be decoded. The message names the problem but never contains the token. */
export class InvalidTokenError extends Error {
  constructor(problem: string) {
    super(`Invalid access token: ${problem}`);
    this.name = 'InvalidTokenError';
  }
}

// Documented claims are type-checked when present. Other claims (iat, sub, jti) are ignored.
const claimsSchema = z.object({
  OrganizationId: z.string().optional(),
  CustomerNumber: z.string().optional(),
  PriceTier: z.string().optional(),
  CurrencyCode: z.string().optional(),
  role: z.string().optional(),
  exp: z.number().finite().optional(),
});

const BASE64URL = /^[A-Za-z0-9_-]+$/;

/** Decodes the payload of `token` and returns its documented claims. Throws InvalidTokenError. */
export function decodeTokenClaims(token: string): TokenClaims {
  if (typeof token !== 'string' || token.length === 0) {
    throw new InvalidTokenError('expected a non-empty string');
  }

  const segments = token.split('.');
  if (segments.length !== 3) {
    throw new InvalidTokenError(`expected 3 dot-separated segments, got ${segments.length}`);
  }

  const payload = decodeSegment(segments[1] ?? '', 'payload');
  return checkClaims(payload);
}

/**
 * Returns true when the token expires within `skewSeconds` of `nowMs` (ms since the epoch), or
 * has expired. RFC 7519 section 4.1.4 defines `exp` as the time on or after which the token
 * must not be accepted, so the `exp` second itself counts as expired.
 * Claims without `exp` give false, because only the login response's ExpiresIn bounds them.
 */
export function isExpired(claims: TokenClaims, nowMs: number, skewSeconds: number): boolean {
  if (claims.exp === undefined) return false;
  return nowMs >= (claims.exp - skewSeconds) * 1000;
}

function decodeSegment(segment: string, name: string): unknown {
  if (!BASE64URL.test(segment)) {
    throw new InvalidTokenError(`the ${name} segment is empty or not base64url`);
  }

  const text = Buffer.from(segment, 'base64url').toString('utf8');
  try {
    return JSON.parse(text);
  } catch {
    throw new InvalidTokenError(`the ${name} segment is not valid JSON`);
  }
}

function checkClaims(payload: unknown): TokenClaims {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    throw new InvalidTokenError('the payload is not a JSON object');
  }

  const parsed = claimsSchema.safeParse(payload);
  if (!parsed.success) {
    // zod's messages name the expected and received types, never the value.
    const problems = parsed.error.issues.map(
      (issue) => `claim ${issue.path.join('.')}: ${issue.message}`,
    );
    throw new InvalidTokenError(problems.join('; '));
  }
  return parsed.data;
}
