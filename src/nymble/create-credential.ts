import type { Redis } from 'ioredis';

import type { Config } from '../config.js';
import { ConfigError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import type { StateKeys } from '../queue/names.js';
import { registerSecret } from '../secrets.js';
import { ApiKeyCredential, type CredentialProvider } from './credentials.js';

/**
 * Builds the one credential provider that every queue and worker of this process shares.
 * The login code is loaded only when credential login is configured.
 */
export async function createCredential(
  config: Config,
  redis: Redis,
  keys: StateKeys,
  log: Logger,
  metrics: Metrics,
): Promise<CredentialProvider> {
  const auth = config.nymble.auth;
  if (auth.method === 'none') {
    throw new ConfigError([
      'NYMBLE_BASE_URL and a credential are missing, and this command calls Nymble: set ' +
        'NYMBLE_BASE_URL and NYMBLE_API_KEY, or NYMBLE_ORG_CODE, NYMBLE_CLIENT_ID and NYMBLE_CLIENT_SECRET',
    ]);
  }
  if (auth.method === 'api-key') {
    registerSecret(auth.apiKey);
    return new ApiKeyCredential(auth.apiKey);
  }

  registerSecret(auth.clientSecret);
  const { LoginCredential } = await import('./login.js');
  return new LoginCredential({
    baseUrl: config.nymble.baseUrl,
    orgCode: auth.orgCode,
    clientId: auth.clientId,
    clientSecret: auth.clientSecret,
    refreshSkewSeconds: config.nymble.tokenRefreshSkewSeconds,
    loginsPerMinute: config.nymble.loginsPerMinute,
    timeoutMs: config.nymble.requestTimeoutMs,
    redis,
    keys,
    log: log.child({ component: 'login' }),
    onLogin: (result) => metrics.logins.inc({ result }),
  });
}
