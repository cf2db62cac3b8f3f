/**
 * LoginCredential against the Nymble simulator and the Redis at 127.0.0.1:6379. Every key
 * lives under TEST_PREFIX and is deleted after the file. Each test uses its own sub-prefix,
 * which keeps the tests apart.
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { inspect } from 'node:util';

import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { CredentialsRejectedError, RateLimitedError, UnavailableError } from '../../src/errors.js';
import type { AuthHeader } from '../../src/nymble/credentials.js';
import {
  LoginCredential,
  type LoginCredentialOptions,
  type LoginResult,
} from '../../src/nymble/login.js';
import { stateKeys, type StateKeys } from '../../src/queue/names.js';
import {
  createSimulator,
  type Simulator,
  type SimulatorOptions,
} from '../../src/simulator/index.js';

const REDIS_URL = 'redis://127.0.0.1:6379';
const TEST_PREFIX = `test-login-${process.pid}-${Date.now()}`;
const ADMIN = {
  orgCode: 'org_52a3021e813',
  clientId: 'sync-admin',
  clientSecret: 'sync-admin-secret',
};
const PROJECT_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const HELPER = fileURLToPath(new URL('../helpers/login-process.ts', import.meta.url));
const BUDGET_WARNING = 'login budget used up, waiting for a slot';
const LOCK_WAIT_MESSAGE = 'waiting for another process to log in';

/** Every token that the tests obtained, looked for in Redis and the logs by the last test. */
const seenTokens = new Set<string>();
const logLines: string[] = [];
const logger = pino(
  { level: 'debug' },
  new Writable({
    write(chunk: Buffer, _encoding, done) {
      logLines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  }),
);

const admin = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
let caseNumber = 0;
let keys: StateKeys;
let simulators: Simulator[] = [];
let connections: Redis[] = [];
let credentials: LoginCredential[] = [];

/** A frozen clock for the credential that also moves the simulator's clock when advanced. */
class FakeClock {
  #ms = Date.now();

  constructor(private readonly sim: Simulator) {}

  readonly now = (): number => this.#ms;

  advance(ms: number): void {
    this.#ms += ms;
    this.sim.advanceClock(ms);
  }
}

beforeEach(() => {
  caseNumber += 1;
  keys = stateKeys(`${TEST_PREFIX}-${caseNumber}`);
});

afterEach(async () => {
  for (const credential of credentials) await credential.close();
  for (const connection of connections) await connection.quit();
  for (const sim of simulators) await sim.stop();
  credentials = [];
  connections = [];
  simulators = [];
});

afterAll(async () => {
  for (const key of await keysUnder(TEST_PREFIX)) await admin.del(key);
  await admin.quit();
});

async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const sim = createSimulator({ products: 5, orders: 5, ...options });
  simulators.push(sim);
  await sim.start();
  return sim;
}

function connect(): Redis {
  const connection = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  connections.push(connection);
  return connection;
}

function makeCredential(
  sim: Simulator,
  overrides: Partial<LoginCredentialOptions> = {},
): LoginCredential {
  const credential = new LoginCredential({
    baseUrl: sim.url,
    ...ADMIN,
    refreshSkewSeconds: 300,
    loginsPerMinute: 10,
    timeoutMs: 5_000,
    redis: overrides.redis ?? connect(),
    keys,
    log: logger,
    ...overrides,
  });
  credentials.push(credential);
  return credential;
}

async function currentHeader(credential: LoginCredential): Promise<AuthHeader> {
  const header = await credential.current();
  seenTokens.add(header.value);
  return header;
}

async function keysUnder(prefix: string): Promise<string[]> {
  const found: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await admin.scan(cursor, 'MATCH', `${prefix}-*`, 'COUNT', 200);
    found.push(...batch);
    cursor = next;
  } while (cursor !== '0');
  return found;
}

/** Reads a key's contents as text, by type, for substring checks. */
async function keyContents(key: string): Promise<string> {
  const type = await admin.type(key);
  if (type === 'string') return (await admin.get(key)) ?? '';
  if (type === 'zset') return (await admin.zrange(key, 0, -1, 'WITHSCORES')).join(' ');
  if (type === 'hash') return JSON.stringify(await admin.hgetall(key));
  if (type === 'set') return (await admin.smembers(key)).join(' ');
  if (type === 'list') return (await admin.lrange(key, 0, -1)).join(' ');
  return `unreadable type ${type}`;
}

