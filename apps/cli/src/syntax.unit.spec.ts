import { cell, fields, table } from './output';
import {
  formatGrant,
  formatTags,
  parseGrant,
  parseLists,
  parseMember,
  parsePrincipal,
  parseResource,
  parseResourceRef,
  parseTags,
  requireAction,
  requireOwnerId,
  requireResourceId,
  requireResourceType,
  requireUserId,
  shellWord,
} from './syntax';
import { positiveInteger, timestamp } from './verb';

describe('grant syntax: permission[@any|own|team]', () => {
  it.each([
    ['dataset:read', { permission: 'dataset:read', condition: 'any' }],
    ['dataset:*@own', { permission: 'dataset:*', condition: 'own' }],
    ['*:read@team', { permission: '*:read', condition: 'team' }],
    ['*', { permission: '*', condition: 'any' }],
    ['document:write@any', { permission: 'document:write', condition: 'any' }],
  ])('%s', (text, grant) => {
    expect(parseGrant(text)).toEqual(grant);
    expect(parseGrant(formatGrant(grant))).toEqual(grant);
  });

  it.each([
    ['dataset:read@mine', 'the condition after @ must be any, own or team'],
    ['dataset:read:own', 'a permission is resource:action'],
    ['dataset', 'a permission is resource:action'],
    ['@own', 'a permission is resource:action'],
  ])('refuses %s', (text, message) => {
    expect(() => parseGrant(text)).toThrow(message);
  });
});

describe('name=v1,v2 lists', () => {
  it('collects repeated names and allows an empty list', () => {
    expect(parseLists(['regions=eu, us', 'systems=', 'regions=ap'], 'scope')).toEqual({ regions: ['eu', 'us', 'ap'], systems: [] });
  });
  it.each(['regions', '=eu'])('refuses %s', (text) => expect(() => parseLists([text], 'scope')).toThrow('--scope'));
});

describe('principals and resources', () => {
  it.each([
    ['user:usr_abc', { type: 'user', id: 'usr_abc' }],
    ['service_account:sa1', { type: 'service_account', id: 'sa1' }],
    ['service-account:sa1', { type: 'service_account', id: 'sa1' }],
    ['key:gh_abc_def:ghi', { apiKey: 'gh_abc_def:ghi' }],
  ])('%s', (text, principal) => expect(parsePrincipal(text)).toEqual(principal));
  it.each(['usr_abc', 'user:', 'team:x', ':x'])('refuses principal %s', (text) => expect(() => parsePrincipal(text)).toThrow('expected user:<USER_ID>'));

  it('reads type/id and type', () => {
    expect(parseResource('dataset/ds-1')).toEqual({ type: 'dataset', id: 'ds-1' });
    expect(parseResource('dataset/a/b')).toEqual({ type: 'dataset', id: 'a/b' });
    expect(parseResource('dataset')).toEqual({ type: 'dataset' });
    expect(() => parseResource('dataset/')).toThrow('expected type/id');
    expect(() => parseResource('/x')).toThrow('expected type/id');
  });

  it('tells an email from a user id', () => {
    expect(requireUserId('usr_abcdefgh')).toBe('usr_abcdefgh');
    expect(() => requireUserId('alice@acme.test')).toThrow('`gatehouse user list` shows the ids');
  });
});

describe('values', () => {
  it('times: a bare date is midnight UTC', () => {
    expect(timestamp('expires', '2026-12-31')).toBe('2026-12-31T00:00:00.000Z');
    expect(timestamp('expires', '2026-12-31T10:00:00+02:00')).toBe('2026-12-31T08:00:00.000Z');
    expect(() => timestamp('expires', 'tomorrow')).toThrow('--expires must be a date');
    expect(() => timestamp('expires', '2026-13-45')).toThrow('--expires must be a date');
  });
  it('counts', () => {
    expect(positiveInteger('limit', '20')).toBe(20);
    expect(() => positiveInteger('limit', '0')).toThrow('--limit must be a positive whole number');
    expect(() => positiveInteger('limit', '2x')).toThrow('--limit');
  });
});

