import { setTimeout as sleep } from 'node:timers/promises';

import type { Job } from 'bullmq';
import type { Command } from 'commander';

import type { SyncProgress, SyncReceipt } from '../../../jobs/sync-run.js';
import { ENTITY_NAMES, type EntityName } from '../../erp/adapter.js';
import { CliArgumentError } from '../../errors.js';
import type { SyncJobData } from '../../queue/queues.js';
import { openContext, type CommandContext } from '../context.js';
import { EXIT_FAILURE, EXIT_OK, parseCount, runCommand } from '../exit.js';
import { ProgressView } from '../progress.js';
import { countOf, formatDuration } from '../table.js';

interface SyncOptions {
  full?: boolean;
  wait?: boolean;
  timeoutSeconds?: number;
}

/** How often `--wait` reads the job's state and progress from Redis. */
const POLL_INTERVAL_MS = 500;

/** Job states in which the run has not started yet. */
const NOT_STARTED = new Set(['waiting', 'prioritized', 'delayed', 'waiting-children']);

/** Registers `nymble-sync sync`: a sync of one entity now, outside its schedule. */
export function registerSync(program: Command): void {
  program
    .command('sync')
    .description(
      'Start a sync of one entity now; joins a run that is waiting to start instead of adding a ' +
        'second one, and queues behind a run in progress',
    )
    .argument('<entity>', `entity to sync: ${ENTITY_NAMES.join(' or ')}`)
    .option('--full', 'ignore the watermark and walk every record')
    .option('--wait', 'follow the run, show its progress and print its receipt when it ends')
    .option(
      '--timeout-seconds <seconds>',
      'with --wait, stop waiting after this many seconds (the run goes on); default: no limit',
      parseCount('--timeout-seconds', 7 * 86_400),
    )
    .action((entity: string, options: SyncOptions) =>
      runCommand(() => requestSync(entity, options)),
    );
}

async function requestSync(entityArgument: string, options: SyncOptions): Promise<number> {
  const entity = parseEntity(entityArgument);
  if (options.timeoutSeconds !== undefined && !options.wait) {
    throw new CliArgumentError('--timeout-seconds applies only with --wait: add --wait');
  }

  const context = await openContext();
  try {
    const job = await startOrJoin(context, entity, options);
    if (!options.wait) return EXIT_OK;
    return await follow(context, entity, job.id ?? '', options.timeoutSeconds);
  } finally {
    await context.close();
  }
}

export function parseEntity(value: string): EntityName {
  if ((ENTITY_NAMES as readonly string[]).includes(value)) return value as EntityName;
  throw new CliArgumentError(
    `Invalid entity ${JSON.stringify(value)}: use one of ${ENTITY_NAMES.join(', ')}`,
  );
}

/** Requests the run and prints whether it started one or joined the one already there. */
async function startOrJoin(
  context: CommandContext,
  entity: EntityName,
  options: SyncOptions,
): Promise<Job<SyncJobData>> {
  // A --full request always adds a run, and an incremental one joins a run that is waiting to
  // start. A new run waits behind a run in progress, which may have read its last page already.
  const { job, created, behind } = await context.queues.requestSync(entity, {
    full: options.full,
    trigger: 'manual',
  });
  const kind = options.full ? 'full ' : '';
  if (created && behind) {
    say(`Queued a ${kind}sync of ${entity} (job ${job.id}) to start when job ${behind} ends.`);
    return job;
  }
  if (created) {
    say(`Started a ${kind}sync of ${entity} (job ${job.id}).`);
    return job;
  }

  const state = await job.getState();
  say(
    `A sync of ${entity} is already ${state} (job ${job.id}), so no second one was started` +
      `${options.wait ? '; following that one' : ''}.`,
  );
  return job;
}

