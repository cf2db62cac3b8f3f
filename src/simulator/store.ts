import type { StoredRecord } from './records.js';

/** A keyset page request; `updatedSince` is in ms since the epoch. */
export interface PageQuery {
  updatedSince?: number;
  afterId?: string;
  pageSize: number;
}

export interface Page {
  items: StoredRecord[];
  hasMore: boolean;
}

/**
 * The records of one entity, kept in insertion order and, lazily, in (UpdatedAt, Id) order.
 * Ids compare as plain strings (code unit order), the same order the API documents.
 */
export class EntityStore {
  readonly #records = new Map<string, StoredRecord>();
  #sorted: StoredRecord[] | null = null;
  #maxUpdatedAt = Number.NEGATIVE_INFINITY;
  #lastSequence = 0;

  constructor(records: readonly StoredRecord[]) {
    for (const record of records) {
      this.add(record);
    }
  }

  get size(): number {
    return this.#records.size;
  }

  get(id: string): StoredRecord | undefined {
    return this.#records.get(id);
  }

  /** Returns the records in the order they were created. */
  inserted(): StoredRecord[] {
    return [...this.#records.values()];
  }

  /** Returns the records in (UpdatedAt, Id) order. The array is shared: do not modify it. */
  sorted(): readonly StoredRecord[] {
    if (this.#sorted === null) {
      this.#sorted = [...this.#records.values()].sort(compareKeys);
    }
    return this.#sorted;
  }

  /** Returns the sequence number that the next added record should use. */
  nextSequence(): number {
    return this.#lastSequence + 1;
  }

  add(record: StoredRecord): void {
    this.#records.set(record.Id, record);
    this.#sorted = null;
    this.#maxUpdatedAt = Math.max(this.#maxUpdatedAt, record.UpdatedAt);

    const sequence = Number(record.Id.slice(record.Id.indexOf('_') + 1));
    if (Number.isSafeInteger(sequence)) {
      this.#lastSequence = Math.max(this.#lastSequence, sequence);
    }
  }

  /**
   * Returns the UpdatedAt for a change made at `nowMs`: `nowMs`, or 1 ms after the newest
   * UpdatedAt when that is later. Every change therefore sorts after all earlier data, and a
   * client that synced up to the newest record cannot miss it.
   */
  changeStamp(nowMs: number): number {
    return Math.max(nowMs, this.#maxUpdatedAt + 1);
  }

  /** Sets UpdatedAt of the records to `stamp`, which must come from `changeStamp`. */
  touch(records: readonly StoredRecord[], stamp: number): void {
    for (const record of records) {
      record.UpdatedAt = stamp;
    }
    this.#sorted = null;
    this.#maxUpdatedAt = Math.max(this.#maxUpdatedAt, stamp);
  }

  /**
   * Returns up to `pageSize` visible records after the cursor, in (UpdatedAt, Id) order. With
   * `afterId` the cursor excludes (updatedSince, afterId) itself; without it, every record
   * with UpdatedAt >= updatedSince is included.
   */
  page(query: PageQuery, visible: (record: StoredRecord) => boolean): Page {
    const sorted = this.sorted();
    const items: StoredRecord[] = [];
    let index = firstAfterCursor(sorted, query);

    for (; index < sorted.length && items.length < query.pageSize; index++) {
      const record = sorted[index] as StoredRecord;
      if (visible(record)) {
        items.push(record);
      }
    }

    return { items, hasMore: hasVisibleFrom(sorted, index, visible) };
  }
}

function hasVisibleFrom(
  sorted: readonly StoredRecord[],
  start: number,
  visible: (record: StoredRecord) => boolean,
): boolean {
  for (let index = start; index < sorted.length; index++) {
    if (visible(sorted[index] as StoredRecord)) {
      return true;
    }
  }
  return false;
}

function compareKeys(a: StoredRecord, b: StoredRecord): number {
  if (a.UpdatedAt !== b.UpdatedAt) {
    return a.UpdatedAt - b.UpdatedAt;
  }
  if (a.Id === b.Id) {
    return 0;
  }
  return a.Id < b.Id ? -1 : 1;
}

/** Binary-searches the first index that lies after the cursor; the predicate is monotonic. */
function firstAfterCursor(sorted: readonly StoredRecord[], query: PageQuery): number {
  const since = query.updatedSince;
  if (since === undefined) {
    return 0;
  }

  const afterId = query.afterId;
  const isAfter = (record: StoredRecord): boolean =>
    afterId === undefined
      ? record.UpdatedAt >= since
      : record.UpdatedAt > since || (record.UpdatedAt === since && record.Id > afterId);

  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (isAfter(sorted[middle] as StoredRecord)) {
      high = middle;
    } else {
      low = middle + 1;
    }
  }
  return low;
}