describe('output', () => {
  it('aligns columns and shows nothing as -', () => {
    const rows = [
      { id: 'usr_1', roles: ['admin', 'user'], teams: [] },
      { id: 'usr_longer', roles: ['contributor'], teams: ['research'] },
    ];
    expect(
      table(rows, [
        { header: 'ID', value: (r) => r.id },
        { header: 'ROLES', value: (r) => r.roles },
        { header: 'TEAMS', value: (r) => r.teams },
      ]),
    ).toBe(['ID          ROLES        TEAMS', 'usr_1       admin,user   -', 'usr_longer  contributor  research', ''].join('\n'));
  });
  it('label/value blocks skip undefined and show booleans as yes/no', () => {
    expect(fields([['id', 'k1'], ['name', undefined], ['restricted', true]])).toBe('id          k1\nrestricted  yes\n');
    expect(cell('two\nlines')).toBe('two lines');
  });
});

describe('resource syntax', () => {
  it('tags: dimension=v1,v2, repeatable; every dimension needs a value', () => {
    expect(parseTags(['env=prod', 'region=eu, us', 'env=dev'])).toEqual({ env: ['prod', 'dev'], region: ['eu', 'us'] });
    expect(() => parseTags(['env'])).toThrow('--tag "env": expected dimension=value');
    expect(() => parseTags(['env='])).toThrow('--tag "env=": expected dimension=value');
    expect(() => parseTags(['=prod'])).toThrow('expected dimension=value');
    expect(() => parseTags(['Env=prod'])).toThrow('the dimension before = must be lower case');
    expect(formatTags({ env: ['dev', 'prod'], region: ['eu'] })).toEqual(['env=dev|prod', 'region=eu']);
  });

  it('type/id, actions, owners and members', () => {
    expect(parseResourceRef('deployment/dep-1')).toEqual({ type: 'deployment', id: 'dep-1' });
    for (const bad of ['deployment', 'deployment/', '/dep-1']) expect(() => parseResourceRef(bad)).toThrow('expected type/id');
    expect(() => parseResourceRef('Deployment/x')).toThrow('is not a resource type');
    expect(requireAction('fine_tuning_job:read')).toEqual({ action: 'fine_tuning_job:read', type: 'fine_tuning_job' });
    for (const bad of ['deployment', 'deployment:*', '*:read', 'a:b:c']) expect(() => requireAction(bad)).toThrow('expected resource:action without wildcards');
    expect(requireResourceId('dep-1.v2:x@y')).toBe('dep-1.v2:x@y');
    expect(() => requireResourceId('a/b')).toThrow('is not a resource id');
    expect(() => requireResourceType('has-dash')).toThrow('is not a resource type');
    expect(requireOwnerId('usr_abcdefghijklmnop')).toBe('usr_abcdefghijklmnop');
    expect(() => requireOwnerId('bob@acme.test')).toThrow('is not a user id (usr_…) or service account id (sa_…)');
    expect(parseMember('service-account:sa_abcdefghijklmnop', 'no keys')).toEqual({ type: 'service_account', id: 'sa_abcdefghijklmnop' });
    expect(() => parseMember('key:gh_x', 'no keys')).toThrow('principal "key:gh_x": no keys');
    expect(() => parseMember('user:bob', 'no keys')).toThrow('principal "user:bob": the id "bob" is not a user id');
  });

  it('shell words: bare when safe, quoted otherwise', () => {
    expect(shellWord('user:usr_x')).toBe('user:usr_x');
    expect(shellWord('deployment/a=b+c@d')).toBe('deployment/a=b+c@d');
    expect(shellWord("it's ~x")).toBe(`'it'\\''s ~x'`);
  });
});
