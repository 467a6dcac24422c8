import { AccessModel } from '../access/model';
import { Actor } from '../actor';
import { specFor } from '../testing/specification';
import { AccountCommand } from './account.commands';
import { decideAccount } from './account.decide';
import { AccountEvent } from './account.events';
import { AccountState, evolveAccount, initialAccountState } from './account.state';

/**
 * Custom roles, the catalog, teams and the admin-team rule, on a small hand-built
 * model shaped like Adaptive's (so these rules are tested independently of preset data).
 */
const now = new Date('2026-11-23T10:00:00.000Z');
const as = (id: string): Actor => ({ kind: 'principal', principal: { type: 'user', id } });
const spec = (actor: Actor) =>
  specFor<AccountCommand, AccountState, AccountEvent>({
    decide: (c, s) => decideAccount(c, s, { actor, now }),
    evolve: evolveAccount,
    initialState: initialAccountState,
  });

const model: AccessModel = {
  preset: 'test',
  catalog: {
    resourceTypes: {
      use_case: ['read', 'adapt', 'delete'],
      knowledge: ['read', 'write'],
      admin: ['manage_roles', 'manage_teams', 'manage_users'],
      api_key: ['create', 'delete'],
    },
    scopeDimensions: { knowledge_tags: ['knowledge'] },
  },
  roles: [
    { name: 'admin', description: '', builtIn: true, grants: [{ permission: '*', condition: 'any' }], scopes: {} },
    {
      name: 'manager',
      description: '',
      builtIn: true,
      grants: [
        { permission: 'admin:manage_users', condition: 'any' },
        { permission: 'use_case:*', condition: 'team' },
        { permission: 'knowledge:read', condition: 'any' },
      ],
      scopes: { knowledge_tags: ['hr'] },
    },
    { name: 'viewer', description: '', builtIn: true, grants: [{ permission: 'use_case:read', condition: 'team' }], scopes: {} },
  ],
  defaultRole: 'viewer',
  defaultTeam: 'default',
  teams: ['admin', 'default', 'red'],
  adminRoles: ['admin'],
  adminTeam: { team: 'admin', roles: ['admin'] },
  operations: {
    'members.read': 'admin:manage_users',
    'members.update': 'admin:manage_users',
    'members.invite': 'admin:manage_users',
    'members.remove': 'admin:manage_users',
    'roles.read': 'admin:manage_roles',
    'roles.manage': 'admin:manage_roles',
    'teams.read': 'admin:manage_teams',
    'teams.manage': 'admin:manage_teams',
    'catalog.manage': 'admin:manage_roles',
  },
};

const user = (userId: string, roles: string[], teams: string[]): AccountEvent => ({
  type: 'UserAdded',
  data: { accountId: 'a', userId, email: `${userId}@a.test`, roles, teams, reason: 'seed_admin' },
});
const base: AccountEvent[] = [
  { type: 'AccountCreated', data: { accountId: 'a', model } },
  user('root_admin', ['admin'], ['admin']),
  user('outside_admin', ['admin'], ['red']),
  user('mgr', ['manager'], ['red']),
  user('red_viewer', ['viewer'], ['red']),
  user('blue_viewer', ['viewer'], ['default']),
];
const role = (name: string, grants: [string, 'any' | 'own' | 'team'][], scopes: Record<string, string[]> = {}): AccountCommand => ({
  type: 'CreateRole',
  name,
  description: 'd',
  grants: grants.map(([permission, condition]) => ({ permission, condition })),
  scopes,
});

