import type { Command } from 'commander';

import { ENTITIES } from '../../../jobs/index.js';
import {
  closeOrphanedBreakers,
  replayDeadLetter,
  type ReplayResult,
} from '../../../jobs/replay.js';
import { DEAD_LETTER_REASONS } from '../../decisions.js';
import { ENTITY_NAMES, type EntityName } from '../../erp/adapter.js';
import { loadErpAdapter } from '../../erp/load-adapter.js';
import { CliArgumentError } from '../../errors.js';
import { createLogger } from '../../log.js';
import { createMetrics } from '../../metrics.js';
import { createNymbleClient } from '../../nymble/create-client.js';
import type { StoredDeadLetter } from '../../queue/dead-letters.js';
import { stateKeys } from '../../queue/names.js';
import { openContext, type CommandContext } from '../context.js';
import { runCommand } from '../exit.js';
import { countOf } from '../table.js';

interface FilterOptions {
  entity?: string;
  reason?: string;
}

function checkFilter(options: FilterOptions): { entity?: EntityName; reason?: string } {
  if (options.entity && !(ENTITY_NAMES as readonly string[]).includes(options.entity)) {
    throw new CliArgumentError(
      `--entity ${JSON.stringify(options.entity)} is invalid: use ${ENTITY_NAMES.join(' or ')}`,
    );
  }
  if (options.reason && !(DEAD_LETTER_REASONS as readonly string[]).includes(options.reason)) {
    throw new CliArgumentError(
      `--reason ${JSON.stringify(options.reason)} is invalid: use one of ${DEAD_LETTER_REASONS.join(', ')}`,
    );
  }
  return { entity: options.entity as EntityName | undefined, reason: options.reason };
}

async function withContext(body: (context: CommandContext) => Promise<number>): Promise<number> {
  const context = await openContext();
  try {
    return await body(context);
  } finally {
    await context.close();
  }
}

const say = (line: string) => process.stdout.write(`${line}\n`);

function formatRow(letter: StoredDeadLetter): string {
  const status = letter.status === undefined ? '-' : String(letter.status);
  const subject = letter.record ? `record ${letter.record.id}` : (letter.endpoint ?? '-');
  return [
    letter.id.padEnd(34),
    letter.reason.padEnd(22),
    status.padEnd(6),
    String(letter.attempts).padEnd(8),
    letter.lastFailedAt.padEnd(26),
    subject,
  ].join(' ');
}

async function listCommand(options: FilterOptions & { json?: boolean }): Promise<number> {
  const filter = checkFilter(options);
  return withContext(async ({ deadLetters }) => {
    const letters = await deadLetters.list(filter);
    if (options.json) {
      say(JSON.stringify(letters, null, 2));
      return 0;
    }
    if (letters.length === 0) {
      say('No dead letters.');
      return 0;
    }
    say(
      [
        'ID'.padEnd(34),
        'REASON'.padEnd(22),
        'STATUS',
        'ATTEMPTS',
        'LAST FAILURE'.padEnd(26),
        'SUBJECT',
      ].join(' '),
    );
    for (const letter of letters) say(formatRow(letter));
    return 0;
  });
}

async function showCommand(id: string): Promise<number> {
  return withContext(async ({ deadLetters }) => {
    const letter = await deadLetters.get(id);
    if (!letter)
      throw new CliArgumentError(
        `Dead letter ${JSON.stringify(id)} was not found: run "nymble-sync dlq list" for the ids`,
      );
    say(JSON.stringify(letter, null, 2));
    return 0;
  });
}

async function selectForReplay(
  context: CommandContext,
  id: string | undefined,
  options: FilterOptions & { all?: boolean },
) {
  const filter = checkFilter(options);
  if (id) {
    const letter = await context.deadLetters.get(id);
    if (!letter)
      throw new CliArgumentError(
        `Dead letter ${JSON.stringify(id)} was not found: run "nymble-sync dlq list" for the ids`,
      );
    return [letter];
  }
  if (!options.all && !filter.reason) {
    throw new CliArgumentError('Name what to replay: a dead letter ID, --all, or --reason REASON');
  }
  return context.deadLetters.list(filter);
}

