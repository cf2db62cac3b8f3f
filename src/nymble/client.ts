/**
 * The Nymble Commerce client: one HTTP attempt at a time on got, with got's own retry switched
 * off, so that every retry goes through p-retry here and every decision through
 * src/decisions.ts. The `x-api-key` header is built anew for each attempt.
 */
import { setTimeout as sleep } from 'node:timers/promises';

import { RequestError, type Got, type Response } from 'got';
import pRetry from 'p-retry';
import type { z } from 'zod';

import { decide, type RetryPolicy } from '../decisions.js';
import {
  ForbiddenError,
  InvalidResponseError,
  NotFoundError,
  NymbleRequestError,
  RateLimitedError,
  RequestRejectedError,
  UnauthorizedError,
  UnavailableError,
  type RequestFacts,
} from '../errors.js';
import type { Logger } from '../log.js';
import { scrubSecrets } from '../secrets.js';
import type { AuthHeader, CredentialProvider } from './credentials.js';
import type { RateGate } from './rate-gate.js';
import { parseRetryAfter } from './retry-after.js';
import {
  BodyTooLargeError,
  createNymbleHttp,
  errorDetail,
  getWithinLimit,
  headerValue,
} from './http-response.js';

/** Counters of one sync run, shared by every request the run makes. */
export interface RunStats {
  requests: number;
  retries: number;
  /** The part of `retries` that followed a 429. */
  rateLimitRetries?: number;
  rateLimitWaitMs: number;
  /** When this run first met a 429, in ms since the epoch; carried across re-queues. */
  rateLimitedSinceMs?: number;
}

export interface RequestContext {
  log: Logger;
  stats: RunStats;
  /** Cuts short the waits between attempts (at shutdown); a request in flight is not aborted. */
  signal?: AbortSignal;
}

export interface NymbleClientOptions {
  baseUrl: string;
  credential: CredentialProvider;
  gate: RateGate;
  policy: RetryPolicy;
  /** Per-attempt timeout in milliseconds, covering connect, send and response. */
  timeoutMs: number;
  /** Largest response body accepted, in bytes. A larger one is cancelled and not retried. */
  maxResponseBytes: number;
  /** Called once per HTTP response or network failure, for metrics. */
  onResponse?: (endpoint: string, status: number | 'network_error') => void;
}

/** State of one request across its attempts. */
interface RequestState {
  transientAttempts: number;
  rateLimitAttempts: number;
  relogins: number;
  lastAuth: AuthHeader | undefined;
}

/**
 * Re-logins one request may make after a 401. Two, because the first can adopt a token that
 * another worker stored meanwhile, which may have been revoked too; the second logs in anew.
 */
const MAX_RELOGINS_PER_REQUEST = 2;

/** Copies a got error's code and message but none of its request options, which contain headers. */
function plainCause(error: unknown): Error {
  if (!(error instanceof Error)) return new Error(String(error));

  const cause = new Error(error.message);
  cause.name = error.name;
  Object.assign(cause, { code: (error as { code?: string }).code });
  return cause;
}

export class NymbleClient {
  readonly #http: Got;
  readonly #options: NymbleClientOptions;

  constructor(options: NymbleClientOptions) {
    this.#options = options;
    this.#http = createNymbleHttp({ baseUrl: options.baseUrl, timeoutMs: options.timeoutMs });
  }

  get credential(): CredentialProvider {
    return this.#options.credential;
  }

