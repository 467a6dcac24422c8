import { compileRole } from '../access/compiled-role';
import { evaluate, SubjectView } from '../access/evaluator';
import { AccessModel, conditionCovers, Operation, patternCovers } from '../access/model';
import { PRESET_NAMES, PresetFile, presetFile, presetModel, toModel } from './presets';

const clone = (file: PresetFile): PresetFile => JSON.parse(JSON.stringify(file));
const role = (model: AccessModel, name: string) => model.roles.find((r) => r.name === name)!;
const grantsOf = (model: AccessModel, name: string) => role(model, name).grants.map((g) => `${g.permission} ${g.condition}`).sort();
/** Whether any grant of the role covers `permission` on any resource (the strongest form). */
const holdsOnAny = (model: AccessModel, name: string, permission: string) =>
  role(model, name).grants.some((g) => patternCovers(g.permission, permission) && conditionCovers(g.condition, 'any'));

describe.each(PRESET_NAMES)('preset %s', (name) => {
  const file = presetFile(name);
  const model = presetModel(name);

  it('loads through toModel, so its roles, catalog, teams and operations are consistent', () => {
    expect(model.preset).toBe(name);
    expect(file.name).toBe(name);
  });

  it('names its source and description and records its choices', () => {
    expect(file.source).toEqual(name === 'custom' ? 'none' : expect.stringMatching(/^seeds\/.+\.(md|txt)$/));
    expect(file.description.length).toBeGreaterThan(0);
    expect(file.choices.length).toBeGreaterThan(0);
    for (const choice of file.choices) expect(choice.trim().length).toBeGreaterThan(0);
  });

  it('has its default role and admin roles among its roles, all built in', () => {
    const names = model.roles.map((r) => r.name);
    expect(names).toContain(model.defaultRole);
    for (const admin of model.adminRoles) expect(names).toContain(admin);
    for (const r of model.roles) expect({ role: r.name, builtIn: r.builtIn }).toEqual({ role: r.name, builtIn: true });
  });

  it('lets every role manage its own API keys, the way Gatehouse principals authenticate', () => {
    expect(model.operations['api_keys.create']).toBeDefined();
    expect(model.operations['api_keys.delete']).toBeDefined();
    for (const r of model.roles) {
      for (const op of ['api_keys.create', 'api_keys.delete'] as const) {
        const permission = model.operations[op]!;
        const own = r.grants.some((g) => patternCovers(g.permission, permission) && conditionCovers(g.condition, 'own'));
        expect({ role: r.name, permission, own }).toEqual({ role: r.name, permission, own: true });
      }
    }
  });
});

describe('predibase', () => {
  const model = presetModel('predibase');

  it('reproduces the User and Read-only permission lists', () => {
    expect(model.defaultRole).toBe('user');
    expect(grantsOf(model, 'read-only')).toEqual(
      [
        'llm:prompt any',
        'dataset:read any',
        'fine_tuning_job:read any',
        'deployment:read any',
        'api_token:create own',
        'api_token:delete own',
      ].sort(),
    );
    expect(grantsOf(model, 'user')).toEqual(
      expect.arrayContaining(['dataset:delete own', 'dataset:create any', 'member:invite any', 'billing:update any', 'api_token:delete own']),
    );
    expect(grantsOf(model, 'user')).not.toContain('dataset:delete any');
  });

  it('names the support-only administrative actions but grants them to no role', () => {
    const supportOnly: [Operation, string][] = [
      ['members.update', 'member:update'],
      ['members.remove', 'member:remove'],
      ['api_keys.delete', 'api_token:delete'],
      ['account.delete', 'account:delete'],
    ];
    for (const [operation, permission] of supportOnly) {
      expect(model.operations[operation]).toBe(permission);
      for (const r of model.roles) {
        expect({ role: r.name, permission, heldOnAny: holdsOnAny(model, r.name, permission) }).toEqual({
          role: r.name,
          permission,
          heldOnAny: false,
        });
      }
    }
    // Deleting one's own token stays with every role: only others' tokens are support's.
    expect(grantsOf(model, 'user')).toContain('api_token:delete own');
  });
});

