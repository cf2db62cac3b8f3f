import { invalidRequest } from './errors.js';
import { ROLES } from './options.js';
import type { Role } from './types.js';

/** Roles allowed on each route before any `denyRole` or `allowRole`. */
const DEFAULT_ROLE_TABLE: readonly { path: string; roles: readonly Role[] }[] = [
  { path: '/api/products', roles: ['Admin', 'Customer', 'SalesRep'] },
  { path: '/api/orders', roles: ['Admin', 'Customer', 'SalesRep'] },
  { path: '/api/customers', roles: ['Admin', 'SalesRep'] },
];

/**
 * The route permissions by role: the default table plus overrides. An override on a path
 * also covers the paths below it, and the longest matching override wins.
 */
export class RolePolicy {
  readonly #overrides = new Map<string, { role: Role; path: string; allow: boolean }>();

  isAllowed(role: Role, path: string): boolean {
    let best: { path: string; allow: boolean } | undefined;
    for (const override of this.#overrides.values()) {
      const longer = override.path.length > (best?.path.length ?? -1);
      if (override.role === role && covers(override.path, path) && longer) {
        best = override;
      }
    }
    if (best !== undefined) {
      return best.allow;
    }

    const entry = DEFAULT_ROLE_TABLE.find((row) => covers(row.path, path));
    return entry?.roles.includes(role) ?? false;
  }

  deny(role: string, path: string): void {
    this.#set(role, path, false);
  }

  allow(role: string, path: string): void {
    this.#set(role, path, true);
  }

  #set(role: string, path: string, allow: boolean): void {
    if (!ROLES.includes(role as Role)) {
      throw invalidRequest(`role must be Admin, Customer or SalesRep, got ${JSON.stringify(role)}`);
    }
    if (typeof path !== 'string' || !path.startsWith('/api/') || path.startsWith('/api/auth')) {
      throw invalidRequest(
        `path must be an /api/ route other than /api/auth/login, got ${JSON.stringify(path)}`,
      );
    }
    const normalized = path.length > 1 ? path.replace(/\/+$/, '') : path;
    this.#overrides.set(`${role} ${normalized}`, { role: role as Role, path: normalized, allow });
  }
}

/** Returns whether `prefix` is `path` itself or one of its parent paths. */
function covers(prefix: string, path: string): boolean {
  return path === prefix || path.startsWith(`${prefix}/`);
}
