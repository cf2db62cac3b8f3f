/**
 * The per-entity breaker: an authentication or authorization failure pauses the entity's sync
 * queue, so that each schedule tick does not add another dead letter, while the other entity
 * keeps syncing. Replaying the dead letter closes it.
 */
import type { EntityName } from '../erp/adapter.js';
import type { SyncQueues } from './queues.js';
import type { BreakerState, SyncState } from './state.js';

export class Breaker {
  constructor(
    private readonly queues: SyncQueues,
    private readonly state: SyncState,
  ) {}

  async open(entities: readonly EntityName[], breaker: BreakerState): Promise<void> {
    for (const entity of entities) {
      await this.state.setBreaker(entity, breaker);
      await this.queues.sync[entity].pause();
    }
  }

  async close(entity: EntityName): Promise<void> {
    await this.state.clearBreaker(entity);
    await this.queues.sync[entity].resume();
  }

  async get(entity: EntityName): Promise<BreakerState | undefined> {
    return this.state.getBreaker(entity);
  }
}
