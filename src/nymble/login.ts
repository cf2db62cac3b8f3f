/**
 * Credential login (`POST /api/auth/login`) with a token cache that the whole fleet shares.
 *
 * - In a process, concurrent `current()` calls share one login (single flight).
 * - Across processes, the token is kept in Redis, encrypted with AES-256-GCM under a key
 *   derived from the ClientSecret. One process logs in under a Redis lock while the others
 *   poll for the token it stores.
 * - A sliding-window budget in Redis keeps every process together under `loginsPerMinute`
 *   logins per ClientId. A login that would exceed it waits for a slot.
 * - A login 429 blocks logins for the whole fleet until its Retry-After has passed, for at least
 *   1 second and at most 10 minutes.
 *
 * The ClientSecret, tokens and derived keys live only in private fields. They never reach a log
 * line, an error or Redis in plain text.
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { inspect } from 'node:util';

import { RequestError, type Got, type Response } from 'got';
import type { Redis } from 'ioredis';

import {
  CredentialsRejectedError,
  InvalidResponseError,
  LOGIN_ENDPOINT,
  RateLimitedError,
  RequestRejectedError,
  UnavailableError,
  type RequestFacts,
} from '../errors.js';
import type { Logger } from '../log.js';
import type { StateKeys } from '../queue/names.js';
import { forgetSecret, registerSecret, scrubSecrets } from '../secrets.js';
import { decodeTokenClaims, InvalidTokenError, isExpired } from './claims.js';
import type { AuthHeader, CredentialProvider, TokenClaims } from './credentials.js';
import { parseRetryAfter } from './retry-after.js';
import {
  BLOCK_SCRIPT,
  DELETE_TOKEN_SCRIPT,
  EXTEND_LOCK_SCRIPT,
  RELEASE_LOCK_SCRIPT,
  RESERVE_SLOT_SCRIPT,
} from './login-scripts.js';
import { createNymbleHttp, errorDetail, headerValue } from './http-response.js';
import { loginResponseSchema } from './schemas.js';
import { sameText, TokenCipher, type SharedToken } from './token-cipher.js';

export type LoginResult = 'success' | 'rejected' | 'rate_limited' | 'error';

export interface LoginCredentialOptions {
  baseUrl: string;
  orgCode: string;
  clientId: string;
  clientSecret: string;
  /** A token is replaced this many seconds before it expires. */
  refreshSkewSeconds: number;
  /** Maximum login requests per ClientId in any 60-second window, counted across the fleet. */
  loginsPerMinute: number;
  /** Timeout of one login request in milliseconds. */
  timeoutMs: number;
  /** Shared connection, owned by the caller: `close()` leaves it open. */
  redis: Redis;
  keys: StateKeys;
  log: Logger;
  /** Called once per login request sent, with its outcome, for metrics. */
  onLogin?: (result: LoginResult) => void;
  /** Test hook: the clock, in ms since the epoch, for expiry, the budget and the 429 block. */
  now?: () => number;
  /**
   * Test hook: waits `ms` for a login budget slot. Polling while another process logs in
   * always waits in real time, because the lock expires in Redis's real time.
   */
  sleep?: (ms: number) => Promise<void>;
}

/** A token with what the cache needs to know about it. */
interface TokenEntry {
  token: string;
  /** Keyed hash of the token, which identifies it in Redis without revealing it. */
  id: string;
  claims: TokenClaims;
  /** When the login request was sent, in ms since the epoch. */
  issuedAtMs: number;
  /** The earlier of login time + ExpiresIn and the `exp` claim, in ms since the epoch. */
  expiresAtMs: number;
}

interface ObtainedToken {
  entry: TokenEntry;
  /** True when this process sent the login that issued the token. */
  loggedIn: boolean;
}

const LOGIN_PATH = 'api/auth/login';
const ENDPOINT = LOGIN_ENDPOINT;

/**
 * Length of the login budget window: Nymble's 60 seconds plus 1 second for clock differences
 * between the hosts of the fleet. Each slot is re-stamped with the time its response arrived,
 * so network latency needs no margin.
 */
const BUDGET_WINDOW_MS = 61_000;

/** Block after a login 429 without Retry-After. Nymble documents "retry after 60 seconds". */
const DEFAULT_BLOCK_MS = 60_000;