/** Polls the job until it completes, fails or the timeout passes; returns the exit code. */
async function follow(
  context: CommandContext,
  entity: EntityName,
  jobId: string,
  timeoutSeconds: number | undefined,
): Promise<number> {
  const deadline = timeoutSeconds === undefined ? Infinity : Date.now() + timeoutSeconds * 1000;
  const view = new ProgressView(process.stdout);
  let lastState: string | undefined;

  for (;;) {
    const job = await context.queues.sync[entity].getJob(jobId);
    if (!job) return jobVanished(view, entity, jobId);

    const state = await job.getState();
    if (state !== lastState) await noteState(context, view, job, state);
    lastState = state;
    if (isProgress(job.progress)) view.update(entity, job.progress);

    if (state === 'completed') return completed(view, job.returnvalue as SyncReceipt);
    if (state === 'failed') return failed(context, view, job);
    if (Date.now() > deadline) return timedOut(view, job, state, timeoutSeconds ?? 0);
    await sleep(POLL_INTERVAL_MS);
  }
}

async function noteState(
  context: CommandContext,
  view: ProgressView,
  job: Job<SyncJobData>,
  state: string,
): Promise<void> {
  const entity = job.data.entity;
  if (state === 'active') view.note(`Job ${job.id} is running.`);
  if (!NOT_STARTED.has(state)) return;

  const retry = job.attemptsMade > 0 && job.failedReason ? ` after ${job.failedReason}` : '';
  view.note(`Job ${job.id} is ${state}${retry}.`);
  const breaker = await context.breaker.get(entity);
  if (breaker) {
    view.note(
      `The ${entity} queue is paused (${breaker.reason}): ${breaker.message} ` +
        'The run starts once the dead letter is replayed.',
    );
  }
  if ((await context.queues.sync[entity].getWorkersCount()) === 0) {
    view.note(`No worker is connected to this queue yet; start one with nymble-sync worker.`);
  }
}

function completed(view: ProgressView, receipt: SyncReceipt): number {
  view.done();
  say(formatReceipt(receipt));
  if (receipt.records.rejected > 0) {
    const rejected = receipt.records.rejected;
    const became = rejected === 1 ? 'became a dead letter' : 'became dead letters';
    say(
      `${countOf(rejected, 'record')} ${became}: run ` +
        `"nymble-sync dlq list --entity ${receipt.entity}" to see why.`,
    );
  }
  return EXIT_OK;
}

async function failed(
  context: CommandContext,
  view: ProgressView,
  job: Job<SyncJobData>,
): Promise<number> {
  view.done();
  process.stderr.write(
    `The sync of ${job.data.entity} (job ${job.id}) failed: ${job.failedReason}\n`,
  );

  const letters = await context.deadLetters.list({ entity: job.data.entity });
  const letter = letters.find((entry) => entry.originalJob?.id === job.id);
  if (letter) {
    process.stderr.write(
      `A dead letter was written (${letter.id}); nymble-sync dlq list shows it.\n`,
    );
  }
  return EXIT_FAILURE;
}

function timedOut(
  view: ProgressView,
  job: Job<SyncJobData>,
  state: string,
  timeoutSeconds: number,
): number {
  view.done();
  process.stderr.write(
    `Timed out after ${timeoutSeconds} s waiting for the sync of ${job.data.entity} ` +
      `(job ${job.id}, now ${state}). The run goes on; nymble-sync status shows how it ends.\n`,
  );
  return EXIT_FAILURE;
}

function jobVanished(view: ProgressView, entity: EntityName, jobId: string): number {
  view.done();
  process.stderr.write(
    `Job ${jobId} of ${entity} is no longer in Redis (removed or flushed); ` +
      'nymble-sync status shows the last run.\n',
  );
  return EXIT_FAILURE;
}

/** Formats a receipt as one line with every count it holds. */
export function formatReceipt(receipt: SyncReceipt): string {
  const { created, updated, unchanged, rejected } = receipt.records;
  return (
    `${receipt.entity} sync ${receipt.outcome}${receipt.full ? ' (full)' : ''} in ` +
    `${formatDuration(receipt.durationMs)}: ${countOf(receipt.pages, 'page')}; ${created} created, ` +
    `${updated} updated, ${unchanged} unchanged, ${rejected} rejected; ` +
    `${countOf(receipt.requests, 'request')}, ${countOf(receipt.retries, 'retry', 'retries')}, ` +
    `${formatDuration(receipt.rateLimitWaitMs)} rate-limit wait, ${countOf(receipt.logins, 'login')}`
  );
}

function isProgress(value: unknown): value is SyncProgress {
  return typeof value === 'object' && value !== null && 'pages' in value && 'records' in value;
}

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}
