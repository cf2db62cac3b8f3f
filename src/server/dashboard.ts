/**
 * Bull Board for the sync queues and the dead-letter queues, and the basic auth in front of it.
 * Bull Board has no authentication of its own, so src/config.ts rejects a non-loopback
 * HTTP_HOST unless DASHBOARD_USERNAME and DASHBOARD_PASSWORD are set.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type { Express, RequestHandler } from 'express';

import type { Config } from '../config.js';
import { ENTITY_NAMES } from '../erp/adapter.js';
import type { SyncQueues } from '../queue/queues.js';

/** Path the dashboard is served under; `/` redirects there. */
export const DASHBOARD_PATH = '/dashboard';

const REALM = 'nymble-sync dashboard';

/** Mounts Bull Board at DASHBOARD_PATH, behind basic auth when credentials are configured. */
export function mountDashboard(app: Express, queues: SyncQueues, http: Config['http']): void {
  const serverAdapter = new ExpressAdapter().setBasePath(DASHBOARD_PATH);
  createBullBoard({
    queues: boardQueues(queues, http.dashboardReadOnly),
    serverAdapter,
    options: { uiConfig: { boardTitle: 'nymble-sync', hideDocsLink: true } },
  });

  const guards: RequestHandler[] = [];
  if (http.dashboardUsername !== undefined && http.dashboardPassword !== undefined) {
    guards.push(basicAuth(http.dashboardUsername, http.dashboardPassword));
  }
  app.get('/', (_request, response) => response.redirect(302, `${DASHBOARD_PATH}/`));
  app.use(DASHBOARD_PATH, ...guards, serverAdapter.getRouter() as RequestHandler);
}

function boardQueues(queues: SyncQueues, readOnlyMode: boolean): BullMQAdapter[] {
  const sync = ENTITY_NAMES.map(
    (entity) =>
      new BullMQAdapter(queues.sync[entity], {
        readOnlyMode,
        description: `Sync runs of ${entity}, scheduled and requested`,
      }),
  );
  const deadLetters = ENTITY_NAMES.map(
    (entity) =>
      new BullMQAdapter(queues.deadLetter[entity], {
        readOnlyMode,
        // A dead letter waits for `nymble-sync dlq replay`; no worker consumes this queue.
        allowRetries: false,
        description: `Dead letters of ${entity}: replay with nymble-sync dlq replay`,
      }),
  );
  return [...sync, ...deadLetters];
}

/**
 * Returns a middleware that requires HTTP basic auth (RFC 7617) with these credentials and
 * otherwise responds with 401 and a `WWW-Authenticate` challenge.
 */
export function basicAuth(username: string, password: string): RequestHandler {
  const expectedUser = digest(username);
  const expectedPassword = digest(password);

  return (request, response, next) => {
    const offered = parseBasicAuth(request.headers.authorization);
    // Both comparisons always run, so the timing does not tell which of the two was wrong.
    const userMatches = timingSafeEqual(digest(offered?.username ?? ''), expectedUser);
    const passwordMatches = timingSafeEqual(digest(offered?.password ?? ''), expectedPassword);
    if (offered !== undefined && userMatches && passwordMatches) {
      next();
      return;
    }

    response.set('WWW-Authenticate', `Basic realm="${REALM}", charset="UTF-8"`);
    response.status(401).type('text/plain').send('Authentication required\n');
  };
}

/** Hashes to a fixed length, because `timingSafeEqual` accepts only buffers of equal length. */
function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/** Returns the credentials of a basic `Authorization` header; undefined when absent or invalid. */
export function parseBasicAuth(
  header: string | undefined,
): { username: string; password: string } | undefined {
  const match = /^Basic[ \t]+([A-Za-z0-9+/=]+)[ \t]*$/i.exec(header ?? '');
  if (!match?.[1]) return undefined;

  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}