/**
 * Maximum block after a login 429. Nymble documents a retry after 60 seconds, and a longer
 * Retry-After is cut to this cap because one bad header must not stop the fleet's logins longer.
 */
const MAX_BLOCK_MS = 10 * 60_000;

/** Minimum block after a login 429, also for `Retry-After: 0` or a date already past. */
const MIN_BLOCK_MS = 1_000;

/** Interval at which a process polls Redis while another process logs in. */
const POLL_INTERVAL_MS = 50;

/** Added to the login timeout for the lock's lifetime, to cover the Redis reads and writes. */
const LOCK_MARGIN_MS = 5_000;

export class LoginCredential implements CredentialProvider {
  readonly method = 'login';
  readonly #options: LoginCredentialOptions;
  readonly #http: Got;
  readonly #cipher: TokenCipher;
  readonly #now: () => number;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #lockTtlMs: number;
  #token?: TokenEntry;
  #inflight?: Promise<ObtainedToken>;
  #heldLock?: string;
  #logins = 0;
  #undecryptableLogged = false;

  constructor(options: LoginCredentialOptions) {
    validateOptions(options);
    this.#options = options;
    this.#cipher = new TokenCipher(options.clientSecret, options.orgCode, options.clientId);
    this.#now = options.now ?? Date.now;
    this.#sleep = options.sleep ?? ((ms) => delay(ms));
    this.#lockTtlMs = options.timeoutMs + LOCK_MARGIN_MS;
    this.#http = createNymbleHttp({
      baseUrl: options.baseUrl,
      timeoutMs: options.timeoutMs,
      headers: { 'content-type': 'application/json' },
    });
  }

  /**
   * Returns the cached token while it is more than the refresh skew away from expiry. Otherwise
   * it adopts the token that another process stored, or logs in. `fresh` is true only for the
   * call that started a login which this process sent.
   */
  async current(): Promise<AuthHeader> {
    const cached = this.#token;
    if (cached !== undefined && this.#isUsable(cached)) return toHeader(cached, false);

    // Joins the login in flight. No await comes before this check, so that concurrent calls
    // made in the same tick all see the promise that the first one sets.
    if (this.#inflight !== undefined) return toHeader((await this.#inflight).entry, false);

    const inflight = this.#obtain();
    this.#inflight = inflight;
    try {
      const { entry, loggedIn } = await inflight;
      return toHeader(entry, loggedIn);
    } finally {
      if (this.#inflight === inflight) this.#inflight = undefined;
    }
  }

  /**
   * Drops the token locally, and in Redis too when the shared token is that same token. A
   * different shared token is kept, because another process may have logged in since. The next
   * `current()` then returns that token with `fresh: false`, and invalidating it as well deletes
   * it from Redis, so the call after that logs in.
   */
  async invalidate(rejected: AuthHeader): Promise<void> {
    const id = await this.#cipher.tokenId(rejected.value);
    if (this.#token !== undefined && sameText(this.#token.id, id)) this.#dropLocal();

    const { redis, keys } = this.#options;
    const deleted = await redis.eval(DELETE_TOKEN_SCRIPT, 1, keys.authToken, id);
    this.#options.log.info({ sharedTokenDeleted: deleted === 1 }, 'login token invalidated');
  }

  /** Login requests this process sent, whatever their outcome. */
  loginCount(): number {
    return this.#logins;
  }

  /** Returns the age in seconds of the token in use, or undefined before the first token. */
  tokenAgeSeconds(): number | undefined {
    if (this.#token === undefined) return undefined;
    return Math.max(0, (this.#now() - this.#token.issuedAtMs) / 1000);
  }

  /** Releases a lock held by this process and drops the cached token. Leaves Redis connected. */
  async close(): Promise<void> {
    const lock = this.#heldLock;
    if (lock !== undefined) await this.#releaseLock(lock);
    this.#dropLocal();
  }

  toJSON(): object {
    return { method: this.method, clientId: this.#options.clientId };
  }

  [inspect.custom](): string {
    return `LoginCredential ${JSON.stringify(this.toJSON())}`;
  }

  // Tries, in order: a usable shared token, the login block, the lock. Without the lock it
  // polls until the holder stores a token, a block appears, or the lock frees or expires.
  // NOTE: a rejected login (401/400) is not shared, so each waiting process sends its own
  // login and gets its own rejection. Only the login budget bounds them.
  async #obtain(): Promise<ObtainedToken> {
    const startedMs = performance.now();
    const maxWaitMs = BUDGET_WINDOW_MS + 2 * this.#lockTtlMs;

    for (let polls = 0; ; polls += 1) {
      const shared = await this.#readShared();
      if (shared !== undefined) return this.#adopt(shared, false);

      await this.#throwIfBlocked();
      const lock = await this.#tryLock();
      if (lock !== undefined) return this.#loginHoldingLock(lock);

      if (performance.now() - startedMs > maxWaitMs) throw this.#lockWaitTimeout(maxWaitMs);
      if (polls === 0) this.#options.log.debug('waiting for another process to log in');
      await delay(POLL_INTERVAL_MS);
    }
  }

  async #loginHoldingLock(lock: string): Promise<ObtainedToken> {
    this.#heldLock = lock;
    try {
      // Another process may have stored a token between the first read and the lock.
      const shared = await this.#readShared();
      if (shared !== undefined) return this.#adopt(shared, false);

      const slot = await this.#reserveLoginSlot(lock);
      return this.#adopt(await this.#login(slot), true);
    } finally {
      await this.#releaseLock(lock);
      if (this.#heldLock === lock) this.#heldLock = undefined;
    }
  }

  #isUsable(entry: TokenEntry): boolean {
    return this.#now() < refreshAtMs(entry, this.#options.refreshSkewSeconds);
  }

  #adopt(entry: TokenEntry, loggedIn: boolean): ObtainedToken {
    if (this.#token !== undefined && this.#token.token !== entry.token) this.#dropLocal();
    registerSecret(entry.token);
    this.#token = entry;
    if (!loggedIn) this.#options.log.debug('using the login token stored by another process');
    return { entry, loggedIn };
  }

  #dropLocal(): void {
    forgetSecret(this.#token?.token);
    this.#token = undefined;
  }

  #lockWaitTimeout(waitedMs: number): UnavailableError {
    return new UnavailableError(
      { endpoint: ENDPOINT },
      `Timed out after ${waitedMs} ms waiting for another process to log in to Nymble. ` +
        'The job will be retried.',
    );
  }

  // ---- Shared token -------------------------------------------------------------------------

  /** Returns the token in Redis when it decrypts and is not due for refresh. */
  async #readShared(): Promise<TokenEntry | undefined> {
    const value = await this.#options.redis.get(this.#options.keys.authToken);
    if (value === null) return undefined;

    let decrypted: { token: string; shared: SharedToken };
    try {
      decrypted = await this.#cipher.decrypt(value);
    } catch (error) {
      this.#logUndecryptable(error);
      return undefined;
    }
    return this.#sharedEntry(decrypted.token, decrypted.shared);
  }

  #sharedEntry(token: string, shared: SharedToken): TokenEntry | undefined {
    let claims: TokenClaims;
    try {
      claims = decodeTokenClaims(token);
    } catch {
      return undefined;
    }
    const { id, issuedAtMs, expiresAtMs } = shared;
    const entry: TokenEntry = { token, id, claims, issuedAtMs, expiresAtMs };
    return this.#isUsable(entry) ? entry : undefined;
  }

  // A value that does not decrypt is usually one stored under a previous ClientSecret. It is
  // replaced by the next login, so it is logged once per process, without the error text.
  #logUndecryptable(error: unknown): void {
    if (this.#undecryptableLogged) return;
    this.#undecryptableLogged = true;
    const reason = error instanceof Error ? error.name : 'unknown';
    const hint = 'stored under another ClientSecret, or altered';
    this.#options.log.warn({ reason, hint }, 'shared login token could not be decrypted');
  }

  async #storeShared(entry: TokenEntry): Promise<void> {
    const ttlMs = Math.floor(entry.expiresAtMs - this.#now());
    if (ttlMs <= 0) return;

    const value = await this.#cipher.encrypt(entry);
    await this.#options.redis.set(this.#options.keys.authToken, value, 'PX', ttlMs);
  }

  // ---- Lock ---------------------------------------------------------------------------------

  async #tryLock(): Promise<string | undefined> {
    const value = randomBytes(16).toString('hex');
    const { redis, keys } = this.#options;
    const result = await redis.set(keys.authLock, value, 'PX', this.#lockTtlMs, 'NX');
    return result === 'OK' ? value : undefined;
  }

  async #releaseLock(lock: string): Promise<void> {
    await this.#options.redis.eval(RELEASE_LOCK_SCRIPT, 1, this.#options.keys.authLock, lock);
  }

  async #extendLock(lock: string, ttlMs: number): Promise<void> {
    const { redis, keys, log } = this.#options;
    const extended = await redis.eval(EXTEND_LOCK_SCRIPT, 1, keys.authLock, lock, String(ttlMs));
    if (extended !== 1) {
      log.warn('login lock expired while waiting, so another process may log in too');
    }
  }

  // ---- Budget and block ---------------------------------------------------------------------

  /**
   * Takes a slot in the fleet's login budget, waiting while the window is full. Throws
   * RateLimitedError instead when a login 429 has blocked logins, also after a wait.
   */
  async #reserveLoginSlot(lock: string): Promise<string> {
    const { redis, keys, log, loginsPerMinute } = this.#options;
    const member = `${this.#now()}:${randomBytes(8).toString('hex')}`;

    for (;;) {
      await this.#throwIfBlocked();
      const now = String(this.#now());
      const args = [now, String(BUDGET_WINDOW_MS), String(loginsPerMinute), member];
      const waitMs = Number(await redis.eval(RESERVE_SLOT_SCRIPT, 1, keys.authLogins, ...args));
      if (waitMs <= 0) return member;

      log.warn({ delayMs: waitMs, loginsPerMinute }, 'login budget used up, waiting for a slot');
      await this.#extendLock(lock, waitMs + this.#lockTtlMs);
      await this.#sleep(waitMs);
    }
  }

  // Re-stamps the slot with the time the response arrived, which is no earlier than the time
  // Nymble counted the request, so the next window starts late rather than early.
  async #restampSlot(member: string): Promise<void> {
    const { redis, keys } = this.#options;
    await redis
      .multi()
      .zadd(keys.authLogins, 'XX', this.#now(), member)
      .pexpire(keys.authLogins, BUDGET_WINDOW_MS)
      .exec();
  }

  async #throwIfBlocked(): Promise<void> {
    const { redis, keys } = this.#options;
    const value = await redis.get(keys.authBlockedUntil);
    const remainingMs = value === null ? 0 : Number(value) - this.#now();
    if (remainingMs <= 0) return;

    // A deadline beyond the cap comes from a host whose clock runs ahead, or from a version
    // without the cap. LT only ever shortens the key's expiry, here to the cap.
    if (remainingMs > MAX_BLOCK_MS) {
      await redis.pexpire(keys.authBlockedUntil, MAX_BLOCK_MS, 'LT');
    }
    const retryAfterMs = Math.min(remainingMs, MAX_BLOCK_MS);
    throw new RateLimitedError({ endpoint: ENDPOINT }, retryAfterMs);
  }

  /** Blocks logins fleet-wide for `durationMs`, a whole number from MIN_BLOCK_MS to MAX_BLOCK_MS. */
  async #blockLogins(durationMs: number): Promise<void> {
    const until = String(this.#now() + durationMs);
    const { redis, keys } = this.#options;
    await redis.eval(BLOCK_SCRIPT, 1, keys.authBlockedUntil, until, String(durationMs));
  }

  // ---- Login request ------------------------------------------------------------------------

  async #login(slot: string): Promise<TokenEntry> {
    const sentAtMs = this.#now();
    const startedMs = performance.now();
    this.#logins += 1;

    let response: Response<string>;
    try {
      response = await this.#send();
    } catch (error) {
      this.#report('error');
      throw this.#networkError(error);
    } finally {
      await this.#restampSlot(slot);
    }

    const entry = await this.#handleResponse(response, sentAtMs);
    const durationMs = Math.round(performance.now() - startedMs);
    this.#logSuccess(entry, durationMs);
    return entry;
  }

  #send(): Promise<Response<string>> {
    const { orgCode, clientId, clientSecret } = this.#options;
    return this.#http.post(LOGIN_PATH, {
      json: { OrgCode: orgCode, ClientId: clientId, ClientSecret: clientSecret },
    });
  }

  async #handleResponse(response: Response<string>, sentAtMs: number): Promise<TokenEntry> {
    const facts: RequestFacts = {
      endpoint: ENDPOINT,
      status: response.statusCode,
      requestId: headerValue(response.headers['x-request-id']),
    };
    if (response.statusCode === 200) return this.#acceptToken(response.body, facts, sentAtMs);
    throw await this.#failure(response, facts);
  }

  async #acceptToken(body: string, facts: RequestFacts, sentAtMs: number): Promise<TokenEntry> {
    let entry: TokenEntry;
    try {
      entry = await this.#parseToken(body, facts, sentAtMs);
    } catch (error) {
      this.#report('error');
      throw error;
    }

    this.#report('success');
    await this.#storeShared(entry);
    return entry;
  }

  async #parseToken(body: string, facts: RequestFacts, sentAtMs: number): Promise<TokenEntry> {
    const parsed = loginResponseSchema.safeParse(parseJson(body, facts));
    if (!parsed.success) {
      const fields = parsed.error.issues.map((issue) => issue.path.join('.') || '(root)');
      throw new InvalidResponseError(
        facts,
        `${ENDPOINT} returned a body that does not match the documented shape ` +
          `(invalid fields: ${fields.join(', ')})`,
      );
    }

    const { AccessToken: token, ExpiresIn: expiresInSeconds } = parsed.data;
    const claims = decodeClaims(token, facts);
    if (isExpired(claims, this.#now(), 0)) throw expiredOnArrival(claims, facts);

    const id = await this.#cipher.tokenId(token);
    const expiresAtMs = Math.min(sentAtMs + expiresInSeconds * 1000, claimExpiryMs(claims));
    return { token, id, claims, issuedAtMs: sentAtMs, expiresAtMs };
  }

  async #failure(response: Response<string>, facts: RequestFacts): Promise<Error> {
    const detail = this.#redact(errorDetail(response.body));
    const withCode = { ...facts, remoteCode: detail?.split(':')[0] };
    const status = response.statusCode;

    if (status === 429) return this.#rateLimited(response, withCode);
    if (status === 401 || status === 400) {
      this.#report('rejected');
      this.#options.log.warn({ status, remoteCode: withCode.remoteCode }, 'login rejected');
      return new CredentialsRejectedError(withCode, detail);
    }

    this.#report('error');
    const suffix = detail ? ` (${detail})` : '';
    const message = `${ENDPOINT} returned HTTP ${status}${suffix}`;
    if (status >= 500 || status === 408) return new UnavailableError(withCode, message);
    return new RequestRejectedError(withCode, message);
  }

  async #rateLimited(response: Response<string>, facts: RequestFacts): Promise<RateLimitedError> {
    this.#report('rate_limited');
    const header = headerValue(response.headers['retry-after']);
    const requestedMs = parseRetryAfter(header, this.#now()) ?? DEFAULT_BLOCK_MS;
    const blockMs = clampBlockMs(requestedMs);

    await this.#blockLogins(blockMs);
    const fields = { retryAfterMs: blockMs, requestedRetryAfterMs: requestedMs };
    this.#options.log.warn(fields, 'login rate limited, logins blocked');
    return new RateLimitedError(facts, blockMs);
  }

  // got's own error contains the request options, which contain the ClientSecret, so only its
  // name, code and message are kept.
  #networkError(error: unknown): Error {
    if (!(error instanceof RequestError)) {
      return error instanceof Error ? error : new Error(String(error));
    }

    const code = error.code ? `${error.code}: ` : '';
    const message = this.#redact(`${ENDPOINT} failed (${code}${error.message})`) ?? ENDPOINT;
    const cause = new Error(this.#redact(error.message));
    cause.name = error.name;
    Object.assign(cause, { code: error.code });
    return new UnavailableError({ endpoint: ENDPOINT }, message, { cause });
  }

  // The login endpoint may echo the request body in its error, with the secret JSON-escaped,
  // so every registered form is scrubbed too, not only the raw ClientSecret.
  #redact(text: string | undefined): string | undefined {
    if (text === undefined) return undefined;
    return scrubSecrets(text.split(this.#options.clientSecret).join('[redacted]'));
  }

  #report(result: LoginResult): void {
    this.#options.onLogin?.(result);
  }

  #logSuccess(entry: TokenEntry, durationMs: number): void {
    const expiresInSeconds = Math.round((entry.expiresAtMs - entry.issuedAtMs) / 1000);
    this.#options.log.info(
      { clientId: this.#options.clientId, claims: entry.claims, expiresInSeconds, durationMs },
      'logged in to Nymble',
    );
  }
}

