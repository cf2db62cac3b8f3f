import type { IncomingMessage, ServerResponse } from 'node:http';

import { isEntity } from './data-model.js';
import { invalidRequest, SimulatorHttpError } from './errors.js';
import { decodeSegment, parseJson, readBody, sendJson } from './http-io.js';
import type { Entity, FaultPlan, Simulator, SnapshotView } from './types.js';

/** The simulator that the control API drives, with read access to its faults and clock. */
export interface ControlTarget {
  simulator: Simulator;
  activeFaults(): FaultPlan[];
  /** Returns the simulated clock, in ms since the epoch. */
  now(): number;
}

type Body = Record<string, unknown>;

const SNAPSHOT_VIEW_PARAMETERS = [
  'priceTier',
  'currencyCode',
  'role',
  'customerNumber',
  'salesRepId',
] as const;

interface ControlRoute {
  method: string;
  pattern: RegExp;
  /** Runs the operation; `params` are the decoded capture groups of `pattern`. */
  run(target: ControlTarget, params: string[], body: unknown, query: URLSearchParams): unknown;
}

const ROUTES: readonly ControlRoute[] = [
  { method: 'GET', pattern: /^\/_sim\/faults$/, run: (t) => ({ faults: t.activeFaults() }) },
  { method: 'POST', pattern: /^\/_sim\/faults$/, run: setFaults },
  { method: 'DELETE', pattern: /^\/_sim\/faults$/, run: clearFaults },
  { method: 'POST', pattern: /^\/_sim\/mutate$/, run: mutate },
  { method: 'POST', pattern: /^\/_sim\/records\/([^/]+)$/, run: addRecords },
  { method: 'POST', pattern: /^\/_sim\/records\/([^/]+)\/([^/]+)$/, run: updateRecord },
  { method: 'POST', pattern: /^\/_sim\/api-key\/revoke$/, run: (t, _p, b) => setKey(t, b, true) },
  { method: 'POST', pattern: /^\/_sim\/api-key\/restore$/, run: (t, _p, b) => setKey(t, b, false) },
  { method: 'POST', pattern: /^\/_sim\/clients\/([^/]+)\/rotate$/, run: rotateSecret },
  { method: 'POST', pattern: /^\/_sim\/roles\/deny$/, run: (t, _p, b) => setRole(t, b, 'deny') },
  { method: 'POST', pattern: /^\/_sim\/roles\/allow$/, run: (t, _p, b) => setRole(t, b, 'allow') },
  { method: 'POST', pattern: /^\/_sim\/clock\/advance$/, run: advanceClock },
  { method: 'GET', pattern: /^\/_sim\/stats$/, run: (t) => t.simulator.stats() },
  { method: 'POST', pattern: /^\/_sim\/stats\/reset$/, run: resetStats },
  { method: 'GET', pattern: /^\/_sim\/snapshot\/([^/]+)$/, run: snapshot },
];

/** Handles a request under /_sim/; throws SimulatorHttpError for every error response. */
export async function handleControl(
  target: ControlTarget,
  request: IncomingMessage,
  response: ServerResponse,
  path: string,
  query: URLSearchParams,
): Promise<void> {
  const matches = ROUTES.filter((route) => route.pattern.test(path));
  if (matches.length === 0) {
    throw new SimulatorHttpError(404, 'not_found', `No control route matches ${path}`);
  }

  const method = request.method ?? 'GET';
  const route = matches.find((candidate) => candidate.method === method);
  if (route === undefined) {
    const allowed = matches.map((candidate) => candidate.method).join(', ');
    const message = `${method} is not allowed on ${path}; use ${allowed}`;
    throw new SimulatorHttpError(405, 'method_not_allowed', message, { allow: allowed });
  }

  const captures = route.pattern.exec(path) ?? [];
  const params = captures.slice(1).map((value) => decodeSegment(value ?? ''));
  const body = method === 'GET' ? undefined : parseJson(await readBody(request), {});
  sendJson(response, 200, route.run(target, params, body, query));
}

