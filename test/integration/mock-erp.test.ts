import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import type { ErpRecord, UpsertOutcomeKind } from '../../src/erp/adapter.js';
import { loadErpAdapter } from '../../src/erp/load-adapter.js';
import { MockErp } from '../../src/erp/mock-erp.js';
import { ConfigError, ErpUnavailableError } from '../../src/errors.js';

const PROJECT_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const MOCK_ERP_MODULE = pathToFileURL(path.join(PROJECT_ROOT, 'src/erp/mock-erp.ts')).href;
const RETAIL_USD = { priceTier: 'Retail', currencyCode: 'USD' };

let tempDir: string;
let openErps: MockErp[];

beforeEach(() => {
  tempDir = fs.mkdtempSync(path.join(os.tmpdir(), 'nymble-mock-erp-'));
  openErps = [];
});

afterEach(async () => {
  for (const erp of openErps) await erp.close();
  fs.rmSync(tempDir, { recursive: true, force: true });
});

function openErp(file = path.join(tempDir, 'erp.sqlite')): MockErp {
  const erp = new MockErp({ path: file });
  openErps.push(erp);
  return erp;
}

function product(id: string, version: string, payload: Record<string, unknown> = {}): ErpRecord {
  return {
    id,
    version,
    fetchedUnder: RETAIL_USD,
    payload: { Sku: `SKU-${id.toUpperCase()}`, Price: 10, ...payload },
  };
}

function order(id: string, version: string, payload: Record<string, unknown> = {}): ErpRecord {
  return {
    id,
    version,
    fetchedUnder: RETAIL_USD,
    payload: { Lines: [{ Sku: 'SKU-1', Quantity: 1 }], Total: 10, ...payload },
  };
}

function kinds(outcomes: readonly { outcome: UpsertOutcomeKind }[]): UpsertOutcomeKind[] {
  return outcomes.map((outcome) => outcome.outcome);
}

