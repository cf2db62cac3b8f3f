/** Multipliers applied to a product's stored base price in USD. */
export const PRICE_TIERS: Readonly<Record<string, number>> = {
  Retail: 1,
  Wholesale: 0.85,
  Distributor: 0.75,
};

/** Fixed exchange rates from USD; the simulator never changes them. */
export const CURRENCY_RATES: Readonly<Record<string, number>> = {
  USD: 1,
  CAD: 1.37,
  EUR: 0.92,
  GBP: 0.79,
};

/** Sales tax rate of an order by its currency, standing in for the buyer's region. */
export const TAX_RATES: Readonly<Record<string, number>> = {
  USD: 0.08,
  CAD: 0.13,
  EUR: 0.2,
  GBP: 0.2,
};

/** Rounds to 2 decimals, half away from zero, so 1.005 becomes 1.01. */
export function roundMoney(amount: number): number {
  return (Math.sign(amount) * Math.round((Math.abs(amount) + Number.EPSILON) * 100)) / 100;
}

export function isPriceTier(value: unknown): value is string {
  return typeof value === 'string' && Object.hasOwn(PRICE_TIERS, value);
}

export function isCurrencyCode(value: unknown): value is string {
  return typeof value === 'string' && Object.hasOwn(CURRENCY_RATES, value);
}

/** Converts a base USD price into the price that a tier pays in a currency, rounded to cents. */
export function priceFor(baseUsd: number, priceTier: string, currencyCode: string): number {
  const tier = PRICE_TIERS[priceTier];
  const rate = CURRENCY_RATES[currencyCode];
  if (tier === undefined || rate === undefined) {
    throw new RangeError(`Unknown price tier ${priceTier} or currency ${currencyCode}`);
  }
  return roundMoney(baseUsd * tier * rate);
}
