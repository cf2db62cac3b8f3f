/**
 * Parses an HTTP `Retry-After` value (RFC 9110, section 10.2.3): either delay-seconds or an
 * HTTP date. Returns the delay in milliseconds, 0 for a date already past, or undefined when
 * the header is absent or unreadable, so that the caller falls back to its own backoff.
 */
export function parseRetryAfter(
  value: string | undefined,
  nowMs: number = Date.now(),
): number | undefined {
  if (value === undefined) return undefined;

  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;

  // An HTTP date always names a weekday and a month; this keeps Date.parse from reading
  // values such as "-5" as a year.
  if (!/[A-Za-z]{3}/.test(trimmed)) return undefined;
  const dateMs = Date.parse(trimmed);
  if (Number.isNaN(dateMs)) return undefined;
  return Math.max(0, dateMs - nowMs);
}
