/**
 * Public types of the Nymble Commerce simulator. The simulator is an independent model of the
 * vendor's REST API, so nothing here is shared with the worker code.
 */

export type Role = 'Admin' | 'Customer' | 'SalesRep';

/** An entity that the simulator lists and mutates. */
export type Entity = 'products' | 'orders';

/** A provisioned login credential and the claims of the tokens issued for it. */
export interface SimulatorClient {
  clientId: string;
  clientSecret: string;
  role: Role;
  /** Required for role Customer. Admin clients without one get `CustomerNumber: ''`. */
  customerNumber?: string;
  /** Required for role SalesRep, for example `REP-01`. */
  salesRepId?: string;
  /** Retail, Wholesale or Distributor. Default: Retail. */
  priceTier?: string;
  /** USD, CAD, EUR or GBP. Default: USD. */
  currencyCode?: string;
}

export interface SimulatorOptions {
  /** Seed of the generated data, the derived API key and signing secret. Default: 1. */
  seed?: number;
  /** Number of seeded products. Default: 500. */
  products?: number;
  /** Number of seeded orders. Default: 500. */
  orders?: number;
  /** Number of seeded customers, before the customers of `clients` are added. Default: 40. */
  customers?: number;
  /** Number of sales reps (REP-01, REP-02, ...) that customers are assigned to. Default: 4. */
  salesReps?: number;
  /** Lifetime of issued tokens in seconds, also returned as `ExpiresIn`. Default: 86400. */
  tokenTtlSeconds?: number;
  /** Maximum login requests per ClientId in any 60-second window. Default: 10. */
  loginLimitPerMinute?: number;
  /** The OrgCode that logins must send. Default: 'org_52a3021e813'. */
  orgCode?: string;
  /** The `OrganizationId` claim of issued tokens. Default: '65904937457314222c3f1cb4'. */
  organizationId?: string;
  /** The organization API key. Default: 'nk_live_' followed by 32 hex digits derived from seed. */
  apiKey?: string;
  /**
   * Login credentials. Default: Admin `sync-admin` (secret `sync-admin-secret`, Retail, USD),
   * Customer `CUST456` (customer CUST456, Wholesale, USD) and SalesRep `rep-1` (REP-01,
   * Retail, CAD), each with the secret `<clientId>-secret`.
   */
  clients?: SimulatorClient[];
  /** HMAC-SHA256 key of issued tokens. Default: 64 hex digits derived from seed. */
  signingSecret?: string;
  /** Base of the simulated clock in ms since the epoch. Default: Date.now. */
  now?: () => number;
  /** Maximum entries kept in `stats().requests`; the oldest go first. Default: 100000. */
  maxRecordedRequests?: number;
  /**
   * Receives one line for each request that failed inside the simulator (500 internal_error),
   * with the request id and the error. Default: console.error.
   */
  log?: (line: string) => void;
}

/** The caller whose view `snapshot` renders. Default: the API key's view. */
export interface SnapshotView {
  priceTier?: string;
  currencyCode?: string;
  role?: string;
  customerNumber?: string;
  salesRepId?: string;
}

/**
 * A scripted set of failures. Counts decrement each time that fault fires, and a fault whose
 * count reaches 0 is gone. A count of -1 lasts until the faults are cleared.
 */
export interface FaultPlan {
  /**
   * Request path prefix that the plan applies to. Default: every /api/* route except
   * /api/auth/login. Logins are affected only when path is exactly '/api/auth/login'.
   */
  path?: string;
  rateLimit?: {
    count: number;
    /**
     * Retry-After header value as sent: whole seconds such as '2' or '0', 'date:+2000' for an
     * HTTP date 2000 ms ahead of the wall clock, or null for no header. Default: '1'.
     */
    retryAfter?: string | null;
  };
  serverErrors?: {
    /** Number of failures. Default: -1 (until cleared). */
    count?: number;
    /** Probability from 0 to 1 that a matching request fails, drawn from `seed`. Default: 1. */
    rate?: number;
    /** Status from 500 to 599. Default: 503. */
    status?: number;
  };
  /** Delay before every matching response, in ms. Lasts until the faults are cleared. */
  latencyMs?: number;
  /** Destroys the socket without sending a response. */
  resetConnections?: { count: number };
  /** Status 200 with a cut JSON body, an HTML page, or JSON whose fields have wrong types. */
  malformedPages?: { count: number; kind: MalformedKind };
}

export type MalformedKind = 'truncated' | 'not-json' | 'invalid-schema';

export type AuthKind = 'api-key' | 'token' | 'none';

/** One handled request. Never contains the API key, a token or a secret. */
export interface RecordedRequest {
  method: string;
  /** Path without the query string. */
  path: string;
  /** Query parameters; values of parameters named like key, token or secret are redacted. */
  query: Record<string, string>;
  /** Response status, or 0 when the connection closed without a response. */
  status: number;
  /** Simulated clock at arrival, in ms since the epoch. */
  at: number;
  auth: AuthKind;
  /** ClientId of the token, or of the login request body. */
  clientId?: string;
  /** The injected fault, when one fired. */
  fault?: FaultKind;
  /** The `x-request-id` response header. */
  requestId: string;
}

export type FaultKind =
  'rate-limit' | 'server-error' | 'reset-connection' | 'malformed-page' | 'latency';

export interface SimulatorStats {
  /** Requests to /api/* and other non-control paths, oldest first. */
  requests: RecordedRequest[];
  /** Requests dropped from `requests` because of `maxRecordedRequests`. */
  requestsDropped: number;
  /** Number of `POST /api/auth/login` requests, whatever their outcome. */
  logins: number;
  /** Login requests by the ClientId in their body; those without a ClientId string are left out. */
  loginsByClient: Record<string, number>;
  /** Login responses by status code, such as { '200': 3, '429': 1 }. */
  loginResponses: Record<string, number>;
  /** All recorded responses by status code; a reset connection counts as '0'. */
  byStatus: Record<string, number>;
}

export interface Simulator {
  /** Starts listening. Defaults: host 127.0.0.1, port 0 (a free port). */
  start(opts?: { host?: string; port?: number }): Promise<{ url: string }>;
  /** Closes the server and every open socket. */
  stop(): Promise<void>;
  /** Base URL such as http://127.0.0.1:41234; throws before start. */
  readonly url: string;
  /** The provisioned organization API key. */
  readonly apiKey: string;
  /** Changes `count` records deterministically and returns their ids, sorted. */
  mutate(entity: Entity, count: number): string[];
  /** Appends `count` new records and returns their ids. */
  addRecords(entity: Entity, count: number): string[];
  /** Sets stored fields of one record without validating their values. */
  updateRecord(entity: Entity, id: string, patch: Record<string, unknown>): void;
  /** Returns every record as GET /api/<entity> renders it for `view`, in (UpdatedAt, Id) order. */
  snapshot(entity: Entity, view?: SnapshotView): object[];
  /** Replaces the active fault plans. */
  setFaults(faults: FaultPlan | FaultPlan[]): void;
  clearFaults(): void;
  revokeApiKey(key?: string): void;
  restoreApiKey(key?: string): void;
  /** Sets a new secret; tokens issued to that client before the call get 401 credential_revoked. */
  rotateClientSecret(clientId: string, newSecret: string): void;
  /** Denies `role` on `path` and every path below it. */
  denyRole(role: string, path: string): void;
  /** Allows `role` on `path` and below, overriding both a denial and the default role table. */
  allowRole(role: string, path: string): void;
  /** Moves the simulated clock forward by `ms`. */
  advanceClock(ms: number): void;
  stats(): SimulatorStats;
  resetStats(): void;
}
