/**
 * Credentials for the `x-api-key` header. Both methods that Nymble documents end in the same
 * header: a pre-issued API key, or a token from `POST /api/auth/login` (src/nymble/login.ts).
 */

/** Claims that Nymble puts in a login token. API keys carry none. */
export interface TokenClaims {
  OrganizationId?: string;
  CustomerNumber?: string;
  PriceTier?: string;
  CurrencyCode?: string;
  role?: string;
  /** Expiry, in seconds since the epoch. */
  exp?: number;
}

/** The header value for one attempt, with what is known about it. */
export interface AuthHeader {
  /** The `x-api-key` value. A secret: never log it or store it in plain text. */
  readonly value: string;
  /** True when the token was issued by a login made for this very attempt. */
  readonly fresh: boolean;
  readonly claims?: TokenClaims;
}

export interface CredentialProvider {
  readonly method: 'api-key' | 'login';

  /**
   * Returns the header for the next attempt. Called before every attempt, so that a retry
   * never carries a token that expired while it waited.
   */
  current(): Promise<AuthHeader>;

  /** Drops a token that Nymble rejected, so that the next `current()` logs in again. */
  invalidate(rejected: AuthHeader): Promise<void>;

  /** Logins sent by this process so far; 0 for API keys. */
  loginCount(): number;

  close(): Promise<void>;
}

export class ApiKeyCredential implements CredentialProvider {
  readonly method = 'api-key';
  readonly #header: AuthHeader;

  constructor(apiKey: string) {
    this.#header = { value: apiKey, fresh: false };
  }

  async current(): Promise<AuthHeader> {
    return this.#header;
  }

  // An API key has no expiry and cannot be renewed by the worker, so a 401 on it is final.
  async invalidate(): Promise<void> {}

  loginCount(): number {
    return 0;
  }

  async close(): Promise<void> {}

  toJSON(): object {
    return { method: this.method };
  }
}