  /**
   * Sends `GET path` and returns its body checked against `schema`, retrying as
   * src/decisions.ts decides. Throws the last error, with `attempts` set, when the decision is
   * to defer or dead-letter.
   */
  async get<T>(
    path: string,
    searchParams: Record<string, string>,
    schema: z.ZodType<T>,
    context: RequestContext,
  ): Promise<T> {
    const endpoint = `GET /${path}`;
    const state: RequestState = {
      transientAttempts: 0,
      rateLimitAttempts: 0,
      relogins: 0,
      lastAuth: undefined,
    };

    return pRetry(
      async () => {
        await this.#waitForGate(endpoint, context);
        state.lastAuth = await this.#options.credential.current();
        return this.#attempt(path, endpoint, searchParams, schema, state.lastAuth, context);
      },
      {
        retries: 10_000,
        minTimeout: 0,
        maxTimeout: 0,
        // Waits are ours (onFailedAttempt), so p-retry adds none; the decision table bounds
        // the attempts long before this count.
        onFailedAttempt: async ({ error, attemptNumber }) => {
          await this.#onFailedAttempt(error, attemptNumber, endpoint, state, context);
        },
      },
    );
  }

  /** Sends one `GET` and returns only its status: for preflight's access probes. */
  async probe(path: string): Promise<number> {
    const auth = await this.#options.credential.current();
    const response = await this.#http.get(path, {
      headers: { 'x-api-key': auth.value },
      searchParams: { pageSize: '1' },
    });
    return response.statusCode;
  }

  async #waitForGate(endpoint: string, context: RequestContext): Promise<void> {
    const remainingMs = await this.#options.gate.remainingMs();
    if (remainingMs <= 0) return;

    // A gate closed for longer than the inline limit is the same situation as a 429 with a long
    // Retry-After, so it takes the same decision path and the job is deferred.
    if (remainingMs > this.#options.policy.inlineWaitMaxMs) {
      throw new RateLimitedError({ endpoint }, remainingMs);
    }
    context.log.warn({ endpoint, delayMs: remainingMs }, 'waiting for shared rate limit');
    context.stats.rateLimitWaitMs += remainingMs;
    await sleep(remainingMs, undefined, { signal: context.signal });
  }

  async #onFailedAttempt(
    error: Error,
    attemptNumber: number,
    endpoint: string,
    state: RequestState,
    context: RequestContext,
  ): Promise<void> {
    const rateLimited = error instanceof RateLimitedError;
    if (rateLimited) {
      context.stats.rateLimitedSinceMs ??= Date.now();
      state.rateLimitAttempts += 1;
    } else {
      state.transientAttempts += 1;
    }

    const decision = decide(error, this.#options.policy, {
      attempt: Math.max(1, state.transientAttempts),
      rateLimitAttempt: state.rateLimitAttempts,
      rateLimitedForMs: rateLimited
        ? Date.now() - (context.stats.rateLimitedSinceMs ?? Date.now())
        : 0,
      canRelogin:
        this.#options.credential.method === 'login' && state.relogins < MAX_RELOGINS_PER_REQUEST,
    });
    // The decision travels with the error, so that the job boundary carries out this one
    // instead of deciding again with less context (the next wait, the attempts made).
    if (error instanceof NymbleRequestError) {
      Object.assign(error, { attempts: attemptNumber, decision });
    }

    if (decision.action === 'relogin' && state.lastAuth) {
      state.relogins += 1;
      context.log.warn({ endpoint, attempt: attemptNumber }, 'token rejected, logging in again');
      await this.#options.credential.invalidate(state.lastAuth);
      return;
    }
    if (decision.action !== 'retry') throw error;

    context.stats.retries += 1;
    if (decision.rateLimited) {
      context.stats.rateLimitRetries = (context.stats.rateLimitRetries ?? 0) + 1;
      context.stats.rateLimitWaitMs += decision.delayMs;
      if (!(error as RateLimitedError).loginOnly)
        await this.#options.gate.closeFor(decision.delayMs);
    }
    context.log.warn(
      {
        endpoint,
        attempt: attemptNumber,
        delayMs: decision.delayMs,
        code: (error as NymbleRequestError).code,
        err: error,
      },
      decision.rateLimited ? 'rate limited, retrying' : 'request failed, retrying',
    );
    await sleep(decision.delayMs, undefined, { signal: context.signal });
  }

  async #attempt<T>(
    path: string,
    endpoint: string,
    searchParams: Record<string, string>,
    schema: z.ZodType<T>,
    auth: AuthHeader,
    context: RequestContext,
  ): Promise<T> {
    context.stats.requests += 1;
    let response: Response<string>;
    try {
      // No abort signal here, because at shutdown the request in flight must finish so that its
      // page can be checkpointed. The per-attempt timeout bounds how long that takes.
      response = await getWithinLimit(
        this.#http,
        path,
        { searchParams, headers: { 'x-api-key': auth.value } },
        this.#options.maxResponseBytes,
      );
    } catch (error) {
      if (error instanceof BodyTooLargeError) throw this.#tooLarge(endpoint, error);
      this.#options.onResponse?.(endpoint, 'network_error');
      if (!(error instanceof RequestError)) throw error;
      const code = error.code ? `${error.code}: ` : '';
      throw new UnavailableError({ endpoint }, `${endpoint} failed (${code}${error.message})`, {
        cause: plainCause(error),
      });
    }

    this.#options.onResponse?.(endpoint, response.statusCode);
    const facts: RequestFacts = {
      endpoint,
      status: response.statusCode,
      requestId: headerValue(response.headers['x-request-id']),
    };
    if (response.statusCode === 200) return parseBody(response.body, schema, facts);
    throw this.#errorFor(response, facts, auth);
  }

  // Not retried: the same page would be as large again. A smaller page is the fix.
  #tooLarge(endpoint: string, error: BodyTooLargeError): InvalidResponseError {
    if (error.status !== undefined) this.#options.onResponse?.(endpoint, error.status);
    return new InvalidResponseError(
      { endpoint, status: error.status },
      `${endpoint} sent a body of at least ${error.receivedBytes} bytes, over the ` +
        `${error.limitBytes}-byte limit: lower NYMBLE_PAGE_SIZE or raise NYMBLE_MAX_RESPONSE_BYTES`,
    );
  }

  #errorFor(response: Response<string>, facts: RequestFacts, auth: AuthHeader): Error {
    // Scrubbed here, because an error body may echo the request, and the detail enters messages.
    const rawDetail = errorDetail(response.body);
    const detail = rawDetail === undefined ? undefined : scrubSecrets(rawDetail);
    const remoteCode = detail?.split(':')[0];
    const withCode = { ...facts, remoteCode };
    const status = response.statusCode;

    if (status === 429) {
      return new RateLimitedError(
        withCode,
        parseRetryAfter(headerValue(response.headers['retry-after'])),
      );
    }
    if (status === 401) return new UnauthorizedError(withCode, auth.fresh, detail);
    if (status === 403)
      return new ForbiddenError(withCode, auth.claims?.role ?? roleOfKey(auth), detail);
    if (status === 404) return new NotFoundError(withCode);
    if (status >= 500 || status === 408) {
      return new UnavailableError(
        withCode,
        `${facts.endpoint} returned HTTP ${status}${detail ? ` (${detail})` : ''}`,
      );
    }
    return new RequestRejectedError(
      withCode,
      `${facts.endpoint} was rejected with HTTP ${status}${detail ? `: ${detail}` : ''}`,
    );
  }
}

// Nymble documents API keys as organization-wide with admin-level access, and they carry no
// claims, so a denied key is reported as an Admin-level credential.
function roleOfKey(auth: AuthHeader): string | undefined {
  return auth.claims ? undefined : 'Admin (API key)';
}

function parseBody<T>(body: string, schema: z.ZodType<T>, facts: RequestFacts): T {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (error) {
    // A cut or non-JSON body is usually a proxy or a connection problem, so it is retried.
    throw new UnavailableError(
      facts,
      `${facts.endpoint} returned a body that is not valid JSON (${body.length} bytes)`,
      {
        cause: plainCause(error),
      },
    );
  }

  const parsed = schema.safeParse(json);
  if (parsed.success) return parsed.data;

  const issues = parsed.error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`)
    .join('; ');
  throw new InvalidResponseError(
    facts,
    `${facts.endpoint} returned a body that does not match the documented shape (${issues})`,
  );
}
