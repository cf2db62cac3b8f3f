/**
 * The sync position of an entity: the (UpdatedAt, Id) of the last record the ERP acknowledged.
 * UpdatedAt alone is not enough, because several records can share one timestamp and a page
 * can end between them.
 */
export interface Watermark {
  /** ISO 8601 UTC timestamp with milliseconds. */
  updatedAt: string;
  id: string;
}

/** Orders watermarks by instant first, then by id; negative when `a` comes first. */
export function compareWatermarks(a: Watermark, b: Watermark): number {
  const byTime = Date.parse(a.updatedAt) - Date.parse(b.updatedAt);
  if (byTime !== 0) return byTime;
  if (a.id === b.id) return 0;
  return a.id < b.id ? -1 : 1;
}

/** The query parameters that ask Nymble for the records after `watermark`. */
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
