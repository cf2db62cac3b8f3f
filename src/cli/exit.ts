/**
 * Exit codes and error reporting of the CLI. Configuration and argument errors exit with 2
 * and print only the message, since a stack trace would not help anyone fix a variable.
 */
import { InvalidArgumentError } from 'commander';

import { CliArgumentError, ConfigError } from '../errors.js';
import { scrubSecrets } from '../secrets.js';

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;
/** A run stopped by SIGINT or SIGTERM before it could finish: 128 + 2, the shell's SIGINT code. */
export const EXIT_INTERRUPTED = 130;

/** Prints an error the way a user needs it and returns the exit code for it. */
export function reportError(error: unknown): number {
  if (error instanceof ConfigError || error instanceof CliArgumentError) {
    process.stderr.write(`${scrubSecrets(error.message)}\n`);
    return EXIT_USAGE;
  }
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`Error: ${scrubSecrets(message)}\n`);
  return EXIT_FAILURE;
}

/** Runs a command body and exits with the code it returns, or the code for its error. */
export function runCommand(body: () => Promise<number | void>): Promise<void> {
  return body().then(
    (code) => {
      process.exitCode = code ?? EXIT_OK;
    },
    (error: unknown) => {
      process.exitCode = reportError(error);
    },
  );
}

/** Parses a whole-number option; commander reports the option and the value when it is invalid. */
export function parseCount(option: string, max = 10_000_000, min = 0) {
  return (value: string): number => {
    const parsed = Number(value);
    if (!Number.isInteger(parsed) || parsed < min || parsed > max) {
      throw new InvalidArgumentError(`${option} takes a whole number from ${min} to ${max}.`);
    }
    return parsed;
  };
}