describe('firefly', () => {
  const model = presetModel('firefly');
  // The seed's "Permissions follow a `resource:action` pattern. The full set includes: …", verbatim.
  const SEED_PERMISSIONS = [
    'knowledge:read', 'knowledge:write', 'knowledge:delete',
    'catalog:read', 'catalog:write', 'catalog:delete',
    'chat:send',
    'exports:create', 'exports:download', 'exports:delete', 'exports:templates',
    'audit:read',
    'credentials:read', 'credentials:write',
    'jobs:read', 'jobs:cancel',
    'processes:read', 'processes:write',
    'admin:users', 'admin:roles', 'admin:settings', 'admin:sso', 'admin:llm', 'admin:dashboard', 'admin:git_providers',
  ]; // prettier-ignore
  const GATEHOUSE_ADDITIONS = ['api_key:create', 'api_key:delete'];
  const catalogPermissions = Object.entries(model.catalog.resourceTypes).flatMap(([type, actions]) => actions.map((a) => `${type}:${a}`));

  it("has exactly the seed's permission set in its catalog, plus Gatehouse's API key permissions", () => {
    expect(catalogPermissions.filter((p) => !GATEHOUSE_ADDITIONS.includes(p)).sort()).toEqual([...SEED_PERMISSIONS].sort());
    expect(catalogPermissions.filter((p) => GATEHOUSE_ADDITIONS.includes(p)).sort()).toEqual([...GATEHOUSE_ADDITIONS].sort());
  });

  it('reproduces the Built-in Roles table', () => {
    expect(grantsOf(model, 'administrator')).toEqual(['* any']);
    const operator = ['knowledge:read', 'catalog:read', 'catalog:write', 'exports:create', 'exports:download', 'exports:delete', 'exports:templates',
      'chat:send', 'audit:read', 'jobs:read', 'jobs:cancel', 'processes:read', 'processes:write']; // prettier-ignore
    const viewer = ['knowledge:read', 'catalog:read', 'chat:send', 'jobs:read', 'processes:read'];
    const withKeys = (perms: string[]) => [...perms.map((p) => `${p} any`), 'api_key:create own', 'api_key:delete own'].sort();
    expect(grantsOf(model, 'operator')).toEqual(withKeys(operator));
    expect(grantsOf(model, 'viewer')).toEqual(withKeys(viewer));
    expect(model.adminRoles).toEqual(['administrator']);
  });

  it('scopes systems, knowledge tags and skill tags, merged most-permissively across roles', () => {
    expect(model.catalog.scopeDimensions).toEqual({ systems: ['catalog'], knowledge_tags: ['knowledge'], skill_tags: ['chat'] });
    const viewer = role(model, 'viewer');
    const crmViewer = compileRole({ ...viewer, name: 'crm-viewer', scopes: { systems: ['crm'], knowledge_tags: ['hr'], skill_tags: ['search'] } });
    const erpViewer = compileRole({ ...viewer, name: 'erp-viewer', scopes: { systems: ['erp'] } });
    const view = (roles: string[]): SubjectView => ({
      account: { status: 'active', scopeDimensions: model.catalog.scopeDimensions },
      principal: { type: 'user', id: 'u1', status: 'active', roles, teams: [] },
      roles: { 'crm-viewer': crmViewer, 'erp-viewer': erpViewer },
    });
    const check = (roles: string[], action: string, dimension: string, values: string[]) =>
      evaluate(view(roles), { action, resource: { type: action.split(':')[0], tags: { [dimension]: values } } }, 0).reason;

    expect(check(['crm-viewer'], 'catalog:read', 'systems', ['crm'])).toBe('GRANTED');
    expect(check(['crm-viewer'], 'catalog:read', 'systems', ['erp'])).toBe('OUT_OF_SCOPE');
    expect(check(['crm-viewer'], 'knowledge:read', 'knowledge_tags', ['finance'])).toBe('OUT_OF_SCOPE');
    expect(check(['crm-viewer'], 'chat:send', 'skill_tags', ['billing'])).toBe('OUT_OF_SCOPE');
    expect(check(['crm-viewer'], 'chat:send', 'skill_tags', ['search'])).toBe('GRANTED');
    // Most-permissive merge: the union of both roles' systems; erp-viewer leaves knowledge unrestricted.
    expect(check(['crm-viewer', 'erp-viewer'], 'catalog:read', 'systems', ['erp'])).toBe('GRANTED');
    expect(check(['crm-viewer', 'erp-viewer'], 'knowledge:read', 'knowledge_tags', ['finance'])).toBe('GRANTED');
  });
});

