import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

import { describe, expect, it } from 'vitest';

import { DEAD_LETTER_REASONS } from '../../src/decisions.js';
import { ERROR_CODES } from '../../src/errors.js';

const doc = readFileSync(resolve(import.meta.dirname, '../../docs/errors.md'), 'utf8');

/** Returns the first-column codes of the markdown table under `heading`. */
function tableCodes(heading: string): string[] {
  const section = doc.split(`## ${heading}`)[1]?.split('\n## ')[0] ?? '';
  return [...section.matchAll(/^\| `([a-z_A-Z]+)` +\|/gm)].map((match) => match[1] as string);
}

describe('docs/errors.md', () => {
  it('lists every error code once', () => {
    expect(tableCodes('Error codes')).toEqual([...ERROR_CODES]);
  });

  it('lists every dead-letter reason once', () => {
    expect(tableCodes('Dead-letter reasons')).toEqual([...DEAD_LETTER_REASONS]);
  });
});
