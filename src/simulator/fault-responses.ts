import type { IncomingMessage, ServerResponse } from 'node:http';

import type { ApiContext, RequestState } from './api-context.js';
import { SimulatorHttpError } from './errors.js';
import { sendJson, sendMalformed } from './http-io.js';

const SERVER_ERROR_CODES: Readonly<Record<number, string>> = {
  500: 'internal_error',
  502: 'bad_gateway',
  503: 'service_unavailable',
  504: 'gateway_timeout',
};

/**
 * Applies the latency and the first early fault of the matching plans. Returns true when the
 * connection was reset; a rate limit or server error is thrown as its error response.
 */
export async function injectEarlyFault(
  context: ApiContext,
  request: IncomingMessage,
  state: RequestState,
): Promise<boolean> {
  const latencyMs = context.faults.latencyFor(state.path);
  if (latencyMs > 0) {
    state.fault = 'latency';
    await context.wait(latencyMs);
  }

  const fault = context.faults.takeEarlyFault(state.path);
  if (fault === undefined) {
    return false;
  }
  switch (fault.kind) {
    case 'reset-connection':
      state.fault = 'reset-connection';
      state.status = 0;
      request.socket.destroy();
      return true;
    case 'rate-limit':
      state.fault = 'rate-limit';
      throw injectedRateLimit(fault.retryAfter);
    case 'server-error':
      state.fault = 'server-error';
      throw injectedServerError(fault.status);
  }
}

/** Sends a 200 with the body, or with a malformed body when such a fault is due. */
export function sendSuccess(
  context: ApiContext,
  response: ServerResponse,
  state: RequestState,
  body: object,
): void {
  const malformed = context.faults.takeMalformed(state.path);
  state.status = 200;
  if (malformed === undefined) {
    sendJson(response, 200, body);
    return;
  }

  state.fault = 'malformed-page';
  sendMalformed(response, malformed, body);
}

/**
 * Turns 'date:+2000' into an HTTP date 2000 ms after the wall clock, rounded up to a whole
 * second; other values are sent as given. The wall clock is used because clients compare the
 * date with their own clock and with the Date header, not with the simulated clock.
 */
export function retryAfterHeader(value: string, nowMs: number = Date.now()): string {
  const offset = /^date:([+-]\d+)$/.exec(value)?.[1];
  if (offset === undefined) {
    return value;
  }
  return new Date(Math.ceil((nowMs + Number(offset)) / 1000) * 1000).toUTCString();
}

function injectedRateLimit(retryAfter: string | null): SimulatorHttpError {
  const headers: Record<string, string> = {};
  if (retryAfter !== null) {
    headers['retry-after'] = retryAfterHeader(retryAfter);
  }
  const message = 'Too many requests; retry after the Retry-After delay';
  return new SimulatorHttpError(429, 'rate_limited', message, headers);
}

function injectedServerError(status: number): SimulatorHttpError {
  const code = SERVER_ERROR_CODES[status] ?? 'server_error';
  const message = `The service failed with status ${status}; retry later`;
  return new SimulatorHttpError(status, code, message);
}
