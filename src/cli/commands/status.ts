import type { Command } from 'commander';

import type { SyncReceipt } from '../../../jobs/sync-run.js';
import { ENTITY_NAMES, type EntityName } from '../../erp/adapter.js';
import { schedulerId } from '../../queue/names.js';
import type { BreakerState } from '../../queue/state.js';
import type { Watermark } from '../../watermark.js';
import { openContext, type CommandContext } from '../context.js';
import { runCommand } from '../exit.js';
import { formatDuration, formatRelative, formatTable } from '../table.js';
import { describeNextRun, describeSchedule, toEntry, type ScheduleEntry } from './schedules.js';

/**
 * The last run as src/worker/processor.ts stores it: the whole receipt after a success, and
 * the reason and message after a dead letter.
 */
export type LastRun = Partial<SyncReceipt> & {
  result: 'succeeded' | 'failed';
  reason?: string;
  message?: string;
};

/** The state of one entity, as `status --json` prints it. */
export interface EntityStatus {
  entity: EntityName;
  lastRun: LastRun | null;
  /** ISO 8601 time the last successful run finished. */
  lastSuccessAt: string | null;
  watermark: Watermark | null;
  /** ISO 8601 time of the next scheduled run, from the Job Scheduler. */
  nextRunAt: string | null;
  /** Entries waiting in the entity's dead-letter queue. */
  deadLetters: number;
  /** The breaker that pauses the entity's schedule, or null when it runs. */
  blocked: BreakerState | null;
  /** The Job Scheduler, or null when Redis has none for the entity. */
  schedule: Omit<ScheduleEntry, 'entity' | 'nextRunAt'> | null;
}

/** Registers `nymble-sync status`: what each entity's sync did last and does next. */
export function registerStatus(program: Command): void {
  program
    .command('status')
    .description(
      'Show per entity the last run, its records, the watermark, the next run, dead letters ' +
        'and whether the schedule is blocked',
    )
    .option('--json', 'print JSON instead of a table, for scripts')
    .action((options: { json?: boolean }) => runCommand(() => showStatus(options)));
}

async function showStatus(options: { json?: boolean }): Promise<number> {
  const context = await openContext();
  try {
    const statuses = await readStatuses(context);
    if (options.json) {
      const entities = Object.fromEntries(statuses.map((status) => [status.entity, status]));
      process.stdout.write(`${JSON.stringify({ entities }, null, 2)}\n`);
    } else {
      process.stdout.write(renderStatus(statuses));
    }
    // Exit 1 while an entity is blocked, so that a script or a probe can tell without parsing.
    return statuses.some((status) => status.blocked) ? 1 : 0;
  } finally {
    await context.close();
  }
}

export async function readStatuses(context: CommandContext): Promise<EntityStatus[]> {
  const schedulers = new Map(
    (await context.queues.listSchedulers()).map((scheduler) => [scheduler.key, toEntry(scheduler)]),
  );
  return Promise.all(
    ENTITY_NAMES.map((entity) => readStatus(context, entity, schedulers.get(schedulerId(entity)))),
  );
}

async function readStatus(
  context: CommandContext,
  entity: EntityName,
  scheduler: ScheduleEntry | undefined,
): Promise<EntityStatus> {
  const [lastRun, lastSuccess, watermark, deadLetters, blocked] = await Promise.all([
    context.state.getLastRun<LastRun>(entity),
    context.state.getLastSuccess(entity),
    context.state.getWatermark(entity),
    context.deadLetters.count(entity),
    context.state.getBreaker(entity),
  ]);

  return {
    entity,
    lastRun: lastRun ?? null,
    lastSuccessAt: lastSuccess?.finishedAt ?? null,
    watermark: watermark ?? null,
    nextRunAt: scheduler?.nextRunAt ?? null,
    deadLetters,
    blocked: blocked ?? null,
    schedule: scheduler
      ? { id: scheduler.id, every: scheduler.every, pattern: scheduler.pattern, tz: scheduler.tz }
      : null,
  };
}

/** Renders one column per entity, then a paragraph for each blocked entity. */
export function renderStatus(statuses: EntityStatus[]): string {
  const fields: Array<[string, (status: EntityStatus) => string]> = [
    ['last run', (status) => describeResult(status.lastRun)],
    ['finished', (status) => describeTime(status.lastRun?.finishedAt)],
    ['duration', (status) => optional(status.lastRun?.durationMs, formatDuration)],
    ['pages', (status) => optional(status.lastRun?.pages, String)],
    ['created', (status) => optional(status.lastRun?.records?.created, String)],
    ['updated', (status) => optional(status.lastRun?.records?.updated, String)],
    ['unchanged', (status) => optional(status.lastRun?.records?.unchanged, String)],
    ['rejected', (status) => optional(status.lastRun?.records?.rejected, String)],
    ['last success', (status) => describeTime(status.lastSuccessAt ?? undefined)],
    ['watermark', (status) => describeWatermark(status.watermark)],
    ['next run', (status) => describeNextRun(status.nextRunAt)],
    ['dead letters', (status) => String(status.deadLetters)],
    ['blocked', (status) => (status.blocked ? `yes: ${status.blocked.reason}` : 'no')],
    ['schedule', (status) => (status.schedule ? describeSchedule(status.schedule) : 'none')],
  ];
  const header = ['', ...statuses.map((status) => status.entity)];
  const rows = fields.map(([label, read]) => [label, ...statuses.map(read)]);

  const paragraphs = [formatTable([header, ...rows])];
  for (const status of statuses) {
    if (!status.blocked) continue;
    paragraphs.push(
      `${status.entity} is blocked since ${status.blocked.since} (${status.blocked.reason}): ` +
        `${status.blocked.message}\n` +
        '`nymble-sync dlq list` shows the dead letter; replaying it resumes the schedule.',
    );
  }
  return `${paragraphs.join('\n\n')}\n`;
}

function describeResult(run: LastRun | null): string {
  if (run === null) return 'never';
  if (run.result === 'failed') return `failed: ${run.reason ?? 'unknown reason'}`;
  return run.full ? 'succeeded (full)' : 'succeeded';
}

function describeTime(iso: string | undefined): string {
  if (iso === undefined) return '-';
  return `${iso} (${formatRelative(Date.parse(iso))})`;
}

function describeWatermark(watermark: Watermark | null): string {
  if (watermark === null) return 'none (next run is a full sync)';
  return `${watermark.updatedAt} / ${watermark.id}`;
}

function optional<T>(value: T | undefined, format: (value: T) => string): string {
  return value === undefined ? '-' : format(value);
}
