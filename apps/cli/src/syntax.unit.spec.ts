import { cell, fields, table } from './output';
import { formatGrant, parseGrant, parseLists, parsePrincipal, parseResource, requireUserId } from './syntax';
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
