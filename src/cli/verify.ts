/**
 * Compares what the ERP contains with what Nymble serves: the same ids, and for each id the same
 * content. Used by `demo --once` and by the tests.
 */
import type { EntityName } from '../erp/adapter.js';

export interface Comparison {
  entity: EntityName;
  sourceCount: number;
  erpCount: number;
  missing: string[];
  extra: string[];
  different: string[];
  matches: boolean;
}

/** Serialises with sorted keys, so that field order does not count as a difference. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, field: unknown) => {
    if (!field || typeof field !== 'object' || Array.isArray(field)) return field;
    return Object.fromEntries(
      Object.entries(field as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)),
    );
  });
}

export function compareErpWithSource(
  entity: EntityName,
  source: readonly object[],
  erp: ReadonlyArray<{ id: string; payload: unknown }>,
): Comparison {
  const sourceById = new Map(
    source.map((record) => [(record as { Id: string }).Id, canonicalJson(record)]),
  );
  const erpById = new Map(erp.map((record) => [record.id, canonicalJson(record.payload)]));

  const missing = [...sourceById.keys()].filter((id) => !erpById.has(id));
  const extra = [...erpById.keys()].filter((id) => !sourceById.has(id));
  const different = [...sourceById]
    .filter(([id, json]) => erpById.has(id) && erpById.get(id) !== json)
    .map(([id]) => id);
  return {
    entity,
    sourceCount: sourceById.size,
    erpCount: erpById.size,
    missing,
    extra,
    different,
    matches:
      missing.length === 0 &&
      extra.length === 0 &&
      different.length === 0 &&
      erp.length === erpById.size,
  };
}
