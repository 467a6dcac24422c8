import fc from 'fast-check';
import { compileRole } from './compiled-role';
import { evaluate, indexSubjectGrants, PrincipalRecord, ResourceAttributes, SubjectView } from './evaluator';
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
const roles = fc.tuple(role('r0'), role('r1'), role('r2'));
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
function reference(defs: RoleDefinition[], p: PrincipalRecord, action: string, r: ResourceAttributes | undefined, restriction?: Grant[]): boolean {
  if (p.status !== 'active') return false;
  const granting = defs.filter((d) => p.roles.includes(d.name) && d.grants.some((g) => matches(g.permission, action) && holds(g.condition, p, r)));
  if (granting.length === 0) return false;
  const type = action.split(':')[0];
  for (const [dimension, types] of Object.entries(DIMENSIONS)) {
    if (!types.includes(type)) continue;
    const unrestricted = granting.some((d) => (d.scopes[dimension] ?? []).length === 0);
    if (unrestricted) continue;
    const allowed = new Set(granting.flatMap((d) => d.scopes[dimension]));
    if (!(r?.tags?.[dimension] ?? []).some((v) => allowed.has(v))) return false;
  }
  if (restriction && !restriction.some((g) => matches(g.permission, action) && holds(g.condition, p, r))) return false;
  return true;
}

describe('evaluator ≡ naive reference (fast-check)', () => {
  it('agrees on random models, principals, actions and resources', () => {
    fc.assert(
      fc.property(
        roles,
        fc.subarray(['r0', 'r1', 'r2']),
        fc.subarray(TEAMS),
        fc.constantFrom<PrincipalRecord['status']>('active', 'active', 'active', 'deactivated', 'invited'),
        fc.tuple(fc.constantFrom(...TYPES), fc.constantFrom(...ACTIONS)).map(([t, a]) => `${t}:${a}`),
        resource,
        fc.option(fc.array(grant, { minLength: 1, maxLength: 3 }), { nil: undefined }),
        (defs, held, teams, status, action, res, restriction) => {
          const principal: PrincipalRecord = { type: 'user', id: 'u1', status, roles: held, teams };
          const view: SubjectView = {
            account: { status: 'active', scopeDimensions: DIMENSIONS },
            principal,
            roles: Object.fromEntries(defs.map((d) => [d.name, compileRole(d)])),
            ...(restriction ? { key: { id: 'k', status: 'active' as const, restriction: compileRole({ name: 'k', grants: restriction, scopes: {} }).grants } } : {}),
          };
          const decision = evaluate(view, { action, resource: res }, 0);
          // The merged-index path (in-process cache) answers exactly like the per-role path (Redis).
          expect(evaluate({ ...view, index: indexSubjectGrants(principal, view.roles) }, { action, resource: res }, 0)).toEqual(decision);
          const expected = reference(defs, principal, action, res, restriction);
          if (decision.allowed !== expected) {
            throw new Error(`evaluator ${decision.allowed} (${decision.reason}) ≠ reference ${expected}`);
          }
          if (decision.allowed) {
            // The explanation names a held role and a grant of it that matches.
            const def = defs.find((d) => d.name === decision.matched?.role)!;
            expect(held).toContain(def.name);
            expect(def.grants.some((g) => (g.permission === '*:*' ? '*' : g.permission) === decision.matched?.grant && matches(g.permission, action))).toBe(true);
          }
        },
      ),
      { numRuns: 3000 },
    );
  });
});
