import { CompiledRole } from './compiled-role';
import type { Decision } from './evaluator';
import { Condition } from './model';

/**
 * The roles a principal holds, shaped for the check hot path. A CompiledRole is plain
 * JSON (Redis stores it as is); reading its `grants` record with a different key per
 * check goes megamorphic once thousands of roles each have their own hidden class. Here
 * grants sit in Maps, conditions are small numbers, a table says which of the four
 * patterns of an action it can hold at all, and the allowed Decision of each grant is
 * built once and shared.
 *
 * A HeldRoles depends only on the role names and definitions, never on the principal's
 * teams or status, so principals holding the same roles can share one.
 */

/** Conditions as numbers: the hot path compares small integers, not strings. */
export const ANY = 0;
export const OWN = 1;
export const TEAM = 2;
const KIND: Record<Condition, number> = { any: ANY, own: OWN, team: TEAM };

/**
 * The evaluator looks up four patterns per action, most specific first: `type:verb`,
 * `type:*`, `*:verb`, `*`. Bit p of GrantTable.probes is set when the table may hold
 * pattern p; the first is always probed (an action may itself be spelled with a `*`).
 */
const PROBE_EXACT = 1;
const PROBE_TYPE_WILDCARD = 2;
const PROBE_VERB_WILDCARD = 4;
const PROBE_STAR = 8;

/**
 * One string object per pattern, shared by every role table and every parsed action:
 * a table lookup then finds its key by identity instead of comparing characters.
 * Bounded; past the bound lookups merely compare characters again.
 */
const canonical = new Map<string, string>();
const MAX_CANONICAL = 65_536;

export function canonicalPattern(pattern: string): string {
  const known = canonical.get(pattern);
  if (known !== undefined) return known;
  if (canonical.size >= MAX_CANONICAL) canonical.clear();
  canonical.set(pattern, pattern);
  return pattern;
}

function probeOf(pattern: string): number {
  if (pattern === '*') return PROBE_STAR;
  if (pattern.endsWith(':*')) return PROBE_TYPE_WILDCARD;
  if (pattern.startsWith('*:')) return PROBE_VERB_WILDCARD;
  return PROBE_EXACT;
}

export interface HeldGrant {
  readonly roleName: string;
  /** The pattern as indexed (`*:*` already folded into `*`). */
  readonly pattern: string;
  readonly condition: Condition;
  /** ANY, OWN or TEAM. */
  readonly kind: number;
  /** The granting role's restricted scope dimensions; null when it has none. */
  readonly scopes: ReadonlyMap<string, readonly string[]> | null;
  /** The table's next grant for the same pattern (role order, then definition order). */
  readonly next: HeldGrant | null;
  /** The Decision this grant yields when it is the best match: built on first use, frozen, shared. */
  allowed: Decision | null;
}

export interface GrantTable {
  /** Pattern → its first grant (the rest follow `next`). */
  readonly grants: ReadonlyMap<string, HeldGrant>;
  /** Which of the four patterns the table may hold (bit p: pattern p). */
  readonly probes: number;
}

export interface HeldRole extends GrantTable {
  readonly name: string;
  readonly scopes: ReadonlyMap<string, readonly string[]> | null;
}

export interface HeldRoles {
  /** The known roles, in the principal's order (the order breaks ties in explanations). */
  readonly list: readonly HeldRole[];
  /** Name → definition for every held name (undefined when unknown), as SubjectView.roles carries them. */
  readonly byName: Record<string, CompiledRole | undefined>;
  /**
   * What a check probes, in role order: each role's own table, or from MERGE_AT roles on
   * one table merging them all, so that a check probes at most four times however many
   * roles the principal holds.
   */
  readonly tables: readonly GrantTable[];
  /**
   * Each action's search, done once for this list of roles (see `planOf`), by the
   * action's id; null for a list compiled for one check only. A memo: filling it never
   * changes an answer, and a list of roles is replaced, never changed, when a role is.
   */
  plans: (Plan | undefined)[] | null;
  /** The action-id epoch `plans` was filled in (ids restart when the action memo does). */
  plansEpoch: number;
}

