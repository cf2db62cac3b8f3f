/**
 * Error classes of nymble-sync. Every error carries a stable `code` (documented in
 * docs/errors.md and never reused) and keeps the error it wraps as `cause`.
 *
 * Only `src/decisions.ts` turns these errors into queue decisions (retry now, retry later,
 * dead-letter); the code that throws them only describes what happened.
 */

export const ERROR_CODES = [
  'CONFIG_INVALID',
  'NYMBLE_RATE_LIMITED',
  'NYMBLE_UNAUTHORIZED',
  'NYMBLE_CREDENTIALS_REJECTED',
  'NYMBLE_FORBIDDEN',
  'NYMBLE_UNAVAILABLE',
  'NYMBLE_INVALID_RESPONSE',
  'NYMBLE_REQUEST_REJECTED',
  'NYMBLE_NOT_FOUND',
  'NYMBLE_SCOPE_NOT_ALLOWED',
  'ERP_UNAVAILABLE',
  'ERP_INVALID_RESULT',
  'CLI_INVALID_ARGUMENT',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** The endpoint of credential login, as `RequestFacts.endpoint` names it. */
export const LOGIN_ENDPOINT = 'POST /api/auth/login';

/** HTTP facts of a failed Nymble request, kept for dead letters and logs. Never contains headers. */
export interface RequestFacts {
  /** Method and path without the query string, for example `GET /api/products`. */
  endpoint: string;
  /** HTTP status, or undefined when no response arrived. */
  status?: number;
  /** The `x-request-id` response header, when Nymble sent one. */
  requestId?: string;
  /** `code` from Nymble's JSON error body, when present. */
  remoteCode?: string;
}

export class NymbleSyncError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

export class ConfigError extends NymbleSyncError {
  /** One line per invalid variable, each naming the variable, the value and the fix. */
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super('CONFIG_INVALID', `Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.problems = problems;
  }
}

/** A failed Nymble request: the base of the errors that the decision table branches on. */
export class NymbleRequestError extends NymbleSyncError {
  readonly facts: RequestFacts;

  constructor(
    code: ErrorCode,
    message: string,
    facts: RequestFacts,
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
    this.facts = facts;
  }
}

/** Formats a Retry-After wait for a message: ms below a second, then seconds, capped at a year. */
function formatWait(ms: number): string {
  if (ms < 1_000) return `${ms} ms`;
  if (ms > 365 * 86_400_000) return 'over a year';
  return `${Math.round(ms / 1_000)} s`;
}

export class RateLimitedError extends NymbleRequestError {
  /** Delay that `Retry-After` asked for, in milliseconds; undefined when the header was absent. */
  readonly retryAfterMs: number | undefined;

  constructor(facts: RequestFacts, retryAfterMs: number | undefined) {
    const wait =
      retryAfterMs === undefined ? 'no Retry-After' : `Retry-After ${formatWait(retryAfterMs)}`;
    super('NYMBLE_RATE_LIMITED', `${facts.endpoint} was rate limited (HTTP 429, ${wait})`, facts);
    this.retryAfterMs = retryAfterMs;
  }

  /**
   * True when only the login endpoint is limited. Data requests with a valid token may go on,
   * so such a limit must not close the gate that every request checks.
   */
  get loginOnly(): boolean {
    return this.facts.endpoint === LOGIN_ENDPOINT;
  }
}

export class UnauthorizedError extends NymbleRequestError {
  /** True when the credential that was sent had just been issued, so re-logging in cannot help. */
  readonly credentialFresh: boolean;

  constructor(facts: RequestFacts, credentialFresh: boolean, detail?: string) {
    const suffix = detail ? `: ${detail}` : '';
    super(
      'NYMBLE_UNAUTHORIZED',
      `${facts.endpoint} rejected the credential (HTTP 401${suffix}). ` +
        'Check NYMBLE_API_KEY or the login credentials; workers read a changed value only when ' +
        'they restart.',
      facts,
    );
    this.credentialFresh = credentialFresh;
  }
}

/** The login endpoint rejected OrgCode, ClientId or ClientSecret. */
export class CredentialsRejectedError extends NymbleRequestError {
  constructor(facts: RequestFacts, detail?: string) {
    const suffix = detail ? `: ${detail}` : '';
    super(
      'NYMBLE_CREDENTIALS_REJECTED',
      `Login was rejected (HTTP ${facts.status ?? 401}${suffix}). ` +
        'Check NYMBLE_ORG_CODE, NYMBLE_CLIENT_ID and NYMBLE_CLIENT_SECRET; workers read a changed ' +
        'value only when they restart.',
      facts,
    );
  }
}

export class ForbiddenError extends NymbleRequestError {
  /** Role of the credential that was denied, when known (from token claims, or Admin for keys). */
  readonly role: string | undefined;

  constructor(facts: RequestFacts, role: string | undefined, detail?: string) {
    const who = role ? `role ${role}` : 'this credential';
    const suffix = detail ? `: ${detail}` : '';
    super(
      'NYMBLE_FORBIDDEN',
      `${facts.endpoint} returned HTTP 403 for ${who}${suffix}. ` +
        'Ask the Nymble administrator for a role that may read this endpoint.',
      facts,
    );
    this.role = role;
  }
}

/** 5xx, timeouts, connection resets, truncated or non-JSON bodies: worth retrying. */
export class UnavailableError extends NymbleRequestError {
  constructor(facts: RequestFacts, message: string, options?: { cause?: unknown }) {
    super('NYMBLE_UNAVAILABLE', message, facts, options);
  }
}

/** A JSON body that does not match the documented shape. Retrying returns the same page. */
export class InvalidResponseError extends NymbleRequestError {
  constructor(facts: RequestFacts, message: string, options?: { cause?: unknown }) {
    super('NYMBLE_INVALID_RESPONSE', message, facts, options);
  }
}

/** Any other 4xx: the request itself is wrong, so a retry would fail the same way. */
export class RequestRejectedError extends NymbleRequestError {
  constructor(facts: RequestFacts, message: string) {
    super('NYMBLE_REQUEST_REJECTED', message, facts);
  }
}

export class NotFoundError extends NymbleRequestError {
  constructor(facts: RequestFacts) {
    super('NYMBLE_NOT_FOUND', `${facts.endpoint} was not found (HTTP 404)`, facts);
  }
}

/** A Customer or SalesRep token would see only part of the organization. */
export class ScopeNotAllowedError extends NymbleSyncError {
  readonly role: string;

  constructor(role: string) {
    super(
      'NYMBLE_SCOPE_NOT_ALLOWED',
      `The login token has role ${role}, which sees only part of the organization's orders and ` +
        'tier prices. Use an Admin credential or an API key, or set NYMBLE_ALLOW_SCOPED_SYNC=true ' +
        'to sync only what this role can see.',
    );
    this.role = role;
  }
}

/** The ERP adapter failed as a whole (not one record): the page is retried. */
export class ErpUnavailableError extends NymbleSyncError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERP_UNAVAILABLE', message, options);
  }
}

/** The ERP adapter returned outcomes that do not match the records it was given. */
export class ErpInvalidResultError extends NymbleSyncError {
  constructor(message: string) {
    super('ERP_INVALID_RESULT', message);
  }
}

export class CliArgumentError extends NymbleSyncError {
  constructor(message: string) {
    super('CLI_INVALID_ARGUMENT', message);
  }
}