describe('adaptive', () => {
  const model = presetModel('adaptive');

  it('has the six default roles, the admin team and a default team', () => {
    expect(model.roles.map((r) => r.name)).toEqual(['admin', 'platform_admin', 'power_user', 'read_only', 'inference', 'annotator']);
    expect(model.teams).toEqual(expect.arrayContaining(['admin', model.defaultTeam!]));
    expect(model.adminTeam).toEqual({ team: 'admin', roles: ['admin', 'platform_admin'] });
    expect(model.defaultRole).toBe('read_only');
  });

  it("grants the non-admin roles only their teams' resources (and their own API keys)", () => {
    for (const name of ['power_user', 'read_only', 'inference', 'annotator']) {
      for (const g of role(model, name).grants) {
        const expected = g.permission.startsWith('api_key:') ? 'own' : 'team';
        expect({ role: name, permission: g.permission, condition: g.condition }).toEqual({ role: name, permission: g.permission, condition: expected });
      }
    }
  });

  it('maps the management operations to the admin:* permissions of the seed', () => {
    expect(model.operations).toMatchObject({
      'roles.read': 'admin:manage_roles',
      'roles.manage': 'admin:manage_roles',
      'teams.read': 'admin:manage_teams',
      'teams.manage': 'admin:manage_teams',
      'members.read': 'admin:manage_users',
      'members.update': 'admin:manage_users',
    });
  });
});

describe('custom', () => {
  const model = presetModel('custom');

  it('starts with an admin role and a non-admin default role, and maps every management operation', () => {
    expect(grantsOf(model, 'admin')).toEqual(['* any']);
    expect(model.adminRoles).not.toContain(model.defaultRole);
    expect(grantsOf(model, model.defaultRole)).toEqual(['api_key:create own', 'api_key:delete own', 'member:read any']);
    const operations: Operation[] = [
      'members.read', 'members.invite', 'members.update', 'members.remove', 'api_keys.create', 'api_keys.delete',
      'service_accounts.read', 'service_accounts.create', 'service_accounts.delete', 'service_account_keys.create',
      'roles.read', 'roles.manage', 'teams.read', 'teams.manage', 'catalog.manage', 'resources.manage', 'audit.read', 'account.delete',
    ]; // prettier-ignore
    for (const op of operations) expect({ op, mapped: model.operations[op] !== undefined }).toEqual({ op, mapped: true });
  });
});

describe('toModel rejects an inconsistent preset', () => {
  const base = () => clone(presetFile('firefly'));

  it('an unknown permission in a role', () => {
    const file = base();
    file.roles[1].grants.push({ permission: 'knowledge:publish', condition: 'any' });
    expect(() => toModel(file)).toThrow('role operator: unknown permission knowledge:publish');
    const malformed = base();
    malformed.roles[1].grants.push({ permission: 'knowledge', condition: 'any' });
    expect(() => toModel(malformed)).toThrow('unknown permission knowledge');
  });

  it('an unknown condition', () => {
    const file = base();
    file.roles[2].grants.push({ permission: 'knowledge:read', condition: 'mine' });
    expect(() => toModel(file)).toThrow('role viewer: unknown condition mine');
  });

  it('an unknown scope dimension, in a role or naming an unknown type', () => {
    const file = base();
    file.roles[2].scopes = { departments: ['hr'] };
    expect(() => toModel(file)).toThrow('role viewer: unknown scope dimension departments');
    const badType = base();
    badType.catalog.scopeDimensions.regions = ['region'];
    expect(() => toModel(badType)).toThrow('scope dimension regions names unknown type region');
  });

  it('a default team that is not among its teams', () => {
    const file = clone(presetFile('adaptive'));
    file.defaultTeam = 'newcomers';
    expect(() => toModel(file)).toThrow('team newcomers is not in teams');
    const noTeams = clone(presetFile('adaptive'));
    delete noTeams.teams;
    expect(() => toModel(noTeams)).toThrow('is not in teams');
  });

  it('an undefined default role and an operation naming an unknown permission', () => {
    const file = base();
    file.defaultRole = 'guest';
    expect(() => toModel(file)).toThrow('role guest is not defined');
    const op = base();
    op.operations['members.invite'] = 'users:invite';
    expect(() => toModel(op)).toThrow('operation members.invite names unknown permission users:invite');
  });
});