function describeReplay(result: ReplayResult): string {
  if (result.action === 'resumed' && result.unpaused.length > 0)
    return `${result.id}: resumed ${result.unpaused.join(', ')} (sync job ${result.jobIds.join(', ')})`;
  if (result.action === 'resumed')
    return `${result.id}: started a sync of ${result.entities.join(', ')} (job ${result.jobIds.join(', ')})`;
  if (result.action === 'written')
    return `${result.id}: current version fetched and written (${result.outcome})`;
  if (result.action === 'gone') return `${result.id}: record no longer exists in Nymble; removed`;
  return `${result.id}: ERP rejected the current version again (${result.reason}); kept`;
}

async function replayCommand(
  id: string | undefined,
  options: FilterOptions & { all?: boolean },
): Promise<number> {
  return withContext(async (context) => {
    const letters = await selectForReplay(context, id, options);
    if (letters.length === 0) {
      say('No dead letters match.');
      return 0;
    }

    const log = createLogger({ level: context.config.logLevel, destination: process.stderr });
    const needsNymble = letters.some((letter) => letter.kind === 'record');
    const nymble = needsNymble
      ? await createNymbleClient(
          context.config,
          context.redis,
          stateKeys(context.config.queuePrefix),
          log,
          createMetrics(),
        )
      : undefined;
    const erp = needsNymble ? await loadErpAdapter(context.config.erp) : undefined;
    const deps = { entities: ENTITIES, ...context, log, client: nymble?.client, erp };

    let failures = 0;
    try {
      for (const letter of letters) {
        const result = await replayDeadLetter(letter, deps).catch((error: unknown) => {
          failures += 1;
          say(
            `${letter.id}: replay failed: ${error instanceof Error ? error.message : String(error)}`,
          );
          return undefined;
        });
        if (result) say(describeReplay(result));
        if (result?.action === 'still-rejected') failures += 1;
      }
    } finally {
      await nymble?.client.credential.close();
      await erp?.close();
    }
    return failures === 0 ? 0 : 1;
  });
}

async function purgeCommand(options: FilterOptions & { yes?: boolean }): Promise<number> {
  const filter = checkFilter(options);
  if (!options.yes) {
    throw new CliArgumentError('dlq purge deletes dead letters for good: add --yes to confirm');
  }
  return withContext(async (context) => {
    const letters = await context.deadLetters.list(filter);
    let removed = 0;
    for (const letter of letters) if (await context.deadLetters.remove(letter.id)) removed += 1;
    say(`Removed ${countOf(removed, 'dead letter')}.`);
    if (removed < letters.length) {
      say(
        `${letters.length - removed} could not be removed; they were replayed or removed meanwhile.`,
      );
    }

    const resumed = await closeOrphanedBreakers(context);
    if (resumed.length > 0) {
      say(`Resumed ${resumed.join(', ')}: no dead letter explains the pause any more.`);
    }
    return 0;
  });
}

/** Registers `nymble-sync dlq`: list, show, replay and purge dead letters. */
export function registerDlq(program: Command): void {
  const dlq = program.command('dlq').description('Inspect, replay and purge dead letters');
  const filters = (command: Command) =>
    command
      .option('--entity <entity>', `only this entity (${ENTITY_NAMES.join(', ')})`)
      .option('--reason <reason>', 'only this reason, such as unauthorized or erp_rejected');

  filters(dlq.command('list').description('List dead letters, oldest first'))
    .option('--json', 'print JSON instead of a table')
    .action((options) => runCommand(() => listCommand(options)));

  dlq
    .command('show')
    .description('Print one dead letter in full')
    .argument('<id>', 'dead letter ID as "dlq list" prints it, such as products/sync.unauthorized')
    .action((id: string) => runCommand(() => showCommand(id)));

  filters(
    dlq
      .command('replay')
      .description('Replay dead letters: resume a paused sync, or re-fetch and re-send a record'),
  )
    .argument('[id]', 'dead letter ID to replay')
    .option('--all', 'replay every dead letter that matches the filters')
    .action((id: string | undefined, options) => runCommand(() => replayCommand(id, options)));

  filters(
    dlq
      .command('purge')
      .description('Delete dead letters without replaying them; a schedule they paused resumes'),
  )
    .option('--yes', 'confirm the deletion')
    .action((options) => runCommand(() => purgeCommand(options)));
}