describe('MockErp upsert outcomes', () => {
  it('new record is created', async () => {
    const erp = openErp();

    const outcomes = await erp.upsert('products', [product('p1', '2024-05-01T10:00:00Z')]);

    expect(outcomes).toEqual([{ id: 'p1', outcome: 'created' }]);
    expect(erp.count('products')).toBe(1);
    expect(erp.get('products', 'p1')?.writeCount).toBe(1);
  });

  it('newer version is updated', async () => {
    const erp = openErp();
    await erp.upsert('products', [product('p1', '2024-05-01T10:00:00Z')]);

    const newer = product('p1', '2024-05-01T11:00:00Z', { Price: 12 });
    const outcomes = await erp.upsert('products', [newer]);

    expect(kinds(outcomes)).toEqual(['updated']);
    const stored = erp.get('products', 'p1');
    expect(stored?.version).toBe('2024-05-01T11:00:00Z');
    expect(stored?.payload.Price).toBe(12);
    expect(stored?.writeCount).toBe(2);
  });

  it('same version, new content updates', async () => {
    const erp = openErp();
    await erp.upsert('products', [product('p1', '2024-05-01T10:00:00Z')]);

    const outcomes = await erp.upsert('products', [
      product('p1', '2024-05-01T10:00:00Z', { Price: 11 }),
    ]);

    expect(kinds(outcomes)).toEqual(['updated']);
    expect(erp.get('products', 'p1')?.payload.Price).toBe(11);
  });

  it('new price tier counts as change', async () => {
    const erp = openErp();
    await erp.upsert('products', [product('p1', '2024-05-01T10:00:00Z')]);

    const wholesale = {
      ...product('p1', '2024-05-01T10:00:00Z'),
      fetchedUnder: { priceTier: 'Wholesale', currencyCode: 'CAD' },
    };
    const outcomes = await erp.upsert('products', [wholesale]);

    expect(kinds(outcomes)).toEqual(['updated']);
    expect(erp.get('products', 'p1')?.fetchedUnder).toEqual(wholesale.fetchedUnder);
  });

  it('same page twice is unchanged', async () => {
    const erp = openErp();
    const page = [
      product('p1', '2024-05-01T10:00:00Z'),
      product('p2', '2024-05-01T10:05:00Z'),
      product('p3', '2024-05-01T10:10:00Z'),
    ];
    await erp.upsert('products', page);
    const before = erp.list('products');

    const outcomes = await erp.upsert('products', page);

    expect(kinds(outcomes)).toEqual(['unchanged', 'unchanged', 'unchanged']);
    expect(erp.list('products')).toEqual(before);
    expect(erp.stats('products')).toEqual({ records: 3, writes: 3 });
  });

  it('key order is not a change', async () => {
    const erp = openErp();
    const record = product('p1', '2024-05-01T10:00:00Z', { Name: 'Bolt' });
    await erp.upsert('products', [record]);

    const reordered = { ...record, payload: { Name: 'Bolt', Price: 10, Sku: 'SKU-P1' } };
    const outcomes = await erp.upsert('products', [reordered]);

    expect(kinds(outcomes)).toEqual(['unchanged']);
    expect(erp.get('products', 'p1')?.writeCount).toBe(1);
  });

  it('older version never overwrites newer', async () => {
    const erp = openErp();
    await erp.upsert('products', [product('p1', '2024-05-01T12:00:00Z', { Price: 20 })]);

    const older = product('p1', '2024-05-01T09:00:00Z', { Price: 5 });
    const outcomes = await erp.upsert('products', [older]);

    expect(kinds(outcomes)).toEqual(['unchanged']);
    const stored = erp.get('products', 'p1');
    expect(stored?.version).toBe('2024-05-01T12:00:00Z');
    expect(stored?.payload.Price).toBe(20);
    expect(stored?.writeCount).toBe(1);
  });

  it('versions compare as instants', async () => {
    const erp = openErp();
    await erp.upsert('products', [product('p1', '2024-05-01T10:00:00Z', { Price: 1 })]);

    // 09:30 at UTC-2 is 11:30 UTC: newer, although it sorts first as a string.
    const later = product('p1', '2024-05-01T09:30:00-02:00', { Price: 2 });
    expect(kinds(await erp.upsert('products', [later]))).toEqual(['updated']);

    // 12:00 at UTC+2 is 10:00 UTC: older, although it sorts last as a string.
    const earlier = product('p1', '2024-05-01T12:00:00+02:00', { Price: 3 });
    expect(kinds(await erp.upsert('products', [earlier]))).toEqual(['unchanged']);
    expect(erp.get('products', 'p1')?.payload.Price).toBe(2);
  });

  it('outcomes follow input order', async () => {
    const erp = openErp();
    await erp.upsert('products', [product('b', '2024-05-01T10:00:00Z')]);

    const outcomes = await erp.upsert('products', [
      product('c', '2024-05-01T10:00:00Z'),
      product('b', '2024-05-01T11:00:00Z'),
      product('a', '2024-05-01T10:00:00Z', { Price: -1 }),
      product('b', '2024-05-01T11:00:00Z'),
      product('d', '2024-05-01T10:00:00Z'),
    ]);

    expect(outcomes.map((outcome) => outcome.id)).toEqual(['c', 'b', 'a', 'b', 'd']);
    expect(kinds(outcomes)).toEqual(['created', 'updated', 'rejected', 'unchanged', 'created']);
  });

  it('entities are kept apart', async () => {
    const erp = openErp();

    await erp.upsert('products', [product('1', '2024-05-01T10:00:00Z')]);
    const outcomes = await erp.upsert('orders', [order('1', '2024-05-01T10:00:00Z')]);

    expect(kinds(outcomes)).toEqual(['created']);
    expect(erp.count('products')).toBe(1);
    expect(erp.count('orders')).toBe(1);
  });
});

