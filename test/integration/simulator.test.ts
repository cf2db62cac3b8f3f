import { execFile } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { promisify } from 'node:util';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  createSimulator,
  type Simulator,
  type SimulatorOptions,
} from '../../src/simulator/index.js';
import { runSimulator } from '../../src/simulator/main.js';

const execFileAsync = promisify(execFile);

const ORG_CODE = 'org_52a3021e813';
const SIGNING_SECRET = 'test-signing-secret';

interface JsonResponse {
  status: number;
  headers: Headers;
  body: any;
}

interface Page {
  Items: any[];
  PageSize: number;
  HasMore: boolean;
}

const running: Simulator[] = [];

/** Starts a simulator on a free loopback port; afterAll stops every one of them. */
async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const simulator = createSimulator({
    products: 60,
    orders: 80,
    signingSecret: SIGNING_SECRET,
    ...options,
  });
  running.push(simulator);
  await simulator.start();
  return simulator;
}

afterAll(async () => {
  await Promise.all(running.map((simulator) => simulator.stop()));
});

async function request(url: string, init: RequestInit = {}): Promise<JsonResponse> {
  const response = await fetch(url, init);
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // Left as text: some fault tests expect a body that is not JSON.
  }
  return { status: response.status, headers: response.headers, body };
}

function get(simulator: Simulator, path: string, key?: string): Promise<JsonResponse> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (key !== undefined) {
    headers['x-api-key'] = key;
  }
  return request(`${simulator.url}${path}`, { headers });
}