function logsWithMessage(message: string, fromLine = 0): Array<Record<string, unknown>> {
  return logLines
    .slice(fromLine)
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((entry) => entry.msg === message);
}

/** Returns the largest number of login requests that the simulator received within any 60 s. */
function maxLoginsInAnyMinute(sim: Simulator): number {
  const times = sim
    .stats()
    .requests.filter((request) => request.path === '/api/auth/login')
    .map((request) => request.at);
  const countFrom = (start: number) =>
    times.filter((at) => at >= start && at < start + 60_000).length;
  return Math.max(0, ...times.map(countFrom));
}

/** Returns the status of a products request that carries the header's token. */
async function productsStatus(sim: Simulator, header: AuthHeader): Promise<number> {
  const response = await fetch(`${sim.url}/api/products?pageSize=1`, {
    headers: { 'x-api-key': header.value, accept: 'application/json' },
  });
  await response.body?.cancel();
  return response.status;
}

interface HelperResult {
  loginCount: number;
  fresh: boolean;
  tokenSha256: string;
}

/** Starts test/helpers/login-process.ts. `nextLine` resolves with its next stdout line. */
function spawnLoginProcess(sim: Simulator) {
  const child = spawn(process.execPath, ['--import', 'tsx', HELPER], {
    cwd: PROJECT_ROOT,
    env: {
      ...process.env,
      LOGIN_TEST_BASE_URL: sim.url,
      LOGIN_TEST_PREFIX: `${TEST_PREFIX}-${caseNumber}`,
      LOGIN_TEST_CLIENT_SECRET: ADMIN.clientSecret,
    },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));

  const nextLine = async (): Promise<string> => {
    const { value, done } = await lines.next();
    if (done) throw new Error(`login process ended early: ${stderr}`);
    return value;
  };
  return { child, nextLine, exited, stderr: () => stderr };
}

describe('LoginCredential single flight', () => {
  it('fifty concurrent calls log in once', async () => {
    const sim = await startSimulator();
    const results: LoginResult[] = [];
    const credential = makeCredential(sim, { onLogin: (result) => results.push(result) });
    const firstLine = logLines.length;

    const headers = await Promise.all(Array.from({ length: 50 }, () => currentHeader(credential)));

    expect(sim.stats().logins).toBe(1);
    expect(credential.loginCount()).toBe(1);
    expect(results).toEqual(['success']);
    expect(new Set(headers.map((header) => header.value)).size).toBe(1);
    expect(headers.filter((header) => header.fresh)).toHaveLength(1);
    // Sharing the promise in process means no call ever polls the Redis lock.
    expect(logsWithMessage(LOCK_WAIT_MESSAGE, firstLine)).toHaveLength(0);
    expect(headers[0]?.claims).toMatchObject({
      OrganizationId: '65904937457314222c3f1cb4',
      role: 'Admin',
      PriceTier: 'Retail',
      CurrencyCode: 'USD',
    });

    const later = await currentHeader(credential);
    expect(later.fresh).toBe(false);
    expect(sim.stats().logins).toBe(1);

    const [success] = logsWithMessage('logged in to Nymble', firstLine);
    expect(success?.claims).toMatchObject({ role: 'Admin', exp: headers[0]?.claims?.exp });
  });

  it('three instances log in once', async () => {
    const sim = await startSimulator();
    const instances = [makeCredential(sim), makeCredential(sim), makeCredential(sim)];

    const headers = await Promise.all(instances.map((instance) => currentHeader(instance)));

    expect(sim.stats().logins).toBe(1);
    const counts = instances.map((instance) => instance.loginCount());
    expect(counts.reduce((sum, count) => sum + count, 0)).toBe(1);
    expect(new Set(headers.map((header) => header.value)).size).toBe(1);
    expect(headers.filter((header) => header.fresh)).toHaveLength(1);
  });

  it('three processes log in once', async () => {
    const sim = await startSimulator();
    const processes = [spawnLoginProcess(sim), spawnLoginProcess(sim), spawnLoginProcess(sim)];

    // Every process is connected before any of them calls current(), so the calls overlap.
    for (const worker of processes) expect(await worker.nextLine()).toBe('ready');
    for (const worker of processes) worker.child.stdin.write('go\n');
    const lines = await Promise.all(processes.map((worker) => worker.nextLine()));
    const exitCodes = await Promise.all(processes.map((worker) => worker.exited));

    const stderr = processes.map((worker) => worker.stderr()).join('\n');
    expect(exitCodes, stderr).toEqual([0, 0, 0]);
    const results = lines.map((line) => JSON.parse(line) as HelperResult);
    expect(sim.stats().logins).toBe(1);
    expect(results.map((result) => result.loginCount).sort()).toEqual([0, 0, 1]);
    expect(results.filter((result) => result.fresh)).toHaveLength(1);
    expect(new Set(results.map((result) => result.tokenSha256)).size).toBe(1);

    // The parent decrypts the token that a child stored, without a login of its own.
    const parent = makeCredential(sim);
    await currentHeader(parent);
    expect(parent.loginCount()).toBe(0);
    expect(sim.stats().logins).toBe(1);
  });

  it('expired lock is taken over', async () => {
    const sim = await startSimulator();
    await admin.set(keys.authLock, 'held-by-a-stopped-process', 'PX', 400);
    const credential = makeCredential(sim);
    const startedMs = performance.now();

    const header = await currentHeader(credential);

    expect(performance.now() - startedMs).toBeGreaterThanOrEqual(300);
    expect(header.fresh).toBe(true);
    expect(sim.stats().logins).toBe(1);
    expect(await admin.exists(keys.authLock)).toBe(0);
  });

  it('close releases a held lock', async () => {
    const sim = await startSimulator();
    sim.setFaults({ path: '/api/auth/login', latencyMs: 500 });
    const credential = makeCredential(sim);

    const pending = credential.current();
    await vi.waitFor(async () => expect(await admin.exists(keys.authLock)).toBe(1));
    await credential.close();

    expect(await admin.exists(keys.authLock)).toBe(0);
    seenTokens.add((await pending).value);
  });
});

