/**
 * Progress output: one line per entity rewritten in place on a terminal, plain lines every few
 * pages otherwise, so that logs of a CI run or a pipe stay readable.
 */
import type { EntityName } from '../erp/adapter.js';
import { countOf } from './table.js';

/** On a pipe, at most one line per this many pages. */
const PLAIN_LINE_EVERY_PAGES = 10;

/** Erases from the cursor to the end of the line (ANSI EL). */
const ERASE_LINE = '\u001b[K';

export class ProgressView {
  readonly #stream: NodeJS.WriteStream;
  readonly #latest = new Map<EntityName, { pages: number; records: number }>();
  /** Pages of the last plain line per entity, so that a poller that skips pages still prints. */
  readonly #printedPages = new Map<EntityName, number>();

  constructor(stream: NodeJS.WriteStream) {
    this.#stream = stream;
  }

  update(entity: EntityName, progress: { pages: number; records: number }): void {
    this.#latest.set(entity, progress);
    if (this.#stream.isTTY) {
      this.#redraw();
      return;
    }

    const printed = this.#printedPages.get(entity);
    if (printed !== undefined && progress.pages < printed + PLAIN_LINE_EVERY_PAGES) return;
    this.#printedPages.set(entity, progress.pages);
    this.#stream.write(`${entity}: ${describe(progress)}\n`);
  }

  /** Prints a whole line, such as a change of job state, above the in-place progress line. */
  note(line: string): void {
    if (!this.#stream.isTTY) {
      this.#stream.write(`${line}\n`);
      return;
    }
    this.#stream.write(`\r${line}${ERASE_LINE}\n`);
    if (this.#latest.size > 0) this.#redraw();
  }

  done(): void {
    if (this.#stream.isTTY && this.#latest.size > 0) this.#stream.write('\n');
  }

  #redraw(): void {
    const line = [...this.#latest].map(([name, p]) => `${name}: ${describe(p)}`).join('   ');
    this.#stream.write(`\r${line}${ERASE_LINE}`);
  }
}

function describe(progress: { pages: number; records: number }): string {
  return `${countOf(progress.pages, 'page')}, ${countOf(progress.records, 'record')}`;
}
