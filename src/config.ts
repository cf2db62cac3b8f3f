/**
 * The worker's configuration: parsed once at start from environment variables by one schema,
 * with every problem reported in one ConfigError, then frozen. The README's configuration table lists
 * the variables; keep it in step with `loadConfig` below.
 */
import { CronExpressionParser } from 'cron-parser';

import { ConfigError } from './errors.js';
import { registerSecret } from './secrets.js';
import type { EntityName } from './erp/adapter.js';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/** The worker's authentication method: a pre-issued API key, or credential login. */
export type NymbleAuth =
  | { method: 'api-key'; apiKey: string }
  | { method: 'login'; orgCode: string; clientId: string; clientSecret: string }
  /** Only for commands that never call Nymble, loaded with `{ nymble: 'optional' }`. */
  | { method: 'none' };

/** A BullMQ Job Scheduler's repeat: a cron pattern in a time zone, or a fixed interval. */
export type Schedule =
  { kind: 'cron'; pattern: string; timezone: string } | { kind: 'interval'; everyMs: number };

export interface Config {
  redisUrl: string;
  /** BullMQ key prefix, and the prefix of nymble-sync's own Redis keys. */
  queuePrefix: string;
  nymble: {
    baseUrl: string;
    auth: NymbleAuth;
    requestTimeoutMs: number;
    /** Largest response body the client accepts, in bytes. */
    maxResponseBytes: number;
    pageSize: number;
    tokenRefreshSkewSeconds: number;
    loginsPerMinute: number;
    allowScopedSync: boolean;
  };
  retry: {
    /** Attempts for a transient failure (5xx, timeout, reset) of one request, first one included. */
    maxAttempts: number;
    baseDelayMs: number;
    maxDelayMs: number;
    /** A `Retry-After` up to this is slept inside the job; a longer one re-queues the job. */
    inlineWaitMaxMs: number;
    /** How long one sync may keep meeting 429 before it is dead-lettered. */
    rateLimitBudgetMs: number;
  };
  sync: {
    entities: readonly EntityName[];
    schedules: Readonly<Record<EntityName, Schedule>>;
    lockDurationMs: number;
  };
  erp: { adapter: string; mockPath: string };
  http: {
    host: string;
    port: number;
    dashboardUsername?: string;
    dashboardPassword?: string;
    dashboardReadOnly: boolean;
  };
  logLevel: LogLevel;
  shutdownTimeoutMs: number;
  scheduleCheckIntervalMs: number;
}

type Env = Record<string, string | undefined>;

/** Collects problems while reading variables, so that all of them are reported at once. */
class EnvReader {
  readonly problems: string[] = [];

  constructor(private readonly env: Env) {}

  raw(name: string): string | undefined {
    const value = this.env[name]?.trim();
    return value === '' ? undefined : value;
  }

  string(name: string, fallback: string): string {
    return this.raw(name) ?? fallback;
  }

  integer(name: string, fallback: number, min: number, max: number): number {
    const value = this.raw(name);
    if (value === undefined) return fallback;

    // Decimal digits only: Number() would also take 0x10, 1e3 or 0b11 without a word.
    const parsed = /^-?\d+$/.test(value) ? Number(value) : Number.NaN;
    if (!Number.isInteger(parsed) || parsed < min || parsed > max) {
      this.problems.push(
        `${name}=${JSON.stringify(value)} is invalid: use a whole number from ${min} to ${max}`,
      );
      return fallback;
    }
    return parsed;
  }

  boolean(name: string, fallback: boolean): boolean {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    if (/^(true|1|yes)$/i.test(value)) return true;
    if (/^(false|0|no)$/i.test(value)) return false;

    this.problems.push(`${name}=${JSON.stringify(value)} is invalid: use true or false`);
    return fallback;
  }

  url(name: string, fallback: string | undefined, protocols: readonly string[]): string {
    const value = this.raw(name) ?? fallback;
    if (value === undefined) {
      this.problems.push(
        `${name} is missing: set it to the base URL, for example https://api.example.com`,
      );
      return '';
    }
    const shown = JSON.stringify(withoutUserInfo(value));
    if (!URL.canParse(value)) {
      this.problems.push(`${name}=${shown} is not a valid URL: check the host and the port`);
    } else if (!protocols.includes(new URL(value).protocol)) {
      this.problems.push(`${name}=${shown} is invalid: use a ${protocols.join(' or ')} URL`);
    }
    return value;
  }
}

