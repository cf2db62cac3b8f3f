/**
 * The mock ERP: an ErpAdapter that stores records in a SQLite file, so that records survive
 * restarts and every worker process on the host writes to the same store. It validates records
 * the way a real ERP would and rejects the ones that break its rules.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

import Database from 'better-sqlite3';

import { ErpUnavailableError } from '../errors.js';
import {
  ENTITY_NAMES,
  type EntityName,
  type ErpAdapter,
  type ErpRecord,
  type UpsertOutcome,
} from './adapter.js';

export interface MockErpOptions {
  /** SQLite file path, created with its parent folder when missing. Tests may use `:memory:`. */
  path: string;
  /** How long a write waits for another process's lock before it fails, in ms. Default 5000. */
  busyTimeoutMs?: number;
}

/** A record as the mock ERP stores it. */
export interface StoredRecord {
  entity: EntityName;
  id: string;
  /** Nymble `UpdatedAt` of the stored version, as the adapter received it. */
  version: string;
  payload: Record<string, unknown>;
  fetchedUnder: { priceTier: string; currencyCode: string };
  /** SHA-256 hex digest of the payload and fetchedUnder, with object keys sorted. */
  contentHash: string;
  /** ISO 8601 time of the insert. */
  firstWrittenAt: string;
  /** ISO 8601 time of the latest insert or update. */
  lastWrittenAt: string;
  /** Number of inserts and updates. `unchanged` and `rejected` outcomes do not count. */
  writeCount: number;
}

/** Products need a Sku of upper-case letters, digits and dashes, not starting with a dash. */
export const SKU_PATTERN = /^[A-Z0-9][A-Z0-9-]*$/;

const DEFAULT_BUSY_TIMEOUT_MS = 5_000;

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS records (
    entity TEXT NOT NULL,
    id TEXT NOT NULL,
    version TEXT NOT NULL,
    version_ms INTEGER NOT NULL,
    payload TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    price_tier TEXT NOT NULL,
    currency_code TEXT NOT NULL,
    first_written_at TEXT NOT NULL,
    last_written_at TEXT NOT NULL,
    write_count INTEGER NOT NULL,
    PRIMARY KEY (entity, id)
  ) WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS write_probe (checked_at TEXT NOT NULL);
