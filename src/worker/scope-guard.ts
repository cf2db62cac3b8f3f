/**
 * Refuses an organization-wide sync under a Customer or SalesRep login: such a token can read only
 * its own or its assigned customers' orders, and tier prices, so the ERP would silently miss
 * data. NYMBLE_ALLOW_SCOPED_SYNC=true accepts that on purpose. API keys are organization-wide.
 */
import { ScopeNotAllowedError } from '../errors.js';
import type { CredentialProvider } from '../nymble/credentials.js';

export const ORGANIZATION_ROLES = new Set(['Admin']);

export function scopeGuard(
  credential: CredentialProvider,
  allowScopedSync: boolean,
): () => Promise<void> {
  return async () => {
    if (credential.method !== 'login' || allowScopedSync) return;

    const { claims } = await credential.current();
    const role = claims?.role ?? 'unknown';
    if (!ORGANIZATION_ROLES.has(role)) throw new ScopeNotAllowedError(role);
  };
}
