/**
 * The sync position of an entity: the (UpdatedAt, Id) of the last record the ERP acknowledged.
 * UpdatedAt alone is not enough, because several records can share one timestamp and a page
 * can end between them.
 */
export interface Watermark {
  /**
   * The record's UpdatedAt exactly as Nymble sent it, so that the next request's
   * `updatedSince` matches it to the last digit.
   */
  updatedAt: string;
  id: string;
}

/**
 * Orders two ISO 8601 timestamps by instant, to the nanosecond: Date.parse stops at the
 * millisecond, so the fraction digits after the third break ties.
 */
export function compareTimestamps(a: string, b: string): number {
  const byMs = Date.parse(a) - Date.parse(b);
  if (byMs !== 0) return byMs;
  return subMillisecond(a) - subMillisecond(b);
}

function subMillisecond(timestamp: string): number {
  const fraction = /\.(\d+)/.exec(timestamp)?.[1] ?? '';
  return Number(fraction.padEnd(9, '0').slice(3, 9));
}

/** Orders watermarks by instant first, then by id; negative when `a` comes first. */
export function compareWatermarks(a: Watermark, b: Watermark): number {
  const byTime = compareTimestamps(a.updatedAt, b.updatedAt);
  if (byTime !== 0) return byTime;
  if (a.id === b.id) return 0;
  return a.id < b.id ? -1 : 1;
}

/** Returns the query parameters that ask Nymble for the records after `watermark`. */
export function pageQuery(
  watermark: Watermark | undefined,
  pageSize: number,
): Record<string, string> {
  const query: Record<string, string> = { pageSize: String(pageSize) };
  if (watermark) {
    query.updatedSince = watermark.updatedAt;
    query.afterId = watermark.id;
  }
  return query;
}

/**
 * Keeps the records that come after `watermark` and checks that they are in strict
 * (UpdatedAt, Id) order. Records at or before the watermark were acknowledged already, so
 * they are dropped. Returns the kept records, or a description of the first order violation:
 * a page out of order could move the watermark past records that were never synced.
 */
export function recordsAfter<T extends Watermark>(
  watermark: Watermark | undefined,
  records: readonly T[],
): { records: T[]; dropped: number } | { violation: string } {
  const kept = watermark
    ? records.filter((record) => compareWatermarks(record, watermark) > 0)
    : [...records];

  for (let index = 1; index < kept.length; index += 1) {
    const previous = kept[index - 1] as T;
    const current = kept[index] as T;
    if (compareWatermarks(previous, current) >= 0) {
      return {
        violation:
          `record ${current.id} (${current.updatedAt}) does not come after ` +
          `${previous.id} (${previous.updatedAt}) in (UpdatedAt, Id) order`,
      };
    }
  }
  return { records: kept, dropped: records.length - kept.length };
}
