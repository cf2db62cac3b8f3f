/** The HTTP client settings and response helpers that the data client and the login share. */
import { got, type Got, type OptionsOfTextResponseBody, type Response } from 'got';

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
    timeout: { request: options.timeoutMs },
    headers: { accept: 'application/json', 'user-agent': USER_AGENT, ...options.headers },
  });
}

/** Thrown by `getWithinLimit` when a response body grows past its limit. */
export class BodyTooLargeError extends Error {
  constructor(
    readonly limitBytes: number,
    readonly receivedBytes: number,
    readonly status: number | undefined,
  ) {
    super(`response body of at least ${receivedBytes} bytes exceeds the ${limitBytes}-byte limit`);
    this.name = 'BodyTooLargeError';
  }
}

/**
 * Sends `GET url` and returns the response, but cancels it as soon as its body passes
 * `maxBytes`, whether the `content-length` header announces it or the bytes arrive unannounced.
 * A page is read whole into memory, so without a limit one oversized response could exhaust the
 * worker's heap. The count is of bytes on the wire, before any decompression.
 */
export async function getWithinLimit(
  http: Got,
  url: string,
  options: OptionsOfTextResponseBody,
  maxBytes: number,
): Promise<Response<string>> {
  const request = http.get(url, { ...options, responseType: 'text' });
  let oversizedBytes: number | undefined;

  request.on('downloadProgress', ({ transferred, total }) => {
    const size = Math.max(transferred, total ?? 0);
    if (oversizedBytes !== undefined || size <= maxBytes) return;

    oversizedBytes = size;
    request.cancel();
  });

  try {
    return await request;
  } catch (error) {
    if (oversizedBytes === undefined) throw error;
    // got's CancelError keeps the response whose body was cut, so its status is known.
    const status = (error as { response?: { statusCode?: number } }).response?.statusCode;
    throw new BodyTooLargeError(maxBytes, oversizedBytes, status);
  }
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
