import { describe, expect, it } from 'vitest';

import { SimulatedClock } from '../../src/simulator/clock.js';
import { SimulatorHttpError } from '../../src/simulator/errors.js';

/** The last millisecond of year 9999, the latest time the simulated clock may reach. */
const LATEST_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);
const BASE_MS = Date.UTC(2030, 0, 1);

function advanceError(clock: SimulatedClock, ms: number): unknown {
  try {
    clock.advance(ms);
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('simulated clock', () => {
  it('advances by the given ms', () => {
    const clock = new SimulatedClock(() => BASE_MS);
    clock.advance(60_000);

    expect(clock.now()).toBe(BASE_MS + 60_000);
  });

  it('advances up to year 9999', () => {
    const clock = new SimulatedClock(() => BASE_MS);
    clock.advance(LATEST_MS - BASE_MS);

    expect(clock.now()).toBe(LATEST_MS);
    expect(new Date(clock.now()).toISOString()).toBe('9999-12-31T23:59:59.999Z');
  });

  it.each([1e300, 8.64e15, LATEST_MS - BASE_MS + 1, Number.MAX_VALUE])(
    'rejects advance of %d ms',
    (ms) => {
      const clock = new SimulatedClock(() => BASE_MS);
      clock.advance(1_000);

      const error = advanceError(clock, ms);

      expect(error).toBeInstanceOf(SimulatorHttpError);
      expect(error).toMatchObject({ status: 400, code: 'invalid_request' });
      expect((error as Error).message).toMatch(/^ms /);
      expect(clock.now()).toBe(BASE_MS + 1_000);
      expect(new Date(clock.now()).toISOString()).toBe('2030-01-01T00:00:01.000Z');
    },
  );

  it.each([-5, Number.NaN, Number.POSITIVE_INFINITY])('rejects invalid ms %d', (ms) => {
    const clock = new SimulatedClock(() => BASE_MS);

    expect(() => clock.advance(ms)).toThrow(SimulatorHttpError);
    expect(clock.now()).toBe(BASE_MS);
  });
});
