import { invalidRequest } from './errors.js';
import type { FaultPlan, MalformedKind } from './types.js';

const MALFORMED_KINDS: readonly MalformedKind[] = ['truncated', 'not-json', 'invalid-schema'];
const FAULT_FIELDS = [
  'path',
  'rateLimit',
  'serverErrors',
  'latencyMs',
  'resetConnections',
  'malformedPages',
];

/** A validated plan with its remaining counts; a count of -1 lasts until cleared. */
export interface ActivePlan {
  path?: string;
  rateLimit?: { remaining: number; retryAfter: string | null };
  serverErrors?: { remaining: number; rate: number; status: number };
  latencyMs?: number;
  resetConnections?: { remaining: number };
  malformedPages?: { remaining: number; kind: MalformedKind };
}

/**
 * Checks a plan from a test or the control API and fills in defaults. Errors name the field,
 * such as rateLimit.count, prefixed by `prefix` for plans inside a list.
 */
export function validatePlan(input: unknown, prefix = ''): ActivePlan {
  const plan = requireObject(input, prefix === '' ? 'The fault plan' : prefix.slice(0, -1));
  for (const key of Object.keys(plan)) {
    if (!FAULT_FIELDS.includes(key)) {
      throw invalidRequest(`${prefix}${key} is not a fault; use one of ${FAULT_FIELDS.join(', ')}`);
    }
  }

  const active: ActivePlan = {};
  if (plan.path !== undefined) {
    active.path = validatePath(plan.path, `${prefix}path`);
  }
  if (plan.rateLimit !== undefined) {
    active.rateLimit = validateRateLimit(plan.rateLimit, `${prefix}rateLimit`);
  }
  if (plan.serverErrors !== undefined) {
    active.serverErrors = validateServerErrors(plan.serverErrors, `${prefix}serverErrors`);
  }
  if (plan.latencyMs !== undefined) {
    active.latencyMs = requireNumber(plan.latencyMs, `${prefix}latencyMs`, 0, 600_000);
  }
  if (plan.resetConnections !== undefined) {
    const name = `${prefix}resetConnections`;
    const reset = requireObject(plan.resetConnections, name);
    active.resetConnections = { remaining: requireCount(reset.count, `${name}.count`) };
  }
  if (plan.malformedPages !== undefined) {
    active.malformedPages = validateMalformed(plan.malformedPages, `${prefix}malformedPages`);
  }
  return active;
}

/** Renders an active plan in the FaultPlan shape, with remaining counts as `count`. */
export function describePlan(plan: ActivePlan): FaultPlan {
  const described: FaultPlan = {};
  if (plan.path !== undefined) {
    described.path = plan.path;
  }
  if (plan.rateLimit !== undefined) {
    const { remaining, retryAfter } = plan.rateLimit;
    described.rateLimit = { count: remaining, retryAfter };
  }
  if (plan.serverErrors !== undefined) {
    const { remaining, rate, status } = plan.serverErrors;
    described.serverErrors = { count: remaining, rate, status };
  }
  if (plan.latencyMs !== undefined) {
    described.latencyMs = plan.latencyMs;
  }
  if (plan.resetConnections !== undefined) {
    described.resetConnections = { count: plan.resetConnections.remaining };
  }
  if (plan.malformedPages !== undefined) {
    const { remaining, kind } = plan.malformedPages;
    described.malformedPages = { count: remaining, kind };
  }
  return described;
}

function validatePath(value: unknown, name: string): string {
  if (typeof value !== 'string' || !value.startsWith('/api/')) {
    throw invalidRequest(
      `${name} must be a path prefix starting with /api/, got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

function validateRateLimit(value: unknown, name: string): NonNullable<ActivePlan['rateLimit']> {
  const fault = requireObject(value, name);
  const retryAfter = fault.retryAfter === undefined ? '1' : fault.retryAfter;

  if (retryAfter !== null && !isRetryAfterValue(retryAfter)) {
    throw invalidRequest(
      `${name}.retryAfter must be a header value such as '2', 'date:+2000' ` +
        `(an HTTP date 2000 ms ahead) or null for no header, got ${JSON.stringify(retryAfter)}`,
    );
  }
  return { remaining: requireCount(fault.count, `${name}.count`), retryAfter };
}

/** Accepts 'date:<signed ms>' or any other printable ASCII text, sent as given. */
function isRetryAfterValue(value: unknown): value is string {
  if (typeof value !== 'string') {
    return false;
  }
  if (value.startsWith('date:')) {
    return /^date:[+-]\d+$/.test(value);
  }
  return /^[\x20-\x7e]*$/.test(value);
}

function validateServerErrors(
  value: unknown,
  name: string,
): NonNullable<ActivePlan['serverErrors']> {
  const fault = requireObject(value, name);
  const count = fault.count === undefined ? -1 : requireCount(fault.count, `${name}.count`);
  const rate = fault.rate === undefined ? 1 : requireNumber(fault.rate, `${name}.rate`, 0, 1);
  const status =
    fault.status === undefined ? 503 : requireInteger(fault.status, `${name}.status`, 500, 599);

  return { remaining: count, rate, status };
}

function validateMalformed(
  value: unknown,
  name: string,
): NonNullable<ActivePlan['malformedPages']> {
  const fault = requireObject(value, name);
  const kind = fault.kind as MalformedKind;
  if (!MALFORMED_KINDS.includes(kind)) {
    const kinds = MALFORMED_KINDS.join(', ');
    throw invalidRequest(`${name}.kind must be one of ${kinds}, got ${JSON.stringify(fault.kind)}`);
  }
  return { remaining: requireCount(fault.count, `${name}.count`), kind };
}

function requireObject(value: unknown, name: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalidRequest(`${name} must be a JSON object`);
  }
  return value as Record<string, unknown>;
}

/** Validates a count: a whole number of requests, or -1 for until cleared. */
function requireCount(value: unknown, name: string): number {
  return requireInteger(value, name, -1, Number.MAX_SAFE_INTEGER);
}

function requireInteger(value: unknown, name: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw invalidRequest(
      `${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

function requireNumber(value: unknown, name: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw invalidRequest(
      `${name} must be a number from ${min} to ${max}, got ${JSON.stringify(value)}`,
    );
  }
  return value;
}