describe('MockErp validation', () => {
  const productCases: [string, Record<string, unknown>, RegExp][] = [
    ['lower-case Sku', { Sku: 'abc-1' }, /^Sku "abc-1" does not match/],
    ['leading dash Sku', { Sku: '-A1' }, /^Sku "-A1" does not match/],
    ['missing Sku', { Sku: undefined }, /^Sku is missing$/],
    ['numeric Sku', { Sku: 42 }, /^Sku 42 does not match/],
    ['negative Price', { Price: -0.01 }, /^Price -0.01 is negative$/],
    ['NaN Price', { Price: Number.NaN }, /^Price NaN is not a finite number$/],
    ['infinite Price', { Price: Infinity }, /^Price Infinity is not a finite number$/],
    ['string Price', { Price: '9.99' }, /^Price "9.99" is not a finite number$/],
  ];

  it.each(productCases)('rejects product with %s', async (_case, payload, reason) => {
    const erp = openErp();

    const record = product('p1', '2024-05-01T10:00:00Z', payload);
    const outcomes = await erp.upsert('products', [record]);

    expect(outcomes).toHaveLength(1);
    expect(outcomes[0]?.outcome).toBe('rejected');
    expect(outcomes[0]?.reason).toMatch(reason);
    expect(erp.count('products')).toBe(0);
  });

  const orderCases: [string, Record<string, unknown>, RegExp][] = [
    ['no lines', { Lines: [] }, /^Lines \[\] is empty: an order needs at least one line$/],
    ['missing lines', { Lines: undefined }, /^Lines is missing$/],
    ['lines not array', { Lines: 'x' }, /^Lines "x" is not an array$/],
    ['negative Total', { Total: -5 }, /^Total -5 is negative$/],
    ['missing Total', { Total: undefined }, /^Total is missing$/],
  ];

  it.each(orderCases)('rejects order with %s', async (_case, payload, reason) => {
    const erp = openErp();

    const outcomes = await erp.upsert('orders', [order('o1', '2024-05-01T10:00:00Z', payload)]);

    expect(outcomes[0]?.outcome).toBe('rejected');
    expect(outcomes[0]?.reason).toMatch(reason);
    expect(erp.count('orders')).toBe(0);
  });

  it('zero amounts are accepted', async () => {
    const erp = openErp();

    const free = product('p1', '2024-05-01T10:00:00Z', { Price: 0 });
    const empty = order('o1', '2024-05-01T10:00:00Z', { Total: 0 });

    expect(kinds(await erp.upsert('products', [free]))).toEqual(['created']);
    expect(kinds(await erp.upsert('orders', [empty]))).toEqual(['created']);
  });

  it('reason lists every broken rule', async () => {
    const erp = openErp();

    const record = product('p1', '2024-05-01T10:00:00Z', { Sku: 'bad', Price: -1 });
    const [outcome] = await erp.upsert('products', [record]);

    expect(outcome?.reason).toContain('Sku "bad" does not match');
    expect(outcome?.reason).toContain('Price -1 is negative');
  });

  it('rejects invalid version', async () => {
    const erp = openErp();

    const [outcome] = await erp.upsert('products', [product('p1', 'yesterday')]);

    expect(outcome?.outcome).toBe('rejected');
    expect(outcome?.reason).toBe('version "yesterday" is not an ISO 8601 date-time');
  });

  it('rejected update keeps stored record', async () => {
    const erp = openErp();
    await erp.upsert('products', [product('p1', '2024-05-01T10:00:00Z')]);

    const broken = product('p1', '2024-05-01T11:00:00Z', { Price: -3 });
    const outcomes = await erp.upsert('products', [broken]);

    expect(kinds(outcomes)).toEqual(['rejected']);
    const stored = erp.get('products', 'p1');
    expect(stored?.version).toBe('2024-05-01T10:00:00Z');
    expect(stored?.payload.Price).toBe(10);
    expect(stored?.writeCount).toBe(1);
  });
});

