import type { JobSchedulerJson } from 'bullmq';
import type { Command } from 'commander';

import type { EntityName } from '../../erp/adapter.js';
import { openContext } from '../context.js';
import { runCommand } from '../exit.js';
import { formatRelative, formatTable } from '../table.js';

/** One Job Scheduler as `schedules list --json` prints it. */
export interface ScheduleEntry {
  id: string;
  entity: EntityName;
  /** Interval in milliseconds, for interval schedules. */
  every?: number;
  /** Cron pattern, for cron schedules. */
  pattern?: string;
  /** Time zone of the cron pattern. */
  tz?: string;
  /** ISO 8601 time of the next run, or null when BullMQ has none planned. */
  nextRunAt: string | null;
}

/** Registers `nymble-sync schedules`: the Job Schedulers stored in Redis. */
export function registerSchedules(program: Command): void {
  const schedules = program
    .command('schedules')
    .description('Inspect the Job Schedulers that start the sync runs of each entity');

  schedules
    .command('list')
    .description('List every Job Scheduler with its interval or cron pattern and its next run')
    .option('--json', 'print a JSON array instead of a table, for scripts')
    .action((options: { json?: boolean }) => runCommand(() => listSchedules(options)));
}

async function listSchedules(options: { json?: boolean }): Promise<number> {
  const context = await openContext();
  try {
    const entries = (await context.queues.listSchedulers()).map(toEntry);
    process.stdout.write(options.json ? `${JSON.stringify(entries, null, 2)}\n` : render(entries));
    return 0;
  } finally {
    await context.close();
  }
}

export function toEntry(scheduler: JobSchedulerJson & { entity: EntityName }): ScheduleEntry {
  return {
    id: scheduler.key,
    entity: scheduler.entity,
    every: scheduler.every ?? undefined,
    pattern: scheduler.pattern ?? undefined,
    tz: scheduler.tz ?? undefined,
    nextRunAt: scheduler.next ? new Date(scheduler.next).toISOString() : null,
  };
}

/** Describes a schedule for people: `every 300 s` or `cron 0 6 * * * (Europe/Berlin)`. */
export function describeSchedule(entry: Pick<ScheduleEntry, 'every' | 'pattern' | 'tz'>): string {
  if (entry.pattern !== undefined) return `cron ${entry.pattern} (${entry.tz ?? 'UTC'})`;
  if (entry.every !== undefined) return `every ${entry.every / 1000} s`;
  return 'unknown';
}

export function describeNextRun(nextRunAt: string | null): string {
  if (nextRunAt === null) return 'none planned';
  return `${nextRunAt} (${formatRelative(Date.parse(nextRunAt))})`;
}

function render(entries: ScheduleEntry[]): string {
  if (entries.length === 0) {
    return 'No Job Schedulers in Redis under this QUEUE_PREFIX. A running worker creates them.\n';
  }
  const rows = entries.map((entry) => [
    entry.id,
    entry.entity,
    entry.pattern === undefined ? `every ${(entry.every ?? 0) / 1000} s` : entry.pattern,
    entry.tz ?? '-',
    describeNextRun(entry.nextRunAt),
  ]);
  return `${formatTable([['ID', 'ENTITY', 'EVERY / PATTERN', 'TZ', 'NEXT RUN'], ...rows])}\n`;
}
