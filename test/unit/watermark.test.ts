import { describe, expect, it } from 'vitest';

import { compareWatermarks, pageQuery, recordsAfter } from '../../src/watermark.js';

const at = (updatedAt: string, id: string) => ({ updatedAt, id });

describe('compareWatermarks', () => {
  it('orders by instant, then id', () => {
    expect(
      compareWatermarks(at('2026-01-01T00:00:00.000Z', 'b'), at('2026-01-01T00:00:01.000Z', 'a')),
    ).toBeLessThan(0);
    expect(
      compareWatermarks(at('2026-01-01T00:00:00.000Z', 'b'), at('2026-01-01T00:00:00.000Z', 'a')),
    ).toBeGreaterThan(0);
    expect(
      compareWatermarks(at('2026-01-01T00:00:00.000Z', 'a'), at('2026-01-01T00:00:00.000Z', 'a')),
    ).toBe(0);
  });

  it('breaks ties below the millisecond', () => {
    expect(
      compareWatermarks(
        at('2026-01-01T00:00:00.1234567Z', 'a'),
        at('2026-01-01T00:00:00.123Z', 'b'),
      ),
    ).toBeGreaterThan(0);
    expect(
      compareWatermarks(
        at('2026-01-01T00:00:00.1230000Z', 'a'),
        at('2026-01-01T00:00:00.123Z', 'a'),
      ),
    ).toBe(0);
  });

  it('compares instants across time zones', () => {
    expect(
      compareWatermarks(at('2026-01-01T01:00:00+01:00', 'a'), at('2026-01-01T00:00:00.000Z', 'a')),
    ).toBe(0);
  });
});

describe('recordsAfter', () => {
  const mark = at('2026-01-01T00:00:00.000Z', 'p2');

  it('drops records at or before the watermark', () => {
    const page = [
      at('2026-01-01T00:00:00.000Z', 'p1'),
      at('2026-01-01T00:00:00.000Z', 'p2'),
      at('2026-01-01T00:00:00.000Z', 'p3'),
    ];

    expect(recordsAfter(mark, page)).toEqual({ records: [page[2]], dropped: 2 });
  });

  it('keeps everything without a watermark', () => {
    const page = [at('2026-01-01T00:00:00.000Z', 'p1'), at('2026-01-02T00:00:00.000Z', 'p0')];

    expect(recordsAfter(undefined, page)).toEqual({ records: page, dropped: 0 });
  });

  it('reports a page out of order', () => {
    const page = [at('2026-01-03T00:00:00.000Z', 'p9'), at('2026-01-02T00:00:00.000Z', 'p8')];

    const result = recordsAfter(mark, page);

    expect(result).toHaveProperty('violation');
    expect((result as { violation: string }).violation).toContain(
      'record p8 (2026-01-02T00:00:00.000Z) does not come after p9',
    );
  });

  it('reports a duplicate id', () => {
    const page = [at('2026-01-03T00:00:00.000Z', 'p9'), at('2026-01-03T00:00:00.000Z', 'p9')];

    expect('violation' in recordsAfter(mark, page)).toBe(true);
  });
});

describe('pageQuery', () => {
  it('asks for records after the watermark', () => {
    expect(pageQuery(mark(), 50)).toEqual({
      pageSize: '50',
      updatedSince: '2026-01-01T00:00:00.000Z',
      afterId: 'p2',
    });
    expect(pageQuery(undefined, 50)).toEqual({ pageSize: '50' });
  });

  function mark() {
    return at('2026-01-01T00:00:00.000Z', 'p2');
  }
});
