import { compileRole } from './compiled-role';
import { evaluate, PrincipalRecord, SubjectView } from './evaluator';
import { holdRoles } from './held-roles';
import { presetModel } from '../presets/presets';
import { loadTable, substitute } from '../presets/tables/tables';

/** Every row of each seed's tables, run through the evaluator (the HTTP e2e suite runs the same files). */
describe.each(['fireworks', 'predibase', 'firefly', 'adaptive'] as const)('preset %s: the seed tables through the evaluator', (preset) => {
  const table = loadTable(preset);
  const model = presetModel(preset);
  const roles = Object.fromEntries(model.roles.map((r) => [r.name, compileRole(r)]));
  const self = 'usr_self';
  const other = 'usr_other';

  for (const row of table.rows) {
    for (const role of table.roles) {
      const expected = row.expect[role];
      it(`${table.seed} › ${row.table} › "${row.row}" › ${role} → ${expected ? 'allowed' : 'denied'}`, () => {
        const principal: PrincipalRecord = { type: 'user', id: self, status: 'active', roles: [role], teams: table.principalTeams ?? [] };
        const view: SubjectView = { account: { status: 'active', scopeDimensions: model.catalog.scopeDimensions }, principal, roles };
        for (const check of row.checks) {
          const decision = evaluate(view, substitute(check, { self, other }), 0);
          expect({ check, allowed: decision.allowed }).toEqual({ check, allowed: expected });
        }
      });
    }
  }
});