/**
 * Hides everything before the last `@` of a URL shown in a message, after its scheme, so that
 * a password stays hidden even when it contains `/` or `@` or the URL does not parse. Also hides
 * `password` and `username` query parameters, which ioredis reads from a Redis URL.
 */
export function withoutUserInfo(url: string): string {
  return url
    .replace(/^([A-Za-z][A-Za-z0-9+.-]*:\/*)?[^]*@/, '$1[redacted]@')
    .replace(/([?&](?:password|username)=)[^&#]*/gi, '$1[redacted]');
}

/** Visible ASCII only: what an HTTP header value such as `x-api-key` can carry. */
const HEADER_SAFE = /^[\x21-\x7e]+$/;

function checkRedisDatabase(reader: EnvReader, url: string): void {
  if (!URL.canParse(url)) return;
  const path = new URL(url).pathname;
  // Redis has databases 0 to 15 unless its `databases` setting changes that, and ioredis
  // falls back to database 0 when the SELECT fails, so a number outside them is refused here.
  if (path === '' || path === '/' || /^\/(\d|1[0-5])$/.test(path)) return;
  reader.problems.push(
    `REDIS_URL=${JSON.stringify(withoutUserInfo(url))} names the database ${JSON.stringify(path.slice(1))}: ` +
      'use a database number from 0 to 15, such as redis://127.0.0.1:6379/0',
  );
}

const ENTITY_DEFAULT_INTERVAL_SECONDS: Record<EntityName, number> = { products: 300, orders: 60 };

function readAuth(reader: EnvReader): NymbleAuth {
  const apiKey = reader.raw('NYMBLE_API_KEY');
  const login = {
    orgCode: reader.raw('NYMBLE_ORG_CODE'),
    clientId: reader.raw('NYMBLE_CLIENT_ID'),
    clientSecret: reader.raw('NYMBLE_CLIENT_SECRET'),
  };
  const loginNames = ['NYMBLE_ORG_CODE', 'NYMBLE_CLIENT_ID', 'NYMBLE_CLIENT_SECRET'];
  const loginSet = Object.values(login).filter((value) => value !== undefined).length;

  if (apiKey !== undefined && loginSet > 0) {
    reader.problems.push(
      'NYMBLE_API_KEY and the login credentials are both set: keep NYMBLE_API_KEY ' +
        `or ${loginNames.join(', ')}, not both`,
    );
  }
  if (apiKey !== undefined && !HEADER_SAFE.test(apiKey)) {
    reader.problems.push(
      'NYMBLE_API_KEY contains spaces, control or non-ASCII characters, which an HTTP header ' +
        'cannot carry: copy the key again without them',
    );
  }
  if (apiKey !== undefined) return { method: 'api-key', apiKey };

  if (loginSet === 0) {
    reader.problems.push(
      `NYMBLE_API_KEY is missing: set it, or set ${loginNames.join(', ')} for credential login`,
    );
  } else if (loginSet < 3) {
    const missing = loginNames.filter((_, index) => Object.values(login)[index] === undefined);
    reader.problems.push(
      `${missing.join(', ')} missing: credential login needs all of ${loginNames.join(', ')}`,
    );
  }
  return {
    method: 'login',
    orgCode: login.orgCode ?? '',
    clientId: login.clientId ?? '',
    clientSecret: login.clientSecret ?? '',
  };
}

function readEntities(reader: EnvReader): EntityName[] {
  const value = reader.string('SYNC_ENTITIES', 'products,orders');
  const names = value
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  const invalid = names.filter((name) => name !== 'products' && name !== 'orders');

  if (invalid.length > 0 || names.length === 0) {
    reader.problems.push(
      `SYNC_ENTITIES=${JSON.stringify(value)} is invalid: use products, orders or both, comma-separated`,
    );
    return ['products', 'orders'];
  }
  return [...new Set(names)] as EntityName[];
}

function isValidTimezone(timezone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone });
    return true;
  } catch {
    return false;
  }
}

function readSchedule(reader: EnvReader, entity: EntityName, timezone: string): Schedule {
  const prefix = `SYNC_${entity.toUpperCase()}`;
  const cron = reader.raw(`${prefix}_CRON`);
  const intervalName = `${prefix}_INTERVAL_SECONDS`;
  const interval = reader.integer(
    intervalName,
    ENTITY_DEFAULT_INTERVAL_SECONDS[entity],
    1,
    7 * 86_400,
  );

  if (cron === undefined) return { kind: 'interval', everyMs: interval * 1000 };
  if (reader.raw(intervalName) !== undefined) {
    reader.problems.push(`${prefix}_CRON and ${intervalName} are both set: keep one of them`);
  }
  try {
    CronExpressionParser.parse(cron, { tz: timezone });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    reader.problems.push(
      `${prefix}_CRON=${JSON.stringify(cron)} is invalid (${reason}): use a cron pattern such as "*/5 * * * *"`,
    );
  }
  return { kind: 'cron', pattern: cron, timezone };
}

