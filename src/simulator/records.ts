import { companyEmail, companyName, draftProduct } from './catalog.js';
import { priceFor, roundMoney, TAX_RATES } from './pricing.js';
import { pick, pickWeighted, randomInt, sampleIndices, type Random } from './random.js';

/**
 * A stored product or order. `fields` contains every other field by its API name, and
 * `updateRecord` may set them to any value, valid or not. Products store `BasePriceUsd`
 * in place of the per-caller `Price`.
 */
export interface StoredRecord {
  Id: string;
  /** ms since the epoch; the store keeps it monotonic per record. */
  UpdatedAt: number;
  fields: Record<string, unknown>;
}

export interface Customer {
  CustomerNumber: string;
  Name: string;
  Email: string;
  PriceTier: string;
  CurrencyCode: string;
  SalesRepId: string;
  Active: boolean;
  CreatedAt: string;
  UpdatedAt: string;
}

export interface OrderLine {
  LineNumber: number;
  ProductId: string;
  Sku: string;
  Quantity: number;
  UnitPrice: number;
  LineTotal: number;
}

const STATUS_WEIGHTS = { Pending: 15, Confirmed: 20, Shipped: 25, Delivered: 32, Cancelled: 8 };
const TIER_WEIGHTS = { Retail: 50, Wholesale: 35, Distributor: 15 };
const CURRENCY_WEIGHTS = { USD: 55, CAD: 20, EUR: 15, GBP: 10 };

export function productId(sequence: number): string {
  return `prod_${String(sequence).padStart(6, '0')}`;
}

export function orderId(sequence: number): string {
  return `ord_${String(sequence).padStart(6, '0')}`;
}

export function salesRepId(index: number): string {
  return `REP-${String(index + 1).padStart(2, '0')}`;
}

export function buildProduct(
  random: Random,
  sequence: number,
  createdAt: number,
  updatedAt: number,
): StoredRecord {
  const draft = draftProduct(random, sequence);
  return {
    Id: productId(sequence),
    UpdatedAt: updatedAt,
    fields: { ...draft, CreatedAt: new Date(createdAt).toISOString() },
  };
}

/** Builds a generated customer whose tier and currency are drawn with fixed weights. */
export function buildCustomer(
  random: Random,
  customerNumber: string,
  repId: string,
  createdAt: number,
): Customer {
  const name = companyName(random);
  const timestamp = new Date(createdAt).toISOString();

  return {
    CustomerNumber: customerNumber,
    Name: name,
    Email: companyEmail(name, customerNumber),
    PriceTier: pickWeighted(random, TIER_WEIGHTS),
    CurrencyCode: pickWeighted(random, CURRENCY_WEIGHTS),
    SalesRepId: repId,
    Active: true,
    CreatedAt: timestamp,
    UpdatedAt: timestamp,
  };
}

/** The products and customers that a generated order draws its lines and buyer from. */
export interface OrderContext {
  products: readonly StoredRecord[];
  customers: readonly Customer[];
}

/**
 * Builds an order of 1 to 5 distinct products. Unit prices are the customer's tier price in
 * the customer's currency at the time of the order, so later price changes leave it alone.
 */
export function buildOrder(
  random: Random,
  sequence: number,
  context: OrderContext,
  createdAt: number,
  updatedAt: number,
): StoredRecord {
  const customer = pick(random, context.customers);
  const lines = buildLines(random, context.products, customer);
  const subtotal = roundMoney(lines.reduce((sum, line) => sum + line.LineTotal, 0));
  const tax = roundMoney(subtotal * (TAX_RATES[customer.CurrencyCode] ?? 0));
  const placedAt = new Date(createdAt).toISOString();

  return {
    Id: orderId(sequence),
    UpdatedAt: updatedAt,
    fields: {
      OrderNumber: `SO-${100000 + sequence}`,
      CustomerNumber: customer.CustomerNumber,
      SalesRepId: customer.SalesRepId,
      Status: pickWeighted(random, STATUS_WEIGHTS),
      CurrencyCode: customer.CurrencyCode,
      Lines: lines,
      Subtotal: subtotal,
      Tax: tax,
      Total: roundMoney(subtotal + tax),
      PlacedAt: placedAt,
      CreatedAt: placedAt,
    },
  };
}

function buildLines(
  random: Random,
  products: readonly StoredRecord[],
  customer: Customer,
): OrderLine[] {
  const indices = sampleIndices(random, products.length, randomInt(random, 1, 5));

  return indices.map((index, position) => {
    const product = products[index] as StoredRecord;
    const baseUsd = Number(product.fields.BasePriceUsd);
    const unitPrice = Number.isFinite(baseUsd)
      ? priceFor(baseUsd, customer.PriceTier, customer.CurrencyCode)
      : 0;
    const quantity = randomInt(random, 1, 50);

    return {
      LineNumber: position + 1,
      ProductId: product.Id,
      Sku: String(product.fields.Sku),
      Quantity: quantity,
      UnitPrice: unitPrice,
      LineTotal: roundMoney(unitPrice * quantity),
    };
  });
}
