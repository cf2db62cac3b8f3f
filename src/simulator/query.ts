import { SimulatorHttpError } from './errors.js';
import type { PageQuery } from './store.js';

export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 500;

const LIST_PARAMETERS = ['updatedSince', 'afterId', 'pageSize'];

/** An RFC 3339 date-time with at most millisecond precision and a Z or +hh:mm offset. */
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?(Z|[+-]\d{2}:\d{2})$/;

/** Parses the keyset parameters of the list routes; throws 400 invalid_parameter. */
export function parseListQuery(params: URLSearchParams, route: string): PageQuery {
  rejectUnknown(params, route, LIST_PARAMETERS);

  const updatedSince = single(params, 'updatedSince');
  const afterId = single(params, 'afterId');
  const pageSize = single(params, 'pageSize');
  const query: PageQuery = { pageSize: parsePageSize(pageSize) };

  if (updatedSince !== undefined) {
    query.updatedSince = parseDateTime(updatedSince);
  }
  if (afterId !== undefined) {
    if (updatedSince === undefined) {
      throw invalidParameter(
        "afterId is valid only together with updatedSince; pass the last item's UpdatedAt and Id",
      );
    }
    if (afterId === '') {
      throw invalidParameter(
        'afterId must be the Id of the last item of the previous page, such as prod_000123',
      );
    }
    query.afterId = afterId;
  }
  return query;
}

/** Throws 400 invalid_parameter for any parameter that `route` does not take. */
export function rejectUnknown(
  params: URLSearchParams,
  route: string,
  allowed: readonly string[],
): void {
  const accepted = allowed.length === 0 ? 'it takes no parameters' : `use ${allowed.join(', ')}`;
  for (const name of new Set(params.keys())) {
    if (!allowed.includes(name)) {
      throw invalidParameter(`${name} is not a parameter of GET ${route}; ${accepted}`);
    }
  }
}

function single(params: URLSearchParams, name: string): string | undefined {
  const values = params.getAll(name);
  if (values.length > 1) {
    throw invalidParameter(`${name} was given ${values.length} times; give it once`);
  }
  return values[0];
}

function parsePageSize(value: string | undefined): number {
  if (value === undefined) {
    return DEFAULT_PAGE_SIZE;
  }
  const size = /^\d{1,4}$/.test(value) ? Number(value) : Number.NaN;
  if (!(size >= 1 && size <= MAX_PAGE_SIZE)) {
    throw invalidParameter(
      `pageSize must be an integer from 1 to ${MAX_PAGE_SIZE}, got '${value}'`,
    );
  }
  return size;
}

function parseDateTime(value: string): number {
  const ms = DATE_TIME.test(value) ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(ms)) {
    throw invalidParameter(
      'updatedSince must be an ISO 8601 date-time with a time zone, ' +
        `such as 2026-01-05T10:00:00.000Z, got '${value}'`,
    );
  }
  return ms;
}

function invalidParameter(message: string): SimulatorHttpError {
  return new SimulatorHttpError(400, 'invalid_parameter', message);
}
