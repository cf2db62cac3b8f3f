/** Helpers for reading Nymble's HTTP responses, shared by the data client and the login. */
import { errorBodySchema } from './schemas.js';

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