function post(simulator: Simulator, path: string, body: unknown): Promise<JsonResponse> {
  return request(`${simulator.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

function login(simulator: Simulator, clientId: string, clientSecret: string, orgCode = ORG_CODE) {
  const body = { OrgCode: orgCode, ClientId: clientId, ClientSecret: clientSecret };
  return post(simulator, '/api/auth/login', body);
}

async function token(
  simulator: Simulator,
  clientId: string,
  clientSecret = `${clientId}-secret`,
): Promise<string> {
  const response = await login(simulator, clientId, clientSecret);
  expect(response.status).toBe(200);
  return response.body.AccessToken as string;
}

function decodeSegment(segment: string | undefined): Record<string, unknown> {
  return JSON.parse(Buffer.from(segment ?? '', 'base64url').toString('utf8'));
}

/** Follows HasMore with the last item's (UpdatedAt, Id) and returns every item and page count. */
async function walk(simulator: Simulator, entity: string, key: string, pageSize: number) {
  const items: any[] = [];
  let pages = 0;
  let path = `/api/${entity}?pageSize=${pageSize}`;

  for (;;) {
    const response = await get(simulator, path, key);
    expect(response.status).toBe(200);
    const page = response.body as Page;
    pages += 1;
    items.push(...page.Items);
    if (!page.HasMore) {
      return { items, pages };
    }
    const last = page.Items[page.Items.length - 1];
    const since = encodeURIComponent(last.UpdatedAt);
    path = `/api/${entity}?pageSize=${pageSize}&updatedSince=${since}&afterId=${last.Id}`;
    expect(pages).toBeLessThan(1000);
  }
}

function hmac(secret: string, input: string): string {
  return createHmac('sha256', secret).update(input).digest('base64url');
}

function base64Url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

function round2(amount: number): number {
  return Math.round((amount + Number.EPSILON) * 100) / 100;
}

describe('login', () => {
  let simulator: Simulator;

  beforeAll(async () => {
    simulator = await startSimulator();
  });

  it('login returns documented fields', async () => {
    const response = await login(simulator, 'sync-admin', 'sync-admin-secret');

    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(response.headers.get('x-request-id')).toMatch(/^req_/);
    expect(response.body.TokenType).toBe('api-key');
    expect(response.body.ExpiresIn).toBe(86400);
    expect(typeof response.body.AccessToken).toBe('string');
  });

  it('token carries signed claims', async () => {
    const accessToken = await token(simulator, 'CUST456');
    const [header, payload, signature] = accessToken.split('.');
    const claims = decodeSegment(payload);
    const expected = hmac(SIGNING_SECRET, `${header}.${payload}`);

    expect(decodeSegment(header)).toEqual({ alg: 'HS256', typ: 'JWT' });
    expect(signature).toBe(expected);
    expect(claims.OrganizationId).toBe('65904937457314222c3f1cb4');
    expect(claims.CustomerNumber).toBe('CUST456');
    expect(claims.PriceTier).toBe('Wholesale');
    expect(claims.CurrencyCode).toBe('USD');
    expect(claims.role).toBe('Customer');
    expect(claims.sub).toBe('CUST456');
    expect(typeof claims.jti).toBe('string');
    expect(claims.exp).toBe((claims.iat as number) + 86400);
    expect(Math.abs((claims.iat as number) - Date.now() / 1000)).toBeLessThan(5);
  });

  it('admin token has empty CustomerNumber', async () => {
    const claims = decodeSegment((await token(simulator, 'sync-admin')).split('.')[1]);

    expect(claims.role).toBe('Admin');
    expect(claims.CustomerNumber).toBe('');
    expect(claims.PriceTier).toBe('Retail');
  });

  it('sales rep token names rep', async () => {
    const claims = decodeSegment((await token(simulator, 'rep-1')).split('.')[1]);

    expect(claims.role).toBe('SalesRep');
    expect(claims.SalesRepId).toBe('REP-01');
    expect(claims.CurrencyCode).toBe('CAD');
  });

  it('invalid login body is 400', async () => {
    const cases: { body: unknown; field: string }[] = [
      { body: '{"OrgCode": "org_52a3021e813", ', field: 'JSON' },
      { body: [], field: 'OrgCode, ClientId and ClientSecret' },
      { body: { ClientId: 'bad-body-1', ClientSecret: 'x' }, field: 'OrgCode' },
      { body: { OrgCode: ORG_CODE, ClientSecret: 'x' }, field: 'ClientId' },
      {
        body: { OrgCode: ORG_CODE, ClientId: 'bad-body-2', ClientSecret: 42 },
        field: 'ClientSecret',
      },
      { body: { OrgCode: ORG_CODE, ClientId: 7, ClientSecret: 'x' }, field: 'ClientId' },
    ];

    for (const { body, field } of cases) {
      const response = await post(simulator, '/api/auth/login', body);
      expect(response.status).toBe(400);
      expect(response.body.code).toBe('invalid_request');
      expect(response.body.message).toContain(field);
    }
  });

  it('login needs JSON content type', async () => {
    const response = await request(`${simulator.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: JSON.stringify({
        OrgCode: ORG_CODE,
        ClientId: 'sync-admin',
        ClientSecret: 'sync-admin-secret',
      }),
    });

    expect(response.status).toBe(415);
    expect(response.body.code).toBe('unsupported_media_type');
  });

  it('wrong credentials are 401', async () => {
    const cases = [
      ['org_wrong', 'sync-admin', 'sync-admin-secret'],
      [ORG_CODE, 'no-such-client', 'sync-admin-secret'],
      [ORG_CODE, 'sync-admin', 'wrong-secret'],
    ] as const;

    for (const [orgCode, clientId, secret] of cases) {
      const response = await login(simulator, clientId, secret, orgCode);
      expect(response.status).toBe(401);
      expect(response.body.code).toBe('invalid_credentials');
    }
  });

  it('eleventh login is 429', async () => {
    const limited = await startSimulator();
    for (let i = 0; i < 10; i++) {
      const secret = i % 2 === 0 ? 'sync-admin-secret' : 'wrong-secret';
      expect((await login(limited, 'sync-admin', secret)).status).toBe(i % 2 === 0 ? 200 : 401);
    }

    const eleventh = await login(limited, 'sync-admin', 'sync-admin-secret');
    const retryAfter = eleventh.headers.get('retry-after') ?? '';
    expect(eleventh.status).toBe(429);
    expect(eleventh.body.code).toBe('rate_limited');
    expect(retryAfter).toMatch(/^\d+$/);
    expect(Number(retryAfter)).toBeGreaterThan(0);
    expect(Number(retryAfter)).toBeLessThanOrEqual(60);

    const otherClient = await login(limited, 'CUST456', 'CUST456-secret');
    expect(otherClient.status).toBe(200);

    const stats = limited.stats();
    expect(stats.logins).toBe(12);
    expect(stats.loginsByClient['sync-admin']).toBe(11);
    expect(stats.loginResponses).toEqual({ '200': 6, '401': 5, '429': 1 });
  });

  it('login slot frees after window', async () => {
    const limited = await startSimulator({ loginLimitPerMinute: 2 });
    await login(limited, 'sync-admin', 'sync-admin-secret');
    limited.advanceClock(30_000);
    await login(limited, 'sync-admin', 'sync-admin-secret');

    const blocked = await login(limited, 'sync-admin', 'sync-admin-secret');
    expect(blocked.status).toBe(429);
    expect(blocked.headers.get('retry-after')).toBe('30');

    limited.advanceClock(30_000);
    expect((await login(limited, 'sync-admin', 'sync-admin-secret')).status).toBe(200);
  });
});

