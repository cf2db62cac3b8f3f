import type { Command } from 'commander';

import { ENTITIES } from '../../../jobs/index.js';
import { loadConfig, type Config } from '../../config.js';
import type { ErpAdapter } from '../../erp/adapter.js';
import { loadErpAdapter } from '../../erp/load-adapter.js';
import { ConfigError } from '../../errors.js';
import { createLogger } from '../../log.js';
import { createMetrics } from '../../metrics.js';
import type { NymbleClient } from '../../nymble/client.js';
import { createNymbleClient } from '../../nymble/create-client.js';
import { createRedis, waitForRedis } from '../../queue/connection.js';
import { stateKeys } from '../../queue/names.js';
import { ORGANIZATION_ROLES } from '../../worker/scope-guard.js';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, runCommand } from '../exit.js';

type Result = 'ok' | 'warn' | 'fail';

interface Check {
  name: string;
  result: Result;
  detail: string;
}

const say = (line: string) => process.stdout.write(`${line}\n`);

function printTable(checks: Check[]): void {
  const width = Math.max(...checks.map((check) => check.name.length), 5);
  say(`${'CHECK'.padEnd(width)}  RESULT  DETAIL`);
  for (const check of checks)
    say(`${check.name.padEnd(width)}  ${check.result.toUpperCase().padEnd(6)}  ${check.detail}`);
}

/** Returns an error as one line for the table: a ConfigError's problems joined, not listed. */
function message(error: unknown): string {
  if (error instanceof ConfigError) return error.problems.join('; ');
  return error instanceof Error ? error.message : String(error);
}

async function checkCredential(client: NymbleClient, config: Config): Promise<Check[]> {
  const method = config.nymble.auth.method;
  let header;
  try {
    header = await client.credential.current();
  } catch (error) {
    return [{ name: 'credential', result: 'fail', detail: `${method}: ${message(error)}` }];
  }
  if (method === 'api-key') {
    return [
      { name: 'credential', result: 'ok', detail: 'API key (organization scope, no expiry)' },
      { name: 'role and scope', result: 'ok', detail: 'API keys see the whole organization' },
    ];
  }

  const claims = header.claims ?? {};
  const role = claims.role ?? 'unknown';
  const expires = claims.exp ? new Date(claims.exp * 1000).toISOString() : 'unknown';
  const credential: Check = {
    name: 'credential',
    result: 'ok',
    detail: `login token for OrganizationId ${claims.OrganizationId ?? '?'}, role ${role}, ${claims.PriceTier ?? '?'} prices in ${claims.CurrencyCode ?? '?'}, expires ${expires}`,
  };
  if (ORGANIZATION_ROLES.has(role))
    return [
      credential,
      { name: 'role and scope', result: 'ok', detail: `${role} sees the whole organization` },
    ];

  const scoped = `${role} sees only its own or assigned customers' orders and its tier's prices`;
  const scope: Check = config.nymble.allowScopedSync
    ? {
        name: 'role and scope',
        result: 'warn',
        detail: `${scoped}; accepted by NYMBLE_ALLOW_SCOPED_SYNC=true`,
      }
    : {
        name: 'role and scope',
        result: 'fail',
        detail: `${scoped}: use an Admin credential or an API key, or set NYMBLE_ALLOW_SCOPED_SYNC=true`,
      };
  return [credential, scope];
}

async function checkEndpoints(client: NymbleClient, config: Config): Promise<Check[]> {
  const checks: Check[] = [];
  for (const entity of config.sync.entities) {
    const path = ENTITIES[entity].path;
    try {
      const status = await client.probe(path);
      const result: Result = status === 200 ? 'ok' : 'fail';
      const meaning: Record<number, string> = {
        200: 'readable',
        401: 'credential rejected',
        403: 'forbidden for this role',
        429: 'rate limited, try again later',
      };
      checks.push({
        name: `GET /${path}`,
        result,
        detail: `HTTP ${status} (${meaning[status] ?? 'unexpected'})`,
      });
    } catch (error) {
      checks.push({ name: `GET /${path}`, result: 'fail', detail: message(error) });
    }
  }
  return checks;
}

/**
 * Checks the credential, then each endpoint with it. After a failed login the endpoints are not
 * probed, because that would only spend more of the login budget. A 401 from an endpoint turns
 * the credential's own row into a failure, since an API key cannot be checked any other way.
 */
async function checkAccess(client: NymbleClient, config: Config): Promise<Check[]> {
  const credential = await checkCredential(client, config);
  const [credentialRow, scopeRow] = credential;
  if (credentialRow?.result === 'fail') {
    const skipped = config.sync.entities.map((entity) => ({
      name: `GET /${ENTITIES[entity].path}`,
      result: 'warn' as const,
      detail: 'not checked, because the credential failed',
    }));
    return [...credential, ...skipped];
  }

  const endpoints = await checkEndpoints(client, config);
  if (credentialRow && endpoints.some((check) => check.detail.startsWith('HTTP 401'))) {
    credentialRow.result = 'fail';
    credentialRow.detail = `Nymble rejected this ${config.nymble.auth.method} credential (HTTP 401)`;
    if (scopeRow)
      Object.assign(scopeRow, {
        result: 'warn',
        detail: 'not known, because the credential was rejected',
      });
  }
  return [...credential, ...endpoints];
}

async function checkErp(config: Config): Promise<Check> {
  let erp: ErpAdapter | undefined;
  try {
    erp = await loadErpAdapter(config.erp);
    await erp.check();
    return { name: 'ERP adapter', result: 'ok', detail: `${erp.name} is reachable and writable` };
  } catch (error) {
    return { name: 'ERP adapter', result: 'fail', detail: message(error) };
  } finally {
    await erp?.close();
  }
}

async function runPreflight(): Promise<number> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    printTable([{ name: 'configuration', result: 'fail', detail: error.problems.join('; ') }]);
    return EXIT_USAGE;
  }
  const checks: Check[] = [
    {
      name: 'configuration',
      result: 'ok',
      detail: `${config.nymble.auth.method}, entities ${config.sync.entities.join(', ')}`,
    },
  ];

  const redis = createRedis(config.redisUrl, 'command', 'nymble-sync-preflight');
  redis.on('error', () => {});
  try {
    await waitForRedis(redis, config.redisUrl, 5_000);
    checks.push({
      name: 'Redis',
      result: 'ok',
      detail: `answers at ${config.redisUrl.replace(/\/\/[^@]*@/, '//')}`,
    });
  } catch (error) {
    checks.push({ name: 'Redis', result: 'fail', detail: message(error) });
    redis.disconnect();
    printTable([...checks, await checkErp(config)]);
    return EXIT_FAILURE;
  }

  const log = createLogger({ level: 'silent' });
  const { client } = await createNymbleClient(
    config,
    redis,
    stateKeys(config.queuePrefix),
    log,
    createMetrics(),
  );
  try {
    checks.push(...(await checkAccess(client, config)));
    checks.push(await checkErp(config));
  } finally {
    await client.credential.close();
    await redis.quit().catch(() => redis.disconnect());
  }

  printTable(checks);
  return checks.some((check) => check.result === 'fail') ? EXIT_FAILURE : EXIT_OK;
}

/** Registers `nymble-sync preflight`: checks everything a sync needs, without syncing. */
export function registerPreflight(program: Command): void {
  program
    .command('preflight')
    .description(
      'Check configuration, Redis, the credential, its role and scope, endpoint access and the ERP; exit 1 if a sync would be blocked',
    )
    .action(() => runCommand(runPreflight));
}
