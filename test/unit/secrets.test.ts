import { describe, expect, it } from 'vitest';

import { forgetSecret, registerSecret, scrubSecrets } from '../../src/secrets.js';

describe('scrubSecrets', () => {
  it('removes a secret as is and JSON-escaped', () => {
    const secret = 'nk_live_"quoted"\\slash_0123';
    registerSecret(secret);

    expect(scrubSecrets(`key ${secret} rejected`)).toBe('key [redacted] rejected');
    expect(scrubSecrets(JSON.stringify({ message: `key ${secret}` }))).toBe(
      '{"message":"key [redacted]"}',
    );
    forgetSecret(secret);
  });

  it('removes short secrets too', () => {
    registerSecret('k3y9');

    expect(scrubSecrets('sent k3y9 twice: k3y9')).toBe('sent [redacted] twice: [redacted]');
    forgetSecret('k3y9');
  });

  it('keeps text once a secret is forgotten', () => {
    registerSecret('forget-me-1234');
    forgetSecret('forget-me-1234');

    expect(scrubSecrets('forget-me-1234')).toBe('forget-me-1234');
  });
});