function readLogLevel(reader: EnvReader): LogLevel {
  const value = reader.string('LOG_LEVEL', 'info');
  const levels: LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
  if ((levels as string[]).includes(value)) return value as LogLevel;

  reader.problems.push(
    `LOG_LEVEL=${JSON.stringify(value)} is invalid: use one of ${levels.join(', ')}`,
  );
  return 'info';
}

function readHttp(reader: EnvReader): Config['http'] {
  const http = {
    host: reader.string('HTTP_HOST', '127.0.0.1'),
    port: reader.integer('HTTP_PORT', 3000, 0, 65_535),
    dashboardUsername: reader.raw('DASHBOARD_USERNAME'),
    dashboardPassword: reader.raw('DASHBOARD_PASSWORD'),
    dashboardReadOnly: reader.boolean('DASHBOARD_READ_ONLY', false),
  };
  if ((http.dashboardUsername === undefined) !== (http.dashboardPassword === undefined)) {
    reader.problems.push('DASHBOARD_USERNAME and DASHBOARD_PASSWORD must be set together');
  }
  if (http.dashboardUsername?.includes(':')) {
    // Basic auth splits user and password at the first colon (RFC 7617, section 2).
    reader.problems.push(
      `DASHBOARD_USERNAME=${JSON.stringify(http.dashboardUsername)} contains a colon, which ` +
        'basic auth cannot carry in a user name: choose a name without one',
    );
  }
  const exposure = dashboardExposureProblem(http);
  if (exposure !== undefined) reader.problems.push(exposure);
  return http;
}

/**
 * Returns why the HTTP settings are unsafe, or undefined when they are safe. Bull Board has no
 * authentication of its own, so off loopback the dashboard is served only behind basic auth.
 */
export function dashboardExposureProblem(http: {
  host: string;
  dashboardUsername?: string;
  dashboardPassword?: string;
}): string | undefined {
  const credentialsSet =
    http.dashboardUsername !== undefined && http.dashboardPassword !== undefined;
  if (isLoopbackHost(http.host) || credentialsSet) return undefined;

  return (
    `HTTP_HOST=${JSON.stringify(http.host)} is not a loopback address and the dashboard has no ` +
    'credentials: set DASHBOARD_USERNAME and DASHBOARD_PASSWORD, or set HTTP_HOST=127.0.0.1'
  );
}

function readTimezone(reader: EnvReader): string {
  const timezone = reader.string('SYNC_TIMEZONE', 'UTC');
  if (isValidTimezone(timezone)) return timezone;

  reader.problems.push(
    `SYNC_TIMEZONE=${JSON.stringify(timezone)} is invalid: use an IANA time zone such as UTC or Europe/Berlin`,
  );
  return 'UTC';
}

const NYMBLE_CONNECTION_VARIABLES = [
  'NYMBLE_BASE_URL',
  'NYMBLE_API_KEY',
  'NYMBLE_ORG_CODE',
  'NYMBLE_CLIENT_ID',
  'NYMBLE_CLIENT_SECRET',
];

function readNymble(reader: EnvReader, requirement: 'required' | 'optional'): Config['nymble'] {
  const absent = NYMBLE_CONNECTION_VARIABLES.every((name) => reader.raw(name) === undefined);
  const skip = requirement === 'optional' && absent;
  return {
    baseUrl: skip ? '' : reader.url('NYMBLE_BASE_URL', undefined, ['http:', 'https:']),
    auth: skip ? { method: 'none' } : readAuth(reader),
    requestTimeoutMs: reader.integer('NYMBLE_REQUEST_TIMEOUT_MS', 30_000, 100, 600_000),
    // 64 MiB by default, about 200 times a 500-record page of the simulator's orders (330 KB).
    maxResponseBytes: reader.integer(
      'NYMBLE_MAX_RESPONSE_BYTES',
      64 * 1024 ** 2,
      65_536,
      1024 ** 3,
    ),
    pageSize: reader.integer('NYMBLE_PAGE_SIZE', 200, 1, 500),
    tokenRefreshSkewSeconds: reader.integer('NYMBLE_TOKEN_REFRESH_SKEW_SECONDS', 300, 0, 86_400),
    loginsPerMinute: reader.integer('NYMBLE_LOGINS_PER_MINUTE', 10, 1, 10),
    allowScopedSync: reader.boolean('NYMBLE_ALLOW_SCOPED_SYNC', false),
  };
}