describe('authentication', () => {
  let simulator: Simulator;

  beforeAll(async () => {
    simulator = await startSimulator({ tokenTtlSeconds: 60 });
  });

  it('missing header is 401', async () => {
    const response = await get(simulator, '/api/products');

    expect(response.status).toBe(401);
    expect(response.body.code).toBe('missing_credential');
    expect(response.body.message).toContain('x-api-key');
  });

  it('unknown key is invalid_credential', async () => {
    const response = await get(simulator, '/api/products', 'nk_live_not_a_key');

    expect(response.status).toBe(401);
    expect(response.body.code).toBe('invalid_credential');
  });

  it('tampered tokens are invalid_credential', async () => {
    const [header, payload, signature] = (await token(simulator, 'CUST456')).split('.');
    const claims = { ...decodeSegment(payload), role: 'Admin' };
    const forged = base64Url(claims);
    const noneHeader = base64Url({ alg: 'none', typ: 'JWT' });
    const otherKey = hmac('other', `${header}.${payload}`);

    const candidates = [
      `${header}.${forged}.${signature}`,
      `${noneHeader}.${payload}.`,
      `${header}.${payload}.${otherKey}`,
      `${header}.${payload}`,
      'a.b.c',
    ];
    for (const candidate of candidates) {
      const response = await get(simulator, '/api/products', candidate);
      expect(response.status).toBe(401);
      expect(response.body.code).toBe('invalid_credential');
    }
  });

  it('token expires on simulated clock', async () => {
    const accessToken = await token(simulator, 'sync-admin');

    simulator.advanceClock(59_000);
    expect((await get(simulator, '/api/products?pageSize=1', accessToken)).status).toBe(200);

    simulator.advanceClock(1_000);
    const expired = await get(simulator, '/api/products?pageSize=1', accessToken);
    expect(expired.status).toBe(401);
    expect(expired.body.code).toBe('token_expired');
  });

  it('revoked API key is 401', async () => {
    simulator.revokeApiKey();
    const revoked = await get(simulator, '/api/products?pageSize=1', simulator.apiKey);
    simulator.restoreApiKey();
    const restored = await get(simulator, '/api/products?pageSize=1', simulator.apiKey);

    expect(revoked.status).toBe(401);
    expect(revoked.body.code).toBe('credential_revoked');
    expect(restored.status).toBe(200);
  });

  it('rotation revokes earlier tokens', async () => {
    const before = await token(simulator, 'rep-1');
    simulator.rotateClientSecret('rep-1', 'rep-1-new-secret');

    const old = await get(simulator, '/api/products?pageSize=1', before);
    expect(old.status).toBe(401);
    expect(old.body.code).toBe('credential_revoked');

    expect((await login(simulator, 'rep-1', 'rep-1-secret')).status).toBe(401);
    const after = await token(simulator, 'rep-1', 'rep-1-new-secret');
    expect((await get(simulator, '/api/products?pageSize=1', after)).status).toBe(200);
  });
});

describe('roles', () => {
  let simulator: Simulator;
  let customerToken: string;

  beforeAll(async () => {
    simulator = await startSimulator();
    customerToken = await token(simulator, 'CUST456');
  });

  it('customer may not list customers', async () => {
    const response = await get(simulator, '/api/customers', customerToken);

    expect(response.status).toBe(403);
    expect(response.body.code).toBe('forbidden');
    expect(response.body.message).toContain('Customer');
    expect(response.body.message).toContain('/api/customers');
  });

  it('denyRole forbids admin orders', async () => {
    simulator.denyRole('Admin', '/api/orders');
    const list = await get(simulator, '/api/orders', simulator.apiKey);
    const single = await get(simulator, '/api/orders/ord_000001', simulator.apiKey);
    const products = await get(simulator, '/api/products?pageSize=1', simulator.apiKey);
    simulator.allowRole('Admin', '/api/orders');
    const allowed = await get(simulator, '/api/orders?pageSize=1', simulator.apiKey);

    expect(list.status).toBe(403);
    expect(list.body.message).toContain('Admin');
    expect(list.body.message).toContain('/api/orders');
    expect(single.status).toBe(403);
    expect(products.status).toBe(200);
    expect(allowed.status).toBe(200);
  });

  it('allowRole grants customer route', async () => {
    simulator.allowRole('Customer', '/api/customers');
    const response = await get(simulator, '/api/customers', customerToken);
    simulator.denyRole('Customer', '/api/customers');

    expect(response.status).toBe(200);
    const numbers = response.body.Items.map((customer: any) => customer.CustomerNumber);
    expect(numbers).toEqual(['CUST456']);
  });

  it('403 wins over faults', async () => {
    simulator.setFaults({ serverErrors: { count: 1 } });
    const denied = await get(simulator, '/api/customers', customerToken);
    const unauthenticated = await get(simulator, '/api/products');
    const faulted = await get(simulator, '/api/products', simulator.apiKey);
    simulator.clearFaults();

    expect(denied.status).toBe(403);
    expect(unauthenticated.status).toBe(401);
    expect(faulted.status).toBe(503);
  });
});

