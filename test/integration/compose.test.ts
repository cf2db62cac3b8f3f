import { spawnSync } from 'node:child_process';

import { describe, expect, it } from 'vitest';

import { ROOT } from '../helpers/harness.js';

/** Environment that the Compose file requires, on top of PATH for docker-compose itself. */
const REQUIRED = { DASHBOARD_USERNAME: 'operator', DASHBOARD_PASSWORD: 'compose-test-password' };

/**
 * Runs Debian's docker-compose (1.29), which validates and renders the file without a Docker
 * engine. .ci/run installs it.
 */
function compose(args: string[], env: Record<string, string | undefined>) {
  const result = spawnSync('docker-compose', ['-f', 'docker-compose.yml', ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    encoding: 'utf8',
  });
  if (result.error) {
    throw new Error(
      `docker-compose could not run (${result.error.message}): apt-get install docker-compose`,
    );
  }
  return result;
}

/** Returns the block of `name` under the top-level `services:` of rendered Compose YAML. */
function serviceBlock(yaml: string, name: string): string {
  const services = yaml.split(/^services:$/m)[1] ?? '';
  const start = services.search(new RegExp(`^  ${name}:$`, 'm'));
  if (start < 0) return '';
  const rest = services.slice(start + 1);
  const end = rest.search(/^ {2}\S|^\S/m);
  return end < 0 ? services.slice(start) : services.slice(start, start + 1 + end);
}

describe('docker-compose.yml', () => {
  it('validates with the required variables', () => {
    const result = compose(['config', '-q'], REQUIRED);

    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it('defines the four services', () => {
    const { stdout, status } = compose(['config'], REQUIRED);
    expect(status).toBe(0);

    for (const service of ['redis', 'simulator', 'worker', 'dashboard']) {
      expect(serviceBlock(stdout, service), service).not.toBe('');
    }
  });

  it('runs redis with AOF and noeviction', () => {
    const redis = serviceBlock(compose(['config'], REQUIRED).stdout, 'redis');

    expect(redis).toMatch(/- --appendonly\n\s+- "?yes"?\n/);
    expect(redis).toMatch(/- --maxmemory-policy\n\s+- noeviction\n/);
    expect(redis).toContain('image: redis:7');
    expect(redis).toContain('redis-data:/data');
  });

  it('guards the dashboard with credentials', () => {
    const dashboard = serviceBlock(compose(['config'], REQUIRED).stdout, 'dashboard');

    expect(dashboard).toContain('HTTP_HOST: 0.0.0.0');
    expect(dashboard).toContain('DASHBOARD_USERNAME: operator');
    expect(dashboard).toContain('DASHBOARD_PASSWORD: compose-test-password');
    expect(dashboard).toMatch(/- dist\/src\/cli\/main\.js\n\s+- dashboard\n/);
    expect(dashboard).not.toContain('redis-server');
  });

  it('rejects a missing dashboard password', () => {
    const result = compose(['config', '-q'], { DASHBOARD_USERNAME: 'operator' });

    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('set DASHBOARD_PASSWORD');
  });

  it('runs the worker scalable and checked', () => {
    const worker = serviceBlock(compose(['config'], REQUIRED).stdout, 'worker');

    expect(worker).not.toContain('container_name');
    expect(worker).not.toContain('ports:');
    expect(worker).toMatch(/redis:\n\s+condition: service_healthy/);
    expect(worker).toContain('replicas: 1');
    expect(worker).toContain('/readyz');
    expect(worker).not.toContain('redis-data');
  });
});