function readRetry(reader: EnvReader): Config['retry'] {
  const retry = {
    maxAttempts: reader.integer('RETRY_MAX_ATTEMPTS', 5, 1, 50),
    baseDelayMs: reader.integer('RETRY_BASE_DELAY_MS', 500, 0, 600_000),
    maxDelayMs: reader.integer('RETRY_MAX_DELAY_MS', 30_000, 0, 3_600_000),
    inlineWaitMaxMs: reader.integer('RATE_LIMIT_INLINE_WAIT_MAX_MS', 5_000, 0, 600_000),
    rateLimitBudgetMs: reader.integer('RATE_LIMIT_BUDGET_MS', 900_000, 1_000, 86_400_000),
  };
  if (retry.maxDelayMs < retry.baseDelayMs) {
    reader.problems.push(
      `RETRY_MAX_DELAY_MS=${retry.maxDelayMs} is below RETRY_BASE_DELAY_MS=${retry.baseDelayMs}: raise it`,
    );
  }
  return retry;
}

export interface LoadConfigOptions {
  /**
   * `optional` lets commands that only read or change the queues (status, dlq, dashboard) run
   * without NYMBLE_BASE_URL and a credential; set ones are still checked. Default `required`.
   */
  nymble?: 'required' | 'optional';
}

/**
 * Parses the environment into a frozen Config.
 * @throws ConfigError listing every invalid or missing variable.
 */
export function loadConfig(env: Env = process.env, options: LoadConfigOptions = {}): Config {
  const reader = new EnvReader(env);
  const timezone = readTimezone(reader);
  const redisUrl = reader.url('REDIS_URL', 'redis://127.0.0.1:6379', ['redis:', 'rediss:']);
  checkRedisDatabase(reader, redisUrl);
  const config: Config = {
    redisUrl,
    queuePrefix: reader.string('QUEUE_PREFIX', 'nymble-sync'),
    nymble: readNymble(reader, options.nymble ?? 'required'),
    retry: readRetry(reader),
    sync: {
      entities: readEntities(reader),
      schedules: {
        products: readSchedule(reader, 'products', timezone),
        orders: readSchedule(reader, 'orders', timezone),
      },
      lockDurationMs: reader.integer('SYNC_LOCK_DURATION_MS', 60_000, 5_000, 3_600_000),
    },
    erp: {
      adapter: reader.string('ERP_ADAPTER', 'mock'),
      mockPath: reader.string('ERP_MOCK_DB_PATH', './data/mock-erp.sqlite'),
    },
    http: readHttp(reader),
    logLevel: readLogLevel(reader),
    shutdownTimeoutMs: reader.integer('SHUTDOWN_TIMEOUT_MS', 8_000, 100, 600_000),
    scheduleCheckIntervalMs: reader.integer('SCHEDULE_CHECK_INTERVAL_MS', 30_000, 1_000, 3_600_000),
  };

  if (!/^[A-Za-z0-9_.:-]+$/.test(config.queuePrefix)) {
    reader.problems.push(
      `QUEUE_PREFIX=${JSON.stringify(config.queuePrefix)} is invalid: use letters, digits, dash, dot, colon or underscore`,
    );
  }
  if (reader.problems.length > 0) throw new ConfigError(reader.problems);
  registerConfigSecrets(config);
  return deepFreeze(config);
}

/**
 * Registers the secrets of a valid configuration with the scrubber at once, so that an error
 * raised before the credential is built (by an ERP adapter that fails to load, for example) is
 * scrubbed too.
 */
function registerConfigSecrets(config: Config): void {
  const auth = config.nymble.auth;
  if (auth.method === 'api-key') registerSecret(auth.apiKey);
  if (auth.method === 'login') registerSecret(auth.clientSecret);
  registerSecret(config.http.dashboardPassword);
  if (!URL.canParse(config.redisUrl)) return;

  const url = new URL(config.redisUrl);
  registerSecret(url.password);
  registerSecret(safeDecode(url.password));
  registerSecret(url.searchParams.get('password') ?? undefined);
}

function safeDecode(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

/** Returns whether the HTTP host is a loopback address, where the dashboard may run without credentials. */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}
