import { invalidRequest } from './errors.js';

/**
 * Latest simulated time: the last millisecond of year 9999. A Date can represent times up to 8.64e15 ms
 * and is invalid beyond. Times after year 9999 still fit, but their ISO 8601 strings need a
 * six-digit year that clients may not parse.
 */
const LATEST_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

/**
 * The simulated clock: a base clock plus the total of `advance` calls. Token `iat`/`exp`,
 * login rate-limit windows and the UpdatedAt of mutations all read it.
 */
export class SimulatedClock {
  readonly #base: () => number;
  #offsetMs = 0;

  constructor(base: () => number = Date.now) {
    this.#base = base;
  }

  /** Returns the simulated time in ms since the epoch. */
  now(): number {
    return this.#base() + this.#offsetMs;
  }

  /**
   * Moves the clock forward by `ms`. Throws a 400 error and leaves the clock as it was when
   * `ms` is negative, not finite, or would move the clock past the end of year 9999.
   */
  advance(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) {
      throw invalidRequest(`ms must be a finite number of milliseconds >= 0, got ${String(ms)}`);
    }
    const maxMs = LATEST_MS - this.now();
    if (ms > maxMs) {
      const latest = new Date(LATEST_MS).toISOString();
      throw invalidRequest(
        `ms must not move the simulated clock past ${latest}, so at most ` +
          `${Math.max(0, maxMs)} ms is allowed now, got ${String(ms)}`,
      );
    }
    this.#offsetMs += ms;
  }
}
