import { invalidRequest } from './errors.js';

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

  advance(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) {
      throw invalidRequest(`ms must be a finite number of milliseconds >= 0, got ${String(ms)}`);
    }
    this.#offsetMs += ms;
  }
}
