import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

import { LOGIN_PATH, type ApiContext, type RequestState } from './api-context.js';
import { handleApi } from './api-routes.js';
import { handleControl, type ControlTarget } from './control-routes.js';
import { SimulatorHttpError } from './errors.js';
import { sendError } from './http-io.js';
import { redactQuery, type StatsRecorder } from './stats.js';

export interface HandlerContext {
  api: ApiContext;
  control: ControlTarget;
  stats: StatsRecorder;
  /** Aborted when the simulator stops; requests still running are then dropped. */
  stopping: () => AbortSignal;
  /** Receives a line for each unexpected error, which is sent as 500 internal_error. */
  log: (line: string) => void;
}

/**
 * Creates the server's request listener. Every response gets an x-request-id header. Requests
 * under /_sim/ go to the control API and are not recorded; all others are recorded in stats.
 */
export function createRequestHandler(
  context: HandlerContext,
): (request: IncomingMessage, response: ServerResponse) => void {
  return (request, response) => {
    void handleRequest(context, request, response);
  };
}

async function handleRequest(
  context: HandlerContext,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const requestId = `req_${randomUUID()}`;
  response.setHeader('x-request-id', requestId);
  const url = new URL(request.url ?? '/', 'http://simulator.invalid');
  const path = url.pathname.length > 1 ? url.pathname.replace(/\/+$/, '') : url.pathname;

  if (path === '/_sim' || path.startsWith('/_sim/')) {
    const run = () => handleControl(context.control, request, response, path, url.searchParams);
    await respond(context, response, requestId, run);
    return;
  }

  const state: RequestState = {
    method: request.method ?? 'GET',
    path,
    query: url.searchParams,
    status: 0,
    auth: 'none',
  };
  const at = context.api.clock.now();
  const run = () => routeApi(context.api, request, response, state);
  await respond(context, response, requestId, run, state);

  const recorded = {
    method: state.method,
    path,
    query: redactQuery(url.searchParams),
    status: state.status,
    at,
    auth: state.auth,
    ...(state.clientId === undefined ? {} : { clientId: state.clientId }),
    ...(state.fault === undefined ? {} : { fault: state.fault }),
    requestId,
  };
  context.stats.record(recorded, path === LOGIN_PATH, state.loginClientId);
}

async function routeApi(
  api: ApiContext,
  request: IncomingMessage,
  response: ServerResponse,
  state: RequestState,
): Promise<void> {
  if (!state.path.startsWith('/api/')) {
    const message = `No route matches ${state.path}; API routes start with /api/`;
    throw new SimulatorHttpError(404, 'not_found', message);
  }
  await handleApi(api, request, response, state);
}

/** Runs a handler and turns what it throws into an error response, recording the status. */
async function respond(
  context: HandlerContext,
  response: ServerResponse,
  requestId: string,
  run: () => Promise<void>,
  state?: RequestState,
): Promise<void> {
  try {
    await run();
  } catch (error) {
    if (context.stopping().aborted || response.destroyed || response.headersSent) {
      response.destroy();
      return;
    }

    const httpError = toHttpError(context, requestId, error);
    if (state !== undefined) {
      state.status = httpError.status;
    }
    sendError(response, httpError);
  }
}

/** Passes SimulatorHttpError through; logs anything else and turns it into a 500. */
function toHttpError(
  context: HandlerContext,
  requestId: string,
  error: unknown,
): SimulatorHttpError {
  if (error instanceof SimulatorHttpError) {
    return error;
  }

  const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
  context.log(`Simulator request ${requestId} failed: ${detail}`);
  return new SimulatorHttpError(500, 'internal_error', `The simulator failed: ${String(error)}`);
}
