/** Plain-text tables for command output: columns padded to their widest cell. */

/** Column gap, in spaces. */
const GAP = 2;

/** Formats rows (the first is the header) as left-aligned columns, one line per row. */
export function formatTable(rows: ReadonlyArray<readonly string[]>): string {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, index) => {
      widths[index] = Math.max(widths[index] ?? 0, cell.length);
    });
  }

  return rows
    .map((row) =>
      row
        .map((cell, index) => (index === row.length - 1 ? cell : cell.padEnd(widths[index] ?? 0)))
        .join(' '.repeat(GAP)),
    )
    .join('\n');
}

/** Formats a duration in milliseconds as seconds with one decimal, or minutes past an hour. */
export function formatDuration(ms: number): string {
  const seconds = ms / 1000;
  if (seconds < 3600) return `${seconds.toFixed(1)} s`;
  return `${Math.round(seconds / 60)} min`;
}

/** Formats a moment relative to now, such as `in 4 min` or `12 s ago`. */
export function formatRelative(atMs: number, nowMs = Date.now()): string {
  const deltaSeconds = Math.round((atMs - nowMs) / 1000);
  const magnitude = Math.abs(deltaSeconds);
  const text =
    magnitude < 120
      ? `${magnitude} s`
      : magnitude < 7200
        ? `${Math.round(magnitude / 60)} min`
        : `${Math.round(magnitude / 3600)} h`;
  return deltaSeconds >= 0 ? `in ${text}` : `${text} ago`;
}

/** Returns "1 page" or "3 pages": a count with its noun in the right number. */
export function countOf(count: number, singular: string, plural = `${singular}s`): string {
  return `${count} ${count === 1 ? singular : plural}`;
}
