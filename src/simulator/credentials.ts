import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';

import type { SimulatedClock } from './clock.js';
import { invalidRequest, SimulatorHttpError } from './errors.js';
import { ROLES, type ResolvedClient, type ResolvedOptions } from './options.js';
import { signToken, verifyToken, type TokenClaims } from './token.js';
import type { AuthKind, Role } from './types.js';
import { API_KEY_VIEW, type CallerView } from './views.js';

/** An authenticated caller of an /api route. */
export interface Caller {
  auth: Exclude<AuthKind, 'none'>;
  /** The token's ClientId; undefined for the API key. */
  clientId?: string;
  view: CallerView;
}

/** The login fields after validation. */
export interface LoginRequest {
  OrgCode: string;
  ClientId: string;
  ClientSecret: string;
}

export interface LoginResponse {
  AccessToken: string;
  TokenType: 'api-key';
  ExpiresIn: number;
}

interface ClientState {
  client: ResolvedClient;
  secretDigest: Buffer;
  /** Incremented by each secret rotation; tokens carry the version they were issued under. */
  version: number;
}

/** The organization's API key, login clients and token issuing and checking. */
export class Credentials {
  readonly #options: ResolvedOptions;
  readonly #clock: SimulatedClock;
  readonly #clients = new Map<string, ClientState>();
  #apiKeyRevoked = false;

  constructor(options: ResolvedOptions, clock: SimulatedClock) {
    this.#options = options;
    this.#clock = clock;
    for (const client of options.clients) {
      const state = { client, secretDigest: digest(client.clientSecret), version: 1 };
      this.#clients.set(client.clientId, state);
    }
  }

  /** Checks the credentials and issues a token; throws 401 invalid_credentials on a mismatch. */
  login(request: LoginRequest): LoginResponse {
    const state = this.#clients.get(request.ClientId);
    const orgMatches = request.OrgCode === this.#options.orgCode;
    const secretMatches =
      state !== undefined && timingSafeEqual(state.secretDigest, digest(request.ClientSecret));

    if (!orgMatches || !secretMatches) {
      throw new SimulatorHttpError(
        401,
        'invalid_credentials',
        'The OrgCode, ClientId or ClientSecret is not valid; check the provisioned credentials',
      );
    }
    return {
      AccessToken: this.#issueToken(state),
      TokenType: 'api-key',
      ExpiresIn: this.#options.tokenTtlSeconds,
    };
  }

  /**
   * Resolves the x-api-key header value to a caller, or throws a 401 with the code
   * missing_credential, invalid_credential, token_expired or credential_revoked.
   */
  authenticate(headerValue: string | undefined): Caller {
    if (headerValue === undefined || headerValue.trim() === '') {
      throw unauthorized(
        'missing_credential',
        'The x-api-key header is missing; send the API key or an access token',
      );
    }
    if (headerValue === this.#options.apiKey) {
      if (this.#apiKeyRevoked) {
        throw unauthorized(
          'credential_revoked',
          'The API key has been revoked; ask the administrator for a new one',
        );
      }
      return { auth: 'api-key', view: API_KEY_VIEW };
    }
    return this.#authenticateToken(headerValue);
  }

  setApiKeyRevoked(revoked: boolean, key: string | undefined): void {
    if (key !== undefined && key !== this.#options.apiKey) {
      throw invalidRequest(
        'The key is not the provisioned API key; omit it to target the provisioned key',
      );
    }
    this.#apiKeyRevoked = revoked;
  }

  rotateClientSecret(clientId: string, newSecret: string): void {
    const state = this.#clients.get(clientId);
    if (state === undefined) {
      throw new SimulatorHttpError(404, 'not_found', `No client has the ClientId ${clientId}`);
    }
    if (typeof newSecret !== 'string' || newSecret === '') {
      throw invalidRequest('clientSecret must be a non-empty string');
    }
    state.client = { ...state.client, clientSecret: newSecret };
    state.secretDigest = digest(newSecret);
    state.version += 1;
  }

  #issueToken(state: ClientState): string {
    const client = state.client;
    const issuedAt = Math.floor(this.#clock.now() / 1000);
    const claims: TokenClaims = {
      OrganizationId: this.#options.organizationId,
      CustomerNumber: client.customerNumber,
      PriceTier: client.priceTier,
      CurrencyCode: client.currencyCode,
      role: client.role,
      ...(client.role === 'SalesRep' ? { SalesRepId: client.salesRepId } : {}),
      exp: issuedAt + this.#options.tokenTtlSeconds,
      iat: issuedAt,
      sub: client.clientId,
      jti: randomUUID(),
      ver: state.version,
    };
    return signToken(claims, this.#options.signingSecret);
  }

  /** Checks, in order: signature and claims, organization, expiry, then revocation. */
  #authenticateToken(token: string): Caller {
    const claims = verifyToken(token, this.#options.signingSecret);
    const state = claims === undefined ? undefined : this.#clients.get(claims.sub);
    if (
      claims === undefined ||
      state === undefined ||
      claims.OrganizationId !== this.#options.organizationId ||
      !ROLES.includes(claims.role as Role)
    ) {
      throw unauthorized(
        'invalid_credential',
        'The x-api-key value is neither the API key nor a valid access token; log in again',
      );
    }
    if (claims.exp <= Math.floor(this.#clock.now() / 1000)) {
      throw unauthorized(
        'token_expired',
        'The access token has expired; log in again for a new one',
      );
    }
    if (claims.ver !== state.version) {
      throw unauthorized(
        'credential_revoked',
        'The access token was revoked because its client secret was rotated; ' +
          'log in with the new secret',
      );
    }
    return { auth: 'token', clientId: claims.sub, view: viewOfClaims(claims) };
  }
}

function viewOfClaims(claims: TokenClaims): CallerView {
  return {
    role: claims.role as Role,
    priceTier: claims.PriceTier,
    currencyCode: claims.CurrencyCode,
    customerNumber: claims.CustomerNumber,
    salesRepId: claims.SalesRepId ?? '',
  };
}

function unauthorized(code: string, message: string): SimulatorHttpError {
  return new SimulatorHttpError(401, code, message);
}

/** Hashes a secret to a fixed length so timingSafeEqual can compare secrets of any length. */
function digest(secret: string): Buffer {
  return createHash('sha256').update(secret).digest();
}
