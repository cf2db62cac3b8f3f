import type { Command } from 'commander';

import { loadConfig } from '../../config.js';
import { createLogger } from '../../log.js';
import { startWorkerApp } from '../../worker/app.js';
import { runCommand } from '../exit.js';
import { stopSignal } from '../signals.js';

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

        // Signals are handled from the start: while the worker still waits for Redis, nothing
        // runs yet, so a signal then ends the process at once and cleanly.
        const signalled = waitForSignal(log);
        const app = await Promise.race([startWorkerApp(config, log), signalled]);
        if (!app) {
          log.info('shutdown requested before the worker started, so nothing was running');
          await new Promise<void>((resolve) => log.flush(() => resolve()));
          process.exit(0);
        }
        await signalled;
        await app.stop();
        // The stream flushes asynchronously; give it the chance before the process ends.
        await new Promise<void>((resolve) => log.flush(() => resolve()));
        // A request still in flight after SHUTDOWN_TIMEOUT_MS would keep the event loop alive;
        // its page was not acknowledged, so ending the process here loses nothing.
        process.exit(0);
      }).then(() => {
        // A failed start was reported and cleaned up; exit even if a socket still lingers.
        process.exit();
      }),
    );
}

function waitForSignal(log: ReturnType<typeof createLogger>): Promise<void> {
  // A second signal during shutdown is logged, not fatal, so that the running page can still
  // be checkpointed.
  return stopSignal((signal) => log.warn({ signal }, 'shutdown already in progress')).then(
    (signal) => log.info({ signal }, 'shutdown requested'),
  );
}

/**
 * Logs a rejection that nothing handled instead of letting it end the process: a worker that
 * loses Redis for a moment must keep running and reconnect.
 */
function keepRunningOnStrayRejections(log: ReturnType<typeof createLogger>): void {
  process.on('unhandledRejection', (reason) => log.error({ err: reason }, 'unhandled rejection'));
}
