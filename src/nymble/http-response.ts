/** The HTTP client settings and response helpers that the data client and the login share. */
import { got, type Got } from 'got';

import { errorBodySchema } from './schemas.js';

const USER_AGENT = 'nymble-sync/0.1';

/**
 * Returns a got instance for Nymble: one attempt per call (retries belong to
 * src/decisions.ts), no redirects, errors returned as responses, bodies as text.
 */
export function createNymbleHttp(options: {
  baseUrl: string;
  /** Per-attempt timeout in milliseconds, covering connect, send and response. */
  timeoutMs: number;
  headers?: Record<string, string>;
}): Got {
  return got.extend({
    prefixUrl: options.baseUrl,
    retry: { limit: 0 },
    throwHttpErrors: false,
    followRedirect: false,
    responseType: 'text',
    // NOTE: no limit on the body size: a page is read whole into memory, so NYMBLE_PAGE_SIZE
    // (at most 500) bounds it only as far as Nymble honours pageSize.
    timeout: { request: options.timeoutMs },
    headers: { accept: 'application/json', 'user-agent': USER_AGENT, ...options.headers },
  });
}

/** Returns `code: message` from Nymble's JSON error body, cut to 300 characters, if present. */
export function errorDetail(body: string): string | undefined {
  try {
    const parsed = errorBodySchema.safeParse(JSON.parse(body));
    if (!parsed.success) return undefined;
    const parts = [parsed.data.code, parsed.data.message].filter(Boolean);
    return parts.length > 0 ? parts.join(': ').slice(0, 300) : undefined;
  } catch {
    return undefined;
  }
}

/** Returns the first value of a response header that may repeat. */
export function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
