import { LOGIN_PATH } from './api-context.js';
import { describePlan, validatePlan, type ActivePlan } from './fault-plan.js';
import { derivedRandom, type Random } from './random.js';
import type { FaultPlan, MalformedKind } from './types.js';

/** A fault decided before the route handler runs. */
export type EarlyFault =
  | { kind: 'rate-limit'; retryAfter: string | null }
  | { kind: 'server-error'; status: number }
  | { kind: 'reset-connection' };

/** The active fault plans and the seeded draws for `serverErrors.rate`. */
export class FaultInjector {
  readonly #seed: number;
  #plans: ActivePlan[] = [];
  #random: Random;

  constructor(seed: number) {
    this.#seed = seed;
    this.#random = derivedRandom(seed, 'faults');
  }

  /** Replaces the active plans and restarts the seeded draws, so a script replays the same way. */
  set(plans: FaultPlan | FaultPlan[]): void {
    const list: unknown[] = Array.isArray(plans) ? plans : [plans];
    const prefix = (index: number) => (Array.isArray(plans) ? `[${index}].` : '');
    this.#plans = list.map((plan, index) => validatePlan(plan, prefix(index)));
    this.#random = derivedRandom(this.#seed, 'faults');
  }

  clear(): void {
    this.#plans = [];
  }

  /** Returns the active plans with their remaining counts. */
  describe(): FaultPlan[] {
    return this.#plans.map(describePlan);
  }

  /** Returns the delay in ms for a request: the largest latencyMs of the matching plans. */
  latencyFor(path: string): number {
    return Math.max(0, ...this.#matching(path).map((plan) => plan.latencyMs ?? 0));
  }

  /**
   * Returns the fault to inject before handling the request and uses up one count of it, or
   * undefined. Within a plan a reset comes first, then a rate limit, then a server error, and
   * the first plan with a due fault wins.
   */
  takeEarlyFault(path: string): EarlyFault | undefined {
    for (const plan of this.#matching(path)) {
      if (take(plan.resetConnections)) {
        return { kind: 'reset-connection' };
      }
      if (plan.rateLimit !== undefined && take(plan.rateLimit)) {
        return { kind: 'rate-limit', retryAfter: plan.rateLimit.retryAfter };
      }
      const errors = plan.serverErrors;
      if (errors !== undefined && errors.remaining !== 0 && this.#random() < errors.rate) {
        take(errors);
        return { kind: 'server-error', status: errors.status };
      }
    }
    return undefined;
  }

  /** Returns the malformed body kind for a successful response and uses up one count of it. */
  takeMalformed(path: string): MalformedKind | undefined {
    for (const plan of this.#matching(path)) {
      if (plan.malformedPages !== undefined && take(plan.malformedPages)) {
        return plan.malformedPages.kind;
      }
    }
    return undefined;
  }

  #matching(path: string): ActivePlan[] {
    return this.#plans.filter((plan) => appliesTo(plan.path, path));
  }
}

/** Plans without a path cover /api/* except the login; only a plan for the login covers it. */
function appliesTo(planPath: string | undefined, path: string): boolean {
  if (path === LOGIN_PATH || planPath === LOGIN_PATH) {
    return planPath === LOGIN_PATH && path === LOGIN_PATH;
  }
  return path.startsWith(planPath ?? '/api/');
}

/** Uses up one count; returns false when the fault is absent or its count has run out. */
function take(fault: { remaining: number } | undefined): boolean {
  if (fault === undefined || fault.remaining === 0) {
    return false;
  }
  if (fault.remaining > 0) {
    fault.remaining -= 1;
  }
  return true;
}
