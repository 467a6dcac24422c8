import fc from 'fast-check';
import { compileRole } from './compiled-role';
import { evaluate, PrincipalRecord, ResourceAttributes, SubjectView } from './evaluator';
import { holdRoles } from './held-roles';
import { Condition, Grant, RoleDefinition } from './model';

/**
 * The evaluator against a deliberately naive reference written straight from the model's
 * definition (DESIGN §2), on random roles, grants, scopes, teams and resources.
 */
const TYPES = ['dataset', 'model', 'knowledge'];
const ACTIONS = ['read', 'update', 'delete'];
const DIMENSIONS: Record<string, string[]> = { knowledge_tags: ['knowledge'], systems: ['dataset', 'knowledge'] };
const TAGS = ['hr', 'crm', 'ops'];
const IDS = ['u1', 'u2'];
const TEAMS = ['red', 'blue'];

const permission = fc.oneof(
  fc.constant('*'),
  fc.tuple(fc.constantFrom(...TYPES, '*'), fc.constantFrom(...ACTIONS, '*')).map(([t, a]) => `${t}:${a}`),
);
const condition = fc.constantFrom<Condition>('any', 'own', 'team');
const grant = fc.record({ permission, condition });
const scopes = fc.dictionary(fc.constantFrom(...Object.keys(DIMENSIONS)), fc.subarray(TAGS), { maxKeys: 2 });
const role = (name: string) => fc.record({ name: fc.constant(name), description: fc.constant(''), builtIn: fc.constant(false), grants: fc.array(grant, { maxLength: 4 }), scopes });
// Up to six roles held, in any order: past MERGE_AT (held-roles.ts) a principal's roles are
// probed through one merged table, below it role by role; both must answer alike.
const ROLE_NAMES = ['r0', 'r1', 'r2', 'r3', 'r4', 'r5'];
const roles = fc.tuple(...ROLE_NAMES.map(role));
const resource: fc.Arbitrary<ResourceAttributes | undefined> = fc.option(
  fc.record(
    {
      owner: fc.constantFrom(...IDS),
      team: fc.constantFrom(...TEAMS),
      tags: fc.dictionary(fc.constantFrom(...Object.keys(DIMENSIONS)), fc.subarray(TAGS), { maxKeys: 2 }),
    },
    { requiredKeys: [] },
  ),
  { nil: undefined },
);

// ---- the reference: no indexes, no early exits, just the definitions ----
function matches(pattern: string, action: string): boolean {
  const [pt, pa] = pattern === '*' ? ['*', '*'] : pattern.split(':');
  const [t, a] = action.split(':');
  return (pt === '*' || pt === t) && (pa === '*' || pa === a);
}
function holds(c: Condition, p: PrincipalRecord, r: ResourceAttributes | undefined): boolean {
  if (c === 'any') return true;
  if (c === 'own') return r?.owner === p.id && r?.owner !== undefined;
  return r?.team !== undefined && p.teams.includes(r.team);
}
type Outcome = 'GRANTED' | 'INACTIVE' | 'NO_GRANT' | 'NOT_OWNER' | 'NOT_IN_TEAM' | 'OUT_OF_SCOPE' | 'KEY_RESTRICTED';
function reference(defs: RoleDefinition[], p: PrincipalRecord, action: string, r: ResourceAttributes | undefined, restriction?: Grant[]): Outcome {
  if (p.status !== 'active') return 'INACTIVE';
  const heldDefs = defs.filter((d) => p.roles.includes(d.name));
  const granting = heldDefs.filter((d) => d.grants.some((g) => matches(g.permission, action) && holds(g.condition, p, r)));
  if (granting.length === 0) {
    // Every grant for the action failed its condition: an ownership miss is the one reported.
    const missed = heldDefs.flatMap((d) => d.grants.filter((g) => matches(g.permission, action)).map((g) => g.condition));
    return missed.includes('own') ? 'NOT_OWNER' : missed.includes('team') ? 'NOT_IN_TEAM' : 'NO_GRANT';
  }
  const type = action.split(':')[0];
  for (const [dimension, types] of Object.entries(DIMENSIONS)) {
    if (!types.includes(type)) continue;
    const unrestricted = granting.some((d) => (d.scopes[dimension] ?? []).length === 0);
    if (unrestricted) continue;
    const allowed = new Set(granting.flatMap((d) => d.scopes[dimension]));
    if (!(r?.tags?.[dimension] ?? []).some((v) => allowed.has(v))) return 'OUT_OF_SCOPE';
  }
  if (restriction && !restriction.some((g) => matches(g.permission, action) && holds(g.condition, p, r))) return 'KEY_RESTRICTED';
  return 'GRANTED';
}

