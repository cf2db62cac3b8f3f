import type { IncomingMessage, ServerResponse } from 'node:http';

import { LOGIN_PATH, type ApiContext, type RequestState } from './api-context.js';
import type { DataModel } from './data-model.js';
import { SimulatorHttpError } from './errors.js';
import { injectEarlyFault, sendSuccess } from './fault-responses.js';
import { decodeSegment } from './http-io.js';
import { handleLogin } from './login-route.js';
import { parseListQuery, rejectUnknown } from './query.js';
import type { Entity } from './types.js';
import type { CallerView } from './views.js';

type ApiRoute =
  | { name: 'login' }
  | { name: 'list'; entity: Entity }
  | { name: 'get'; entity: Entity; id: string }
  | { name: 'customers' };

/**
 * Handles a request under /api/ by checking, in this order, route, method, authentication and
 * role, then applying faults and the handler. Throws SimulatorHttpError for every error response.
 */
export async function handleApi(
  context: ApiContext,
  request: IncomingMessage,
  response: ServerResponse,
  state: RequestState,
): Promise<void> {
  const route = resolveRoute(state.path);
  checkMethod(route, state);
  if (route.name === 'login') {
    await handleLogin(context, request, response, state);
    return;
  }

  const caller = context.credentials.authenticate(headerValue(request, 'x-api-key'));
  state.auth = caller.auth;
  state.clientId = caller.clientId;
  if (!context.roles.isAllowed(caller.view.role, state.path)) {
    throw new SimulatorHttpError(
      403,
      'forbidden',
      `Role ${caller.view.role} may not access GET ${routePattern(route)}; ` +
        'use a credential with a permitted role',
    );
  }

  if (await injectEarlyFault(context, request, state)) {
    return;
  }
  sendSuccess(context, response, state, renderRoute(context.data, route, state, caller.view));
}

function resolveRoute(path: string): ApiRoute {
  if (path === LOGIN_PATH) {
    return { name: 'login' };
  }
  if (path === '/api/customers') {
    return { name: 'customers' };
  }

  const match = /^\/api\/(products|orders)(?:\/([^/]+))?$/.exec(path);
  const entity = match?.[1] as Entity | undefined;
  if (entity === undefined) {
    throw new SimulatorHttpError(404, 'not_found', `No route matches ${path}`);
  }

  const id = match?.[2];
  if (id === undefined) {
    return { name: 'list', entity };
  }
  return { name: 'get', entity, id: decodeSegment(id) };
}

function checkMethod(route: ApiRoute, state: RequestState): void {
  const allowed = route.name === 'login' ? 'POST' : 'GET';
  if (state.method !== allowed) {
    throw new SimulatorHttpError(
      405,
      'method_not_allowed',
      `${state.method} is not allowed on ${state.path}; use ${allowed}`,
      { allow: allowed },
    );
  }
}

function routePattern(route: ApiRoute): string {
  switch (route.name) {
    case 'login':
      return LOGIN_PATH;
    case 'customers':
      return '/api/customers';
    case 'list':
      return `/api/${route.entity}`;
    case 'get':
      return `/api/${route.entity}/:id`;
  }
}

function renderRoute(
  data: DataModel,
  route: ApiRoute,
  state: RequestState,
  view: CallerView,
): object {
  const pattern = routePattern(route);

  if (route.name === 'list') {
    const query = parseListQuery(state.query, pattern);
    const page = data.page(route.entity, query, view);
    return { Items: page.items, PageSize: query.pageSize, HasMore: page.hasMore };
  }

  rejectUnknown(state.query, pattern, []);
  if (route.name === 'get') {
    const record = data.find(route.entity, route.id, view);
    if (record === undefined) {
      const kind = route.entity === 'products' ? 'product' : 'order';
      throw new SimulatorHttpError(404, 'not_found', `No ${kind} with the id ${route.id} exists`);
    }
    return record;
  }
  return { Items: data.customers(view) };
}

function headerValue(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}