describe('LoginCredential refresh and invalidation', () => {
  it('refreshes near expiry with one login', async () => {
    const sim = await startSimulator({ tokenTtlSeconds: 600 });
    const clock = new FakeClock(sim);
    const credential = makeCredential(sim, { now: clock.now });

    const first = await currentHeader(credential);
    expect(first.fresh).toBe(true);

    // 310 s before expiry: outside the 300 s refresh skew, so the cached token is kept.
    clock.advance(290_000);
    const cached = await currentHeader(credential);
    expect(cached.value).toBe(first.value);
    expect(cached.fresh).toBe(false);
    expect(credential.tokenAgeSeconds()).toBe(290);
    expect(sim.stats().logins).toBe(1);

    // 290 s before expiry: inside the skew, so concurrent calls share one refresh.
    clock.advance(20_000);
    const calls = Array.from({ length: 10 }, () => currentHeader(credential));
    const refreshed = await Promise.all(calls);
    expect(sim.stats().logins).toBe(2);
    expect(new Set(refreshed.map((header) => header.value)).size).toBe(1);
    expect(refreshed[0]?.value).not.toBe(first.value);
    expect(refreshed.filter((header) => header.fresh)).toHaveLength(1);
    expect(refreshed[0]?.claims?.exp).toBeGreaterThan(first.claims?.exp ?? Infinity);
    expect(credential.tokenAgeSeconds()).toBe(0);

    const other = makeCredential(sim, { now: clock.now });
    expect((await currentHeader(other)).value).toBe(refreshed[0]?.value);
    expect(sim.stats().logins).toBe(2);
  });

  it('reuses a token shorter than the skew', async () => {
    const sim = await startSimulator({ tokenTtlSeconds: 120 });
    const clock = new FakeClock(sim);
    const credential = makeCredential(sim, { now: clock.now, refreshSkewSeconds: 300 });

    // A skew longer than the lifetime is capped at half the lifetime: 60 s here.
    const first = await currentHeader(credential);
    clock.advance(50_000);
    expect((await currentHeader(credential)).value).toBe(first.value);
    expect(sim.stats().logins).toBe(1);

    clock.advance(11_000);
    expect((await currentHeader(credential)).value).not.toBe(first.value);
    expect(sim.stats().logins).toBe(2);
  });

  it('rotated secret rejects the re-login', async () => {
    const sim = await startSimulator();
    const results: LoginResult[] = [];
    const credential = makeCredential(sim, { onLogin: (result) => results.push(result) });
    const header = await currentHeader(credential);

    sim.rotateClientSecret(ADMIN.clientId, 'sync-admin-secret-rotated');
    await credential.invalidate(header);
    expect(await admin.exists(keys.authToken)).toBe(0);

    const attempt = credential.current();
    await expect(attempt).rejects.toBeInstanceOf(CredentialsRejectedError);
    await expect(attempt).rejects.toMatchObject({
      code: 'NYMBLE_CREDENTIALS_REJECTED',
      facts: { endpoint: 'POST /api/auth/login', status: 401, remoteCode: 'invalid_credentials' },
    });
    const error = await attempt.catch((caught: unknown) => caught);
    expect(inspect(error, { depth: 10, showHidden: true })).not.toContain(ADMIN.clientSecret);
    expect(JSON.stringify(error)).not.toContain(ADMIN.clientSecret);
    expect(results).toEqual(['success', 'rejected']);
    expect(sim.stats().loginResponses).toEqual({ 200: 1, 401: 1 });
  });

  it('invalidate spares a newer token', async () => {
    const sim = await startSimulator();
    const first = makeCredential(sim);
    const second = makeCredential(sim);
    const old = await currentHeader(first);
    expect((await currentHeader(second)).value).toBe(old.value);

    await second.invalidate(old);
    const newer = await currentHeader(second);
    expect(newer.value).not.toBe(old.value);

    // A late invalidate of the old token must leave the newer shared token in place.
    await first.invalidate(old);
    expect(await admin.exists(keys.authToken)).toBe(1);
    const adopted = await currentHeader(first);
    expect(adopted.value).toBe(newer.value);
    expect(adopted.fresh).toBe(false);
    expect(sim.stats().logins).toBe(2);
  });

  it('second invalidate drops an adopted token', async () => {
    const sim = await startSimulator();
    const first = makeCredential(sim);
    const second = makeCredential(sim);
    const firstToken = await currentHeader(first);

    // Without the shared token, the second instance logs in itself and shares its own token.
    await admin.del(keys.authToken);
    const secondToken = await currentHeader(second);
    expect(secondToken.fresh).toBe(true);
    expect(secondToken.value).not.toBe(firstToken.value);

    // Both tokens expire on the simulator's clock only, so both instances still trust them.
    sim.advanceClock(86_400_000);
    expect(await productsStatus(sim, firstToken)).toBe(401);
    expect(await productsStatus(sim, secondToken)).toBe(401);

    await first.invalidate(firstToken);
    const adopted = await currentHeader(first);
    expect(adopted.value).toBe(secondToken.value);
    expect(adopted.fresh).toBe(false);
    expect(first.loginCount()).toBe(1);

    await first.invalidate(adopted);
    expect(await admin.exists(keys.authToken)).toBe(0);
    const loginsBefore = sim.stats().logins;
    const renewed = await currentHeader(first);
    expect(renewed.fresh).toBe(true);
    expect(renewed.value).not.toBe(secondToken.value);
    expect(sim.stats().logins).toBe(loginsBefore + 1);
    expect(first.loginCount()).toBe(2);
    expect(await productsStatus(sim, renewed)).toBe(200);
  });

  it('edited shared expiry forces a login', async () => {
    const sim = await startSimulator();
    await currentHeader(makeCredential(sim));
    const value = (await admin.get(keys.authToken)) ?? '{}';
    const stored = JSON.parse(value) as { expiresAtMs: number };
    stored.expiresAtMs += 86_400_000;
    await admin.set(keys.authToken, JSON.stringify(stored), 'KEEPTTL');
    const firstLine = logLines.length;

    const header = await currentHeader(makeCredential(sim));

    expect(header.fresh).toBe(true);
    expect(sim.stats().logins).toBe(2);
    const warning = 'shared login token could not be decrypted';
    expect(logsWithMessage(warning, firstLine)).toHaveLength(1);
  });
});

