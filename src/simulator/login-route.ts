import type { IncomingMessage, ServerResponse } from 'node:http';

import type { ApiContext, RequestState } from './api-context.js';
import type { LoginRequest } from './credentials.js';
import { invalidRequest, SimulatorHttpError } from './errors.js';
import { injectEarlyFault, sendSuccess } from './fault-responses.js';
import { hasJsonContentType, parseJson, readBody } from './http-io.js';

const LOGIN_FIELDS = ['OrgCode', 'ClientId', 'ClientSecret'] as const;

/**
 * Handles POST /api/auth/login. A request whose body has a ClientId string takes a slot of
 * that client's rate limit, whether or not the rest of it is valid.
 */
export async function handleLogin(
  context: ApiContext,
  request: IncomingMessage,
  response: ServerResponse,
  state: RequestState,
): Promise<void> {
  if (await injectEarlyFault(context, request, state)) {
    return;
  }
  if (!hasJsonContentType(request)) {
    const message = 'The login body must be JSON sent with Content-Type: application/json';
    throw new SimulatorHttpError(415, 'unsupported_media_type', message);
  }

  const fields = requireObject(parseJson(await readBody(request), undefined));
  if (typeof fields.ClientId === 'string' && fields.ClientId !== '') {
    state.clientId = fields.ClientId;
    state.loginClientId = fields.ClientId;
    admitLogin(context, fields.ClientId);
  }

  const login = validateLogin(fields);
  sendSuccess(context, response, state, context.credentials.login(login));
}

/** Takes a rate-limit slot for the client, or throws 429 with Retry-After in whole seconds. */
function admitLogin(context: ApiContext, clientId: string): void {
  const retryAfterSeconds = context.loginLimiter.admit(clientId, context.clock.now());
  if (retryAfterSeconds === 0) {
    return;
  }

  const limit = context.loginLimitPerMinute;
  throw new SimulatorHttpError(
    429,
    'rate_limited',
    `Too many login requests for ClientId ${clientId}: at most ${limit} per minute; ` +
      `retry after ${retryAfterSeconds} s and reuse the cached token`,
    { 'retry-after': String(retryAfterSeconds) },
  );
}

function requireObject(body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw invalidRequest(
      'The request body must be a JSON object with OrgCode, ClientId and ClientSecret',
    );
  }
  return body as Record<string, unknown>;
}

function validateLogin(fields: Record<string, unknown>): LoginRequest {
  for (const name of LOGIN_FIELDS) {
    const value = fields[name];
    if (value === undefined) {
      throw invalidRequest(
        `${name} is missing; the login body needs OrgCode, ClientId and ClientSecret`,
      );
    }
    if (typeof value !== 'string' || value === '') {
      throw invalidRequest(`${name} must be a non-empty string, got ${JSON.stringify(value)}`);
    }
  }
  return fields as unknown as LoginRequest;
}
