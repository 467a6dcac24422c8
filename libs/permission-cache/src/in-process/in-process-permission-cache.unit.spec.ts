import { CheckRequest, compileRole, Condition, evaluate, PrincipalRecord } from '@gatehouse/domain';
import { CacheOp, SubjectRef } from '../permission-cache.port';
import { describePermissionCacheContract } from '../testing/permission-cache.contract';
import { InProcessPermissionCache } from './in-process-permission-cache';

describePermissionCacheContract('in-process', async () => {
  const cache = new InProcessPermissionCache();
  return { cache, cleanup: () => cache.close() };
});

/**
 * The adapter memoizes each principal's view and compiles role lists once for every
 * principal holding them (see `viewOf` and `roleSets`). Each row: a history, a check that
 * fills the memos, a change, and the answer the very next check must give.
 */
describe('in-process cache: memoized views follow every change', () => {
  const A = 'acme';
  const role = (name: string, grants: [string, Condition][], scopes: Record<string, string[]> = {}): CacheOp => ({
    op: 'role.put',
    account: A,
    role: compileRole({ name, grants: grants.map(([permission, condition]) => ({ permission, condition })), scopes }),
  });
  const member = (id: string, roles: string[], type: PrincipalRecord['type'] = 'user'): CacheOp => ({
    op: 'principal.put',
    account: A,
    principal: { type, id, status: 'active', roles, teams: ['red'] },
  });
  const alice: SubjectRef = { principal: { type: 'user', id: 'alice' } };
  const bob: SubjectRef = { principal: { type: 'user', id: 'bob' } };
  const robot: SubjectRef = { principal: { type: 'service_account', id: 'alice' } };
  const carol: SubjectRef = { principal: { type: 'user', id: 'carol' } };
  const dave: SubjectRef = { principal: { type: 'user', id: 'dave' } };
  const byKey: SubjectRef = { keyId: 'k1' };
  const readDataset: CheckRequest = { action: 'dataset:read' };
  const readModel: CheckRequest = { action: 'model:read' };
  const readKnowledge: CheckRequest = { action: 'knowledge:read', resource: { tags: { knowledge_tags: ['hr'] } } };

  const given: CacheOp[] = [
    { op: 'account.put', account: A, record: { status: 'active', scopeDimensions: { knowledge_tags: ['knowledge'] } } },
    role('reader', [['dataset:read', 'any']]),
    role('modeler', [['model:*', 'any']]),
    role('scoped', [['knowledge:read', 'any']], { knowledge_tags: ['finance'] }),
    member('alice', ['reader']),
    member('bob', ['reader']),
    member('alice', ['modeler'], 'service_account'),
    member('carol', ['scoped']),
    member('dave', ['ghost']),
    { op: 'key.put', account: A, key: { id: 'k1', status: 'active', owner: { type: 'user', id: 'alice' }, secretHash: 'h' } },
  ];

  const rows: { name: string; change: CacheOp[]; subject: SubjectRef; request: CheckRequest; before: string; after: string }[] = [
    { name: 'a held role gains a grant', change: [role('reader', [['dataset:read', 'any'], ['model:read', 'any']])], subject: alice, request: readModel, before: 'NO_GRANT', after: 'GRANTED' },
    { name: 'a held role loses its grant', change: [role('reader', [['model:read', 'any']])], subject: alice, request: readDataset, before: 'GRANTED', after: 'NO_GRANT' },
    { name: "a held role's condition narrows", change: [role('reader', [['dataset:read', 'own']])], subject: alice, request: readDataset, before: 'GRANTED', after: 'NOT_OWNER' },
    { name: 'a held role is deleted', change: [{ op: 'role.delete', account: A, name: 'reader' }], subject: alice, request: readDataset, before: 'GRANTED', after: 'NO_GRANT' },
    { name: 'a role change reaches every principal sharing the role list', change: [role('reader', [])], subject: bob, request: readDataset, before: 'GRANTED', after: 'NO_GRANT' },
    { name: 'a role change reaches checks by API key', change: [role('reader', [])], subject: byKey, request: readDataset, before: 'GRANTED', after: 'NO_GRANT' },
    { name: 'a role the principal names comes into existence', change: [role('ghost', [['model:read', 'any']])], subject: dave, request: readModel, before: 'NO_GRANT', after: 'GRANTED' },
    { name: 'a role is added to the principal (patch)', change: [{ op: 'principal.patch', account: A, key: 'user:alice', addRoles: ['modeler'] }], subject: alice, request: readModel, before: 'NO_GRANT', after: 'GRANTED' },
    { name: 'a role is taken from the principal (patch)', change: [{ op: 'principal.patch', account: A, key: 'user:alice', removeRoles: ['reader'] }], subject: alice, request: readDataset, before: 'GRANTED', after: 'NO_GRANT' },
    { name: "the principal's roles are replaced (put)", change: [member('alice', ['modeler'])], subject: alice, request: readDataset, before: 'GRANTED', after: 'NO_GRANT' },
    { name: "one principal's new roles leave another with the same old list alone", change: [member('alice', ['modeler'])], subject: bob, request: readDataset, before: 'GRANTED', after: 'GRANTED' },
    { name: 'a user and a service account with the same id stay apart', change: [member('alice', [])], subject: robot, request: readModel, before: 'GRANTED', after: 'GRANTED' },
    { name: 'the principal is deactivated', change: [{ op: 'principal.patch', account: A, key: 'user:alice', status: 'deactivated' }], subject: alice, request: readDataset, before: 'GRANTED', after: 'PRINCIPAL_DEACTIVATED' },
    { name: 'the account is deleted', change: [{ op: 'account.patch', account: A, status: 'deleted' }], subject: alice, request: readDataset, before: 'GRANTED', after: 'ACCOUNT_DELETED' },
    { name: "a role's access scope widens", change: [role('scoped', [['knowledge:read', 'any']], { knowledge_tags: ['finance', 'hr'] })], subject: carol, request: readKnowledge, before: 'OUT_OF_SCOPE', after: 'GRANTED' },
    { name: "a role's access scope narrows", change: [role('reader', [['knowledge:read', 'any']], { knowledge_tags: ['legal'] })], subject: bob, request: readKnowledge, before: 'NO_GRANT', after: 'OUT_OF_SCOPE' },
    { name: 'the role list is compiled afresh after a role change, for principals holding it both before and after', change: [role('modeler', []), role('scoped', [['knowledge:read', 'any']])], subject: carol, request: readKnowledge, before: 'OUT_OF_SCOPE', after: 'GRANTED' },
  ];

  it.each(rows)('$name: $before, then $after', ({ change, subject, request, before, after }) => {
    const cache = new InProcessPermissionCache();
    cache.applySync(1n, given);
    const check = () => evaluate(cache.subjectSync(A, subject).view, request, 0).reason;
    expect([check(), check()]).toEqual([before, before]); // the second answer comes from the memos
    cache.applySync(2n, change);
    expect([check(), check()]).toEqual([after, after]);
  });

  it('never changes a view it has handed out: a reader keeps what it read', () => {
    const cache = new InProcessPermissionCache();
    cache.applySync(1n, given);
    const first = cache.subjectSync(A, alice);
    cache.applySync(2n, [role('reader', []), member('alice', ['reader', 'modeler'])]);
    expect(first.view.principal?.roles).toEqual(['reader']);
    expect(first.view.roles.reader?.grants).toEqual({ 'dataset:read': ['any'] });
    expect(evaluate(first.view, readDataset, 0).reason).toBe('GRANTED');
    expect(first.position).toBe(1n);
    expect(cache.subjectSync(A, alice).position).toBe(2n);
  });

  it('hands out views that read, compare and serialize as plain data', () => {
    const cache = new InProcessPermissionCache();
    cache.applySync(1n, given);
    const { view } = cache.subjectSync(A, alice);
    const plain = { account: given[0].op === 'account.put' ? given[0].record : null, principal: view.principal, roles: { reader: view.roles.reader } };
    expect(view).toEqual(plain);
    expect(Object.keys(view)).toEqual(['account', 'principal', 'roles']);
    expect(JSON.parse(JSON.stringify(view))).toEqual(plain);
    const byKey = cache.subjectSync(A, { keyId: 'k1' }).view;
    expect(Object.keys(byKey)).toEqual(['account', 'principal', 'roles', 'key']);
    // A spread copy loses the compiled roles and still answers the same.
    expect(evaluate({ ...view }, readDataset, 0)).toEqual(evaluate(view, readDataset, 0));
  });
});