describe('LoginCredential budget and rate limits', () => {
  it('budget caps thirty forced re-logins', async () => {
    const sim = await startSimulator();
    const clock = new FakeClock(sim);
    const waits: number[] = [];
    let gate: Promise<void> | undefined;
    const sleep = async (ms: number): Promise<void> => {
      waits.push(ms);
      if (gate !== undefined) await gate;
      clock.advance(ms);
    };
    const credential = makeCredential(sim, { now: clock.now, sleep });
    const firstLine = logLines.length;
    const relogin = async (): Promise<void> => {
      await credential.invalidate(await currentHeader(credential));
    };

    for (let count = 0; count < 10; count += 1) await relogin();
    expect(sim.stats().logins).toBe(10);

    // The 11th login waits for a slot instead of being sent.
    let openGate = (): void => {};
    gate = new Promise((resolve) => (openGate = resolve));
    const eleventh = currentHeader(credential);
    await vi.waitFor(() => expect(waits).toHaveLength(1));
    expect(sim.stats().logins).toBe(10);
    gate = undefined;
    openGate();
    await credential.invalidate(await eleventh);

    for (let count = 11; count < 30; count += 1) await relogin();

    expect(sim.stats().logins).toBe(30);
    expect(credential.loginCount()).toBe(30);
    expect(sim.stats().loginResponses).toEqual({ 200: 30 });
    expect(maxLoginsInAnyMinute(sim)).toBe(10);
    expect(waits).toEqual([61_000, 61_000]);
    const warnings = logsWithMessage(BUDGET_WARNING, firstLine);
    expect(warnings.map((entry) => entry.delayMs)).toEqual([61_000, 61_000]);
    expect(await admin.zcard(keys.authLogins)).toBeLessThanOrEqual(10);
  });

  it('login 429 blocks every instance', async () => {
    const sim = await startSimulator();
    const clock = new FakeClock(sim);
    sim.setFaults({ path: '/api/auth/login', rateLimit: { count: 1, retryAfter: '30' } });
    const results: LoginResult[] = [];
    const onLogin = (result: LoginResult) => results.push(result);
    const first = makeCredential(sim, { now: clock.now, onLogin });

    const rejected = first.current();
    await expect(rejected).rejects.toBeInstanceOf(RateLimitedError);
    await expect(rejected).rejects.toMatchObject({
      retryAfterMs: 30_000,
      facts: { endpoint: 'POST /api/auth/login', status: 429 },
    });
    expect(Number(await admin.get(keys.authBlockedUntil))).toBe(clock.now() + 30_000);

    // Another instance backs off for the remaining 20 s without sending a login.
    clock.advance(10_000);
    const second = makeCredential(sim, { now: clock.now });
    const blocked = second.current();
    await expect(blocked).rejects.toBeInstanceOf(RateLimitedError);
    await expect(blocked).rejects.toMatchObject({
      retryAfterMs: 20_000,
      facts: { endpoint: 'POST /api/auth/login' },
    });
    expect(sim.stats().logins).toBe(1);
    expect(second.loginCount()).toBe(0);

    clock.advance(20_000);
    const header = await currentHeader(second);
    expect(header.fresh).toBe(true);
    expect((await currentHeader(first)).value).toBe(header.value);
    expect(sim.stats().logins).toBe(2);
    expect(results).toEqual(['rate_limited']);
  });

  it('429 without Retry-After blocks 60 s', async () => {
    const sim = await startSimulator();
    const clock = new FakeClock(sim);
    sim.setFaults({ path: '/api/auth/login', rateLimit: { count: 1, retryAfter: null } });
    const credential = makeCredential(sim, { now: clock.now });

    await expect(credential.current()).rejects.toMatchObject({ retryAfterMs: 60_000 });
    expect(Number(await admin.get(keys.authBlockedUntil))).toBe(clock.now() + 60_000);
  });

  // Retry-After values outside 1 s to 10 min are clamped, so that one header can neither stop
  // the fleet's logins for years nor set a block that Redis rejects.
  it.each([
    { retryAfter: '99999999999999999999', blockMs: 600_000 },
    { retryAfter: 'Fri, 31 Dec 2100 23:59:59 GMT', blockMs: 600_000 },
    { retryAfter: '601', blockMs: 600_000 },
    { retryAfter: '0', blockMs: 1_000 },
    { retryAfter: 'date:-5000', blockMs: 1_000 },
  ])('429 Retry-After $retryAfter blocks $blockMs ms', async ({ retryAfter, blockMs }) => {
    const sim = await startSimulator();
    const clock = new FakeClock(sim);
    sim.setFaults({ path: '/api/auth/login', rateLimit: { count: 1, retryAfter } });
    const credential = makeCredential(sim, { now: clock.now });

    const rejected = credential.current();
    await expect(rejected).rejects.toBeInstanceOf(RateLimitedError);
    await expect(rejected).rejects.toMatchObject({
      retryAfterMs: blockMs,
      facts: { endpoint: 'POST /api/auth/login', status: 429 },
    });
    expect(Number(await admin.get(keys.authBlockedUntil))).toBe(clock.now() + blockMs);
    const ttlMs = await admin.pttl(keys.authBlockedUntil);
    expect(ttlMs).toBeGreaterThan(0);
    expect(ttlMs).toBeLessThanOrEqual(blockMs);

    clock.advance(blockMs);
    expect((await currentHeader(credential)).fresh).toBe(true);
    expect(sim.stats().logins).toBe(2);
  });

  it('stored block beyond cap is shortened', async () => {
    const sim = await startSimulator();
    const clock = new FakeClock(sim);
    const yearMs = 365 * 86_400_000;
    await admin.set(keys.authBlockedUntil, String(clock.now() + yearMs), 'PX', yearMs);
    const credential = makeCredential(sim, { now: clock.now });

    const blocked = credential.current();
    await expect(blocked).rejects.toBeInstanceOf(RateLimitedError);
    await expect(blocked).rejects.toMatchObject({ retryAfterMs: 600_000 });
    const ttlMs = await admin.pttl(keys.authBlockedUntil);
    expect(ttlMs).toBeGreaterThan(590_000);
    expect(ttlMs).toBeLessThanOrEqual(600_000);
    expect(sim.stats().logins).toBe(0);
  });

  it('server error gives UnavailableError', async () => {
    const sim = await startSimulator();
    sim.setFaults({ path: '/api/auth/login', serverErrors: { count: 1, status: 503 } });
    const results: LoginResult[] = [];
    const credential = makeCredential(sim, { onLogin: (result) => results.push(result) });

    const failed = credential.current();
    await expect(failed).rejects.toBeInstanceOf(UnavailableError);
    await expect(failed).rejects.toMatchObject({ facts: { status: 503 } });
    expect((await currentHeader(credential)).fresh).toBe(true);
    expect(results).toEqual(['error', 'success']);
  });

  it('unreachable server gives UnavailableError', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const sim = await startSimulator();
    const credential = makeCredential(sim, { baseUrl: `http://127.0.0.1:${port}` });

    const failed = credential.current();
    await expect(failed).rejects.toBeInstanceOf(UnavailableError);
    await expect(failed).rejects.toThrow(/ECONNREFUSED/);
    const error = await failed.catch((caught: unknown) => caught);
    expect(inspect(error, { depth: 10, showHidden: true })).not.toContain(ADMIN.clientSecret);
    expect(credential.loginCount()).toBe(1);
  });
});