describe('MockErp storage', () => {
  it('records survive close and reopen', async () => {
    const file = path.join(tempDir, 'erp.sqlite');
    const first = openErp(file);
    await first.upsert('products', [product('p1', '2024-05-01T10:00:00Z')]);
    await first.upsert('orders', [order('o1', '2024-05-01T10:00:00Z')]);
    await first.close();

    const second = openErp(file);

    expect(second.get('products', 'p1')?.payload).toEqual({ Sku: 'SKU-P1', Price: 10 });
    expect(second.count('orders')).toBe(1);
    const again = await second.upsert('products', [product('p1', '2024-05-01T10:00:00Z')]);
    expect(kinds(again)).toEqual(['unchanged']);
  });

  it('creates missing parent folder', async () => {
    const file = path.join(tempDir, 'nested', 'deeper', 'erp.sqlite');

    const erp = openErp(file);
    await erp.upsert('products', [product('p1', '2024-05-01T10:00:00Z')]);

    expect(fs.existsSync(file)).toBe(true);
  });

  it('stores fetchedUnder and write times', async () => {
    const erp = openErp();
    const started = new Date().toISOString();

    await erp.upsert('products', [product('p1', '2024-05-01T10:00:00Z')]);
    await erp.upsert('products', [product('p1', '2024-05-01T11:00:00Z')]);

    const stored = erp.get('products', 'p1');
    if (stored === undefined) throw new Error('p1 was not stored');
    expect(stored.fetchedUnder).toEqual(RETAIL_USD);
    expect(stored.contentHash).toMatch(/^[0-9a-f]{64}$/);
    expect(stored.firstWrittenAt >= started).toBe(true);
    expect(stored.lastWrittenAt >= stored.firstWrittenAt).toBe(true);
    expect(stored.writeCount).toBe(2);
  });

  it('list orders records by id', async () => {
    const erp = openErp();

    await erp.upsert('products', [
      product('c', '2024-05-01T10:00:00Z'),
      product('a', '2024-05-01T10:00:00Z'),
      product('b', '2024-05-01T10:00:00Z'),
    ]);
    await erp.upsert('products', [product('a', '2024-05-01T11:00:00Z')]);

    expect(erp.list('products').map((record) => record.id)).toEqual(['a', 'b', 'c']);
    expect(erp.stats('products')).toEqual({ records: 3, writes: 4 });
    expect(erp.stats('orders')).toEqual({ records: 0, writes: 0 });
    expect(erp.get('products', 'missing')).toBeUndefined();
  });

  it('uses WAL journal mode', async () => {
    const file = path.join(tempDir, 'erp.sqlite');
    const erp = openErp(file);

    await erp.upsert('products', [product('p1', '2024-05-01T10:00:00Z')]);

    expect(fs.existsSync(`${file}-wal`)).toBe(true);
  });

  it('check passes on writable file', async () => {
    const erp = openErp();

    await expect(erp.check()).resolves.toBeUndefined();
    expect(erp.count('products')).toBe(0);
  });

  it('close twice is a no-op', async () => {
    const erp = openErp();

    await erp.close();

    await expect(erp.close()).resolves.toBeUndefined();
  });

  it('closed adapter rejects calls', async () => {
    const erp = openErp();
    await erp.close();

    await expect(erp.check()).rejects.toBeInstanceOf(ErpUnavailableError);
    await expect(erp.upsert('products', [])).rejects.toThrow(/is closed/);
  });

  it('in-memory database works', async () => {
    const erp = openErp(':memory:');

    const outcomes = await erp.upsert('products', [product('p1', '2024-05-01T10:00:00Z')]);

    expect(kinds(outcomes)).toEqual(['created']);
    await expect(erp.check()).resolves.toBeUndefined();
  });
});