/**
 * Returns when a token is due for refresh: `skewSeconds` before expiry, but never earlier than
 * half its lifetime, so that a skew longer than the lifetime cannot force a login on every call.
 */
function refreshAtMs(entry: TokenEntry, skewSeconds: number): number {
  const lifetimeMs = entry.expiresAtMs - entry.issuedAtMs;
  return entry.expiresAtMs - Math.min(skewSeconds * 1000, lifetimeMs / 2);
}

/**
 * Limits a login block to whole milliseconds from MIN_BLOCK_MS to MAX_BLOCK_MS. Retry-After
 * values of 0 or a past date become MIN_BLOCK_MS, and very large ones (even Infinity) become
 * MAX_BLOCK_MS.
 */
function clampBlockMs(requestedMs: number): number {
  if (Number.isNaN(requestedMs)) return DEFAULT_BLOCK_MS;
  return Math.min(MAX_BLOCK_MS, Math.max(MIN_BLOCK_MS, Math.ceil(requestedMs)));
}

function toHeader(entry: TokenEntry, fresh: boolean): AuthHeader {
  return { value: entry.token, fresh, claims: entry.claims };
}

function claimExpiryMs(claims: TokenClaims): number {
  return claims.exp === undefined ? Number.POSITIVE_INFINITY : claims.exp * 1000;
}

