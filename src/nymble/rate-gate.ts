/**
 * A rate-limit gate shared by every worker process through Redis. When Nymble responds with 429,
 * the gate closes until its `Retry-After` has passed, and every process checks it before each
 * request, so that no worker keeps calling the API while the limit lasts.
 */
import type { Redis } from 'ioredis';

export interface RateGate {
  /** Milliseconds until the gate opens; 0 when it is open. */
  remainingMs(): Promise<number>;
  /** Closes the gate for `ms` milliseconds from now, unless it is already closed for longer. */
  closeFor(ms: number): Promise<void>;
}

// Sets the key to the later of its current and the new deadline, so that a short 429 never
// shortens a longer one that another worker recorded.
const CLOSE_SCRIPT = `
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
local untilMs = tonumber(ARGV[1])
if untilMs > current then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
end
return 1`;

export class RedisRateGate implements RateGate {
  constructor(
    private readonly redis: Redis,
    private readonly key: string,
  ) {}

  async remainingMs(): Promise<number> {
    const value = await this.redis.get(this.key);
    if (value === null) return 0;
    return Math.max(0, Number(value) - Date.now());
  }

  async closeFor(ms: number): Promise<void> {
    if (ms <= 0) return;
    await this.redis.eval(
      CLOSE_SCRIPT,
      1,
      this.key,
      String(Date.now() + ms),
      String(Math.ceil(ms)),
    );
  }
}

/** A gate for one process only: for preflight and tests that run without Redis. */
export class LocalRateGate implements RateGate {
  #untilMs = 0;

  async remainingMs(): Promise<number> {
    return Math.max(0, this.#untilMs - Date.now());
  }

  async closeFor(ms: number): Promise<void> {
    this.#untilMs = Math.max(this.#untilMs, Date.now() + ms);
  }
}