const WRITER_SCRIPT = `
import fs from 'node:fs';

const [moduleUrl, dbPath, goFile, writerArg, roundsArg, idsArg] = process.argv.slice(2);
const writer = Number(writerArg);
const rounds = Number(roundsArg);
const ids = Number(idsArg);
const { MockErp } = await import(moduleUrl);
const erp = new MockErp({ path: dbPath });
const base = Date.parse('2024-05-01T00:00:00Z');
const counts = { created: 0, updated: 0, unchanged: 0, rejected: 0 };

process.stdout.write('ready\\n');
while (!fs.existsSync(goFile)) await new Promise((resolve) => setTimeout(resolve, 5));

for (let round = 0; round < rounds; round += 1) {
  const order = Array.from({ length: ids }, (_, index) => index);
  if (writer === 1) order.reverse();
  for (let start = 0; start < ids; start += 10) {
    const page = order.slice(start, start + 10).map((index) => ({
      id: 'p' + String(index).padStart(3, '0'),
      version: new Date(base + (2 * round + ((index + writer) % 2)) * 60_000).toISOString(),
      fetchedUnder: { priceTier: 'Retail', currencyCode: 'USD' },
      payload: { Sku: 'SKU-' + index, Price: round, Writer: writer },
    }));
    for (const outcome of await erp.upsert('products', page)) counts[outcome.outcome] += 1;
  }
}

await erp.close();
process.stdout.write(JSON.stringify(counts) + '\\n');
`;

interface WriterResult {
  exitCode: number | null;
  stdout: string;
  stderr: string;
}

/** Starts a writer process and resolves `ready` once it has opened the database. */
function startWriter(args: string[]): { ready: Promise<void>; done: Promise<WriterResult> } {
  const script = path.join(tempDir, 'writer.mjs');
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
    cwd: PROJECT_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let markReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => (markReady = resolve));

  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    if (stdout.includes('ready\n')) markReady();
  });
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const done = new Promise<WriterResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (exitCode) => {
      markReady();
      resolve({ exitCode, stdout, stderr });
    });
  });
  return { ready, done };
}

function parseCounts(result: WriterResult): Record<UpsertOutcomeKind, number> {
  const lines = result.stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1] ?? '{}') as Record<UpsertOutcomeKind, number>;
}

describe('MockErp across processes', () => {
  it('two writers converge on newest', async () => {
    const ids = 50;
    const rounds = 20;
    const file = path.join(tempDir, 'shared.sqlite');
    const goFile = path.join(tempDir, 'go');
    fs.writeFileSync(path.join(tempDir, 'writer.mjs'), WRITER_SCRIPT);

    const args = (writer: number) => [
      MOCK_ERP_MODULE,
      file,
      goFile,
      String(writer),
      String(rounds),
      String(ids),
    ];
    const writers = [startWriter(args(0)), startWriter(args(1))];
    await Promise.all(writers.map((writer) => writer.ready));
    fs.writeFileSync(goFile, '');
    const results = await Promise.all(writers.map((writer) => writer.done));

    for (const result of results) expect(result.exitCode, result.stderr).toBe(0);
    const counts = results.map(parseCounts);
    expect((counts[0]?.created ?? 0) + (counts[1]?.created ?? 0)).toBe(ids);
    expect((counts[0]?.rejected ?? 0) + (counts[1]?.rejected ?? 0)).toBe(0);

    const erp = openErp(file);
    const stored = erp.list('products');
    const expectedIds = Array.from({ length: ids }, (_, i) => `p${String(i).padStart(3, '0')}`);
    expect(stored.map((record) => record.id)).toEqual(expectedIds);

    const newest = new Date(Date.parse('2024-05-01T00:00:00Z') + (2 * rounds - 1) * 60_000);
    for (const [index, record] of stored.entries()) {
      expect(record.version, record.id).toBe(newest.toISOString());
      expect(record.payload.Writer, record.id).toBe((index + 1) % 2);
      expect(record.payload.Price, record.id).toBe(rounds - 1);
    }
  });
});

