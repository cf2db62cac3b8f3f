/**
 * The Nymble Commerce simulator: an HTTP model of the vendor's API with seeded data, login
 * tokens, roles and scripted faults. It is a separate program, so the worker code must not
 * import it.
 */
export { runSimulator, type RunSimulatorOptions } from './main.js';
export { createSimulator } from './simulator.js';
export type {
  AuthKind,
  Entity,
  FaultKind,
  FaultPlan,
  MalformedKind,
  RecordedRequest,
  Role,
  Simulator,
  SimulatorClient,
  SimulatorOptions,
  SimulatorStats,
  SnapshotView,
} from './types.js';
