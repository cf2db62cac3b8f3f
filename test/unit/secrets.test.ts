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

  it('removes a secret escaped twice, encoded or in base64', () => {
    const secret = 'Sup3r"Secret\\Value/+=';
    registerSecret(secret);
    const echoed = JSON.stringify({ ClientSecret: secret });
    const twice = JSON.stringify({ failedReason: `bad body ${echoed}` });

    expect(scrubSecrets(twice)).not.toContain('Sup3r');
    expect(scrubSecrets(JSON.stringify({ log: twice }))).not.toContain('Sup3r');
    expect(scrubSecrets(`q=${encodeURIComponent(secret)}`)).toBe('q=[redacted]');
    expect(scrubSecrets(Buffer.from(secret).toString('base64'))).toBe('[redacted]');
    expect(scrubSecrets(Buffer.from(secret).toString('base64url'))).toBe('[redacted]');
    forgetSecret(secret);
    expect(scrubSecrets(secret)).toBe(secret);
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
