import { isCurrencyCode, isPriceTier } from './pricing.js';
import { derivedHex } from './random.js';
import type { Role, SimulatorClient, SimulatorOptions } from './types.js';

/** A client with every optional field filled in. */
export interface ResolvedClient {
  clientId: string;
  clientSecret: string;
  role: Role;
  customerNumber: string;
  salesRepId: string;
  priceTier: string;
  currencyCode: string;
}

export interface ResolvedOptions {
  seed: number;
  products: number;
  orders: number;
  customers: number;
  salesReps: number;
  tokenTtlSeconds: number;
  loginLimitPerMinute: number;
  orgCode: string;
  organizationId: string;
  apiKey: string;
  clients: ResolvedClient[];
  signingSecret: string;
  now: () => number;
  maxRecordedRequests: number;
  log: (line: string) => void;
}

export const ROLES: readonly Role[] = ['Admin', 'Customer', 'SalesRep'];

export const DEFAULT_ORG_CODE = 'org_52a3021e813';
const DEFAULT_ORGANIZATION_ID = '65904937457314222c3f1cb4';

/** The login clients provisioned when `clients` is not given. */
export const DEFAULT_CLIENTS: readonly SimulatorClient[] = [
  {
    clientId: 'sync-admin',
    clientSecret: 'sync-admin-secret',
    role: 'Admin',
    priceTier: 'Retail',
    currencyCode: 'USD',
  },
  {
    clientId: 'CUST456',
    clientSecret: 'CUST456-secret',
    role: 'Customer',
    customerNumber: 'CUST456',
    priceTier: 'Wholesale',
    currencyCode: 'USD',
  },
  {
    clientId: 'rep-1',
    clientSecret: 'rep-1-secret',
    role: 'SalesRep',
    salesRepId: 'REP-01',
    priceTier: 'Retail',
    currencyCode: 'CAD',
  },
];

/** Fills in defaults and validates every option; errors name the option and the value. */
export function resolveOptions(options: SimulatorOptions = {}): ResolvedOptions {
  const seed = integerOption('seed', options.seed, 1, Number.MIN_SAFE_INTEGER);
  const signingSecret = derivedHex(seed, 'jwt', 64);
  const orders = integerOption('orders', options.orders, 500, 0);
  const products = integerOption('products', options.products, 500, 0);
  if (orders > 0 && products === 0) {
    const expected = 'at least 1 while orders > 0, because order lines need products';
    throw optionError('products', expected, products);
  }

  return {
    seed,
    products,
    orders,
    customers: integerOption('customers', options.customers, 40, 1),
    salesReps: integerOption('salesReps', options.salesReps, 4, 1),
    tokenTtlSeconds: integerOption('tokenTtlSeconds', options.tokenTtlSeconds, 86400, 1),
    loginLimitPerMinute: integerOption('loginLimitPerMinute', options.loginLimitPerMinute, 10, 1),
    orgCode: stringOption('orgCode', options.orgCode, DEFAULT_ORG_CODE),
    organizationId: stringOption('organizationId', options.organizationId, DEFAULT_ORGANIZATION_ID),
    apiKey: apiKeyOption(options.apiKey, `nk_live_${derivedHex(seed, 'api-key', 32)}`),
    clients: resolveClients(options.clients ?? DEFAULT_CLIENTS),
    signingSecret: stringOption('signingSecret', options.signingSecret, signingSecret),
    now: options.now ?? Date.now,
    maxRecordedRequests: integerOption(
      'maxRecordedRequests',
      options.maxRecordedRequests,
      100_000,
      0,
    ),
    log: options.log ?? ((line) => console.error(line)),
  };
}

function integerOption(
  name: string,
  value: number | undefined,
  fallback: number,
  min: number,
): number {
  if (value === undefined) {
    return fallback;
  }
  if (!Number.isSafeInteger(value) || value < min) {
    throw optionError(name, `an integer >= ${min}`, value);
  }
  return value;
}

function stringOption(name: string, value: string | undefined, fallback: string): string {
  if (value === undefined) {
    return fallback;
  }
  requireText(name, value);
  return value;
}

/** Validates the API key; it may not contain dots, which would make it look like a token. */
function apiKeyOption(value: string | undefined, fallback: string): string {
  const apiKey = stringOption('apiKey', value, fallback);
  if (/[\s.]/.test(apiKey)) {
    throw optionError('apiKey', 'a string without spaces or dots', apiKey);
  }
  return apiKey;
}

function resolveClients(clients: readonly SimulatorClient[]): ResolvedClient[] {
  const seen = new Set<string>();

  return clients.map((client, index) => {
    const resolved = resolveClient(client, index);
    if (seen.has(resolved.clientId)) {
      throw optionError(`clients[${index}].clientId`, 'unique', resolved.clientId);
    }
    seen.add(resolved.clientId);
    return resolved;
  });
}

function resolveClient(client: SimulatorClient, index: number): ResolvedClient {
  const where = `clients[${index}]`;
  requireText(`${where}.clientId`, client.clientId);
  requireText(`${where}.clientSecret`, client.clientSecret);

  if (!ROLES.includes(client.role)) {
    throw optionError(`${where}.role`, 'Admin, Customer or SalesRep', client.role);
  }
  if (client.role === 'Customer') {
    requireText(`${where}.customerNumber (required for role Customer)`, client.customerNumber);
  }
  if (client.role === 'SalesRep') {
    requireText(`${where}.salesRepId (required for role SalesRep)`, client.salesRepId);
  }

  const priceTier = client.priceTier ?? 'Retail';
  const currencyCode = client.currencyCode ?? 'USD';
  if (!isPriceTier(priceTier)) {
    throw optionError(`${where}.priceTier`, 'Retail, Wholesale or Distributor', priceTier);
  }
  if (!isCurrencyCode(currencyCode)) {
    throw optionError(`${where}.currencyCode`, 'USD, CAD, EUR or GBP', currencyCode);
  }

  return {
    clientId: client.clientId,
    clientSecret: client.clientSecret,
    role: client.role,
    customerNumber: client.customerNumber ?? '',
    salesRepId: client.salesRepId ?? '',
    priceTier,
    currencyCode,
  };
}

function requireText(name: string, value: unknown): void {
  if (typeof value !== 'string' || value.trim() === '') {
    throw optionError(name, 'a non-empty string', value);
  }
}

function optionError(name: string, expected: string, value: unknown): TypeError {
  const valueText = JSON.stringify(value) ?? String(value);
  return new TypeError(`Simulator option ${name} must be ${expected}, got ${valueText}`);
}
