import type { RecordedRequest, SimulatorStats } from './types.js';

/** Query parameters whose values are replaced, in case a client sends a credential there. */
const SECRET_PARAMETER = /key|token|secret|password|auth/i;

/**
 * Counts and a bounded log of the requests the simulator handled, for exact test assertions.
 * Counters are Maps because ClientIds come from request bodies and may be any string.
 */
export class StatsRecorder {
  readonly #maxRequests: number;
  #requests: RecordedRequest[] = [];
  #requestsDropped = 0;
  #logins = 0;
  #loginsByClient = new Map<string, number>();
  #loginResponses = new Map<string, number>();
  #byStatus = new Map<string, number>();

  constructor(maxRequests: number) {
    this.#maxRequests = maxRequests;
  }

  /** Records a finished request; `loginClientId` is the ClientId of a login body, if any. */
  record(request: RecordedRequest, isLogin: boolean, loginClientId: string | undefined): void {
    increment(this.#byStatus, String(request.status));
    if (isLogin) {
      this.#logins += 1;
      increment(this.#loginResponses, String(request.status));
      if (loginClientId !== undefined) {
        increment(this.#loginsByClient, loginClientId);
      }
    }

    this.#requests.push(request);
    // Trimming in batches of a tenth keeps the cost per request constant.
    const slack = Math.max(1, Math.floor(this.#maxRequests / 10));
    if (this.#requests.length >= this.#maxRequests + slack) {
      this.#trim();
    }
  }

  /** Returns a copy, so later requests do not change what a test already read. */
  snapshot(): SimulatorStats {
    this.#trim();
    return {
      requests: structuredClone(this.#requests),
      requestsDropped: this.#requestsDropped,
      logins: this.#logins,
      loginsByClient: Object.fromEntries(this.#loginsByClient),
      loginResponses: Object.fromEntries(this.#loginResponses),
      byStatus: Object.fromEntries(this.#byStatus),
    };
  }

  reset(): void {
    this.#requests = [];
    this.#requestsDropped = 0;
    this.#logins = 0;
    this.#loginsByClient.clear();
    this.#loginResponses.clear();
    this.#byStatus.clear();
  }

  #trim(): void {
    const excess = this.#requests.length - this.#maxRequests;
    if (excess > 0) {
      this.#requests.splice(0, excess);
      this.#requestsDropped += excess;
    }
  }
}

/** Copies the query parameters, redacting any whose name looks like a credential. */
export function redactQuery(params: URLSearchParams): Record<string, string> {
  const query: Record<string, string> = {};
  for (const [name, value] of params) {
    Object.defineProperty(query, name, {
      value: SECRET_PARAMETER.test(name) ? '[redacted]' : value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return query;
}

function increment(counts: Map<string, number>, key: string): void {
  counts.set(key, (counts.get(key) ?? 0) + 1);
}
