import { createHmac, timingSafeEqual } from 'node:crypto';

/** Claims of an access token. Names follow the vendor's documented claims. */
export interface TokenClaims {
  OrganizationId: string;
  CustomerNumber: string;
  PriceTier: string;
  CurrencyCode: string;
  role: string;
  /** Only in tokens of role SalesRep: the rep whose customers the caller may see. */
  SalesRepId?: string;
  /** Expiry, in seconds since the epoch. */
  exp: number;
  /** Issue time, in seconds since the epoch. */
  iat: number;
  /** The ClientId that logged in. */
  sub: string;
  /** Unique token id. */
  jti: string;
  /** Credential version of the client at issue; a secret rotation increments it. */
  ver: number;
}

const HEADER = base64UrlJson({ alg: 'HS256', typ: 'JWT' });

/** Signs the claims as a compact JWS with HS256 (RFC 7515, RFC 7519). */
export function signToken(claims: TokenClaims, secret: string): string {
  const signingInput = `${HEADER}.${base64UrlJson(claims)}`;
  return `${signingInput}.${hmac(signingInput, secret)}`;
}

/**
 * Verifies an HS256 token's header and signature and returns its claims, or undefined when
 * the token is malformed, uses another algorithm, carries a bad signature or lacks a claim.
 * Expiry and revocation are the caller's checks.
 */
export function verifyToken(token: string, secret: string): TokenClaims | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) {
    return undefined;
  }
  const [header, payload, signature] = parts as [string, string, string];

  const decodedHeader = decodeJson(header);
  if (decodedHeader?.alg !== 'HS256') {
    return undefined;
  }
  const expected = Buffer.from(hmac(`${header}.${payload}`, secret));
  const actual = Buffer.from(signature);
  if (expected.length !== actual.length || !timingSafeEqual(expected, actual)) {
    return undefined;
  }

  const claims = decodeJson(payload);
  return claims !== undefined && hasClaimTypes(claims) ? claims : undefined;
}

const STRING_CLAIMS = [
  'OrganizationId',
  'CustomerNumber',
  'PriceTier',
  'CurrencyCode',
  'role',
  'sub',
  'jti',
];

function hasClaimTypes(
  claims: Record<string, unknown>,
): claims is Record<string, unknown> & TokenClaims {
  const strings = STRING_CLAIMS;
  const numbers = ['exp', 'iat', 'ver'];

  return (
    strings.every((name) => typeof claims[name] === 'string') &&
    numbers.every((name) => Number.isFinite(claims[name])) &&
    (claims.SalesRepId === undefined || typeof claims.SalesRepId === 'string')
  );
}

function hmac(input: string, secret: string): string {
  return createHmac('sha256', secret).update(input).digest('base64url');
}

function base64UrlJson(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

function decodeJson(segment: string): Record<string, unknown> | undefined {
  if (!/^[A-Za-z0-9_-]+$/.test(segment)) {
    return undefined;
  }
  try {
    const value: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}