describe('LoginCredential secrecy', () => {
  it('serializes without the secret', async () => {
    const sim = await startSimulator();
    const credential = makeCredential(sim);
    await currentHeader(credential);

    expect(credential.toJSON()).toEqual({ method: 'login', clientId: 'sync-admin' });
    expect(JSON.stringify(credential)).not.toContain(ADMIN.clientSecret);
    const inspected = inspect(credential, { depth: 10, showHidden: true });
    expect(inspected).not.toContain(ADMIN.clientSecret);
    for (const token of seenTokens) expect(inspected).not.toContain(token);
  });

  it('stores the shared token encrypted', async () => {
    const sim = await startSimulator();
    const header = await currentHeader(makeCredential(sim));
    const [, payload, signature] = header.value.split('.');

    const stored = await admin.get(keys.authToken);
    expect(stored).not.toBeNull();
    expect(stored).not.toContain(header.value);
    expect(stored).not.toContain(payload);
    expect(stored).not.toContain(signature);
    expect(stored).not.toContain(ADMIN.clientSecret);
    const fields = Object.keys(JSON.parse(stored ?? '{}') as object).sort();
    expect(fields).toEqual(['ciphertext', 'expiresAtMs', 'id', 'issuedAtMs', 'iv', 'tag', 'v']);
    const ttlMs = await admin.pttl(keys.authToken);
    expect(ttlMs).toBeGreaterThan(86_000_000);
    expect(ttlMs).toBeLessThanOrEqual(86_400_000);
  });

  // Runs last, so that it also scans the keys and logs of every earlier test.
  it('Redis and logs contain no secrets', async () => {
    const sim = await startSimulator();
    await currentHeader(makeCredential(sim));

    const testKeys = await keysUnder(TEST_PREFIX);
    expect(testKeys.length).toBeGreaterThan(0);
    for (const key of testKeys) {
      const contents = await keyContents(key);
      expect(contents, key).not.toContain(ADMIN.clientSecret);
      for (const token of seenTokens) expect(contents, key).not.toContain(token);
    }

    const logs = logLines.join('\n');
    expect(logs).not.toContain(ADMIN.clientSecret);
    for (const token of seenTokens) expect(logs).not.toContain(token);
  });
});
