#!/usr/bin/env node
/**
 * The `nymble-sync` command. Each subcommand lives in src/cli/commands/ and stays thin over the
 * layers below it; `nymble-sync <command> --help` documents each one.
 */
import { Command } from 'commander';

import { registerDashboard } from './commands/dashboard.js';
import { registerDemo } from './commands/demo.js';
import { registerDlq } from './commands/dlq.js';
import { registerPreflight } from './commands/preflight.js';
import { registerSchedules } from './commands/schedules.js';
import { registerSimulator } from './commands/simulator.js';
import { registerStatus } from './commands/status.js';
import { registerSync } from './commands/sync.js';
import { registerWorker } from './commands/worker.js';
import { EXIT_USAGE } from './exit.js';

const program = new Command('nymble-sync')
  .description(
    'Keeps an ERP in step with Nymble Commerce: scheduled product and order sync on BullMQ',
  )
  .version('0.1.0')
  .showHelpAfterError()
  .exitOverride((error) => {
    // Usage errors exit with 2 like configuration errors; --help and --version exit with 0.
    process.exit(error.exitCode === 0 ? 0 : EXIT_USAGE);
  });

registerWorker(program);
registerDemo(program);
registerSimulator(program);
registerDlq(program);
registerStatus(program);
registerSync(program);
registerSchedules(program);
registerDashboard(program);
registerPreflight(program);

await program.parseAsync(process.argv);