/** The grant an allow names: the most specific pattern first, then the principal's role order, then definition order. */
function explanation(defs: RoleDefinition[], p: PrincipalRecord, action: string, r: ResourceAttributes | undefined) {
  const [type, verb] = action.split(':');
  for (const pattern of [action, `${type}:*`, `*:${verb}`, '*']) {
    for (const name of p.roles) {
      for (const g of defs.find((d) => d.name === name)?.grants ?? []) {
        if ((g.permission === '*:*' ? '*' : g.permission) === pattern && holds(g.condition, p, r)) return { role: name, grant: pattern, condition: g.condition };
      }
    }
  }
  return undefined;
}

describe('evaluator ≡ naive reference (fast-check)', () => {
  it('agrees on random models, principals, actions and resources', () => {
    fc.assert(
      fc.property(
        roles,
        fc.shuffledSubarray([...ROLE_NAMES, 'unknown']),
        fc.subarray(TEAMS),
        fc.constantFrom<PrincipalRecord['status']>('active', 'active', 'active', 'deactivated', 'invited'),
        fc.tuple(fc.constantFrom(...TYPES), fc.constantFrom(...ACTIONS)).map(([t, a]) => `${t}:${a}`),
        resource,
        fc.option(fc.array(grant, { minLength: 1, maxLength: 3 }), { nil: undefined }),
        fc.subarray(TEAMS),
        resource,
        (defs, held, teams, status, action, res, restriction, otherTeams, otherRes) => {
          const principal: PrincipalRecord = { type: 'user', id: 'u1', status, roles: held, teams };
          const view: SubjectView = {
            account: { status: 'active', scopeDimensions: DIMENSIONS },
            principal,
            roles: Object.fromEntries(defs.map((d) => [d.name, compileRole(d)])),
            ...(restriction ? { key: { id: 'k', status: 'active' as const, restriction: compileRole({ name: 'k', grants: restriction, scopes: {} }).grants } } : {}),
          };
          const decision = evaluate(view, { action, resource: res }, 0);
          // Roles compiled once and held (in-process cache) answer exactly like roles compiled per check (Redis).
          const compiled = holdRoles(principal.roles, (name) => view.roles[name]);
          expect(evaluate({ ...view, held: compiled }, { action, resource: res }, 0)).toEqual(decision);
          // …and so does a second check on the same held roles, whose answers are now memoized.
          expect(evaluate({ ...view, held: compiled }, { action, resource: res }, 0)).toEqual(decision);
          const expected = reference(defs, principal, action, res, restriction);
          const reason = expected === 'INACTIVE' ? (status === 'invited' ? 'PRINCIPAL_INVITED' : 'PRINCIPAL_DEACTIVATED') : expected;
          if (decision.reason !== reason) {
            throw new Error(`evaluator ${decision.allowed} (${decision.reason}) ≠ reference ${reason}`);
          }
          // An allow names the grant a reader expects (see `explanation`), whichever path found it.
          expect(decision.matched).toEqual(decision.allowed ? explanation(defs, principal, action, res) : undefined);
          // The memo is per list of roles and action, shared by every principal holding the list:
          // another principal with other teams, asking about another resource, must get its own answer.
          const other: PrincipalRecord = { type: 'user', id: 'u2', status: 'active', roles: held, teams: otherTeams };
          const again = evaluate({ ...view, principal: other, held: compiled }, { action, resource: otherRes }, 0);
          expect(again).toEqual(evaluate({ ...view, principal: other }, { action, resource: otherRes }, 0));
          expect(again.reason).toBe(reference(defs, other, action, otherRes, restriction));
          expect(again.matched).toEqual(again.allowed ? explanation(defs, other, action, otherRes) : undefined);
        },
      ),
      { numRuns: 3000 },
    );
  });
});
