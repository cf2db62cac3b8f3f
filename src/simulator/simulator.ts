import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';

import type { ApiContext } from './api-context.js';
import { SimulatedClock } from './clock.js';
import type { ControlTarget } from './control-routes.js';
import { Credentials } from './credentials.js';
import { DataModel, isEntity } from './data-model.js';
import { invalidRequest } from './errors.js';
import { FaultInjector } from './faults.js';
import { LoginLimiter } from './login-limit.js';
import { resolveOptions, type ResolvedOptions } from './options.js';
import { createRequestHandler } from './request-handler.js';
import { RolePolicy } from './roles.js';
import { StatsRecorder } from './stats.js';
import type {
  Entity,
  FaultPlan,
  Simulator,
  SimulatorOptions,
  SimulatorStats,
  SnapshotView,
} from './types.js';
import { resolveView } from './views.js';

/** Creates a simulator with its seeded data; call `start` to serve it over HTTP. */
export function createSimulator(options: SimulatorOptions = {}): Simulator {
  return new NymbleSimulator(resolveOptions(options));
}

class NymbleSimulator implements Simulator {
  readonly #options: ResolvedOptions;
  readonly #clock: SimulatedClock;
  readonly #data: DataModel;
  readonly #credentials: Credentials;
  readonly #roles = new RolePolicy();
  readonly #faults: FaultInjector;
  readonly #stats: StatsRecorder;
  readonly #api: ApiContext;
  #server: Server | undefined;
  #url: string | undefined;
  #stopping = new AbortController();

  constructor(options: ResolvedOptions) {
    this.#options = options;
    this.#clock = new SimulatedClock(options.now);
    this.#data = new DataModel(options, () => this.#clock.now());
    this.#credentials = new Credentials(options, this.#clock);
    this.#faults = new FaultInjector(options.seed);
    this.#stats = new StatsRecorder(options.maxRecordedRequests);
    this.#api = {
      data: this.#data,
      credentials: this.#credentials,
      roles: this.#roles,
      faults: this.#faults,
      loginLimiter: new LoginLimiter(options.loginLimitPerMinute),
      clock: this.#clock,
      loginLimitPerMinute: options.loginLimitPerMinute,
      wait: (ms) => delay(ms, undefined, { signal: this.#stopping.signal }),
    };
  }

  get url(): string {
    if (this.#url === undefined) {
      throw new Error('The simulator has no URL yet; await start() before reading url');
    }
    return this.#url;
  }

  get apiKey(): string {
    return this.#options.apiKey;
  }

  async start(opts: { host?: string; port?: number } = {}): Promise<{ url: string }> {
    if (this.#server !== undefined) {
      const where = this.#url ?? 'a port';
      throw new Error(`The simulator is already listening on ${where}; call stop() first`);
    }
    const host = opts.host ?? '127.0.0.1';
    const server = createServer(
      createRequestHandler({
        api: this.#api,
        control: this.#controlTarget(),
        stats: this.#stats,
        stopping: () => this.#stopping.signal,
        log: this.#options.log,
      }),
    );
    this.#stopping = new AbortController();

    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port ?? 0, host, () => {
        server.off('error', reject);
        resolve();
      });
    });

    const address = server.address() as AddressInfo;
    const urlHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    this.#server = server;
    this.#url = `http://${urlHost}:${address.port}`;
    return { url: this.#url };
  }

  async stop(): Promise<void> {
    const server = this.#server;
    if (server === undefined) {
      return;
    }
    this.#server = undefined;
    this.#stopping.abort();

    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await closed;
  }

  mutate(entity: Entity, count: number): string[] {
    return this.#data.mutate(requireEntity(entity), count);
  }

  addRecords(entity: Entity, count: number): string[] {
    return this.#data.addRecords(requireEntity(entity), count);
  }

  updateRecord(entity: Entity, id: string, patch: Record<string, unknown>): void {
    this.#data.updateRecord(requireEntity(entity), id, patch);
  }

  snapshot(entity: Entity, view: SnapshotView = {}): object[] {
    return this.#data.snapshot(requireEntity(entity), resolveView(view));
  }

  setFaults(faults: FaultPlan | FaultPlan[]): void {
    this.#faults.set(faults);
  }

  clearFaults(): void {
    this.#faults.clear();
  }

  revokeApiKey(key?: string): void {
    this.#credentials.setApiKeyRevoked(true, key);
  }

  restoreApiKey(key?: string): void {
    this.#credentials.setApiKeyRevoked(false, key);
  }

  rotateClientSecret(clientId: string, newSecret: string): void {
    this.#credentials.rotateClientSecret(clientId, newSecret);
  }

  denyRole(role: string, path: string): void {
    this.#roles.deny(role, path);
  }

  allowRole(role: string, path: string): void {
    this.#roles.allow(role, path);
  }

  advanceClock(ms: number): void {
    this.#clock.advance(ms);
  }

  stats(): SimulatorStats {
    return this.#stats.snapshot();
  }

  resetStats(): void {
    this.#stats.reset();
  }

  #controlTarget(): ControlTarget {
    return {
      simulator: this,
      activeFaults: () => this.#faults.describe(),
      now: () => this.#clock.now(),
    };
  }
}

function requireEntity(entity: unknown): Entity {
  if (!isEntity(entity)) {
    throw invalidRequest(`entity must be products or orders, got ${JSON.stringify(entity)}`);
  }
  return entity;
}