describe('loadErpAdapter', () => {
  const CUSTOM_ADAPTER = `
export async function createErpAdapter() {
  const stored = new Map();
  return {
    name: 'custom',
    async upsert(entity, records) {
      return records.map((record) => {
        const outcome = stored.has(record.id) ? 'unchanged' : 'created';
        stored.set(record.id, record);
        return { id: record.id, outcome };
      });
    },
    async check() {},
    async close() {},
  };
}
`;

  function writeModule(name: string, source: string): string {
    const file = path.join(tempDir, name);
    fs.writeFileSync(file, source);
    return file;
  }

  async function expectConfigError(adapter: string, detail: RegExp): Promise<void> {
    const loading = loadErpAdapter({ adapter, mockPath: path.join(tempDir, 'unused.sqlite') });

    await expect(loading).rejects.toBeInstanceOf(ConfigError);
    await expect(loading).rejects.toThrow(/ERP_ADAPTER=/);
    await expect(loading).rejects.toThrow(detail);
    await expect(loading).rejects.toThrow(/Set ERP_ADAPTER to mock/);
  }

  it('mock returns a MockErp', async () => {
    const file = path.join(tempDir, 'data', 'mock.sqlite');

    const adapter = await loadErpAdapter({ adapter: 'mock', mockPath: file });
    openErps.push(adapter as MockErp);

    expect(adapter).toBeInstanceOf(MockErp);
    expect(adapter.name).toBe('mock');
    expect(fs.existsSync(file)).toBe(true);
  });

  it('unopenable mock path rejects', async () => {
    const loading = loadErpAdapter({ adapter: 'mock', mockPath: tempDir });

    await expect(loading).rejects.toBeInstanceOf(ConfigError);
    await expect(loading).rejects.toThrow(/ERP_MOCK_DB_PATH=/);
    await expect(loading).rejects.toThrow(/could not be opened/);
  });

  it('creates nested folders, rejects /proc', async () => {
    const nested = path.join(tempDir, 'a', 'b', 'c', 'mock.sqlite');
    const adapter = await loadErpAdapter({ adapter: 'mock', mockPath: nested });
    openErps.push(adapter as MockErp);
    expect(fs.existsSync(nested)).toBe(true);

    // Node 20's recursive mkdirSync never returns for a missing folder under /proc.
    const loading = loadErpAdapter({ adapter: 'mock', mockPath: '/proc/nymble-sync/x.sqlite' });
    await expect(loading).rejects.toThrow(/could not be opened \(ENOENT/);
  });

  it('loads custom module by path', async () => {
    const file = writeModule('custom-adapter.mjs', CUSTOM_ADAPTER);
    const relative = `./${path.relative(process.cwd(), file)}`;

    for (const adapterPath of [file, relative]) {
      const adapter = await loadErpAdapter({ adapter: adapterPath, mockPath: '' });
      const record = product('p1', '2024-05-01T10:00:00Z');

      expect(adapter.name).toBe('custom');
      expect(kinds(await adapter.upsert('products', [record]))).toEqual(['created']);
      await adapter.close();
    }
  });

  it('loads CommonJS adapter module', async () => {
    const source = CUSTOM_ADAPTER.replace('export async', 'exports.createErpAdapter = async');
    const file = writeModule('custom-adapter.cjs', source);

    const adapter = await loadErpAdapter({ adapter: file, mockPath: '' });

    expect(adapter.name).toBe('custom');
    await expect(adapter.check()).resolves.toBeUndefined();
  });

  it('missing module path rejects', async () => {
    await expectConfigError(path.join(tempDir, 'absent.mjs'), /not found|failed to load/);
  });

  it('missing package rejects', async () => {
    await expectConfigError('nymble-erp-adapter-absent', /not found|failed to load/);
  });

  it('module without export rejects', async () => {
    const file = writeModule('no-export.mjs', 'export function createAdapter() {}\n');

    await expectConfigError(file, /has no createErpAdapter export/);
  });

  it('incomplete adapter rejects', async () => {
    const source = 'export function createErpAdapter() { return { upsert() {} }; }\n';
    const file = writeModule('incomplete.mjs', source);

    await expectConfigError(file, /without check, close functions/);
  });

  it('null adapter rejects', async () => {
    const file = writeModule('null.mjs', 'export function createErpAdapter() { return null; }\n');

    await expectConfigError(file, /returned null/);
  });

  it('empty value rejects', async () => {
    await expectConfigError('  ', /is empty/);
  });
});