`;

/** Column values of one upsert. The statement derives the write times and the count. */
interface IncomingRow {
  entity: EntityName;
  id: string;
  version: string;
  version_ms: number;
  payload: string;
  content_hash: string;
  price_tier: string;
  currency_code: string;
  written_at: string;
}

interface RecordRow extends Omit<IncomingRow, 'written_at'> {
  first_written_at: string;
  last_written_at: string;
  write_count: number;
}

type Statements = ReturnType<typeof prepareStatements>;

function prepareStatements(db: Database.Database) {
  return {
    select: db.prepare<[string, string], RecordRow>(
      'SELECT * FROM records WHERE entity = ? AND id = ?',
    ),
    insert: db.prepare<[IncomingRow]>(
      `INSERT INTO records VALUES (@entity, @id, @version, @version_ms, @payload, @content_hash,
        @price_tier, @currency_code, @written_at, @written_at, 1)`,
    ),
    update: db.prepare<[IncomingRow]>(
      `UPDATE records SET version = @version, version_ms = @version_ms, payload = @payload,
        content_hash = @content_hash, price_tier = @price_tier, currency_code = @currency_code,
        last_written_at = @written_at, write_count = write_count + 1
      WHERE entity = @entity AND id = @id`,
    ),
    count: db.prepare<[string], { records: number; writes: number }>(
      `SELECT COUNT(*) AS records, COALESCE(SUM(write_count), 0) AS writes
      FROM records WHERE entity = ?`,
    ),
    list: db.prepare<[string], RecordRow>('SELECT * FROM records WHERE entity = ? ORDER BY id'),
    probe: db.prepare<[string]>('INSERT INTO write_probe VALUES (?)'),
  };
}

export class MockErp implements ErpAdapter {
  readonly name = 'mock';
  readonly path: string;

  private readonly db: Database.Database;
  private readonly statements: Statements;
  private readonly upsertPage: Database.Transaction<
    (entity: EntityName, records: readonly ErpRecord[]) => UpsertOutcome[]
  >;
  private closed = false;

  constructor(options: MockErpOptions) {
    this.path = options.path;
    this.db = openDatabase(options.path, options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS);
    this.statements = prepareStatements(this.db);
    this.upsertPage = this.db.transaction((entity: EntityName, records: readonly ErpRecord[]) => {
      const writtenAt = new Date().toISOString();
      return records.map((record) => this.upsertRecord(entity, record, writtenAt));
    });
  }

  async upsert(entity: EntityName, records: readonly ErpRecord[]): Promise<UpsertOutcome[]> {
    assertEntity(entity);
    this.assertOpen();

    try {
      // BEGIN IMMEDIATE takes the write lock before the first read. A deferred transaction
      // reads first, and when another process commits before its first write, the upgrade
      // fails at once with SQLITE_BUSY instead of waiting out the busy timeout.
      return this.upsertPage.immediate(entity, records);
    } catch (error) {
      if (!(error instanceof Database.SqliteError)) throw error;
      const page = `${records.length} ${entity}`;
      const message = `Mock ERP database ${this.path} failed to upsert ${page}: ${error.message}`;
      throw new ErpUnavailableError(message, { cause: error });
    }
  }

  /** Writes a row inside a transaction that is rolled back, so that nothing is kept. */
  async check(): Promise<void> {
    this.assertOpen();

    try {
      this.db.exec('BEGIN IMMEDIATE');
      try {
        this.statements.probe.run(new Date().toISOString());
      } finally {
        if (this.db.inTransaction) this.db.exec('ROLLBACK');
      }
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new ErpUnavailableError(`Mock ERP database ${this.path} is not writable: ${reason}`, {
        cause: error,
      });
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;

    this.closed = true;
    this.db.close();
  }

  count(entity: EntityName): number {
    return this.stats(entity).records;
  }

  get(entity: EntityName, id: string): StoredRecord | undefined {
    assertEntity(entity);
    this.assertOpen();

    const row = this.statements.select.get(entity, id);
    return row === undefined ? undefined : toStoredRecord(row);
  }

  /** Returns every stored record of the entity, ordered by id (byte order of the UTF-8). */
  list(entity: EntityName): StoredRecord[] {
    assertEntity(entity);
    this.assertOpen();

    return this.statements.list.all(entity).map(toStoredRecord);
  }

  /** Returns the number of stored records and the sum of their write counts. */
  stats(entity: EntityName): { records: number; writes: number } {
    assertEntity(entity);
    this.assertOpen();

    const row = this.statements.count.get(entity);
    return { records: row?.records ?? 0, writes: row?.writes ?? 0 };
  }

  private upsertRecord(entity: EntityName, record: ErpRecord, writtenAt: string): UpsertOutcome {
    const { id } = record;
    const problems = validateRecord(entity, record);
    if (problems.length > 0) return { id, outcome: 'rejected', reason: problems.join('; ') };

    const incoming = toIncomingRow(entity, record, writtenAt);
    const stored = this.statements.select.get(entity, id);
    if (stored === undefined) {
      this.statements.insert.run(incoming);
      return { id, outcome: 'created' };
    }

    if (!isNewer(incoming, stored)) return { id, outcome: 'unchanged' };

    this.statements.update.run(incoming);
    return { id, outcome: 'updated' };
  }

  private assertOpen(): void {
    if (this.closed) {
      throw new ErpUnavailableError(`Mock ERP database ${this.path} is closed`);
    }
  }
}

function openDatabase(file: string, busyTimeoutMs: number): Database.Database {
  const inMemory = file === ':memory:' || file === '';
  if (!inMemory) makeFolders(path.dirname(path.resolve(file)));

  const db = new Database(file, { timeout: busyTimeoutMs });
  // WAL lets readers in other processes go on while one process writes. With WAL, NORMAL
  // keeps commits across a process crash, but a power loss may roll back the latest ones
  // (SQLite documentation of PRAGMA synchronous).
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec(SCHEMA);
  return db;
}

/**
 * Creates `folder` and its missing parents one level at a time. Node 20's recursive mkdirSync
 * loops forever under /proc (seen on 20.20), where a plain mkdirSync fails with ENOENT.
 */
function makeFolders(folder: string): void {
  const missing: string[] = [];
  let current = folder;
  while (!fs.existsSync(current) && path.dirname(current) !== current) {
    missing.unshift(current);
    current = path.dirname(current);
  }
  for (const level of missing) fs.mkdirSync(level);
}

/**
 * Returns whether the incoming version replaces the stored one: a later instant, or the same
 * instant with different content. An earlier instant never replaces a later one.
 */
function isNewer(incoming: IncomingRow, stored: RecordRow): boolean {
  if (incoming.version_ms !== stored.version_ms) return incoming.version_ms > stored.version_ms;

  return incoming.content_hash !== stored.content_hash;
}

function toIncomingRow(entity: EntityName, record: ErpRecord, writtenAt: string): IncomingRow {
  return {
    entity,
    id: record.id,
    version: record.version,
    // NOTE: Date.parse keeps milliseconds, so versions that differ only below a millisecond
    // compare as equal and the content hash decides.
    version_ms: Date.parse(record.version),
    payload: JSON.stringify(record.payload),
    content_hash: hashContent(record),
    price_tier: record.fetchedUnder.priceTier,
    currency_code: record.fetchedUnder.currencyCode,
    written_at: writtenAt,
  };
}

function toStoredRecord(row: RecordRow): StoredRecord {
  return {
    entity: row.entity,
    id: row.id,
    version: row.version,
    payload: JSON.parse(row.payload) as Record<string, unknown>,
    fetchedUnder: { priceTier: row.price_tier, currencyCode: row.currency_code },
    contentHash: row.content_hash,
    firstWrittenAt: row.first_written_at,
    lastWrittenAt: row.last_written_at,
    writeCount: row.write_count,
  };
}

/** Hashes payload and fetchedUnder with sorted keys, so that key order is not a change. */
function hashContent(record: ErpRecord): string {
  const content = { payload: record.payload, fetchedUnder: record.fetchedUnder };
  return createHash('sha256')
    .update(JSON.stringify(sortKeys(content)))
    .digest('hex');
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (!isPlainObject(value)) return value;

  const sorted: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) sorted[key] = sortKeys(value[key]);
  return sorted;
}

function assertEntity(entity: string): void {
  if (!(ENTITY_NAMES as readonly string[]).includes(entity)) {
    const expected = ENTITY_NAMES.join(' or ');
    throw new TypeError(`Invalid entity ${JSON.stringify(entity)}: use ${expected}`);
  }
}

/** Returns one problem per broken rule, each naming the field and its value. */
function validateRecord(entity: EntityName, record: ErpRecord): string[] {
  const problems = validateEnvelope(record);
  if (!isPlainObject(record.payload)) return problems;

  const payloadProblems =
    entity === 'products' ? validateProduct(record.payload) : validateOrder(record.payload);
  return [...problems, ...payloadProblems];
}

function validateEnvelope(record: ErpRecord): string[] {
  const problems: string[] = [];
  const { id, version, fetchedUnder, payload } = record;

  if (typeof id !== 'string') problems.push(formatProblem('id', id, 'is not a string'));
  if (id === '') problems.push('id "" is empty');
  if (typeof version !== 'string' || Number.isNaN(Date.parse(version))) {
    problems.push(formatProblem('version', version, 'is not an ISO 8601 date-time'));
  }
  problems.push(...validateFetchedUnder(fetchedUnder));
  if (!isPlainObject(payload)) {
    problems.push(formatProblem('payload', payload, 'is not an object'));
  } else if (!isJsonSerializable(payload)) {
    problems.push('payload cannot be serialized as JSON');
  }
  return problems;
}

function validateFetchedUnder(fetchedUnder: unknown): string[] {
  if (!isPlainObject(fetchedUnder)) {
    return [formatProblem('fetchedUnder', fetchedUnder, 'is not an object')];
  }

  const problems: string[] = [];
  for (const field of ['priceTier', 'currencyCode']) {
    const value = fetchedUnder[field];
    if (typeof value !== 'string') {
      problems.push(formatProblem(`fetchedUnder.${field}`, value, 'is not a string'));
    }
  }
  return problems;
}

function validateProduct(payload: Record<string, unknown>): string[] {
  const problems: string[] = [];
  const sku = payload.Sku;

  if (typeof sku !== 'string' || !SKU_PATTERN.test(sku)) {
    problems.push(formatProblem('Sku', sku, `does not match ${SKU_PATTERN}`));
  }
  problems.push(...validateAmount('Price', payload.Price));
  return problems;
}

function validateOrder(payload: Record<string, unknown>): string[] {
  const problems: string[] = [];
  const lines = payload.Lines;

  if (!Array.isArray(lines)) {
    problems.push(formatProblem('Lines', lines, 'is not an array'));
  } else if (lines.length === 0) {
    problems.push('Lines [] is empty: an order needs at least one line');
  }
  problems.push(...validateAmount('Total', payload.Total));
  return problems;
}

function validateAmount(field: string, value: unknown): string[] {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    return [formatProblem(field, value, 'is not a finite number')];
  }
  if (value < 0) return [formatProblem(field, value, 'is negative')];

  return [];
}

/** Builds a problem line such as `Price -1 is negative` or `Sku is missing`. */
function formatProblem(field: string, value: unknown, problem: string): string {
  if (value === undefined) return `${field} is missing`;

  return `${field} ${formatValue(value)} ${problem}`;
}

const MAX_VALUE_LENGTH = 60;

function formatValue(value: unknown): string {
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);

  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > MAX_VALUE_LENGTH ? `${text.slice(0, MAX_VALUE_LENGTH)}…` : text;
}

function isJsonSerializable(value: unknown): boolean {
  try {
    JSON.stringify(value);
    return true;
  } catch {
    return false;
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
