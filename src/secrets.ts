/**
 * A process-wide list of secret values (API key, ClientSecret, tokens) and a scrubber that
 * replaces them in text. Log lines, dead letters and error messages pass through it, so a
 * secret that reaches a message by accident (an echoing proxy, a wrapped error) is still
 * removed. Redaction by field name in src/log.ts is the first line of defence; this is the second.
 */
const secrets = new Set<string>();

/**
 * Secrets shorter than this are not scrubbed by value, because they would match ordinary text.
 * NOTE: a shorter secret is therefore protected only by redaction by field name.
 */
const MIN_SECRET_LENGTH = 4;

/**
 * Registers a secret in the forms it takes in text: as is, and escaped inside a JSON string,
 * because log lines and dead letters are scrubbed after JSON serialisation.
 */
export function registerSecret(value: string | undefined): void {
  if (!value || value.length < MIN_SECRET_LENGTH) return;
  secrets.add(value);
  secrets.add(JSON.stringify(value).slice(1, -1));
}

export function forgetSecret(value: string | undefined): void {
  if (!value) return;
  secrets.delete(value);
  secrets.delete(JSON.stringify(value).slice(1, -1));
}

export function scrubSecrets(text: string): string {
  let result = text;
  for (const secret of secrets) {
    if (result.includes(secret)) result = result.split(secret).join('[redacted]');
  }
  return result;
}
