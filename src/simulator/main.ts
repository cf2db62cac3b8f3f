import { DEFAULT_CLIENTS, DEFAULT_ORG_CODE } from './options.js';
import { createSimulator } from './simulator.js';
import type { FaultPlan, Simulator, SimulatorClient } from './types.js';

export interface RunSimulatorOptions {
  /** Interface to listen on, such as 127.0.0.1. */
  host: string;
  /** TCP port; 0 picks a free one. */
  port: number;
  seed: number;
  /** Number of seeded products. */
  products: number;
  /** Number of seeded orders. */
  orders: number;
  /** Lifetime of issued tokens, in seconds. */
  tokenTtlSeconds: number;
  /** Faults active from the first request on. */
  faults?: FaultPlan | FaultPlan[];
}

/**
 * Starts a simulator with the default clients and prints how to reach it. It prints the API
 * key and the client secrets on purpose: they are the simulator's own test credentials for
 * local development, not secrets of any real account.
 */
export async function runSimulator(
  options: RunSimulatorOptions,
  log: (line: string) => void,
): Promise<Simulator> {
  const simulator = createSimulator({
    seed: options.seed,
    products: options.products,
    orders: options.orders,
    tokenTtlSeconds: options.tokenTtlSeconds,
    log,
  });
  if (options.faults !== undefined) {
    simulator.setFaults(options.faults);
  }

  const { url } = await simulator.start({ host: options.host, port: options.port });
  log(
    `Nymble Commerce simulator listening on ${url} ` +
      `(seed ${options.seed}, ${options.products} products, ${options.orders} orders)`,
  );
  log(`API key (x-api-key header): ${simulator.apiKey}`);
  log(`OrgCode: ${DEFAULT_ORG_CODE}`);
  for (const client of DEFAULT_CLIENTS) {
    log(`Client: ${describeClient(client)}`);
  }
  log(`Control API: ${url}/_sim/ (faults, mutate, clock, stats); see docs/simulator.md`);
  return simulator;
}

/** Formats a client as 'rep-1 / rep-1-secret (SalesRep REP-01, Retail, CAD)'. */
function describeClient(client: SimulatorClient): string {
  const account = client.customerNumber ?? client.salesRepId;
  const role = account === undefined ? client.role : `${client.role} ${account}`;
  const pricing = `${client.priceTier ?? 'Retail'}, ${client.currencyCode ?? 'USD'}`;
  return `${client.clientId} / ${client.clientSecret} (${role}, ${pricing})`;
}
