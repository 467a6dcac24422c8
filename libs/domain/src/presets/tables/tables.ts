import { CheckRequest } from '../../access/evaluator';
import adaptive from './adaptive.table.json';
import firefly from './firefly.table.json';
import fireworks from './fireworks.table.json';
import predibase from './predibase.table.json';

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
  /** The teams the checked principal is in, for every row (Adaptive's team-owned resources); none when absent. */
  principalTeams?: string[];
  rows: TableRow[];
}

const TABLES: Record<string, SeedTable> = {
  fireworks: fireworks as SeedTable,
  predibase: predibase as SeedTable,
  firefly: firefly as SeedTable,
  adaptive: adaptive as SeedTable,
};

export function loadTable(preset: string): SeedTable {
  const t = TABLES[preset];
  if (!t) throw new Error(`no table for preset ${preset}`);
  return t;
}

/** Replaces `$self` and `$other` placeholders with real principal ids. */
export function substitute(check: CheckRequest, ids: { self: string; other: string }): CheckRequest {
  return JSON.parse(JSON.stringify(check).replace(/"\$self"/g, JSON.stringify(ids.self)).replace(/"\$other"/g, JSON.stringify(ids.other)));
}
