import { CheckRequest } from '../../access/evaluator';
import fireworks from './fireworks.table.json';

/**
 * The seeds' permission tables as data: each row names the seed's table and row text,
 * the checks that express it and the seed's answer per role. The evaluator tests and
 * the HTTP end-to-end tests both run every row.
 */
export interface TableRow {
  table: string;
  row: string;
  checks: CheckRequest[];
  expect: Record<string, boolean>;
}

export interface SeedTable {
  seed: string;
  preset: string;
  roles: string[];
  rows: TableRow[];
}

const TABLES: Record<string, SeedTable> = { fireworks: fireworks as SeedTable };

export function loadTable(preset: string): SeedTable {
  const t = TABLES[preset];
  if (!t) throw new Error(`no table for preset ${preset}`);
  return t;
}

/** Replaces `$self` and `$other` placeholders with real principal ids. */
export function substitute(check: CheckRequest, ids: { self: string; other: string }): CheckRequest {
  return JSON.parse(JSON.stringify(check).replace(/"\$self"/g, JSON.stringify(ids.self)).replace(/"\$other"/g, JSON.stringify(ids.other)));
}
