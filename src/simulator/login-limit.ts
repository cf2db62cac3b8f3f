const WINDOW_MS = 60_000;

/**
 * A sliding-window limit on login requests per ClientId. Only admitted requests take a slot,
 * so a client that keeps getting 429 still gets in once its oldest slot frees.
 */
export class LoginLimiter {
  readonly #limit: number;
  readonly #admittedAt = new Map<string, number[]>();

  constructor(limitPerMinute: number) {
    this.#limit = limitPerMinute;
  }

  /**
   * Admits a request at `nowMs` and returns 0, or returns the whole seconds (at least 1)
   * until the oldest slot in the window frees.
   */
  admit(clientId: string, nowMs: number): number {
    const recent = (this.#admittedAt.get(clientId) ?? []).filter((at) => at > nowMs - WINDOW_MS);

    if (recent.length >= this.#limit) {
      this.#admittedAt.set(clientId, recent);
      const oldest = Math.min(...recent);
      return Math.max(1, Math.ceil((oldest + WINDOW_MS - nowMs) / 1000));
    }

    recent.push(nowMs);
    this.#admittedAt.set(clientId, recent);
    this.#dropIdleClients(nowMs);
    return 0;
  }

  /** Forgets clients without a recent login, so random ClientIds cannot grow the map forever. */
  #dropIdleClients(nowMs: number): void {
    if (this.#admittedAt.size <= 1000) {
      return;
    }
    for (const [clientId, times] of this.#admittedAt) {
      if ((times[times.length - 1] ?? 0) <= nowMs - WINDOW_MS) {
        this.#admittedAt.delete(clientId);
      }
    }
  }
}
