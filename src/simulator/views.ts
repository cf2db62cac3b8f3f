import { invalidRequest } from './errors.js';
import { ROLES } from './options.js';
import { isCurrencyCode, isPriceTier, priceFor } from './pricing.js';
import type { Customer, StoredRecord } from './records.js';
import type { Role, SnapshotView } from './types.js';

/** The caller's identity, which decides which records are visible and how prices render. */
export interface CallerView {
  role: Role;
  priceTier: string;
  currencyCode: string;
  /** The caller's customer number, or '' for a caller without a customer account. */
  customerNumber: string;
  /** The caller's sales rep id, or '' for a caller that is not a sales rep. */
  salesRepId: string;
}

/** The view of the organization API key, and of `snapshot` without a view. */
export const API_KEY_VIEW: CallerView = {
  role: 'Admin',
  priceTier: 'Retail',
  currencyCode: 'USD',
  customerNumber: '',
  salesRepId: '',
};

/**
 * Renders a product for a caller. Price is the stored base price converted to the caller's
 * tier and currency. A base price that is not a finite number is returned unchanged.
 */
export function renderProduct(record: StoredRecord, view: CallerView): Record<string, unknown> {
  const { BasePriceUsd: basePrice, CreatedAt, ...fields } = record.fields;
  const price =
    typeof basePrice === 'number' && Number.isFinite(basePrice)
      ? priceFor(basePrice, view.priceTier, view.currencyCode)
      : basePrice;

  return {
    Id: record.Id,
    Sku: fields.Sku,
    Name: fields.Name,
    Description: fields.Description,
    Category: fields.Category,
    Price: price,
    CurrencyCode: view.currencyCode,
    PriceTier: view.priceTier,
    StockQuantity: fields.StockQuantity,
    Active: fields.Active,
    CreatedAt,
    UpdatedAt: new Date(record.UpdatedAt).toISOString(),
  };
}

/** Renders an order. Its currency and prices are the order's own, for every caller. */
export function renderOrder(record: StoredRecord): Record<string, unknown> {
  const fields = structuredClone(record.fields);

  return {
    Id: record.Id,
    OrderNumber: fields.OrderNumber,
    CustomerNumber: fields.CustomerNumber,
    SalesRepId: fields.SalesRepId,
    Status: fields.Status,
    CurrencyCode: fields.CurrencyCode,
    Lines: fields.Lines,
    Subtotal: fields.Subtotal,
    Tax: fields.Tax,
    Total: fields.Total,
    PlacedAt: fields.PlacedAt,
    CreatedAt: fields.CreatedAt,
    UpdatedAt: new Date(record.UpdatedAt).toISOString(),
  };
}

/**
 * Returns whether a caller may see an order. Admin may see every order, a Customer only its
 * own, and a SalesRep only the orders of customers currently assigned to it.
 */
export function canSeeOrder(
  record: StoredRecord,
  view: CallerView,
  customers: ReadonlyMap<string, Customer>,
): boolean {
  const customerNumber = record.fields.CustomerNumber;

  switch (view.role) {
    case 'Admin':
      return true;
    case 'Customer':
      return view.customerNumber !== '' && customerNumber === view.customerNumber;
    case 'SalesRep': {
      const customer =
        typeof customerNumber === 'string' ? customers.get(customerNumber) : undefined;
      return view.salesRepId !== '' && customer?.SalesRepId === view.salesRepId;
    }
  }
}

/** Returns whether a caller may see a customer account; the same rules as for orders. */
export function canSeeCustomer(customer: Customer, view: CallerView): boolean {
  switch (view.role) {
    case 'Admin':
      return true;
    case 'Customer':
      return customer.CustomerNumber === view.customerNumber;
    case 'SalesRep':
      return view.salesRepId !== '' && customer.SalesRepId === view.salesRepId;
  }
}

/** Fills a partial snapshot view from the API key's view and checks it like token claims. */
export function resolveView(view: SnapshotView): CallerView {
  const resolved: CallerView = {
    role: (view.role ?? API_KEY_VIEW.role) as Role,
    priceTier: view.priceTier ?? API_KEY_VIEW.priceTier,
    currencyCode: view.currencyCode ?? API_KEY_VIEW.currencyCode,
    customerNumber: view.customerNumber ?? '',
    salesRepId: view.salesRepId ?? '',
  };

  if (!ROLES.includes(resolved.role)) {
    throw invalidView('role', 'Admin, Customer or SalesRep', view.role);
  }
  if (!isPriceTier(resolved.priceTier)) {
    throw invalidView('priceTier', 'Retail, Wholesale or Distributor', view.priceTier);
  }
  if (!isCurrencyCode(resolved.currencyCode)) {
    throw invalidView('currencyCode', 'USD, CAD, EUR or GBP', view.currencyCode);
  }
  return resolved;
}

function invalidView(name: string, expected: string, value: unknown): Error {
  return invalidRequest(`${name} must be ${expected}, got ${JSON.stringify(value)}`);
}
