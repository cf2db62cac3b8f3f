/**
 * Picks the ERP adapter named by ERP_ADAPTER: the built-in mock, or a module that exports
 * `createErpAdapter()`. Every problem with the setting is a ConfigError, reported at start-up.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';

import { ConfigError } from '../errors.js';
import type { ErpAdapter } from './adapter.js';
import { MockErp } from './mock-erp.js';

export interface ErpAdapterSpec {
  /** `mock`, a module path (relative to the working directory, or absolute) or a package name. */
  adapter: string;
  /** SQLite file of the mock ERP, used only when `adapter` is `mock`. */
  mockPath: string;
}

type AdapterFactory = () => ErpAdapter | Promise<ErpAdapter>;

const FIX =
  'Set ERP_ADAPTER to mock, or to the path or package name of a module that exports ' +
  'createErpAdapter() (see docs/erp-adapters.md).';

const NOT_FOUND_CODES = new Set(['ERR_MODULE_NOT_FOUND', 'MODULE_NOT_FOUND']);

/**
 * Creates the ERP adapter that the spec names. Errors that `createErpAdapter()` itself throws
 * reach the caller unchanged.
 * @throws ConfigError when the module is missing, fails to load, lacks the export, or returns
 *   an object without upsert, check and close functions.
 */
export async function loadErpAdapter(spec: ErpAdapterSpec): Promise<ErpAdapter> {
  const value = spec.adapter.trim();
  if (value === 'mock') return openMockErp(spec.mockPath);
  if (value === '') throw adapterError(spec.adapter, 'is empty.');

  const specifier = toImportSpecifier(value);
  const module = await importAdapterModule(spec.adapter, specifier);
  const factory = findFactory(module);
  if (factory === undefined) {
    const problem = `names module ${specifier}, which has no createErpAdapter export.`;
    throw adapterError(spec.adapter, problem);
  }

  const adapter: unknown = await factory();
  assertAdapter(spec.adapter, adapter);
  return adapter;
}

function openMockErp(mockPath: string): MockErp {
  try {
    return new MockErp({ path: mockPath });
  } catch (error) {
    throw new ConfigError([
      `ERP_MOCK_DB_PATH=${JSON.stringify(mockPath)} is invalid: the mock ERP database could ` +
        `not be opened (${firstLine(error)}). Point it at a writable file path.`,
    ]);
  }
}

/** Turns a path into a file URL resolved against the working directory; keeps package names. */
function toImportSpecifier(value: string): string {
  if (value.startsWith('file:')) return value;
  if (!value.startsWith('.') && !path.isAbsolute(value)) return value;

  return pathToFileURL(path.resolve(process.cwd(), value)).href;
}

async function importAdapterModule(value: string, specifier: string): Promise<unknown> {
  try {
    return (await import(specifier)) as unknown;
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code;
    const problem = NOT_FOUND_CODES.has(String(code))
      ? `names a module that was not found (${firstLine(error)}).`
      : `names module ${specifier}, which failed to load (${firstLine(error)}).`;
    throw adapterError(value, problem);
  }
}

/** Returns the named export, or the one on a CommonJS module's default export. */
function findFactory(module: unknown): AdapterFactory | undefined {
  const named = (module as { createErpAdapter?: unknown }).createErpAdapter;
  const fromDefault = (module as { default?: { createErpAdapter?: unknown } }).default
    ?.createErpAdapter;
  const factory = named ?? fromDefault;

  return typeof factory === 'function' ? (factory as AdapterFactory) : undefined;
}

function assertAdapter(value: string, adapter: unknown): asserts adapter is ErpAdapter {
  if (typeof adapter !== 'object' || adapter === null) {
    const returned = adapter === null ? 'null' : typeof adapter;
    throw adapterError(value, `names a module whose createErpAdapter() returned ${returned}.`);
  }

  const candidate = adapter as Record<string, unknown>;
  const methods = ['upsert', 'check', 'close'];
  const missing = methods.filter((method) => typeof candidate[method] !== 'function');
  if (missing.length === 0) return;

  throw adapterError(
    value,
    `names a module whose createErpAdapter() returned an object without ` +
      `${missing.join(', ')} functions.`,
  );
}

function adapterError(value: string, problem: string): ConfigError {
  const setting = `ERP_ADAPTER=${JSON.stringify(value)}`;
  return new ConfigError([`${setting} is invalid: it ${problem} ${FIX}`]);
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0] ?? message;
}