function decodeClaims(token: string, facts: RequestFacts): TokenClaims {
  try {
    return decodeTokenClaims(token);
  } catch (error) {
    if (!(error instanceof InvalidTokenError)) throw error;
    const problem = `${ENDPOINT} returned an unreadable AccessToken (${error.message})`;
    throw new InvalidResponseError(facts, problem);
  }
}

// A token already expired by this host's clock would trigger a login on every call.
function expiredOnArrival(claims: TokenClaims, facts: RequestFacts): InvalidResponseError {
  const exp = new Date((claims.exp ?? 0) * 1000).toISOString();
  return new InvalidResponseError(
    facts,
    `${ENDPOINT} returned an AccessToken whose exp claim (${exp}) is already past by this ` +
      "host's clock: check the host's time synchronisation",
  );
}

function parseJson(body: string, facts: RequestFacts): unknown {
  try {
    return JSON.parse(body);
  } catch {
    // A cut or non-JSON body is usually a proxy or connection problem, so it is retried.
    throw new UnavailableError(
      facts,
      `${ENDPOINT} returned a body that is not valid JSON (${body.length} bytes)`,
    );
  }
}

// The messages name the option but never print the ClientSecret.
function validateOptions(options: LoginCredentialOptions): void {
  const problems: string[] = [];
  for (const name of ['baseUrl', 'orgCode', 'clientId', 'clientSecret'] as const) {
    if (typeof options[name] !== 'string' || options[name] === '') {
      problems.push(`${name} is missing`);
    }
  }
  if (!Number.isInteger(options.loginsPerMinute) || options.loginsPerMinute < 1) {
    problems.push(`loginsPerMinute must be an integer >= 1, got ${options.loginsPerMinute}`);
  }
  if (!Number.isFinite(options.refreshSkewSeconds) || options.refreshSkewSeconds < 0) {
    problems.push(`refreshSkewSeconds must be >= 0, got ${options.refreshSkewSeconds}`);
  }
  if (!Number.isFinite(options.timeoutMs) || options.timeoutMs <= 0) {
    problems.push(`timeoutMs must be > 0, got ${options.timeoutMs}`);
  }
  if (problems.length > 0) {
    throw new RangeError(`Invalid LoginCredential options: ${problems.join('; ')}`);
  }
}