describe('visibility', () => {
  let simulator: Simulator;

  beforeAll(async () => {
    simulator = await startSimulator({ orders: 300 });
  });

  it('customer sees only own orders', async () => {
    const accessToken = await token(simulator, 'CUST456');
    const { items } = await walk(simulator, 'orders', accessToken, 5);
    const expected = simulator.snapshot('orders', { role: 'Customer', customerNumber: 'CUST456' });
    const foreign = (simulator.snapshot('orders') as any[]).find(
      (order) => order.CustomerNumber !== 'CUST456',
    );

    expect(items.length).toBeGreaterThan(0);
    expect(items.every((order) => order.CustomerNumber === 'CUST456')).toBe(true);
    expect(items).toEqual(expected);
    expect((await get(simulator, `/api/orders/${foreign.Id}`, accessToken)).status).toBe(404);
  });

  it('sales rep sees assigned orders', async () => {
    const accessToken = await token(simulator, 'rep-1');
    const customers = (await get(simulator, '/api/customers', accessToken)).body.Items as any[];
    const assigned = new Set(customers.map((customer) => customer.CustomerNumber));
    const { items } = await walk(simulator, 'orders', accessToken, 50);
    const expected = (simulator.snapshot('orders') as any[]).filter((order) =>
      assigned.has(order.CustomerNumber),
    );

    expect(customers.every((customer) => customer.SalesRepId === 'REP-01')).toBe(true);
    expect(items.length).toBeGreaterThan(0);
    expect(items.map((order) => order.Id)).toEqual(expected.map((order) => order.Id));
  });

  it('admin sees every order', async () => {
    const accessToken = await token(simulator, 'sync-admin');
    const { items } = await walk(simulator, 'orders', accessToken, 500);

    expect(items).toHaveLength(300);
  });

  it('prices follow tier and currency', async () => {
    const path = '/api/products/prod_000007';
    const retail = (await get(simulator, path, simulator.apiKey)).body;
    const wholesale = (await get(simulator, path, await token(simulator, 'CUST456'))).body;
    const canadian = (await get(simulator, path, await token(simulator, 'rep-1'))).body;
    const view = { priceTier: 'Distributor', currencyCode: 'EUR' };
    const distributor = (simulator.snapshot('products', view) as any[]).find(
      (product) => product.Id === 'prod_000007',
    );

    expect(retail.PriceTier).toBe('Retail');
    expect(retail.CurrencyCode).toBe('USD');
    expect(wholesale.PriceTier).toBe('Wholesale');
    expect(wholesale.Price).toBe(round2(retail.Price * 0.85));
    expect(canadian.CurrencyCode).toBe('CAD');
    expect(canadian.Price).toBe(round2(retail.Price * 1.37));
    expect(distributor.Price).toBe(round2(retail.Price * 0.75 * 0.92));
  });
});

describe('records and paging', () => {
  let simulator: Simulator;

  beforeAll(async () => {
    simulator = await startSimulator({ products: 200 });
  });

  it('seed shares UpdatedAt values', () => {
    const counts = new Map<string, number>();
    for (const product of simulator.snapshot('products') as any[]) {
      counts.set(product.UpdatedAt, (counts.get(product.UpdatedAt) ?? 0) + 1);
    }
    const largeGroups = [...counts.values()].filter((size) => size > 3);

    expect(largeGroups.length).toBeGreaterThanOrEqual(3);
  });

  it('keyset paging visits records once', async () => {
    const expected = (simulator.snapshot('products') as any[]).map((product) => product.Id);

    for (const pageSize of [3, 7, 100, 500]) {
      const { items, pages } = await walk(simulator, 'products', simulator.apiKey, pageSize);
      const ids = items.map((product) => product.Id);
      expect(ids).toEqual(expected);
      expect(new Set(ids).size).toBe(200);
      expect(pages).toBe(Math.max(1, Math.ceil(200 / pageSize)));
    }
  });

  it('page reports its size', async () => {
    const page = (await get(simulator, '/api/products', simulator.apiKey)).body as Page;

    expect(page.PageSize).toBe(100);
    expect(page.Items).toHaveLength(100);
    expect(page.HasMore).toBe(true);
  });

  it('updatedSince returns mutated records', async () => {
    const before = simulator.snapshot('products') as any[];
    const newest = before[before.length - 1];
    simulator.advanceClock(5_000);
    const changed = simulator.mutate('products', 5);

    const since = encodeURIComponent(newest.UpdatedAt);
    const afterPath = `/api/products?updatedSince=${since}&afterId=${newest.Id}`;
    const after = await get(simulator, afterPath, simulator.apiKey);
    const inclusive = await get(simulator, `/api/products?updatedSince=${since}`, simulator.apiKey);
    const items = after.body.Items as any[];

    expect(changed).toHaveLength(5);
    expect(items.map((product) => product.Id)).toEqual(changed);
    expect(new Set(items.map((product) => product.UpdatedAt)).size).toBe(1);
    expect(Date.parse(items[0].UpdatedAt)).toBeGreaterThan(Date.parse(newest.UpdatedAt));
    expect(inclusive.body.Items.map((product: any) => product.Id)).toContain(newest.Id);
  });

  it('mutate changes records deterministically', () => {
    const first = createSimulator({ products: 50, orders: 10, now: () => 1_767_600_000_000 });
    const second = createSimulator({ products: 50, orders: 10, now: () => 1_767_600_000_000 });

    expect(first.mutate('orders', 4)).toEqual(second.mutate('orders', 4));
    expect(first.mutate('products', 6)).toEqual(second.mutate('products', 6));
    expect(first.snapshot('products')).toEqual(second.snapshot('products'));
  });

  it('updateRecord stores raw values', async () => {
    simulator.advanceClock(1_000);
    simulator.updateRecord('products', 'prod_000010', { Sku: 'bad sku', BasePriceUsd: 10 });
    const product = (await get(simulator, '/api/products/prod_000010', simulator.apiKey)).body;
    const snapshot = simulator.snapshot('products') as any[];

    expect(product.Sku).toBe('bad sku');
    expect(product.Price).toBe(10);
    expect(snapshot[snapshot.length - 1].Id).toBe('prod_000010');
    expect(() => simulator.updateRecord('products', 'prod_000010', { Price: 3 })).toThrow(
      /BasePriceUsd/,
    );
    expect(() => simulator.updateRecord('products', 'prod_999999', { Sku: 'X' })).toThrow(
      /prod_999999/,
    );
  });

  it('addRecords appends newest records', async () => {
    const ids = simulator.addRecords('orders', 2);
    const snapshot = simulator.snapshot('orders') as any[];

    expect(ids).toEqual(['ord_000081', 'ord_000082']);
    expect(snapshot.slice(-2).map((order) => order.Id)).toEqual(ids);
    expect((await get(simulator, '/api/orders/ord_000082', simulator.apiKey)).status).toBe(200);
  });

  it('invalid parameters are 400', async () => {
    const cases = [
      ['pageSize=0', 'pageSize'],
      ['pageSize=501', 'pageSize'],
      ['pageSize=ten', 'pageSize'],
      ['updatedSince=yesterday', 'updatedSince'],
      ['updatedSince=2026-01-05', 'updatedSince'],
      ['afterId=prod_000001', 'afterId'],
      ['updatedSince=2026-01-05T10:00:00.000Z&afterId=', 'afterId'],
      ['since=2026-01-05T10:00:00.000Z', 'since'],
      ['pageSize=5&pageSize=6', 'pageSize'],
    ];

    for (const [query, parameter] of cases) {
      const response = await get(simulator, `/api/products?${query}`, simulator.apiKey);
      expect(response.status).toBe(400);
      expect(response.body.code).toBe('invalid_parameter');
      expect(response.body.message).toContain(parameter);
    }
  });

  it('unknown routes and methods', async () => {
    const missing = await get(simulator, '/api/products/prod_999999', simulator.apiKey);
    const route = await get(simulator, '/api/invoices', simulator.apiKey);
    const method = await post(simulator, '/api/products', {});

    expect(missing.status).toBe(404);
    expect(missing.body.code).toBe('not_found');
    expect(route.status).toBe(404);
    expect(method.status).toBe(405);
    expect(method.headers.get('allow')).toBe('GET');
  });
});

