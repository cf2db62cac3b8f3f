/**
 * The logger: pino, JSON lines on stdout. Messages are constant and the data goes in fields,
 * so that `log.info({ entity, jobId }, 'sync started')` can be searched and counted.
 * Errors go under `err`. Secrets are redacted by path here and, as a second line of defence,
 * by value in `src/secrets.ts` before anything is written to Redis or a dead letter.
 */
import { pino, type Logger } from 'pino';

import type { LogLevel } from './config.js';
import { scrubSecrets } from './secrets.js';

export type { Logger } from 'pino';

/** Paths whose values pino replaces with "[redacted]" wherever they appear in a log object. */
export const REDACTED_PATHS = [
  'apiKey',
  'token',
  'accessToken',
  'AccessToken',
  'clientSecret',
  'ClientSecret',
  'password',
  'authorization',
  'headers["x-api-key"]',
  '*.apiKey',
  '*.token',
  '*.accessToken',
  '*.AccessToken',
  '*.clientSecret',
  '*.ClientSecret',
  '*.password',
  '*.authorization',
  '*.headers["x-api-key"]',
  '*.headers.authorization',
];

export interface LoggerOptions {
  level: LogLevel;
  /** Destination of the lines; defaults to stdout. Tests pass a stream to read the lines back. */
  destination?: NodeJS.WritableStream;
}

export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      level: options.level,
      base: { service: 'nymble-sync', pid: process.pid },
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      hooks: { streamWrite: scrubSecrets },
    },
    options.destination ?? pino.destination({ sync: false }),
  );
}

/**
 * Returns an error handler that logs the first error at once, then at most one line per
 * `intervalMs` with the number of errors in between. A Redis outage repeats the same error on
 * every reconnect attempt, and this leaves a few lines of it rather than thousands.
 */
export function throttledErrorLog(
  log: Logger,
  message: string,
  fields: Record<string, unknown> = {},
  intervalMs = 30_000,
): (error: unknown) => void {
  let lastLoggedMs = 0;
  let suppressed = 0;
  return (error) => {
    const now = Date.now();
    if (now - lastLoggedMs < intervalMs) {
      suppressed += 1;
      return;
    }
    log.error({ ...fields, err: error, suppressed }, message);
    lastLoggedMs = now;
    suppressed = 0;
  };
}