describe('custom roles', () => {
  it('an admin-team admin creates a role', () =>
    spec(as('root_admin'))(base).when(role('editor', [['knowledge:write', 'any']])).then([
      {
        type: 'RoleCreated',
        data: { accountId: 'a', role: { name: 'editor', description: 'd', builtIn: false, grants: [{ permission: 'knowledge:write', condition: 'any' }], scopes: {} } },
      },
    ]));
  it('an admin outside the admin team may not (Adaptive: global operation)', () =>
    spec(as('outside_admin'))(base).when(role('editor', [['knowledge:write', 'any']])).thenThrows('PERMISSION.DENIED'));
  it('refuses unknown permissions, conditions and scope dimensions, and duplicates', () => {
    spec(as('root_admin'))(base).when(role('x', [['rocket:launch', 'any']])).thenThrows('PERMISSION.UNKNOWN');
    spec(as('root_admin'))(base).when(role('x', [['use_case:fly', 'any']])).thenThrows('PERMISSION.UNKNOWN');
    spec(as('root_admin'))(base).when(role('x', [['use_case:read', 'mine' as 'own']])).thenThrows('GRANT.UNKNOWN_CONDITION');
    spec(as('root_admin'))(base).when(role('x', [['knowledge:read', 'any']], { colour: ['red'] })).thenThrows('SCOPE.UNKNOWN_DIMENSION');
    spec(as('root_admin'))(base).when(role('viewer', [['use_case:read', 'any']])).thenThrows('ROLE.ALREADY_EXISTS');
  });
  it('accepts wildcard patterns the catalog can satisfy', () =>
    spec(as('root_admin'))(base).when(role('reader', [['*:read', 'team']])).then([
      {
        type: 'RoleCreated',
        data: { accountId: 'a', role: { name: 'reader', description: 'd', builtIn: false, grants: [{ permission: '*:read', condition: 'team' }], scopes: {} } },
      },
    ]));

  const withEditor: AccountEvent[] = [
    ...base,
    {
      type: 'RoleCreated',
      data: { accountId: 'a', role: { name: 'editor', description: 'd', builtIn: false, grants: [{ permission: 'knowledge:write', condition: 'any' }], scopes: {} } },
    },
  ];
  it('updates a custom role; built-ins are immutable and undeletable', () => {
    spec(as('root_admin'))(withEditor).when({ type: 'UpdateRole', name: 'editor', scopes: { knowledge_tags: ['hr'] } }).then([
      {
        type: 'RoleUpdated',
        data: {
          accountId: 'a',
          role: { name: 'editor', description: 'd', builtIn: false, grants: [{ permission: 'knowledge:write', condition: 'any' }], scopes: { knowledge_tags: ['hr'] } },
        },
      },
    ]);
    spec(as('root_admin'))(withEditor).when({ type: 'UpdateRole', name: 'viewer', description: 'x' }).thenThrows('ROLE.BUILT_IN');
    spec(as('root_admin'))(withEditor).when({ type: 'DeleteRole', name: 'admin' }).thenThrows('ROLE.BUILT_IN');
    spec(as('root_admin'))(withEditor).when({ type: 'DeleteRole', name: 'nope' }).thenThrows('ROLE.NOT_FOUND');
  });
  it('refuses to delete a role in use, and deletes it once unassigned', () => {
    const held: AccountEvent = { type: 'RoleAssigned', data: { accountId: 'a', principal: { type: 'user', id: 'red_viewer' }, role: 'editor' } };
    spec(as('root_admin'))([...withEditor, held]).when({ type: 'DeleteRole', name: 'editor' }).thenThrows('ROLE.IN_USE');
    const released: AccountEvent = { type: 'RoleUnassigned', data: { accountId: 'a', principal: { type: 'user', id: 'red_viewer' }, role: 'editor' } };
    spec(as('root_admin'))([...withEditor, held, released]).when({ type: 'DeleteRole', name: 'editor' }).then([
      { type: 'RoleDeleted', data: { accountId: 'a', name: 'editor' } },
    ]);
  });
});

describe('no escalation', () => {
  it('a manager cannot assign a role holding what the manager lacks', () =>
    spec(as('mgr'))(base).when({ type: 'AssignRole', userId: 'red_viewer', role: 'admin' }).thenThrows('PERMISSION.DENIED'));
  it('a manager can assign a role within its own grants, to a user of its own team', () =>
    spec(as('mgr'))(base).when({ type: 'AssignRole', userId: 'red_viewer', role: 'manager' }).then([
      { type: 'RoleAssigned', data: { accountId: 'a', principal: { type: 'user', id: 'red_viewer' }, role: 'manager' } },
    ]));
  it('conditions count: holding use_case:* on team does not cover use_case:delete on any', () => {
    const kr: AccountEvent = {
      type: 'RoleCreated',
      data: { accountId: 'a', role: { name: 'nuker', description: '', builtIn: false, grants: [{ permission: 'use_case:delete', condition: 'any' }], scopes: {} } },
    };
    spec(as('mgr'))([...base, kr]).when({ type: 'AssignRole', userId: 'red_viewer', role: 'nuker' }).thenThrows('PERMISSION.DENIED');
  });
  it('scopes count: an hr-scoped reader cannot hand out unscoped knowledge:read', () => {
    const kr: AccountEvent = {
      type: 'RoleCreated',
      data: { accountId: 'a', role: { name: 'kr', description: '', builtIn: false, grants: [{ permission: 'knowledge:read', condition: 'any' }], scopes: {} } },
    };
    const krHr: AccountEvent = {
      type: 'RoleCreated',
      data: {
        accountId: 'a',
        role: { name: 'kr_hr', description: '', builtIn: false, grants: [{ permission: 'knowledge:read', condition: 'any' }], scopes: { knowledge_tags: ['hr'] } },
      },
    };
    spec(as('mgr'))([...base, kr, krHr]).when({ type: 'AssignRole', userId: 'red_viewer', role: 'kr' }).thenThrows('PERMISSION.DENIED');
    spec(as('mgr'))([...base, kr, krHr]).when({ type: 'AssignRole', userId: 'red_viewer', role: 'kr_hr' }).then([
      { type: 'RoleAssigned', data: { accountId: 'a', principal: { type: 'user', id: 'red_viewer' }, role: 'kr_hr' } },
    ]);
  });
});

