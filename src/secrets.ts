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
 * JSON escaping levels registered per secret. A message that quotes a request body (an echoing
 * login error) contains the secret escaped once, and each serialisation into job data or a log
 * line escapes it again, so three levels cover a quoted body inside a dead letter inside a log.
 */
const JSON_ESCAPE_LEVELS = 3;

/**
 * Returns the forms a secret takes in text: as is, JSON-escaped up to three times,
 * URL-encoded, and the base64 and base64url encodings of the value alone.
 */
function formsOf(value: string): string[] {
  const forms = new Set([value]);
  let escaped = value;
  for (let level = 0; level < JSON_ESCAPE_LEVELS; level += 1) {
    escaped = JSON.stringify(escaped).slice(1, -1);
    forms.add(escaped);
  }
  forms.add(encodeURIComponent(value));
  forms.add(Buffer.from(value, 'utf8').toString('base64'));
  forms.add(Buffer.from(value, 'utf8').toString('base64url'));
  return [...forms];
}

/** Forms of every registered secret, longest first, so that no shorter form cuts into one. */
let sortedForms: string[] = [];

function sortForms(): void {
  sortedForms = [...secrets].sort((a, b) => b.length - a.length);
}

/** Registers a secret, in every form of `formsOf`, for `scrubSecrets` to replace. */
export function registerSecret(value: string | undefined): void {
  if (!value || value.length < MIN_SECRET_LENGTH) return;
  for (const form of formsOf(value)) secrets.add(form);
  sortForms();
}

export function forgetSecret(value: string | undefined): void {
  if (!value) return;
  for (const form of formsOf(value)) secrets.delete(form);
  sortForms();
}

/** Replaces every registered secret in `text` with `[redacted]`. */
export function scrubSecrets(text: string): string {
  let result = text;
  for (const secret of sortedForms) {
    if (result.includes(secret)) result = result.split(secret).join('[redacted]');
  }
  return result;
}