/**
 * The grants that can decide one action for one list of roles, in search order: the
 * first `own` grant, the first `team` grant, then the first `any` grant, each kept only
 * if no `any` grant comes before it. That is all the search needs: an `any` grant always
 * holds, and two grants of the same condition hold or fail together for a given
 * principal and resource. A check then tests at most three conditions and reads one
 * small object instead of probing up to four patterns in every role's table (which in an
 * account of thousands of roles means a cache miss per table and probe).
 */
export class Plan {
  /** How many steps are used (0 to 3); step i is (kind_i, grant_i, allowed_i). */
  readonly steps: number;
  /** ANY, OWN or TEAM. */
  readonly kind0: number;
  readonly kind1: number;
  readonly kind2: number;
  readonly grant0: HeldGrant | null;
  readonly grant1: HeldGrant | null;
  readonly grant2: HeldGrant | null;
  /** Each grant's shared allowed Decision, at hand: an allow reads this object and its answer only. */
  readonly allowed0: Decision | null;
  readonly allowed1: Decision | null;
  readonly allowed2: Decision | null;
  /** Whether any step's role restricts a scope dimension (then the scope rules apply to an allow). */
  readonly scoped: boolean;
  /** The held roles that grant the action at all, for the scope rules: filled on first need (see `grantersOf`). */
  granters: readonly Granter[] | null = null;

  constructor(found: readonly HeldGrant[]) {
    this.steps = found.length;
    const g = (i: number) => found[i] ?? null;
    this.kind0 = found[0]?.kind ?? ANY;
    this.kind1 = found[1]?.kind ?? ANY;
    this.kind2 = found[2]?.kind ?? ANY;
    this.grant0 = g(0);
    this.grant1 = g(1);
    this.grant2 = g(2);
    this.allowed0 = found[0] ? allowedBy(found[0]) : null;
    this.allowed1 = found[1] ? allowedBy(found[1]) : null;
    this.allowed2 = found[2] ? allowedBy(found[2]) : null;
    this.scoped = found.some((x) => x.scopes !== null);
  }
}

/** The Decision a grant yields when it is the best match: built once, frozen (it is handed to many callers), shared. */
export function allowedBy(grant: HeldGrant): Decision {
  if (grant.allowed !== null) return grant.allowed;
  const matched = Object.freeze({ role: grant.roleName, grant: grant.pattern, condition: grant.condition });
  return (grant.allowed = Object.freeze({ allowed: true, reason: 'GRANTED' as const, message: `role ${grant.roleName} grants ${grant.pattern} (${grant.condition})`, matched }));
}

/**
 * The plan of `patterns` (an action's four patterns, most specific first) over `tables`,
 * in the evaluator's search order: pattern first, then table order, then each chain.
 */
export function planOf(tables: readonly GrantTable[], patterns: readonly string[]): Plan {
  const found: HeldGrant[] = [];
  let own = false;
  let team = false;
  search: for (let p = 0; p < 4; p++) {
    const probe = 1 << p;
    for (const table of tables) {
      if ((table.probes & probe) === 0) continue;
      for (let grant: HeldGrant | null | undefined = table.grants.get(patterns[p]); grant != null; grant = grant.next) {
        if (grant.kind === ANY) {
          found.push(grant);
          break search;
        }
        if (grant.kind === OWN ? own : team) continue;
        if (grant.kind === OWN) own = true;
        else team = true;
        found.push(grant);
      }
    }
  }
  return found.length === 0 ? NOTHING : new Plan(found);
}

/** A held role that grants an action under some condition, as the scope rules need it. */
export interface Granter {
  /** Bit k set when a grant of the action has condition k (ANY, OWN or TEAM). */
  readonly kinds: number;
  readonly scopes: ReadonlyMap<string, readonly string[]> | null;
}

/** The roles of `list` granting an action (any of its four patterns), in role order. */
export function grantersOf(list: readonly HeldRole[], patterns: readonly string[]): Granter[] {
  const out: Granter[] = [];
  for (const role of list) {
    let kinds = 0;
    for (let p = 0; p < 4; p++) {
      for (let grant: HeldGrant | null | undefined = role.grants.get(patterns[p]); grant != null; grant = grant.next) kinds |= 1 << grant.kind;
    }
    if (kinds !== 0) out.push({ kinds, scopes: role.scopes });
  }
  return out;
}

