import fc from 'fast-check';
import { AccessModel, Condition, conditionCovers, Grant, patternCovers, principalKey } from '../access/model';
import { Actor } from '../actor';
import { DomainError } from '../errors';
import { AccountCommand } from './account.commands';
import { decideAccount } from './account.decide';
import { AccountEvent } from './account.events';
import { AccountState, evolveAccount, ExistingAccount, initialAccountState } from './account.state';

/**
 * Random command sequences by random actors (fast-check): whatever is accepted, the
 * account always keeps an active admin, and no accepted command gives any principal a
 * permission the acting principal did not hold itself.
 */
const ACTIONS = ['dataset:read', 'dataset:delete', 'model:read', 'model:delete', 'user:read', 'user:update', 'user:delete', 'role:manage'];
const CONDITIONS: Condition[] = ['any', 'own', 'team'];
const USERS = ['u0', 'u1', 'u2', 'u3', 'u4'];

const model: AccessModel = {
  preset: 'test',
  catalog: {
    resourceTypes: { dataset: ['read', 'delete'], model: ['read', 'delete'], user: ['read', 'update', 'delete'], role: ['manage'] },
    scopeDimensions: {},
  },
  roles: [
    { name: 'admin', description: '', builtIn: true, grants: [{ permission: '*', condition: 'any' }], scopes: {} },
    {
      name: 'manager',
      description: '',
      builtIn: true,
      grants: [
        { permission: 'user:*', condition: 'any' },
        { permission: 'role:manage', condition: 'any' },
        { permission: 'dataset:read', condition: 'any' },
      ],
      scopes: {},
    },
    { name: 'member', description: '', builtIn: true, grants: [{ permission: '*:read', condition: 'any' }, { permission: 'dataset:delete', condition: 'own' }], scopes: {} },
  ],
  defaultRole: 'member',
  teams: ['t'],
  adminRoles: ['admin'],
  operations: {
    'members.read': 'user:read',
    'members.invite': 'user:update',
    'members.update': 'user:update',
    'members.remove': 'user:delete',
    'roles.manage': 'role:manage',
    'roles.read': 'user:read',
    'teams.manage': 'role:manage',
  },
};

const start: AccountEvent[] = [
  { type: 'AccountCreated', data: { accountId: 'a', model } },
  { type: 'UserAdded', data: { accountId: 'a', userId: 'u0', email: 'u0@a', roles: ['admin'], reason: 'seed_admin' } },
  { type: 'UserAdded', data: { accountId: 'a', userId: 'u1', email: 'u1@a', roles: ['manager'], reason: 'seed_admin' } },
  { type: 'UserAdded', data: { accountId: 'a', userId: 'u2', email: 'u2@a', roles: ['member'], reason: 'seed_admin' } },
  { type: 'UserAdded', data: { accountId: 'a', userId: 'u3', email: 'u3@a', roles: ['member', 'manager'], reason: 'seed_admin' } },
  { type: 'UserAdded', data: { accountId: 'a', userId: 'u4', email: 'u4@a', roles: ['admin'], reason: 'seed_admin' } },
];

/** What a principal may do, as concrete (action, condition) pairs: computed per action, not from patterns. */
function effective(state: ExistingAccount, userId: string): Set<string> {
  const m = state.members.get(principalKey({ type: 'user', id: userId }));
  const out = new Set<string>();
  if (!m || m.status !== 'active') return out;
  for (const roleName of m.roles) {
    for (const g of state.roles.get(roleName)?.grants ?? []) {
      for (const action of ACTIONS) {
        if (!patternCovers(g.permission, action)) continue;
        for (const c of CONDITIONS) if (conditionCovers(g.condition, c)) out.add(`${action}/${c}`);
      }
    }
  }
  return out;
}

const roleName = fc.constantFrom('admin', 'manager', 'member', 'c1', 'c2');
const grants: fc.Arbitrary<Grant[]> = fc.array(
  fc.record({ permission: fc.constantFrom('*', 'dataset:*', '*:read', ...ACTIONS), condition: fc.constantFrom<Condition>(...CONDITIONS) }),
  { maxLength: 3 },
);
const user = fc.constantFrom(...USERS);
const command: fc.Arbitrary<AccountCommand> = fc.oneof(
  fc.record({ type: fc.constant('AssignRole' as const), userId: user, role: roleName }),
  fc.record({ type: fc.constant('UnassignRole' as const), userId: user, role: roleName }),
  fc.record({ type: fc.constant('RemoveUser' as const), userId: user }),
  fc.record({ type: fc.constant('AssignRole' as const), userId: user, role: fc.constantFrom('c1', 'c2') }),
  fc.record({ type: fc.constant('UpdateRole' as const), name: fc.constantFrom('c1', 'c2'), grants }),
  fc.record({ type: fc.constant('CreateRole' as const), name: fc.constantFrom('c1', 'c2'), description: fc.constant(''), grants, scopes: fc.constant({}) }),
  fc.record({ type: fc.constant('UpdateRole' as const), name: fc.constantFrom('c1', 'c2'), grants }),
  fc.record({ type: fc.constant('DeleteRole' as const), name: fc.constantFrom('c1', 'c2') }),
);
// Managers act most often: they are the ones who could escalate.
const step = fc.record({ actor: fc.constantFrom('u0', 'u1', 'u1', 'u1', 'u3', 'u3', 'u2', 'u4'), command });

describe('account invariants under random command sequences (fast-check)', () => {
  it('always an active admin; no accepted command grants more than its actor holds', () => {
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 40 }), (steps) => {
        let state: AccountState = start.reduce(evolveAccount, initialAccountState());
        for (const { actor, command: cmd } of steps) {
          const current = state as ExistingAccount & { status: 'active' };
          const before = new Map(USERS.map((u) => [u, effective(current, u)]));
          const by: Actor = { kind: 'principal', principal: { type: 'user', id: actor } };
          let events: AccountEvent[];
          try {
            events = decideAccount(cmd, state, { actor: by, now: new Date(0) });
          } catch (e) {
            if (!(e instanceof DomainError)) throw e;
            continue;
          }
          state = events.reduce(evolveAccount, state);
          const after = state as ExistingAccount;
          const actorHeld = before.get(actor)!;
          for (const u of USERS) {
            for (const p of effective(after, u)) {
              if (!before.get(u)!.has(p) && !actorHeld.has(p)) {
                throw new Error(`${actor} gave ${u} ${p} by ${JSON.stringify(cmd)} without holding it`);
              }
            }
          }
          const admins = [...after.members.values()].filter((m) => m.status === 'active' && m.roles.includes('admin'));
          if (admins.length === 0) throw new Error(`no active admin left after ${JSON.stringify(cmd)}`);
        }
      }),
      { numRuns: 3000 },
    );
  });
});