function setFaults(target: ControlTarget, _params: string[], body: unknown): unknown {
  target.simulator.setFaults(body as FaultPlan | FaultPlan[]);
  return { faults: target.activeFaults() };
}

function clearFaults(target: ControlTarget): unknown {
  target.simulator.clearFaults();
  return { faults: [] };
}

function mutate(target: ControlTarget, _params: string[], body: unknown): unknown {
  const fields = requireBody(body);
  const ids = target.simulator.mutate(requireEntity(fields.entity), requireCount(fields.count));
  return { ids };
}

function addRecords(target: ControlTarget, params: string[], body: unknown): unknown {
  const fields = requireBody(body);
  const ids = target.simulator.addRecords(requireEntity(params[0]), requireCount(fields.count));
  return { ids };
}

function updateRecord(target: ControlTarget, params: string[], body: unknown): unknown {
  const entity = requireEntity(params[0]);
  const id = params[1] ?? '';
  target.simulator.updateRecord(entity, id, requireBody(body));
  return { Id: id };
}

/** Revokes or restores the API key. */
function setKey(target: ControlTarget, body: unknown, revoked: boolean): unknown {
  const key = requireBody(body).key;
  if (key !== undefined && typeof key !== 'string') {
    throw invalidRequest('key must be a string when given');
  }
  if (revoked) {
    target.simulator.revokeApiKey(key);
  } else {
    target.simulator.restoreApiKey(key);
  }
  return { revoked };
}

function rotateSecret(target: ControlTarget, params: string[], body: unknown): unknown {
  const clientId = params[0] ?? '';
  const secret = requireBody(body).clientSecret;
  if (typeof secret !== 'string' || secret === '') {
    throw invalidRequest('clientSecret must be a non-empty string');
  }
  target.simulator.rotateClientSecret(clientId, secret);
  return { clientId };
}

function setRole(target: ControlTarget, body: unknown, action: 'deny' | 'allow'): unknown {
  const { role, path } = requireBody(body);
  if (typeof role !== 'string' || typeof path !== 'string') {
    throw invalidRequest(
      'The body must have role and path strings, such as {"role":"Admin","path":"/api/orders"}',
    );
  }
  if (action === 'deny') {
    target.simulator.denyRole(role, path);
  } else {
    target.simulator.allowRole(role, path);
  }
  return { role, path, allowed: action === 'allow' };
}

function advanceClock(target: ControlTarget, _params: string[], body: unknown): unknown {
  const ms = requireBody(body).ms;
  if (typeof ms !== 'number') {
    throw invalidRequest(`ms must be a number of milliseconds, got ${JSON.stringify(ms)}`);
  }
  target.simulator.advanceClock(ms);
  return { now: new Date(target.now()).toISOString() };
}

function resetStats(target: ControlTarget): unknown {
  target.simulator.resetStats();
  return {};
}

function snapshot(
  target: ControlTarget,
  params: string[],
  _body: unknown,
  query: URLSearchParams,
): unknown {
  const view: SnapshotView = {};
  for (const name of SNAPSHOT_VIEW_PARAMETERS) {
    const value = query.get(name);
    if (value !== null) {
      view[name] = value;
    }
  }
  return { Items: target.simulator.snapshot(requireEntity(params[0]), view) };
}

function requireBody(body: unknown): Body {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw invalidRequest('The request body must be a JSON object');
  }
  return body as Body;
}

function requireEntity(value: unknown): Entity {
  if (!isEntity(value)) {
    throw invalidRequest(`entity must be products or orders, got ${JSON.stringify(value)}`);
  }
  return value;
}

function requireCount(value: unknown): number {
  if (!Number.isSafeInteger(value) || (value as number) < 0) {
    throw invalidRequest(`count must be an integer >= 0, got ${JSON.stringify(value)}`);
  }
  return value as number;
}
