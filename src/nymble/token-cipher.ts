/**
 * Encryption of the login token that worker processes share through Redis. Redis never contains
 * the token in plain text: only an AES-256-GCM ciphertext under a key derived from the
 * ClientSecret, and an HMAC of the token as its id.
 */
import {
  createCipheriv,
  createDecipheriv,
  createHmac,
  randomBytes,
  scrypt,
  timingSafeEqual,
} from 'node:crypto';

import { z } from 'zod';

/** The fields of a cached token that the shared value carries. */
export interface SharedTokenEntry {
  id: string;
  token: string;
  issuedAtMs: number;
  expiresAtMs: number;
}

/**
 * Fixed scrypt salt prefix: it names the purpose, so that the derived key is used for nothing
 * else. OrgCode and ClientId follow it, so that two clients never share a key.
 */
const KDF_SALT_PREFIX = 'nymble-sync/shared-login-token/aes-256-gcm+hmac-sha256/v1';

const SHARED_FORMAT_VERSION = 1;

/** The Redis value at `keys.authToken`. Only `ciphertext` depends on the token's text. */
const sharedTokenSchema = z.object({
  v: z.literal(SHARED_FORMAT_VERSION),
  id: z.string(),
  issuedAtMs: z.number(),
  expiresAtMs: z.number(),
  iv: z.string(),
  tag: z.string(),
  ciphertext: z.string(),
});

export type SharedToken = z.infer<typeof sharedTokenSchema>;

/**
 * Encrypts tokens for Redis and computes their ids. Both keys come from one scrypt derivation
 * (N=16384, r=8, p=1, Node's defaults), made once per process on first use. scrypt rather than
 * HKDF, because a ClientSecret may be short enough to guess, and anyone who can read Redis could
 * test guesses against the ciphertext.
 */
export class TokenCipher {
  readonly #secret: string;
  readonly #salt: string;
  #keys?: Promise<{ encryption: Buffer; identity: Buffer }>;

  constructor(secret: string, orgCode: string, clientId: string) {
    this.#secret = secret;
    this.#salt = `${KDF_SALT_PREFIX}\0${orgCode}\0${clientId}`;
  }

  /** Returns the HMAC-SHA256 of the token, base64url: an id that does not reveal the token. */
  async tokenId(token: string): Promise<string> {
    const { identity } = await this.#derive();
    return createHmac('sha256', identity).update(token).digest('base64url');
  }

  async encrypt(entry: SharedTokenEntry): Promise<string> {
    const { encryption } = await this.#derive();
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', encryption, iv);
    cipher.setAAD(associatedData(entry.id, entry.issuedAtMs, entry.expiresAtMs));

    const ciphertext = Buffer.concat([cipher.update(entry.token, 'utf8'), cipher.final()]);
    const shared: SharedToken = {
      v: SHARED_FORMAT_VERSION,
      id: entry.id,
      issuedAtMs: entry.issuedAtMs,
      expiresAtMs: entry.expiresAtMs,
      iv: iv.toString('base64url'),
      tag: cipher.getAuthTag().toString('base64url'),
      ciphertext: ciphertext.toString('base64url'),
    };
    return JSON.stringify(shared);
  }

  /** Decrypts a Redis value. Throws when it is malformed, altered or under another secret. */
  async decrypt(value: string): Promise<{ token: string; shared: SharedToken }> {
    const shared = sharedTokenSchema.parse(JSON.parse(value));
    const { encryption } = await this.#derive();
    const iv = Buffer.from(shared.iv, 'base64url');
    const decipher = createDecipheriv('aes-256-gcm', encryption, iv);
    decipher.setAAD(associatedData(shared.id, shared.issuedAtMs, shared.expiresAtMs));
    decipher.setAuthTag(Buffer.from(shared.tag, 'base64url'));

    const ciphertext = Buffer.from(shared.ciphertext, 'base64url');
    const token = Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString('utf8');
    if (!sameText(await this.tokenId(token), shared.id)) {
      throw new Error('decrypted token does not match its id');
    }
    return { token, shared };
  }

  #derive(): Promise<{ encryption: Buffer; identity: Buffer }> {
    this.#keys ??= new Promise((resolve, reject) => {
      scrypt(this.#secret, this.#salt, 64, (error, key) => {
        if (error) reject(error);
        else resolve({ encryption: key.subarray(0, 32), identity: key.subarray(32) });
      });
    });
    return this.#keys;
  }
}

// Binds the plain-text fields to the ciphertext, so that an edited expiry fails to decrypt.
function associatedData(id: string, issuedAtMs: number, expiresAtMs: number): Buffer {
  return Buffer.from(`${SHARED_FORMAT_VERSION}|${id}|${issuedAtMs}|${expiresAtMs}`);
}

export function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
