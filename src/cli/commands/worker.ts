import type { Command } from 'commander';

import { loadConfig } from '../../config.js';
import { createLogger } from '../../log.js';
import { startWorkerApp } from '../../worker/app.js';
import { runCommand } from '../exit.js';

/** Registers `nymble-sync worker`: the long-running sync worker. */
export function registerWorker(program: Command): void {
  program
    .command('worker')
    .description(
      'Run the sync worker until SIGTERM or SIGINT (configuration from environment variables)',
    )
    .action(() =>
      runCommand(async () => {
        const config = loadConfig();
        const log = createLogger({ level: config.logLevel });
        keepRunningOnStrayRejections(log);

        const app = await startWorkerApp(config, log);
        await waitForSignal(log);
        await app.stop();
        // The stream flushes asynchronously; give it the chance before the process ends.
        await new Promise<void>((resolve) => log.flush(() => resolve()));
        return 0;
      }),
    );
}

function waitForSignal(log: ReturnType<typeof createLogger>): Promise<void> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      log.info({ signal }, 'shutdown requested');
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      resolve();
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}

/**
 * Logs a rejection that nothing handled instead of letting it end the process: a worker that
 * loses Redis for a moment must keep running and reconnect.
 */
function keepRunningOnStrayRejections(log: ReturnType<typeof createLogger>): void {
  process.on('unhandledRejection', (reason) => log.error({ err: reason }, 'unhandled rejection'));
}
