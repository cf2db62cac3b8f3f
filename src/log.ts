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
  /** Where lines go; defaults to stdout. Tests pass a stream to read the lines back. */
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