describe('teams and the admin-team rule', () => {
  it('admin-team admins create and delete teams; others may not', () => {
    spec(as('root_admin'))(base).when({ type: 'CreateTeam', team: 'blue' }).then([{ type: 'TeamCreated', data: { accountId: 'a', team: 'blue' } }]);
    spec(as('outside_admin'))(base).when({ type: 'CreateTeam', team: 'blue' }).thenThrows('PERMISSION.DENIED');
    spec(as('root_admin'))(base).when({ type: 'CreateTeam', team: 'red' }).thenThrows('TEAM.ALREADY_EXISTS');
    spec(as('root_admin'))(base).when({ type: 'DeleteTeam', team: 'red' }).thenThrows('TEAM.NOT_EMPTY');
    spec(as('root_admin'))(base).when({ type: 'DeleteTeam', team: 'admin' }).thenThrows('TEAM.PROTECTED');
    spec(as('root_admin'))(base).when({ type: 'DeleteTeam', team: 'nope' }).thenThrows('TEAM.NOT_FOUND');
  });
  it('admin:manage_users outside the admin team works only on users of one\'s own teams', () => {
    spec(as('mgr'))(base).when({ type: 'AssignRole', userId: 'blue_viewer', role: 'viewer' }).thenThrows('PERMISSION.DENIED');
    spec(as('mgr'))(base).when({ type: 'AddTeamMember', team: 'default', userId: 'red_viewer' }).thenThrows('PERMISSION.DENIED');
    spec(as('root_admin'))(base).when({ type: 'AddTeamMember', team: 'default', userId: 'red_viewer' }).then([
      { type: 'TeamMemberAdded', data: { accountId: 'a', team: 'default', principal: { type: 'user', id: 'red_viewer' } } },
    ]);
  });
  it('the last admin of the admin team cannot leave it, be demoted or removed', () => {
    spec(as('root_admin'))(base).when({ type: 'RemoveTeamMember', team: 'admin', userId: 'root_admin' }).thenThrows('ADMIN.LAST_ADMIN');
    spec(as('root_admin'))(base).when({ type: 'UnassignRole', userId: 'root_admin', role: 'admin' }).thenThrows('ADMIN.LAST_ADMIN');
    spec(as('root_admin'))(base).when({ type: 'RemoveUser', userId: 'root_admin' }).thenThrows('ADMIN.LAST_ADMIN');
    // An admin outside the admin team does not count: removing them is fine.
    spec(as('root_admin'))(base).when({ type: 'RemoveUser', userId: 'outside_admin' }).then([{ type: 'UserRemoved', data: { accountId: 'a', userId: 'outside_admin' } }]);
  });
  it('new members join the default team with the default role', () =>
    spec(as('root_admin'))(base)
      .when({ type: 'InviteUser', userId: 'n', email: 'n@a.test', roles: [], invitation: { id: 'i', secretHash: 'h', expiresAt: new Date('2026-12-01T00:00:00Z') } })
      .then([
        {
          type: 'UserInvited',
          data: { accountId: 'a', userId: 'n', email: 'n@a.test', roles: ['viewer'], teams: ['default'], generation: 1, invitation: { id: 'i', secretHash: 'h', expiresAt: '2026-12-01T00:00:00.000Z' } },
        },
      ]));
  it('defaults can be changed by an admin', () => {
    spec(as('root_admin'))(base).when({ type: 'ChangeAccountDefaults', defaultRole: 'manager', defaultTeam: 'red' }).then([
      { type: 'AccountDefaultsChanged', data: { accountId: 'a', defaultRole: 'manager', defaultTeam: 'red' } },
    ]);
    spec(as('root_admin'))(base).when({ type: 'ChangeAccountDefaults', defaultRole: 'nope' }).thenThrows('ROLE.NOT_FOUND');
  });
});

describe('catalog', () => {
  it('extends the catalog with new types, actions and dimensions; repeats change nothing', () => {
    spec(as('root_admin'))(base)
      .when({ type: 'ExtendCatalog', resourceTypes: { use_case: ['read', 'share'], report: ['read'] }, scopeDimensions: { regions: ['report'] } })
      .then([
        {
          type: 'CatalogExtended',
          data: {
            accountId: 'a',
            added: { resourceTypes: { use_case: ['share'], report: ['read'] }, scopeDimensions: { regions: ['report'] } },
            catalog: {
              resourceTypes: { ...model.catalog.resourceTypes, use_case: ['read', 'adapt', 'delete', 'share'], report: ['read'] },
              scopeDimensions: { knowledge_tags: ['knowledge'], regions: ['report'] },
            },
          },
        },
      ]);
    spec(as('root_admin'))(base).when({ type: 'ExtendCatalog', resourceTypes: { use_case: ['read'] }, scopeDimensions: {} }).then([]);
    spec(as('root_admin'))(base).when({ type: 'ExtendCatalog', resourceTypes: {}, scopeDimensions: { regions: ['nope'] } }).thenThrows('CATALOG.UNKNOWN_TYPE');
  });
});
