import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';

import { runSimulator, type RunSimulatorOptions } from '../../simulator/main.js';
import { validatePlan } from '../../simulator/fault-plan.js';
import type { FaultPlan } from '../../simulator/index.js';
import { parseCount, runCommand } from '../exit.js';
import { stopSignal } from '../signals.js';

type SimulatorCommandOptions = RunSimulatorOptions & { faults?: FaultPlan[] };

function parseFaults(value: string): FaultPlan[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new InvalidArgumentError(
      '--faults takes a JSON fault plan, for example \'{"rateLimit":{"count":3,"retryAfter":"2"}}\'.',
    );
  }

  const plans = (Array.isArray(parsed) ? parsed : [parsed]) as FaultPlan[];
  // Checked here, so that a bad value is a usage error (exit 2) before the server starts.
  plans.forEach((plan, index) => {
    try {
      validatePlan(plan, Array.isArray(parsed) ? `[${index}].` : '');
    } catch (error) {
      const detail = error instanceof Error ? error.message : String(error);
      throw new InvalidArgumentError(`--faults is invalid: ${detail}; see docs/simulator.md.`);
    }
  });
  return plans;
}

/** Registers `nymble-sync simulator`: the Nymble Commerce simulator as a standalone server. */
export function registerSimulator(program: Command): void {
  program
    .command('simulator')
    .description('Run the Nymble Commerce simulator (a local model of the API) until interrupted')
    .option('--host <address>', 'interface to listen on', '127.0.0.1')
    .option('--port <port>', 'TCP port; 0 picks a free one', parseCount('--port', 65_535), 4000)
    .option(
      '--seed <number>',
      'seed of the generated data and credentials',
      parseCount('--seed'),
      1,
    )
    .option('--products <count>', 'products to seed', parseCount('--products'), 500)
    .option('--orders <count>', 'orders to seed', parseCount('--orders'), 500)
    .option(
      '--token-ttl-seconds <seconds>',
      'lifetime of login tokens (ExpiresIn)',
      parseCount('--token-ttl-seconds'),
      86_400,
    )
    .option(
      '--faults <json>',
      'fault plan active from the start (see docs/simulator.md)',
      parseFaults,
    )
    .action((options: SimulatorCommandOptions) =>
      runCommand(async () => {
        const simulator = await runSimulator(options, (line) => process.stdout.write(`${line}\n`));
        await stopSignal();
        await simulator.stop();
        return 0;
      }),
    );
}