describe('faults', () => {
  let simulator: Simulator;

  beforeAll(async () => {
    simulator = await startSimulator();
  });

  it('rate limit fault runs out', async () => {
    simulator.setFaults({ rateLimit: { count: 2, retryAfter: '2' } });
    const first = await get(simulator, '/api/products?pageSize=1', simulator.apiKey);
    const second = await get(simulator, '/api/orders?pageSize=1', simulator.apiKey);
    const third = await get(simulator, '/api/products?pageSize=1', simulator.apiKey);
    simulator.clearFaults();

    expect(first.status).toBe(429);
    expect(first.body.code).toBe('rate_limited');
    expect(first.headers.get('retry-after')).toBe('2');
    expect(second.status).toBe(429);
    expect(third.status).toBe(200);
  });

  it('retry-after forms are sent', async () => {
    simulator.setFaults({ rateLimit: { count: 1, retryAfter: 'date:+2000' } });
    const dated = await get(simulator, '/api/products', simulator.apiKey);
    simulator.setFaults({ rateLimit: { count: 1, retryAfter: null } });
    const absent = await get(simulator, '/api/products', simulator.apiKey);
    simulator.setFaults({ rateLimit: { count: 1, retryAfter: '0' } });
    const zero = await get(simulator, '/api/products', simulator.apiKey);
    simulator.clearFaults();

    const delayMs = Date.parse(dated.headers.get('retry-after') ?? '') - Date.now();
    expect(dated.status).toBe(429);
    expect(delayMs).toBeGreaterThan(500);
    expect(delayMs).toBeLessThanOrEqual(3000);
    expect(absent.status).toBe(429);
    expect(absent.headers.has('retry-after')).toBe(false);
    expect(zero.headers.get('retry-after')).toBe('0');
  });

  it('unlimited rate limit lasts', async () => {
    simulator.setFaults({ rateLimit: { count: -1 } });
    const statuses = [];
    for (let i = 0; i < 5; i++) {
      statuses.push((await get(simulator, '/api/products?pageSize=1', simulator.apiKey)).status);
    }
    simulator.clearFaults();

    expect(statuses).toEqual([429, 429, 429, 429, 429]);
    expect((await get(simulator, '/api/products?pageSize=1', simulator.apiKey)).status).toBe(200);
  });

  it('server errors use status', async () => {
    simulator.setFaults({ serverErrors: { count: 2, status: 500 } });
    const first = await get(simulator, '/api/products', simulator.apiKey);
    const second = await get(simulator, '/api/products', simulator.apiKey);
    const third = await get(simulator, '/api/products', simulator.apiKey);

    expect(first.status).toBe(500);
    expect(first.body.code).toBe('internal_error');
    expect(second.status).toBe(500);
    expect(third.status).toBe(200);
  });

  it('error rate replays from seed', async () => {
    const run = async () => {
      simulator.setFaults({ serverErrors: { rate: 0.5 } });
      const statuses: number[] = [];
      for (let i = 0; i < 30; i++) {
        statuses.push((await get(simulator, '/api/products?pageSize=1', simulator.apiKey)).status);
      }
      simulator.clearFaults();
      return statuses;
    };

    const first = await run();
    const second = await run();
    expect(first).toEqual(second);
    expect(first.filter((status) => status === 503).length).toBeGreaterThan(5);
    expect(first.filter((status) => status === 200).length).toBeGreaterThan(5);
  });

  it('reset drops the connection', async () => {
    simulator.resetStats();
    simulator.setFaults({ resetConnections: { count: 1 } });

    const headers = { 'x-api-key': simulator.apiKey };
    await expect(fetch(`${simulator.url}/api/products`, { headers })).rejects.toThrow();
    expect((await get(simulator, '/api/products', simulator.apiKey)).status).toBe(200);

    const requests = simulator.stats().requests;
    expect(requests.map((entry) => entry.status)).toEqual([0, 200]);
    expect(requests[0]?.fault).toBe('reset-connection');
  });

  it('malformed pages by kind', async () => {
    simulator.setFaults({ malformedPages: { count: 1, kind: 'truncated' } });
    const truncated = await get(simulator, '/api/products', simulator.apiKey);
    simulator.setFaults({ malformedPages: { count: 1, kind: 'not-json' } });
    const html = await get(simulator, '/api/products', simulator.apiKey);
    simulator.setFaults({ malformedPages: { count: 1, kind: 'invalid-schema' } });
    const wrongTypes = await get(simulator, '/api/products', simulator.apiKey);
    const healthy = await get(simulator, '/api/products', simulator.apiKey);

    expect(truncated.status).toBe(200);
    expect(typeof truncated.body).toBe('string');
    expect(truncated.body).toMatch(/^\{"Items":\[/);
    expect(html.status).toBe(200);
    expect(html.headers.get('content-type')).toContain('text/html');
    expect(html.body).toMatch(/^<!DOCTYPE html>/);
    expect(wrongTypes.status).toBe(200);
    expect(Array.isArray(wrongTypes.body.Items)).toBe(false);
    expect(typeof wrongTypes.body.HasMore).toBe('string');
    expect(typeof wrongTypes.body.PageSize).toBe('string');
    expect(Array.isArray(healthy.body.Items)).toBe(true);
  });

  it('latency delays responses', async () => {
    simulator.setFaults({ latencyMs: 250 });
    const started = performance.now();
    const response = await get(simulator, '/api/products?pageSize=1', simulator.apiKey);
    const elapsed = performance.now() - started;
    simulator.clearFaults();

    expect(response.status).toBe(200);
    expect(elapsed).toBeGreaterThanOrEqual(240);
  });

  it('path limits the fault', async () => {
    simulator.setFaults({ path: '/api/orders', serverErrors: { count: 1 } });
    const products = await get(simulator, '/api/products?pageSize=1', simulator.apiKey);
    const loginResponse = await login(simulator, 'sync-admin', 'sync-admin-secret');
    const orders = await get(simulator, '/api/orders?pageSize=1', simulator.apiKey);

    expect(products.status).toBe(200);
    expect(loginResponse.status).toBe(200);
    expect(orders.status).toBe(503);
    expect(orders.body.code).toBe('service_unavailable');
  });

  it('login faults need login path', async () => {
    simulator.setFaults({ serverErrors: { count: 1 } });
    const unaffected = await login(simulator, 'sync-admin', 'sync-admin-secret');
    simulator.setFaults({ path: '/api/auth/login', serverErrors: { count: 1, status: 502 } });
    const failed = await login(simulator, 'sync-admin', 'sync-admin-secret');
    const products = await get(simulator, '/api/products?pageSize=1', simulator.apiKey);
    simulator.clearFaults();

    expect(unaffected.status).toBe(200);
    expect(failed.status).toBe(502);
    expect(failed.body.code).toBe('bad_gateway');
    expect(products.status).toBe(200);
  });

  it('invalid plans are rejected', () => {
    const plans: unknown[] = [
      { rateLimit: { count: 1.5 } },
      { rateLimit: { count: 1, retryAfter: 'date:soon' } },
      { serverErrors: { rate: 2 } },
      { serverErrors: { status: 404 } },
      { malformedPages: { count: 1, kind: 'xml' } },
      { path: 'products' },
      { latency: 5 },
    ];

    for (const plan of plans) {
      expect(() => simulator.setFaults(plan as never)).toThrow();
    }
  });
});

describe('control API', () => {
  let simulator: Simulator;

  beforeAll(async () => {
    simulator = await startSimulator();
  });

  it('faults are set and cleared', async () => {
    const plan = { path: '/api/orders', rateLimit: { count: 1 } };
    const set = await post(simulator, '/_sim/faults', plan);
    const limited = await get(simulator, '/api/orders', simulator.apiKey);
    const listed = await get(simulator, '/_sim/faults');
    await post(simulator, '/_sim/faults', [{ serverErrors: { count: -1 } }]);
    const cleared = await request(`${simulator.url}/_sim/faults`, { method: 'DELETE' });
    const healthy = await get(simulator, '/api/orders', simulator.apiKey);

    expect(set.status).toBe(200);
    expect(set.body.faults).toEqual([
      { path: '/api/orders', rateLimit: { count: 1, retryAfter: '1' } },
    ]);
    expect(limited.status).toBe(429);
    expect(listed.body.faults[0].rateLimit.count).toBe(0);
    expect(cleared.body).toEqual({ faults: [] });
    expect(healthy.status).toBe(200);
  });

  it('data operations change records', async () => {
    const mutated = await post(simulator, '/_sim/mutate', { entity: 'orders', count: 3 });
    const patch = { Name: 'Renamed Part' };
    const patched = await post(simulator, '/_sim/records/products/prod_000002', patch);
    const added = await post(simulator, '/_sim/records/products', { count: 1 });
    const snapshot = await get(simulator, '/_sim/snapshot/products?priceTier=Wholesale');
    const items = snapshot.body.Items as any[];

    expect(mutated.body.ids).toHaveLength(3);
    expect(patched.body).toEqual({ Id: 'prod_000002' });
    expect(added.body.ids).toEqual(['prod_000061']);
    expect(items).toHaveLength(61);
    expect(items.every((product) => product.PriceTier === 'Wholesale')).toBe(true);
    expect(items.find((product) => product.Id === 'prod_000002').Name).toBe('Renamed Part');
  });

  it('credential operations take effect', async () => {
    await post(simulator, '/_sim/api-key/revoke', {});
    const revoked = await get(simulator, '/api/products', simulator.apiKey);
    await post(simulator, '/_sim/api-key/restore', {});
    const fresh = { clientSecret: 'fresh' };
    const rotated = await post(simulator, '/_sim/clients/CUST456/rotate', fresh);
    const newLogin = await login(simulator, 'CUST456', 'fresh');
    const unknownClient = await post(simulator, '/_sim/clients/nobody/rotate', fresh);

    expect(revoked.body.code).toBe('credential_revoked');
    expect((await get(simulator, '/api/products', simulator.apiKey)).status).toBe(200);
    expect(rotated.status).toBe(200);
    expect(newLogin.status).toBe(200);
    expect(unknownClient.status).toBe(404);
  });

  it('role and clock operations', async () => {
    await post(simulator, '/_sim/roles/deny', { role: 'Admin', path: '/api/products' });
    const denied = await get(simulator, '/api/products', simulator.apiKey);
    await post(simulator, '/_sim/roles/allow', { role: 'Admin', path: '/api/products' });
    const accessToken = await token(simulator, 'sync-admin');
    const advanced = await post(simulator, '/_sim/clock/advance', { ms: 86_400_000 });
    const expired = await get(simulator, '/api/products', accessToken);

    expect(denied.status).toBe(403);
    expect((await get(simulator, '/api/products', simulator.apiKey)).status).toBe(200);
    expect(Date.parse(advanced.body.now)).toBeGreaterThan(Date.now() + 86_000_000);
    expect(expired.body.code).toBe('token_expired');
  });

  it('clock advance past year 9999 is 400', async () => {
    const sim = await startSimulator({ now: () => Date.UTC(2030, 0, 1) });

    const rejected = await post(sim, '/_sim/clock/advance', { ms: 1e300 });
    const later = await get(sim, '/api/products?pageSize=1', sim.apiKey);
    const accessToken = await token(sim, 'sync-admin');
    const withToken = await get(sim, '/api/products?pageSize=1', accessToken);
    const advanced = await post(sim, '/_sim/clock/advance', { ms: 1_000 });

    expect(rejected.status).toBe(400);
    expect(rejected.body.code).toBe('invalid_request');
    expect(rejected.body.message).toMatch(/^ms /);
    expect(later.status).toBe(200);
    expect(withToken.status).toBe(200);
    expect(advanced.status).toBe(200);
    expect(advanced.body.now).toBe('2030-01-01T00:00:01.000Z');
    expect(() => sim.advanceClock(1e300)).toThrow(/^ms /);
  });

  it('stats are read and reset', async () => {
    await post(simulator, '/_sim/stats/reset', {});
    await get(simulator, '/api/products?pageSize=2', simulator.apiKey);
    const stats = (await get(simulator, '/_sim/stats')).body;
    await post(simulator, '/_sim/stats/reset', {});

    expect(stats.requests).toHaveLength(1);
    expect(stats.requests[0].query).toEqual({ pageSize: '2' });
    expect(stats.byStatus).toEqual({ '200': 1 });
    expect(simulator.stats().requests).toHaveLength(0);
  });

  it('bad control input is 400', async () => {
    const cases: [string, unknown][] = [
      ['/_sim/mutate', { entity: 'invoices', count: 1 }],
      ['/_sim/mutate', { entity: 'products', count: -1 }],
      ['/_sim/faults', { rateLimit: { count: 'many' } }],
      ['/_sim/roles/deny', { role: 'Owner', path: '/api/orders' }],
      ['/_sim/clock/advance', { ms: -5 }],
      ['/_sim/records/products/prod_000001', { Id: 'prod_x' }],
      ['/_sim/mutate', 'not json'],
    ];

    for (const [path, body] of cases) {
      const response = await post(simulator, path, body);
      expect(response.status).toBe(400);
      expect(response.body.code).toBe('invalid_request');
    }
    expect((await get(simulator, '/_sim/nothing')).status).toBe(404);
  });
});

describe('stats', () => {
  it('stats count requests exactly', async () => {
    const simulator = await startSimulator();
    const accessToken = await token(simulator, 'sync-admin');
    await get(simulator, '/api/products?pageSize=5&apiKey=leaked', accessToken);
    await get(simulator, '/api/orders', simulator.apiKey);
    await get(simulator, '/api/orders');

    const stats = simulator.stats();
    const serialized = JSON.stringify(stats);
    expect(stats.requests.map((entry) => `${entry.method} ${entry.path} ${entry.status}`)).toEqual([
      'POST /api/auth/login 200',
      'GET /api/products 400',
      'GET /api/orders 200',
      'GET /api/orders 401',
    ]);
    expect(stats.requests.map((entry) => entry.auth)).toEqual(['none', 'token', 'api-key', 'none']);
    expect(stats.requests[1]?.clientId).toBe('sync-admin');
    expect(stats.requests[1]?.query).toEqual({ pageSize: '5', apiKey: '[redacted]' });
    expect(stats.byStatus).toEqual({ '200': 2, '400': 1, '401': 1 });
    expect(stats.logins).toBe(1);
    expect(serialized).not.toContain(simulator.apiKey);
    expect(serialized).not.toContain(accessToken);
    expect(serialized).not.toContain('sync-admin-secret');
  });

  it('request log is bounded', async () => {
    const simulator = await startSimulator({ maxRecordedRequests: 3 });
    for (let i = 0; i < 5; i++) {
      await get(simulator, '/api/products?pageSize=1', simulator.apiKey);
    }
    const stats = simulator.stats();

    expect(stats.requests).toHaveLength(3);
    expect(stats.requestsDropped).toBe(2);
    expect(stats.byStatus['200']).toBe(5);
  });
});

describe('documented curl examples', () => {
  it('curl examples run as written', async () => {
    const simulator = await startSimulator({
      apiKey: 'your-api-key',
      clients: [
        {
          clientId: 'your-client-id',
          clientSecret: 'your-client-secret',
          role: 'Customer',
          customerNumber: 'CUST456',
          priceTier: 'Wholesale',
          currencyCode: 'USD',
        },
      ],
    });

    const loginOutput = await execFileAsync('curl', [
      '-X',
      'POST',
      `${simulator.url}/api/auth/login`,
      '-H',
      'Content-Type: application/json',
      '-d',
      `{
    "OrgCode": "org_52a3021e813",
    "ClientId": "your-client-id",
    "ClientSecret": "your-client-secret"
  }`,
    ]);
    const loginBody = JSON.parse(loginOutput.stdout);
    expect(typeof loginBody.AccessToken).toBe('string');
    expect(loginBody.TokenType).toBe('api-key');
    expect(loginBody.ExpiresIn).toBe(86400);

    for (const key of [loginBody.AccessToken as string, 'your-api-key']) {
      const productsOutput = await execFileAsync('curl', [
        '-X',
        'GET',
        `${simulator.url}/api/products`,
        '-H',
        `x-api-key: ${key}`,
        '-H',
        'Accept: application/json',
      ]);
      const page = JSON.parse(productsOutput.stdout) as Page;
      expect(page.Items).toHaveLength(60);
      expect(page.HasMore).toBe(false);
    }
  });
});

describe('runSimulator', () => {
  it('prints URL and credentials', async () => {
    const lines: string[] = [];
    const simulator = await runSimulator(
      {
        host: '127.0.0.1',
        port: 0,
        seed: 3,
        products: 10,
        orders: 5,
        tokenTtlSeconds: 600,
        faults: { path: '/api/orders', serverErrors: { count: 1 } },
      },
      (line) => lines.push(line),
    );
    running.push(simulator);
    const output = lines.join('\n');

    expect(output).toContain(simulator.url);
    expect(output).toContain(simulator.apiKey);
    expect(output).toContain('sync-admin-secret');
    expect(output).toContain('org_52a3021e813');
    expect((await login(simulator, 'sync-admin', 'sync-admin-secret')).body.ExpiresIn).toBe(600);
    expect((await get(simulator, '/api/orders', simulator.apiKey)).status).toBe(503);
  });
});