/** The plan of an action no held role grants, shared (made-up actions cost no memory per list). */
const NOTHING = new Plan([]);

/**
 * From this many roles a list gets its own merged table. Below it, probing each role's
 * table is cheap and costs no memory; a merged table per list would, since most lists
 * are distinct (users hold one to three of thousands of roles).
 */
const MERGE_AT = 4;

// One literal for every grant: one hidden class, so the hot path's property reads stay monomorphic.
function heldGrant(roleName: string, pattern: string, condition: Condition, scopes: HeldGrant['scopes'], next: HeldGrant | null): HeldGrant {
  return { roleName, pattern, condition, kind: KIND[condition], scopes, next, allowed: null };
}

/** Compiles one role for the hot path. */
export function holdRole(role: CompiledRole): HeldRole {
  let scopes: Map<string, readonly string[]> | null = null;
  for (const dimension in role.scopes) {
    const values = role.scopes[dimension];
    if (values.length > 0) (scopes ??= new Map()).set(dimension, values);
  }
  const grants = new Map<string, HeldGrant>();
  let probes = PROBE_EXACT;
  for (const key in role.grants) {
    const pattern = canonicalPattern(key);
    let first: HeldGrant | null = null;
    const conditions = role.grants[key];
    for (let i = conditions.length - 1; i >= 0; i--) {
      const condition = conditions[i];
      first = heldGrant(role.name, pattern, condition, scopes, first);
    }
    if (first === null) continue;
    grants.set(pattern, first);
    probes |= probeOf(pattern);
  }
  return { name: role.name, grants, probes, scopes };
}

// Role objects are replaced, never mutated, on every change (cache and account state alike),
// so a compiled form keyed by the object itself can never be stale.
const compiled = new WeakMap<CompiledRole, HeldRole>();

/** holdRole, remembered per role object for as long as that object lives. */
export function heldRoleOf(role: CompiledRole): HeldRole {
  let held = compiled.get(role);
  if (held === undefined) compiled.set(role, (held = holdRole(role)));
  return held;
}

/**
 * The roles named `names`, looked up with `lookup`. `remember` keeps each role's compiled
 * form for as long as the role object lives: right for long-lived definitions (caches,
 * folded state), wasteful for objects parsed afresh for every check.
 */
export function holdRoles(names: readonly string[], lookup: (name: string) => CompiledRole | undefined, remember = true): HeldRoles {
  const list: HeldRole[] = [];
  // A dictionary, not a shape: no hidden class per distinct list of names (thousands of
  // them in a large account), and a role named like an Object.prototype member is just a name.
  const byName = Object.create(null) as Record<string, CompiledRole | undefined>;
  for (const name of names) {
    const role = lookup(name);
    byName[name] = role;
    if (role) list.push(remember ? heldRoleOf(role) : holdRole(role));
  }
  return { list, byName, tables: list.length >= MERGE_AT ? [merged(list)] : list, plans: remember ? [] : null, plansEpoch: 0 };
}

const alone = new WeakMap<CompiledRole, HeldRoles>();

/** holdRoles of a list naming `role` alone: one per role object, shared by everyone holding just that role. */
export function holdRoleAlone(role: CompiledRole): HeldRoles {
  let held = alone.get(role);
  if (held === undefined) alone.set(role, (held = holdRoles([role.name], () => role)));
  return held;
}

/** One table for several roles, its chains in role order then definition order. */
function merged(list: readonly HeldRole[]): GrantTable {
  const grants = new Map<string, HeldGrant>();
  const last = new Map<string, HeldGrant>();
  let probes = 0;
  for (const role of list) {
    probes |= role.probes;
    for (const [pattern, first] of role.grants) {
      for (let g: HeldGrant | null = first; g !== null; g = g.next) {
        const copy = heldGrant(g.roleName, g.pattern, g.condition, g.scopes, null);
        const tail = last.get(pattern);
        if (tail === undefined) grants.set(pattern, copy);
        else (tail as { next: HeldGrant | null }).next = copy;
        last.set(pattern, copy);
      }
    }
  }
  return { grants, probes };
}