describe('evaluator', () => {
  const role = (name: string, grants: [string, 'any' | 'own' | 'team'][], scopes: Record<string, string[]> = {}) =>
    compileRole({ name, grants: grants.map(([permission, condition]) => ({ permission, condition })), scopes });
  const view = (over: Partial<SubjectView> & { roleNames?: string[]; teams?: string[] } = {}): SubjectView => ({
    account: { status: 'active', scopeDimensions: { knowledge_tags: ['knowledge'] } },
    principal: { type: 'user', id: 'u1', status: 'active', roles: over.roleNames ?? ['r'], teams: over.teams ?? [] },
    roles: { r: role('r', [['dataset:read', 'any']]) },
    ...over,
  });

  it('matches exact, type-wildcard, action-wildcard and full wildcard patterns', () => {
    for (const pattern of ['dataset:read', 'dataset:*', '*:read', '*']) {
      const d = evaluate(view({ roles: { r: role('r', [[pattern, 'any']]) } }), { action: 'dataset:read' }, 0);
      expect(d).toMatchObject({ allowed: true, matched: { role: 'r', grant: pattern } });
    }
    expect(evaluate(view({ roles: { r: role('r', [['dataset:*', 'any']]) } }), { action: 'model:read' }, 0).reason).toBe('NO_GRANT');
    expect(evaluate(view({ roles: { r: role('r', [['*:read', 'any']]) } }), { action: 'dataset:delete' }, 0).reason).toBe('NO_GRANT');
  });

  it('explains the most specific grant when several match', () => {
    const d = evaluate(view({ roles: { r: role('r', [['*', 'any'], ['dataset:read', 'any']]) } }), { action: 'dataset:read' }, 0);
    expect(d.matched?.grant).toBe('dataset:read');
  });

  it('own: allowed only on resources the principal owns, and says so', () => {
    const v = view({ roles: { r: role('r', [['dataset:delete', 'own']]) } });
    expect(evaluate(v, { action: 'dataset:delete', resource: { type: 'dataset', owner: 'u1' } }, 0).allowed).toBe(true);
    expect(evaluate(v, { action: 'dataset:delete', resource: { type: 'dataset', owner: 'u2' } }, 0).reason).toBe('NOT_OWNER');
    expect(evaluate(v, { action: 'dataset:delete', resource: { type: 'dataset' } }, 0).reason).toBe('NOT_OWNER');
  });

  it('team: allowed only on resources of one of the principal teams', () => {
    const v = view({ teams: ['red'], roles: { r: role('r', [['dataset:update', 'team']]) } });
    expect(evaluate(v, { action: 'dataset:update', resource: { team: 'red' } }, 0).allowed).toBe(true);
    expect(evaluate(v, { action: 'dataset:update', resource: { team: 'blue' } }, 0).reason).toBe('NOT_IN_TEAM');
  });

  it('several roles combine most-permissively', () => {
    const v = view({
      roleNames: ['a', 'b'],
      roles: { a: role('a', [['dataset:delete', 'own']]), b: role('b', [['dataset:delete', 'any']]) },
    });
    expect(evaluate(v, { action: 'dataset:delete', resource: { owner: 'u2' } }, 0)).toMatchObject({ allowed: true, matched: { role: 'b' } });
  });

  it('scopes restrict only the resource types their dimension covers, merged across granting roles', () => {
    const scoped = role('scoped', [['knowledge:read', 'any'], ['chat:send', 'any']], { knowledge_tags: ['hr'] });
    const v = view({ roleNames: ['scoped'], roles: { scoped } });
    expect(evaluate(v, { action: 'knowledge:read', resource: { tags: { knowledge_tags: ['hr', 'x'] } } }, 0).allowed).toBe(true);
    expect(evaluate(v, { action: 'knowledge:read', resource: { tags: { knowledge_tags: ['finance'] } } }, 0).reason).toBe('OUT_OF_SCOPE');
    expect(evaluate(v, { action: 'knowledge:read', resource: {} }, 0).reason).toBe('OUT_OF_SCOPE');
    expect(evaluate(v, { action: 'chat:send' }, 0).allowed).toBe(true);
    const open = role('open', [['knowledge:read', 'any']]);
    const both = view({ roleNames: ['scoped', 'open'], roles: { scoped, open } });
    expect(evaluate(both, { action: 'knowledge:read', resource: { tags: { knowledge_tags: ['finance'] } } }, 0).allowed).toBe(true);
  });

  it('denies for every status, key state and account state, with the reason', () => {
    const base = view();
    const req = { action: 'dataset:read' };
    expect(evaluate({ ...base, account: null }, req, 0).reason).toBe('ACCOUNT_NOT_FOUND');
    expect(evaluate({ ...base, account: { status: 'deleted', scopeDimensions: {} } }, req, 0).reason).toBe('ACCOUNT_DELETED');
    expect(evaluate({ ...base, principal: null }, req, 0).reason).toBe('PRINCIPAL_NOT_FOUND');
    for (const [status, reason] of [
      ['invited', 'PRINCIPAL_INVITED'],
      ['deactivated', 'PRINCIPAL_DEACTIVATED'],
      ['removed', 'PRINCIPAL_REMOVED'],
    ] as const) {
      expect(evaluate({ ...base, principal: { ...base.principal!, status } }, req, 0).reason).toBe(reason);
    }
    expect(evaluate({ ...base, key: null }, req, 0).reason).toBe('KEY_NOT_FOUND');
    expect(evaluate({ ...base, key: { id: 'k', status: 'revoked' } }, req, 0).reason).toBe('KEY_REVOKED');
    expect(evaluate({ ...base, key: { id: 'k', status: 'active', expiresAt: 1000 } }, req, 1000).reason).toBe('KEY_EXPIRED');
    expect(evaluate({ ...base, key: { id: 'k', status: 'active', expiresAt: 1000 } }, req, 999).allowed).toBe(true);
  });

  it('a restricted key does only what both it and its owner may', () => {
    const v = view({ roles: { r: role('r', [['dataset:*', 'any']]) } });
    const key = { id: 'k', status: 'active' as const, restriction: { 'dataset:read': ['any' as const] } };
    expect(evaluate({ ...v, key }, { action: 'dataset:read' }, 0).allowed).toBe(true);
    expect(evaluate({ ...v, key }, { action: 'dataset:delete' }, 0).reason).toBe('KEY_RESTRICTED');
    const wide = { ...key, restriction: { '*': ['any' as const] } };
    expect(evaluate({ ...v, key: wide }, { action: 'model:read' }, 0).reason).toBe('NO_GRANT');
  });

  it('refuses malformed actions and a resource of another type', () => {
    expect(evaluate(view(), { action: 'dataset' }, 0).reason).toBe('INVALID_ACTION');
    expect(evaluate(view(), { action: 'dataset:read', resource: { type: 'model' } }, 0).reason).toBe('RESOURCE_TYPE_MISMATCH');
  });

  it('keeps memoized plans apart when the action memo starts over (action ids are reused)', () => {
    const reader = role('r', [['*:read', 'any']]);
    const held = holdRoles(['r'], () => reader);
    const v = view({ roles: { r: reader }, held });
    // More distinct actions than the memo keeps: ids restart, and every one of them was a
    // granted read whose plan the list of roles remembered under its id.
    for (let i = 0; i < 4_200; i++) expect(evaluate(v, { action: `made_up_${i}:read` }, 0).allowed).toBe(true);
    // A fresh id now lands on a slot that held another action's plan in the previous epoch.
    expect(evaluate(v, { action: 'dataset:delete' }, 0).reason).toBe('NO_GRANT');
    expect(evaluate(v, { action: 'dataset:read' }, 0).reason).toBe('GRANTED');
  });
});
