import type { SimulatedClock } from './clock.js';
import type { Credentials } from './credentials.js';
import type { DataModel } from './data-model.js';
import type { FaultInjector } from './faults.js';
import type { LoginLimiter } from './login-limit.js';
import type { RolePolicy } from './roles.js';
import type { AuthKind, FaultKind } from './types.js';

export const LOGIN_PATH = '/api/auth/login';

/** Dependencies of the /api handlers. */
export interface ApiContext {
  data: DataModel;
  credentials: Credentials;
  roles: RolePolicy;
  faults: FaultInjector;
  loginLimiter: LoginLimiter;
  clock: SimulatedClock;
  loginLimitPerMinute: number;
  /** Waits `ms` of real time; rejects when the simulator stops. */
  wait(ms: number): Promise<void>;
}

/** Facts about one request that the handlers fill in and the stats record. */
export interface RequestState {
  method: string;
  path: string;
  query: URLSearchParams;
  /** Response status; 0 until a response is sent, and for a reset connection. */
  status: number;
  auth: AuthKind;
  clientId?: string;
  /** The ClientId of a login body, counted in `loginsByClient`. */
  loginClientId?: string;
  fault?: FaultKind;
}
