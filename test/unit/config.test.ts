import { describe, expect, it } from 'vitest';

import { loadConfig, withoutUserInfo } from '../../src/config.js';
import { ConfigError } from '../../src/errors.js';
import { forgetSecret, scrubSecrets } from '../../src/secrets.js';

const valid = { NYMBLE_BASE_URL: 'http://127.0.0.1:4000', NYMBLE_API_KEY: 'nk_test_1234567890' };

function problemsOf(env: Record<string, string>): readonly string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('loadConfig accepted an invalid environment');
}

describe('loadConfig', () => {
  it('applies defaults', () => {
    const config = loadConfig(valid);
    expect(config.redisUrl).toBe('redis://127.0.0.1:6379');
    expect(config.nymble.auth).toEqual({ method: 'api-key', apiKey: 'nk_test_1234567890' });
    expect(config.sync.entities).toEqual(['products', 'orders']);
    expect(config.sync.schedules.products).toEqual({ kind: 'interval', everyMs: 300_000 });
    expect(config.sync.schedules.orders).toEqual({ kind: 'interval', everyMs: 60_000 });
    expect(config.nymble.maxResponseBytes).toBe(64 * 1024 * 1024);
    expect(config.http.host).toBe('127.0.0.1');
    expect(config.nymble.loginsPerMinute).toBe(10);
  });

  it('returns a frozen object', () => {
    const config = loadConfig(valid);
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.nymble.auth)).toBe(true);
  });

  it('reads a cron schedule with time zone', () => {
    const config = loadConfig({
      ...valid,
      SYNC_ORDERS_CRON: '*/5 * * * *',
      SYNC_TIMEZONE: 'Europe/Berlin',
    });
    expect(config.sync.schedules.orders).toEqual({
      kind: 'cron',
      pattern: '*/5 * * * *',
      timezone: 'Europe/Berlin',
    });
  });

  it('reads credential login', () => {
    const config = loadConfig({
      NYMBLE_BASE_URL: valid.NYMBLE_BASE_URL,
      NYMBLE_ORG_CODE: 'org_1',
      NYMBLE_CLIENT_ID: 'client',
      NYMBLE_CLIENT_SECRET: 'secret-value',
    });
    expect(config.nymble.auth.method).toBe('login');
  });

  it('lists every problem at once', () => {
    const problems = problemsOf({
      NYMBLE_BASE_URL: 'ftp://nowhere',
      NYMBLE_PAGE_SIZE: 'lots',
      NYMBLE_MAX_RESPONSE_BYTES: '1024',
      SYNC_PRODUCTS_CRON: 'not a cron',
      SYNC_ENTITIES: 'products,invoices',
      LOG_LEVEL: 'loud',
      SYNC_TIMEZONE: 'Mars/Olympus',
    });
    const joined = problems.join('\n');
    expect(joined).toContain('NYMBLE_BASE_URL="ftp://nowhere"');
    expect(joined).toContain('NYMBLE_PAGE_SIZE="lots"');
    expect(joined).toContain(
      'NYMBLE_MAX_RESPONSE_BYTES="1024" is invalid: use a whole number from 65536 to 1073741824',
    );
    expect(joined).toContain('SYNC_PRODUCTS_CRON="not a cron"');
    expect(joined).toContain('SYNC_ENTITIES="products,invoices"');
    expect(joined).toContain('LOG_LEVEL="loud"');
    expect(joined).toContain('SYNC_TIMEZONE="Mars/Olympus"');
    expect(joined).toContain('NYMBLE_API_KEY is missing');
    expect(problems).toHaveLength(8);
  });

  it('rejects hex and exponent numbers', () => {
    const problems = problemsOf({ ...valid, NYMBLE_PAGE_SIZE: '0x10', HTTP_PORT: '1e3' });

    expect(problems).toContain(
      'NYMBLE_PAGE_SIZE="0x10" is invalid: use a whole number from 1 to 500',
    );
    expect(problems.join('\n')).toContain('HTTP_PORT="1e3" is invalid');
    expect(loadConfig({ ...valid, NYMBLE_PAGE_SIZE: ' 25 ' }).nymble.pageSize).toBe(25);
  });

  it('rejects both auth methods together', () => {
    const problems = problemsOf({ ...valid, NYMBLE_CLIENT_ID: 'client' });
    expect(problems.join('\n')).toContain('NYMBLE_API_KEY and the login credentials are both set');
  });

  it('rejects partial login credentials', () => {
    const problems = problemsOf({
      NYMBLE_BASE_URL: valid.NYMBLE_BASE_URL,
      NYMBLE_CLIENT_ID: 'client',
    });
    expect(problems.join('\n')).toContain('NYMBLE_ORG_CODE, NYMBLE_CLIENT_SECRET missing');
  });

  it('rejects cron and interval together', () => {
    const problems = problemsOf({
      ...valid,
      SYNC_ORDERS_CRON: '* * * * *',
      SYNC_ORDERS_INTERVAL_SECONDS: '60',
    });
    expect(problems.join('\n')).toContain(
      'SYNC_ORDERS_CRON and SYNC_ORDERS_INTERVAL_SECONDS are both set',
    );
  });

  it('rejects a public HTTP_HOST without credentials', () => {
    const problems = problemsOf({ ...valid, HTTP_HOST: '0.0.0.0' });
    const joined = problems.join('\n');
    expect(joined).toContain('HTTP_HOST="0.0.0.0" is not a loopback address');
    expect(joined).toContain('set DASHBOARD_USERNAME and DASHBOARD_PASSWORD');
    expect(problems).toHaveLength(1);
  });

  it('accepts a public HTTP_HOST with credentials', () => {
    const config = loadConfig({
      ...valid,
      HTTP_HOST: '0.0.0.0',
      DASHBOARD_USERNAME: 'operator',
      DASHBOARD_PASSWORD: 'correct horse battery staple',
    });
    expect(config.http.host).toBe('0.0.0.0');
    expect(config.http.dashboardUsername).toBe('operator');
  });

  it('accepts loopback hosts without credentials', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', '::1', 'localhost']) {
      expect(loadConfig({ ...valid, HTTP_HOST: host }).http.host).toBe(host);
    }
  });

  it('never echoes a secret value', () => {
    const problems = problemsOf({ ...valid, NYMBLE_CLIENT_SECRET: 'super-secret-value' });
    expect(problems.join('\n')).not.toContain('super-secret-value');
    expect(problems.join('\n')).not.toContain('nk_test_1234567890');
  });

  it('lets queue-only commands skip Nymble settings', () => {
    const config = loadConfig({}, { nymble: 'optional' });

    expect(config.nymble.auth).toEqual({ method: 'none' });
    expect(config.nymble.baseUrl).toBe('');
  });

  it('still checks Nymble settings that are set', () => {
    const problems = (() => {
      try {
        loadConfig({ NYMBLE_BASE_URL: 'ftp://x' }, { nymble: 'optional' });
        return [];
      } catch (error) {
        return (error as ConfigError).problems;
      }
    })();

    expect(problems.join('\n')).toContain('NYMBLE_BASE_URL="ftp://x"');
    expect(problems.join('\n')).toContain('NYMBLE_API_KEY is missing');
  });

  it('rejects values the services cannot use', () => {
    const problems = problemsOf({
      ...valid,
      NYMBLE_API_KEY: 'key with spaces-1234',
      REDIS_URL: 'redis://:hunter2-password@127.0.0.1:6379/abc',
      DASHBOARD_USERNAME: 'ops:team',
      DASHBOARD_PASSWORD: 'password-1234',
    });
    const joined = problems.join('\n');

    expect(joined).toContain('NYMBLE_API_KEY contains spaces');
    expect(joined).toContain('names the database "abc"');
    expect(joined).toContain('DASHBOARD_USERNAME="ops:team" contains a colon');
    expect(joined).not.toContain('hunter2-password');
    expect(joined).not.toContain('key with spaces');
  });

  it('hides the password of an unparsable URL', () => {
    const problems = problemsOf({
      ...valid,
      REDIS_URL: 'redis://:hunter2-password@127.0.0.1:70000',
    });

    expect(problems.join('\n')).toContain(
      'REDIS_URL="redis://[redacted]@127.0.0.1:70000" is not a valid URL',
    );
    expect(problems.join('\n')).not.toContain('hunter2-password');
  });

  it('hides passwords containing slashes and at signs', () => {
    for (const url of [
      'redis://:S3CRET/pw@127.0.0.1:6379/abc',
      'redis://u:S3C@RETpw@127.0.0.1:70000',
      'u:S3CRETpw@127.0.0.1:6379',
    ]) {
      const joined = problemsOf({ ...valid, REDIS_URL: url }).join('\n');

      expect(joined).toContain('REDIS_URL=');
      expect(joined).not.toContain('S3C');
    }
  });

  it('hides a password in the query', () => {
    const url = 'redis://127.0.0.1:6379/99?password=hunter2-query';
    const joined = problemsOf({ ...valid, REDIS_URL: url }).join('\n');

    expect(joined).toContain('REDIS_URL="redis://127.0.0.1:6379/99?password=[redacted]"');
    expect(joined).not.toContain('hunter2-query');
    expect(withoutUserInfo('redis://h:6379/0?db=1&password=p4ss-word')).toBe(
      'redis://h:6379/0?db=1&password=[redacted]',
    );
  });

  it('registers its secrets for scrubbing', () => {
    loadConfig({
      ...valid,
      NYMBLE_API_KEY: 'nk_config_scrub_0001',
      REDIS_URL: 'redis://:redis-pw-0001@127.0.0.1:6379/0?password=query-pw-0001',
      DASHBOARD_USERNAME: 'ops',
      DASHBOARD_PASSWORD: 'dash-pw-0001',
    });

    for (const secret of [
      'nk_config_scrub_0001',
      'redis-pw-0001',
      'query-pw-0001',
      'dash-pw-0001',
    ]) {
      expect(scrubSecrets(`failed with ${secret}`)).toBe('failed with [redacted]');
      forgetSecret(secret);
    }
  });

  it('rejects a database beyond 15', () => {
    expect(problemsOf({ ...valid, REDIS_URL: 'redis://127.0.0.1:6379/16' }).join('\n')).toContain(
      'names the database "16"',
    );
    expect(loadConfig({ ...valid, REDIS_URL: 'redis://127.0.0.1:6379/15' }).redisUrl).toContain(
      '/15',
    );
  });
});
