import type { Redis } from 'ioredis';

import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import type { StateKeys } from '../queue/names.js';
import { NymbleClient } from './client.js';
import { createCredential } from './create-credential.js';
import { RedisRateGate } from './rate-gate.js';

/** Builds the Nymble client of a process, with its credential and the fleet's rate-limit gate. */
export async function createNymbleClient(
  config: Config,
  redis: Redis,
  keys: StateKeys,
  log: Logger,
  metrics: Metrics,
): Promise<{ client: NymbleClient; gate: RedisRateGate }> {
  const credential = await createCredential(config, redis, keys, log, metrics);
  const gate = new RedisRateGate(redis, keys.rateGate);
  const client = new NymbleClient({
    baseUrl: config.nymble.baseUrl,
    credential,
    gate,
    policy: config.retry,
    timeoutMs: config.nymble.requestTimeoutMs,
    maxResponseBytes: config.nymble.maxResponseBytes,
    onResponse: (endpoint, status) =>
      metrics.httpRequests.inc({ endpoint, status: String(status) }),
  });
  return { client, gate };
}
